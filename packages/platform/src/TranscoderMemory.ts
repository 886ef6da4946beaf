// The Transcoder port without FFmpeg, for unit tests: fixture sources in, small but valid HLS layouts out.
import { mkdir, open, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Duration, Effect, Layer, Schema } from "effect"
import {
  AUDIO_BIT_RATE,
  InvalidMedia,
  MAX_RATE_FACTOR,
  type Probe,
  SEGMENT_SECONDS,
  TranscodeFailed,
  type TranscodeResult,
  Transcoder,
  type TranscoderService
} from "./Transcoder.ts"
import {
  checkLimits,
  codecsAttribute,
  masterPlaylist,
  OUTPUT_FILES,
  planTranscode,
  refuseNonMedia,
  thumbnailsVtt
} from "./TranscoderFfmpeg.ts"

/** What a fixture source claims to be. */
export const FixtureSpec = Schema.Struct({
  width: Schema.Int.pipe(Schema.positive()),
  height: Schema.Int.pipe(Schema.positive()),
  durationSeconds: Schema.Number.pipe(Schema.positive()),
  audio: Schema.Boolean,
  frameRate: Schema.optional(Schema.Number.pipe(Schema.positive()))
})
export type FixtureSpec = typeof FixtureSpec.Type

/** The first bytes of every fixture; the NULs keep it from reading as text, as a real container does. */
export const FIXTURE_MAGIC = new TextEncoder().encode("\u0000LECTERN-FIXTURE-VIDEO\u0000")
const FIXTURE_MAX_BYTES = 4096

const decodeFixture = Schema.decodeUnknownOption(Schema.parseJson(FixtureSpec))

/** Writes a fixture source at `path`: the magic bytes, then the spec as JSON. */
export const writeFixtureSource = (path: string, spec: FixtureSpec): Effect.Effect<void, TranscodeFailed> =>
  Effect.tryPromise({
    try: () => {
      const json = new TextEncoder().encode(JSON.stringify(spec))
      const bytes = new Uint8Array(FIXTURE_MAGIC.length + json.length)
      bytes.set(FIXTURE_MAGIC)
      bytes.set(json, FIXTURE_MAGIC.length)
      return writeFile(path, bytes)
    },
    catch: (error) =>
      new TranscodeFailed({ reason: `could not write the fixture ${path}: ${String(error)}`, stderr: "" })
  })

/** The fixture spec in `path`, or undefined when the file is not a fixture. */
const readFixture = (path: string) =>
  Effect.tryPromise({
    try: async () => {
      const handle = await open(path, "r")
      try {
        const buffer = new Uint8Array(FIXTURE_MAX_BYTES)
        const { bytesRead } = await handle.read(buffer, 0, FIXTURE_MAX_BYTES, 0)
        return buffer.subarray(0, bytesRead)
      } finally {
        await handle.close()
      }
    },
    catch: (error) => new TranscodeFailed({ reason: `could not read ${path}: ${String(error)}`, stderr: "" })
  }).pipe(
    Effect.map((bytes) => {
      if (bytes.length < FIXTURE_MAGIC.length || !FIXTURE_MAGIC.every((byte, i) => bytes[i] === byte)) return undefined
      const json = new TextDecoder().decode(bytes.subarray(FIXTURE_MAGIC.length))
      const spec = decodeFixture(json)
      return spec._tag === "Some" ? spec.value : undefined
    })
  )

/** The probe a fixture stands for: H.264 High 4:2:0, and AAC stereo when it has audio. */
export const fixtureProbe = (spec: FixtureSpec, sizeBytes: number): Probe => ({
  formatName: "lectern-fixture",
  durationSeconds: spec.durationSeconds,
  sizeBytes,
  video: {
    codec: "h264",
    profile: "High",
    pixelFormat: "yuv420p",
    width: spec.width,
    height: spec.height,
    frameRate: spec.frameRate ?? 30,
    bitRate: undefined
  },
  audio: spec.audio ? { codec: "aac", channels: 2, sampleRate: 48_000, bitRate: AUDIO_BIT_RATE } : undefined
})

/** Segment durations for `seconds`: whole 2-second segments, then the remainder. */
export const segmentDurations = (seconds: number) => {
  const whole = Math.floor(seconds / SEGMENT_SECONDS + 1e-9)
  const rest = seconds - whole * SEGMENT_SECONDS
  const durations = Array.from({ length: whole }, () => SEGMENT_SECONDS)
  return rest > 1e-3 ? [...durations, rest] : durations
}

/** A VOD media playlist naming `segment-00000.ts`, `segment-00001.ts`, … with the given durations. */
export const mediaPlaylistText = (durations: ReadonlyArray<number>) =>
  [
    "#EXTM3U",
    "#EXT-X-VERSION:6",
    `#EXT-X-TARGETDURATION:${Math.ceil(Math.max(...durations))}`,
    "#EXT-X-MEDIA-SEQUENCE:0",
    "#EXT-X-PLAYLIST-TYPE:VOD",
    "#EXT-X-INDEPENDENT-SEGMENTS",
    ...durations.flatMap((duration, index) => [
      `#EXTINF:${duration.toFixed(6)},`,
      `segment-${String(index).padStart(5, "0")}.ts`
    ]),
    "#EXT-X-ENDLIST",
    ""
  ].join("\n")

/** One MPEG-TS null packet (PID 0x1FFF): the smallest valid transport stream, standing in for a segment. */
export const NULL_TS_PACKET = (() => {
  const packet = new Uint8Array(188).fill(0xff)
  packet.set([0x47, 0x1f, 0xff, 0x10])
  return packet
})()

/**
 * A valid baseline JPEG of `width`×`height`, all mid-grey: one greyscale component whose every 8×8 block is coded as
 * "DC difference 0, end of block", each a one-bit Huffman code, so the scan is 2 zero bits per block.
 */
export const grayJpeg = (width: number, height: number): Uint8Array => {
  const u16 = (value: number) => [(value >> 8) & 0xff, value & 0xff]
  const oneSymbolTable = (tableClassAndId: number) => [
    0xff,
    0xc4,
    ...u16(2 + 1 + 16 + 1),
    tableClassAndId,
    1,
    ...new Array<number>(15).fill(0),
    0x00
  ]
  const blocks = Math.ceil(width / 8) * Math.ceil(height / 8)
  const bits = blocks * 2
  const scan = new Uint8Array(Math.ceil(bits / 8))
  // Pad the last byte with 1-bits, as the standard asks.
  if (bits % 8 !== 0) scan[scan.length - 1] = (1 << (8 - (bits % 8))) - 1
  return new Uint8Array([
    ...[0xff, 0xd8],
    ...[0xff, 0xdb, ...u16(67), 0x00, ...new Array<number>(64).fill(1)],
    ...[0xff, 0xc0, ...u16(11), 8, ...u16(height), ...u16(width), 1, 1, 0x11, 0],
    ...oneSymbolTable(0x00),
    ...oneSymbolTable(0x10),
    ...[0xff, 0xda, ...u16(8), 1, 1, 0x00, 0, 63, 0],
    ...scan,
    ...[0xff, 0xd9]
  ])
}

/** Builds a Transcoder that reads only fixtures and writes the FFmpeg layer's layout with placeholder media. */
export const makeMemory = (): TranscoderService => {
  const probe: TranscoderService["probe"] = (inputPath, limits) =>
    Effect.gen(function* () {
      const sizeBytes = yield* refuseNonMedia(inputPath)
      const spec = yield* readFixture(inputPath)
      if (spec === undefined) {
        return yield* new InvalidMedia({ reason: "it is not a fixture video (see writeFixtureSource)" })
      }
      return yield* checkLimits(fixtureProbe(spec, sizeBytes), limits)
    })

  const transcode: TranscoderService["transcode"] = (inputPath, outputDir, options) =>
    Effect.gen(function* () {
      if ((yield* readFixture(inputPath)) === undefined) {
        return yield* new TranscodeFailed({ reason: `${inputPath} is not a fixture video`, stderr: "" })
      }
      const write = (file: string, bytes: Uint8Array | string) =>
        Effect.tryPromise({
          try: () => writeFile(join(outputDir, file), bytes),
          catch: (error) => new TranscodeFailed({ reason: `could not write ${file}: ${String(error)}`, stderr: "" })
        })
      const plan = planTranscode(inputPath, outputDir, options.probe, { threads: 1, preset: "veryfast" }, undefined)
      const durations = segmentDurations(plan.durationSeconds)
      const audioRate = plan.audio ? AUDIO_BIT_RATE : 0
      const renditions = yield* Effect.forEach(plan.rungs, (rung, index) =>
        Effect.gen(function* () {
          yield* Effect.tryPromise({
            try: () => mkdir(join(outputDir, rung.name), { recursive: true }),
            catch: (error) =>
              new TranscodeFailed({ reason: `could not create ${rung.name}: ${String(error)}`, stderr: "" })
          })
          yield* Effect.forEach(durations, (_, segment) =>
            write(`${rung.name}/segment-${String(segment).padStart(5, "0")}.ts`, NULL_TS_PACKET)
          )
          yield* write(OUTPUT_FILES.playlist(rung.name), mediaPlaylistText(durations))
          yield* options.onProgress(Math.floor(((index + 1) / (plan.rungs.length + 1)) * 100))
          return {
            name: rung.name,
            width: rung.width,
            height: rung.height,
            bandwidth: Math.round(rung.bitRate * MAX_RATE_FACTOR + audioRate),
            averageBandwidth: rung.bitRate + audioRate,
            codecs: codecsAttribute(rung.videoCodec, plan.audio),
            playlist: OUTPUT_FILES.playlist(rung.name),
            copied: false
          }
        })
      )
      const { sprite } = plan
      yield* write(OUTPUT_FILES.poster, grayJpeg(plan.posterSize.width, plan.posterSize.height))
      yield* write(OUTPUT_FILES.sprite, grayJpeg(sprite.columns * sprite.tileWidth, sprite.rows * sprite.tileHeight))
      yield* write(OUTPUT_FILES.vtt, thumbnailsVtt(sprite, plan.durationSeconds, OUTPUT_FILES.sprite))
      yield* write(OUTPUT_FILES.master, masterPlaylist(renditions, plan.frameRate))
      yield* options.onProgress(100)
      const result: TranscodeResult = {
        durationSeconds: plan.durationSeconds,
        renditions,
        masterPlaylist: OUTPUT_FILES.master,
        poster: OUTPUT_FILES.poster,
        thumbnailsVtt: OUTPUT_FILES.vtt,
        thumbnailsSprite: OUTPUT_FILES.sprite
      }
      return result
    }).pipe(
      Effect.timeoutFail({
        duration: options.timeout,
        onTimeout: () =>
          new TranscodeFailed({ reason: `timed out after ${Duration.format(options.timeout)}`, stderr: "" })
      })
    )

  return { probe, transcode }
}

/** The in-memory Transcoder (files still go to disk: the layout is the contract). */
export const layerMemory: Layer.Layer<Transcoder> = Layer.sync(Transcoder, makeMemory)
