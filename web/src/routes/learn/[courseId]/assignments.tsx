// A course's assignments for its learner: instructions, rubric and due date, the learner's latest submission with its
// grade and feedback, and handing in text and files (uploaded with tus, with a progress bar per file).
import { Title } from "@solidjs/meta"
import { A, createAsync, type RouteDefinition, type RouteSectionProps, useAction } from "@solidjs/router"
import { createSignal, For, Index, Show } from "solid-js"
import { formatDate, plural } from "../../../lib/format.ts"
import {
  type AssignmentEntry,
  attachmentHref,
  failureText,
  getAssignments,
  submitAssignment
} from "../../../lib/learning.ts"
import { MAX_ATTACHMENT_BYTES, type UploadHandle, uploadFile } from "../../../lib/upload.ts"

export const route = {
  preload({ params }) {
    if (params.courseId) void getAssignments(params.courseId)
  }
} satisfies RouteDefinition

const MAX_FILES = 10

const size = (bytes: number) =>
  bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 ** 2
      ? `${Math.round(bytes / 1024)} KB`
      : `${(bytes / 1024 ** 2).toFixed(1)} MB`

interface FileState {
  readonly name: string
  readonly size: number
  readonly sent: number
  readonly error: string | undefined
}

function SubmissionView(props: { readonly entry: AssignmentEntry }) {
  return (
    <Show when={props.entry.submission}>
      {(submission) => (
        <section class="submission" aria-label="Your submission" data-testid="submission">
          <p>
            <strong>{submission().status === "graded" ? "Graded" : "Submitted"}</strong> on{" "}
            {formatDate(submission().submittedAt)}
            <Show when={submission().revision > 1}> (revision {submission().revision})</Show>.
          </p>
          <Show when={submission().status === "graded"}>
            <p data-testid="grade">
              Score: <strong>{submission().score}</strong> of {props.entry.assignment.maxScore}
            </p>
            <Show when={submission().feedback}>
              {(feedback) => (
                <div class="feedback">
                  <h4>Feedback</h4>
                  <p class="prewrap">{feedback()}</p>
                </div>
              )}
            </Show>
          </Show>
          <Show when={submission().text}>
            {(text) => (
              <details>
                <summary>Your answer</summary>
                <p class="prewrap">{text()}</p>
              </details>
            )}
          </Show>
          <Show when={submission().attachments.length > 0}>
            <ul class="plain-list" aria-label="Your files">
              <For each={submission().attachments}>
                {(file) => (
                  <li>
                    <a href={attachmentHref(submission().id, file.uploadId)} download={file.filename} rel="external">
                      {file.filename}
                    </a>{" "}
                    <span class="hint">({size(file.sizeBytes)})</span>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </section>
      )}
    </Show>
  )
}

function SubmitForm(props: { readonly entry: AssignmentEntry }) {
  const submit = useAction(submitAssignment)
  const assignment = () => props.entry.assignment
  const prefix = () => `a-${assignment().id}`
  const [files, setFiles] = createSignal<ReadonlyArray<File>>([])
  const [progress, setProgress] = createSignal<ReadonlyArray<FileState>>([])
  const [busy, setBusy] = createSignal(false)
  const [fileError, setFileError] = createSignal<string | undefined>()
  const [formError, setFormError] = createSignal<string | undefined>()
  const [done, setDone] = createSignal(false)
  let uploads: Array<UploadHandle> = []

  const chooseFiles = (list: FileList | null) => {
    const chosen = Array.from(list ?? [])
    setFileError(undefined)
    if (chosen.length > MAX_FILES) return setFileError(`Attach at most ${MAX_FILES} files.`)
    const tooBig = chosen.find((file) => file.size > MAX_ATTACHMENT_BYTES)
    if (tooBig !== undefined) return setFileError(`${tooBig.name} is larger than 100 MB.`)
    setFiles(chosen)
    setProgress(chosen.map((file) => ({ name: file.name, size: file.size, sent: 0, error: undefined })))
  }

  const update = (index: number, change: Partial<FileState>) =>
    setProgress((list) => list.map((item, at) => (at === index ? { ...item, ...change } : item)))

  const handIn = async (form: HTMLFormElement) => {
    const text = String(new FormData(form).get("text") ?? "")
    if (text.trim() === "" && files().length === 0) {
      return setFormError("Write an answer or attach at least one file.")
    }
    setBusy(true)
    setFormError(undefined)
    setDone(false)
    uploads = files().map((file, index) => uploadFile(file, (sent) => update(index, { sent })))
    const ids = await Promise.all(
      uploads.map((upload, index) =>
        upload.done.catch((error: unknown) => {
          update(index, { error: error instanceof Error ? error.message : "The upload failed." })
          return undefined
        })
      )
    )
    uploads = []
    if (ids.some((id) => id === undefined)) {
      setBusy(false)
      return setFormError("Not every file arrived; nothing was handed in. Retry to resume the uploads.")
    }
    const result = await submit(assignment().id, text, ids as Array<string>).catch(() => undefined)
    setBusy(false)
    if (result === undefined) return setFormError("Your work could not be sent. Try again.")
    if (!result.ok) return setFormError(failureText(result.error))
    setDone(true)
    setFiles([])
    setProgress([])
    form.reset()
  }

  return (
    <form
      class="submit-form"
      novalidate
      onSubmit={(event) => {
        event.preventDefault()
        void handIn(event.currentTarget)
      }}
    >
      <div class="form-field">
        <label for={`${prefix()}-text`}>Your answer</label>
        <textarea id={`${prefix()}-text`} name="text" rows="6" maxlength={50_000} />
      </div>
      <div class="form-field">
        <label for={`${prefix()}-files`}>Files (up to {MAX_FILES}, 100 MB each)</label>
        <input
          id={`${prefix()}-files`}
          type="file"
          multiple
          aria-invalid={fileError() ? "true" : undefined}
          aria-describedby={fileError() ? `${prefix()}-files-error` : undefined}
          onChange={(event) => chooseFiles(event.currentTarget.files)}
        />
        <Show when={fileError()}>
          {(text) => (
            <p class="field-error" id={`${prefix()}-files-error`} role="alert">
              {text()}
            </p>
          )}
        </Show>
      </div>
      <Show when={progress().length > 0}>
        <ul class="plain-list upload-list" aria-label="Uploads">
          <For each={progress()}>
            {(item) => (
              <li>
                <span>
                  {item.name} ({size(item.size)})
                </span>
                <progress
                  max={Math.max(1, item.size)}
                  value={item.sent}
                  aria-label={`Upload of ${item.name}`}
                  data-testid="upload-progress"
                />
                <span class="hint">{item.size > 0 ? Math.round((item.sent / item.size) * 100) : 100}%</span>
                <Show when={item.error}>
                  {(text) => (
                    <span class="field-error" role="alert">
                      {text()}
                    </span>
                  )}
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Show when={formError()}>
        {(text) => (
          <p class="form-error" role="alert" data-testid="submit-error">
            {text()}
          </p>
        )}
      </Show>
      <Show when={done()}>
        <p class="notice" role="status">
          Handed in.
        </p>
      </Show>
      <p class="actions">
        <button type="submit" class="button" disabled={busy()}>
          {busy() ? "Sending…" : props.entry.submission ? "Hand in again" : "Hand in"}
        </button>
        <Show when={busy() && files().length > 0}>
          <button
            type="button"
            class="link-button"
            onClick={() => {
              for (const upload of uploads) upload.abort()
            }}
          >
            Cancel uploads
          </button>
        </Show>
      </p>
    </form>
  )
}

function AssignmentView(props: { readonly entry: AssignmentEntry }) {
  const assignment = () => props.entry.assignment
  const closed = () => assignment().dueAt !== null && Date.parse(assignment().dueAt ?? "") < Date.now()
  return (
    <li class="assignment" data-testid="assignment">
      <h2>{assignment().title}</h2>
      <ul class="facts">
        <li>{plural(assignment().maxScore, "point")}</li>
        <li>
          <Show when={assignment().dueAt} fallback="No due date">
            {(due) => <>Due {formatDate(due())}</>}
          </Show>
        </li>
      </ul>
      <p class="prewrap">{assignment().instructions}</p>
      <Show when={assignment().rubric}>
        {(rubric) => (
          <details>
            <summary>How it is graded</summary>
            <p class="prewrap">{rubric()}</p>
          </details>
        )}
      </Show>
      <SubmissionView entry={props.entry} />
      <Show
        when={props.entry.submission?.status !== "graded" && !closed()}
        fallback={
          <p class="hint">
            {props.entry.submission?.status === "graded"
              ? "Your submission is graded, so it cannot be changed."
              : "The due date has passed."}
          </p>
        }
      >
        <SubmitForm entry={props.entry} />
      </Show>
    </li>
  )
}

export default function Assignments(props: RouteSectionProps) {
  const outcome = createAsync(() => getAssignments(props.params.courseId ?? ""))
  const page = () => {
    const current = outcome()
    return current?.ok === true ? current.value : undefined
  }
  return (
    <>
      <Title>Assignments — Lectern</Title>
      <p class="breadcrumb">
        <A href="/learn">My learning</A>
        <Show when={page()}>
          {(value) => (
            <>
              {" "}
              › <A href={`/learn/${value().courseId}`}>{value().courseTitle}</A>
            </>
          )}
        </Show>
      </p>
      <h1>Assignments</h1>
      <Show when={outcome()} fallback={<p class="loading">Loading the assignments…</p>}>
        <Show
          when={page()}
          fallback={
            <p class="form-error" role="alert">
              {(() => {
                const current = outcome()
                return current?.ok === false ? failureText(current.error) : ""
              })()}
            </p>
          }
        >
          {(value) => (
            <Show when={value().assignments.length > 0} fallback={<p class="empty">This course has no assignments.</p>}>
              <ul class="plain-list assignment-list">
                {/* By position: a refresh after handing in keeps each form (and its messages) in place. */}
                <Index each={value().assignments}>{(entry) => <AssignmentView entry={entry()} />}</Index>
              </ul>
            </Show>
          )}
        </Show>
      </Show>
    </>
  )
}
