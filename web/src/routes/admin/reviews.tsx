// The course review queue: courses waiting for a decision (catalog's course.reviewQueue, oldest submission first, a
// page at a time), each with its curriculum, creator and links, approved or rejected with feedback; any course can
// also be looked up by link, slug or id.
import { Title } from "@solidjs/meta"
import { A, createAsync, useSearchParams, useSubmission } from "@solidjs/router"
import { createUniqueId, For, Show } from "solid-js"
import AdminNav from "../../components/admin/AdminNav.tsx"
import Loaded from "../../components/Loaded.tsx"
import { TextAreaField } from "../../components/studio/Fields.tsx"
import Refused from "../../components/studio/Refused.tsx"
import { failureOf } from "../../components/studio/results.ts"
import { type AdminUser, getReviewQueue, reviewCourse } from "../../lib/admin.ts"
import { formatDateTime, formatDuration, formatPrice, plural } from "../../lib/format.ts"
import { type CourseDetailView, KIND_NAMES, STATUS_NAMES } from "../../lib/studio.ts"

function ReviewForm(props: { readonly detail: CourseDetailView }) {
  const key = createUniqueId()
  const submission = useSubmission(reviewCourse, ([form]) => form.get("id") === props.detail.course.id)
  const failed = () => failureOf(submission.result)
  return (
    <form action={reviewCourse} method="post" novalidate>
      <input type="hidden" name="id" value={props.detail.course.id} />
      <TextAreaField
        name="feedback"
        label="Feedback to the creator"
        hint="Required when rejecting; shown to the creator either way."
        idPrefix={key}
        rows={3}
        failure={failed()}
      />
      <Show when={failed() !== undefined && failed()?.field === undefined}>
        <p class="form-error" role="alert">
          {failed()?.message}
        </p>
      </Show>
      <div class="row-actions">
        <button type="submit" name="decision" value="approve" class="button" disabled={submission.pending}>
          Approve and publish
        </button>
        <button
          type="submit"
          name="decision"
          value="reject"
          class="button button-secondary"
          disabled={submission.pending}
        >
          Reject
        </button>
      </div>
    </form>
  )
}

/** "Name (email)" from what is known: the catalog's creator name, auth's user list (for the email), else a short id. */
const ownerLabel = (ownerId: string, name: string | null, owner: AdminUser | undefined) => {
  const shown = name ?? owner?.name
  if (shown === undefined) return `user ${ownerId.slice(0, 8)}`
  return owner ? `${shown} (${owner.email})` : shown
}

function CourseReview(props: {
  readonly detail: CourseDetailView
  readonly owner: AdminUser | undefined
  readonly creatorName?: string | null
  readonly submittedAt?: string
}) {
  const course = () => props.detail.course
  return (
    <article class="studio-panel" data-testid="review-item">
      <h2>{course().title}</h2>
      <p class="hint">
        by {ownerLabel(course().ownerId, props.creatorName ?? null, props.owner)} · {formatPrice(course().price)} ·{" "}
        {plural(course().lessonCount, "lesson")} · {formatDuration(course().durationSeconds)} ·{" "}
        <span class={`status status-${course().status}`}>{STATUS_NAMES[course().status]}</span>
        <Show when={props.submittedAt}>
          {(at) => (
            <>
              {" "}
              · submitted <time datetime={at()}>{formatDateTime(at())}</time>
            </>
          )}
        </Show>
      </p>
      <Show when={course().subtitle}>{(subtitle) => <p>{subtitle()}</p>}</Show>
      <details>
        <summary>Description and curriculum</summary>
        <p class="description">{course().description}</p>
        <ol>
          <For each={props.detail.sections}>
            {(section) => (
              <li>
                {section.title}
                <ul>
                  <For each={section.lessons}>
                    {(lesson) => (
                      <li>
                        {lesson.title} <span class="hint">({KIND_NAMES[lesson.kind]})</span>
                      </li>
                    )}
                  </For>
                </ul>
              </li>
            )}
          </For>
        </ol>
      </details>
      <p>
        <A href={`/courses/${course().slug}`}>Open the course page</A>
      </p>
      <Show when={course().status === "pending_review"}>
        <ReviewForm detail={props.detail} />
      </Show>
    </article>
  )
}

export default function ReviewsPage() {
  const [params] = useSearchParams<{ course?: string; after?: string }>()
  const queue = createAsync(() => getReviewQueue(params.course, params.after))
  return (
    <>
      <Title>Course reviews — Admin — Lectern</Title>
      <h1>Course reviews</h1>
      <AdminNav />
      <search>
        <form method="get" class="search-form">
          <label for="review-lookup">Find a course by link, slug or id</label>
          <div class="search-row">
            <input id="review-lookup" name="course" value={params.course ?? ""} />
            <button type="submit" class="button">
              Find
            </button>
          </div>
        </form>
      </search>
      <Loaded outcome={queue()} loading="Loading the queue…" failed={(failure) => <Refused failure={failure} />}>
        {(value) => (
          <>
            <Show when={value.lookupProblem}>
              {(problem) => (
                <p class="form-error" role="alert">
                  {problem()}
                </p>
              )}
            </Show>
            <Show when={value.found}>
              {(found) => <CourseReview detail={found()} owner={value.owners[found().course.ownerId]} />}
            </Show>
            <h2>Waiting for review</h2>
            <p class="hint">Oldest submission first.</p>
            <Show when={value.pending.length > 0} fallback={<p class="empty">Nothing waits for review.</p>}>
              <ul class="plain-list">
                <For each={value.pending}>
                  {(entry) => (
                    <li>
                      <CourseReview
                        detail={entry.detail}
                        owner={value.owners[entry.detail.course.ownerId]}
                        creatorName={entry.creator.name}
                        submittedAt={entry.submittedAt}
                      />
                    </li>
                  )}
                </For>
              </ul>
            </Show>
            <nav aria-label="Queue pages" class="row-actions">
              <Show when={params.after}>
                <A href="/admin/reviews">First page</A>
              </Show>
              <Show when={value.nextCursor}>
                {(next) => <A href={`/admin/reviews?after=${encodeURIComponent(next())}`}>Next page</A>}
              </Show>
            </nav>
          </>
        )}
      </Loaded>
    </>
  )
}
