// Contract suite for the Transcoder port: probing, the ladder per source size, the output layout, progress, refusals.
import { mkdtempSync, rmSync } from "node:fs"
import { mkdir, readFile, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect } from "@effect/vitest"
import {
  type ProbeLimits,
  type RungName,
  SEGMENT_SECONDS,
  type TranscodeResult,
  Transcoder
} from "@lectern/platform/Transcoder"
import { Effect, type Layer, Ref } from "effect"
import { sharedLayer } from "./SuiteSupport.ts"

export interface SourceSpec {
  readonly width: number
  readonly height: number
  readonly seconds: number
  readonly frameRate: number
  readonly audio: boolean
}

/** How a layer's tests get valid sources: real encoded video for FFmpeg, fixtures for the in-memory layer. */
export interface TranscoderSources {
  /** Writes a valid source of `spec` at `path` (a `.mp4` name). */
  readonly make: (path: string, spec: SourceSpec) => Effect.Effect<void, unknown>
}

export const SUITE_LIMITS: ProbeLimits = { maxSeconds: 600, maxWidth: 3840, maxHeight: 2160 }

interface ParsedPlaylist {
  readonly manifest: {
    readonly playlists?: ReadonlyArray<{ readonly uri: string; readonly attributes: Record<string, unknown> }>
    readonly segments: ReadonlyArray<{ readonly uri: string; readonly duration: number }>
    readonly endList?: boolean
    readonly playlistType?: string
    readonly targetDuration?: number
  }
}

// A computed specifier: m3u8-parser ships no types, and the suite only needs the few fields above.
const m3u8ParserModule = "m3u8-parser"

/** Parses an HLS playlist with m3u8-parser (the parser video.js uses). */
export const parseM3u8 = (text: string) =>
  Effect.promise(async () => {
    const { Parser } = (await import(m3u8ParserModule)) as {
      Parser: new () => ParsedPlaylist & { push: (text: string) => void; end: () => void }
    }
    const parser = new Parser()
    parser.push(text)
    parser.end()
    return parser.manifest
  })

/** Width and height from a JPEG's start-of-frame marker; undefined when the bytes are not a JPEG. */
export const jpegSize = (bytes: Uint8Array) => {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined
  let offset = 2
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return undefined
    const marker = bytes[offset + 1] ?? 0
    const length = ((bytes[offset + 2] ?? 0) << 8) | (bytes[offset + 3] ?? 0)
    const startOfFrame = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)
    if (startOfFrame) {
      return {
        height: ((bytes[offset + 5] ?? 0) << 8) | (bytes[offset + 6] ?? 0),
        width: ((bytes[offset + 7] ?? 0) << 8) | (bytes[offset + 8] ?? 0)
      }
    }
    offset += 2 + length
  }
  return undefined
}

const seconds = (timestamp: string) => {
  const [h = "0", m = "0", s = "0"] = timestamp.split(":")
  return Number(h) * 3600 + Number(m) * 60 + Number(s)
}

/** The cues of a thumbnails WebVTT: start, end, and the sprite region. */
export const parseThumbnailsVtt = (text: string) => {
  expect(text.startsWith("WEBVTT")).toBe(true)
  return text
    .split(/\n\n+/)
    .slice(1)
    .filter((block) => block.trim() !== "")
    .map((block) => {
      const [timing = "", target = ""] = block.trim().split("\n")
      const [start = "", end = ""] = timing.split(" --> ")
      const match = /^(.+)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(target.trim())
      expect(match, `cue target ${target}`).not.toBeNull()
      const [, uri = "", x = "0", y = "0", w = "0", h = "0"] = match ?? []
      return { start: seconds(start), end: seconds(end), uri, x: +x, y: +y, w: +w, h: +h }
    })
}

const nonEmptyFile = (path: string) =>
  Effect.promise(() => stat(path)).pipe(Effect.map((stats) => stats.isFile() && stats.size > 0))

/**
 * Checks everything a player relies on in `dir`: the renditions expected (name and size), a master playlist listing
 * each with BANDWIDTH, RESOLUTION and CODECS (AAC only with sound), media playlists whose segments exist, last at most
 * 2 s (+0.1) and add up to the source's duration (±0.1 s), a poster, and a sprite whose WebVTT cues cover the video
 * and stay inside the image.
 */
export const checkLadder = (
  dir: string,
  result: TranscodeResult,
  spec: SourceSpec,
  expected: ReadonlyArray<readonly [RungName, number, number]>
) =>
  Effect.gen(function* () {
    expect(result.renditions.map((r) => [r.name, r.width, r.height])).toEqual(expected)
    expect(Math.abs(result.durationSeconds - spec.seconds)).toBeLessThanOrEqual(0.1)

    const master = yield* parseM3u8(yield* Effect.promise(() => readFile(join(dir, result.masterPlaylist), "utf8")))
    expect(master.playlists?.map((playlist) => playlist.uri)).toEqual(result.renditions.map((r) => r.playlist))
    for (const [index, rendition] of result.renditions.entries()) {
      const attributes = master.playlists?.[index]?.attributes ?? {}
      expect(attributes.BANDWIDTH).toBe(rendition.bandwidth)
      // m3u8-parser reads BANDWIDTH as a number but leaves AVERAGE-BANDWIDTH a string.
      expect(Number(attributes["AVERAGE-BANDWIDTH"])).toBe(rendition.averageBandwidth)
      expect(rendition.averageBandwidth).toBeLessThanOrEqual(rendition.bandwidth)
      expect(attributes.RESOLUTION).toEqual({ width: rendition.width, height: rendition.height })
      expect(attributes.CODECS).toBe(rendition.codecs)
      expect(rendition.codecs).toMatch(/^avc1\.[0-9a-f]{6}/i)
      expect(rendition.codecs.includes("mp4a.40.2")).toBe(spec.audio)

      const media = yield* parseM3u8(yield* Effect.promise(() => readFile(join(dir, rendition.playlist), "utf8")))
      expect(media.endList).toBe(true)
      expect(media.playlistType).toBe("VOD")
      expect(media.segments.length).toBe(Math.ceil(spec.seconds / SEGMENT_SECONDS - 0.05))
      for (const segment of media.segments) {
        expect(segment.duration).toBeLessThanOrEqual(SEGMENT_SECONDS + 0.1)
        const segmentPath = join(dir, rendition.playlist, "..", segment.uri)
        expect(yield* nonEmptyFile(segmentPath), segmentPath).toBe(true)
      }
      const total = media.segments.reduce((sum, segment) => sum + segment.duration, 0)
      expect(Math.abs(total - spec.seconds)).toBeLessThanOrEqual(0.1)
    }

    const poster = jpegSize(yield* Effect.promise(() => readFile(join(dir, result.poster))))
    expect(poster?.width).toBeGreaterThan(0)
    expect(poster?.height).toBeGreaterThan(0)
    const sprite = jpegSize(yield* Effect.promise(() => readFile(join(dir, result.thumbnailsSprite))))
    expect(sprite).toBeDefined()
    const cues = parseThumbnailsVtt(yield* Effect.promise(() => readFile(join(dir, result.thumbnailsVtt), "utf8")))
    expect(cues.length).toBeGreaterThan(0)
    expect(cues[0]?.start).toBe(0)
    expect(Math.abs((cues[cues.length - 1]?.end ?? 0) - spec.seconds)).toBeLessThanOrEqual(0.1)
    for (const [index, cue] of cues.entries()) {
      expect(cue.uri).toBe(result.thumbnailsSprite)
      expect(cue.end).toBeGreaterThan(cue.start)
      if (index > 0) expect(cue.start).toBe(cues[index - 1]?.end)
      expect(cue.x + cue.w).toBeLessThanOrEqual(sprite?.width ?? 0)
      expect(cue.y + cue.h).toBeLessThanOrEqual(sprite?.height ?? 0)
    }
  })

/** Registers the Transcoder contract against `layer`, making its sources with `sources`. */
export const transcoderSuite = <E>(name: string, layer: Layer.Layer<Transcoder, E>, sources: TranscoderSources) => {
  describe(`Transcoder port: ${name}`, () => {
    const root = mkdtempSync(join(tmpdir(), "lectern-transcoder-suite-"))
    afterAll(() => rmSync(root, { recursive: true, force: true }))
    const test = sharedLayer(layer)
    let counter = 0
    const fresh = (label: string) => join(root, `${++counter}-${label}`)

    const source = (spec: SourceSpec) =>
      Effect.gen(function* () {
        const path = `${fresh(`${spec.width}x${spec.height}`)}.mp4`
        yield* sources.make(path, spec)
        return path
      })

    /** Probes and transcodes `spec`, recording every progress report. */
    const ladder = (spec: SourceSpec) =>
      Effect.gen(function* () {
        const transcoder = yield* Transcoder
        const input = yield* source(spec)
        const probe = yield* transcoder.probe(input, SUITE_LIMITS)
        const dir = fresh("out")
        yield* Effect.promise(() => mkdir(dir))
        const progress = yield* Ref.make<ReadonlyArray<number>>([])
        const result = yield* transcoder.transcode(input, dir, {
          probe,
          timeout: "50 seconds",
          onProgress: (percent) => Ref.update(progress, (all) => [...all, percent])
        })
        return { dir, result, progress: yield* Ref.get(progress) }
      })

    const refusal = (path: string, limits: ProbeLimits = SUITE_LIMITS) =>
      Effect.gen(function* () {
        const transcoder = yield* Transcoder
        const error = yield* Effect.flip(transcoder.probe(path, limits))
        expect(error._tag).toBe("InvalidMedia")
        return error._tag === "InvalidMedia" ? error.reason : ""
      })

    test("probes a valid source", () =>
      Effect.gen(function* () {
        const transcoder = yield* Transcoder
        const input = yield* source({ width: 854, height: 480, seconds: 4, frameRate: 30, audio: true })
        const probe = yield* transcoder.probe(input, SUITE_LIMITS)
        expect(probe.formatName).not.toBe("")
        expect(Math.abs(probe.durationSeconds - 4)).toBeLessThanOrEqual(0.1)
        expect(probe.sizeBytes).toBe((yield* Effect.promise(() => stat(input))).size)
        expect(probe.video).toMatchObject({ codec: "h264", width: 854, height: 480 })
        expect(probe.video.frameRate).toBeCloseTo(30, 2)
        expect(probe.audio?.channels).toBeGreaterThan(0)

        const silent = yield* source({ width: 320, height: 240, seconds: 2, frameRate: 10, audio: false })
        expect((yield* transcoder.probe(silent, SUITE_LIMITS)).audio).toBeUndefined()
      }))

    test("refuses an empty file, a text file and a playlist named .mp4", () =>
      Effect.gen(function* () {
        const empty = `${fresh("empty")}.mp4`
        const text = `${fresh("notes")}.mp4`
        const playlist = `${fresh("playlist")}.mp4`
        yield* Effect.promise(() =>
          Promise.all([
            writeFile(empty, ""),
            writeFile(text, "These are my lecture notes.\nNothing to see here.\n"),
            writeFile(playlist, "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nsegment.ts\n#EXT-X-ENDLIST\n")
          ])
        )
        expect(yield* refusal(empty)).toMatch(/empty/)
        expect(yield* refusal(text)).toMatch(/text/)
        expect(yield* refusal(playlist)).toMatch(/playlist/)
      }))

    test("refuses a source longer or larger than the limits", () =>
      Effect.gen(function* () {
        const input = yield* source({ width: 640, height: 360, seconds: 4, frameRate: 10, audio: false })
        expect(yield* refusal(input, { ...SUITE_LIMITS, maxSeconds: 3 })).toMatch(
          /lasts 4 s; the longest accepted is 3 s/
        )
        expect(yield* refusal(input, { ...SUITE_LIMITS, maxWidth: 320, maxHeight: 240 })).toMatch(/640×360/)
      }))

    test("turns a 1080p source into 360p, 720p and 1080p, with poster, sprite and progress to 100", () =>
      Effect.gen(function* () {
        const spec = { width: 1920, height: 1080, seconds: 4, frameRate: 10, audio: true }
        const { dir, result, progress } = yield* ladder(spec)
        yield* checkLadder(dir, result, spec, [
          ["360p", 640, 360],
          ["720p", 1280, 720],
          ["1080p", 1920, 1080]
        ])
        expect(progress.length).toBeGreaterThan(0)
        expect(progress[progress.length - 1]).toBe(100)
        for (const [index, percent] of progress.entries()) {
          expect(percent).toBeGreaterThanOrEqual(index === 0 ? 0 : (progress[index - 1] ?? 0))
          expect(percent).toBeLessThanOrEqual(100)
        }
      }))

    test("turns a silent 720p source into 360p and 720p without an audio codec", () =>
      Effect.gen(function* () {
        const spec = { width: 1280, height: 720, seconds: 3, frameRate: 10, audio: false }
        const { dir, result } = yield* ladder(spec)
        yield* checkLadder(dir, result, spec, [
          ["360p", 640, 360],
          ["720p", 1280, 720]
        ])
      }))

    test("turns a 480p source into the 360p rung only", () =>
      Effect.gen(function* () {
        const spec = { width: 854, height: 480, seconds: 4, frameRate: 30, audio: true }
        const { dir, result } = yield* ladder(spec)
        yield* checkLadder(dir, result, spec, [["360p", 640, 360]])
      }))

    test("sizes a portrait source's rungs by its short side: 720×1280 gives 360×640 and 720×1280", () =>
      Effect.gen(function* () {
        const spec = { width: 720, height: 1280, seconds: 2, frameRate: 10, audio: false }
        const { dir, result } = yield* ladder(spec)
        yield* checkLadder(dir, result, spec, [
          ["360p", 360, 640],
          ["720p", 720, 1280]
        ])
      }))

    test("never upscales: a 240p source keeps its own size in the one rung", () =>
      Effect.gen(function* () {
        const spec = { width: 320, height: 240, seconds: 2, frameRate: 10, audio: false }
        const { dir, result } = yield* ladder(spec)
        yield* checkLadder(dir, result, spec, [["360p", 320, 240]])
      }))
  })
}
