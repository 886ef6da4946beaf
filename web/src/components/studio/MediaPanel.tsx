// A lesson's video in the studio: transcode status and progress (polled until ready or failed, with retry), its
// renditions, and its captions (upload with tus + caption.upload, delete).
import { createSignal, For, Match, onCleanup, onMount, Show, Switch } from "solid-js"
import { deleteCaption, fetchMedia, type MediaView, retryMedia, uploadCaption } from "../../lib/studio.ts"
import { InputField } from "./Fields.tsx"
import TusUpload from "./TusUpload.tsx"

const POLL_MS = 1500

const STATUS_TEXT: Readonly<Record<string, string>> = {
  probing: "Checking the file…",
  queued: "Waiting to be processed…",
  processing: "Processing",
  ready: "Ready",
  failed: "Processing failed"
}

const settled = (media: MediaView) => media.status === "ready" || media.status === "failed"

export default function MediaPanel(props: { readonly media: MediaView; readonly onReady?: () => void }) {
  const [media, setMedia] = createSignal(props.media)
  const [problem, setProblem] = createSignal<string>()
  let timer: ReturnType<typeof setTimeout> | undefined

  const poll = async () => {
    const found = await fetchMedia(media().id).catch(() => undefined)
    if (found?.ok) {
      const wasReady = media().status === "ready"
      setMedia(found.value)
      if (!wasReady && found.value.status === "ready") props.onReady?.()
    }
    if (!settled(media())) timer = setTimeout(() => void poll(), POLL_MS)
  }
  onMount(() => {
    if (!settled(media())) timer = setTimeout(() => void poll(), POLL_MS)
  })
  onCleanup(() => clearTimeout(timer))

  const retry = async () => {
    setProblem(undefined)
    const retried = await retryMedia(media().id)
    if (!retried.ok) return setProblem(retried.error.message)
    setMedia(retried.value)
    timer = setTimeout(() => void poll(), POLL_MS)
  }

  const [language, setLanguage] = createSignal("en")
  const [label, setLabel] = createSignal("English")
  const [captionProblem, setCaptionProblem] = createSignal<string>()

  const removeCaption = async (lang: string) => {
    setCaptionProblem(undefined)
    const updated = await deleteCaption({ mediaId: media().id, language: lang })
    if (!updated.ok) return setCaptionProblem(updated.error.message)
    setMedia(updated.value)
  }

  return (
    <section aria-labelledby="media-title" class="studio-panel" data-testid="media-panel">
      <h2 id="media-title">Video</h2>
      <p>
        <span class={`status media-${media().status}`} data-testid="media-status">
          {STATUS_TEXT[media().status] ?? media().status}
        </span>
      </p>
      <Switch>
        <Match when={media().status === "processing" || media().status === "queued" || media().status === "probing"}>
          <div class="upload-progress">
            <label for="transcode-progress">Transcoding</label>
            <progress id="transcode-progress" max="100" value={media().progress}>
              {media().progress}%
            </progress>
            <span class="progress-value" data-testid="transcode-progress">
              {media().progress}%
            </span>
          </div>
        </Match>
        <Match when={media().status === "failed"}>
          <p class="form-error" role="alert">
            {media().error ?? "The video could not be processed."}
          </p>
          <button type="button" class="button" onClick={() => void retry()}>
            Try again
          </button>
        </Match>
        <Match when={media().status === "ready"}>
          <p class="hint" data-testid="media-ready">
            {media().durationSeconds !== null ? `${Math.round(media().durationSeconds ?? 0)} s · ` : ""}
            {media()
              .renditions.map((rendition) => rendition.name)
              .join(", ")}
          </p>
        </Match>
      </Switch>
      <Show when={problem()}>
        {(message) => (
          <p class="form-error" role="alert">
            {message()}
          </p>
        )}
      </Show>

      <h3>Captions</h3>
      <Show when={media().captions.length > 0} fallback={<p class="empty">No captions yet.</p>}>
        <ul class="plain-list">
          <For each={media().captions}>
            {(caption) => (
              <li class="caption-row">
                {caption.label} ({caption.language})
                <button
                  type="button"
                  class="link-button"
                  aria-label={`Delete the ${caption.label} captions`}
                  onClick={() => void removeCaption(caption.language)}
                >
                  Delete
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <div class="field-row">
        <InputField
          name="captionLanguage"
          label="Caption language"
          hint="A tag such as en or pt-BR."
          idPrefix="caption"
          value={language()}
          onInput={(event) => setLanguage(event.currentTarget.value)}
          failure={undefined}
        />
        <InputField
          name="captionLabel"
          label="Caption label"
          idPrefix="caption"
          value={label()}
          onInput={(event) => setLabel(event.currentTarget.value)}
          failure={undefined}
        />
      </div>
      <TusUpload
        label="Caption file (WebVTT or SRT)"
        accept=".vtt,.srt,text/vtt"
        buttonLabel="Upload captions"
        testId="caption-upload"
        check={() =>
          /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/.test(language().trim())
            ? label().trim() === ""
              ? "Give the captions a label, e.g. English."
              : undefined
            : "Enter a language tag such as en or pt-BR."
        }
        onComplete={async (uploadId) => {
          const updated = await uploadCaption({
            mediaId: media().id,
            language: language().trim(),
            label: label().trim(),
            uploadId
          })
          if (!updated.ok) return updated.error.message
          setMedia(updated.value)
          return undefined
        }}
      />
      <Show when={captionProblem()}>
        {(message) => (
          <p class="form-error" role="alert">
            {message()}
          </p>
        )}
      </Show>
    </section>
  )
}
