// The video lesson player: HLS through hls.js (loaded only here, on demand) or the browser's own HLS (Safari), with
// quality, captions and speed menus, a seek bar with sprite thumbnails, resume, and progress heartbeats measured
// from what really played (every ~10 s, on pause, and with `keepalive` when the page is hidden).
import type HlsType from "hls.js"
import { createSignal, For, onCleanup, onMount, Show } from "solid-js"
import { makeHeartbeatSender } from "../../lib/heartbeat.ts"
import type { LessonProgress, Playback } from "../../lib/learning.ts"
import { makePlayedTracker } from "../../lib/played.ts"
import { clock, parseThumbnails, type Thumbnail, thumbnailAt } from "../../lib/thumbnails.ts"

const HEARTBEAT_MS = 10_000
const SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 2] as const

interface Level {
  readonly index: number
  readonly height: number
  /** The rung's "p": its short side (1080 for 1920×1080 and for a portrait 1080×1920). */
  readonly shortSide: number
  readonly bitrate: number
}

export default function VideoPlayer(props: {
  readonly lessonId: string
  readonly title: string
  readonly playback: Playback
  readonly resumeAt: number
  readonly durationSeconds: number
  readonly onProgress: (progress: LessonProgress) => void
}) {
  let video: HTMLVideoElement | undefined
  let frame: HTMLDivElement | undefined
  let hls: HlsType | undefined
  const [engine, setEngine] = createSignal<"loading" | "hls.js" | "native" | "unsupported">("loading")
  const [playing, setPlaying] = createSignal(false)
  const [muted, setMuted] = createSignal(false)
  const [time, setTime] = createSignal(0)
  const [duration, setDuration] = createSignal(0)
  const [levels, setLevels] = createSignal<ReadonlyArray<Level>>([])
  const [chosenLevel, setChosenLevel] = createSignal(-1)
  const [playingLevel, setPlayingLevel] = createSignal<Level | undefined>()
  const [caption, setCaption] = createSignal("off")
  const [speed, setSpeed] = createSignal(1)
  const [thumbnails, setThumbnails] = createSignal<ReadonlyArray<Thumbnail>>([])
  const [preview, setPreview] = createSignal<{ readonly at: number; readonly left: number } | undefined>()
  const [problem, setProblem] = createSignal<string | undefined>()
  const [saved, setSaved] = createSignal<string | undefined>()

  const tracker = makePlayedTracker()
  let lastSentPosition = -1
  let timer: ReturnType<typeof setInterval> | undefined

  const heartbeatBody = () => {
    if (video === undefined) return undefined
    const ranges = tracker.take(video.duration)
    const position = Math.min(86_400, Math.max(0, video.currentTime))
    if (ranges.length === 0 && Math.abs(position - lastSentPosition) < 1) return undefined
    lastSentPosition = position
    return JSON.stringify({
      lessonId: props.lessonId,
      mediaPositionSeconds: Math.round(position * 1000) / 1000,
      playedRanges: ranges,
      playbackRate: Math.min(4, Math.max(0.25, video.playbackRate))
    })
  }

  const sender = makeHeartbeatSender({ onProgress: (progress) => props.onProgress(progress), onSaved: setSaved })

  /** Sends what played since the last heartbeat; one at a time, in order (the server serialises them anyway). */
  const heartbeat = () => {
    const body = heartbeatBody()
    if (body !== undefined) sender.send(body)
  }

  /** The page is going away: no response will be read, so the request must outlive it. */
  const finalHeartbeat = () => {
    if (video !== undefined && !video.paused) tracker.stop(video.currentTime)
    const body = heartbeatBody()
    if (body !== undefined) sender.sendFinal(body)
  }

  const startTimer = () => {
    if (timer === undefined) timer = setInterval(heartbeat, HEARTBEAT_MS)
  }
  const stopTimer = () => {
    if (timer !== undefined) clearInterval(timer)
    timer = undefined
  }

  const onVisibility = () => {
    if (document.visibilityState === "hidden") finalHeartbeat()
  }

  /** Where playback starts: the stored position, unless it is at the very start or end. */
  const resumePosition = () => {
    const at = props.resumeAt
    return at > 1 && (props.durationSeconds <= 0 || at < props.durationSeconds - 3) ? at : 0
  }

  onMount(() => {
    const element = video
    if (element === undefined) return
    element.addEventListener("playing", () => {
      setPlaying(true)
      tracker.start(element.currentTime)
      startTimer()
    })
    element.addEventListener("timeupdate", () => {
      setTime(element.currentTime)
      if (!element.paused && !element.seeking) tracker.advance(element.currentTime, element.playbackRate)
    })
    element.addEventListener("pause", () => {
      setPlaying(false)
      tracker.stop(element.currentTime)
      stopTimer()
      heartbeat()
    })
    element.addEventListener("ended", () => {
      setPlaying(false)
      tracker.stop(element.currentTime)
      stopTimer()
      heartbeat()
    })
    element.addEventListener("seeking", () => tracker.stop())
    element.addEventListener("seeked", () => {
      setTime(element.currentTime)
      if (!element.paused) tracker.start(element.currentTime)
    })
    element.addEventListener("durationchange", () =>
      setDuration(Number.isFinite(element.duration) ? element.duration : 0)
    )
    element.addEventListener("volumechange", () => setMuted(element.muted))
    element.addEventListener("ratechange", () => setSpeed(element.playbackRate))
    document.addEventListener("visibilitychange", onVisibility)
    window.addEventListener("pagehide", finalHeartbeat)

    void fetch(props.playback.thumbnailsVttUrl)
      .then((response) => (response.ok ? response.text() : ""))
      .then((text) =>
        setThumbnails(parseThumbnails(text, new URL(props.playback.thumbnailsVttUrl, location.href).href))
      )
      .catch(() => setThumbnails([]))

    void import("hls.js").then(({ default: Hls }) => {
      if (video === undefined) return
      if (!Hls.isSupported()) {
        // Safari (and iOS) play HLS themselves.
        if (element.canPlayType("application/vnd.apple.mpegurl") === "") {
          setEngine("unsupported")
          setProblem("This browser cannot play this video (it supports neither HLS nor Media Source Extensions).")
          return
        }
        setEngine("native")
        const at = resumePosition()
        if (at > 0) element.addEventListener("loadedmetadata", () => (element.currentTime = at), { once: true })
        element.src = props.playback.masterUrl
        return
      }
      const player = new Hls({
        // A blob: worker would need `worker-src blob:` in the page's CSP; segments are small enough for the main thread.
        enableWorker: false,
        startPosition: resumePosition() > 0 ? resumePosition() : -1,
        capLevelToPlayerSize: false
      })
      hls = player
      setEngine("hls.js")
      player.on(Hls.Events.MANIFEST_PARSED, (_event, data) => {
        setLevels(
          data.levels
            .map((level, index) => ({
              index,
              height: level.height,
              shortSide: Math.min(level.width, level.height),
              bitrate: level.bitrate
            }))
            .sort((a, b) => b.shortSide - a.shortSide)
        )
      })
      player.on(Hls.Events.LEVEL_SWITCHED, (_event, data) => {
        const level = player.levels[data.level]
        if (level !== undefined) {
          const shortSide = Math.min(level.width, level.height)
          setPlayingLevel({ index: data.level, height: level.height, shortSide, bitrate: level.bitrate })
        }
      })
      let recovered = false
      player.on(Hls.Events.ERROR, (_event, data) => {
        if (!data.fatal) return
        if (!recovered && data.type === Hls.ErrorTypes.NETWORK_ERROR) {
          recovered = true
          player.startLoad()
        } else if (!recovered && data.type === Hls.ErrorTypes.MEDIA_ERROR) {
          recovered = true
          player.recoverMediaError()
        } else {
          setProblem("The video could not be loaded. Reload the page to try again.")
        }
      })
      player.loadSource(props.playback.masterUrl)
      player.attachMedia(element)
    })
  })

  onCleanup(() => {
    stopTimer()
    if (typeof document !== "undefined") {
      document.removeEventListener("visibilitychange", onVisibility)
      window.removeEventListener("pagehide", finalHeartbeat)
      // Leaving the lesson inside the app (next lesson, sidebar): report what played.
      if (video !== undefined && !video.paused) {
        tracker.stop(video.currentTime)
        heartbeat()
      }
    }
    hls?.destroy()
  })

  const togglePlay = () => {
    if (video === undefined) return
    if (video.paused) void video.play().catch(() => setProblem("Playback did not start. Press play again."))
    else video.pause()
  }

  const chooseLevel = (value: string) => {
    const index = Number(value)
    setChosenLevel(index)
    // currentLevel switches at once (the buffer is flushed); -1 gives the choice back to the bandwidth estimate.
    if (hls !== undefined) hls.currentLevel = index
  }

  const chooseCaption = (language: string) => {
    setCaption(language)
    if (hls !== undefined) {
      const index = hls.subtitleTracks.findIndex((track) => track.lang === language)
      hls.subtitleDisplay = index >= 0
      hls.subtitleTrack = index
      return
    }
    if (video === undefined) return
    for (const track of Array.from(video.textTracks)) {
      if (track.kind === "subtitles" || track.kind === "captions") {
        track.mode = track.language === language ? "showing" : "disabled"
      }
    }
  }

  const chooseSpeed = (value: string) => {
    const rate = Number(value)
    if (video !== undefined && Number.isFinite(rate)) video.playbackRate = rate
  }

  const seekTo = (seconds: number) => {
    if (video !== undefined && Number.isFinite(seconds)) video.currentTime = Math.max(0, Math.min(duration(), seconds))
  }

  const showPreviewAt = (seconds: number, input: HTMLInputElement) => {
    if (thumbnails().length === 0 || duration() <= 0) return
    setPreview({ at: seconds, left: (seconds / duration()) * input.clientWidth })
  }

  const previewOnPointer = (event: PointerEvent) => {
    const input = event.currentTarget as HTMLInputElement
    const box = input.getBoundingClientRect()
    const share = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width))
    showPreviewAt(share * duration(), input)
  }

  const levelName = (level: Level) => `${level.shortSide}p`

  return (
    <div
      class="video-player"
      ref={frame}
      data-testid="video-player"
      data-engine={engine()}
      data-level-count={levels().length}
      data-level-height={playingLevel()?.height ?? ""}
    >
      <div class="video-frame">
        {/* biome-ignore lint/a11y/useMediaCaption: captions come from the HLS master playlist's subtitle group */}
        <video
          ref={video}
          poster={props.playback.posterUrl}
          preload="metadata"
          playsinline
          aria-label={`Video: ${props.title}`}
          onClick={togglePlay}
        />
      </div>
      <fieldset class="video-controls" aria-label="Video controls">
        <button type="button" class="button button-small" onClick={togglePlay} data-testid="play">
          {playing() ? "Pause" : "Play"}
        </button>
        <div class="seek">
          <label for={`seek-${props.lessonId}`} class="visually-hidden">
            Seek
          </label>
          <input
            id={`seek-${props.lessonId}`}
            type="range"
            min="0"
            max={duration() || 0}
            step="0.1"
            value={time()}
            aria-valuetext={`${clock(time())} of ${clock(duration())}`}
            onInput={(event) => {
              const at = Number(event.currentTarget.value)
              seekTo(at)
              showPreviewAt(at, event.currentTarget)
            }}
            onPointerMove={previewOnPointer}
            onPointerLeave={() => setPreview(undefined)}
            onBlur={() => setPreview(undefined)}
          />
          <Show when={preview()}>
            {(shown) => (
              <Show when={thumbnailAt(thumbnails(), shown().at)}>
                {(thumbnail) => (
                  <div
                    class="seek-preview"
                    data-testid="seek-preview"
                    style={{ left: `${shown().left}px`, width: `${thumbnail().width}px` }}
                  >
                    <div
                      class="seek-preview-image"
                      role="img"
                      aria-label={`Preview at ${clock(shown().at)}`}
                      style={{
                        width: `${thumbnail().width}px`,
                        height: `${thumbnail().height}px`,
                        "background-image": `url("${thumbnail().url}")`,
                        "background-position": `-${thumbnail().x}px -${thumbnail().y}px`
                      }}
                    />
                    <span>{clock(shown().at)}</span>
                  </div>
                )}
              </Show>
            )}
          </Show>
        </div>
        <span class="video-time" data-testid="video-time">
          {clock(time())} / {clock(duration())}
        </span>
        <button
          type="button"
          class="link-button"
          onClick={() => {
            if (video !== undefined) video.muted = !video.muted
          }}
        >
          {muted() ? "Unmute" : "Mute"}
        </button>
        <label class="video-menu">
          <span>Quality</span>
          <select
            data-testid="quality"
            value={String(chosenLevel())}
            onChange={(event) => chooseLevel(event.currentTarget.value)}
            disabled={engine() !== "hls.js"}
          >
            <option value="-1">
              Auto{chosenLevel() === -1 && playingLevel() ? ` (${levelName(playingLevel() as Level)})` : ""}
            </option>
            <For each={levels()}>{(level) => <option value={String(level.index)}>{levelName(level)}</option>}</For>
          </select>
        </label>
        <label class="video-menu">
          <span>Captions</span>
          <select
            data-testid="captions"
            value={caption()}
            onChange={(event) => chooseCaption(event.currentTarget.value)}
          >
            <option value="off">{props.playback.captions.length === 0 ? "None available" : "Off"}</option>
            <For each={props.playback.captions}>{(track) => <option value={track.language}>{track.label}</option>}</For>
          </select>
        </label>
        <label class="video-menu">
          <span>Speed</span>
          <select
            data-testid="speed"
            value={String(speed())}
            onChange={(event) => chooseSpeed(event.currentTarget.value)}
          >
            <For each={SPEEDS}>
              {(rate) => <option value={String(rate)}>{rate === 1 ? "Normal" : `${rate}×`}</option>}
            </For>
          </select>
        </label>
        <button
          type="button"
          class="link-button"
          onClick={() => {
            if (document.fullscreenElement) void document.exitFullscreen()
            else void frame?.requestFullscreen().catch(() => undefined)
          }}
        >
          Full screen
        </button>
      </fieldset>
      <p class="video-status" role="status" data-testid="video-status">
        {problem() ?? saved() ?? ""}
      </p>
    </div>
  )
}
