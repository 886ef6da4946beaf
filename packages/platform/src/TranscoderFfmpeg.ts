// The Transcoder port on FFmpeg: guarded ffprobe, then one ffmpeg process that decodes once and writes the whole ladder.
import { type ChildProcess, spawn } from "node:child_process"
import { createReadStream, writeFileSync } from "node:fs"
import { mkdir, open, readFile, stat, writeFile } from "node:fs/promises"
import { availableParallelism } from "node:os"
import { join, resolve } from "node:path"
import {
  Config,
  type ConfigError,
  Deferred,
  Duration,
  Effect,
  Exit,
  Fiber,
  Layer,
  Option,
  Queue,
  Schedule,
  Schema,
  type Scope
} from "effect"
import {
  type FfmpegBinaries,
  type FfmpegNotFound,
  ffmpegBinaries,
  findOnPath,
  resolveFfmpegBinaries
} from "./FfmpegBinaries.ts"
import {
  AUDIO_BIT_RATE,
  BUFFER_FACTOR,
  InvalidMedia,
  MAX_RATE_FACTOR,
  type Probe,
  type ProbeLimits,
  type Rendition,
  type RungName,
  rungsFor,
  SEGMENT_SECONDS,
  TranscodeFailed,
  type TranscodeResult,
  Transcoder,
  type TranscoderService,
  type VideoStream
} from "./Transcoder.ts"

// ---------------------------------------------------------------------------------------------------------------
// Settings

/** Splits an option string on spaces; only for values without spaces (paths are passed as their own elements). */
export const words = (options: string) => options.split(" ").filter((word) => word !== "")

/** The libx264 presets accepted; slower ones are refused, as on shared cores they multiply the wait for little gain. */
export const X264_PRESETS = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"] as const
export type X264Preset = (typeof X264_PRESETS)[number]

export interface FfmpegSettings {
  /**
   * Threads for the decoder, the filter graph and each encoder (`-threads`, `-filter_complex_threads`). FFmpeg 5.1
   * runs its encoders one after another on one thread, so this bounds the cores one transcode keeps busy.
   * Default: max(1, cores − 1), leaving a core to the web process.
   */
  readonly threads?: number
  /** `nice -n` for ffmpeg (0 runs it at normal priority; ignored when `nice` is not on PATH). Default 10. */
  readonly niceness?: number
  /**
   * Run ffmpeg under Linux's SCHED_IDLE policy (`chrt --idle 0`; ignored without `chrt`): it then gets a core only
   * when no normal task wants it, and a waking request handler preempts it at once, where niceness only shrinks its
   * share. Its scheduling group gets nice 19 as well (see `groupNiceness`). Default true.
   */
  readonly idlePriority?: boolean
  /**
   * CPUs ffmpeg may run on (`taskset -c`, e.g. "1" or "2-3"; ignored without `taskset`): keeps its working set out of
   * the caches of the cores serving requests. Default: none (any CPU).
   */
  readonly cpus?: string | undefined
  /** libx264 preset. Default `veryfast`. */
  readonly preset?: X264Preset
  /** Wall-clock limit of each ffprobe run. Default 30 seconds. */
  readonly probeTimeout?: Duration.DurationInput
  /** The programs; default `ffmpegBinaries` (resolved once per process). */
  readonly binaries?: FfmpegBinaries
}

export const defaultThreads = () => Math.max(1, availableParallelism() - 1)
export const DEFAULT_NICENESS = 10

/**
 * The nice value of ffmpeg's scheduling group: 19 (the lowest priority a group can have) under SCHED_IDLE, else the
 * niceness. ffmpeg runs in a session of its own (so one kill reaches the whole process group), and with Linux's
 * autogroup (`kernel.sched_autogroup_enabled`, on in most distributions) each session is a group that the
 * scheduler first shares the CPUs between as an equal of every other group, whatever its tasks' policy and nice:
 * `chrt --idle` and `nice` alone then rank ffmpeg only against its own threads, and it takes about as much CPU as the
 * whole web process. The group's own nice is what ranks it against the others.
 */
export const groupNiceness = (settings: { readonly idlePriority: boolean; readonly niceness: number }) =>
  settings.idlePriority ? 19 : settings.niceness

// ---------------------------------------------------------------------------------------------------------------
// Refusing what is not a video before any tool opens it

/** The demuxers ffprobe and ffmpeg may use (`-format_whitelist`): containers only, no playlists, scripts or images. */
export const ACCEPTED_CONTAINERS: ReadonlyArray<string> = words(
  "mov mp4 m4a 3gp 3g2 mj2 matroska webm avi mpegts flv ogg mpeg"
)
export const FORMAT_WHITELIST = ACCEPTED_CONTAINERS.join(",")

/** True when one of the names in ffprobe's `format_name` (e.g. `mov,mp4,m4a,3gp,3g2,mj2`) is accepted. */
export const isAcceptedContainer = (formatName: string) =>
  formatName.split(",").some((name) => ACCEPTED_CONTAINERS.includes(name.trim()))

/** Bytes read from the start of a file to decide whether it may be a video. */
export const SNIFF_BYTES = 64 * 1024

const bytesOf = (text: string) => new TextEncoder().encode(text)
const HLS_MARKER = bytesOf("#EXTM3U")

const startsWith = (bytes: Uint8Array, prefix: ArrayLike<number>) => {
  if (bytes.length < prefix.length) return false
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false
  return true
}

const indexOfBytes = (bytes: Uint8Array, needle: Uint8Array) => Buffer.from(bytes).indexOf(Buffer.from(needle))

/** True when `head` decodes as UTF-8 (or carries a UTF-16 BOM) without control characters other than whitespace. */
export const looksLikeText = (head: Uint8Array) => {
  if (startsWith(head, [0xff, 0xfe]) || startsWith(head, [0xfe, 0xff])) return true
  let text: string
  try {
    // `stream: true` holds back a character cut in half at the end of the sample instead of failing on it.
    text = new TextDecoder("utf-8", { fatal: true }).decode(head, { stream: true })
  } catch {
    return false
  }
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    const whitespace = code >= 0x09 && code <= 0x0d
    if ((code < 0x20 && !whitespace && code !== 0x1b) || code === 0x7f) return false
  }
  return true
}

/** True for a RIFF file of the AVI family, the container whose streams may embed a playlist. */
export const isAvi = (head: Uint8Array) =>
  startsWith(head, bytesOf("RIFF")) && startsWith(head.subarray(8), bytesOf("AVI"))

/**
 * Why the first bytes of a file show it is not a video, or undefined when they may be one: empty files, playlists,
 * concat scripts, programs, scripts and any text are refused before ffprobe ever opens them.
 */
export const sniffRefusal = (head: Uint8Array): string | undefined => {
  if (head.length === 0) return "the file is empty"
  if (startsWith(head, HLS_MARKER)) return "it is an HLS playlist, not a video file"
  if (startsWith(head, bytesOf("ffconcat"))) return "it is an FFmpeg concat script, not a video file"
  if (startsWith(head, [0x7f, 0x45, 0x4c, 0x46])) return "it is a program (ELF executable), not a video file"
  if (startsWith(head, bytesOf("MZ"))) return "it is a Windows program, not a video file"
  const machO = [
    [0xfe, 0xed, 0xfa, 0xce],
    [0xfe, 0xed, 0xfa, 0xcf],
    [0xce, 0xfa, 0xed, 0xfe],
    [0xcf, 0xfa, 0xed, 0xfe],
    [0xca, 0xfe, 0xba, 0xbe]
  ]
  if (machO.some((magic) => startsWith(head, magic))) return "it is a macOS program, not a video file"
  if (startsWith(head, bytesOf("#!"))) return "it is a script, not a video file"
  if (indexOfBytes(head, HLS_MARKER) >= 0)
    return "it contains an HLS playlist, which could make FFmpeg read other files"
  if (looksLikeText(head)) return "it is a text file, not a video file"
  return undefined
}

/** A file that could not be read, as the transcoder's failure. */
export const readFailed = (path: string) => (error: unknown) =>
  new TranscodeFailed({
    reason: `could not read ${path}: ${error instanceof Error ? error.message : String(error)}`,
    stderr: ""
  })

/** The first `length` bytes of a file (fewer when it is shorter). */
export const readHead = (path: string, length: number) =>
  Effect.tryPromise({
    try: async () => {
      const handle = await open(path, "r")
      try {
        const buffer = new Uint8Array(length)
        const { bytesRead } = await handle.read(buffer, 0, length, 0)
        return buffer.subarray(0, bytesRead)
      } finally {
        await handle.close()
      }
    },
    catch: readFailed(path)
  })

/** Whether `needle` occurs anywhere in the file, read in 1 MiB chunks (for containers that can hide a playlist). */
export const fileContains = (path: string, needle: Uint8Array) =>
  Effect.tryPromise({
    try: async () => {
      const wanted = Buffer.from(needle)
      let carry = Buffer.alloc(0)
      for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
        const window = Buffer.concat([carry, chunk as Buffer])
        if (window.indexOf(wanted) >= 0) return true
        carry = window.subarray(Math.max(0, window.length - wanted.length + 1))
      }
      return false
    },
    catch: readFailed(path)
  })

/**
 * Refuses what is not a video by its bytes alone (see `sniffRefusal`; an AVI is scanned whole for a playlist, the
 * route of the GAB2 exploit) and answers the file's size.
 */
export const refuseNonMedia = (path: string): Effect.Effect<number, InvalidMedia | TranscodeFailed> =>
  Effect.gen(function* () {
    const stats = yield* Effect.tryPromise({ try: () => stat(path), catch: readFailed(path) })
    if (!stats.isFile()) return yield* new InvalidMedia({ reason: "it is not a regular file" })
    if (stats.size === 0) return yield* new InvalidMedia({ reason: "the file is empty" })
    const head = yield* readHead(path, SNIFF_BYTES)
    const refusal = sniffRefusal(head)
    if (refusal !== undefined) return yield* new InvalidMedia({ reason: refusal })
    if (isAvi(head) && (yield* fileContains(path, HLS_MARKER))) {
      return yield* new InvalidMedia({
        reason: "it contains an HLS playlist, which could make FFmpeg read other files"
      })
    }
    return stats.size
  })

// ---------------------------------------------------------------------------------------------------------------
// Reading ffprobe's answer

/** `30000/1001` → 29.97…, `25` → 25; undefined for `0/0`, `N/A` and the like. */
export const parseFrameRate = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const [numerator, denominator = "1"] = value.split("/")
  const rate = Number(numerator) / Number(denominator)
  return Number.isFinite(rate) && rate > 0 ? rate : undefined
}

const FfprobeStream = Schema.Struct({
  codec_type: Schema.optional(Schema.String),
  codec_name: Schema.optional(Schema.String),
  profile: Schema.optional(Schema.String),
  pix_fmt: Schema.optional(Schema.String),
  width: Schema.optional(Schema.Number),
  height: Schema.optional(Schema.Number),
  level: Schema.optional(Schema.Number),
  avg_frame_rate: Schema.optional(Schema.String),
  r_frame_rate: Schema.optional(Schema.String),
  bit_rate: Schema.optional(Schema.String),
  duration: Schema.optional(Schema.String),
  channels: Schema.optional(Schema.Number),
  sample_rate: Schema.optional(Schema.String),
  extradata: Schema.optional(Schema.String),
  disposition: Schema.optional(Schema.Struct({ attached_pic: Schema.optional(Schema.Number) })),
  tags: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  side_data_list: Schema.optional(Schema.Array(Schema.Struct({ rotation: Schema.optional(Schema.Number) })))
})
export type FfprobeStream = typeof FfprobeStream.Type

export const FfprobeOutput = Schema.Struct({
  streams: Schema.optionalWith(Schema.Array(FfprobeStream), { default: () => [] }),
  format: Schema.optional(
    Schema.Struct({
      format_name: Schema.optional(Schema.String),
      duration: Schema.optional(Schema.String),
      size: Schema.optional(Schema.String)
    })
  )
})
export type FfprobeOutput = typeof FfprobeOutput.Type

const decodeFfprobeJson = Schema.decodeUnknown(Schema.parseJson(FfprobeOutput))

const positive = (value: string | number | undefined) => {
  const number = Number(value)
  return value !== undefined && Number.isFinite(number) && number > 0 ? number : undefined
}

/** Degrees the player turns the picture (display matrix or the older `rotate` tag); 0 when none. */
export const rotationOf = (stream: FfprobeStream) =>
  stream.side_data_list?.find((data) => data.rotation !== undefined)?.rotation ?? Number(stream.tags?.rotate ?? 0)

const quarterTurned = (stream: FfprobeStream) => Math.abs(Math.round(rotationOf(stream) / 90)) % 2 === 1

/** The video stream we transcode: the first one that is not a cover picture. */
export const mainVideoStream = (output: FfprobeOutput) =>
  output.streams.find((stream) => stream.codec_type === "video" && stream.disposition?.attached_pic !== 1)

/**
 * The Probe for ffprobe's JSON, or why it is not a video we accept. Width and height are as displayed: a phone
 * video stored landscape with a quarter-turn rotation reports portrait dimensions (ffmpeg turns it when decoding).
 */
export const probeFromFfprobe = (output: FfprobeOutput, sizeBytes: number): Effect.Effect<Probe, InvalidMedia> => {
  const formatName = output.format?.format_name ?? ""
  if (!isAcceptedContainer(formatName)) {
    return new InvalidMedia({ reason: `its format (${formatName || "unknown"}) is not a video container we accept` })
  }
  const video = mainVideoStream(output)
  if (video === undefined) return new InvalidMedia({ reason: "it has no video track" })
  const storedWidth = video.width ?? 0
  const storedHeight = video.height ?? 0
  if (storedWidth < 2 || storedHeight < 2) return new InvalidMedia({ reason: "its picture size is unknown" })
  const frameRate = parseFrameRate(video.avg_frame_rate) ?? parseFrameRate(video.r_frame_rate)
  if (frameRate === undefined) return new InvalidMedia({ reason: "its frame rate is unknown" })
  const durationSeconds = positive(output.format?.duration) ?? positive(video.duration)
  if (durationSeconds === undefined) return new InvalidMedia({ reason: "it has no duration" })
  const turned = quarterTurned(video)
  const audio = output.streams.find((stream) => stream.codec_type === "audio")
  return Effect.succeed({
    formatName,
    durationSeconds,
    sizeBytes,
    video: {
      codec: video.codec_name ?? "unknown",
      profile: video.profile,
      pixelFormat: video.pix_fmt,
      width: turned ? storedHeight : storedWidth,
      height: turned ? storedWidth : storedHeight,
      frameRate,
      bitRate: positive(video.bit_rate) ?? positive(video.tags?.BPS) ?? positive(video.tags?.["BPS-eng"])
    },
    audio:
      audio === undefined
        ? undefined
        : {
            codec: audio.codec_name ?? "unknown",
            channels: audio.channels ?? 0,
            sampleRate: positive(audio.sample_rate) ?? 0,
            bitRate: positive(audio.bit_rate)
          }
  })
}

const describeSeconds = (seconds: number) => {
  const whole = Math.round(seconds)
  const hours = Math.floor(whole / 3600)
  const minutes = Math.floor((whole % 3600) / 60)
  const rest = whole % 60
  return [
    hours > 0 ? `${hours} h` : "",
    minutes > 0 ? `${minutes} min` : "",
    rest > 0 || whole === 0 ? `${rest} s` : ""
  ]
    .filter((part) => part !== "")
    .join(" ")
}

/**
 * Checks duration and size against `limits`. The size box may be turned: a 1080×1920 portrait video fits limits of
 * 1920×1080, because creators record on phones.
 */
export const checkLimits = (probe: Probe, limits: ProbeLimits): Effect.Effect<Probe, InvalidMedia> => {
  if (!(probe.durationSeconds > 0)) return new InvalidMedia({ reason: "it has no duration" })
  if (probe.durationSeconds > limits.maxSeconds) {
    return new InvalidMedia({
      reason: `it lasts ${describeSeconds(probe.durationSeconds)}; the longest accepted is ${describeSeconds(limits.maxSeconds)}`
    })
  }
  const { width, height } = probe.video
  const fits =
    Math.max(width, height) <= Math.max(limits.maxWidth, limits.maxHeight) &&
    Math.min(width, height) <= Math.min(limits.maxWidth, limits.maxHeight)
  if (!fits) {
    return new InvalidMedia({
      reason: `it is ${width}×${height}; the largest accepted is ${limits.maxWidth}×${limits.maxHeight} (either way round)`
    })
  }
  return Effect.succeed(probe)
}

/** Options every ffprobe and ffmpeg input gets: local files only, accepted containers only. */
export const INPUT_GUARD = words(`-protocol_whitelist file -format_whitelist ${FORMAT_WHITELIST}`)

/** ffprobe's arguments for `path`: the input guard, errors only, JSON out. */
export const probeArgs = (path: string): Array<string> => [
  ...words("-v error -print_format json -show_format -show_streams"),
  ...INPUT_GUARD,
  `file:${resolve(path)}`
]

/** The reason given to the creator when ffprobe refuses a file (its stderr says why). */
export const unreadableReason = (stderr: string) => {
  if (stderr.includes("not on whitelist")) return "its format is not a video container we accept"
  const lines = stderr.trim().split("\n")
  const last = lines[lines.length - 1]?.trim() ?? ""
  return `FFmpeg could not read it as a video${last === "" ? "" : ` (${last.slice(0, 200)})`}`
}

// ---------------------------------------------------------------------------------------------------------------
// H.264 levels and RFC 6381 codec strings

interface LevelLimits {
  readonly idc: number
  readonly maxMacroblocksPerSecond: number
  readonly maxFrameMacroblocks: number
  /** kbit/s for Main; High allows 1.25× this. */
  readonly maxKbps: number
}

const LEVELS: ReadonlyArray<LevelLimits> = [
  { idc: 30, maxMacroblocksPerSecond: 40_500, maxFrameMacroblocks: 1_620, maxKbps: 10_000 },
  { idc: 31, maxMacroblocksPerSecond: 108_000, maxFrameMacroblocks: 3_600, maxKbps: 14_000 },
  { idc: 32, maxMacroblocksPerSecond: 216_000, maxFrameMacroblocks: 5_120, maxKbps: 20_000 },
  { idc: 40, maxMacroblocksPerSecond: 245_760, maxFrameMacroblocks: 8_192, maxKbps: 20_000 },
  { idc: 41, maxMacroblocksPerSecond: 245_760, maxFrameMacroblocks: 8_192, maxKbps: 50_000 },
  { idc: 42, maxMacroblocksPerSecond: 522_240, maxFrameMacroblocks: 8_704, maxKbps: 50_000 },
  { idc: 50, maxMacroblocksPerSecond: 589_824, maxFrameMacroblocks: 22_080, maxKbps: 135_000 },
  { idc: 51, maxMacroblocksPerSecond: 983_040, maxFrameMacroblocks: 36_864, maxKbps: 240_000 },
  { idc: 52, maxMacroblocksPerSecond: 2_073_600, maxFrameMacroblocks: 36_864, maxKbps: 240_000 }
]

export type H264Profile = "main" | "high"

/** The lowest H.264 level (as level_idc, e.g. 31 for 3.1; 3.0 at least) for a stream of this size, rate and peak. */
export const h264Level = (
  width: number,
  height: number,
  frameRate: number,
  maxBitRate: number,
  profile: H264Profile
) => {
  const frameMacroblocks = Math.ceil(width / 16) * Math.ceil(height / 16)
  const factor = profile === "high" ? 1.25 : 1
  const level = LEVELS.find(
    (level) =>
      frameMacroblocks <= level.maxFrameMacroblocks &&
      frameMacroblocks * frameRate <= level.maxMacroblocksPerSecond &&
      maxBitRate / 1000 <= level.maxKbps * factor
  )
  return (level ?? LEVELS[LEVELS.length - 1])?.idc ?? 52
}

const hex2 = (byte: number) => byte.toString(16).padStart(2, "0")

/** `avc1.PPCCLL` from profile_idc, the constraint-flags byte and level_idc, e.g. (100, 0, 40) → `avc1.640028`. */
export const avcCodecString = (profileIdc: number, constraints: number, levelIdc: number) =>
  `avc1.${hex2(profileIdc)}${hex2(constraints)}${hex2(levelIdc)}`

/** The codec string libx264 produces for `profile` at `levelIdc` (x264 sets constraint_set1 for Main only). */
export const x264CodecString = (profile: H264Profile, levelIdc: number) =>
  profile === "main" ? avcCodecString(0x4d, 0x40, levelIdc) : avcCodecString(0x64, 0x00, levelIdc)

export const AAC_LC_CODEC = "mp4a.40.2"

/** The CODECS attribute of a rendition: its video codec, plus AAC-LC when it has sound. */
export const codecsAttribute = (videoCodec: string, audio: boolean) =>
  audio ? `${videoCodec},${AAC_LC_CODEC}` : videoCodec

/** The bytes of ffprobe's `-show_data` hex dump (`00000000: 0164 001e ffe1 …  .d...`). */
export const parseHexDump = (dump: string): Uint8Array => {
  const hex = dump
    .split("\n")
    .map((line) => {
      const colon = line.indexOf(": ")
      return colon < 0 ? "" : line.slice(colon + 2, colon + 2 + 39).replaceAll(" ", "")
    })
    .join("")
  const bytes = new Uint8Array(Math.floor(hex.length / 2))
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return bytes
}

/** Profile, constraint flags and level from H.264 extradata: an avcC record, or Annex B with an SPS. */
export const h264ParametersOf = (
  extradata: Uint8Array
): { readonly profileIdc: number; readonly constraints: number; readonly levelIdc: number } | undefined => {
  if (extradata[0] === 1 && extradata.length >= 4) {
    return { profileIdc: extradata[1] ?? 0, constraints: extradata[2] ?? 0, levelIdc: extradata[3] ?? 0 }
  }
  for (let i = 0; i + 6 < extradata.length; i++) {
    const startCode = extradata[i] === 0 && extradata[i + 1] === 0 && extradata[i + 2] === 1
    if (startCode && ((extradata[i + 3] ?? 0) & 0x1f) === 7) {
      return { profileIdc: extradata[i + 4] ?? 0, constraints: extradata[i + 5] ?? 0, levelIdc: extradata[i + 6] ?? 0 }
    }
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------------------------
// Planning the ladder

/** Frame rates above this are reduced to it. */
export const MAX_FRAME_RATE = 60

/**
 * Size of a rung: its short side `rungHeight` (never above the source's short side), the long side keeping the aspect
 * ratio, both even — 1280×720 for a landscape 720p rung, 720×1280 for a portrait one.
 */
export const rungDimensions = (source: { readonly width: number; readonly height: number }, rungHeight: number) => {
  const even = (value: number) => Math.max(2, 2 * Math.round(value / 2))
  if (source.width < source.height) {
    const width = Math.max(2, 2 * Math.floor(Math.min(rungHeight, source.width) / 2))
    return { width, height: even((source.height * width) / source.width) }
  }
  const height = Math.max(2, 2 * Math.floor(Math.min(rungHeight, source.height) / 2))
  return { width: even((source.width * height) / source.height), height }
}

/** Keyframe interval in frames for 2-second segments. */
export const gopFrames = (frameRate: number) => Math.max(1, Math.round(frameRate * SEGMENT_SECONDS))

const COPYABLE_PROFILES = ["Constrained Baseline", "Main", "High"]

/**
 * Whether the source's video could serve a rung as it is (checked further by `keyframesOnSegmentGrid`): H.264
 * 4:2:0 8-bit in a profile every player decodes, exactly the rung's size, at most 60 fps, and a known bit rate within
 * the rung's peak (1.3× its target).
 */
export const copyCandidate = (
  video: VideoStream,
  rung: { readonly bitRate: number },
  size: { readonly width: number; readonly height: number }
) =>
  video.codec === "h264" &&
  video.pixelFormat === "yuv420p" &&
  video.profile !== undefined &&
  COPYABLE_PROFILES.includes(video.profile) &&
  video.width === size.width &&
  video.height === size.height &&
  video.frameRate <= MAX_FRAME_RATE &&
  video.bitRate !== undefined &&
  video.bitRate <= rung.bitRate * MAX_RATE_FACTOR

/**
 * The copy rule on keyframes: counting from the first frame, the first frame at or after every multiple of 2 s must
 * be a keyframe. The HLS muxer then cuts the copied rung exactly where it cuts the re-encoded ones (whose keyframes
 * are forced at those instants), so segments stay ≤ 2 s and aligned across renditions.
 */
export const keyframesOnSegmentGrid = (
  packets: ReadonlyArray<{ readonly pts: number; readonly key: boolean }>,
  segmentSeconds: number = SEGMENT_SECONDS
) => {
  const sorted = [...packets].sort((a, b) => a.pts - b.pts)
  const first = sorted[0]
  if (first === undefined || !first.key) return false
  let boundary = segmentSeconds
  for (const packet of sorted) {
    const t = packet.pts - first.pts
    if (t + 1e-6 < boundary) continue
    if (!packet.key) return false
    while (boundary <= t + 1e-6) boundary += segmentSeconds
  }
  return true
}

/** Parses `ffprobe -show_entries packet=pts_time,flags -of csv=p=0` lines (`2.000000,K__`). */
export const parsePacketLines = (csv: string) =>
  csv.split("\n").flatMap((line) => {
    const [pts, flags] = line.trim().split(",")
    const time = Number(pts)
    return pts === undefined || pts === "" || !Number.isFinite(time)
      ? []
      : [{ pts: time, key: (flags ?? "").includes("K") }]
  })

export interface SpritePlan {
  readonly intervalSeconds: number
  readonly count: number
  readonly columns: number
  readonly rows: number
  readonly tileWidth: number
  readonly tileHeight: number
}

export const TILE_WIDTH = 160
export const MAX_TILES = 100
export const MAX_COLUMNS = 10

/**
 * One 160-px-wide tile every 2 s (longer videos: every ceil(duration / 100) s, so at most 100 tiles), up to 10 per
 * row. `count` is the number of sampling instants that have a frame (the last frame is at duration − 1 / fps).
 */
export const spritePlan = (durationSeconds: number, frameRate: number, width: number, height: number): SpritePlan => {
  const intervalSeconds = Math.max(SEGMENT_SECONDS, Math.ceil(durationSeconds / MAX_TILES))
  const lastFrame = Math.max(0, durationSeconds - 1 / frameRate)
  const count = Math.max(1, Math.floor(lastFrame / intervalSeconds + 1e-9) + 1)
  const columns = Math.min(MAX_COLUMNS, count)
  return {
    intervalSeconds,
    count,
    columns,
    rows: Math.ceil(count / columns),
    tileWidth: TILE_WIDTH,
    tileHeight: Math.max(2, 2 * Math.round((TILE_WIDTH * height) / width / 2))
  }
}

const vttTime = (seconds: number) => {
  const millis = Math.round(seconds * 1000)
  const pad = (value: number, length = 2) => String(value).padStart(length, "0")
  return `${pad(Math.floor(millis / 3_600_000))}:${pad(Math.floor(millis / 60_000) % 60)}:${pad(Math.floor(millis / 1000) % 60)}.${pad(millis % 1000, 3)}`
}

/** The WebVTT mapping each interval to its tile: `thumbnails.jpg#xywh=x,y,w,h`; the last cue ends at the duration. */
export const thumbnailsVtt = (plan: SpritePlan, durationSeconds: number, spriteUri: string) => {
  const cues = Array.from({ length: plan.count }, (_, index) => {
    const start = index * plan.intervalSeconds
    const end = index === plan.count - 1 ? durationSeconds : Math.min(durationSeconds, start + plan.intervalSeconds)
    const x = (index % plan.columns) * plan.tileWidth
    const y = Math.floor(index / plan.columns) * plan.tileHeight
    return `${vttTime(start)} --> ${vttTime(end)}\n${spriteUri}#xywh=${x},${y},${plan.tileWidth},${plan.tileHeight}\n`
  })
  return `WEBVTT\n\n${cues.join("\n")}`
}

export interface RungPlan {
  readonly name: RungName
  readonly width: number
  readonly height: number
  /** Target bits per second of the video. */
  readonly bitRate: number
  /** The source's video is copied instead of encoded. */
  readonly copy: boolean
  readonly profile: H264Profile
  readonly levelIdc: number
  /** RFC 6381 video codec, e.g. `avc1.64001f`. */
  readonly videoCodec: string
}

export interface TranscodePlan {
  /** Absolute paths. */
  readonly input: string
  readonly outputDir: string
  readonly durationSeconds: number
  /** Of the output (the source's, at most 60). */
  readonly frameRate: number
  readonly reduceFrameRate: boolean
  readonly audio: boolean
  readonly rungs: ReadonlyArray<RungPlan>
  readonly posterAtSeconds: number
  readonly posterSize: { readonly width: number; readonly height: number }
  readonly sprite: SpritePlan
  readonly threads: number
  readonly preset: X264Preset
}

export const OUTPUT_FILES = {
  master: "master.m3u8",
  poster: "poster.jpg",
  sprite: "thumbnails.jpg",
  vtt: "thumbnails.vtt",
  playlist: (rung: RungName) => `${rung}/index.m3u8`,
  segmentPattern: (rung: RungName) => `${rung}/segment-%05d.ts`
} as const

/** What the source's video is, for codec copy: its codec string, whether it is turned, and its keyframes' times. */
export interface CopyFacts {
  readonly videoCodec: string | undefined
  readonly rotated: boolean
  readonly keyframesOnGrid: boolean
}

/** Encoder profile per rung: Main for 360p (older phones), High above. */
export const profileFor = (rung: RungName): H264Profile => (rung === "360p" ? "main" : "high")

/** The plan for `probe`: rungs from `rungsFor`, copy where `copy` allows (see `copyCandidate`), poster at 10%. */
export const planTranscode = (
  input: string,
  outputDir: string,
  probe: Probe,
  settings: { readonly threads: number; readonly preset: X264Preset },
  copy: CopyFacts | undefined
): TranscodePlan => {
  const frameRate = Math.min(probe.video.frameRate, MAX_FRAME_RATE)
  const rungs = rungsFor(probe.video).map((rung): RungPlan => {
    const size = rungDimensions(probe.video, rung.height)
    const copied =
      copy !== undefined &&
      copy.videoCodec !== undefined &&
      !copy.rotated &&
      copy.keyframesOnGrid &&
      copyCandidate(probe.video, rung, size)
    const profile = profileFor(rung.name)
    const levelIdc = h264Level(size.width, size.height, frameRate, rung.bitRate * MAX_RATE_FACTOR, profile)
    return {
      name: rung.name,
      ...size,
      bitRate: rung.bitRate,
      copy: copied,
      profile,
      levelIdc,
      videoCodec: copied && copy?.videoCodec !== undefined ? copy.videoCodec : x264CodecString(profile, levelIdc)
    }
  })
  const top = rungs[rungs.length - 1] ?? { width: probe.video.width, height: probe.video.height }
  return {
    input: resolve(input),
    outputDir: resolve(outputDir),
    durationSeconds: probe.durationSeconds,
    frameRate,
    reduceFrameRate: probe.video.frameRate > MAX_FRAME_RATE,
    audio: probe.audio !== undefined,
    rungs,
    posterAtSeconds: probe.durationSeconds * 0.1,
    posterSize: { width: top.width, height: top.height },
    sprite: spritePlan(probe.durationSeconds, frameRate, probe.video.width, probe.video.height),
    threads: settings.threads,
    preset: settings.preset
  }
}

const kbps = (bitsPerSecond: number) => `${Math.round(bitsPerSecond / 1000)}k`

/** The filter graph: decode once, split, scale each encoded rung, pick the poster frame, tile the sprite. */
export const filterGraph = (plan: TranscodePlan) => {
  const encoded = plan.rungs.filter((rung) => !rung.copy)
  const branches = [...encoded.map((rung) => `r${rung.name}`), "poster", "sprite"]
  const head = `[0:v:0]${plan.reduceFrameRate ? `fps=${plan.frameRate},` : ""}split=${branches.length}${branches.map((b) => `[${b}]`).join("")}`
  const scales = encoded.map(
    (rung) => `[r${rung.name}]scale=${rung.width}:${rung.height}:flags=bicubic,setsar=1,format=yuv420p[v${rung.name}]`
  )
  const { sprite } = plan
  const poster = `[poster]select='gte(t\\,${plan.posterAtSeconds.toFixed(3)})',trim=end_frame=1,scale=${plan.posterSize.width}:${plan.posterSize.height},setsar=1[posterout]`
  // Takes the first frame at or after each multiple of the interval: register 0 holds the next sampling instant.
  const every = `select='if(gte(t\\,ld(0))\\,st(0\\,ld(0)+${sprite.intervalSeconds}))'`
  const tiles = `[sprite]${every},scale=${sprite.tileWidth}:${sprite.tileHeight},setsar=1,tile=${sprite.columns}x${sprite.rows}[spriteout]`
  return [head, ...scales, poster, tiles].join(";")
}

/** The whole ffmpeg command line (after the program): one input, one HLS output per rung, the poster, the sprite. */
export const transcodeArgs = (plan: TranscodePlan): Array<string> => {
  const threads = `-threads ${plan.threads}`
  const gop = gopFrames(plan.frameRate)
  const audio = plan.audio ? `-map 0:a:0 -c:a aac -b:a ${kbps(AUDIO_BIT_RATE)} -ac 2 -ar 48000` : ""
  const encode = (rung: RungPlan) =>
    `-map [v${rung.name}] -c:v libx264 -preset ${plan.preset} -profile:v ${rung.profile} ` +
    `-level:v ${(rung.levelIdc / 10).toFixed(1)} -pix_fmt yuv420p -b:v ${kbps(rung.bitRate)} ` +
    `-maxrate ${kbps(rung.bitRate * MAX_RATE_FACTOR)} -bufsize ${kbps(rung.bitRate * BUFFER_FACTOR)} ` +
    `-g ${gop} -keyint_min ${gop} -sc_threshold 0 -force_key_frames expr:gte(t,n_forced*${SEGMENT_SECONDS})`
  const rungOutput = (rung: RungPlan) => [
    ...words(rung.copy ? "-map 0:v:0 -c:v copy" : encode(rung)),
    ...words(`${audio} ${threads} -map_metadata -1 -map_chapters -1 -max_muxing_queue_size 4096`),
    ...words(`-f hls -hls_time ${SEGMENT_SECONDS} -hls_playlist_type vod -hls_list_size 0`),
    ...words("-hls_flags independent_segments -hls_segment_filename"),
    join(plan.outputDir, OUTPUT_FILES.segmentPattern(rung.name)),
    join(plan.outputDir, OUTPUT_FILES.playlist(rung.name))
  ]
  const imageOutput = (label: string, quality: number, file: string) => [
    ...words(`-map [${label}] -frames:v 1 -q:v ${quality} ${threads} -map_metadata -1 -update 1 -f image2`),
    join(plan.outputDir, file)
  ]
  return [
    ...words(`-nostdin -hide_banner -y -loglevel error -nostats -progress pipe:1 ${threads}`),
    ...INPUT_GUARD,
    "-i",
    `file:${plan.input}`,
    ...words(`-filter_complex_threads ${plan.threads} -filter_complex`),
    filterGraph(plan),
    ...plan.rungs.flatMap(rungOutput),
    ...imageOutput("posterout", 3, OUTPUT_FILES.poster),
    ...imageOutput("spriteout", 5, OUTPUT_FILES.sprite)
  ]
}

/** Seconds of output written, from one `-progress` line (`out_time_us=…`; `out_time_ms` is microseconds too). */
export const parseProgressLine = (line: string): number | undefined => {
  const match = /^out_time_(?:us|ms)=(\d+)\s*$/.exec(line.trim())
  return match?.[1] === undefined ? undefined : Number(match[1]) / 1_000_000
}

/** Segments of a media playlist: each EXTINF duration with the URI after it. */
export const parseMediaPlaylist = (text: string) => {
  const segments: Array<{ readonly uri: string; readonly duration: number }> = []
  let duration: number | undefined
  for (const raw of text.split("\n")) {
    const line = raw.trim()
    if (line.startsWith("#EXTINF:")) duration = Number.parseFloat(line.slice("#EXTINF:".length))
    else if (line !== "" && !line.startsWith("#") && duration !== undefined) {
      segments.push({ uri: line, duration })
      duration = undefined
    }
  }
  return segments
}

/** The master playlist, renditions in the order given (lowest first). */
export const masterPlaylist = (renditions: ReadonlyArray<Rendition>, frameRate: number) =>
  [
    "#EXTM3U",
    "#EXT-X-VERSION:6",
    "#EXT-X-INDEPENDENT-SEGMENTS",
    ...renditions.flatMap((rendition) => [
      `#EXT-X-STREAM-INF:BANDWIDTH=${rendition.bandwidth},AVERAGE-BANDWIDTH=${rendition.averageBandwidth},` +
        `RESOLUTION=${rendition.width}x${rendition.height},CODECS="${rendition.codecs}",FRAME-RATE=${frameRate.toFixed(3)}`,
      rendition.playlist
    ]),
    ""
  ].join("\n")

// ---------------------------------------------------------------------------------------------------------------
// Running a program

export const STDERR_TAIL_CHARS = 4096

export interface RunningProcess {
  readonly pid: number | undefined
  /** The last ~4 KB the program wrote on stderr. */
  readonly stderrTail: () => string
  /** Waits for the exit; fails when the program could not be started. */
  readonly exit: Effect.Effect<
    { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly stdout: string },
    TranscodeFailed
  >
}

const killGroup = (child: ChildProcess) => {
  if (child.pid === undefined) return
  try {
    // Negative pid: the whole process group (the child leads one, being detached), so nothing it started survives.
    process.kill(-child.pid, "SIGKILL")
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error
  }
}

/**
 * Starts `command` in its own session and process group. Closing the scope before it exited (interruption, timeout)
 * kills the group with SIGKILL and waits for the exit, so no ffmpeg outlives the fiber that started it. A session is
 * a scheduling group of its own under Linux's autogroup; `groupNiceness` (above 0) lowers that group's priority at
 * once (see `groupNiceness` and `setGroupNiceness`).
 */
export const startProcess = (
  command: string,
  args: ReadonlyArray<string>,
  options: {
    readonly onStdoutLine?: (line: string) => void
    readonly collectStdout?: boolean
    readonly groupNiceness?: number | undefined
  } = {}
): Effect.Effect<RunningProcess, never, Scope.Scope> =>
  Effect.gen(function* () {
    const exited = yield* Deferred.make<
      { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly stdout: string },
      TranscodeFailed
    >()
    let stderr = ""
    const stdout: Array<string> = []
    let pending = ""
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const child = spawn(command, [...args], { detached: true, stdio: ["ignore", "pipe", "pipe"] })
        child.stdout?.setEncoding("utf8")
        child.stderr?.setEncoding("utf8")
        child.stdout?.on("data", (chunk: string) => {
          if (options.collectStdout === true) stdout.push(chunk)
          if (options.onStdoutLine === undefined) return
          const lines = (pending + chunk).split("\n")
          pending = lines.pop() ?? ""
          for (const line of lines) options.onStdoutLine(line)
        })
        child.stderr?.on("data", (chunk: string) => {
          stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS)
        })
        child.once("error", (error) =>
          Deferred.unsafeDone(
            exited,
            Exit.fail(new TranscodeFailed({ reason: `could not start ${command}: ${error.message}`, stderr }))
          )
        )
        child.once("close", (code, signal) =>
          Deferred.unsafeDone(exited, Exit.succeed({ code, signal, stdout: stdout.join("") }))
        )
        return child
      }),
      (child) =>
        Effect.gen(function* () {
          if (yield* Deferred.isDone(exited)) return
          yield* Effect.sync(() => killGroup(child))
          const gone = yield* Deferred.await(exited).pipe(Effect.either, Effect.timeout("5 seconds"), Effect.option)
          if (Option.isNone(gone)) yield* Effect.logWarning(`${command} (pid ${child.pid}) did not exit after SIGKILL`)
        })
    )
    // spawn returns once the child has called setsid and exec'd, so its pid names the new session's group.
    const { groupNiceness } = options
    if (groupNiceness !== undefined && groupNiceness > 0 && child.pid !== undefined && process.platform === "linux") {
      yield* setGroupNiceness(child.pid, groupNiceness)
    }
    return { pid: child.pid, stderrTail: () => stderr, exit: Deferred.await(exited) }
  })

/** Whether `error` is a failed system call with one of these errno codes. */
const isErrno = (error: unknown, ...codes: ReadonlyArray<string>) =>
  typeof error === "object" && error !== null && "code" in error && codes.includes(String(error.code))

/**
 * Gives the Linux autogroup of `pid` (the group of the session it leads, so only a process that called setsid, as
 * `startProcess`'s children do) the nice value `nice` (0–19). Nothing to do without autogroup support (no
 * `/proc/<pid>/autogroup`) or once the process is gone. The kernel lets a caller without CAP_SYS_ADMIN change one
 * group every 100 ms (EAGAIN otherwise), so that is tried again; any other refusal is logged and the process runs on.
 */
export const setGroupNiceness = (pid: number, nice: number): Effect.Effect<void> =>
  Effect.try({
    try: () => writeFileSync(`/proc/${pid}/autogroup`, String(nice)),
    catch: (error) => error
  }).pipe(
    Effect.retry({ while: (error) => isErrno(error, "EAGAIN"), schedule: Schedule.spaced("110 millis"), times: 5 }),
    Effect.catchAll((error) =>
      isErrno(error, "ENOENT", "ESRCH")
        ? Effect.void
        : Effect.logWarning(
            `could not give the scheduling group of pid ${pid} nice ${nice}: ${error instanceof Error ? error.message : String(error)}`
          )
    )
  )

const failedRun = (program: string, exit: { readonly code: number | null; readonly signal: string | null }) =>
  exit.signal !== null ? `${program} was killed by ${exit.signal}` : `${program} exited with code ${exit.code}`

// ---------------------------------------------------------------------------------------------------------------
// The service

const writeFailed = (what: string) => (error: unknown) =>
  new TranscodeFailed({
    reason: `could not write ${what}: ${error instanceof Error ? error.message : String(error)}`,
    stderr: ""
  })

/** Reads a finished rung's playlist and measures its segments: peak and average bits per second (video + audio). */
const measureRendition = (
  plan: TranscodePlan,
  rung: RungPlan
): Effect.Effect<Rendition & { readonly seconds: number }, TranscodeFailed> =>
  Effect.gen(function* () {
    const playlist = OUTPUT_FILES.playlist(rung.name)
    const directory = join(plan.outputDir, rung.name)
    const text = yield* Effect.tryPromise({
      try: () => readFile(join(plan.outputDir, playlist), "utf8"),
      catch: readFailed(playlist)
    })
    const segments = parseMediaPlaylist(text)
    if (segments.length === 0)
      return yield* new TranscodeFailed({ reason: `ffmpeg wrote no segments for ${rung.name}`, stderr: "" })
    const sizes = yield* Effect.forEach(segments, (segment) =>
      Effect.tryPromise({ try: () => stat(join(directory, segment.uri)), catch: readFailed(segment.uri) }).pipe(
        Effect.map((stats) => ({ bits: stats.size * 8, duration: segment.duration }))
      )
    )
    const seconds = sizes.reduce((sum, segment) => sum + segment.duration, 0)
    const bits = sizes.reduce((sum, segment) => sum + segment.bits, 0)
    const peak = Math.max(...sizes.map((segment) => segment.bits / Math.max(segment.duration, 1e-3)))
    return {
      name: rung.name,
      width: rung.width,
      height: rung.height,
      bandwidth: Math.ceil(peak),
      averageBandwidth: Math.ceil(bits / Math.max(seconds, 1e-3)),
      codecs: codecsAttribute(rung.videoCodec, plan.audio),
      playlist,
      copied: rung.copy,
      seconds
    }
  })

export interface FfmpegTranscoder extends TranscoderService {
  readonly binaries: FfmpegBinaries
  readonly settings: Required<Omit<FfmpegSettings, "binaries">>
  /**
   * How this transcoder starts `program args`: under setpriv, chrt and nice as configured, and the nice value for its
   * scheduling group when it runs in a session of its own (`startProcess`'s `groupNiceness`; undefined off Linux).
   */
  readonly command: (
    program: string,
    args: ReadonlyArray<string>
  ) => {
    readonly command: string
    readonly args: ReadonlyArray<string>
    readonly groupNiceness: number | undefined
  }
}

/** Builds the FFmpeg Transcoder (resolving the programs unless `settings.binaries` names them). */
export const makeFfmpeg = (settings: FfmpegSettings = {}): Effect.Effect<FfmpegTranscoder, FfmpegNotFound> =>
  Effect.gen(function* () {
    const binaries = settings.binaries ?? (yield* ffmpegBinaries)
    const resolved = {
      threads: Math.max(1, Math.floor(settings.threads ?? defaultThreads())),
      niceness: Math.min(19, Math.max(0, Math.floor(settings.niceness ?? DEFAULT_NICENESS))),
      idlePriority: settings.idlePriority ?? true,
      cpus: settings.cpus,
      preset: settings.preset ?? "veryfast",
      probeTimeout: settings.probeTimeout ?? "30 seconds"
    }
    const nice = resolved.niceness > 0 ? yield* findOnPath("nice", process.env.PATH ?? "") : Option.none<string>()
    // util-linux's setpriv (Linux) makes the kernel SIGKILL ffmpeg when this process dies, even by SIGKILL:
    // otherwise an orphaned ffmpeg (it ignores SIGPIPE) would keep a core busy after its worker is gone.
    const setpriv = process.platform === "linux" ? yield* findOnPath("setpriv", process.env.PATH ?? "") : Option.none()
    const chrt =
      resolved.idlePriority && process.platform === "linux"
        ? yield* findOnPath("chrt", process.env.PATH ?? "")
        : Option.none<string>()
    const taskset =
      resolved.cpus !== undefined && process.platform === "linux"
        ? yield* findOnPath("taskset", process.env.PATH ?? "")
        : Option.none<string>()
    const linuxGroupNiceness = process.platform === "linux" ? groupNiceness(resolved) : undefined
    const niced = (program: string, args: ReadonlyArray<string>) => {
      const reniced = Option.match(nice, {
        onNone: () => [program, ...args],
        onSome: (path) => [path, "-n", String(resolved.niceness), program, ...args]
      })
      const pinned = Option.match(taskset, {
        onNone: () => reniced,
        onSome: (path) => [path, "-c", resolved.cpus ?? "", ...reniced]
      })
      const prioritised = Option.match(chrt, {
        onNone: () => pinned,
        onSome: (path) => [path, "--idle", "0", ...pinned]
      })
      const guarded = Option.match(setpriv, {
        onNone: () => prioritised,
        onSome: (path) => [path, "--pdeathsig", "KILL", "--", ...prioritised]
      })
      const [command = program, ...rest] = guarded
      return { command, args: rest, groupNiceness: linuxGroupNiceness }
    }

    /** Runs ffprobe to its end within the probe timeout. */
    const ffprobe = (args: ReadonlyArray<string>) =>
      Effect.scoped(
        Effect.gen(function* () {
          const running = yield* startProcess(binaries.ffprobe, args, { collectStdout: true })
          const exit = yield* running.exit.pipe(
            Effect.timeoutFail({
              duration: resolved.probeTimeout,
              onTimeout: () =>
                new TranscodeFailed({
                  reason: `ffprobe timed out after ${Duration.format(resolved.probeTimeout)}`,
                  stderr: running.stderrTail()
                })
            })
          )
          return { ...exit, stderr: running.stderrTail() }
        })
      )

    const probe: TranscoderService["probe"] = (inputPath, limits) =>
      Effect.gen(function* () {
        const path = resolve(inputPath)
        const sizeBytes = yield* refuseNonMedia(path)
        const exit = yield* ffprobe(probeArgs(path))
        if (exit.signal !== null)
          return yield* new TranscodeFailed({ reason: failedRun("ffprobe", exit), stderr: exit.stderr })
        if (exit.code !== 0) return yield* new InvalidMedia({ reason: unreadableReason(exit.stderr) })
        const output = yield* decodeFfprobeJson(exit.stdout).pipe(
          Effect.mapError(
            () => new TranscodeFailed({ reason: "ffprobe printed JSON we cannot read", stderr: exit.stderr })
          )
        )
        return yield* checkLimits(yield* probeFromFfprobe(output, sizeBytes), limits)
      })

    /** The facts codec copy needs, read without decoding: stream header (extradata, rotation) and packet flags. */
    const copyFacts = (input: string): Effect.Effect<CopyFacts, TranscodeFailed> =>
      Effect.gen(function* () {
        const firstVideo = ["-v", "error", ...INPUT_GUARD, "-select_streams", "v:0"]
        const header = yield* ffprobe([
          ...firstVideo,
          ...words("-show_streams -show_data -print_format json"),
          `file:${input}`
        ])
        const packets = yield* ffprobe([
          ...firstVideo,
          ...words("-show_entries packet=pts_time,flags -print_format csv=p=0"),
          `file:${input}`
        ])
        for (const exit of [header, packets]) {
          if (exit.code !== 0)
            return yield* new TranscodeFailed({ reason: failedRun("ffprobe", exit), stderr: exit.stderr })
        }
        const output = yield* decodeFfprobeJson(header.stdout).pipe(
          Effect.mapError(
            () => new TranscodeFailed({ reason: "ffprobe printed JSON we cannot read", stderr: header.stderr })
          )
        )
        const video = output.streams[0]
        const parameters = video?.extradata === undefined ? undefined : h264ParametersOf(parseHexDump(video.extradata))
        return {
          videoCodec:
            parameters === undefined
              ? undefined
              : avcCodecString(parameters.profileIdc, parameters.constraints, parameters.levelIdc),
          rotated: video === undefined || rotationOf(video) % 360 !== 0,
          keyframesOnGrid: keyframesOnSegmentGrid(parsePacketLines(packets.stdout))
        }
      })

    /** Runs the ladder's ffmpeg, reporting progress (throttled to 4 a second, increasing, below 100). */
    const runFfmpeg = (
      plan: TranscodePlan,
      onProgress: (percent: number) => Effect.Effect<void>,
      current: { running: RunningProcess | undefined }
    ) =>
      Effect.scoped(
        Effect.gen(function* () {
          const percents = yield* Queue.sliding<number>(1)
          let reported = -1
          const reporter = yield* Queue.take(percents).pipe(
            Effect.flatMap((percent) =>
              percent > reported
                ? Effect.zipRight(
                    Effect.sync(() => (reported = percent)),
                    onProgress(percent)
                  )
                : Effect.void
            ),
            Effect.zipRight(Effect.sleep("250 millis")),
            Effect.forever,
            Effect.forkScoped
          )
          const { command, args, groupNiceness } = niced(binaries.ffmpeg, transcodeArgs(plan))
          const running = yield* startProcess(command, args, {
            groupNiceness,
            onStdoutLine: (line) => {
              const seconds = parseProgressLine(line)
              if (seconds === undefined) return
              const percent = Math.min(99, Math.floor((seconds / plan.durationSeconds) * 100))
              Queue.unsafeOffer(percents, Math.max(0, percent))
            }
          })
          current.running = running
          const exit = yield* running.exit
          yield* Fiber.interrupt(reporter)
          if (exit.code !== 0) {
            return yield* new TranscodeFailed({ reason: failedRun("ffmpeg", exit), stderr: running.stderrTail() })
          }
        })
      )

    const transcode: TranscoderService["transcode"] = (inputPath, outputDir, options) => {
      const current: { running: RunningProcess | undefined } = { running: undefined }
      return Effect.gen(function* () {
        const { probe } = options
        const candidates = rungsFor(probe.video).some((rung) =>
          copyCandidate(probe.video, rung, rungDimensions(probe.video, rung.height))
        )
        const facts = candidates
          ? yield* copyFacts(resolve(inputPath)).pipe(
              Effect.tapError((error) => Effect.logWarning(`codec copy not checked, re-encoding: ${error.reason}`)),
              Effect.option,
              Effect.map(Option.getOrUndefined)
            )
          : undefined
        const plan = planTranscode(inputPath, outputDir, probe, resolved, facts)
        yield* Effect.forEach(plan.rungs, (rung) =>
          Effect.tryPromise({
            try: () => mkdir(join(plan.outputDir, rung.name), { recursive: true }),
            catch: writeFailed(rung.name)
          })
        )
        yield* runFfmpeg(plan, options.onProgress, current)
        const measured = yield* Effect.forEach(plan.rungs, (rung) => measureRendition(plan, rung))
        const renditions: Array<Rendition> = measured.map(({ seconds: _, ...rendition }) => rendition)
        for (const image of [OUTPUT_FILES.poster, OUTPUT_FILES.sprite]) {
          yield* Effect.tryPromise({ try: () => stat(join(plan.outputDir, image)), catch: () => undefined }).pipe(
            Effect.mapError(
              () =>
                new TranscodeFailed({ reason: `ffmpeg wrote no ${image}`, stderr: current.running?.stderrTail() ?? "" })
            )
          )
        }
        yield* Effect.tryPromise({
          try: () => writeFile(join(plan.outputDir, OUTPUT_FILES.master), masterPlaylist(renditions, plan.frameRate)),
          catch: writeFailed(OUTPUT_FILES.master)
        })
        const durationSeconds = measured[measured.length - 1]?.seconds ?? plan.durationSeconds
        yield* Effect.tryPromise({
          try: () =>
            writeFile(
              join(plan.outputDir, OUTPUT_FILES.vtt),
              thumbnailsVtt(plan.sprite, durationSeconds, OUTPUT_FILES.sprite)
            ),
          catch: writeFailed(OUTPUT_FILES.vtt)
        })
        yield* options.onProgress(100)
        const result: TranscodeResult = {
          durationSeconds,
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
            new TranscodeFailed({
              reason: `timed out after ${Duration.format(options.timeout)}`,
              stderr: current.running?.stderrTail() ?? ""
            })
        })
      )
    }

    return { probe, transcode, binaries, settings: resolved, command: niced }
  })

/** The FFmpeg Transcoder; fails to build when no ffmpeg/ffprobe runs (see FfmpegBinaries). */
export const layerFfmpeg = (settings: FfmpegSettings = {}): Layer.Layer<Transcoder, FfmpegNotFound> =>
  Layer.effect(Transcoder, makeFfmpeg(settings))

/**
 * How FFmpeg runs beside the requests, for the Transcoder and the ImageRenderer alike: `TRANSCODE_NICE` (0–19, default
 * 10), `TRANSCODE_IDLE_PRIORITY` (SCHED_IDLE and a nice-19 scheduling group, default true), `TRANSCODE_CPUS` (a CPU
 * list, default any), and the programs from FFMPEG_PATH / FFPROBE_PATH (resolved here rather than from the
 * process-wide cache, so they come from the same provider as the rest).
 */
export const FfmpegPriorityConfig = Effect.gen(function* () {
  const niceness = yield* Config.integer("TRANSCODE_NICE").pipe(
    Config.validate({
      message: "TRANSCODE_NICE must be between 0 and 19",
      validation: (value) => value >= 0 && value <= 19
    }),
    Config.withDefault(DEFAULT_NICENESS)
  )
  const idlePriority = yield* Config.boolean("TRANSCODE_IDLE_PRIORITY").pipe(Config.withDefault(true))
  const cpus = yield* Config.string("TRANSCODE_CPUS").pipe(
    Config.validate({
      message: "TRANSCODE_CPUS is a CPU list like 1 or 2-3 or 0,2",
      validation: (value) => /^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(value)
    }),
    Config.option
  )
  const binaries = yield* resolveFfmpegBinaries
  return { niceness, idlePriority, binaries, ...(Option.isSome(cpus) ? { cpus: cpus.value } : {}) }
})

/**
 * The FFmpeg Transcoder from config: `TRANSCODE_THREADS` (≥ 1, default max(1, cores − 1)), `TRANSCODE_PRESET` (an x264
 * preset, default veryfast), and FfmpegPriorityConfig's settings.
 */
export const layerFfmpegFromConfig: Layer.Layer<Transcoder, ConfigError.ConfigError | FfmpegNotFound> =
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const threads = yield* Config.integer("TRANSCODE_THREADS").pipe(
        Config.validate({ message: "TRANSCODE_THREADS must be at least 1", validation: (value) => value >= 1 }),
        Config.option
      )
      const preset = yield* Config.literal(...X264_PRESETS)("TRANSCODE_PRESET").pipe(
        Config.withDefault("veryfast" as const)
      )
      const priority = yield* FfmpegPriorityConfig
      return layerFfmpeg({ ...priority, preset, ...(Option.isSome(threads) ? { threads: threads.value } : {}) })
    })
  )
