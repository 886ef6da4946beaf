// A course: its picture, who made it, what it teaches, its curriculum (durations, preview lessons), its numbers, related courses, and enrolling.
import { Title } from "@solidjs/meta"
import {
  A,
  createAsync,
  type RouteDefinition,
  type RouteSectionProps,
  useSearchParams,
  useSubmission
} from "@solidjs/router"
import { HttpStatusCode } from "@solidjs/start"
import { For, Show } from "solid-js"
import CourseImage from "../../components/CourseImage.tsx"
import CourseList from "../../components/CourseList.tsx"
import { FormError } from "../../components/FormMessage.tsx"
import Loaded from "../../components/Loaded.tsx"
import { type CoursePage, enroll, getCoursePage } from "../../lib/catalog.ts"
import { formatDate, formatDuration, formatLanguage, formatLevel, formatPrice, plural } from "../../lib/format.ts"

export const route = {
  preload({ params }) {
    if (params.slug) void getCoursePage(params.slug)
  }
} satisfies RouteDefinition

const LESSON_KINDS: Readonly<Record<string, string>> = {
  video: "Video",
  embed: "Video",
  article: "Article",
  quiz: "Quiz"
}

function EnrollBox(props: { readonly page: CoursePage }) {
  const submission = useSubmission(enroll)
  const [params] = useSearchParams()
  const course = () => props.page.detail.course
  return (
    <aside class="enroll-box" aria-labelledby="enroll-title">
      <h2 id="enroll-title" class="visually-hidden">
        Enrollment
      </h2>
      <p class="price">{formatPrice(course().price)}</p>
      <Show
        when={!props.page.enrolled}
        fallback={
          <p class="notice" role="status" data-testid="enrolled">
            {params.enrolled ? "You are enrolled. " : "You are enrolled in this course. "}
            <A href={`/learn/${course().id}`} class="button button-small" data-testid="go-to-course">
              Go to the course
            </A>
          </p>
        }
      >
        <form action={enroll} method="post">
          <input type="hidden" name="courseId" value={course().id} />
          <input type="hidden" name="slug" value={course().slug} />
          <button type="submit" class="button" disabled={submission.pending}>
            {submission.pending ? "Enrolling…" : course().price.amount === 0 ? "Enroll for free" : "Enroll"}
          </button>
          <FormError failure={submission.result} />
        </form>
      </Show>
      <ul class="facts">
        <li>{plural(course().lessonCount, "lesson")}</li>
        <li>{formatDuration(course().durationSeconds)} in total</li>
        <li>{formatLevel(course().level)}</li>
        <li>{formatLanguage(course().language)}</li>
      </ul>
    </aside>
  )
}

function CourseView(props: { readonly page: CoursePage }) {
  const course = () => props.page.detail.course
  return (
    <article>
      <Title>{`${course().title} — Lectern`}</Title>
      <header class="course-header">
        <CourseImage thumbnail={course().thumbnail} title={course().title} size="large" class="course-hero" />
        <h1>{course().title}</h1>
        <Show when={course().subtitle}>{(subtitle) => <p class="subtitle">{subtitle()}</p>}</Show>
        <Show when={props.page.detail.creator.name}>
          {(name) => (
            <p class="creator" data-testid="creator">
              By {name()}
            </p>
          )}
        </Show>
        <ul class="facts" aria-label="At a glance">
          <li>
            <Show when={course().ratingAverage !== null} fallback="No ratings yet">
              {course().ratingAverage?.toFixed(1)} ★ from {plural(course().ratingCount, "rating")}
            </Show>
          </li>
          <li data-testid="enrollment-count">{plural(course().enrollmentCount, "learner")}</li>
          <Show when={course().publishedAt}>{(at) => <li>Published {formatDate(at())}</li>}</Show>
          <Show when={course().tags.length > 0}>
            <li>{course().tags.join(", ")}</li>
          </Show>
        </ul>
      </header>
      <div class="course-layout">
        <div>
          <section aria-labelledby="about">
            <h2 id="about">About this course</h2>
            <p class="description">{course().description}</p>
          </section>
          <section aria-labelledby="curriculum">
            <h2 id="curriculum">Curriculum</h2>
            <p class="hint">
              {plural(props.page.detail.sections.length, "section")} · {plural(course().lessonCount, "lesson")} ·{" "}
              {formatDuration(course().durationSeconds)}
            </p>
            <ol class="curriculum">
              <For each={props.page.detail.sections}>
                {(section) => (
                  <li>
                    <h3>{section.title}</h3>
                    <ol class="lessons">
                      <For each={section.lessons}>
                        {(lesson) => (
                          <li data-testid="lesson">
                            <span>
                              {lesson.title}
                              <Show when={lesson.isPreview}>
                                <span class="badge">Preview</span>
                              </Show>
                            </span>
                            <span class="lesson-meta">
                              {LESSON_KINDS[lesson.kind] ?? lesson.kind}
                              <Show when={lesson.durationSeconds > 0}> · {formatDuration(lesson.durationSeconds)}</Show>
                            </span>
                          </li>
                        )}
                      </For>
                    </ol>
                  </li>
                )}
              </For>
            </ol>
          </section>
        </div>
        <EnrollBox page={props.page} />
      </div>
      <Show when={props.page.related.length > 0}>
        <section aria-labelledby="related" class="shelf">
          <h2 id="related">Related courses</h2>
          <CourseList courses={props.page.related} empty="" />
        </section>
      </Show>
    </article>
  )
}

export default function Course(props: RouteSectionProps) {
  const page = createAsync(() => getCoursePage(props.params.slug ?? ""))
  return (
    <Loaded
      outcome={page()}
      loading="Loading the course…"
      failed={(failure) => (
        <>
          <Show when={failure._tag === "CourseNotFound"}>
            <HttpStatusCode code={404} />
          </Show>
          <Title>Course not found — Lectern</Title>
          <h1>{failure._tag === "CourseNotFound" ? "Course not found" : "This course could not be loaded"}</h1>
          <p>
            <A href="/courses">Browse the courses</A>
          </p>
        </>
      )}
    >
      {(value) => <CourseView page={value} />}
    </Loaded>
  )
}
