// A lesson in the studio, new (`new?section=…&kind=video|article|embed|quiz`) or existing: its editor by kind.
import { Title } from "@solidjs/meta"
import { A, createAsync, type RouteDefinition, type RouteSectionProps, useSearchParams } from "@solidjs/router"
import { Match, Show, Switch } from "solid-js"
import Loaded from "../../../../../components/Loaded.tsx"
import LessonForm from "../../../../../components/studio/LessonForm.tsx"
import QuizEditor from "../../../../../components/studio/QuizEditor.tsx"
import Refused from "../../../../../components/studio/Refused.tsx"
import { getLessonEditor, KIND_NAMES, type LessonEditor } from "../../../../../lib/studio.ts"

export const route = {
  preload({ params }) {
    if (params.id && params.lessonId) void getLessonEditor(params.id, params.lessonId)
  }
} satisfies RouteDefinition

const KINDS = new Set(["video", "article", "embed", "quiz"])

function Editor(props: {
  readonly editor: LessonEditor
  readonly kind: string
  readonly sectionId: string | undefined
}) {
  const course = () => props.editor.detail.course
  const lesson = () => props.editor.lesson
  const kind = () => lesson()?.kind ?? props.kind
  const section = () =>
    props.editor.detail.sections.find((s) => s.id === (lesson()?.sectionId ?? props.sectionId)) ?? undefined
  const heading = () => lesson()?.title ?? `New ${KIND_NAMES[kind()]?.toLowerCase() ?? ""} lesson`
  const locked = () => course().status === "pending_review"
  return (
    <>
      <Title>{`${heading()} — Studio — Lectern`}</Title>
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <A href="/studio">Studio</A> › <A href={`/studio/courses/${course().id}`}>{course().title}</A> › {heading()}
      </nav>
      <h1>{heading()}</h1>
      <p class="hint">
        {KIND_NAMES[kind()]} lesson
        <Show when={section()}>{(found) => <> in “{found().title}”</>}</Show>
      </p>
      <Show when={locked()}>
        <p class="warning" role="status">
          This course is waiting for review: changes are refused until the decision.
        </p>
      </Show>
      <Show
        when={lesson() !== null || section() !== undefined}
        fallback={
          <p class="form-error" role="alert">
            Choose a section on the <A href={`/studio/courses/${course().id}`}>course page</A> to add a lesson to.
          </p>
        }
      >
        <Switch>
          <Match when={kind() === "quiz"}>
            <QuizEditor
              courseId={course().id}
              quiz={props.editor.quiz}
              lessonTitle={lesson()?.title ?? ""}
              isPreview={lesson()?.isPreview ?? false}
              target={lesson() ? { lessonId: lesson()?.id ?? "" } : { sectionId: section()?.id ?? "" }}
            />
          </Match>
          <Match when={kind() === "video" || kind() === "article" || kind() === "embed"}>
            <LessonForm
              courseId={course().id}
              kind={kind() as "video" | "article" | "embed"}
              lesson={lesson()}
              media={props.editor.media}
              sectionId={section()?.id}
            />
          </Match>
        </Switch>
      </Show>
      <p>
        <A href={`/studio/courses/${course().id}`}>Back to the course</A>
      </p>
    </>
  )
}

export default function LessonPage(props: RouteSectionProps) {
  const [params] = useSearchParams<{ kind?: string; section?: string }>()
  const editor = createAsync(() => getLessonEditor(props.params.id ?? "", props.params.lessonId ?? ""))
  const kind = () => (params.kind !== undefined && KINDS.has(params.kind) ? params.kind : "article")
  return (
    <Loaded outcome={editor()} loading="Loading the lesson…" failed={(failure) => <Refused failure={failure} />}>
      {(value) => <Editor editor={value} kind={kind()} sectionId={params.section} />}
    </Loaded>
  )
}
