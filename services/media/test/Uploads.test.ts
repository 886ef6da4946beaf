// The tus endpoint over raw HTTP: who may upload, the size limit (refused before any body byte), the per-user
// quota, other users' uploads, an interrupted PATCH resumed from the offset HEAD reports, a PATCH at a wrong offset,
// two replicas' PATCHes racing for one offset;
// and media.create's refusals of uploads that are incomplete, unknown, someone else's, or made by a learner.
import { readFile } from "node:fs/promises"
import { type ClientRequest, type IncomingHttpHeaders, request } from "node:http"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { BlobStore } from "@lectern/platform/BlobStore"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect, Layer, Option, Stream } from "effect"
import * as TestServices from "effect/TestServices"
import { MediaRepo } from "../src/Repo.ts"
import { readUpload, UploadsEndpointLive } from "../src/Uploads.ts"
import {
  blobKeys,
  clientAs,
  generateSource,
  makeMediaTestLayer,
  serveMedia,
  type TestUser,
  tempDir,
  tusUpload,
  userWith
} from "./fixtures.ts"

const MAX_BYTES = 1024 * 1024
const QUOTA_BYTES = 1536 * 1024
const LEARNER_MAX_BYTES = 256 * 1024

interface RawResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** One request over node:http with exactly these headers and body; answers as soon as the response is complete. */
const send = (
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Uint8Array,
  /** Sends the body its own way instead of all at once. */
  write: (req: ClientRequest) => void = (req) => req.end(body)
): Effect.Effect<RawResponse, Error> =>
  Effect.async<RawResponse, Error>((resume) => {
    const url = new URL(path, base)
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method,
        headers: { "tus-resumable": "1.0.0", ...headers }
      },
      (res) => {
        let text = ""
        res.setEncoding("utf8")
        res.on("data", (chunk: string) => {
          text += chunk
        })
        res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body: text })))
      }
    )
    // A server that answers before reading the whole body may reset the connection under the rest of it.
    req.on("error", (error) => resume(Effect.fail(error)))
    write(req)
  })

const bearer = (user: TestUser) => ({ authorization: `Bearer ${user.token}` })

/** POST /media/uploads announcing `length` bytes and sending none; answers the response and the new upload's path. */
const create = (url: string, user: TestUser, length: number) =>
  Effect.map(send(url, "POST", "/media/uploads", { ...bearer(user), "upload-length": String(length) }), (res) => ({
    ...res,
    path: new URL(res.headers.location ?? "", `${url}/media/uploads/`).pathname
  }))

/** A PATCH of `body` at `offset`; `trickle` sends it in four pieces 150 ms apart instead of all at once. */
const patch = (url: string, user: TestUser, path: string, offset: number, body: Uint8Array, trickle = false) =>
  send(
    url,
    "PATCH",
    path,
    {
      ...bearer(user),
      "upload-offset": String(offset),
      "content-type": "application/offset+octet-stream",
      "content-length": String(body.length)
    },
    body,
    trickle
      ? (req) => {
          const piece = Math.ceil(body.length / 4)
          const next = (index: number) => {
            if (index === 4) return void req.end()
            req.write(body.subarray(index * piece, (index + 1) * piece))
            setTimeout(() => next(index + 1), 150)
          }
          next(0)
        }
      : undefined
  )

const head = (url: string, user: TestUser, path: string) => send(url, "HEAD", path, bearer(user))

/**
 * A PATCH announcing `announced` bytes that sends only `part`, then destroys its socket (the client went away
 * mid-body). Answers once the socket is gone; a response before that is a failure.
 */
const interruptedPatch = (url: string, user: TestUser, path: string, part: Uint8Array, announced: number) =>
  Effect.gen(function* () {
    const target = new URL(path, url)
    const req = request({
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: "PATCH",
      headers: {
        "tus-resumable": "1.0.0",
        ...bearer(user),
        "upload-offset": "0",
        "content-type": "application/offset+octet-stream",
        "content-length": String(announced)
      }
    })
    let answered: number | undefined
    req.on("response", (res) => {
      answered = res.statusCode
    })
    req.on("error", () => {})
    yield* Effect.async<void>((resume) => {
      req.write(part, () => resume(Effect.void))
    })
    // The bytes are in the socket; give the server a moment to read them before the connection goes.
    yield* Effect.sleep("300 millis")
    yield* Effect.async<void>((resume) => {
      req.socket?.once("close", () => resume(Effect.void))
      req.destroy()
    })
    if (answered !== undefined) return yield* Effect.dieMessage(`the server answered ${answered} to a cut PATCH`)
  })

const layer = makeMediaTestLayer(layerFreshPostgres, {
  worker: false,
  config: {
    MEDIA_MAX_BYTES: String(MAX_BYTES),
    MEDIA_QUOTA_BYTES: String(QUOTA_BYTES),
    MEDIA_LEARNER_MAX_BYTES: String(LEARNER_MAX_BYTES)
  }
})

describe("media uploads (tus)", () => {
  it.layer(layer, { timeout: 60_000 })((it) => {
    it.scoped("signed-in users may create uploads; learners within the learner limits", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const anonymous = yield* send(url, "POST", "/media/uploads", { "upload-length": "10" })
          expect(anonymous.status).toBe(401)
          expect(anonymous.body).toContain("missing bearer token")
          const forged = yield* send(url, "POST", "/media/uploads", {
            authorization: "Bearer not-a-token",
            "upload-length": "10"
          })
          expect(forged.status).toBe(401)
          // Learners upload attachments: up to MEDIA_LEARNER_MAX_BYTES, refused above it before any body byte.
          const learnerUser = yield* userWith("learner")
          expect((yield* create(url, learnerUser, LEARNER_MAX_BYTES)).status).toBe(201)
          const tooLarge = yield* create(url, learnerUser, LEARNER_MAX_BYTES + 1)
          expect(tooLarge.status).toBe(413)
          expect(tooLarge.body).toContain(`at most ${LEARNER_MAX_BYTES} bytes`)
          // …and their uploads cannot become videos.
          const client = yield* clientAs(url, learnerUser)
          const uploadId = yield* tusUpload(url, learnerUser.token, Buffer.alloc(16))
          const refused = yield* Effect.flip(client.media.create({ uploadId, title: "Not a creator" }))
          expect(refused._tag).toBe("Forbidden")
          const creator = yield* create(url, yield* userWith("creator"), 10)
          expect(creator.status).toBe(201)
          expect(creator.path).toMatch(/^\/media\/uploads\/[A-Za-z0-9_-]{8,64}$/)
          expect((yield* create(url, yield* userWith("admin"), 10)).status).toBe(201)
        })
      )
    )

    it.scoped("refuses an Upload-Length above MEDIA_MAX_BYTES with 413 before reading any body byte", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const creator = yield* userWith("creator")
          // Body-less: the length alone decides.
          const bare = yield* create(url, creator, MAX_BYTES + 1)
          expect(bare.status).toBe(413)
          expect(bare.headers.location).toBeUndefined()
          expect((yield* create(url, creator, MAX_BYTES)).status).toBe(201)

          // creation-with-upload announcing the body but sending none of it: the answer comes without the body,
          // so a server that waited for it would never answer.
          const target = new URL("/media/uploads", url)
          const early = yield* Effect.async<number>((resume) => {
            const req = request({
              host: target.hostname,
              port: target.port,
              path: target.pathname,
              method: "POST",
              headers: {
                "tus-resumable": "1.0.0",
                ...bearer(creator),
                "upload-length": String(MAX_BYTES + 1),
                "content-type": "application/offset+octet-stream",
                "content-length": String(MAX_BYTES + 1)
              }
            })
            req.on("error", () => {})
            req.on("response", (res) => {
              res.resume()
              resume(Effect.succeed(res.statusCode ?? 0))
              req.destroy()
            })
            req.flushHeaders()
            return Effect.sync(() => req.destroy())
          }).pipe(
            Effect.timeoutFail({
              duration: "10 seconds",
              onTimeout: () => new Error("no answer without the body: the server waited for it")
            })
          )
          expect(early).toBe(413)
        })
      )
    )

    it.scoped("refuses an upload past the user's quota with 413 and says so", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const creator = yield* userWith("creator")
          expect((yield* create(url, creator, MAX_BYTES)).status).toBe(201)
          const over = yield* create(url, creator, QUOTA_BYTES - MAX_BYTES + 1)
          expect(over.status).toBe(413)
          expect(over.body).toBe(`this upload would exceed your storage quota of ${QUOTA_BYTES} bytes\n`)
          // What is left fits exactly; another user's quota is their own.
          expect((yield* create(url, creator, QUOTA_BYTES - MAX_BYTES)).status).toBe(201)
          expect((yield* create(url, yield* userWith("creator"), MAX_BYTES)).status).toBe(201)
        })
      )
    )

    it.scoped("uploads created at the same moment cannot together pass the quota: one fits, the rest get 413", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const creator = yield* userWith("creator")
          const answers = yield* Effect.all(
            Array.from({ length: 6 }, () => create(url, creator, MAX_BYTES)),
            { concurrency: "unbounded" }
          )
          expect(answers.map((answer) => answer.status).sort()).toEqual([201, 413, 413, 413, 413, 413])
          // Nobody can inject their own quota through the upload's metadata either.
          const injected = yield* send(url, "POST", "/media/uploads", {
            ...bearer(creator),
            "upload-length": String(MAX_BYTES),
            "upload-metadata": `lectern-quota-bytes ${Buffer.from("999999999999").toString("base64")}`
          })
          expect(injected.status).toBe(413)
        })
      )
    )

    it.scoped("counts uploads that defer their length against the quota too", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const creator = yield* userWith("creator")
          const deferred = () =>
            Effect.map(
              send(url, "POST", "/media/uploads", { ...bearer(creator), "upload-defer-length": "1" }),
              (res) => {
                expect(res.status).toBe(201)
                return new URL(res.headers.location ?? "", `${url}/media/uploads/`).pathname
              }
            )
          const chunk = new Uint8Array(MAX_BYTES).fill(7)
          const first = yield* deferred()
          expect((yield* patch(url, creator, first, 0, chunk)).status).toBe(204)
          // The user now holds MAX_BYTES; another MAX_BYTES, length still deferred, would pass the quota.
          const second = yield* deferred()
          const refused = yield* patch(url, creator, second, 0, chunk).pipe(
            Effect.catchAll(() => Effect.succeed(undefined))
          )
          expect(refused?.status).toBe(413)
          expect(refused?.body).toContain(`storage quota of ${QUOTA_BYTES} bytes`)
          expect((yield* head(url, creator, second)).headers["upload-offset"]).toBe("0")
          // Declaring the length up front is checked the same way.
          const declared = yield* send(
            url,
            "PATCH",
            second,
            {
              ...bearer(creator),
              "upload-offset": "0",
              "upload-length": String(MAX_BYTES),
              "content-type": "application/offset+octet-stream",
              "content-length": "0"
            },
            new Uint8Array(0)
          )
          expect(declared.status).toBe(413)
          // Within the quota, a deferred upload still works.
          const small = new Uint8Array(1000).fill(1)
          expect((yield* patch(url, creator, second, 0, small)).status).toBe(204)
        })
      )
    )

    it.scoped("hides another user's upload: HEAD and PATCH answer 404", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const owner = yield* userWith("creator")
          const other = yield* userWith("creator")
          const { path } = yield* create(url, owner, 100)
          expect((yield* head(url, owner, path)).status).toBe(200)
          expect((yield* head(url, other, path)).status).toBe(404)
          expect((yield* patch(url, other, path, 0, new Uint8Array(100))).status).toBe(404)
          expect((yield* head(url, owner, path)).headers["upload-offset"]).toBe("0")
          expect((yield* head(url, owner, "/media/uploads/doesNotExist123")).status).toBe(404)
        })
      )
    )

    it.scoped("resumes an interrupted PATCH from the offset HEAD reports; a wrong offset is a 409", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const creator = yield* userWith("creator")
          const dir = yield* tempDir
          const source = join(dir, "source.mp4")
          yield* generateSource(source, { seconds: 2, width: 320, height: 240 })
          const bytes = yield* Effect.promise(() => readFile(source))
          const { path, status } = yield* create(url, creator, bytes.length)
          expect(status).toBe(201)
          const uploadId = path.split("/").pop() ?? ""

          yield* interruptedPatch(url, creator, path, bytes.subarray(0, Math.floor(bytes.length * 0.6)), bytes.length)
          const after = yield* head(url, creator, path)
          expect(after.status).toBe(200)
          expect(after.headers["upload-length"]).toBe(String(bytes.length))
          const offset = Number(after.headers["upload-offset"])
          expect(offset).toBeGreaterThan(0)
          expect(offset).toBeLessThanOrEqual(Math.floor(bytes.length * 0.6))

          // Not complete yet: media.create says where it stands.
          const client = yield* clientAs(url, creator)
          const early = yield* Effect.flip(client.media.create({ uploadId, title: "Too early" }))
          expect(early).toMatchObject({ _tag: "UploadIncomplete", uploadId, offset, length: bytes.length })

          // A PATCH that does not start where the upload stands changes nothing.
          const wrong = yield* patch(url, creator, path, offset + 1, bytes.subarray(offset + 1))
          expect(wrong.status).toBe(409)
          expect((yield* patch(url, creator, path, 0, bytes)).status).toBe(409)
          expect((yield* head(url, creator, path)).headers["upload-offset"]).toBe(String(offset))

          const rest = yield* patch(url, creator, path, offset, bytes.subarray(offset))
          expect(rest.status).toBe(204)
          expect(rest.headers["upload-offset"]).toBe(String(bytes.length))

          const media = yield* client.media.create({ uploadId, title: "Resumed" })
          expect(media).toMatchObject({ status: "queued", sizeBytes: bytes.length, width: 320, height: 240 })
          expect(media.durationSeconds).toBeCloseTo(2, 1)
          // The parts were joined into one source holding exactly the file's bytes.
          const keys = yield* blobKeys(`uploads/${uploadId}/`)
          expect(keys).toEqual([`uploads/${uploadId}/source`])
          const stored = yield* Effect.flatMap(BlobStore, (blobs) => blobs.read(keys[0] ?? "")).pipe(Effect.orDie)
          expect(Buffer.from(stored.bytes).equals(bytes)).toBe(true)
        })
      )
    )

    it.scoped("two replicas' PATCHes racing for one offset: one wins with its bytes whole, the other gets 409", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          // A second replica: its own tus server and in-process locker, over the same database and blob store.
          const replicaA = yield* serveMedia
          const replicaB = yield* serveMedia.pipe(Effect.provide(Layer.fresh(UploadsEndpointLive)))
          const creator = yield* userWith("creator")
          const size = 96 * 1024
          const { path, status } = yield* create(replicaA, creator, size)
          expect(status).toBe(201)
          const uploadId = path.split("/").pop() ?? ""
          const bodies = [new Uint8Array(size).fill(0xa1), new Uint8Array(size).fill(0xb2)] as const
          // Both bodies trickle in, so both PATCHes are streaming at once before either records its offset.
          const answers = yield* Effect.all(
            [patch(replicaA, creator, path, 0, bodies[0], true), patch(replicaB, creator, path, 0, bodies[1], true)],
            { concurrency: 2 }
          )
          expect(answers.map((answer) => answer.status).sort()).toEqual([204, 409])
          const winner = answers[0].status === 204 ? bodies[0] : bodies[1]
          expect((yield* head(replicaB, creator, path)).headers["upload-offset"]).toBe(String(size))

          // The winner's object alone is left, recorded as the upload's only part, and holds its bytes.
          const keys = yield* blobKeys(`uploads/${uploadId}/`)
          expect(keys).toHaveLength(1)
          const repo = yield* MediaRepo
          const row = yield* repo.uploadById(uploadId)
          if (Option.isNone(row)) return expect.fail("the upload row")
          expect(yield* repo.uploadParts(uploadId)).toEqual([{ offset: 0, size, key: keys[0] }])
          const stored = yield* readUpload(row.value).pipe(
            Effect.flatMap(({ body }) => Stream.runCollect(body)),
            Effect.orDie
          )
          expect(Buffer.concat([...stored]).equals(Buffer.from(winner))).toBe(true)
        })
      )
    )

    it.scoped("an upload a media took is gone for tus: HEAD, PATCH and DELETE answer 404 and its bytes stay", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const creator = yield* userWith("creator")
          const dir = yield* tempDir
          const source = join(dir, "source.mp4")
          yield* generateSource(source, { seconds: 1, width: 320, height: 240, audio: false })
          const bytes = yield* Effect.promise(() => readFile(source))
          const uploadId = yield* tusUpload(url, creator.token, bytes)
          const path = `/media/uploads/${uploadId}`
          yield* (yield* clientAs(url, creator)).media.create({ uploadId, title: "Taken" })
          const sourceKeys = yield* blobKeys(`uploads/${uploadId}/`)
          expect(sourceKeys).toHaveLength(1)

          expect((yield* head(url, creator, path)).status).toBe(404)
          expect((yield* patch(url, creator, path, bytes.length, new Uint8Array(0))).status).toBe(404)
          // Terminating the upload would delete the media's source.
          expect((yield* send(url, "DELETE", path, bearer(creator))).status).toBe(404)
          expect(yield* blobKeys(`uploads/${uploadId}/`)).toEqual(sourceKeys)
        })
      )
    )

    it.scoped("media.create refuses learners, unknown uploads and other users' uploads", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const owner = yield* userWith("creator")
          const other = yield* userWith("creator")
          const learner = yield* userWith("learner")
          const uploadId = yield* tusUpload(url, owner.token, Buffer.from("not yet looked at"))

          const forbidden = yield* Effect.flip((yield* clientAs(url, learner)).media.create({ uploadId, title: "T" }))
          expect(forbidden._tag).toBe("Forbidden")
          const stolen = yield* Effect.flip((yield* clientAs(url, other)).media.create({ uploadId, title: "T" }))
          expect(stolen).toMatchObject({ _tag: "UploadNotFound", uploadId })
          const unknown = yield* Effect.flip(
            (yield* clientAs(url, owner)).media.create({ uploadId: "noSuchUpload123", title: "T" })
          )
          expect(unknown).toMatchObject({ _tag: "UploadNotFound", uploadId: "noSuchUpload123" })
          // None of that took the upload: its owner still can (and it is refused for its content).
          const own = yield* Effect.flip((yield* clientAs(url, owner)).media.create({ uploadId, title: "T" }))
          expect(own._tag).toBe("InvalidMedia")
        })
      )
    )
  })
})
