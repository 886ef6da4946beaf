// Contract suite for the BlobStore port: every implementation (filesystem, S3) must pass it.
import { createHash, randomBytes } from "node:crypto"
import { existsSync, readFileSync } from "node:fs"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect } from "@effect/vitest"
import {
  type BlobInfo,
  BlobNotFound,
  BlobStore,
  InvalidBlobKey,
  RangeNotSatisfiable
} from "@lectern/platform/BlobStore"
import { Data, Effect, Layer, Option, Stream } from "effect"
import { sharedLayer } from "./SuiteSupport.ts"

const MiB = 1024 * 1024

/** Keys no store may accept: each could escape the store, or names nothing. */
export const badKeys: ReadonlyArray<string> = [
  "../x",
  "a/../../b",
  "/abs",
  "a//b",
  "a\\b",
  "a/./b",
  "a/",
  ".",
  "a\u0000b",
  "a\nb",
  "a\u007fb",
  "",
  "x".repeat(2000)
]

/** Prefixes no store may accept (the empty prefix, "everything", is valid). */
export const badPrefixes: ReadonlyArray<string> = [
  "../x/",
  "a/../../b/",
  "/abs/",
  "a//b/",
  "a\\b/",
  "a/./b/",
  "a\u0000b/",
  "no-trailing-slash",
  `${"x".repeat(2000)}/`
]

class BodyBroke extends Data.TaggedError("BodyBroke")<{ readonly after: string }> {}

const text = (value: string) => new TextEncoder().encode(value)

const expectBytes = (actual: Uint8Array, expected: Uint8Array) => {
  expect(actual.length).toBe(expected.length)
  expect(Buffer.compare(Buffer.from(actual), Buffer.from(expected))).toBe(0)
}

const collect = <E>(body: Stream.Stream<Uint8Array, E>) =>
  Stream.runCollect(body).pipe(Effect.map((chunks) => new Uint8Array(Buffer.concat([...chunks]))))

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

const sameObject = (info: BlobInfo) => ({ key: info.key, size: info.size, etag: info.etag })

/** A temporary directory for the test, removed with its scope. */
const scratchDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "lectern-blob-suite-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

/**
 * Registers the BlobStore contract against `layer`. Every key lives under a prefix unique to this run, deleted
 * again afterwards, so suites sharing a bucket or a root never see each other's objects.
 */
export const blobStoreSuite = <E>(name: string, layer: Layer.Layer<BlobStore, E>) => {
  const run = `blob-suite-${crypto.randomUUID()}/`
  const key = (name: string) => `${run}${name}`
  const cleanUp = Layer.scopedDiscard(
    Effect.gen(function* () {
      const store = yield* BlobStore
      yield* Effect.addFinalizer(() => store.deleteByPrefix(run).pipe(Effect.ignore))
    })
  )

  describe(`BlobStore port: ${name}`, () => {
    const test = sharedLayer(Layer.provideMerge(cleanUp, layer))

    test("answers ping", () => Effect.flatMap(BlobStore, (store) => store.ping))

    test("round-trips binary bytes, UTF-8 text and an empty object", () =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const binary = Uint8Array.from({ length: 512 }, (_, i) => (i * 7) % 256)
        const written = yield* store.put(key("round/binary.bin"), binary)
        expect(written).toMatchObject({ key: key("round/binary.bin"), size: 512 })
        expectBytes((yield* store.read(key("round/binary.bin"))).bytes, binary)
        const got = yield* store.get(key("round/binary.bin"))
        expect(sameObject(got.info)).toEqual(sameObject(written))
        expectBytes(yield* collect(got.body), binary)
        const head = yield* store.head(key("round/binary.bin"))
        expect(Option.map(head, sameObject)).toEqual(Option.some(sameObject(written)))
        expect(Option.getOrThrow(head).lastModified.getTime()).not.toBeNaN()

        const greeting = "héllo, wörld ✓ 🎬\u0000end"
        expect((yield* store.put(key("round/text.vtt"), greeting)).size).toBe(text(greeting).length)
        expectBytes((yield* store.read(key("round/text.vtt"))).bytes, text(greeting))

        const empty = yield* store.put(key("round/empty"), new Uint8Array(0))
        expect(empty.size).toBe(0)
        const read = yield* store.read(key("round/empty"))
        expect([read.info.size, read.bytes.length]).toEqual([0, 0])
        expect((yield* collect((yield* store.get(key("round/empty"))).body)).length).toBe(0)
        expect(Option.map(yield* store.head(key("round/empty")), (info) => info.size)).toEqual(Option.some(0))
      }))

    test("gives an overwritten object a new etag", () =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const first = yield* store.put(key("etag/object.json"), "aaaa")
        expect(Option.map(yield* store.head(key("etag/object.json")), sameObject)).toEqual(
          Option.some(sameObject(first))
        )
        const second = yield* store.put(key("etag/object.json"), "bbbb")
        expect(second.etag).not.toBe(first.etag)
        expect(Option.map(yield* store.head(key("etag/object.json")), sameObject)).toEqual(
          Option.some(sameObject(second))
        )
        const third = yield* store.putStream(key("etag/object.json"), Stream.make(text("cc"), text("cc")))
        expect(third.etag).not.toBe(second.etag)
        expectBytes((yield* store.read(key("etag/object.json"))).bytes, text("cccc"))
      }))

    test("infers the content type from the key's extension", () =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const expected = {
          "ct/master.m3u8": "application/vnd.apple.mpegurl",
          "ct/segment-00001.ts": "video/mp2t",
          "ct/init.m4s": "video/mp4",
          "ct/POSTER.JPG": "image/jpeg",
          "ct/captions.en.vtt": "text/vtt",
          "ct/manifest.json": "application/json"
        }
        for (const [name, contentType] of Object.entries(expected)) {
          expect((yield* store.put(key(name), "x")).contentType).toBe(contentType)
          expect(Option.map(yield* store.head(key(name)), (info) => info.contentType)).toEqual(Option.some(contentType))
          expect((yield* store.read(key(name))).info.contentType).toBe(contentType)
        }
      }))

    test("reads into a caller's buffer when it is large enough, and into a new one otherwise", () =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 13) % 256)
        yield* store.put(key("into/object.bin"), bytes)
        const reusable = new Uint8Array(4096).fill(0xff)
        const whole = yield* store.read(key("into/object.bin"), undefined, reusable)
        expectBytes(whole.bytes, bytes)
        expect(whole.bytes.buffer).toBe(reusable.buffer)
        const ranged = yield* store.read(key("into/object.bin"), { start: 10, end: 19 }, reusable)
        expectBytes(ranged.bytes, bytes.subarray(10, 20))
        expect(ranged.bytes.buffer).toBe(reusable.buffer)
        const small = new Uint8Array(10)
        const fresh = yield* store.read(key("into/object.bin"), undefined, small)
        expectBytes(fresh.bytes, bytes)
        expect(fresh.bytes.buffer).not.toBe(small.buffer)
      }))

    test("serves byte ranges, and refuses ranges outside the object", () =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const data = Uint8Array.from({ length: 256 }, (_, i) => i)
        yield* store.put(key("range/data.bin"), data)
        const cases = [
          [{ start: 10 }, data.subarray(10)],
          [{ start: 10, end: 19 }, data.subarray(10, 20)],
          [{ start: 0, end: 1 }, data.subarray(0, 2)],
          [{ start: 255, end: 255 }, data.subarray(255)],
          [{ start: 250, end: 10_000 }, data.subarray(250)]
        ] as const
        for (const [range, expected] of cases) {
          const read = yield* store.read(key("range/data.bin"), range)
          expect(read.info.size).toBe(256)
          expectBytes(read.bytes, expected)
          const got = yield* store.get(key("range/data.bin"), range)
          expect(got.info.size).toBe(256)
          expectBytes(yield* collect(got.body), expected)
        }
        for (const range of [
          { start: 256 },
          { start: 300, end: 400 },
          { start: 5, end: 4 },
          { start: -1 },
          { start: 1.5 }
        ]) {
          const readError = yield* Effect.flip(store.read(key("range/data.bin"), range))
          expect(readError).toEqual(new RangeNotSatisfiable({ key: key("range/data.bin"), size: 256 }))
          const getError = yield* Effect.flip(store.get(key("range/data.bin"), range))
          expect(getError).toEqual(new RangeNotSatisfiable({ key: key("range/data.bin"), size: 256 }))
        }
        yield* store.put(key("range/empty"), "")
        expect(yield* Effect.flip(store.read(key("range/empty"), { start: 0 }))).toEqual(
          new RangeNotSatisfiable({ key: key("range/empty"), size: 0 })
        )
        expect(yield* Effect.flip(store.get(key("range/empty"), { start: 0, end: 0 }))).toEqual(
          new RangeNotSatisfiable({ key: key("range/empty"), size: 0 })
        )
      }))

    test("streams a body of many chunks (beyond one multipart part) in and out intact", () =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const chunks = [...Array.from({ length: 12 }, () => randomBytes(MiB)), randomBytes(12_345)]
        const expected = Buffer.concat(chunks)
        const written = yield* store.putStream(
          key("big/upload.mp4"),
          Stream.fromIterable(chunks).pipe(Stream.rechunk(1))
        )
        expect(written.size).toBe(expected.length)
        expect(written.contentType).toBe("video/mp4")

        const got = yield* store.get(key("big/upload.mp4"))
        expect(sameObject(got.info)).toEqual(sameObject(written))
        const hash = createHash("sha256")
        yield* Stream.runForEach(got.body, (chunk) => Effect.sync(() => hash.update(chunk)))
        expect(hash.digest("hex")).toBe(sha256(expected))

        // Across the boundary of the first 8 MiB part.
        const across = yield* store.read(key("big/upload.mp4"), { start: 8 * MiB - 3, end: 8 * MiB + 2 })
        expectBytes(across.bytes, expected.subarray(8 * MiB - 3, 8 * MiB + 3))
        expect(sha256((yield* store.read(key("big/upload.mp4"))).bytes)).toBe(sha256(expected))
      }))

    test("leaves no object, and keeps the one it would replace, when the body stream fails", () =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        // Past one 8 MiB part before failing, so an S3 multipart upload has begun.
        const failing = Stream.fromIterable(Array.from({ length: 9 }, () => randomBytes(MiB))).pipe(
          Stream.rechunk(1),
          Stream.concat(Stream.fail(new BodyBroke({ after: "9 MiB" })))
        )
        expect(yield* Effect.flip(store.putStream(key("failing/never.ts"), failing))).toBeInstanceOf(BodyBroke)
        expect(yield* store.head(key("failing/never.ts"))).toEqual(Option.none())
        expect(yield* store.list(key("failing/"))).toEqual([])

        yield* store.put(key("failing/kept.ts"), "the old object")
        expect(yield* Effect.flip(store.putStream(key("failing/kept.ts"), failing))).toBeInstanceOf(BodyBroke)
        expectBytes((yield* store.read(key("failing/kept.ts"))).bytes, text("the old object"))
      }))

    test("copies a local file in and leaves the file where it was", () =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const dir = yield* scratchDir
        const source = join(dir, "rendition.mp4")
        const bytes = randomBytes(300_000)
        yield* Effect.promise(() => writeFile(source, bytes))
        const written = yield* store.putFile(key("file/rendition.mp4"), source)
        expect(written).toMatchObject({ size: bytes.length, contentType: "video/mp4" })
        expectBytes((yield* store.read(key("file/rendition.mp4"))).bytes, bytes)
        expectBytes(readFileSync(source), bytes)
        expect(yield* Effect.flip(store.putFile(key("file/missing.mp4"), join(dir, "missing.mp4")))).toMatchObject({
          _tag: "BlobStoreUnavailable",
          operation: "putFile"
        })
        expect(yield* store.head(key("file/missing.mp4"))).toEqual(Option.none())
      }).pipe(Effect.scoped))

    test("lists the objects under a prefix, sorted by key, and nothing beside it", () =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const names = ["list/b.json", "list/a/2.ts", "list/a/1.ts", "list/ab/x.ts", "list/a.txt", "list/a/sub/3.ts"]
        for (const [i, name] of names.entries()) yield* store.put(key(name), "x".repeat(i))
        const all = yield* store.list(key("list/"))
        expect(all.map((info) => info.key)).toEqual(
          ["list/a.txt", "list/a/1.ts", "list/a/2.ts", "list/a/sub/3.ts", "list/ab/x.ts", "list/b.json"].map(key)
        )
        for (const info of all) {
          expect(info.size).toBe(names.indexOf(info.key.slice(run.length)))
          expect(Option.map(yield* store.head(info.key), sameObject)).toEqual(Option.some(sameObject(info)))
        }
        expect((yield* store.list(key("list/a/"))).map((info) => info.key)).toEqual(
          ["list/a/1.ts", "list/a/2.ts", "list/a/sub/3.ts"].map(key)
        )
        expect(yield* store.list(key("list/none/"))).toEqual([])
        expect(yield* store.list(key("list/b.json/"))).toEqual([])
        const everything = (yield* store.list("")).map((info) => info.key)
        expect(everything.filter((name) => name.startsWith(key("list/")))).toEqual(all.map((info) => info.key))
      }))

    test("deletes the objects under a prefix and counts them", () =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        for (const name of ["del/x/1", "del/x/2", "del/x/deep/3", "del/xy/4", "del/x.ts"])
          yield* store.put(key(name), name)
        expect(yield* store.deleteByPrefix(key("del/x/"))).toBe(3)
        expect((yield* store.list(key("del/"))).map((info) => info.key)).toEqual(["del/x.ts", "del/xy/4"].map(key))
        expect(yield* store.deleteByPrefix(key("del/x/"))).toBe(0)
        expect(yield* store.deleteByPrefix(key("del/never/"))).toBe(0)
        yield* store.delete(key("del/x.ts"))
        expect(yield* store.head(key("del/x.ts"))).toEqual(Option.none())
        expect((yield* store.list(key("del/"))).map((info) => info.key)).toEqual([key("del/xy/4")])
      }))

    test("copies a prefix, keeping the source", () =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        yield* store.put(key("copy/src/1.ts"), "one")
        yield* store.put(key("copy/src/sub/ä b (1).m3u8"), "two")
        expect(yield* store.copyPrefix(key("copy/src/"), key("copy/dst/"))).toBe(2)
        expect((yield* store.list(key("copy/dst/"))).map((info) => info.key)).toEqual(
          ["copy/dst/1.ts", "copy/dst/sub/ä b (1).m3u8"].map(key)
        )
        expectBytes((yield* store.read(key("copy/dst/sub/ä b (1).m3u8"))).bytes, text("two"))
        expect(Option.map(yield* store.head(key("copy/dst/sub/ä b (1).m3u8")), (info) => info.contentType)).toEqual(
          Option.some("application/vnd.apple.mpegurl")
        )
        expect((yield* store.list(key("copy/src/"))).length).toBe(2)
        expect(yield* store.copyPrefix(key("copy/none/"), key("copy/dst/"))).toBe(0)
        expect((yield* store.list(key("copy/dst/"))).length).toBe(2)
      }))

    test("moves a prefix, replacing what the target held and leaving nothing under the source", () =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        yield* store.put(key("move/to/old-only.ts"), "old")
        yield* store.put(key("move/to/shared.ts"), "old shared")
        yield* store.put(key("move/from/shared.ts"), "new shared")
        yield* store.put(key("move/from/deep/new.ts"), "new")
        expect(yield* store.movePrefix(key("move/from/"), key("move/to/"))).toBe(2)
        expect((yield* store.list(key("move/to/"))).map((info) => info.key)).toEqual(
          ["move/to/deep/new.ts", "move/to/shared.ts"].map(key)
        )
        expectBytes((yield* store.read(key("move/to/shared.ts"))).bytes, text("new shared"))
        expect(yield* store.list(key("move/from/"))).toEqual([])
        expect(yield* store.head(key("move/to/old-only.ts"))).toEqual(Option.none())

        // Moving nothing onto a prefix leaves that prefix as the source was: empty.
        expect(yield* store.movePrefix(key("move/nothing/"), key("move/to/"))).toBe(0)
        expect(yield* store.list(key("move/to/"))).toEqual([])
      }))

    test("refuses to copy or move a prefix into itself", () =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        yield* store.put(key("overlap/in/1.ts"), "1")
        const attempts = [
          store.copyPrefix(key("overlap/"), key("overlap/in/")),
          store.copyPrefix(key("overlap/in/"), key("overlap/")),
          store.movePrefix(key("overlap/in/"), key("overlap/in/")),
          store.movePrefix("", key("elsewhere/"))
        ]
        for (const attempt of attempts) expect(yield* Effect.flip(attempt)).toBeInstanceOf(InvalidBlobKey)
        expect((yield* store.list(key("overlap/"))).map((info) => info.key)).toEqual([key("overlap/in/1.ts")])
      }))

    test("answers BlobNotFound for a missing object, and deletes it without complaint", () =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const missing = key("missing/nothing.ts")
        expect(yield* Effect.flip(store.get(missing))).toEqual(new BlobNotFound({ key: missing }))
        expect(yield* Effect.flip(store.read(missing))).toEqual(new BlobNotFound({ key: missing }))
        expect(yield* Effect.flip(store.read(missing, { start: 5, end: 1 }))).toEqual(
          new BlobNotFound({ key: missing })
        )
        expect(yield* Effect.flip(Effect.scoped(store.localFile(missing)))).toEqual(new BlobNotFound({ key: missing }))
        expect(yield* store.head(missing)).toEqual(Option.none())
        yield* store.delete(missing)
      }))

    test("refuses every key and prefix that could escape the store or names nothing", () =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        for (const bad of badKeys) {
          const attempts: ReadonlyArray<Effect.Effect<unknown, unknown>> = [
            store.put(bad, "x"),
            store.putStream(bad, Stream.make(text("x"))),
            store.putFile(bad, "/dev/null"),
            store.get(bad),
            store.read(bad),
            store.head(bad),
            store.delete(bad),
            store.signedUrl(bad, "1 minute"),
            Effect.scoped(store.localFile(bad))
          ]
          for (const attempt of attempts) {
            const error = yield* Effect.flip(attempt)
            expect(error).toBeInstanceOf(InvalidBlobKey)
            expect((error as InvalidBlobKey).key).toBe(bad)
          }
        }
        for (const bad of badPrefixes) {
          const attempts: ReadonlyArray<Effect.Effect<unknown, unknown>> = [
            store.list(bad),
            store.deleteByPrefix(bad),
            store.copyPrefix(bad, key("ok/")),
            store.movePrefix(key("ok/"), bad)
          ]
          for (const attempt of attempts) {
            const error = yield* Effect.flip(attempt)
            expect(error).toBeInstanceOf(InvalidBlobKey)
            expect((error as InvalidBlobKey).key).toBe(bad)
          }
        }
      }))

    test("gives a local file holding the object, gone once its scope closed and the object is deleted", () =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const bytes = randomBytes(70_000)
        yield* store.put(key("local/clip.mp4"), bytes)
        const path = yield* Effect.scoped(
          Effect.gen(function* () {
            const path = yield* store.localFile(key("local/clip.mp4"))
            expect(path.endsWith(".mp4")).toBe(true)
            expectBytes(readFileSync(path), bytes)
            return path
          })
        )
        yield* store.delete(key("local/clip.mp4"))
        expect(existsSync(path)).toBe(false)
      }))

    test("opens an object for positional reads where the backend has local files, still readable once deleted", () =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const openFile = store.openFile
        if (openFile === undefined) return
        const bytes = randomBytes(300_000)
        yield* store.put(key("open/segment.ts"), bytes)
        const file = yield* openFile(key("open/segment.ts"))
        expect(file.info).toEqual(Option.getOrThrow(yield* store.head(key("open/segment.ts"))))
        const into = new Uint8Array(400_000)
        const whole = yield* Effect.promise(() => file.read(into, 0, bytes.length))
        expect(whole).toBe(bytes.length)
        expectBytes(into.subarray(0, whole), bytes)
        const tail = yield* Effect.promise(() => file.read(into, 299_990, 100))
        expect(tail).toBe(10)
        expectBytes(into.subarray(0, tail), bytes.subarray(299_990))
        yield* store.delete(key("open/segment.ts"))
        expect(yield* Effect.promise(() => file.read(into, 0, 16))).toBe(16)
        expectBytes(into.subarray(0, 16), bytes.subarray(0, 16))
        yield* Effect.promise(() => Promise.all([file.close(), file.close()]))
        expect(yield* Effect.flip(openFile(key("open/segment.ts")))).toEqual(
          new BlobNotFound({ key: key("open/segment.ts") })
        )
        const error = yield* Effect.flip(openFile("../escape"))
        expect(error).toBeInstanceOf(InvalidBlobKey)
      }))
  })
}
