// A course's assignments in the studio: create, edit and delete them; read every learner's latest submission and
// grade it (score and feedback; grading again replaces the grade).
import { Title } from "@solidjs/meta"
import { A, createAsync, type RouteDefinition, type RouteSectionProps, useSubmission } from "@solidjs/router"
import { createUniqueId, For, Show } from "solid-js"
import Loaded from "../../../../components/Loaded.tsx"
import { InputField, TextAreaField } from "../../../../components/studio/Fields.tsx"
import Refused from "../../../../components/studio/Refused.tsx"
import { failureOf, succeeded } from "../../../../components/studio/results.ts"
import { formatDate } from "../../../../lib/format.ts"
import {
  type AssignmentView,
  deleteAssignment,
  getAssignments,
  getSubmissions,
  gradeSubmission,
  learnerLabel,
  type SubmissionView,
  saveAssignment
} from "../../../../lib/studio.ts"

export const route = {
  preload({ params }) {
    if (params.id) void getAssignments(params.id)
  }
} satisfies RouteDefinition

/** An instant as a datetime-local input's value, in UTC (the form reads it back as UTC). */
const localValue = (iso: string | null) => (iso === null ? "" : iso.slice(0, 16))

function AssignmentForm(props: { readonly courseId: string; readonly assignment?: AssignmentView }) {
  const key = createUniqueId()
  const submission = useSubmission(saveAssignment, ([form]) => form.get("formKey") === key)
  const failed = () => failureOf(submission.result)
  return (
    <form action={saveAssignment} method="post" novalidate class="assignment-form">
      <input type="hidden" name="formKey" value={key} />
      <input type="hidden" name="courseId" value={props.courseId} />
      <input type="hidden" name="id" value={props.assignment?.id ?? ""} />
      <InputField name="title" label="Title" idPrefix={key} value={props.assignment?.title ?? ""} failure={failed()} />
      <TextAreaField
        name="instructions"
        label="Instructions"
        idPrefix={key}
        rows={5}
        value={props.assignment?.instructions ?? ""}
        failure={failed()}
      />
      <TextAreaField
        name="rubric"
        label="Rubric (shown to learners)"
        idPrefix={key}
        rows={3}
        value={props.assignment?.rubric ?? ""}
        failure={failed()}
      />
      <div class="field-row">
        <InputField
          name="maxScore"
          label="Maximum score"
          idPrefix={key}
          inputmode="numeric"
          value={String(props.assignment?.maxScore ?? 10)}
          failure={failed()}
        />
        <InputField
          name="dueAt"
          label="Due (UTC, optional)"
          idPrefix={key}
          type="datetime-local"
          value={localValue(props.assignment?.dueAt ?? null)}
          failure={failed()}
        />
      </div>
      <Show when={failed() !== undefined && failed()?.field === undefined}>
        <p class="form-error" role="alert">
          {failed()?.message}
        </p>
      </Show>
      <Show when={succeeded(submission.result, "saved") && !submission.pending}>
        <p class="notice" role="status">
          Saved.
        </p>
      </Show>
      <button type="submit" class="button" disabled={submission.pending}>
        {submission.pending ? "Saving…" : props.assignment ? "Save assignment" : "Add assignment"}
      </button>
    </form>
  )
}

function GradeForm(props: { readonly submission: SubmissionView; readonly maxScore: number }) {
  const key = createUniqueId()
  const graded = useSubmission(gradeSubmission, ([form]) => form.get("submissionId") === props.submission.id)
  const failed = () => failureOf(graded.result)
  return (
    <form action={gradeSubmission} method="post" novalidate class="grade-form">
      <input type="hidden" name="submissionId" value={props.submission.id} />
      <InputField
        name="score"
        label={`Score (0–${props.maxScore})`}
        idPrefix={key}
        inputmode="decimal"
        value={props.submission.score === null ? "" : String(props.submission.score)}
        failure={failed()}
      />
      <TextAreaField
        name="feedback"
        label="Feedback"
        idPrefix={key}
        rows={3}
        value={props.submission.feedback ?? ""}
        failure={failed()}
      />
      <Show when={failed() !== undefined && failed()?.field === undefined}>
        <p class="form-error" role="alert">
          {failed()?.message}
        </p>
      </Show>
      <button type="submit" class="button button-small" disabled={graded.pending}>
        {graded.pending ? "Saving…" : props.submission.status === "graded" ? "Update grade" : "Grade"}
      </button>
    </form>
  )
}

function Submissions(props: { readonly assignment: AssignmentView }) {
  const list = createAsync(() => getSubmissions(props.assignment.id))
  return (
    <Loaded outcome={list()} loading="Loading submissions…">
      {(items) => (
        <Show when={items.length > 0} fallback={<p class="empty">No submissions yet.</p>}>
          <ul class="plain-list">
            <For each={items}>
              {(submission) => (
                <li class="submission" data-testid="submission">
                  <p>
                    <strong data-testid="submission-learner">
                      {learnerLabel(submission.learnerName, submission.userId)}
                    </strong>{" "}
                    · revision {submission.revision} · {formatDate(submission.submittedAt)} ·{" "}
                    {submission.status === "graded"
                      ? `graded ${submission.score}/${props.assignment.maxScore}`
                      : "not graded yet"}
                  </p>
                  <Show when={submission.text}>{(text) => <p class="submission-text">{text()}</p>}</Show>
                  <Show when={submission.attachments.length > 0}>
                    <ul class="hint">
                      <For each={submission.attachments}>
                        {(file) => (
                          <li>
                            <a
                              href={`/learn/attachments/${encodeURIComponent(submission.id)}/${encodeURIComponent(file.uploadId)}`}
                              download={file.filename}
                            >
                              {file.filename}
                            </a>{" "}
                            ({Math.ceil(file.sizeBytes / 1024)} KiB)
                          </li>
                        )}
                      </For>
                    </ul>
                  </Show>
                  <GradeForm submission={submission} maxScore={props.assignment.maxScore} />
                </li>
              )}
            </For>
          </ul>
        </Show>
      )}
    </Loaded>
  )
}

export default function AssignmentsPage(props: RouteSectionProps) {
  const data = createAsync(() => getAssignments(props.params.id ?? ""))
  const removed = useSubmission(deleteAssignment)
  return (
    <Loaded outcome={data()} loading="Loading assignments…" failed={(failure) => <Refused failure={failure} />}>
      {(value) => (
        <>
          <Title>{`Assignments — ${value.course.title} — Studio — Lectern`}</Title>
          <nav aria-label="Breadcrumb" class="breadcrumb">
            <A href="/studio">Studio</A> › <A href={`/studio/courses/${value.course.id}`}>{value.course.title}</A> ›
            Assignments
          </nav>
          <h1>Assignments and grading</h1>
          <Show when={failureOf(removed.result)}>
            {(failure) => (
              <p class="form-error" role="alert">
                {failure().message}
              </p>
            )}
          </Show>
          <Show when={value.assignments.length > 0} fallback={<p class="empty">No assignments yet.</p>}>
            <ul class="plain-list">
              <For each={value.assignments}>
                {(assignment) => (
                  <li class="studio-panel">
                    <h2>{assignment.title}</h2>
                    <details>
                      <summary>Edit “{assignment.title}”</summary>
                      <AssignmentForm courseId={value.course.id} assignment={assignment} />
                      <form action={deleteAssignment} method="post">
                        <input type="hidden" name="id" value={assignment.id} />
                        <button type="submit" class="link-button danger">
                          Delete this assignment
                        </button>
                      </form>
                    </details>
                    <h3>Submissions</h3>
                    <Submissions assignment={assignment} />
                  </li>
                )}
              </For>
            </ul>
          </Show>
          <section aria-labelledby="new-assignment" class="studio-panel">
            <h2 id="new-assignment">New assignment</h2>
            <AssignmentForm courseId={value.course.id} />
          </section>
        </>
      )}
    </Loaded>
  )
}
