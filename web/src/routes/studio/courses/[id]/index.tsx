// A course in the studio: its review status, feedback and history, submitting for review, its details and thumbnail,
// its curriculum and its quizzes (deleting those no lesson shows); links to its assignments and roster.
import { Title } from "@solidjs/meta"
import { A, createAsync, type RouteDefinition, type RouteSectionProps, useSubmission } from "@solidjs/router"
import { For, Match, Show, Switch } from "solid-js"
import { FormError } from "../../../../components/FormMessage.tsx"
import Loaded from "../../../../components/Loaded.tsx"
import CourseForm from "../../../../components/studio/CourseForm.tsx"
import CurriculumEditor from "../../../../components/studio/CurriculumEditor.tsx"
import Refused from "../../../../components/studio/Refused.tsx"
import { failureOf, succeeded } from "../../../../components/studio/results.ts"
import ThumbnailField from "../../../../components/studio/ThumbnailField.tsx"
import { formatDate, plural } from "../../../../lib/format.ts"
import {
  type CourseEditor,
  deleteQuiz,
  getCourseEditor,
  type QuizEntry,
  STATUS_NAMES,
  submitForReview,
  type TransitionView,
  updateCourse
} from "../../../../lib/studio.ts"

export const route = {
  preload({ params }) {
    if (params.id) void getCourseEditor(params.id)
  }
} satisfies RouteDefinition

function ReviewPanel(props: { readonly editor: CourseEditor }) {
  const course = () => props.editor.detail.course
  const submission = useSubmission(submitForReview)
  return (
    <section aria-labelledby="review-title" class="studio-panel">
      <h2 id="review-title">Review</h2>
      <p>
        Status:{" "}
        <span class={`status status-${course().status}`} data-testid="course-status">
          {STATUS_NAMES[course().status]}
        </span>
      </p>
      <Switch>
        <Match when={course().status === "draft" || course().status === "rejected"}>
          <p class="hint">
            When the course is ready, send it to an admin. It cannot be edited while it waits for the decision.
          </p>
          <form action={submitForReview} method="post">
            <input type="hidden" name="id" value={course().id} />
            <button type="submit" class="button" disabled={submission.pending}>
              {submission.pending ? "Submitting…" : "Submit for review"}
            </button>
            <FormError failure={failureOf(submission.result)} />
          </form>
        </Match>
        <Match when={course().status === "pending_review"}>
          <p class="notice" role="status" data-testid="submitted">
            {succeeded(submission.result, "submitted") ? "Submitted. " : ""}
            Waiting for an admin's review.
          </p>
        </Match>
        <Match when={course().status === "published"}>
          <p class="notice" role="status">
            Published. <A href={`/courses/${course().slug}`}>See the public page</A>.
          </p>
        </Match>
      </Switch>
      <Show when={course().reviewFeedback}>
        {(feedback) => (
          <div class="review-note" data-testid="review-feedback">
            <h3>Reviewer's feedback</h3>
            <p>{feedback()}</p>
          </div>
        )}
      </Show>
      <History history={props.editor.history} />
    </section>
  )
}

function History(props: { readonly history: ReadonlyArray<TransitionView> }) {
  return (
    <details class="history">
      <summary>History ({props.history.length})</summary>
      <ol class="plain-list">
        <For each={[...props.history].reverse()}>
          {(transition) => (
            <li>
              <strong>{formatDate(transition.at)}</strong>:{" "}
              {transition.from === null
                ? "created"
                : `${STATUS_NAMES[transition.from]} → ${STATUS_NAMES[transition.to] ?? transition.to}`}
              <Show when={transition.note}>{(note) => <span class="hint"> — “{note()}”</span>}</Show>
            </li>
          )}
        </For>
      </ol>
    </details>
  )
}

function QuizzesPanel(props: { readonly quizzes: ReadonlyArray<QuizEntry>; readonly locked: boolean }) {
  const removed = useSubmission(deleteQuiz)
  return (
    <section aria-labelledby="quizzes-title" class="studio-panel" data-testid="course-quizzes">
      <h2 id="quizzes-title">Quizzes</h2>
      <Show when={props.quizzes.length > 0} fallback={<p class="empty">No quizzes yet: add a quiz lesson.</p>}>
        <ul class="plain-list">
          <For each={props.quizzes}>
            {(quiz) => (
              <li data-testid="course-quiz">
                <strong>{quiz.title}</strong> · {plural(quiz.questionCount, "question")} ·{" "}
                <Show when={quiz.lessonTitle} fallback={<span class="hint">not shown in any lesson</span>}>
                  {(lesson) => <span class="hint">in “{lesson()}”</span>}
                </Show>
                <Show when={quiz.lessonTitle === null}>
                  <form action={deleteQuiz} method="post">
                    <input type="hidden" name="id" value={quiz.id} />
                    <button type="submit" class="button button-secondary" disabled={props.locked || removed.pending}>
                      Delete “{quiz.title}”
                    </button>
                  </form>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <FormError failure={failureOf(removed.result)} />
    </section>
  )
}

function Editor(props: { readonly editor: CourseEditor }) {
  const course = () => props.editor.detail.course
  const locked = () => course().status === "pending_review"
  return (
    <>
      <Title>{`${course().title} — Studio — Lectern`}</Title>
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <A href="/studio">Studio</A> › {course().title}
      </nav>
      <h1>{course().title}</h1>
      <ul class="nav-list studio-tabs" aria-label="This course">
        <li>
          <A href={`/studio/courses/${course().id}/assignments`}>Assignments and grading</A>
        </li>
        <li>
          <A href={`/studio/courses/${course().id}/roster`}>Learners</A>
        </li>
        <li>
          <A href={`/courses/${course().slug}`}>Course page</A>
        </li>
      </ul>
      <div class="studio-layout">
        <div>
          <CurriculumEditor detail={props.editor.detail} locked={locked()} />
          <section aria-labelledby="details-title" class="studio-panel">
            <h2 id="details-title">Details</h2>
            <Show when={locked()}>
              <p class="hint">The course is in review: details are read-only until the decision.</p>
            </Show>
            <CourseForm
              action={updateCourse}
              categories={props.editor.categories}
              course={course()}
              submitLabel="Save details"
              disabled={locked()}
            />
          </section>
          <ThumbnailField
            courseId={course().id}
            courseTitle={course().title}
            thumbnail={course().thumbnail}
            disabled={locked()}
          />
          <Show when={props.editor.quizzes}>{(quizzes) => <QuizzesPanel quizzes={quizzes()} locked={locked()} />}</Show>
        </div>
        <ReviewPanel editor={props.editor} />
      </div>
    </>
  )
}

export default function CourseEditorPage(props: RouteSectionProps) {
  const editor = createAsync(() => getCourseEditor(props.params.id ?? ""))
  return (
    <Loaded outcome={editor()} loading="Loading the course…" failed={(failure) => <Refused failure={failure} />}>
      {(value) => <Editor editor={value} />}
    </Loaded>
  )
}
