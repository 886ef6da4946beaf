// What an embedded provider player (YouTube, Vimeo, Dailymotion) really played, from its postMessage events: each
// provider's messages become the same few events, which drive the video player's played-range tracker.
import { makePlayedTracker, type Range } from "./played.ts"

export type EmbedProviderName = "youtube" | "vimeo" | "dailymotion"

/** A provider's message in the player's terms. */
export type EmbedEvent =
  | { readonly kind: "ready" }
  | { readonly kind: "playing"; readonly at?: number | undefined }
  | { readonly kind: "paused"; readonly at?: number | undefined }
  | { readonly kind: "ended"; readonly at?: number | undefined }
  | { readonly kind: "time"; readonly at: number }
  | { readonly kind: "seeking" }
  | { readonly kind: "duration"; readonly seconds: number }
  | { readonly kind: "rate"; readonly rate: number }

/** The origins each provider's player posts from; messages from anywhere else are ignored. */
export const PROVIDER_ORIGINS: Readonly<Record<EmbedProviderName, ReadonlyArray<string>>> = {
  youtube: ["https://www.youtube-nocookie.com", "https://www.youtube.com"],
  vimeo: ["https://player.vimeo.com"],
  dailymotion: ["https://www.dailymotion.com", "https://geo.dailymotion.com"]
}

const finite = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined

/** Messages arrive as objects or as JSON text. */
const jsonRecord = (data: unknown): Record<string, unknown> | undefined => {
  if (typeof data !== "string") return record(data)
  try {
    return record(JSON.parse(data))
  } catch {
    return undefined
  }
}

/**
 * YouTube's IFrame Player API messages (the player loaded with `enablejsapi=1`, after the page's "listening"
 * message): `onReady`, `onStateChange` (1 playing, 2 paused, 0 ended), and `infoDelivery` with any of `playerState`,
 * `currentTime`, `duration`, `playbackRate`.
 */
export const parseYouTube = (data: unknown): Array<EmbedEvent> => {
  const message = jsonRecord(data)
  if (message === undefined) return []
  const state = (value: unknown, at: number | undefined): Array<EmbedEvent> => {
    switch (value) {
      case 1:
        return [{ kind: "playing", at }]
      case 2:
        return [{ kind: "paused", at }]
      case 0:
        return [{ kind: "ended", at }]
      default:
        return []
    }
  }
  switch (message.event) {
    case "onReady":
      return [{ kind: "ready" }]
    case "onStateChange":
      return state(message.info, undefined)
    case "onPlaybackRateChange": {
      const rate = finite(message.info)
      return rate === undefined ? [] : [{ kind: "rate", rate }]
    }
    case "infoDelivery": {
      const info = record(message.info)
      if (info === undefined) return []
      const events: Array<EmbedEvent> = []
      const duration = finite(info.duration)
      if (duration !== undefined && duration > 0) events.push({ kind: "duration", seconds: duration })
      const rate = finite(info.playbackRate)
      if (rate !== undefined && rate > 0) events.push({ kind: "rate", rate })
      const at = finite(info.currentTime)
      const changed = state(info.playerState, at)
      // Playing starts before the time it reached; a pause or the end closes after it.
      if (changed[0]?.kind === "playing") events.push(...changed)
      if (at !== undefined) events.push({ kind: "time", at })
      if (changed[0] !== undefined && changed[0].kind !== "playing") events.push(...changed)
      return events
    }
    default:
      return []
  }
}

/**
 * Vimeo's player.js messages (after the page asked for each event with `addEventListener`): `ready`, and `play`,
 * `pause`, `ended`, `timeupdate`, `seeked`, `playbackratechange` with `data.seconds`, `data.duration`,
 * `data.playbackRate`.
 */
export const parseVimeo = (data: unknown): Array<EmbedEvent> => {
  const message = jsonRecord(data)
  if (message === undefined) return []
  const payload = record(message.data) ?? {}
  const at = finite(payload.seconds)
  const duration = finite(payload.duration)
  const withDuration = (events: Array<EmbedEvent>): Array<EmbedEvent> =>
    duration !== undefined && duration > 0 ? [{ kind: "duration", seconds: duration }, ...events] : events
  switch (message.event) {
    case "ready":
      return [{ kind: "ready" }]
    case "play":
    case "playing":
      return withDuration([{ kind: "playing", at }])
    case "pause":
      return withDuration([{ kind: "paused", at }])
    case "ended":
      return withDuration([{ kind: "ended", at }])
    case "timeupdate":
      return at === undefined ? [] : withDuration([{ kind: "time", at }])
    case "seeking":
      return [{ kind: "seeking" }]
    case "seeked":
      return at === undefined ? [{ kind: "seeking" }] : [{ kind: "seeking" }, { kind: "time", at }]
    case "playbackratechange": {
      const rate = finite(payload.playbackRate)
      return rate === undefined || rate === 0 ? [] : [{ kind: "rate", rate }]
    }
    default:
      return []
  }
}

/**
 * Dailymotion's postMessage API (the player loaded with `api=postMessage`): form-encoded text such as
 * `event=timeupdate&time=12.5`, with `apiready`, `play`/`playing`, `pause`, `end`/`video_end`, `timeupdate`,
 * `durationchange`, `seeking`, `seeked` and `ratechange`.
 */
export const parseDailymotion = (data: unknown): Array<EmbedEvent> => {
  if (typeof data !== "string") return []
  const message = new URLSearchParams(data)
  const number = (name: string) => {
    const text = message.get(name)
    return text === null || text === "" ? undefined : finite(Number(text))
  }
  const at = number("time")
  switch (message.get("event")) {
    case "apiready":
      return [{ kind: "ready" }]
    case "play":
    case "playing":
      return [{ kind: "playing", at }]
    case "pause":
      return [{ kind: "paused", at }]
    case "end":
    case "ended":
    case "video_end":
      return [{ kind: "ended", at }]
    case "timeupdate":
      return at === undefined ? [] : [{ kind: "time", at }]
    case "durationchange": {
      const seconds = number("duration")
      return seconds === undefined || seconds === 0 ? [] : [{ kind: "duration", seconds }]
    }
    case "seeking":
      return [{ kind: "seeking" }]
    case "seeked":
      return at === undefined ? [{ kind: "seeking" }] : [{ kind: "seeking" }, { kind: "time", at }]
    case "ratechange": {
      const rate = number("playbackRate") ?? number("rate")
      return rate === undefined || rate === 0 ? [] : [{ kind: "rate", rate }]
    }
    default:
      return []
  }
}

export const parseEmbedMessage = (provider: EmbedProviderName, data: unknown): Array<EmbedEvent> => {
  switch (provider) {
    case "youtube":
      return parseYouTube(data)
    case "vimeo":
      return parseVimeo(data)
    case "dailymotion":
      return parseDailymotion(data)
  }
}

/**
 * The provider's player URL with its message API switched on: YouTube `enablejsapi=1` and the page's `origin`,
 * Dailymotion `api=postMessage`; Vimeo's player.js API answers without a parameter.
 */
export const embedSourceWithApi = (provider: EmbedProviderName, embedUrl: string, pageOrigin: string): string => {
  const url = new URL(embedUrl)
  if (provider === "youtube") {
    url.searchParams.set("enablejsapi", "1")
    url.searchParams.set("origin", pageOrigin)
  } else if (provider === "dailymotion") {
    url.searchParams.set("api", "postMessage")
  }
  return url.toString()
}

/** What the page posts to the player once it has loaded, so that it starts sending its events. */
export const subscribeMessages = (provider: EmbedProviderName): ReadonlyArray<string> => {
  switch (provider) {
    case "youtube":
      return [
        JSON.stringify({ event: "listening", id: "lectern", channel: "widget" }),
        ...["onStateChange", "onPlaybackRateChange"].map((name) =>
          JSON.stringify({ event: "command", func: "addEventListener", args: [name], id: "lectern", channel: "widget" })
        )
      ]
    case "vimeo":
      return ["play", "pause", "ended", "timeupdate", "seeked", "playbackratechange"].map((value) =>
        JSON.stringify({ method: "addEventListener", value })
      )
    case "dailymotion":
      return []
  }
}

/** A heartbeat's fields: what played since the last one, where the player is, at which rate. */
export interface EmbedBeat {
  readonly mediaPositionSeconds: number
  readonly playedRanges: Array<Range>
  readonly playbackRate: number
}

export interface EmbedProgress {
  /** One event; true when a heartbeat should go now (a pause or the end). */
  readonly handle: (event: EmbedEvent) => boolean
  /** Whether the player is playing (heartbeats every ~10 s meanwhile). */
  readonly playing: () => boolean
  /** The heartbeat since the last one, or undefined when nothing played and the position barely moved. */
  readonly take: () => EmbedBeat | undefined
}

/** The provider's events → played ranges, with the same tracker (and the same jump rules) as the video player. */
export const makeEmbedProgress = (): EmbedProgress => {
  const tracker = makePlayedTracker()
  let playing = false
  let rangeOpen = false
  let position = 0
  let duration = 0
  let rate = 1
  let lastSentPosition = -1
  const stop = (at: number | undefined) => {
    if (at !== undefined && rangeOpen) tracker.stop(at)
    else tracker.stop()
    if (at !== undefined) position = at
    rangeOpen = false
    const was = playing
    playing = false
    return was
  }
  return {
    handle: (event) => {
      switch (event.kind) {
        case "ready":
          return false
        case "playing":
          if (event.at !== undefined) position = event.at
          if (!playing) {
            playing = true
            tracker.start(position)
            rangeOpen = true
          }
          return false
        case "time":
          if (playing) {
            if (rangeOpen) tracker.advance(event.at, rate)
            else tracker.start(event.at)
            rangeOpen = true
          }
          position = event.at
          return false
        case "paused":
        case "ended":
          return stop(event.at)
        case "seeking":
          // The range closes; the next time while playing opens another where the seek landed.
          tracker.stop()
          rangeOpen = false
          return false
        case "duration":
          duration = event.seconds
          return false
        case "rate":
          rate = event.rate
          return false
      }
    },
    playing: () => playing,
    take: () => {
      const playedRanges = tracker.take(duration)
      const at = Math.min(86_400, Math.max(0, duration > 0 ? Math.min(position, duration) : position))
      if (playedRanges.length === 0 && Math.abs(at - lastSentPosition) < 1) return undefined
      lastSentPosition = at
      return {
        mediaPositionSeconds: Math.round(at * 1000) / 1000,
        playedRanges,
        playbackRate: Math.min(4, Math.max(0.25, rate))
      }
    }
  }
}
