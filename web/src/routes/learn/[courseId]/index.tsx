// A course's home for its learner: progress, the resume button, the curriculum with ticks, assignments and the
// certificate once the course is complete.
import { Title } from "@solidjs/meta"
import { A, createAsync, type RouteDefinition, type RouteSectionProps } from "@solidjs/router"
import { Show } from "solid-js"
import Loaded from "../../../components/Loaded.tsx"
import ProgressBar from "../../../components/ProgressBar.tsx"
import Curriculum from "../../../components/player/Curriculum.tsx"
import { failureText, getCourseOverview, lessonHref } from "../../../lib/learning.ts"

export const route = {
  preload({ params }) {
    if (params.courseId) void getCourseOverview(params.courseId)
  }
} satisfies RouteDefinition

export default function CourseHome(props: RouteSectionProps) {
  const overview = createAsync(() => getCourseOverview(props.params.courseId ?? ""))
  return (
    <Loaded
      outcome={overview()}
      loading="Loading the course…"
      failed={(failure) => (
        <>
          <Title>Course — Lectern</Title>
          <h1>This course cannot be opened</h1>
          <p class="form-error" role="alert">
            {failureText(failure)}
          </p>
          <p>
            <Show when={failure._tag === "Unauthorized"} fallback={<A href="/learn">Back to my learning</A>}>
              <A href={`/login?next=${encodeURIComponent(`/learn/${props.params.courseId ?? ""}`)}`}>Sign in</A>
            </Show>
          </p>
        </>
      )}
    >
      {(course) => (
        <>
          <Title>{`${course.title} — My learning — Lectern`}</Title>
          <p class="breadcrumb">
            <A href="/learn">My learning</A>
          </p>
          <h1>{course.title}</h1>
          <ProgressBar percent={course.percent} label={`Progress in ${course.title}`} />
          <p class="actions">
            <Show when={course.resumeLessonId}>
              {(lessonId) => (
                <A class="button" href={lessonHref(course.courseId, lessonId())}>
                  {course.percent > 0 ? "Resume" : "Start the course"}
                </A>
              )}
            </Show>
            <A href={`/learn/${course.courseId}/assignments`}>Assignments</A>
            <A href={`/courses/${course.slug}`}>Course page</A>
            <Show when={course.completedAt}>
              <A href="/learn/certificates">Your certificate</A>
            </Show>
          </p>
          <section aria-labelledby="curriculum-title">
            <h2 id="curriculum-title">Curriculum</h2>
            <Curriculum courseId={course.courseId} sections={course.sections} />
          </section>
        </>
      )}
    </Loaded>
  )
}
