// An embed lesson: the provider's own player in an iframe (YouTube, Vimeo or Dailymotion, as the page's CSP allows),
// whose postMessage events become played ranges and the same progress heartbeats the video player sends.
import { createSignal, onCleanup, onMount, Show } from "solid-js"
import {
  type EmbedProviderName,
  embedSourceWithApi,
  makeEmbedProgress,
  PROVIDER_ORIGINS,
  parseEmbedMessage,
  subscribeMessages
} from "../../lib/embedProgress.ts"
import { makeHeartbeatSender } from "../../lib/heartbeat.ts"
import type { LessonProgress } from "../../lib/learning.ts"

const PROVIDERS: Readonly<Record<string, string>> = { youtube: "YouTube", vimeo: "Vimeo", dailymotion: "Dailymotion" }
const HEARTBEAT_MS = 10_000

const isProvider = (value: string): value is EmbedProviderName =>
  value === "youtube" || value === "vimeo" || value === "dailymotion"

export default function EmbedLesson(props: {
  readonly lessonId: string
  readonly title: string
  readonly embedUrl: string
  readonly provider: string
  readonly onProgress: (progress: LessonProgress) => void
}) {
  let frame: HTMLIFrameElement | undefined
  // Set in the browser, where the page's origin (which YouTube wants) is known.
  const [source, setSource] = createSignal<string | undefined>()
  const [saved, setSaved] = createSignal<string | undefined>()
  const progress = makeEmbedProgress()
  let timer: ReturnType<typeof setInterval> | undefined
  let subscribing: ReturnType<typeof setInterval> | undefined
  let heard = false

  const body = () => {
    const beat = progress.take()
    return beat === undefined ? undefined : JSON.stringify({ lessonId: props.lessonId, ...beat })
  }
  const sender = makeHeartbeatSender({ onProgress: (next) => props.onProgress(next), onSaved: setSaved })
  /** What played since the last heartbeat, one request at a time, in order. */
  const heartbeat = () => {
    const text = body()
    if (text !== undefined) sender.send(text)
  }
  /** The page is going away: the request must outlive it. */
  const finalHeartbeat = () => {
    const text = body()
    if (text !== undefined) sender.sendFinal(text)
  }
  const onVisibility = () => {
    if (document.visibilityState === "hidden") finalHeartbeat()
  }

  const subscribe = () => {
    const target = frame?.contentWindow
    const url = source()
    if (!target || url === undefined || !isProvider(props.provider)) return
    for (const message of subscribeMessages(props.provider)) target.postMessage(message, new URL(url).origin)
  }

  const onMessage = (event: MessageEvent) => {
    if (!isProvider(props.provider) || frame === undefined || event.source !== frame.contentWindow) return
    if (!PROVIDER_ORIGINS[props.provider].includes(event.origin)) return
    const events = parseEmbedMessage(props.provider, event.data)
    if (events.length > 0 && !heard) {
      heard = true
      clearInterval(subscribing)
    }
    let now = false
    for (const next of events) {
      // Vimeo announces it is ready (again after a reload of the frame): ask for its events then.
      if (next.kind === "ready" && props.provider === "vimeo") subscribe()
      now = progress.handle(next) || now
    }
    if (progress.playing() && timer === undefined) timer = setInterval(heartbeat, HEARTBEAT_MS)
    if (!progress.playing() && timer !== undefined) {
      clearInterval(timer)
      timer = undefined
    }
    if (now) heartbeat()
  }

  const onLoad = () => {
    // YouTube's player starts sending once it hears "listening", which may come before it is ready: repeat it
    // (as its own IFrame API does) until the player answers.
    subscribe()
    clearInterval(subscribing)
    let tries = 0
    subscribing = setInterval(() => {
      if (heard || ++tries > 40) clearInterval(subscribing)
      else subscribe()
    }, 250)
  }

  onMount(() => {
    if (isProvider(props.provider))
      setSource(embedSourceWithApi(props.provider, props.embedUrl, window.location.origin))
    else setSource(props.embedUrl)
    window.addEventListener("message", onMessage)
    document.addEventListener("visibilitychange", onVisibility)
    window.addEventListener("pagehide", finalHeartbeat)
  })

  onCleanup(() => {
    clearInterval(timer)
    clearInterval(subscribing)
    if (typeof window !== "undefined") {
      window.removeEventListener("message", onMessage)
      document.removeEventListener("visibilitychange", onVisibility)
      window.removeEventListener("pagehide", finalHeartbeat)
      // Leaving the lesson inside the app: report what played.
      heartbeat()
    }
  })

  return (
    <div class="embed-lesson" data-testid="embed-player">
      <div class="video-frame">
        <iframe
          ref={frame}
          src={source()}
          onLoad={onLoad}
          title={`${props.title} (${PROVIDERS[props.provider] ?? props.provider} video)`}
          allow="encrypted-media; fullscreen; picture-in-picture"
          allowfullscreen
          loading="lazy"
          // The app's pages send no referrer elsewhere; providers' players want the origin.
          referrerpolicy="strict-origin-when-cross-origin"
        />
      </div>
      <p class="hint">
        This video plays on {PROVIDERS[props.provider] ?? props.provider}'s player; what you watch there counts towards
        your progress.
      </p>
      <Show when={saved()}>
        {(message) => (
          <p class="hint" role="status" data-testid="embed-progress">
            {message()}
          </p>
        )}
      </Show>
    </div>
  )
}
