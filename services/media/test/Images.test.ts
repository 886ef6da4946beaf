// image.create and image.delete over HTTP, and the public image route: real FFmpeg-made JPEG, PNG and WebP pictures
// (lavfi) become 1280×720 and 480×270 JPEGs (checked with ffprobe) without their EXIF/GPS or comments; SVG, text
// named .png, empty files, videos, GIFs, pictures too large in bytes or pixels are refused with InvalidMedia and leave
// nothing behind; /media/images/<id>/<render>.jpg answers with immutable public caching, an ETag and 304, and 404 for
// anything else, `..` included; catalog's image.released deletes an image.
import { execFile } from "node:child_process"
import { readFile, writeFile } from "node:fs/promises"
import { type IncomingHttpHeaders, request } from "node:http"
import { join } from "node:path"
import { promisify } from "node:util"
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Events } from "@lectern/contracts"
import { EventBus } from "@lectern/platform/EventBus"
import { eventually } from "@lectern/testkit/SuiteSupport"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { DateTime, Effect, type Scope } from "effect"
import * as TestServices from "effect/TestServices"
import {
  blobKeys,
  clientAs,
  fetchBytes,
  generateSource,
  makeMediaTestLayer,
  serveMedia,
  tempDir,
  tusUpload,
  userWith
} from "./fixtures.ts"

const run = promisify(execFile)

const MAX_BYTES = 512 * 1024

/** One lavfi frame written by FFmpeg as `file` (its extension picks the encoder). */
const picture = (dir: string, file: string, source: string, extra: ReadonlyArray<string> = []) =>
  Effect.promise(async () => {
    const path = join(dir, file)
    await run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", source, "-frames:v", "1", ...extra, path])
    return readFile(path)
  })

/** Width, height and codec of the first stream of `bytes`, as ffprobe reads them. */
const probe = (dir: string, bytes: Uint8Array) =>
  Effect.promise(async () => {
    const path = join(dir, `probe-${crypto.randomUUID()}`)
    await writeFile(path, bytes)
    const { stdout } = await run("ffprobe", [
      ...["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height,codec_name"],
      ...["-of", "json", path]
    ])
    const [stream] = (JSON.parse(stdout) as { streams: Array<{ width: number; height: number; codec_name: string }> })
      .streams
    return stream
  })

/** The RGB of the pixel at (x, y) of a JPEG. */
const pixel = (dir: string, bytes: Uint8Array, x: number, y: number) =>
  Effect.promise(async () => {
    const path = join(dir, `pixel-${crypto.randomUUID()}.jpg`)
    await writeFile(path, bytes)
    const { stdout } = await run(
      "ffmpeg",
      ["-v", "error", "-i", path, "-vf", `format=rgb24,crop=2:2:${x}:${y}`, "-frames:v", "1", "-f", "rawvideo", "-"],
      { encoding: "buffer" }
    )
    return [...stdout.subarray(0, 3)]
  })

const u16be = (value: number) => Buffer.from([value >> 8, value & 0xff])
const u16le = (value: number) => Buffer.from([value & 0xff, value >> 8])
const u32le = (value: number) => {
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32LE(value)
  return bytes
}

const SECRET = "LECTERN-GPS-SECRET"

/**
 * `jpeg` with an EXIF APP1 segment (an ImageDescription holding SECRET and a GPS IFD with a latitude reference) and
 * a comment segment holding SECRET, inserted after its SOI marker.
 */
const withExif = (jpeg: Buffer) => {
  const description = Buffer.from(`${SECRET}\0`)
  const entry = (tag: number, type: number, count: number, value: Buffer) =>
    Buffer.concat([u16le(tag), u16le(type), u32le(count), value])
  // IFD0 at 8 (2 + 2 × 12 + 4 = 30 bytes), the GPS IFD at 38 (18 bytes), the description at 56.
  const ifd0 = Buffer.concat([
    u16le(2),
    entry(0x010e, 2, description.length, u32le(56)),
    entry(0x8825, 4, 1, u32le(38)),
    u32le(0)
  ])
  const gps = Buffer.concat([u16le(1), entry(0x0001, 2, 2, Buffer.from("N\0\0\0")), u32le(0)])
  const tiff = Buffer.concat([Buffer.from("II*\0"), u32le(8), ifd0, gps, description])
  const exif = Buffer.concat([Buffer.from("Exif\0\0"), tiff])
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1]), u16be(exif.length + 2), exif])
  const comment = Buffer.from(`comment ${SECRET}`)
  const com = Buffer.concat([Buffer.from([0xff, 0xfe]), u16be(comment.length + 2), comment])
  return Buffer.concat([jpeg.subarray(0, 2), app1, com, jpeg.subarray(2)])
}

interface RawResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

/** A request with exactly this path (no URL normalisation: `..` reaches the server as sent). */
const raw = (base: string, method: string, path: string, headers: Record<string, string> = {}) =>
  Effect.async<RawResponse, Error>((resume) => {
    const url = new URL(base)
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (chunk: Buffer) => chunks.push(chunk))
      res.on("end", () =>
        resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      )
    })
    req.on("error", (error) => resume(Effect.fail(error)))
    req.end()
  })

const refusals: ReadonlyArray<{
  readonly name: string
  readonly filename: string
  readonly bytes: (dir: string) => Effect.Effect<Buffer, never, Scope.Scope>
  readonly reason: string | RegExp
}> = [
  {
    name: "an SVG drawing",
    filename: "logo.svg",
    bytes: () =>
      Effect.succeed(
        Buffer.from(
          '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">' +
            '<script>alert(1)</script><rect width="100" height="100"/></svg>\n'
        )
      ),
    reason: "it is an SVG drawing; upload it as a JPEG, PNG or WebP picture"
  },
  {
    name: "a text file named .png",
    filename: "notes.png",
    bytes: () => Effect.succeed(Buffer.from("These are notes, not a picture.\n")),
    reason: "it is a text file, not a picture"
  },
  {
    name: "an empty file",
    filename: "empty.png",
    bytes: () => Effect.succeed(Buffer.alloc(0)),
    reason: "the file is empty"
  },
  {
    name: "a video",
    filename: "clip.png",
    bytes: (dir) =>
      Effect.zipRight(
        generateSource(join(dir, "clip.mp4"), { seconds: 1, width: 320, height: 180, audio: false }),
        Effect.promise(() => readFile(join(dir, "clip.mp4")))
      ),
    reason: "it is a video, not a picture"
  },
  {
    name: "a GIF",
    filename: "anim.gif",
    bytes: (dir) => picture(dir, "anim.gif", "testsrc2=size=64x48"),
    reason: "it is not a JPEG, PNG or WebP picture"
  },
  {
    name: "a PNG larger than MEDIA_IMAGE_MAX_BYTES",
    filename: "noise.png",
    // Random noise does not compress: 800×800 RGB is almost 2 MiB.
    bytes: (dir) =>
      picture(
        dir,
        "noise.png",
        "nullsrc=size=800x800,format=rgb24,geq=r=random(1)*255:g=random(2)*255:b=random(3)*255"
      ),
    reason: /^it has \d(\.\d)? MiB; the largest accepted picture has 0\.5 MiB$/
  },
  {
    name: "a PNG wider than 8192 pixels",
    filename: "wide.png",
    bytes: (dir) => picture(dir, "wide.png", "color=c=blue:size=8194x8"),
    reason: "it is 8194×8; the largest accepted picture is 8192×8192"
  },
  {
    name: "a truncated PNG",
    filename: "cut.png",
    bytes: (dir) => Effect.map(picture(dir, "cut.png", "testsrc2=size=640x480"), (bytes) => bytes.subarray(0, 3000)),
    reason: "its picture size is unknown"
  }
]

/** A served media service, a creator with a client, and a picture of theirs made by FFmpeg and uploaded. */
const creatorWithPicture = (file: string, source: string) =>
  Effect.gen(function* () {
    const url = yield* serveMedia
    const creator = yield* userWith("creator")
    const client = yield* clientAs(url, creator)
    const dir = yield* tempDir
    const bytes = yield* picture(dir, file, source)
    const upload = () =>
      Effect.flatMap(tusUpload(url, creator.token, bytes), (uploadId) => client.image.create({ uploadId }))
    return { url, creator, client, dir, bytes, upload }
  })

describe("images", () => {
  it.layer(
    makeMediaTestLayer(layerFreshPostgres, { worker: false, config: { MEDIA_IMAGE_MAX_BYTES: String(MAX_BYTES) } }),
    { timeout: 120_000 }
  )((it) => {
    for (const accepted of [
      { format: "JPEG", file: "photo.jpg", size: { width: 1600, height: 900 } },
      { format: "PNG", file: "portrait.png", size: { width: 600, height: 900 } },
      { format: "WebP", file: "square.webp", size: { width: 640, height: 640 } }
    ]) {
      it.scoped(`renders a ${accepted.format} as 1280×720 and 480×270 JPEGs, served publicly`, () =>
        TestServices.provideLive(
          Effect.gen(function* () {
            const url = yield* serveMedia
            const creator = yield* userWith("creator")
            const client = yield* clientAs(url, creator)
            const dir = yield* tempDir
            const { width, height } = accepted.size
            const bytes = yield* picture(dir, accepted.file, `testsrc2=size=${width}x${height}`)
            // Small chunks: several tus PATCHes, so several parts to join.
            const uploadId = yield* tusUpload(url, creator.token, bytes, { filename: accepted.file, chunkSize: 8192 })

            const image = yield* client.image.create({ uploadId })
            expect(image).toMatchObject({
              width,
              height,
              urls: {
                small: `/media/images/${image.id}/small.jpg`,
                large: `/media/images/${image.id}/large.jpg`
              }
            })
            for (const [render, size] of [
              ["small", { width: 480, height: 270 }],
              ["large", { width: 1280, height: 720 }]
            ] as const) {
              // Anonymous: course cards are public.
              const response = yield* fetchBytes(`${url}${image.urls[render]}`)
              expect(response.status).toBe(200)
              expect(response.headers.get("content-type")).toBe("image/jpeg")
              expect(yield* probe(dir, response.bytes)).toEqual({ codec_name: "mjpeg", ...size })
            }
            expect(yield* blobKeys(`images/${image.id}/`)).toEqual([
              `images/${image.id}/large.jpg`,
              `images/${image.id}/small.jpg`
            ])
            expect(yield* blobKeys(`uploads/${uploadId}/`)).toEqual([])
            const again = yield* Effect.flip(client.image.create({ uploadId }))
            expect(again).toMatchObject({ _tag: "UploadNotFound", uploadId })
          })
        )
      )
    }

    it.scoped("strips EXIF, GPS and comments, and lays transparency on white", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const creator = yield* userWith("creator")
          const client = yield* clientAs(url, creator)
          const dir = yield* tempDir
          const tagged = withExif(yield* picture(dir, "tagged.jpg", "testsrc2=size=800x450"))
          expect(tagged.includes(SECRET)).toBe(true)
          // FFmpeg reads the tagged file as a picture like any other.
          expect(yield* probe(dir, tagged)).toEqual({ codec_name: "mjpeg", width: 800, height: 450 })
          const image = yield* client.image.create({ uploadId: yield* tusUpload(url, creator.token, tagged) })
          for (const render of ["small", "large"] as const) {
            const { bytes } = yield* fetchBytes(`${url}${image.urls[render]}`)
            expect(bytes.includes(SECRET)).toBe(false)
            expect(bytes.includes("Exif")).toBe(false)
          }

          const clear = yield* picture(dir, "clear.png", "color=c=red@0.0:size=320x180,format=rgba")
          const transparent = yield* client.image.create({ uploadId: yield* tusUpload(url, creator.token, clear) })
          const { bytes } = yield* fetchBytes(`${url}${transparent.urls.small}`)
          for (const channel of yield* pixel(dir, bytes, 20, 20)) expect(channel).toBeGreaterThan(245)
        })
      )
    )

    for (const refused of refusals) {
      it.scoped(`refuses ${refused.name} with InvalidMedia and leaves nothing behind`, () =>
        TestServices.provideLive(
          Effect.gen(function* () {
            const url = yield* serveMedia
            const creator = yield* userWith("creator")
            const client = yield* clientAs(url, creator)
            const dir = yield* tempDir
            const bytes = yield* refused.bytes(dir)
            const imagesBefore = yield* blobKeys("images/")
            const uploadId = yield* tusUpload(url, creator.token, bytes, { filename: refused.filename })

            const error = yield* Effect.flip(client.image.create({ uploadId }))
            expect(error._tag).toBe("InvalidMedia")
            if (error._tag === "InvalidMedia") expect(error.reason).toMatch(refused.reason)
            expect(yield* blobKeys(`uploads/${uploadId}/`)).toEqual([])
            expect(yield* blobKeys("images/")).toEqual(imagesBefore)
            const again = yield* Effect.flip(client.image.create({ uploadId }))
            expect(again).toMatchObject({ _tag: "UploadNotFound", uploadId })
          })
        )
      )
    }

    it.scoped("only creators and admins make images, from their own complete uploads", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const dir = yield* tempDir
          const bytes = yield* picture(dir, "p.png", "testsrc2=size=320x180")
          const learner = yield* userWith("learner")
          const fromLearner = yield* tusUpload(url, learner.token, bytes)
          const refused = yield* Effect.flip((yield* clientAs(url, learner)).image.create({ uploadId: fromLearner }))
          expect(refused._tag).toBe("Forbidden")

          const creator = yield* userWith("creator")
          const other = yield* userWith("creator")
          const uploadId = yield* tusUpload(url, creator.token, bytes)
          const stolen = yield* Effect.flip((yield* clientAs(url, other)).image.create({ uploadId }))
          expect(stolen).toMatchObject({ _tag: "UploadNotFound", uploadId })
          const admin = yield* userWith("admin")
          const fromAdmin = yield* (yield* clientAs(url, admin)).image.create({
            uploadId: yield* tusUpload(url, admin.token, bytes)
          })
          expect(fromAdmin).toMatchObject({ width: 320, height: 180 })
        })
      )
    )

    it.scoped("serves renders with immutable public caching, an ETag, 304, and 404 for anything else", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const { url, upload } = yield* creatorWithPicture("p.jpg", "testsrc2=size=640x360")
          const image = yield* upload()

          const first = yield* raw(url, "GET", image.urls.large)
          expect(first.status).toBe(200)
          expect(first.headers).toMatchObject({
            "content-type": "image/jpeg",
            "cache-control": "public, max-age=31536000, immutable",
            "x-content-type-options": "nosniff",
            "content-length": String(first.body.length)
          })
          const etag = first.headers.etag ?? ""
          expect(etag).toMatch(/^".+"$/)
          const head = yield* raw(url, "HEAD", image.urls.large)
          expect(head).toMatchObject({ status: 200, body: Buffer.alloc(0) })
          expect(head.headers.etag).toBe(etag)
          const revalidated = yield* raw(url, "GET", image.urls.large, { "if-none-match": `"other", ${etag}` })
          expect(revalidated.status).toBe(304)
          expect(revalidated.body.length).toBe(0)
          expect(revalidated.headers.etag).toBe(etag)
          const changed = yield* raw(url, "GET", image.urls.large, { "if-none-match": '"other"' })
          expect(changed.status).toBe(200)
          // The small render is another object with its own ETag.
          expect((yield* raw(url, "GET", image.urls.small)).headers.etag).not.toBe(etag)

          const base = `/media/images/${image.id}`
          for (const path of [
            `/media/images/${crypto.randomUUID()}/small.jpg`,
            `${base}/medium.jpg`,
            `${base}/small.png`,
            `${base}/small.jpg/`,
            `${base.toUpperCase().replace("/MEDIA/IMAGES", "/media/images")}/small.jpg`,
            `${base}/../${image.id}/small.jpg`,
            `/media/images/../images/${image.id}/small.jpg`,
            "/media/images/../../uploads/x/0000000000000000",
            "/media/images/%2e%2e/%2e%2e/etc/passwd",
            `/media/images/${image.id}%2fsmall.jpg`,
            "/media/images/",
            `${base}/`
          ]) {
            const response = yield* raw(url, "GET", path)
            expect({ path, status: response.status }).toEqual({ path, status: 404 })
            expect(response.headers["content-type"]).toBe("text/plain; charset=utf-8")
          }
          const post = yield* raw(url, "POST", image.urls.small)
          expect(post.status).toBe(405)
        })
      )
    )

    it.scoped("image.delete: the owner or an admin; its URLs then answer 404 and image.deleted is emitted", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const { url, creator, client, bytes, upload } = yield* creatorWithPicture("p.webp", "testsrc2=size=320x180")
          const image = yield* upload()

          const other = yield* clientAs(url, yield* userWith("creator"))
          const refused = yield* Effect.flip(other.image.delete({ id: image.id }))
          expect(refused).toMatchObject({ _tag: "ImageNotFound", id: image.id })
          expect((yield* fetchBytes(`${url}${image.urls.small}`)).status).toBe(200)

          yield* client.image.delete({ id: image.id })
          expect((yield* fetchBytes(`${url}${image.urls.small}`)).status).toBe(404)
          expect((yield* fetchBytes(`${url}${image.urls.large}`)).status).toBe(404)
          expect(yield* blobKeys(`images/${image.id}/`)).toEqual([])
          const twice = yield* Effect.flip(client.image.delete({ id: image.id }))
          expect(twice).toMatchObject({ _tag: "ImageNotFound", id: image.id })

          const sql = yield* SqlClient.SqlClient
          const events = yield* sql<{ type: string; payload: unknown }>`
            SELECT type, payload FROM media.outbox WHERE type = 'image.deleted'`.pipe(Effect.orDie)
          expect(events.map((event) => event.payload)).toContainEqual({ imageId: image.id, ownerId: creator.id })

          const second = yield* client.image.create({ uploadId: yield* tusUpload(url, creator.token, bytes) })
          const admin = yield* clientAs(url, yield* userWith("admin"))
          yield* admin.image.delete({ id: second.id })
          expect((yield* fetchBytes(`${url}${second.urls.small}`)).status).toBe(404)
        })
      )
    )

    it.scoped("catalog's image.released deletes the image, renders and all, once however often it comes", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const { url, client, upload } = yield* creatorWithPicture("r.png", "testsrc2=size=320x180")
          const released = yield* upload()
          const kept = yield* upload()

          const bus = yield* EventBus
          const envelope = new Events.EventEnvelope({
            id: crypto.randomUUID(),
            type: "image.released",
            version: 1,
            source: "catalog",
            occurredAt: DateTime.unsafeNow(),
            payload: { imageId: released.id, courseId: crypto.randomUUID() }
          })
          yield* bus.publish(envelope).pipe(Effect.orDie)
          yield* bus.publish(envelope).pipe(Effect.orDie)
          // Gone when both renders answer 404 and no object is left (they are deleted one after the other).
          yield* eventually(
            "the released image gone",
            Effect.all([
              fetchBytes(`${url}${released.urls.small}`),
              fetchBytes(`${url}${released.urls.large}`),
              blobKeys(`images/${released.id}/`)
            ]).pipe(
              Effect.map(([small, large, keys]) => small.status === 404 && large.status === 404 && keys.length === 0)
            )
          )
          expect((yield* fetchBytes(`${url}${kept.urls.small}`)).status).toBe(200)
          const sql = yield* SqlClient.SqlClient
          const deleted = () =>
            sql<{ payload: { imageId: string } }>`
              SELECT payload FROM media.outbox WHERE type = 'image.deleted'`.pipe(
              Effect.map((rows) => rows.filter((row) => row.payload.imageId === released.id).length),
              Effect.orDie
            )
          // Both deliveries were handled (the second found nothing left to do): one image.deleted.
          yield* Effect.sleep("300 millis")
          expect(yield* deleted()).toBe(1)
          // Its owner can no longer delete it either: it is gone.
          expect(yield* Effect.flip(client.image.delete({ id: released.id }))).toMatchObject({ _tag: "ImageNotFound" })
        })
      )
    )
  })
})
