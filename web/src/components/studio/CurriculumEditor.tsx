// The curriculum editor: sections and lessons, reordered by drag and drop or by the move buttons (keyboard), each
// change saved at once with curriculum.reorder; add, rename and delete sections, add and delete lessons.
import { A, useAction, useSubmission } from "@solidjs/router"
import { createEffect, createSignal, For, type JSX, Show } from "solid-js"
import { formatDuration } from "../../lib/format.ts"
import {
  addSection,
  type CourseDetailView,
  deleteLesson,
  deleteSection,
  KIND_NAMES,
  type LessonView,
  renameSection,
  reorderCurriculum,
  type SectionView
} from "../../lib/studio.ts"
import { FormError } from "../FormMessage.tsx"
import { InputField } from "./Fields.tsx"
import { failureOf } from "./results.ts"

interface Draft {
  readonly id: string
  readonly title: string
  readonly lessons: ReadonlyArray<LessonView>
}

const draftOf = (sections: ReadonlyArray<SectionView>): ReadonlyArray<Draft> =>
  sections.map((section) => ({ id: section.id, title: section.title, lessons: section.lessons }))

type Dragged = { readonly kind: "section"; readonly id: string } | { readonly kind: "lesson"; readonly id: string }

const without = <A,>(items: ReadonlyArray<A>, index: number) => [...items.slice(0, index), ...items.slice(index + 1)]
const inserted = <A,>(items: ReadonlyArray<A>, index: number, item: A) => [
  ...items.slice(0, index),
  item,
  ...items.slice(index)
]

/** Where a lesson is: its section's index and its own. */
const locate = (sections: ReadonlyArray<Draft>, lessonId: string) => {
  for (const [s, section] of sections.entries()) {
    const l = section.lessons.findIndex((lesson) => lesson.id === lessonId)
    if (l >= 0) return { s, l }
  }
  return undefined
}

function lessonStatus(lesson: LessonView): string | undefined {
  if (lesson.content?.kind === "video") return lesson.content.mediaReady ? "Video ready" : "Video processing"
  return undefined
}

export default function CurriculumEditor(props: { readonly detail: CourseDetailView; readonly locked: boolean }) {
  const courseId = () => props.detail.course.id
  const [sections, setSections] = createSignal<ReadonlyArray<Draft>>(draftOf(props.detail.sections))
  createEffect(() => setSections(draftOf(props.detail.sections)))
  const [announcement, setAnnouncement] = createSignal("")
  const [problem, setProblem] = createSignal<string>()
  const [dragged, setDragged] = createSignal<Dragged>()
  const [dropTarget, setDropTarget] = createSignal<string>()
  const save = useAction(reorderCurriculum)
  const added = useSubmission(addSection)
  const renamed = useSubmission(renameSection)
  const removedSection = useSubmission(deleteSection)
  const removedLesson = useSubmission(deleteLesson)

  /**
   * Keeps the keyboard where it was: moving re-inserts the item's element, which drops its focus, so the moved
   * item's button for the same direction (or the other one, at an end) takes it back.
   */
  const refocus = (key: string | undefined) => {
    if (key === undefined) return
    const [item, direction] = key.split("|")
    const same = document.querySelector<HTMLButtonElement>(`[data-move="${item}|${direction}"]`)
    const other = document.querySelector<HTMLButtonElement>(
      `[data-move="${item}|${direction === "up" ? "down" : "up"}"]`
    )
    ;(same && !same.disabled ? same : other)?.focus()
  }

  /** Shows `next` at once, saves it, and goes back to what was there when the catalog refuses. */
  const apply = async (next: ReadonlyArray<Draft>, message: string, focusKey?: string) => {
    const before = sections()
    setSections(next)
    refocus(focusKey)
    setProblem(undefined)
    const result = await save({
      courseId: courseId(),
      sections: next.map((section) => ({ id: section.id, lessonIds: section.lessons.map((lesson) => lesson.id) }))
    })
    const failure = failureOf(result)
    if (failure !== undefined) {
      setSections(before)
      setProblem(failure.message)
      setAnnouncement(`Not moved: ${failure.message}`)
      return
    }
    setAnnouncement(message)
  }

  const moveSection = (index: number, to: number) => {
    const list = sections()
    const section = list[index]
    if (section === undefined || to < 0 || to >= list.length || to === index) return
    void apply(
      inserted(without(list, index), to, section),
      `Section “${section.title}” moved to position ${to + 1}.`,
      `${section.id}|${to < index ? "up" : "down"}`
    )
  }

  /** One step up or down; past the end of its section a lesson moves into the neighbouring one. */
  const stepLesson = (s: number, l: number, delta: -1 | 1) => {
    const list = sections()
    const section = list[s]
    const lesson = section?.lessons[l]
    if (section === undefined || lesson === undefined) return
    const target = l + delta
    if (target >= 0 && target < section.lessons.length) {
      const next = list.map((item, i) =>
        i === s ? { ...item, lessons: inserted(without(item.lessons, l), target, lesson) } : item
      )
      return void apply(
        next,
        `Lesson “${lesson.title}” moved to position ${target + 1} in “${section.title}”.`,
        `${lesson.id}|${delta < 0 ? "up" : "down"}`
      )
    }
    const neighbour = list[s + delta]
    if (neighbour === undefined) return
    const next = list.map((item, i) => {
      if (i === s) return { ...item, lessons: without(item.lessons, l) }
      if (i === s + delta)
        return { ...item, lessons: delta < 0 ? [...item.lessons, lesson] : [lesson, ...item.lessons] }
      return item
    })
    void apply(
      next,
      `Lesson “${lesson.title}” moved to section “${neighbour.title}”.`,
      `${lesson.id}|${delta < 0 ? "up" : "down"}`
    )
  }

  /** Drops the dragged lesson before `beforeLessonId`, or at the end of section `s`. */
  const dropLesson = (lessonId: string, s: number, beforeLessonId: string | undefined) => {
    const list = sections()
    const from = locate(list, lessonId)
    if (from === undefined || lessonId === beforeLessonId) return
    const lesson = list[from.s]?.lessons[from.l]
    if (lesson === undefined) return
    const removed = list.map((item, i) => (i === from.s ? { ...item, lessons: without(item.lessons, from.l) } : item))
    const section = removed[s]
    if (section === undefined) return
    const at =
      beforeLessonId === undefined ? section.lessons.length : section.lessons.findIndex((x) => x.id === beforeLessonId)
    const next = removed.map((item, i) =>
      i === s ? { ...item, lessons: inserted(item.lessons, Math.max(0, at), lesson) } : item
    )
    void apply(next, `Lesson “${lesson.title}” moved to “${section.title}”.`)
  }

  const onDragStart = (item: Dragged) => (event: DragEvent) => {
    event.stopPropagation()
    setDragged(item)
    event.dataTransfer?.setData("text/plain", item.id)
    if (event.dataTransfer) event.dataTransfer.effectAllowed = "move"
  }
  const allowDrop = (target: string) => (event: DragEvent) => {
    if (dragged() === undefined) return
    event.preventDefault()
    event.stopPropagation()
    setDropTarget(target)
  }
  const endDrag = () => {
    setDragged(undefined)
    setDropTarget(undefined)
  }
  const onDropOnSection = (s: number) => (event: DragEvent) => {
    event.preventDefault()
    event.stopPropagation()
    const item = dragged()
    endDrag()
    if (item?.kind === "section") {
      const from = sections().findIndex((section) => section.id === item.id)
      if (from >= 0) moveSection(from, s)
    } else if (item?.kind === "lesson") dropLesson(item.id, s, undefined)
  }
  const onDropOnLesson = (s: number, lessonId: string) => (event: DragEvent) => {
    const item = dragged()
    if (item?.kind !== "lesson") return
    event.preventDefault()
    event.stopPropagation()
    endDrag()
    dropLesson(item.id, s, lessonId)
  }

  const moveButton = (
    label: string,
    key: string,
    text: string,
    disabled: boolean,
    onClick: () => void
  ): JSX.Element => (
    <button
      type="button"
      class="icon-button"
      data-move={key}
      aria-label={label}
      title={label}
      disabled={disabled || props.locked}
      onClick={onClick}
    >
      {text}
    </button>
  )

  const lessonCount = () => sections().reduce((sum, section) => sum + section.lessons.length, 0)

  return (
    <section aria-labelledby="curriculum-title" class="studio-panel">
      <h2 id="curriculum-title">Curriculum</h2>
      <p class="hint">
        Drag sections and lessons to reorder them, or use the arrow buttons. Changes are saved at once.
      </p>
      <p class="visually-hidden" aria-live="polite" data-testid="reorder-status">
        {announcement()}
      </p>
      <Show when={problem()}>
        {(message) => (
          <p class="form-error" role="alert">
            {message()}
          </p>
        )}
      </Show>
      <FormError
        failure={failureOf(renamed.result) ?? failureOf(removedSection.result) ?? failureOf(removedLesson.result)}
      />
      <Show when={sections().length > 0} fallback={<p class="empty">No sections yet. Add the first one below.</p>}>
        <ol class="curriculum-editor" data-testid="curriculum-editor">
          <For each={sections()}>
            {(section, s) => (
              <li
                class="section-card"
                classList={{ "drop-target": dropTarget() === section.id }}
                data-testid="section"
                onDragOver={allowDrop(section.id)}
                onDrop={onDropOnSection(s())}
                onDragEnd={endDrag}
              >
                {/* biome-ignore lint/a11y/noStaticElementInteractions: dragging is for pointers; the move buttons are the keyboard's way */}
                <div
                  class="section-head"
                  draggable={!props.locked}
                  onDragStart={onDragStart({ kind: "section", id: section.id })}
                >
                  <span class="drag-handle" aria-hidden="true">
                    ⠿
                  </span>
                  <form action={renameSection} method="post" class="inline-form">
                    <input type="hidden" name="id" value={section.id} />
                    <label class="visually-hidden" for={`section-title-${section.id}`}>
                      Section {s() + 1} title
                    </label>
                    <input
                      id={`section-title-${section.id}`}
                      name="title"
                      value={section.title}
                      disabled={props.locked}
                      class="section-title-input"
                    />
                    <button type="submit" class="button button-small button-secondary" disabled={props.locked}>
                      Rename
                    </button>
                  </form>
                  <div class="row-actions">
                    {moveButton(`Move section “${section.title}” up`, `${section.id}|up`, "↑", s() === 0, () =>
                      moveSection(s(), s() - 1)
                    )}
                    {moveButton(
                      `Move section “${section.title}” down`,
                      `${section.id}|down`,
                      "↓",
                      s() === sections().length - 1,
                      () => moveSection(s(), s() + 1)
                    )}
                    <form action={deleteSection} method="post">
                      <input type="hidden" name="id" value={section.id} />
                      <button
                        type="submit"
                        class="icon-button danger"
                        aria-label={`Delete section “${section.title}”`}
                        title="Delete section"
                        disabled={props.locked}
                      >
                        ✕
                      </button>
                    </form>
                  </div>
                </div>
                <Show
                  when={section.lessons.length > 0}
                  fallback={<p class="empty small">No lessons in this section.</p>}
                >
                  <ol class="lesson-editor-list">
                    <For each={section.lessons}>
                      {(lesson, l) => (
                        <li
                          class="lesson-row"
                          classList={{ "drop-target": dropTarget() === lesson.id }}
                          data-testid="lesson-row"
                          draggable={!props.locked}
                          onDragStart={onDragStart({ kind: "lesson", id: lesson.id })}
                          onDragOver={allowDrop(lesson.id)}
                          onDrop={onDropOnLesson(s(), lesson.id)}
                        >
                          <span class="drag-handle" aria-hidden="true">
                            ⠿
                          </span>
                          <div class="lesson-main">
                            <A href={`/studio/courses/${courseId()}/lessons/${lesson.id}`}>{lesson.title}</A>
                            <span class="lesson-meta">
                              {KIND_NAMES[lesson.kind] ?? lesson.kind}
                              <Show when={lesson.durationSeconds > 0}> · {formatDuration(lesson.durationSeconds)}</Show>
                              <Show when={lesson.isPreview}>
                                <span class="badge">Preview</span>
                              </Show>
                              <Show when={lessonStatus(lesson)}>
                                {(status) => <span class="badge badge-muted">{status()}</span>}
                              </Show>
                            </span>
                          </div>
                          <div class="row-actions">
                            {moveButton(
                              `Move lesson “${lesson.title}” up`,
                              `${lesson.id}|up`,
                              "↑",
                              s() === 0 && l() === 0,
                              () => stepLesson(s(), l(), -1)
                            )}
                            {moveButton(
                              `Move lesson “${lesson.title}” down`,
                              `${lesson.id}|down`,
                              "↓",
                              s() === sections().length - 1 && l() === section.lessons.length - 1,
                              () => stepLesson(s(), l(), 1)
                            )}
                            <form action={deleteLesson} method="post">
                              <input type="hidden" name="id" value={lesson.id} />
                              <button
                                type="submit"
                                class="icon-button danger"
                                aria-label={`Delete lesson “${lesson.title}”`}
                                title="Delete lesson"
                                disabled={props.locked}
                              >
                                ✕
                              </button>
                            </form>
                          </div>
                        </li>
                      )}
                    </For>
                  </ol>
                </Show>
                <Show when={!props.locked}>
                  <p class="add-lesson">
                    <span>Add to “{section.title}”:</span>
                    <For each={["video", "article", "embed", "quiz"] as const}>
                      {(kind) => (
                        <A
                          href={`/studio/courses/${courseId()}/lessons/new?section=${section.id}&kind=${kind}`}
                          class="button button-small button-secondary"
                          aria-label={`Add ${KIND_NAMES[kind]?.toLowerCase()} lesson to “${section.title}”`}
                        >
                          + {KIND_NAMES[kind]}
                        </A>
                      )}
                    </For>
                  </p>
                </Show>
              </li>
            )}
          </For>
        </ol>
      </Show>
      <p class="hint">
        {sections().length} sections · {lessonCount()} lessons
      </p>
      <Show when={!props.locked}>
        <form action={addSection} method="post" class="add-section" novalidate>
          <input type="hidden" name="courseId" value={courseId()} />
          <InputField name="title" label="New section title" idPrefix="new-section" failure={failureOf(added.result)} />
          <FormError failure={failureOf(added.result)} />
          <button type="submit" class="button button-secondary" disabled={added.pending}>
            {added.pending ? "Adding…" : "Add section"}
          </button>
        </form>
      </Show>
    </section>
  )
}
