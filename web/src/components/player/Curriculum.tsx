// A course's curriculum for its learner: sections, lessons with their kind and length, a tick on completed lessons,
// the current lesson marked with aria-current.
import { A } from "@solidjs/router"
import { For, Show } from "solid-js"
import { formatDuration } from "../../lib/format.ts"
import { type LessonEntry, lessonHref, type SectionEntry } from "../../lib/learning.ts"

const KIND: Readonly<Record<string, string>> = { video: "Video", embed: "Video", article: "Article", quiz: "Quiz" }

const statusText = (lesson: LessonEntry) =>
  lesson.status === "completed" ? "completed" : lesson.status === "in_progress" ? "in progress" : "not started"

export default function Curriculum(props: {
  readonly courseId: string
  readonly sections: ReadonlyArray<SectionEntry>
  readonly currentLessonId?: string | undefined
}) {
  return (
    <ol class="learn-curriculum">
      <For each={props.sections}>
        {(section) => (
          <li>
            <h3>{section.title}</h3>
            <ol>
              <For each={section.lessons}>
                {(lesson) => (
                  <li
                    class="learn-lesson"
                    classList={{ done: lesson.status === "completed", current: lesson.id === props.currentLessonId }}
                    data-testid="curriculum-lesson"
                    data-status={lesson.status}
                  >
                    <span class="tick" aria-hidden="true">
                      {lesson.status === "completed" ? "✓" : lesson.status === "in_progress" ? "◐" : "○"}
                    </span>
                    <A
                      href={lessonHref(props.courseId, lesson.id)}
                      aria-current={lesson.id === props.currentLessonId ? "page" : undefined}
                    >
                      {lesson.title}
                      <span class="visually-hidden">, {statusText(lesson)}</span>
                    </A>
                    <span class="lesson-meta">
                      {KIND[lesson.kind] ?? lesson.kind}
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
  )
}
