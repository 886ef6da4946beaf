// Resumable uploads: the tus protocol at /media/uploads, each PATCH's bytes one part object in the BlobStore, the
// upload's offset and its parts in Postgres — so any replica answers HEAD, an interrupted PATCH keeps what it
// received, and two PATCHes racing for one offset on two replicas cannot mix or lose bytes: each streams into an
// object of its own, and only the one whose statement advanced the offset has its object recorded.
import type { IncomingMessage, ServerResponse } from "node:http"
import type { Readable } from "node:stream"
import type { AuthenticatedUser } from "@lectern/contracts"
import { hasRole, type UserId } from "@lectern/domain"
import { AccessTokenVerifier } from "@lectern/platform/AccessTokens"
import { bearerToken } from "@lectern/platform/Authentication"
import {
  BlobStore,
  type BlobStoreService,
  type BlobStoreUnavailable,
  type InvalidBlobKey
} from "@lectern/platform/BlobStore"
import { Server } from "@tus/server"
import { DataStore, ERRORS, Upload } from "@tus/utils"
import { Cause, Config, Context, Effect, Exit, Layer, Option, Runtime, Stream } from "effect"
import { MediaRepo, type UploadRow } from "./Repo.ts"

export const UPLOADS_PATH = "/media/uploads"

export const UploadSettings = Config.all({
  /** Largest accepted file; a larger `Upload-Length` is refused with 413 before any byte is read. */
  maxBytes: Config.number("MEDIA_MAX_BYTES").pipe(Config.withDefault(5 * 1024 ** 3)),
  /** Bytes one user may hold in uploads and media sources together. */
  quotaBytes: Config.number("MEDIA_QUOTA_BYTES").pipe(Config.withDefault(50 * 1024 ** 3)),
  /** Largest file a learner (no creator role) may upload: assignment attachments, not videos. */
  learnerMaxBytes: Config.number("MEDIA_LEARNER_MAX_BYTES").pipe(Config.withDefault(100 * 1024 ** 2)),
  /** Bytes a learner may hold in uploads. */
  learnerQuotaBytes: Config.number("MEDIA_LEARNER_QUOTA_BYTES").pipe(Config.withDefault(1024 ** 3)),
  /** Unfinished uploads older than this are removed by the sweeper. */
  expiryHours: Config.number("MEDIA_UPLOAD_EXPIRY_HOURS").pipe(Config.withDefault(24))
})
export type UploadSettings = Config.Config.Success<typeof UploadSettings>

const offsetDigits = (offset: number) => offset.toString().padStart(16, "0")

/**
 * Where uploads made before parts were recorded kept the part starting at `offset` (zero-padded so keys sort by
 * offset); also the key of the empty object standing for an empty file.
 */
export const partKey = (id: string, offset: number) => `uploads/${id}/${offsetDigits(offset)}`
/** A new object for one PATCH's bytes from `offset`: never the key another PATCH writes. */
export const newPartKey = (id: string, offset: number) => `uploads/${id}/${offsetDigits(offset)}-${crypto.randomUUID()}`
export const uploadPrefix = (id: string) => `uploads/${id}/`

/**
 * The objects holding an upload's bytes, in order: the parts its PATCHes recorded. An upload received before parts
 * were recorded has none recorded: its `<offset>` objects are listed instead.
 */
export const uploadParts = (
  upload: UploadRow,
  ports: { readonly repo: MediaRepo; readonly blobs: BlobStoreService }
): Effect.Effect<
  ReadonlyArray<{ readonly key: string; readonly size: number }>,
  BlobStoreUnavailable | InvalidBlobKey
> =>
  Effect.gen(function* () {
    const recorded = yield* ports.repo.uploadParts(upload.id)
    if (recorded.length > 0 || upload.parts === 0) return recorded.map(({ key, size }) => ({ key, size }))
    return (yield* ports.blobs.list(uploadPrefix(upload.id)))
      .filter((part) => /\/\d{16}$/.test(part.key))
      .sort((a, b) => (a.key < b.key ? -1 : 1))
      .map(({ key, size }) => ({ key, size }))
  })

type UploadPorts = { readonly repo: MediaRepo; readonly blobs: BlobStoreService }

/** The parts' bytes one after the other, each opened only when the one before is done. */
const partsBody = (parts: ReadonlyArray<{ readonly key: string }>, blobs: BlobStoreService) =>
  Stream.flatMap(
    Stream.fromIterable(parts),
    (part) => Stream.unwrap(Effect.map(blobs.get(part.key), (object) => object.body)),
    { concurrency: 1 }
  )

/**
 * The bytes of an upload in order, as one stream (its parts as the PATCH requests stored them), with their total
 * size: for a complete upload another service took (assignment attachments). Not for one media.create joined.
 */
export const readUpload = (upload: UploadRow) =>
  Effect.gen(function* () {
    const blobs = yield* BlobStore
    const parts = yield* uploadParts(upload, { repo: yield* MediaRepo, blobs })
    return { size: parts.reduce((total, part) => total + part.size, 0), body: partsBody(parts, blobs) }
  })

/**
 * The key of one object holding a taken upload's bytes (for tools that read a file): its only part, or its parts
 * joined into `uploads/<id>/source` (the parts are then deleted).
 */
export const joinUploadParts = (upload: UploadRow, ports: UploadPorts) =>
  Effect.gen(function* () {
    const parts = yield* uploadParts(upload, ports)
    const [only] = parts
    if (parts.length === 1 && only !== undefined) return only.key
    const target = `${uploadPrefix(upload.id)}source`
    yield* ports.blobs.putStream(target, partsBody(parts, ports.blobs))
    yield* Effect.forEach(parts, (part) => ports.blobs.delete(part.key), { discard: true })
    return target
  })

const failWith = (status_code: number, body: string) => ({ status_code, body: `${body}\n` })

/** 413 for an upload that would pass its owner's quota. */
const quotaExceeded = (quotaBytes: number) =>
  failWith(413, `this upload would exceed your storage quota of ${quotaBytes} bytes`)

/** The metadata key onUploadCreate hands the caller's quota to the store under; never stored. */
const QUOTA_KEY = "lectern-quota-bytes"

/**
 * Runs an effect for @tus/server: it rejects with the failure itself (an `ERRORS.…` object becomes its status, e.g.
 * 409 for a lost offset race), not with the FiberFailure wrapping it, which tus would answer with 500.
 */
const runForTus =
  <R>(runtime: Runtime.Runtime<R>) =>
  <A, E>(effect: Effect.Effect<A, E, R>): Promise<A> =>
    Runtime.runPromiseExit(runtime)(effect).then((exit) =>
      Exit.isSuccess(exit) ? exit.value : Promise.reject(Cause.squash(exit.cause))
    )

/** A tus DataStore over the BlobStore (bytes) and the media schema (offsets), run on an Effect runtime. */
class BlobUploadStore extends DataStore {
  readonly run: <A, E>(effect: Effect.Effect<A, E, MediaRepo | BlobStore>) => Promise<A>
  readonly expiryMs: number

  constructor(runtime: Runtime.Runtime<MediaRepo | BlobStore>, expiryMs: number) {
    super()
    this.run = runForTus(runtime)
    this.expiryMs = expiryMs
    this.extensions = ["creation", "creation-with-upload", "creation-defer-length", "termination", "expiration"]
  }

  override create(upload: Upload): Promise<Upload> {
    // Both set by onUploadCreate from the caller's token (a client's own values for them are overwritten there).
    const { ownerId, [QUOTA_KEY]: quota, ...metadata } = upload.metadata ?? {}
    const quotaBytes = Number(quota)
    if (typeof ownerId !== "string" || !Number.isFinite(quotaBytes)) {
      return Promise.reject(failWith(401, "missing bearer token"))
    }
    return this.run(
      Effect.flatMap(MediaRepo, (repo) =>
        repo.insertUploadWithinQuota(
          { id: upload.id, ownerId: ownerId as UserId, size: upload.size ?? null, metadata: { ...metadata, ownerId } },
          quotaBytes
        )
      )
    ).then((row) => {
      if (Option.isNone(row)) throw quotaExceeded(quotaBytes)
      return toUpload(row.value)
    })
  }

  override write(stream: Readable, id: string, offset: number): Promise<number> {
    // A client that disconnects ends the stream early: the bytes that arrived are kept, and HEAD reports them.
    const body = Stream.fromAsyncIterable(stream as AsyncIterable<Uint8Array>, (error) => error).pipe(
      Stream.catchAll(() => Stream.empty)
    )
    return this.run(
      Effect.gen(function* () {
        const blobs = yield* BlobStore
        const repo = yield* MediaRepo
        // An object of this PATCH's own: a PATCH racing it for the same offset writes another one.
        const key = newPartKey(id, offset)
        const info = yield* blobs.putStream(key, body)
        if (info.size === 0) {
          yield* blobs.delete(key)
          return offset
        }
        const advanced = yield* repo.advanceUpload(id, offset, info.size, key)
        if (Option.isNone(advanced)) {
          // Another PATCH got there first (or the upload is gone): only this PATCH's own object goes.
          yield* blobs.delete(key)
          return yield* Effect.fail(ERRORS.INVALID_OFFSET)
        }
        return offset + info.size
      })
    )
  }

  override getUpload(id: string): Promise<Upload> {
    return this.run(
      Effect.flatMap(MediaRepo, (repo) => repo.uploadById(id)).pipe(
        Effect.flatMap(Option.match({ onNone: () => Effect.fail(ERRORS.FILE_NOT_FOUND), onSome: Effect.succeed }))
      )
    ).then(toUpload)
  }

  override remove(id: string): Promise<void> {
    return this.run(
      Effect.gen(function* () {
        yield* (yield* BlobStore).deleteByPrefix(uploadPrefix(id))
        yield* (yield* MediaRepo).deleteUpload(id)
      })
    )
  }

  override declareUploadLength(id: string, size: number): Promise<void> {
    return this.run(Effect.asVoid(Effect.flatMap(MediaRepo, (repo) => repo.declareUploadSize(id, size))))
  }

  override getExpiration(): number {
    return this.expiryMs
  }

  override deleteExpired(): Promise<number> {
    const before = new Date(Date.now() - this.expiryMs)
    return this.run(
      Effect.gen(function* () {
        const repo = yield* MediaRepo
        const blobs = yield* BlobStore
        const stale = yield* repo.staleUploads(before, 1000)
        for (const upload of stale) {
          yield* blobs.deleteByPrefix(uploadPrefix(upload.id))
          yield* repo.deleteUpload(upload.id)
        }
        return stale.length
      })
    )
  }
}

const toUpload = (row: UploadRow) =>
  new Upload({
    id: row.id,
    offset: row.offset,
    metadata: row.metadata,
    creation_date: row.createdAt.toISOString(),
    ...(row.size === null ? {} : { size: row.size })
  })

/** The tus endpoint as a node:http listener for everything under `/media/uploads`. */
export class UploadsEndpoint extends Context.Tag("@lectern/media/UploadsEndpoint")<
  UploadsEndpoint,
  { readonly handle: (req: IncomingMessage, res: ServerResponse) => void }
>() {}

export const UploadsEndpointLive = Layer.effect(
  UploadsEndpoint,
  Effect.gen(function* () {
    const settings = yield* UploadSettings
    const runtime = yield* Effect.runtime<MediaRepo | BlobStore | AccessTokenVerifier>()
    const run = Runtime.runPromise(runtime)
    const store = new BlobUploadStore(runtime, settings.expiryHours * 3600 * 1000)
    // Who made each request, from onIncomingRequest to onUploadCreate.
    const callers = new WeakMap<object, AuthenticatedUser>()
    /** Creators and admins upload videos; anyone else signed in uploads attachments, with smaller limits. */
    const limitsOf = (user: AuthenticatedUser) =>
      hasRole(user.role, "creator")
        ? { maxBytes: settings.maxBytes, quotaBytes: settings.quotaBytes }
        : { maxBytes: Math.min(settings.learnerMaxBytes, settings.maxBytes), quotaBytes: settings.learnerQuotaBytes }
    const tooLarge = (user: AuthenticatedUser) =>
      failWith(413, `a file may have at most ${limitsOf(user).maxBytes} bytes`)

    const authenticate = async (headers: Headers): Promise<AuthenticatedUser> => {
      const token = bearerToken(headers.get("authorization") ?? undefined)
      if (token === undefined) throw failWith(401, "missing bearer token")
      const user = await run(
        Effect.flatMap(AccessTokenVerifier, (verifier) => verifier.verify(token)).pipe(Effect.option)
      )
      if (Option.isNone(user)) throw failWith(401, "invalid or expired access token")
      return user.value
    }

    const server = new Server({
      path: UPLOADS_PATH,
      datastore: store,
      relativeLocation: true,
      maxSize: settings.maxBytes,
      respectForwardedHeaders: false,
      onIncomingRequest: async (req, uploadId) => {
        const user = await authenticate(req.headers)
        callers.set(req, user)
        if (req.method === "POST") {
          // A learner's smaller limit, like MEDIA_MAX_BYTES, is refused before any body byte is read.
          const declared = req.headers.get("upload-length") ?? req.headers.get("content-length")
          if (declared !== null && Number(declared) > limitsOf(user).maxBytes) throw tooLarge(user)
          return
        }
        // Somebody else's upload does not exist, as far as this caller can tell; nor does one a media or caption
        // took (its bytes are that media's source now: terminating the upload would delete them).
        const row = await run(Effect.flatMap(MediaRepo, (repo) => repo.uploadById(uploadId)))
        if (
          Option.isNone(row) ||
          (row.value.ownerId !== user.id && user.role !== "admin") ||
          row.value.consumedAt !== null
        ) {
          throw ERRORS.FILE_NOT_FOUND
        }
        // An upload that deferred its length passed no quota check when it was created: check each PATCH instead,
        // against what the upload would hold after it (its declared length, or its offset plus this body).
        const upload = row.value
        if (req.method === "PATCH" && upload.size === null) {
          const declared = req.headers.get("upload-length")
          const body = req.headers.get("content-length")
          const limits = limitsOf(user)
          const reach =
            declared !== null ? Number(declared) : upload.offset + (body !== null ? Number(body) : limits.maxBytes)
          if (reach > limits.maxBytes) throw tooLarge(user)
          const held = await run(Effect.flatMap(MediaRepo, (repo) => repo.bytesHeldBy(upload.ownerId)))
          if (held - upload.offset + reach > limits.quotaBytes) throw quotaExceeded(limits.quotaBytes)
        }
      },
      onUploadCreate: async (req, upload) => {
        const user = callers.get(req)
        if (user === undefined) throw failWith(401, "missing bearer token")
        // The quota is checked where the upload is inserted, atomically (BlobUploadStore.create).
        return {
          metadata: { ...(upload.metadata ?? {}), ownerId: user.id, [QUOTA_KEY]: String(limitsOf(user).quotaBytes) }
        }
      }
    })
    return {
      handle: (req: IncomingMessage, res: ServerResponse) => {
        server.handle(req, res).catch(() => {
          if (!res.headersSent) res.writeHead(500).end("internal error\n")
          else res.destroy()
        })
      }
    }
  })
)
