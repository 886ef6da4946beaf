// The course's thumbnail in the studio: the current picture (or the placeholder cards show), choosing a picture with
// a preview, uploading it to /media/uploads with the session cookie (lib/upload.ts) and making it the thumbnail, or
// removing it; the contract's refusals are shown at the field.
import { createSignal, createUniqueId, onCleanup, Show } from "solid-js"
import {
  type CourseThumbnail,
  removeCourseThumbnail,
  setCourseThumbnail,
  THUMBNAIL_TYPES,
  thumbnailFileProblem
} from "../../lib/courseThumbnails.ts"
import { type UploadHandle, uploadFile } from "../../lib/upload.ts"
import CourseImage, { RENDER_SIZES } from "../CourseImage.tsx"

type State = "idle" | "uploading" | "saving" | "removing"

/** The picture as a data: URL — the page's CSP allows `data:` images, not `blob:` ones. */
const readAsDataUrl = (file: File) =>
  new Promise<string>((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => (typeof reader.result === "string" ? resolve(reader.result) : reject(new Error("unreadable")))
    reader.onerror = () => reject(reader.error ?? new Error("unreadable"))
    reader.readAsDataURL(file)
  })

export default function ThumbnailField(props: {
  readonly courseId: string
  readonly courseTitle: string
  readonly thumbnail: CourseThumbnail
  readonly disabled?: boolean
}) {
  const id = createUniqueId()
  const [current, setCurrent] = createSignal<CourseThumbnail>(props.thumbnail)
  const [file, setFile] = createSignal<File>()
  const [preview, setPreview] = createSignal<string>()
  const [state, setState] = createSignal<State>("idle")
  const [percent, setPercent] = createSignal(0)
  const [problem, setProblem] = createSignal<string>()
  const [notice, setNotice] = createSignal<string>()
  let upload: UploadHandle | undefined
  let input: HTMLInputElement | undefined
  onCleanup(() => upload?.abort())

  const busy = () => state() !== "idle"

  const choose = async (chosen: File | undefined) => {
    setProblem(undefined)
    setNotice(undefined)
    setPreview(undefined)
    setFile(undefined)
    if (chosen === undefined) return
    const refusal = thumbnailFileProblem(chosen)
    if (refusal !== undefined) return setProblem(refusal)
    setFile(chosen)
    setPreview(await readAsDataUrl(chosen).catch(() => undefined))
  }

  const save = async () => {
    const chosen = file()
    if (chosen === undefined) return setProblem("Choose a picture first.")
    setProblem(undefined)
    setNotice(undefined)
    setPercent(0)
    setState("uploading")
    try {
      upload = uploadFile(chosen, (sent, total) => setPercent(total > 0 ? Math.floor((sent / total) * 100) : 0))
      const uploadId = await upload.done
      upload = undefined
      setState("saving")
      const saved = await setCourseThumbnail({ courseId: props.courseId, uploadId })
      if (!saved.ok) return setProblem(saved.error.message)
      setCurrent(saved.value)
      setFile(undefined)
      setPreview(undefined)
      if (input !== undefined) input.value = ""
      setNotice("Thumbnail saved.")
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error))
    } finally {
      upload = undefined
      setState("idle")
    }
  }

  const remove = async () => {
    setProblem(undefined)
    setNotice(undefined)
    setState("removing")
    try {
      const removed = await removeCourseThumbnail({ courseId: props.courseId })
      if (!removed.ok) return setProblem(removed.error.message)
      setCurrent(removed.value)
      setNotice("Thumbnail removed.")
    } finally {
      setState("idle")
    }
  }

  const describedBy = () => [`${id}-hint`, problem() ? `${id}-error` : undefined].filter(Boolean).join(" ")

  return (
    <section aria-labelledby={`${id}-title`} class="studio-panel" data-testid="thumbnail-field">
      <h2 id={`${id}-title`}>Thumbnail</h2>
      <div class="thumbnail-editor">
        <figure>
          <CourseImage thumbnail={current()} title={props.courseTitle} size="small" />
          <figcaption>{current() === null ? "No thumbnail yet" : "Current thumbnail"}</figcaption>
        </figure>
        <Show when={preview()}>
          {(source) => (
            <figure>
              <img
                class="course-image"
                src={source()}
                alt="The chosen file, not saved yet"
                width={RENDER_SIZES.small.width}
                height={RENDER_SIZES.small.height}
                data-testid="thumbnail-preview"
              />
              <figcaption>Preview: cards show the middle 16:9 part</figcaption>
            </figure>
          )}
        </Show>
      </div>
      <div class="form-field">
        <label for={`${id}-file`}>Picture</label>
        <input
          ref={input}
          id={`${id}-file`}
          name="thumbnail"
          type="file"
          accept={THUMBNAIL_TYPES.join(",")}
          disabled={busy() || props.disabled}
          aria-invalid={problem() ? "true" : undefined}
          aria-describedby={describedBy()}
          onChange={(event) => void choose(event.currentTarget.files?.[0])}
        />
        <p class="hint" id={`${id}-hint`}>
          A JPEG, PNG or WebP of at most 10 MB, shown on course cards and the course page at 16:9 (1280×720 is best).
        </p>
        <Show when={problem()}>
          {(message) => (
            <p class="form-error" id={`${id}-error`} role="alert" data-testid="thumbnail-error">
              {message()}
            </p>
          )}
        </Show>
      </div>
      <div class="upload-actions">
        <button
          type="button"
          class="button"
          disabled={file() === undefined || busy() || props.disabled}
          onClick={() => void save()}
        >
          {state() === "uploading" ? "Uploading…" : state() === "saving" ? "Saving…" : "Upload thumbnail"}
        </button>
        <Show when={current() !== null}>
          <button
            type="button"
            class="button button-secondary"
            disabled={busy() || props.disabled}
            onClick={() => void remove()}
          >
            Remove thumbnail
          </button>
        </Show>
      </div>
      <Show when={state() === "uploading"}>
        <div class="upload-progress">
          <label for={`${id}-progress`}>Uploading</label>
          <progress id={`${id}-progress`} max="100" value={percent()}>
            {percent()}%
          </progress>
          <span class="progress-value" aria-live="polite">
            {percent()}%
          </span>
        </div>
      </Show>
      <p class="hint" role="status" data-testid="thumbnail-status">
        {notice() ?? ""}
      </p>
    </section>
  )
}
