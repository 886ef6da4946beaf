// Embed lessons' progress: each provider's postMessage events (faked here) become played ranges and heartbeats.
import { describe, expect, it } from "@effect/vitest"
import {
  embedSourceWithApi,
  makeEmbedProgress,
  parseDailymotion,
  parseEmbedMessage,
  parseVimeo,
  parseYouTube,
  subscribeMessages
} from "../src/lib/embedProgress.ts"

/** Feeds a provider's messages one by one; the indices of those that asked for a heartbeat at once. */
const feed = (
  progress: ReturnType<typeof makeEmbedProgress>,
  provider: "youtube" | "vimeo" | "dailymotion",
  messages: ReadonlyArray<unknown>
) => messages.flatMap((message, index) => (parseEmbedMessage(provider, message).some(progress.handle) ? [index] : []))

const youTubeInfo = (info: Record<string, unknown>) => JSON.stringify({ event: "infoDelivery", info })
/** YouTube's ~250 ms infoDelivery ticks while playing, from `from` to `to` seconds. */
const youTubeTicks = (from: number, to: number) =>
  Array.from({ length: Math.round((to - from) / 0.25) + 1 }, (_, i) =>
    youTubeInfo({ currentTime: from + i * 0.25, playerState: 1 })
  )

describe("parsers", () => {
  it("reads YouTube's infoDelivery in order: playing before its time, paused after it", () => {
    expect(parseYouTube(youTubeInfo({ playerState: 1, currentTime: 3, duration: 60, playbackRate: 2 }))).toEqual([
      { kind: "duration", seconds: 60 },
      { kind: "rate", rate: 2 },
      { kind: "playing", at: 3 },
      { kind: "time", at: 3 }
    ])
    expect(parseYouTube({ event: "infoDelivery", info: { playerState: 2, currentTime: 7.5 } })).toEqual([
      { kind: "time", at: 7.5 },
      { kind: "paused", at: 7.5 }
    ])
    expect(parseYouTube('{"event":"onStateChange","info":0}')).toEqual([{ kind: "ended", at: undefined }])
    expect(parseYouTube('{"event":"onReady"}')).toEqual([{ kind: "ready" }])
  })

  it("reads Vimeo's player.js events", () => {
    expect(parseVimeo('{"event":"timeupdate","data":{"seconds":4.2,"percent":0.07,"duration":60}}')).toEqual([
      { kind: "duration", seconds: 60 },
      { kind: "time", at: 4.2 }
    ])
    expect(parseVimeo({ event: "seeked", data: { seconds: 30 } })).toEqual([
      { kind: "seeking" },
      { kind: "time", at: 30 }
    ])
    expect(parseVimeo({ event: "playbackratechange", data: { playbackRate: 1.5 } })).toEqual([
      { kind: "rate", rate: 1.5 }
    ])
  })

  it("reads Dailymotion's form-encoded messages", () => {
    expect(parseDailymotion("event=timeupdate&time=12.5&id=player")).toEqual([{ kind: "time", at: 12.5 }])
    expect(parseDailymotion("event=durationchange&duration=90")).toEqual([{ kind: "duration", seconds: 90 }])
    expect(parseDailymotion("event=video_end")).toEqual([{ kind: "ended", at: undefined }])
  })

  it("ignores what is not a player event: junk, negative or non-finite times, unknown events", () => {
    for (const junk of [undefined, null, 42, "not json", "[1,2]", { event: "infoDelivery", info: "x" }])
      expect(parseYouTube(junk)).toEqual([])
    expect(parseYouTube(youTubeInfo({ currentTime: -3 }))).toEqual([])
    expect(parseVimeo({ event: "timeupdate", data: { seconds: Number.NaN } })).toEqual([])
    expect(parseVimeo({ event: "loaded" })).toEqual([])
    expect(parseDailymotion("event=timeupdate&time=")).toEqual([])
    expect(parseDailymotion({ event: "timeupdate" })).toEqual([])
  })
})

describe("played ranges from provider events", () => {
  it("YouTube: what played between play and pause, one heartbeat asked for on the pause", () => {
    const progress = makeEmbedProgress()
    const asked = feed(progress, "youtube", [
      youTubeInfo({ duration: 60, playerState: 1, currentTime: 0 }),
      ...youTubeTicks(0.25, 10),
      youTubeInfo({ playerState: 2, currentTime: 10.1 })
    ])
    expect(asked).toEqual([41])
    expect(progress.playing()).toBe(false)
    expect(progress.take()).toEqual({ mediaPositionSeconds: 10.1, playedRanges: [[0, 10.1]], playbackRate: 1 })
    // Nothing new since: no heartbeat.
    expect(progress.take()).toBeUndefined()
  })

  it("a seek closes the range and a new one starts where it landed; time while paused credits nothing", () => {
    const progress = makeEmbedProgress()
    feed(progress, "vimeo", [
      { event: "play", data: { seconds: 0, duration: 120 } },
      ...Array.from({ length: 21 }, (_, i) => ({ event: "timeupdate", data: { seconds: i * 0.25 } })),
      { event: "seeked", data: { seconds: 60 } },
      ...Array.from({ length: 9 }, (_, i) => ({ event: "timeupdate", data: { seconds: 60 + i * 0.25 } })),
      { event: "pause", data: { seconds: 62 } },
      // Scrubbing while paused: the position moves, nothing played.
      { event: "timeupdate", data: { seconds: 90 } }
    ])
    expect(progress.take()).toEqual({
      mediaPositionSeconds: 90,
      playedRanges: [
        [0, 5],
        [60, 62]
      ],
      playbackRate: 1
    })
  })

  it("a jump in the reported time (skipping ahead without a seek event) is not credited", () => {
    const progress = makeEmbedProgress()
    feed(progress, "dailymotion", [
      "event=durationchange&duration=300",
      "event=playing&time=0",
      ...Array.from({ length: 9 }, (_, i) => `event=timeupdate&time=${i * 0.25}`),
      "event=timeupdate&time=200",
      "event=timeupdate&time=200.25",
      "event=timeupdate&time=200.5"
    ])
    expect(progress.playing()).toBe(true)
    expect(progress.take()?.playedRanges).toEqual([
      [0, 2],
      [200, 200.5]
    ])
  })

  it("heartbeats while playing continue the open range; the rate goes with them, clamped to the contract's", () => {
    const progress = makeEmbedProgress()
    feed(progress, "youtube", [
      youTubeInfo({ duration: 30, playbackRate: 2, playerState: 1, currentTime: 0 }),
      ...Array.from({ length: 9 }, (_, i) => youTubeInfo({ currentTime: 0.5 + i * 0.5 }))
    ])
    expect(progress.take()).toEqual({ mediaPositionSeconds: 4.5, playedRanges: [[0, 4.5]], playbackRate: 2 })
    feed(progress, "youtube", [youTubeInfo({ currentTime: 5 }), youTubeInfo({ currentTime: 5.5 })])
    expect(progress.take()?.playedRanges).toEqual([[4.5, 5.5]])
    feed(progress, "youtube", ['{"event":"onPlaybackRateChange","info":16}', youTubeInfo({ currentTime: 6 })])
    expect(progress.take()?.playbackRate).toBe(4)
  })

  it("the end asks for a heartbeat, ranges stay within the duration", () => {
    const progress = makeEmbedProgress()
    const asked = feed(progress, "vimeo", [
      { event: "play", data: { seconds: 8, duration: 10 } },
      ...Array.from({ length: 9 }, (_, i) => ({ event: "timeupdate", data: { seconds: 8 + i * 0.25 } })),
      { event: "timeupdate", data: { seconds: 10.2 } },
      { event: "ended", data: { seconds: 10.2 } }
    ])
    expect(asked).toEqual([11])
    expect(progress.take()).toEqual({ mediaPositionSeconds: 10, playedRanges: [[8, 10]], playbackRate: 1 })
  })
})

describe("the player's URL and subscription", () => {
  it("switches each provider's message API on", () => {
    expect(embedSourceWithApi("youtube", "https://www.youtube-nocookie.com/embed/abc", "https://lectern.test")).toBe(
      "https://www.youtube-nocookie.com/embed/abc?enablejsapi=1&origin=https%3A%2F%2Flectern.test"
    )
    expect(embedSourceWithApi("dailymotion", "https://www.dailymotion.com/embed/video/x7", "https://l.test")).toBe(
      "https://www.dailymotion.com/embed/video/x7?api=postMessage"
    )
    expect(embedSourceWithApi("vimeo", "https://player.vimeo.com/video/76979871", "https://l.test")).toBe(
      "https://player.vimeo.com/video/76979871"
    )
    expect(subscribeMessages("youtube").map((text) => JSON.parse(text).event)).toEqual([
      "listening",
      "command",
      "command"
    ])
    expect(subscribeMessages("vimeo").map((text) => JSON.parse(text).value)).toContain("timeupdate")
  })
})
