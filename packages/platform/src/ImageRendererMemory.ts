// The ImageRenderer port without FFmpeg: JPEG, PNG and WebP headers read in JavaScript, the same refusals and limits
// as the FFmpeg layer, and renders that are valid grey JPEGs of exactly the asked size.
import { readFile, writeFile } from "node:fs/promises"
import { join, resolve } from "node:path"
import { inflateSync } from "node:zlib"
import { Effect, Layer } from "effect"
import { ImageRenderer, type ImageRendererService, type RenderedImage } from "./ImageRenderer.ts"
import {
  checkImageFile,
  checkRenderTargets,
  imageFormatOf,
  imageProbeFromFfprobe,
  imageSniffRefusal,
  renderDirectory
} from "./ImageRendererFfmpeg.ts"
import { InvalidMedia, TranscodeFailed } from "./Transcoder.ts"
import { readFailed } from "./TranscoderFfmpeg.ts"
import { grayJpeg } from "./TranscoderMemory.ts"

/** What a picture's header says, as ffprobe would name it. */
export interface PictureHeader {
  readonly formatName: "jpeg_pipe" | "png_pipe" | "webp_pipe"
  readonly codec: "mjpeg" | "png" | "webp"
  readonly width: number
  readonly height: number
}

const u16be = (bytes: Uint8Array, at: number) => ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0)
const u32be = (bytes: Uint8Array, at: number) => u16be(bytes, at) * 0x10000 + u16be(bytes, at + 2)
const u16le = (bytes: Uint8Array, at: number) => (bytes[at] ?? 0) | ((bytes[at + 1] ?? 0) << 8)
const u24le = (bytes: Uint8Array, at: number) => u16le(bytes, at) | ((bytes[at + 2] ?? 0) << 16)
const ascii = (bytes: Uint8Array, from: number, length: number) =>
  String.fromCharCode(...bytes.subarray(from, from + length))

/** The SOF markers of the JPEG processes FFmpeg's mjpeg decoder reads: baseline, extended and progressive Huffman. */
const JPEG_FRAME_MARKERS = new Set([0xc0, 0xc1, 0xc2])
/** Markers with no length field: TEM and the restart markers. */
const JPEG_STANDALONE_MARKERS = new Set([0x01, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7])

interface JpegLayout {
  readonly width: number
  readonly height: number
  /** Bytes of entropy-coded data after the first start-of-scan header. */
  readonly scanBytes: number
}

/** Walks a JPEG's segments to its frame header and first scan; undefined when the structure is broken. */
const jpegLayout = (bytes: Uint8Array): JpegLayout | undefined => {
  let at = 2
  let frame: { width: number; height: number } | undefined
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined
    const marker = bytes[at + 1] ?? 0
    if (marker === 0xff) {
      at += 1
      continue
    }
    if (JPEG_STANDALONE_MARKERS.has(marker)) {
      at += 2
      continue
    }
    const length = u16be(bytes, at + 2)
    if (length < 2 || at + 2 + length > bytes.length) return undefined
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (!JPEG_FRAME_MARKERS.has(marker) || length < 8) return undefined
      frame = { height: u16be(bytes, at + 5), width: u16be(bytes, at + 7) }
    }
    if (marker === 0xda) {
      if (frame === undefined) return undefined
      return { ...frame, scanBytes: bytes.length - (at + 2 + length) }
    }
    if (marker === 0xd9) return undefined
    at += 2 + length
  }
  return undefined
}

interface PngChunk {
  readonly type: string
  readonly data: Uint8Array
}

/** A PNG's chunks after the signature; undefined when one runs past the end of the file. */
const pngChunks = (bytes: Uint8Array): ReadonlyArray<PngChunk> | undefined => {
  const chunks: Array<PngChunk> = []
  let at = 8
  while (at + 12 <= bytes.length) {
    const length = u32be(bytes, at)
    const type = ascii(bytes, at + 4, 4)
    if (at + 12 + length > bytes.length) return undefined
    chunks.push({ type, data: bytes.subarray(at + 8, at + 8 + length) })
    at += 12 + length
    if (type === "IEND") break
  }
  return chunks
}

/** A WebP's size from its first chunk: lossy (VP8), lossless (VP8L) or extended (VP8X); undefined when unreadable. */
const webpSize = (bytes: Uint8Array): { width: number; height: number } | undefined => {
  const chunk = ascii(bytes, 12, 4)
  const data = 20
  if (chunk === "VP8 " && bytes[data + 3] === 0x9d && bytes[data + 4] === 0x01 && bytes[data + 5] === 0x2a) {
    return { width: u16le(bytes, data + 6) & 0x3fff, height: u16le(bytes, data + 8) & 0x3fff }
  }
  if (chunk === "VP8L" && bytes[data] === 0x2f && bytes.length >= data + 5) {
    const bits = u16le(bytes, data + 1) | ((bytes[data + 3] ?? 0) << 16) | ((bytes[data + 4] ?? 0) << 24)
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 }
  }
  if (chunk === "VP8X" && bytes.length >= data + 10) {
    return { width: u24le(bytes, data + 4) + 1, height: u24le(bytes, data + 7) + 1 }
  }
  return undefined
}

/** The picture's header as ffprobe would report it, or undefined when its bytes do not hold a readable header. */
export const pictureHeader = (bytes: Uint8Array): PictureHeader | undefined => {
  switch (imageFormatOf(bytes)) {
    case "jpeg": {
      const layout = jpegLayout(bytes)
      return layout && { formatName: "jpeg_pipe", codec: "mjpeg", width: layout.width, height: layout.height }
    }
    case "png": {
      const header = pngChunks(bytes)?.[0]
      if (header?.type !== "IHDR" || header.data.length !== 13) return undefined
      return { formatName: "png_pipe", codec: "png", width: u32be(header.data, 0), height: u32be(header.data, 4) }
    }
    case "webp": {
      const size = webpSize(bytes)
      return size && { formatName: "webp_pipe", codec: "webp", ...size }
    }
    default:
      return undefined
  }
}

/**
 * Why the picture's data would not decode, or undefined when it would as far as we check: a JPEG's first scan has
 * data; a PNG's IDAT chunks inflate (to exactly the rows its header promises when not interlaced); a WebP's header is readable.
 */
export const pictureDecodeRefusal = (bytes: Uint8Array): string | undefined => {
  const header = pictureHeader(bytes)
  if (header === undefined) return "its header could not be read"
  if (header.codec === "mjpeg") return (jpegLayout(bytes)?.scanBytes ?? 0) > 0 ? undefined : "it has no image data"
  if (header.codec === "webp") return undefined
  const chunks = pngChunks(bytes) ?? []
  const ihdr = chunks[0]?.data ?? new Uint8Array()
  const bitDepth = ihdr[8] ?? 0
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[ihdr[9] ?? -1]
  if (channels === undefined || ![1, 2, 4, 8, 16].includes(bitDepth)) return "its pixel format is not one PNG has"
  const compressed = chunks.filter((chunk) => chunk.type === "IDAT").map((chunk) => chunk.data)
  let pixels: Uint8Array
  try {
    pixels = inflateSync(Buffer.concat(compressed))
  } catch {
    return "its image data is not valid deflate data"
  }
  // Adam7-interlaced pictures store seven passes of rows; their total is only checked for being there.
  if (ihdr[12] !== 0) return pixels.length > 0 ? undefined : "it has no image data"
  const rowBytes = 1 + Math.ceil((header.width * channels * bitDepth) / 8)
  return pixels.length === rowBytes * header.height ? undefined : "its image data does not fill the picture"
}

const readWhole = (path: string) =>
  Effect.tryPromise({ try: () => readFile(path), catch: readFailed(path) }).pipe(
    Effect.map((buffer) => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength))
  )

/** Builds the in-memory ImageRenderer. */
export const makeImageRendererMemory = (): ImageRendererService => {
  const probe: ImageRendererService["probe"] = (inputPath, limits) =>
    Effect.gen(function* () {
      const path = resolve(inputPath)
      const sizeBytes = yield* checkImageFile(path, limits)
      const bytes = yield* readWhole(path)
      const refusal = imageSniffRefusal(bytes)
      if (refusal !== undefined) return yield* new InvalidMedia({ reason: refusal })
      const header = pictureHeader(bytes)
      if (header === undefined) return yield* new InvalidMedia({ reason: "its header could not be read as a picture" })
      return yield* imageProbeFromFfprobe(
        {
          streams: [{ codec_type: "video", codec_name: header.codec, width: header.width, height: header.height }],
          format: { format_name: header.formatName }
        },
        sizeBytes,
        limits
      )
    })

  const render: ImageRendererService["render"] = (inputPath, targets) =>
    Effect.gen(function* () {
      yield* checkRenderTargets(targets)
      const refusal = pictureDecodeRefusal(yield* readWhole(resolve(inputPath)))
      if (refusal !== undefined)
        return yield* new InvalidMedia({ reason: `it could not be read as a picture: ${refusal}` })
      const outputDir = yield* renderDirectory
      return yield* Effect.forEach(targets, (target) => {
        const path = join(outputDir, `${target.name}.jpg`)
        const jpeg = grayJpeg(target.width, target.height)
        return Effect.tryPromise({
          try: () => writeFile(path, jpeg),
          catch: (error) => new TranscodeFailed({ reason: `could not write ${path}: ${String(error)}`, stderr: "" })
        }).pipe(Effect.as<RenderedImage>({ ...target, path, sizeBytes: jpeg.length }))
      })
    })

  return { probe, render }
}

/** The in-memory ImageRenderer, for unit tests: it checks pictures as the FFmpeg layer does and renders grey JPEGs. */
export const layerImageRendererMemory: Layer.Layer<ImageRenderer> = Layer.sync(ImageRenderer, makeImageRendererMemory)
