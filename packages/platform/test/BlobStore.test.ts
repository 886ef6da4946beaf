// The BlobStore port's contract suite on the filesystem and on S3 (s3rver), plus confinement, renames and config.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync
} from "node:fs"
import { mkdtemp, readdir, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { BlobStore, type BlobStoreUnavailable, InvalidBlobKey } from "@lectern/platform/BlobStore"
import { layerFromConfig } from "@lectern/platform/BlobStoreFromConfig"
import * as BlobStoreFs from "@lectern/platform/BlobStoreFs"
import * as BlobStoreS3 from "@lectern/platform/BlobStoreS3"
import { blobStoreSuite } from "@lectern/testkit/BlobStoreSuite"
import { layerS3Server, S3Server, type S3ServerService, startS3Server } from "@lectern/testkit/S3Server"
import { sharedLayer } from "@lectern/testkit/SuiteSupport"
import { ConfigError, ConfigProvider, Context, Effect, Fiber, Layer, Option, Redacted, Stream } from "effect"

/** A fresh directory, removed with the scope. */
const scratchDir = (name: string) =>
  Effect.acquireRelease(
    Effect.promise(() => mkdtemp(join(tmpdir(), `lectern-${name}-`))),
    (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  )

const settingsFor = (server: S3ServerService, bucket: string): BlobStoreS3.BlobStoreS3Settings => ({
  bucket,
  endpoint: server.endpoint,
  region: server.region,
  accessKeyId: server.accessKeyId,
  secretAccessKey: Redacted.make(server.secretAccessKey),
  forcePathStyle: true
})

const uniqueBucket = () => `lectern-test-${crypto.randomUUID().slice(0, 8)}`

const layerFsTemp = Layer.unwrapScoped(Effect.map(scratchDir("blobs"), (root) => BlobStoreFs.layerFs({ root })))

/** S3 on a fresh s3rver, in a bucket the layer creates. */
const layerS3Fresh = Layer.unwrapEffect(
  Effect.map(S3Server, (server) => BlobStoreS3.layerS3(settingsFor(server, uniqueBucket())))
).pipe(Layer.provide(layerS3Server))

blobStoreSuite("filesystem", layerFsTemp)
blobStoreSuite("S3 on s3rver", layerS3Fresh)

const text = (value: string) => new TextEncoder().encode(value)
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

const expectInvalid = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flip(effect).pipe(Effect.tap((error) => Effect.sync(() => expect(error).toBeInstanceOf(InvalidBlobKey))))

describe("BlobStore on the filesystem", () => {
  it.scopedLive("refuses to read or write through links that lead out of the root", () =>
    Effect.gen(function* () {
      const root = yield* scratchDir("blobs")
      const outside = yield* scratchDir("outside")
      writeFileSync(join(outside, "secret.txt"), "secret")
      symlinkSync(outside, join(root, "escape"))
      symlinkSync(join(outside, "secret.txt"), join(root, "linked.txt"))
      const store = yield* BlobStoreFs.makeFs(root)

      for (const key of ["escape/secret.txt", "linked.txt"]) {
        yield* expectInvalid(store.read(key))
        yield* expectInvalid(store.get(key))
        yield* expectInvalid(store.head(key))
        yield* expectInvalid(Effect.scoped(store.localFile(key)))
        if (store.openFile !== undefined) yield* expectInvalid(store.openFile(key))
      }
      yield* expectInvalid(store.delete("escape/secret.txt"))
      yield* expectInvalid(store.put("escape/new.txt", "x"))
      yield* expectInvalid(store.put("escape/deeper/new.txt", "x"))
      yield* expectInvalid(store.putStream("escape/streamed.txt", Stream.make(text("x"))))
      yield* expectInvalid(store.list("escape/"))
      yield* expectInvalid(store.deleteByPrefix("escape/"))
      yield* expectInvalid(store.copyPrefix("escape/", "copied/"))
      yield* expectInvalid(store.movePrefix("escape/", "moved/"))
      yield* store.put("inside/1.txt", "1")
      yield* expectInvalid(store.movePrefix("inside/", "escape/"))
      yield* expectInvalid(store.copyPrefix("inside/", "escape/"))
      expect(readdirSync(outside)).toEqual(["secret.txt"])
      expect((yield* store.list("")).map((info) => info.key)).toEqual(["inside/1.txt"])

      // Writing a key that is a link replaces the link; the file it pointed at is untouched.
      yield* store.put("linked.txt", "replaced")
      expect(decode((yield* store.read("linked.txt")).bytes)).toBe("replaced")
      expect(yield* store.deleteByPrefix("")).toBe(2)
      expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe("secret")
      expect(readdirSync(root)).toEqual([".tmp"])
    })
  )

  it.scopedLive("moves a prefix by renaming its directory, so the target appears whole", () =>
    Effect.gen(function* () {
      const root = yield* scratchDir("blobs")
      const store = yield* BlobStoreFs.makeFs(root)
      const fresh = Array.from({ length: 200 }, (_, i) => `segment-${String(i).padStart(5, "0")}.ts`)
      const old = ["old-1.ts", "old-2.ts", "old-3.ts"]
      yield* Effect.forEach(fresh, (name) => store.put(`media/staging/${name}`, name), { concurrency: 16 })
      yield* Effect.forEach(old, (name) => store.put(`media/live/${name}`, name))
      const stagingInode = statSync(join(root, "media/staging")).ino
      const segmentInode = statSync(join(root, "media/staging", fresh[0] ?? "")).ino

      let moving = true
      const seen: Array<ReadonlyArray<string>> = []
      const observer = yield* Effect.fork(
        Effect.promise(async () => {
          while (moving) {
            seen.push(await readdir(join(root, "media/live")).catch(() => []))
            await new Promise((resolve) => setImmediate(resolve))
          }
        })
      )
      expect(yield* store.movePrefix("media/staging/", "media/live/")).toBe(fresh.length)
      moving = false
      yield* Fiber.join(observer)

      expect(statSync(join(root, "media/live")).ino).toBe(stagingInode)
      expect(statSync(join(root, "media/live", fresh[0] ?? "")).ino).toBe(segmentInode)
      const wholes = [JSON.stringify(old), JSON.stringify([]), JSON.stringify(fresh)]
      for (const names of seen) expect(wholes).toContain(JSON.stringify([...names].sort()))
      expect(existsSync(join(root, "media/staging"))).toBe(false)
      expect(readdirSync(join(root, ".tmp"))).toEqual([])
    })
  )

  it.scopedLive("keeps its temporary directory to itself, and leaves nothing there after a failed write", () =>
    Effect.gen(function* () {
      const root = yield* scratchDir("blobs")
      const store = yield* BlobStoreFs.makeFs(root)
      yield* expectInvalid(store.put(".tmp/x", "x"))
      yield* expectInvalid(store.list(".tmp/"))
      const failing = Stream.make(text("partial")).pipe(Stream.concat(Stream.fail("broken" as const)))
      expect(yield* Effect.flip(store.putStream("upload.mp4", failing))).toBe("broken")
      expect(readdirSync(join(root, ".tmp"))).toEqual([])
      expect(readdirSync(root)).toEqual([".tmp"])
      expect(yield* store.list("")).toEqual([])
    })
  )

  it.scopedLive("clears temporary files a crash left behind when it starts, and only old ones", () =>
    Effect.gen(function* () {
      const root = yield* scratchDir("blobs")
      mkdirSync(join(root, ".tmp"))
      writeFileSync(join(root, ".tmp", "put-crashed"), "half")
      const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000)
      utimesSync(join(root, ".tmp", "put-crashed"), twoDaysAgo, twoDaysAgo)
      writeFileSync(join(root, ".tmp", "put-in-flight"), "another process is writing this")
      yield* BlobStoreFs.makeFs(root)
      expect(readdirSync(join(root, ".tmp"))).toEqual(["put-in-flight"])
    })
  )

  it.scopedLive("refuses a key and a prefix sharing a name, until the other is deleted", () =>
    Effect.gen(function* () {
      const root = yield* scratchDir("blobs")
      const store = yield* BlobStoreFs.makeFs(root)
      yield* store.put("a/b", "file")
      yield* expectInvalid(store.put("a/b/c", "under a file"))
      yield* expectInvalid(store.put("a", "over a directory"))
      yield* store.delete("a/b")
      // Deleting the last object under a directory removes the empty directories too.
      expect(readdirSync(root)).toEqual([".tmp"])
      yield* store.put("a", "now a file")
      expect(decode((yield* store.read("a")).bytes)).toBe("now a file")
    })
  )

  it.scopedLive("streams in 1 MiB chunks, knows no content type for an unknown extension, and signs no URLs", () =>
    Effect.gen(function* () {
      const root = yield* scratchDir("blobs")
      const store = yield* BlobStoreFs.makeFs(root)
      const info = yield* store.put("video/source.mkv", new Uint8Array(3 * 1024 * 1024 + 1))
      expect(info.contentType).toBeUndefined()
      const { body } = yield* store.get("video/source.mkv")
      const sizes = yield* Stream.runCollect(Stream.map(body, (chunk) => chunk.length))
      expect([...sizes]).toEqual([1024 * 1024, 1024 * 1024, 1024 * 1024, 1])
      expect(yield* store.signedUrl("video/source.mkv", "1 hour")).toEqual(Option.none())
      expect(yield* Effect.scoped(store.localFile("video/source.mkv"))).toBe(join(root, "video/source.mkv"))
    })
  )
})

describe("BlobStore on S3", () => {
  const bucket = uniqueBucket()
  const test = sharedLayer(
    Layer.unwrapEffect(
      Effect.map(S3Server, (server) =>
        Layer.merge(BlobStoreS3.layerS3(settingsFor(server, bucket)), Layer.succeed(S3Server, server))
      )
    ).pipe(Layer.provide(layerS3Server))
  )

  test("signs URLs a client can GET directly", () =>
    Effect.gen(function* () {
      const store = yield* BlobStore
      yield* store.put("signed/segment 1.ts", "segment bytes")
      const url = Option.getOrThrow(yield* store.signedUrl("signed/segment 1.ts", "1 minute"))
      expect(new URL(url).pathname).toBe(`/${bucket}/signed/segment%201.ts`)
      expect(new URL(url).searchParams.get("X-Amz-Expires")).toBe("60")
      const response = yield* Effect.promise(() => fetch(url))
      expect(response.status).toBe(200)
      expect(yield* Effect.promise(() => response.text())).toBe("segment bytes")
    }))

  test("removes a local file's download when its scope closes", () =>
    Effect.gen(function* () {
      const store = yield* BlobStore
      yield* store.put("local/poster.jpg", "jpeg bytes")
      const path = yield* Effect.scoped(
        Effect.gen(function* () {
          const path = yield* store.localFile("local/poster.jpg")
          expect(path.startsWith(join(tmpdir(), "lectern-blob-"))).toBe(true)
          expect(readFileSync(path, "utf8")).toBe("jpeg bytes")
          return path
        })
      )
      expect(existsSync(path)).toBe(false)
      expect(Option.isSome(yield* store.head("local/poster.jpg"))).toBe(true)
    }))

  test("keeps an explicit content type over the extension's", () =>
    Effect.gen(function* () {
      const store = yield* BlobStore
      yield* store.put("typed/data.bin", "{}", { contentType: "application/json" })
      expect(Option.map(yield* store.head("typed/data.bin"), (info) => info.contentType)).toEqual(
        Option.some("application/json")
      )
    }))

  it.scopedLive("pages through listings, deletions, copies and moves", () =>
    Effect.gen(function* () {
      const server = yield* S3Server
      const context = yield* Layer.build(BlobStoreS3.layerS3({ ...settingsFor(server, uniqueBucket()), pageSize: 2 }))
      const store = Context.get(context, BlobStore)
      const names = Array.from({ length: 7 }, (_, i) => `segment-${i}.ts`)
      yield* Effect.forEach(names, (name) => store.put(`paged/a/${name}`, name), { concurrency: 4 })
      expect((yield* store.list("paged/a/")).map((info) => info.key)).toEqual(names.map((name) => `paged/a/${name}`))
      expect(yield* store.copyPrefix("paged/a/", "paged/b/")).toBe(7)
      expect(yield* store.movePrefix("paged/b/", "paged/c/")).toBe(7)
      expect((yield* store.list("paged/c/")).map((info) => info.key)).toEqual(names.map((name) => `paged/c/${name}`))
      expect(yield* store.list("paged/b/")).toEqual([])
      expect(yield* store.deleteByPrefix("paged/")).toBe(14)
      expect(yield* store.list("")).toEqual([])
    }).pipe(Effect.provide(layerS3Server))
  )

  test("refuses an answer holding other bytes than the range asked for", () =>
    Effect.gen(function* () {
      const store = yield* BlobStore
      yield* store.put("range/data.bin", "0123456789")
      // s3rver 3.7.1 reads `bytes=0-0` as "from 0 to the end" and answers with the whole object.
      const error = yield* Effect.flip(store.read("range/data.bin", { start: 0, end: 0 }))
      expect(error).toMatchObject({ _tag: "BlobStoreUnavailable", operation: "read", key: "range/data.bin" })
      expect(String((error as BlobStoreUnavailable).cause)).toContain("answered 0-9")
    }))

  it.live("fails to start with BlobStoreUnavailable when nothing answers at the endpoint", () =>
    Effect.gen(function* () {
      const settings = {
        bucket,
        endpoint: "http://127.0.0.1:1",
        accessKeyId: "S3RVER",
        secretAccessKey: Redacted.make("S3RVER"),
        forcePathStyle: true
      }
      const error = yield* Effect.flip(Layer.build(BlobStoreS3.layerS3(settings)))
      expect(error).toMatchObject({ _tag: "BlobStoreUnavailable", operation: "ping" })
    }).pipe(Effect.scoped, Effect.timeout("20 seconds"))
  )
})

describe("BlobStore from config", () => {
  const withEnv = (env: Record<string, string>) =>
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

  it.scopedLive("without S3_BUCKET, keeps files under BLOB_ROOT", () =>
    Effect.gen(function* () {
      const root = yield* scratchDir("blobs")
      const context = yield* Layer.build(layerFromConfig).pipe(withEnv({ BLOB_ROOT: root, S3_BUCKET: " " }))
      const store = Context.get(context, BlobStore)
      yield* store.put("media/1/master.m3u8", "#EXTM3U")
      expect(readFileSync(join(root, "media/1/master.m3u8"), "utf8")).toBe("#EXTM3U")
      expect(yield* store.signedUrl("media/1/master.m3u8", "1 minute")).toEqual(Option.none())
    })
  )

  it.scopedLive("with S3_BUCKET, keeps objects in that bucket, addressed by path when S3_ENDPOINT is set", () =>
    Effect.gen(function* () {
      const server = yield* startS3Server()
      const root = yield* scratchDir("blobs")
      const bucket = uniqueBucket()
      const context = yield* Layer.build(layerFromConfig).pipe(
        withEnv({
          S3_BUCKET: bucket,
          S3_ENDPOINT: server.endpoint,
          S3_ACCESS_KEY_ID: server.accessKeyId,
          S3_SECRET_ACCESS_KEY: server.secretAccessKey,
          BLOB_ROOT: root
        })
      )
      const store = Context.get(context, BlobStore)
      yield* store.put("media/1/master.m3u8", "#EXTM3U")
      const url = new URL(Option.getOrThrow(yield* store.signedUrl("media/1/master.m3u8", "1 minute")))
      expect(url.origin).toBe(server.endpoint)
      expect(url.pathname).toBe(`/${bucket}/media/1/master.m3u8`)
      expect(readdirSync(root)).toEqual([])
    })
  )

  it.scopedLive("refuses an S3 access key without its secret", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Layer.build(layerFromConfig).pipe(withEnv({ S3_BUCKET: "lectern", S3_ACCESS_KEY_ID: "only-the-id" }))
      )
      expect(ConfigError.isConfigError(error) && ConfigError.isInvalidData(error)).toBe(true)
    })
  )
})
