// The media domain: uploads become media, media are probed and queued for transcoding, watched through signed URLs.
import { type AuthenticatedUser, Media as Contract } from "@lectern/contracts"
import {
  type CourseId,
  Cursor,
  embedThumbnailUrl,
  embedUrl,
  Forbidden,
  hasRole,
  InvalidCursor,
  MediaId,
  parseEmbedUrl
} from "@lectern/domain"
import { BlobStore } from "@lectern/platform/BlobStore"
import { DEFAULT_MAX_ATTEMPTS, JobQueue } from "@lectern/platform/JobQueue"
import { wakeWorkers } from "@lectern/platform/JobWorker"
import { Transcoder } from "@lectern/platform/Transcoder"
import { Config, DateTime, Effect, Either, Encoding, Option, Redacted } from "effect"
import { MAX_CAPTION_BYTES, toWebVtt } from "./Captions.ts"
import { PlaybackAccess } from "./PlaybackAccess.ts"
import { signPlayback } from "./PlaybackSigning.ts"
import { MediaRepo, type MediaRow, toMedia, type UploadRow } from "./Repo.ts"
import { joinUploadParts, partKey, uploadParts, uploadPrefix } from "./Uploads.ts"

/** The job queue transcodes wait in; one job per media id. */
export const TRANSCODE_QUEUE = "media.transcode"

export const MediaSettings = Config.all({
  /** Longest accepted video. */
  maxSeconds: Config.number("MEDIA_MAX_SECONDS").pipe(Config.withDefault(6 * 3600)),
  /** How long signed playback URLs live. */
  playbackTtl: Config.duration("MEDIA_PLAYBACK_TTL").pipe(Config.withDefault("6 hours")),
  /** HMAC key for playback URLs; every replica needs the same one. */
  signingSecret: Config.redacted("MEDIA_SIGNING_SECRET").pipe(
    Config.withDefault(Redacted.make(Encoding.encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))))
  ),
  /** Prefix for playback URLs (e.g. `https://cdn.example.com`); empty gives paths on the API's origin. */
  publicUrl: Config.string("MEDIA_PUBLIC_URL").pipe(Config.withDefault("")),
  /**
   * Attempts a transcode job gets (1–100) before its media is failed; retries wait 10 s · 2^n between them. A
   * refused input fails the media at once whatever this says.
   */
  jobAttempts: Config.integer("MEDIA_JOB_ATTEMPTS").pipe(
    Config.validate({
      message: "MEDIA_JOB_ATTEMPTS must be from 1 to 100",
      validation: (attempts) => attempts >= 1 && attempts <= 100
    }),
    Config.withDefault(DEFAULT_MAX_ATTEMPTS)
  )
})

/** Where a media's committed outputs of one generation live. */
export const generationPrefix = (id: string, generation: number) => `media/${id}/v${generation}/`
export const captionKey = (id: string, language: string) => `media/${id}/captions/${language}.vtt`
export const mediaPrefix = (id: string) => `media/${id}/`

const mediaNotFound = (id: string) => new Contract.MediaNotFound({ id })

const canManage = (user: AuthenticatedUser, row: MediaRow) => row.ownerId === user.id || user.role === "admin"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

interface ListCursor {
  readonly createdAt: string
  readonly id: string
}

const encodeCursor = (row: MediaRow) =>
  Cursor.make(Encoding.encodeBase64Url(JSON.stringify({ createdAt: row.createdAt.toISOString(), id: row.id })))

const decodeCursor = (cursor: Cursor): Either.Either<ListCursor, InvalidCursor> => {
  const invalid = new InvalidCursor({ message: "the cursor is not one this list gave out" })
  const text = Encoding.decodeBase64UrlString(cursor)
  if (Either.isLeft(text)) return Either.left(invalid)
  try {
    const value: unknown = JSON.parse(text.right)
    const createdAt = Reflect.get(Object(value), "createdAt")
    const id = Reflect.get(Object(value), "id")
    // The id goes to a uuid column: anything else would fail the query rather than the cursor.
    if (
      typeof createdAt !== "string" ||
      Number.isNaN(Date.parse(createdAt)) ||
      typeof id !== "string" ||
      !UUID.test(id)
    ) {
      return Either.left(invalid)
    }
    return Either.right({ createdAt, id })
  } catch {
    return Either.left(invalid)
  }
}

export class MediaLibrary extends Effect.Service<MediaLibrary>()("@lectern/media/MediaLibrary", {
  effect: Effect.gen(function* () {
    const repo = yield* MediaRepo
    const blobs = yield* BlobStore
    const transcoder = yield* Transcoder
    const jobs = yield* JobQueue
    const access = yield* PlaybackAccess
    const settings = yield* MediaSettings

    const withCaptions = (row: MediaRow) => Effect.map(repo.captionsOf(row.id), (captions) => toMedia(row, captions))

    /** A media the caller may manage, or MediaNotFound (someone else's media does not exist for them). */
    const managed = (user: AuthenticatedUser, id: MediaId) =>
      repo
        .mediaById(id)
        .pipe(
          Effect.flatMap((row) =>
            Option.isSome(row) && canManage(user, row.value)
              ? Effect.succeed(row.value)
              : Effect.fail(mediaNotFound(id))
          )
        )

    /** A complete upload of the caller's, taken (it cannot be used twice); the reason otherwise. */
    const takeUpload = (user: AuthenticatedUser, uploadId: string) =>
      Effect.gen(function* () {
        const found = yield* repo.uploadById(uploadId)
        if (Option.isNone(found) || found.value.ownerId !== user.id || found.value.consumedAt !== null) {
          return yield* Effect.fail(new Contract.UploadNotFound({ uploadId }))
        }
        const upload = found.value
        if (upload.completedAt === null) {
          return yield* Effect.fail(
            new Contract.UploadIncomplete({ uploadId, offset: upload.offset, length: upload.size })
          )
        }
        const taken = yield* repo.consumeUpload(uploadId, user.id)
        if (Option.isNone(taken)) return yield* Effect.fail(new Contract.UploadNotFound({ uploadId }))
        return taken.value
      })

    /** The key holding an upload's bytes in one object: its only part, or the parts joined into `source`. */
    const joinParts = (upload: UploadRow) =>
      Effect.gen(function* () {
        if (upload.parts === 0) {
          // An empty file has no part: an empty object stands for it, so the probe refuses it like any other file.
          yield* blobs.put(partKey(upload.id, 0), new Uint8Array(0))
          return partKey(upload.id, 0)
        }
        return yield* joinUploadParts(upload, { repo, blobs })
      })

    const create = (
      user: AuthenticatedUser,
      input: { readonly uploadId: string; readonly title: string; readonly courseId?: CourseId | undefined }
    ) =>
      Effect.gen(function* () {
        if (!hasRole(user.role, "creator")) {
          return yield* Effect.fail(new Forbidden({ message: "adding videos needs the creator or admin role" }))
        }
        const upload = yield* takeUpload(user, input.uploadId)
        const sourceKey = yield* joinParts(upload).pipe(Effect.orDie)
        const row = yield* repo.insertMedia({
          id: MediaId.make(crypto.randomUUID()),
          ownerId: user.id,
          title: input.title,
          courseId: input.courseId ?? null,
          sizeBytes: upload.offset,
          sourceKey
        })
        // Checked by content before anything else: a refused file leaves nothing behind.
        const probe = yield* Effect.scoped(
          Effect.flatMap(blobs.localFile(sourceKey), (path) =>
            transcoder.probe(path, { maxSeconds: settings.maxSeconds, maxWidth: 4096, maxHeight: 2160 })
          )
        ).pipe(
          Effect.catchTags({
            InvalidMedia: (refused) =>
              Effect.zipRight(
                discard(row, sourceKey),
                Effect.fail(new Contract.InvalidMedia({ reason: refused.reason }))
              ),
            TranscodeFailed: (failed) => Effect.die(failed)
          }),
          Effect.catchTags({
            BlobNotFound: Effect.die,
            BlobStoreUnavailable: Effect.die,
            InvalidBlobKey: Effect.die
          })
        )
        yield* repo.setProbed(row.id, {
          durationSeconds: probe.durationSeconds,
          width: probe.video.width,
          height: probe.video.height
        })
        yield* jobs
          .enqueue(TRANSCODE_QUEUE, { mediaId: row.id }, { idempotencyKey: row.id, maxAttempts: settings.jobAttempts })
          .pipe(Effect.orDie)
        yield* wakeWorkers(TRANSCODE_QUEUE)
        return yield* Effect.flatMap(repo.mediaById(row.id), (queued) =>
          withCaptions(Option.getOrElse(queued, () => row))
        )
      }).pipe(Effect.withSpan("MediaLibrary.create"))

    const discard = (row: MediaRow, sourceKey: string) =>
      Effect.gen(function* () {
        yield* repo.softDeleteMedia(row.id)
        yield* blobs.delete(sourceKey).pipe(Effect.ignoreLogged)
        yield* blobs.deleteByPrefix(uploadPrefix(sourceKey.split("/")[1] ?? "")).pipe(Effect.ignoreLogged)
      })

    const get = (user: AuthenticatedUser, id: MediaId) => Effect.flatMap(managed(user, id), withCaptions)

    const list = (
      user: AuthenticatedUser,
      input: { readonly cursor?: Cursor | undefined; readonly limit?: number | undefined }
    ) =>
      Effect.gen(function* () {
        const limit = input.limit ?? 20
        const after = input.cursor === undefined ? undefined : yield* decodeCursor(input.cursor)
        const rows = yield* repo.mediaOfOwner(
          user.id,
          after === undefined ? undefined : { createdAt: new Date(after.createdAt), id: after.id },
          limit + 1
        )
        const page = rows.slice(0, limit)
        const items = yield* Effect.forEach(page, withCaptions)
        const last = page[page.length - 1]
        return { items, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last) : null }
      })

    const retry = (user: AuthenticatedUser, id: MediaId) =>
      Effect.gen(function* () {
        const row = yield* managed(user, id)
        const job = yield* jobs.byIdempotencyKey(TRANSCODE_QUEUE, id).pipe(Effect.orDie)
        // A worker that died on the last attempt leaves its media queued or processing: the queue, not the pipeline,
        // declared the job dead when its lease expired. That media can be retried too.
        const abandoned =
          (row.status === "queued" || row.status === "processing") && Option.isSome(job) && job.value.state === "dead"
        if (row.status !== "failed" && !abandoned) {
          return yield* Effect.fail(new Contract.MediaNotRetryable({ id, status: row.status }))
        }
        yield* repo.setStatus(id, "queued", null)
        if (Option.isSome(job) && job.value.state === "dead") yield* jobs.retry(job.value.id).pipe(Effect.orDie)
        else if (Option.isNone(job) || job.value.state === "completed") {
          // A completed job of a failed media ended by refusing its input; a new key gives it a new job.
          yield* jobs
            .enqueue(
              TRANSCODE_QUEUE,
              { mediaId: id },
              { idempotencyKey: `${id}:${Date.now()}`, maxAttempts: settings.jobAttempts }
            )
            .pipe(Effect.orDie)
        }
        yield* wakeWorkers(TRANSCODE_QUEUE)
        return yield* get(user, id)
      })

    const remove = (user: AuthenticatedUser, id: MediaId) =>
      Effect.gen(function* () {
        const row = yield* managed(user, id)
        yield* repo.softDeleteMedia(id)
        yield* blobs.deleteByPrefix(mediaPrefix(id)).pipe(Effect.orDie)
        const uploadId = row.sourceKey.split("/")[1]
        if (uploadId !== undefined) yield* blobs.deleteByPrefix(uploadPrefix(uploadId)).pipe(Effect.orDie)
      })

    const playback = (viewer: AuthenticatedUser | undefined, mediaId: MediaId) =>
      Effect.gen(function* () {
        const found = yield* repo.mediaById(mediaId)
        if (Option.isNone(found)) return yield* Effect.fail(mediaNotFound(mediaId))
        const row = found.value
        const allowed =
          (viewer !== undefined && canManage(viewer, row)) || (yield* access.mayWatch(mediaId, viewer?.id))
        if (!allowed) return yield* Effect.fail(mediaNotFound(mediaId))
        if (row.status !== "ready")
          return yield* Effect.fail(new Contract.MediaNotReady({ id: mediaId, status: row.status }))
        const now = yield* DateTime.now
        const expiresAt = DateTime.addDuration(now, settings.playbackTtl)
        const signed = signPlayback({
          secret: Redacted.value(settings.signingSecret),
          mediaId,
          userId: viewer?.id,
          expiresAt: DateTime.toDateUtc(expiresAt)
        })
        const base = `${settings.publicUrl}${signed.basePath}`
        const captions = yield* repo.captionsOf(mediaId)
        return new Contract.Playback(
          {
            mediaId,
            masterUrl: `${base}master.m3u8`,
            posterUrl: `${base}poster.jpg`,
            thumbnailsVttUrl: `${base}thumbnails.vtt`,
            captions: captions.map((caption) => ({
              language: caption.language,
              label: caption.label,
              url: `${base}captions/${caption.language}.vtt`
            })),
            expiresAt
          },
          true
        )
      })

    /** An upload's bytes in memory, refused when larger than `limit`. */
    const uploadBytes = (upload: UploadRow, limit: number) =>
      Effect.gen(function* () {
        if (upload.offset > limit) return Option.none<Uint8Array>()
        const parts = yield* uploadParts(upload, { repo: repo, blobs })
        const chunks = yield* Effect.forEach(parts, (part) => Effect.map(blobs.read(part.key), (read) => read.bytes))
        const bytes = new Uint8Array(upload.offset)
        let at = 0
        for (const chunk of chunks) {
          bytes.set(chunk, at)
          at += chunk.length
        }
        return Option.some(bytes)
      }).pipe(Effect.orDie)

    const uploadCaption = (
      user: AuthenticatedUser,
      input: { readonly mediaId: MediaId; readonly language: string; readonly label: string; readonly uploadId: string }
    ) =>
      Effect.gen(function* () {
        yield* managed(user, input.mediaId)
        const upload = yield* takeUpload(user, input.uploadId)
        const bytes = yield* uploadBytes(upload, MAX_CAPTION_BYTES)
        yield* blobs.deleteByPrefix(uploadPrefix(upload.id)).pipe(Effect.orDie)
        if (Option.isNone(bytes)) {
          return yield* Effect.fail(
            new Contract.InvalidCaption({ reason: `a caption file is at most ${MAX_CAPTION_BYTES} bytes` })
          )
        }
        const vtt = toWebVtt(bytes.value)
        if (Either.isLeft(vtt)) return yield* Effect.fail(new Contract.InvalidCaption({ reason: vtt.left.reason }))
        yield* blobs.put(captionKey(input.mediaId, input.language), vtt.right).pipe(Effect.orDie)
        yield* repo.upsertCaption({ mediaId: input.mediaId, language: input.language, label: input.label })
        return yield* get(user, input.mediaId)
      })

    const deleteCaption = (user: AuthenticatedUser, input: { readonly mediaId: MediaId; readonly language: string }) =>
      Effect.gen(function* () {
        yield* managed(user, input.mediaId)
        const deleted = yield* repo.deleteCaption(input.mediaId, input.language)
        if (!deleted) return yield* Effect.fail(new Contract.CaptionNotFound(input))
        yield* blobs.delete(captionKey(input.mediaId, input.language)).pipe(Effect.orDie)
        return yield* get(user, input.mediaId)
      })

    const resolveEmbed = (url: string) => {
      const embed = parseEmbedUrl(url)
      if (embed === undefined) {
        return Effect.fail(
          new Contract.EmbedNotSupported({
            message: "not a single YouTube, Dailymotion or Vimeo video URL"
          })
        )
      }
      return Effect.succeed({
        provider: embed.provider,
        videoId: embed.videoId,
        embedUrl: embedUrl(embed),
        thumbnailUrl: embedThumbnailUrl(embed) ?? null
      })
    }

    return { create, get, list, retry, remove, playback, uploadCaption, deleteCaption, resolveEmbed }
  })
}) {}
