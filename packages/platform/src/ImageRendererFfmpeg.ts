// The ImageRenderer port on FFmpeg: pictures checked by their first bytes and a guarded ffprobe, then cover-cropped
// JPEGs from one ffmpeg run at the transcoder's low priority (nice, SCHED_IDLE, group nice, CPU list, dies with us).
import { mkdtemp, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { type ConfigError, Duration, Effect, Layer, Schema } from "effect"
import type { FfmpegBinaries, FfmpegNotFound } from "./FfmpegBinaries.ts"
import {
  type ImageLimits,
  type ImageProbe,
  ImageRenderer,
  type ImageRendererService,
  type ImageTarget,
  type RenderedImage
} from "./ImageRenderer.ts"
import { InvalidMedia, TranscodeFailed } from "./Transcoder.ts"
import {
  FfmpegPriorityConfig,
  FfprobeOutput,
  looksLikeText,
  makeFfmpeg,
  readFailed,
  readHead,
  startProcess,
  words
} from "./TranscoderFfmpeg.ts"

// ---------------------------------------------------------------------------------------------------------------
// Refusing what is not a picture before any tool opens it

/** The demuxers ffprobe and ffmpeg may use on an image (`-format_whitelist`): single pictures only. */
export const IMAGE_DEMUXERS: ReadonlyArray<string> = ["image2", "png_pipe", "jpeg_pipe", "webp_pipe"]
/** The decoders an accepted picture may need. */
export const IMAGE_CODECS: ReadonlyArray<string> = ["mjpeg", "png", "webp"]

/** Options every image input gets: local files only, picture demuxers only. */
export const IMAGE_INPUT_GUARD = words(`-protocol_whitelist file -format_whitelist ${IMAGE_DEMUXERS.join(",")}`)

/** Bytes read from the start of a file to decide whether it may be a picture. */
export const IMAGE_SNIFF_BYTES = 512

const ascii = (bytes: Uint8Array, from: number, length: number) =>
  String.fromCharCode(...bytes.subarray(from, from + length))

const startsWithBytes = (bytes: Uint8Array, prefix: ReadonlyArray<number>) =>
  bytes.length >= prefix.length && prefix.every((byte, index) => bytes[index] === byte)

/** The picture format the first bytes announce (JPEG SOI, PNG signature, RIFF WEBP), or undefined. */
export const imageFormatOf = (head: Uint8Array): "jpeg" | "png" | "webp" | undefined => {
  if (startsWithBytes(head, [0xff, 0xd8, 0xff])) return "jpeg"
  if (startsWithBytes(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png"
  if (ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 4) === "WEBP") return "webp"
  return undefined
}

/** True when the first bytes are those of a video container (MP4/MOV, Matroska/WebM, AVI, MPEG-TS, FLV, Ogg). */
const looksLikeVideo = (head: Uint8Array) =>
  ascii(head, 4, 4) === "ftyp" ||
  startsWithBytes(head, [0x1a, 0x45, 0xdf, 0xa3]) ||
  (ascii(head, 0, 4) === "RIFF" && ascii(head, 8, 3) === "AVI") ||
  (head[0] === 0x47 && head[188] === 0x47) ||
  ascii(head, 0, 3) === "FLV" ||
  ascii(head, 0, 4) === "OggS"

/**
 * Why the first bytes of a file show it is not a picture we accept, or undefined when they announce a JPEG, PNG or
 * WebP. Only those three get as far as ffprobe.
 */
export const imageSniffRefusal = (head: Uint8Array): string | undefined => {
  if (head.length === 0) return "the file is empty"
  if (imageFormatOf(head) !== undefined) return undefined
  if (looksLikeVideo(head)) return "it is a video, not a picture"
  if (looksLikeText(head)) {
    const text = new TextDecoder().decode(head).toLowerCase()
    return text.includes("<svg")
      ? "it is an SVG drawing; upload it as a JPEG, PNG or WebP picture"
      : "it is a text file, not a picture"
  }
  return "it is not a JPEG, PNG or WebP picture"
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, "")} MiB`

/** The file's size, or why it is refused before its bytes are read: not a file, empty, too large. */
export const checkImageFile = (path: string, limits: ImageLimits) =>
  Effect.gen(function* () {
    const stats = yield* Effect.tryPromise({ try: () => stat(path), catch: readFailed(path) })
    if (!stats.isFile()) return yield* new InvalidMedia({ reason: "it is not a regular file" })
    if (stats.size === 0) return yield* new InvalidMedia({ reason: "the file is empty" })
    if (stats.size > limits.maxBytes) {
      return yield* new InvalidMedia({
        reason: `it has ${megabytes(stats.size)}; the largest accepted picture has ${megabytes(limits.maxBytes)}`
      })
    }
    return stats.size
  })

// ---------------------------------------------------------------------------------------------------------------
// Reading ffprobe's answer

/**
 * The ImageProbe for ffprobe's JSON, or why it is not a picture we accept: an allowed demuxer, exactly one stream,
 * a video stream of an allowed codec, a known size within `limits`.
 */
export const imageProbeFromFfprobe = (
  output: FfprobeOutput,
  sizeBytes: number,
  limits: ImageLimits
): Effect.Effect<ImageProbe, InvalidMedia> => {
  const formatName = output.format?.format_name ?? ""
  if (!IMAGE_DEMUXERS.includes(formatName)) {
    return new InvalidMedia({ reason: `its format (${formatName || "unknown"}) is not a picture format we accept` })
  }
  const video = output.streams.filter((stream) => stream.codec_type === "video")
  if (video.length !== 1 || output.streams.length !== 1) {
    return new InvalidMedia({ reason: `it has ${output.streams.length} streams; a picture has exactly one` })
  }
  const [picture] = video
  const codec = picture?.codec_name ?? "unknown"
  if (!IMAGE_CODECS.includes(codec)) return new InvalidMedia({ reason: `its encoding (${codec}) is not one we accept` })
  const width = picture?.width ?? 0
  const height = picture?.height ?? 0
  if (width < 1 || height < 1) return new InvalidMedia({ reason: "its picture size is unknown" })
  if (width > limits.maxWidth || height > limits.maxHeight) {
    return new InvalidMedia({
      reason: `it is ${width}×${height}; the largest accepted picture is ${limits.maxWidth}×${limits.maxHeight}`
    })
  }
  return Effect.succeed({ formatName, codec, width, height, sizeBytes })
}

/** ffprobe's arguments for `path`: the image input guard, errors only, JSON out. */
export const imageProbeArgs = (path: string): Array<string> => [
  ...words("-v error -print_format json -show_format -show_streams"),
  ...IMAGE_INPUT_GUARD,
  `file:${resolve(path)}`
]

const decodeFfprobeJson = Schema.decodeUnknown(Schema.parseJson(FfprobeOutput))

/** The reason given when ffprobe or ffmpeg refuses a picture (the last line of its stderr says why). */
const unreadableReason = (stderr: string) => {
  if (stderr.includes("not on whitelist")) return "its format is not a picture format we accept"
  const last = stderr.trim().split("\n").pop()?.trim() ?? ""
  return `FFmpeg could not read it as a picture${last === "" ? "" : ` (${last.slice(0, 200)})`}`
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering

const TARGET_NAME = /^[a-z0-9-]{1,32}$/

/** Dies unless there are targets and each has a file-safe name and whole dimensions of at least 2×2 (a bug). */
export const checkRenderTargets = (targets: ReadonlyArray<ImageTarget>): Effect.Effect<void> => {
  const invalid = targets.find(
    (target) =>
      !TARGET_NAME.test(target.name) ||
      !Number.isInteger(target.width) ||
      !Number.isInteger(target.height) ||
      target.width < 2 ||
      target.height < 2
  )
  return invalid !== undefined || targets.length === 0
    ? Effect.dieMessage(`not a render target: ${JSON.stringify(invalid ?? targets)}`)
    : Effect.void
}

/** A temporary directory for renders, removed with its scope. */
export const renderDirectory = Effect.acquireRelease(
  Effect.tryPromise({
    try: () => mkdtemp(join(tmpdir(), "lectern-image-")),
    catch: (error) => new TranscodeFailed({ reason: `could not make a temporary directory: ${error}`, stderr: "" })
  }),
  // A directory that cannot be removed is logged, not a defect in the render that used it.
  (dir) => Effect.tryPromise(() => rm(dir, { recursive: true, force: true })).pipe(Effect.ignoreLogged)
)

/**
 * The filter graph: the picture (RGBA, so transparency survives until the end) split once per target, each scaled
 * to cover its box and cropped around the centre, laid on white, and converted to full-range 4:2:0 for JPEG.
 */
export const imageFilterGraph = (targets: ReadonlyArray<ImageTarget>) => {
  const head = `[0:v:0]format=rgba,split=${targets.length}${targets.map((_, i) => `[in${i}]`).join("")}`
  const branches = targets.map(({ width, height }, i) =>
    [
      `[in${i}]scale=${width}:${height}:force_original_aspect_ratio=increase:flags=lanczos,`,
      `crop=${width}:${height},setsar=1[fg${i}];`,
      `color=c=white:s=${width}x${height}:d=1[bg${i}];`,
      `[bg${i}][fg${i}]overlay=shortest=1:format=auto,format=yuvj420p[out${i}]`
    ].join("")
  )
  return [head, ...branches].join(";")
}

/** The whole ffmpeg command line (after the program): one input, one single-frame JPEG per target. */
export const imageRenderArgs = (input: string, outputDir: string, targets: ReadonlyArray<ImageTarget>) => [
  ...words("-nostdin -hide_banner -y -loglevel error -nostats -threads 1"),
  ...IMAGE_INPUT_GUARD,
  "-i",
  `file:${resolve(input)}`,
  ...words("-filter_complex_threads 1 -filter_complex"),
  imageFilterGraph(targets),
  ...targets.flatMap((target, i) => [
    ...words(`-map [out${i}] -frames:v 1 -q:v 3 -map_metadata -1 -map_chapters -1 -update 1 -f image2`),
    join(outputDir, `${target.name}.jpg`)
  ])
]

const failedRun = (program: string, exit: { readonly code: number | null; readonly signal: string | null }) =>
  exit.signal !== null ? `${program} was killed by ${exit.signal}` : `${program} exited with code ${exit.code}`

export interface ImageRendererSettings {
  /** `nice -n` for ffmpeg (0–19). Default 10, as the transcoder. */
  readonly niceness?: number
  /** SCHED_IDLE (`chrt --idle 0`). Default true, as the transcoder. */
  readonly idlePriority?: boolean
  /** CPUs ffmpeg may run on (`taskset -c`). Default any. */
  readonly cpus?: string | undefined
  /** Wall-clock limit of each ffprobe and ffmpeg run. Default 30 seconds. */
  readonly timeout?: Duration.DurationInput
  /** The programs; default the ones the transcoder resolves. */
  readonly binaries?: FfmpegBinaries
}

/** Builds the FFmpeg ImageRenderer; its ffmpeg starts exactly as the FFmpeg Transcoder's does (one thread). */
export const makeImageRendererFfmpeg = (
  settings: ImageRendererSettings = {}
): Effect.Effect<ImageRendererService, FfmpegNotFound> =>
  Effect.gen(function* () {
    const transcoder = yield* makeFfmpeg({
      threads: 1,
      ...(settings.niceness === undefined ? {} : { niceness: settings.niceness }),
      ...(settings.idlePriority === undefined ? {} : { idlePriority: settings.idlePriority }),
      ...(settings.cpus === undefined ? {} : { cpus: settings.cpus }),
      ...(settings.binaries === undefined ? {} : { binaries: settings.binaries })
    })
    const { binaries } = transcoder
    const timeout = settings.timeout ?? "30 seconds"

    /** Runs a program to its end within the timeout; a program that does not end is killed. */
    const run = (
      command: string,
      args: ReadonlyArray<string>,
      options: { readonly collectStdout: boolean; readonly groupNiceness?: number | undefined }
    ) =>
      Effect.scoped(
        Effect.gen(function* () {
          const running = yield* startProcess(command, args, options)
          const exit = yield* running.exit.pipe(
            Effect.timeoutFail({
              duration: timeout,
              onTimeout: () =>
                new TranscodeFailed({
                  reason: `${command} timed out after ${Duration.format(timeout)}`,
                  stderr: running.stderrTail()
                })
            })
          )
          return { ...exit, stderr: running.stderrTail() }
        })
      )

    const probe: ImageRendererService["probe"] = (inputPath, limits) =>
      Effect.gen(function* () {
        const path = resolve(inputPath)
        const sizeBytes = yield* checkImageFile(path, limits)
        const refusal = imageSniffRefusal(yield* readHead(path, IMAGE_SNIFF_BYTES))
        if (refusal !== undefined) return yield* new InvalidMedia({ reason: refusal })
        const exit = yield* run(binaries.ffprobe, imageProbeArgs(path), { collectStdout: true })
        if (exit.signal !== null) {
          return yield* new TranscodeFailed({ reason: failedRun("ffprobe", exit), stderr: exit.stderr })
        }
        if (exit.code !== 0) return yield* new InvalidMedia({ reason: unreadableReason(exit.stderr) })
        const output = yield* decodeFfprobeJson(exit.stdout).pipe(
          Effect.mapError(
            () => new TranscodeFailed({ reason: "ffprobe printed JSON we cannot read", stderr: exit.stderr })
          )
        )
        return yield* imageProbeFromFfprobe(output, sizeBytes, limits)
      }).pipe(Effect.withSpan("ImageRenderer.probe"))

    const render: ImageRendererService["render"] = (inputPath, targets) =>
      Effect.gen(function* () {
        yield* checkRenderTargets(targets)
        const outputDir = yield* renderDirectory
        const { command, args, groupNiceness } = transcoder.command(
          binaries.ffmpeg,
          imageRenderArgs(inputPath, outputDir, targets)
        )
        // The transcoder's ffmpeg starts so too: setpriv, chrt --idle, nice, taskset, and its scheduling group niced.
        const exit = yield* run(command, args, { collectStdout: false, groupNiceness })
        if (exit.signal !== null) {
          return yield* new TranscodeFailed({ reason: failedRun("ffmpeg", exit), stderr: exit.stderr })
        }
        // The command is ours and fixed: a refusal is the picture's doing (it passed the probe but does not decode).
        if (exit.code !== 0) return yield* new InvalidMedia({ reason: unreadableReason(exit.stderr) })
        return yield* Effect.forEach(targets, (target) => {
          const path = join(outputDir, `${target.name}.jpg`)
          return Effect.tryPromise({ try: () => stat(path), catch: () => undefined }).pipe(
            Effect.mapError(
              () => new TranscodeFailed({ reason: `ffmpeg wrote no ${target.name}.jpg`, stderr: exit.stderr })
            ),
            Effect.map((stats): RenderedImage => ({ ...target, path, sizeBytes: stats.size }))
          )
        })
      }).pipe(Effect.withSpan("ImageRenderer.render"))

    return { probe, render }
  })

/** The FFmpeg ImageRenderer; fails to build when no ffmpeg/ffprobe runs (see FfmpegBinaries). */
export const layerImageRendererFfmpeg = (
  settings: ImageRendererSettings = {}
): Layer.Layer<ImageRenderer, FfmpegNotFound> => Layer.effect(ImageRenderer, makeImageRendererFfmpeg(settings))

/** The FFmpeg ImageRenderer from the transcoder's priority settings (FfmpegPriorityConfig: nice, SCHED_IDLE, CPUs, programs). */
export const layerImageRendererFromConfig: Layer.Layer<ImageRenderer, ConfigError.ConfigError | FfmpegNotFound> =
  Layer.unwrapEffect(Effect.map(FfmpegPriorityConfig, layerImageRendererFfmpeg))
