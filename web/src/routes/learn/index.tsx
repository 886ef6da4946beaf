// My learning: every enrolled course with its progress and a resume button, then recommendations with their reasons.
import { Title } from "@solidjs/meta"
import { A, createAsync, type RouteDefinition } from "@solidjs/router"
import { For, Show } from "solid-js"
import CourseImage from "../../components/CourseImage.tsx"
import Loaded from "../../components/Loaded.tsx"
import ProgressBar from "../../components/ProgressBar.tsx"
import { formatDate } from "../../lib/format.ts"
import { failureText, getMyLearning } from "../../lib/learning.ts"

export const route = {
  preload() {
    void getMyLearning()
  }
} satisfies RouteDefinition

export default function MyLearning() {
  const page = createAsync(() => getMyLearning())
  return (
    <>
      <Title>My learning — Lectern</Title>
      <div class="page-heading">
        <h1>My learning</h1>
        <A href="/learn/certificates">My certificates</A>
      </div>
      <Loaded
        outcome={page()}
        loading="Loading your courses…"
        failed={(failure) => (
          <p class="form-error" role="alert">
            {failure._tag === "Unauthorized" ? (
              <>
                <A href="/login?next=/learn">Sign in</A> to see your courses.
              </>
            ) : (
              failureText(failure)
            )}
          </p>
        )}
      >
        {(value) => (
          <>
            <section aria-labelledby="enrolled-title">
              <h2 id="enrolled-title">Your courses</h2>
              <Show
                when={value.enrollments.length > 0}
                fallback={
                  <p class="empty" data-testid="no-enrollments">
                    You have not enrolled in a course yet. <A href="/courses">Browse the courses</A> to start.
                  </p>
                }
              >
                <ul class="enrollment-list">
                  <For each={value.enrollments}>
                    {(enrollment) => (
                      <li class="enrollment-card" data-testid="enrollment">
                        <CourseImage
                          thumbnail={enrollment.thumbnail}
                          title={enrollment.courseTitle}
                          size="small"
                          lazy
                        />
                        <h3>{enrollment.courseTitle}</h3>
                        <ProgressBar
                          percent={enrollment.progressPercent}
                          label={`Progress in ${enrollment.courseTitle}`}
                        />
                        <p class="hint">
                          <Show
                            when={enrollment.completedAt}
                            fallback={<>Enrolled {formatDate(enrollment.enrolledAt)}</>}
                          >
                            {(at) => <>Completed {formatDate(at())}</>}
                          </Show>
                        </p>
                        <A class="button button-small" href={enrollment.resumeHref}>
                          {enrollment.completedAt !== null
                            ? "Review"
                            : enrollment.lastLessonId === null
                              ? "Start"
                              : "Resume"}
                          <span class="visually-hidden"> {enrollment.courseTitle}</span>
                        </A>
                      </li>
                    )}
                  </For>
                </ul>
              </Show>
            </section>
            <section aria-labelledby="recommended-title" class="shelf">
              <h2 id="recommended-title">Recommended for you</h2>
              <Show
                when={!value.recommendationsFailed}
                fallback={<p class="empty">Recommendations are unavailable.</p>}
              >
                <Show
                  when={value.recommendations.length > 0}
                  fallback={<p class="empty">No recommendations yet: enroll in a course first.</p>}
                >
                  <ul class="course-grid" aria-label="Recommended courses">
                    <For each={value.recommendations}>
                      {(course) => (
                        <li>
                          <article class="course-card" data-testid="recommendation">
                            <CourseImage thumbnail={course.thumbnail} title={course.title} size="small" lazy />
                            <h3>
                              <A href={`/courses/${course.slug}`}>{course.title}</A>
                            </h3>
                            <Show when={course.subtitle}>{(subtitle) => <p class="subtitle">{subtitle()}</p>}</Show>
                            <p class="reason">{course.reason}</p>
                          </article>
                        </li>
                      )}
                    </For>
                  </ul>
                </Show>
              </Show>
            </section>
          </>
        )}
      </Loaded>
    </>
  )
}
