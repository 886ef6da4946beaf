// Contract suite for the ImageRenderer port: probing pictures made here in JavaScript, the refusals and limits,
// renders of exact sizes without metadata, their clean-up with the scope, and data that does not decode.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { crc32, deflateSync } from "node:zlib"
import { afterAll, describe, expect } from "@effect/vitest"
import { type ImageLimits, ImageRenderer, type ImageRendererService } from "@lectern/platform/ImageRenderer"
import { grayJpeg } from "@lectern/platform/TranscoderMemory"
import { Effect, Exit, type Layer, Scope } from "effect"
import { sharedLayer } from "./SuiteSupport.ts"

export const SUITE_IMAGE_LIMITS: ImageLimits = { maxBytes: 1024 * 1024, maxWidth: 8192, maxHeight: 8192 }
const LIMITS = SUITE_IMAGE_LIMITS
const text = (value: string) => new TextEncoder().encode(value)
const bytes = (...values: ReadonlyArray<number>) => new Uint8Array(values)

const work = mkdtempSync(join(tmpdir(), "lectern-image-suite-"))
afterAll(() => rmSync(work, { recursive: true, force: true }))

/** A PNG chunk: length, type, data, CRC-32 of type and data. */
export const pngChunk = (type: string, data: Buffer) => {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type), data])))
  return Buffer.concat([length, Buffer.from(type), data, crc])
}

/** A PNG of `width`×`height` (8-bit RGBA, a gradient with a transparent left half), or with `idat` as its image data. */
export const pngPicture = (width: number, height: number, idat?: Buffer) => {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr.set([8, 6, 0, 0, 0], 8)
  const rows = Buffer.alloc((1 + width * 4) * height)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = y * (1 + width * 4) + 1 + x * 4
      rows.set([x % 256, y % 256, 128, x < width / 2 ? 0 : 255], at)
    }
  }
  return Buffer.concat([
    Buffer.from("89504e470d0a1a0a", "hex"),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", idat ?? deflateSync(rows)),
    pngChunk("IEND", Buffer.alloc(0))
  ])
}

/** A JPEG's frame size and whether it carries an APP1 (EXIF/XMP) segment, read here independently of the renderers. */
export const jpegFacts = (bytes: Uint8Array) => {
  let at = 2
  let app1 = false
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1] ?? 0
    const length = ((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0)
    if (marker === 0xe1) app1 = true
    if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      const height = ((bytes[at + 5] ?? 0) << 8) | (bytes[at + 6] ?? 0)
      const width = ((bytes[at + 7] ?? 0) << 8) | (bytes[at + 8] ?? 0)
      return { width, height, app1 }
    }
    at += 2 + length
  }
  return undefined
}

let fileNumber = 0
/** Writes `bytes` to a new file in the suite's directory and returns its path. */
export const fileWith = (bytes: Uint8Array | string) => {
  const path = join(work, `picture-${fileNumber++}`)
  writeFileSync(path, bytes)
  return path
}

/** The ImageRenderer contract, run against `layer`. */
export const imageRendererSuite = <E>(name: string, layer: Layer.Layer<ImageRenderer, E>) =>
  describe(`ImageRenderer contract: ${name}`, () => {
    const live = sharedLayer(layer)
    const withRenderer = <A, E2>(body: (renderer: ImageRendererService) => Effect.Effect<A, E2, Scope.Scope>) =>
      Effect.scoped(Effect.flatMap(ImageRenderer, body))
    const reasonOf = (renderer: ImageRendererService, path: string, limits = LIMITS) =>
      Effect.map(Effect.flip(renderer.probe(path, limits)), (error) => `${error._tag}: ${error.reason}`)

    live("probes PNG and JPEG pictures: their format, codec, size in pixels and bytes", () =>
      withRenderer((renderer) =>
        Effect.gen(function* () {
          const png = pngPicture(900, 300)
          expect(yield* renderer.probe(fileWith(png), LIMITS)).toEqual({
            formatName: "png_pipe",
            codec: "png",
            width: 900,
            height: 300,
            sizeBytes: png.length
          })
          const jpeg = grayJpeg(330, 90)
          expect(yield* renderer.probe(fileWith(jpeg), LIMITS)).toEqual({
            formatName: "jpeg_pipe",
            codec: "mjpeg",
            width: 330,
            height: 90,
            sizeBytes: jpeg.length
          })
        })
      )
    )

    live("refuses, with a reason, what is empty, not a picture, too large or too many pixels", () =>
      withRenderer((renderer) =>
        Effect.gen(function* () {
          expect(yield* reasonOf(renderer, fileWith(""))).toBe("InvalidMedia: the file is empty")
          expect(yield* reasonOf(renderer, fileWith('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toMatch(
            /^InvalidMedia: it is an SVG drawing/
          )
          expect(yield* reasonOf(renderer, fileWith("just words\n"))).toBe(
            "InvalidMedia: it is a text file, not a picture"
          )
          expect(yield* reasonOf(renderer, fileWith(text("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00")))).toBe(
            "InvalidMedia: it is a video, not a picture"
          )
          expect(yield* reasonOf(renderer, fileWith(text("GIF89a\x01\x00\x01\x00\x80\x00\x00")))).toBe(
            "InvalidMedia: it is not a JPEG, PNG or WebP picture"
          )
          expect(yield* reasonOf(renderer, fileWith(bytes(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0)))).toBe(
            "InvalidMedia: it is not a JPEG, PNG or WebP picture"
          )
          const png = fileWith(pngPicture(900, 300))
          expect(yield* reasonOf(renderer, png, { ...LIMITS, maxBytes: 100 })).toMatch(
            /^InvalidMedia: it has .* MiB; the largest accepted picture has 0 MiB$/
          )
          expect(yield* reasonOf(renderer, png, { ...LIMITS, maxWidth: 800 })).toBe(
            "InvalidMedia: it is 900×300; the largest accepted picture is 800×8192"
          )
          // A PNG signature and nothing after it: the header cannot be read.
          expect(yield* reasonOf(renderer, fileWith(Buffer.from("89504e470d0a1a0a", "hex")))).toMatch(/^InvalidMedia: /)
          expect((yield* Effect.flip(renderer.probe(join(work, "missing"), LIMITS)))._tag).toBe("TranscodeFailed")
        })
      )
    )

    live("renders each target at exactly its size from pictures of any aspect, without metadata", () =>
      withRenderer((renderer) =>
        Effect.gen(function* () {
          for (const source of [fileWith(pngPicture(900, 300)), fileWith(grayJpeg(120, 400))]) {
            const rendered = yield* renderer.render(source, [
              { name: "square", width: 200, height: 200 },
              { name: "tall", width: 90, height: 160 },
              { name: "large", width: 1280, height: 720 }
            ])
            expect(rendered.map(({ name, width, height }) => `${name} ${width}×${height}`)).toEqual([
              "square 200×200",
              "tall 90×160",
              "large 1280×720"
            ])
            for (const render of rendered) {
              const jpeg = readFileSync(render.path)
              expect(render.sizeBytes).toBe(jpeg.length)
              expect(jpegFacts(jpeg)).toEqual({ width: render.width, height: render.height, app1: false })
            }
          }
        })
      )
    )

    live("removes its renders when the scope closes", () =>
      Effect.gen(function* () {
        const renderer = yield* ImageRenderer
        const scope = yield* Scope.make()
        const [render] = yield* renderer
          .render(fileWith(grayJpeg(64, 64)), [{ name: "small", width: 32, height: 18 }])
          .pipe(Scope.extend(scope))
        expect(existsSync(render?.path ?? "")).toBe(true)
        yield* Scope.close(scope, Exit.void)
        expect(existsSync(render?.path ?? "")).toBe(false)
      })
    )

    live("refuses to render a picture whose header reads but whose data does not decode", () =>
      withRenderer((renderer) =>
        Effect.gen(function* () {
          const broken = fileWith(pngPicture(64, 64, Buffer.from("not zlib data ".repeat(20))))
          expect(yield* renderer.probe(broken, LIMITS)).toMatchObject({ width: 64, height: 64 })
          const refused = yield* Effect.flip(renderer.render(broken, [{ name: "small", width: 48, height: 27 }]))
          expect(refused._tag).toBe("InvalidMedia")
        })
      )
    )
  })
