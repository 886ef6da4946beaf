// A video, article or embed lesson's editor: title, preview flag and content. A new video lesson uploads its file
// with tus first, then media.create, then the lesson; an existing one shows its transcode status and captions.
import { useAction, useNavigate } from "@solidjs/router"
import { createSignal, Match, Show, Switch } from "solid-js"
import type { FormFailure } from "../../lib/outcome.ts"
import { createMedia, type LessonContentDraft, type LessonView, type MediaView, saveLesson } from "../../lib/studio.ts"
import { InputField, TextAreaField } from "./Fields.tsx"
import MediaPanel from "./MediaPanel.tsx"
import TusUpload from "./TusUpload.tsx"

export type EditableKind = "video" | "article" | "embed"

const asFailure = (error: {
  readonly _tag: string
  readonly message: string
  readonly field?: unknown
}): FormFailure => ({
  field: typeof error.field === "string" ? error.field.replace(/^content\./, "") : undefined,
  message: error.message,
  tag: error._tag
})

export default function LessonForm(props: {
  readonly courseId: string
  readonly kind: EditableKind
  readonly lesson: LessonView | null
  readonly media: MediaView | null
  readonly sectionId: string | undefined
}) {
  const navigate = useNavigate()
  const save = useAction(saveLesson)
  const content = () => props.lesson?.content
  const [title, setTitle] = createSignal(props.lesson?.title ?? "")
  const [preview, setPreview] = createSignal(props.lesson?.isPreview ?? false)
  const [markdown, setMarkdown] = createSignal(
    content()?.kind === "article" ? (content() as { markdown: string }).markdown : ""
  )
  const [url, setUrl] = createSignal(content()?.kind === "embed" ? (content() as { embedUrl: string }).embedUrl : "")
  const [failure, setFailure] = createSignal<FormFailure>()
  const [saving, setSaving] = createSignal(false)
  const [saved, setSaved] = createSignal(false)

  /** Saves the lesson with `draft` as its content; a new lesson's page becomes the lesson's own. */
  const store = async (draft: LessonContentDraft): Promise<FormFailure | undefined> => {
    setFailure(undefined)
    setSaved(false)
    setSaving(true)
    const base = { title: title(), isPreview: preview(), content: draft }
    const result = await save(
      props.lesson ? { ...base, lessonId: props.lesson.id } : { ...base, sectionId: props.sectionId ?? "" }
    ).finally(() => setSaving(false))
    if (!result.ok) {
      const problem = asFailure(result.error)
      setFailure(problem)
      return problem
    }
    setSaved(true)
    if (props.lesson === null) navigate(`/studio/courses/${props.courseId}/lessons/${result.value.lessonId}?saved=1`)
    return undefined
  }

  const submit = (event: SubmitEvent) => {
    event.preventDefault()
    if (props.kind === "article") return void store({ kind: "article", markdown: markdown() })
    if (props.kind === "embed") return void store({ kind: "embed", url: url() })
    const current = content()
    if (current?.kind === "video") return void store({ kind: "video", mediaId: current.mediaId })
  }

  /** A finished upload becomes a media of this course, then the lesson's (new or replaced) video. */
  const attachUpload = async (uploadId: string) => {
    const media = await createMedia({ uploadId, title: title().trim(), courseId: props.courseId })
    if (!media.ok) return media.error.message
    const problem = await store({ kind: "video", mediaId: media.value.id })
    return problem?.message
  }

  return (
    <>
      <form class="lesson-form" onSubmit={submit} novalidate>
        <InputField
          name="title"
          label="Lesson title"
          idPrefix="lesson"
          value={title()}
          onInput={(event) => setTitle(event.currentTarget.value)}
          failure={failure()}
        />
        <label class="check">
          <input type="checkbox" checked={preview()} onChange={(event) => setPreview(event.currentTarget.checked)} />
          Preview: open to everyone without enrolling
        </label>
        <Switch>
          <Match when={props.kind === "article"}>
            <TextAreaField
              name="markdown"
              label="Article (Markdown)"
              hint="Headings, lists, links and code blocks in Markdown. Reading time is estimated from its length."
              idPrefix="lesson"
              rows={14}
              value={markdown()}
              onInput={(event) => setMarkdown(event.currentTarget.value)}
              failure={failure()}
            />
          </Match>
          <Match when={props.kind === "embed"}>
            <InputField
              name="url"
              label="Video link"
              hint="A YouTube, Dailymotion or Vimeo link."
              idPrefix="lesson"
              type="url"
              value={url()}
              onInput={(event) => setUrl(event.currentTarget.value)}
              failure={failure()}
            />
          </Match>
        </Switch>
        <Show when={failure() !== undefined && !["title", "markdown", "url"].includes(failure()?.field ?? "")}>
          <p class="form-error" role="alert">
            {failure()?.message}
          </p>
        </Show>
        <Show when={saved()}>
          <p class="notice" role="status">
            Lesson saved.
          </p>
        </Show>
        <Show when={props.kind !== "video" || props.lesson !== null}>
          <button type="submit" class="button" disabled={saving()}>
            {saving() ? "Saving…" : props.lesson ? "Save lesson" : "Create lesson"}
          </button>
        </Show>
      </form>
      <Show when={props.kind === "video"}>
        <Show when={props.media} keyed>
          {(media) => <MediaPanel media={media} />}
        </Show>
        <section aria-labelledby="upload-title" class="studio-panel">
          <h2 id="upload-title">{props.lesson ? "Replace the video" : "Upload the video"}</h2>
          <TusUpload
            label="Video file"
            accept="video/*"
            buttonLabel={props.lesson ? "Upload new video" : "Upload and create lesson"}
            hint="MP4, MOV, WebM or MKV. Uploads resume after a pause or a lost connection."
            testId="video-upload"
            check={() => (title().trim() === "" ? "Give the lesson a title first." : undefined)}
            onComplete={attachUpload}
          />
        </section>
      </Show>
    </>
  )
}
