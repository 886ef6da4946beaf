// A resumable upload to /media/uploads with tus-js-client: a file picker, a real progress bar, pause and resume.
// The session cookie authenticates it (see lib/upload.ts); no token is ever handed to the page.

import { createSignal, createUniqueId, Match, onCleanup, Show, Switch } from "solid-js"
import type { Upload } from "tus-js-client"
import { uploadFailure, uploadOptions } from "../../lib/upload.ts"

type State = "idle" | "uploading" | "paused" | "finishing" | "done" | "failed"

export default function TusUpload(props: {
  readonly label: string
  readonly accept: string
  readonly buttonLabel: string
  readonly hint?: string
  readonly testId?: string
  readonly disabled?: boolean
  /** A reason not to start yet (e.g. a missing title), shown instead of uploading. */
  readonly check?: () => string | undefined
  /** Runs when every byte arrived; a returned message is shown as the failure. */
  readonly onComplete: (uploadId: string, file: File) => Promise<string | undefined>
}) {
  const id = createUniqueId()
  const [file, setFile] = createSignal<File>()
  const [state, setState] = createSignal<State>("idle")
  const [percent, setPercent] = createSignal(0)
  const [problem, setProblem] = createSignal<string>()
  let upload: Upload | undefined

  const fail = (message: string) => {
    setProblem(message)
    setState("failed")
  }

  const start = async () => {
    const chosen = file()
    setProblem(undefined)
    if (chosen === undefined) return fail("Choose a file first.")
    const refusal = props.check?.()
    if (refusal !== undefined) return fail(refusal)
    if (upload !== undefined) {
      setState("uploading")
      return upload.start()
    }
    try {
      const tus = await import("tus-js-client")
      const created: Upload = new tus.Upload(chosen, {
        ...uploadOptions(chosen),
        onProgress: (sent, total) => setPercent(total > 0 ? Math.floor((sent / total) * 100) : 0),
        onError: (error) => fail(uploadFailure(error)),
        onSuccess: async () => {
          setPercent(100)
          setState("finishing")
          const uploadId = created.url?.split("/").pop() ?? ""
          const message = await props.onComplete(uploadId, chosen)
          if (message !== undefined) return fail(message)
          setState("done")
          upload = undefined
        }
      })
      upload = created
      // The same file picked again after a reload continues where its bytes stopped.
      const previous = await created.findPreviousUploads()
      if (previous[0] !== undefined) created.resumeFromPreviousUpload(previous[0])
      setState("uploading")
      created.start()
    } catch (error) {
      fail(error instanceof Error ? error.message : String(error))
    }
  }

  const pause = async () => {
    await upload?.abort()
    setState("paused")
  }

  onCleanup(() => {
    void upload?.abort()
  })

  const busy = () => state() === "uploading" || state() === "finishing"

  return (
    <div class="uploader" data-testid={props.testId}>
      <div class="form-field">
        <label for={`${id}-file`}>{props.label}</label>
        <input
          id={`${id}-file`}
          type="file"
          accept={props.accept}
          disabled={busy() || props.disabled}
          aria-describedby={props.hint ? `${id}-hint` : undefined}
          onChange={(event) => {
            setFile(event.currentTarget.files?.[0])
            upload = undefined
            setPercent(0)
            setProblem(undefined)
            setState("idle")
          }}
        />
        <Show when={props.hint}>
          <p class="hint" id={`${id}-hint`}>
            {props.hint}
          </p>
        </Show>
      </div>
      <div class="upload-actions">
        <Switch>
          <Match when={state() === "uploading"}>
            <button type="button" class="button button-secondary" onClick={() => void pause()}>
              Pause
            </button>
          </Match>
          <Match when={state() === "paused" || (state() === "failed" && upload !== undefined)}>
            <button type="button" class="button" onClick={() => void start()}>
              Resume
            </button>
          </Match>
          <Match when={state() !== "finishing"}>
            <button
              type="button"
              class="button"
              disabled={file() === undefined || props.disabled}
              onClick={() => void start()}
            >
              {props.buttonLabel}
            </button>
          </Match>
        </Switch>
      </div>
      <Show when={state() !== "idle"}>
        <div class="upload-progress">
          <label for={`${id}-progress`}>
            {state() === "paused"
              ? "Paused"
              : state() === "finishing"
                ? "Uploaded, processing…"
                : state() === "done"
                  ? "Uploaded"
                  : "Uploading"}
          </label>
          <progress id={`${id}-progress`} max="100" value={percent()}>
            {percent()}%
          </progress>
          <span class="progress-value" data-testid="upload-progress" aria-live="polite">
            {percent()}%
          </span>
        </div>
      </Show>
      <Show when={problem()}>
        {(message) => (
          <p class="form-error" role="alert">
            {message()}
          </p>
        )}
      </Show>
    </div>
  )
}
