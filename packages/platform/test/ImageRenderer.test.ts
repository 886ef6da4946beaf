// The ImageRenderer contract on FFmpeg and in memory (pictures made here in JavaScript, refusals, limits, renders of
// exact sizes, undecodable data), the FFmpeg layer's rules without running it, and the in-memory header reader
// checked against ffprobe.
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { ImageRenderer } from "@lectern/platform/ImageRenderer"
import {
  IMAGE_INPUT_GUARD,
  imageFormatOf,
  imageProbeFromFfprobe,
  imageRenderArgs,
  imageSniffRefusal,
  layerImageRendererFfmpeg
} from "@lectern/platform/ImageRendererFfmpeg"
import { layerImageRendererMemory, pictureHeader } from "@lectern/platform/ImageRendererMemory"
import type { FfprobeOutput } from "@lectern/platform/TranscoderFfmpeg"
import { fileWith, imageRendererSuite, pngPicture, SUITE_IMAGE_LIMITS } from "@lectern/testkit/ImageRendererSuite"
import { Effect, Either } from "effect"

const LIMITS = SUITE_IMAGE_LIMITS
const bytes = (...values: ReadonlyArray<number>) => new Uint8Array(values)
const text = (value: string) => new TextEncoder().encode(value)

const probeOf = (streams: FfprobeOutput["streams"], formatName = "png_pipe"): FfprobeOutput => ({
  streams,
  format: { format_name: formatName }
})
const still = { codec_type: "video", codec_name: "png", width: 640, height: 480 } as const

describe("ImageRendererFfmpeg rules", () => {
  it("knows JPEG, PNG and WebP by their first bytes, and says why anything else is refused", () => {
    expect(imageFormatOf(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe("jpeg")
    expect(imageFormatOf(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))).toBe("png")
    expect(imageFormatOf(text("RIFF\x10\x00\x00\x00WEBPVP8 "))).toBe("webp")
    expect(imageSniffRefusal(bytes())).toBe("the file is empty")
    expect(imageSniffRefusal(text('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'))).toMatch(/SVG/)
    expect(imageSniffRefusal(text("<SVG width='1'></SVG>"))).toMatch(/SVG/)
    expect(imageSniffRefusal(text("plain words"))).toBe("it is a text file, not a picture")
    expect(imageSniffRefusal(text("\x00\x00\x00\x20ftypisom\x00\x00"))).toBe("it is a video, not a picture")
    expect(imageSniffRefusal(bytes(0x1a, 0x45, 0xdf, 0xa3, 0x01))).toBe("it is a video, not a picture")
    expect(imageSniffRefusal(text("RIFF\x10\x00\x00\x00AVI LIST"))).toBe("it is a video, not a picture")
    expect(imageSniffRefusal(text("GIF89a\x01\x00\x01\x00\x80\x00"))).toBe("it is not a JPEG, PNG or WebP picture")
    expect(imageSniffRefusal(bytes(0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01))).toBe("it is not a JPEG, PNG or WebP picture")
  })

  it.effect("accepts exactly one picture stream of an allowed demuxer and codec, within the limits", () =>
    Effect.gen(function* () {
      const refusal = (output: FfprobeOutput) =>
        Effect.map(Effect.either(imageProbeFromFfprobe(output, 100, LIMITS)), (result) =>
          Either.isLeft(result) ? result.left.reason : "accepted"
        )
      expect(yield* imageProbeFromFfprobe(probeOf([still]), 100, LIMITS)).toEqual({
        formatName: "png_pipe",
        codec: "png",
        width: 640,
        height: 480,
        sizeBytes: 100
      })
      expect(yield* refusal(probeOf([still], "mov,mp4,m4a,3gp,3g2,mj2"))).toMatch(/not a picture format/)
      expect(yield* refusal(probeOf([]))).toBe("it has 0 streams; a picture has exactly one")
      expect(yield* refusal(probeOf([still, still]))).toBe("it has 2 streams; a picture has exactly one")
      expect(yield* refusal(probeOf([still, { codec_type: "audio", codec_name: "mp3" }]))).toBe(
        "it has 2 streams; a picture has exactly one"
      )
      expect(yield* refusal(probeOf([{ codec_type: "audio", codec_name: "mp3" }]))).toMatch(/exactly one/)
      expect(yield* refusal(probeOf([{ ...still, codec_name: "h264" }]))).toBe(
        "its encoding (h264) is not one we accept"
      )
      expect(yield* refusal(probeOf([{ ...still, width: 0 }]))).toBe("its picture size is unknown")
      expect(yield* refusal(probeOf([{ ...still, width: 8192, height: 8192 }]))).toBe("accepted")
      expect(yield* refusal(probeOf([{ ...still, height: 8193 }]))).toBe(
        "it is 640×8193; the largest accepted picture is 8192×8192"
      )
    })
  )

  it("reads local files only, with the picture demuxers, and writes one metadata-free JPEG per target", () => {
    expect(IMAGE_INPUT_GUARD).toEqual([
      "-protocol_whitelist",
      "file",
      "-format_whitelist",
      "image2,png_pipe,jpeg_pipe,webp_pipe"
    ])
    const args = imageRenderArgs("/in/x", "/out", [{ name: "small", width: 480, height: 270 }])
    expect(args.join(" ")).toContain("-protocol_whitelist file -format_whitelist image2,png_pipe,jpeg_pipe,webp_pipe")
    expect(args).toContain("file:/in/x")
    expect(args.join(" ")).toContain("scale=480:270:force_original_aspect_ratio=increase")
    expect(args.join(" ")).toContain("crop=480:270")
    expect(args.join(" ")).toContain("-map_metadata -1")
    expect(args[args.length - 1]).toBe("/out/small.jpg")
  })
})

imageRendererSuite("FFmpeg", layerImageRendererFfmpeg())
imageRendererSuite("in memory", layerImageRendererMemory)

describe("ImageRendererFfmpeg on real pictures", () => {
  it.live("says FFmpeg could not read a picture that does not decode, and writes JPEGs ffprobe reads", () =>
    Effect.gen(function* () {
      const renderer = yield* ImageRenderer
      const broken = fileWith(pngPicture(64, 64, Buffer.from("not zlib data ".repeat(20))))
      const refused = yield* Effect.flip(Effect.scoped(renderer.render(broken, [{ name: "x", width: 48, height: 27 }])))
      expect(refused).toMatchObject({
        _tag: "InvalidMedia",
        reason: expect.stringMatching(/^FFmpeg could not read it/)
      })
      const [render] = yield* Effect.scoped(
        renderer.render(fileWith(pngPicture(900, 300)), [{ name: "wide", width: 480, height: 270 }])
      )
      expect(render).toBeDefined()
    }).pipe(Effect.provide(layerImageRendererFfmpeg()))
  )

  it.scoped("renders files ffprobe reads at the sizes they claim", () =>
    Effect.gen(function* () {
      const renderer = yield* ImageRenderer
      const rendered = yield* renderer.render(fileWith(pngPicture(900, 300)), [
        { name: "square", width: 200, height: 200 },
        { name: "tall", width: 90, height: 160 }
      ])
      for (const render of rendered) {
        const size = execFileSync("ffprobe", [
          ...["-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0", render.path]
        ])
          .toString()
          .trim()
        expect(size).toBe(`${render.width},${render.height}`)
      }
    }).pipe(Effect.provide(layerImageRendererFfmpeg()))
  )
})

describe("In-memory picture headers", () => {
  it("read WebP (lossy and lossless), PNG and JPEG sizes as ffprobe does", () => {
    const cases = [
      ["webp_pipe", ["-c:v", "libwebp", "-lossless", "0"], "testsrc2=size=301x177"],
      ["webp_pipe", ["-c:v", "libwebp", "-lossless", "1"], "testsrc2=size=257x129"],
      ["png_pipe", ["-c:v", "png"], "testsrc2=size=640x360"],
      ["jpeg_pipe", ["-c:v", "mjpeg", "-pix_fmt", "yuvj420p"], "testsrc2=size=123x45"]
    ] as const
    for (const [format, codec, source] of cases) {
      const path = fileWith("")
      execFileSync("ffmpeg", [
        "-y",
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        source,
        "-frames:v",
        "1",
        ...codec,
        "-f",
        "image2",
        path
      ])
      const [width, height] = execFileSync("ffprobe", [
        "-v",
        "error",
        "-show_entries",
        "stream=width,height",
        "-of",
        "csv=p=0",
        path
      ])
        .toString()
        .trim()
        .split(",")
        .map(Number)
      expect(pictureHeader(readFileSync(path))).toMatchObject({ formatName: format, width, height })
    }
  })
})
