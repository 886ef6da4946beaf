// MediaRepo: the SQL of the media schema and nothing else; SqlError dies here, rows become domain values.
import { SqlClient } from "@effect/sql"
import { type Media as Contract, Media } from "@lectern/contracts"
import type { CourseId, MediaId, UserId } from "@lectern/domain"
import { dieOnSqlError, transactionDieOnSqlError } from "@lectern/platform/Database"
import { appendEvent } from "@lectern/platform/Outbox"
import { DateTime, Effect, Option } from "effect"

/** The Postgres schema media owns. */
export const MEDIA_SCHEMA = "media"

// ---------------------------------------------------------------- rows

export interface UploadRow {
  readonly id: string
  readonly ownerId: UserId
  readonly size: number | null
  readonly offset: number
  readonly parts: number
  readonly metadata: Record<string, string | null>
  readonly createdAt: Date
  readonly completedAt: Date | null
  readonly consumedAt: Date | null
}

/** One PATCH's bytes: `size` bytes from `offset`, in the object `key`. */
export interface UploadPartRow {
  readonly offset: number
  readonly size: number
  readonly key: string
}

export interface MediaRow {
  readonly id: MediaId
  readonly ownerId: UserId
  readonly title: string
  readonly courseId: CourseId | null
  readonly status: Contract.MediaStatus
  readonly progress: number
  readonly sizeBytes: number
  readonly sourceKey: string
  readonly durationSeconds: number | null
  readonly width: number | null
  readonly height: number | null
  readonly renditions: ReadonlyArray<Contract.Rendition>
  readonly error: string | null
  readonly generation: number
  readonly createdAt: Date
  readonly updatedAt: Date
}

export interface CaptionRow {
  readonly mediaId: MediaId
  readonly language: string
  readonly label: string
}

const MEDIA_COLUMNS = `id, owner_id AS "ownerId", title, course_id AS "courseId", status, progress,
  size_bytes::float8 AS "sizeBytes", source_key AS "sourceKey", duration_seconds AS "durationSeconds", width, height,
  renditions, error, generation, created_at AS "createdAt", updated_at AS "updatedAt"`

const UPLOAD_COLUMNS = `id, owner_id AS "ownerId", size::float8 AS size, "offset"::float8 AS "offset", parts, metadata,
  created_at AS "createdAt", completed_at AS "completedAt", consumed_at AS "consumedAt"`

const first = <A>(rows: ReadonlyArray<A>) => Option.fromNullable(rows[0])

/** The contract's Media from its row and captions. */
export const toMedia = (row: MediaRow, captions: ReadonlyArray<CaptionRow>) =>
  new Media.Media(
    {
      id: row.id,
      ownerId: row.ownerId,
      title: row.title,
      courseId: row.courseId,
      status: row.status,
      progress: row.progress,
      sizeBytes: row.sizeBytes,
      durationSeconds: row.durationSeconds,
      width: row.width,
      height: row.height,
      renditions: row.renditions,
      captions: captions.map((caption) => ({ language: caption.language, label: caption.label })),
      error: row.error,
      createdAt: DateTime.unsafeFromDate(row.createdAt),
      updatedAt: DateTime.unsafeFromDate(row.updatedAt)
    },
    true
  )

export class MediaRepo extends Effect.Service<MediaRepo>()("@lectern/media/MediaRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const unsafe = <A extends object>(text: string, params: ReadonlyArray<unknown>) =>
      sql.unsafe<A>(text, params as Array<unknown>)

    // ------------------------------------------------------------ uploads

    const insertUpload = (upload: {
      readonly id: string
      readonly ownerId: UserId
      readonly size: number | null
      readonly metadata: Record<string, string | null>
    }) =>
      unsafe<UploadRow>(
        // An empty file is complete as soon as it is announced: no PATCH will ever come for it.
        `INSERT INTO media.uploads (id, owner_id, size, metadata, completed_at)
         VALUES ($1, $2, $3::bigint, $4::jsonb, CASE WHEN $3::bigint = 0 THEN now() END)
         RETURNING ${UPLOAD_COLUMNS}`,
        [upload.id, upload.ownerId, upload.size, JSON.stringify(upload.metadata)]
      ).pipe(Effect.map((rows) => rows[0] as UploadRow))

    const uploadById = (id: string) =>
      unsafe<UploadRow>(`SELECT ${UPLOAD_COLUMNS} FROM media.uploads WHERE id = $1`, [id]).pipe(Effect.map(first))

    /**
     * Records `bytes` (at least one) more received at `offset`, held by the object `key`, in one statement: only if
     * the upload is still there and still at that offset — a PATCH that lost the race for it gets None.
     */
    const advanceUpload = (id: string, offset: number, bytes: number, key: string) =>
      unsafe<UploadRow>(
        `WITH advanced AS (
           UPDATE media.uploads SET "offset" = "offset" + $3::bigint, parts = parts + 1,
             completed_at = CASE WHEN size IS NOT NULL AND "offset" + $3::bigint = size THEN now() ELSE completed_at END
           WHERE id = $1 AND "offset" = $2::bigint AND $3::bigint > 0
           RETURNING *
         ), recorded AS (
           INSERT INTO media.upload_parts (upload_id, "offset", size, key)
           SELECT id, $2::bigint, $3::bigint, $4::text FROM advanced
         )
         SELECT ${UPLOAD_COLUMNS} FROM advanced`,
        [id, offset, bytes, key]
      ).pipe(Effect.map(first))

    /** The recorded parts of an upload in order: where each PATCH's bytes are. */
    const uploadParts = (id: string) =>
      unsafe<UploadPartRow>(
        `SELECT "offset"::float8 AS "offset", size::float8 AS size, key FROM media.upload_parts
         WHERE upload_id = $1 ORDER BY "offset"`,
        [id]
      )

    const declareUploadSize = (id: string, size: number) =>
      unsafe(
        `UPDATE media.uploads SET size = $2,
           completed_at = CASE WHEN "offset" = $2 THEN now() ELSE completed_at END
         WHERE id = $1 AND size IS NULL`,
        [id, size]
      )

    const deleteUpload = (id: string) => unsafe(`DELETE FROM media.uploads WHERE id = $1`, [id])

    /** Marks a complete, unconsumed upload of `ownerId` consumed; None when it was not that. */
    const consumeUpload = (id: string, ownerId: UserId) =>
      unsafe<UploadRow>(
        `UPDATE media.uploads SET consumed_at = now()
         WHERE id = $1 AND owner_id = $2 AND completed_at IS NOT NULL AND consumed_at IS NULL
         RETURNING ${UPLOAD_COLUMNS}`,
        [id, ownerId]
      ).pipe(Effect.map(first))

    /** Bytes a user holds: unconsumed uploads (declared sizes) plus live media sources. */
    const bytesHeldBy = (ownerId: UserId) =>
      unsafe<{ total: number }>(
        `SELECT (coalesce((SELECT sum(coalesce(size, "offset")) FROM media.uploads
                             WHERE owner_id = $1 AND consumed_at IS NULL), 0)
               + coalesce((SELECT sum(size_bytes) FROM media.media
                             WHERE owner_id = $1 AND deleted_at IS NULL), 0))::float8 AS total`,
        [ownerId]
      ).pipe(Effect.map((rows) => rows[0]?.total ?? 0))

    /**
     * Inserts the upload unless the bytes its owner holds plus its declared size would pass `quotaBytes` (None then):
     * counted and inserted under a lock per owner, so uploads created at the same moment cannot each slip under it.
     */
    const insertUploadWithinQuota = (upload: Parameters<typeof insertUpload>[0], quotaBytes: number) =>
      transaction(
        Effect.gen(function* () {
          yield* unsafe(`SELECT pg_advisory_xact_lock(hashtextextended('media.quota:' || $1::text, 0))`, [
            upload.ownerId
          ])
          const held = yield* bytesHeldBy(upload.ownerId)
          if (held + (upload.size ?? 0) > quotaBytes) return Option.none<UploadRow>()
          return Option.some(yield* insertUpload(upload))
        })
      )

    /** Unfinished uploads older than `before` (abandoned), for the sweeper. */
    const staleUploads = (before: Date, limit: number) =>
      unsafe<UploadRow>(
        `SELECT ${UPLOAD_COLUMNS} FROM media.uploads
         WHERE completed_at IS NULL AND created_at < $1 ORDER BY created_at LIMIT $2`,
        [before, limit]
      )

    // ------------------------------------------------------------ media

    const insertMedia = (media: {
      readonly id: MediaId
      readonly ownerId: UserId
      readonly title: string
      readonly courseId: CourseId | null
      readonly sizeBytes: number
      readonly sourceKey: string
    }) =>
      unsafe<MediaRow>(
        `INSERT INTO media.media (id, owner_id, title, course_id, status, size_bytes, source_key)
         VALUES ($1, $2, $3, $4, 'probing', $5, $6) RETURNING ${MEDIA_COLUMNS}`,
        [media.id, media.ownerId, media.title, media.courseId, media.sizeBytes, media.sourceKey]
      ).pipe(Effect.map((rows) => rows[0] as MediaRow))

    const mediaById = (id: MediaId) =>
      unsafe<MediaRow>(`SELECT ${MEDIA_COLUMNS} FROM media.media WHERE id = $1 AND deleted_at IS NULL`, [id]).pipe(
        Effect.map(first)
      )

    const mediaForUpdate = (id: MediaId) =>
      unsafe<MediaRow>(`SELECT ${MEDIA_COLUMNS} FROM media.media WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`, [
        id
      ]).pipe(Effect.map(first))

    /** A page of an owner's media, newest first, after the keyset (createdAt, id). */
    const mediaOfOwner = (ownerId: UserId, after: { createdAt: Date; id: string } | undefined, limit: number) =>
      after === undefined
        ? unsafe<MediaRow>(
            `SELECT ${MEDIA_COLUMNS} FROM media.media WHERE owner_id = $1 AND deleted_at IS NULL
             ORDER BY created_at DESC, id DESC LIMIT $2`,
            [ownerId, limit]
          )
        : unsafe<MediaRow>(
            `SELECT ${MEDIA_COLUMNS} FROM media.media WHERE owner_id = $1 AND deleted_at IS NULL
               AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC LIMIT $4`,
            [ownerId, after.createdAt, after.id, limit]
          )

    /** Media left queued or processing (a crash between commit and enqueue, or a worker that died). */
    const unfinishedMedia = unsafe<{ id: MediaId }>(
      `SELECT id FROM media.media WHERE status IN ('queued', 'processing') AND deleted_at IS NULL`,
      []
    )

    const setProbed = (
      id: MediaId,
      probe: { readonly durationSeconds: number; readonly width: number; readonly height: number }
    ) =>
      unsafe(
        `UPDATE media.media SET status = 'queued', error = NULL, progress = 0, duration_seconds = $2, width = $3,
           height = $4, updated_at = now() WHERE id = $1`,
        [id, probe.durationSeconds, probe.width, probe.height]
      )

    const setStatus = (id: MediaId, status: Contract.MediaStatus, error: string | null) =>
      unsafe(
        `UPDATE media.media SET status = $2, error = $3, progress = CASE WHEN $2 = 'ready' THEN 100 ELSE 0 END,
           updated_at = now() WHERE id = $1 AND deleted_at IS NULL`,
        [id, status, error]
      )

    /** Progress only moves forward, and only while processing. */
    const setProgress = (id: MediaId, progress: number) =>
      unsafe(
        `UPDATE media.media SET progress = $2, updated_at = now()
         WHERE id = $1 AND status = 'processing' AND progress < $2`,
        [id, progress]
      )

    /** Ready, with the new generation's renditions, and `media.ready` in the same transaction. */
    const markReady = (
      id: MediaId,
      ready: {
        readonly generation: number
        readonly durationSeconds: number
        readonly renditions: ReadonlyArray<Contract.Rendition>
      }
    ) =>
      transaction(
        Effect.gen(function* () {
          yield* unsafe(
            `UPDATE media.media SET status = 'ready', progress = 100, error = NULL, generation = $2,
               duration_seconds = $3, renditions = $4::jsonb, updated_at = now() WHERE id = $1`,
            [id, ready.generation, ready.durationSeconds, JSON.stringify(ready.renditions)]
          )
          yield* appendEvent(MEDIA_SCHEMA, {
            type: "media.ready",
            source: "media",
            payload: {
              mediaId: id,
              durationSeconds: ready.durationSeconds,
              renditions: ready.renditions.map((rendition) => rendition.height)
            }
          })
        })
      )

    /** Failed for good (after the last attempt, or refused input), with `media.failed` in the same transaction. */
    const markFailed = (id: MediaId, reason: string) =>
      transaction(
        Effect.gen(function* () {
          yield* unsafe(
            `UPDATE media.media SET status = 'failed', error = $2, updated_at = now()
             WHERE id = $1 AND deleted_at IS NULL`,
            [id, reason]
          )
          yield* appendEvent(MEDIA_SCHEMA, { type: "media.failed", source: "media", payload: { mediaId: id, reason } })
        })
      )

    /**
     * Fails a media whose job died without the pipeline learning of it (its worker vanished on the last attempt), with
     * `media.failed`; only while it still waits on that job: queued or processing, untouched since the job died.
     */
    const failAbandoned = (id: MediaId, reason: string, jobDiedAt: Date) =>
      transaction(
        Effect.gen(function* () {
          const failed = yield* unsafe<{ id: MediaId }>(
            `UPDATE media.media SET status = 'failed', error = $2, updated_at = now()
             WHERE id = $1 AND deleted_at IS NULL AND status IN ('queued', 'processing') AND updated_at <= $3
             RETURNING id`,
            [id, reason, jobDiedAt]
          )
          if (failed.length === 0) return false
          yield* appendEvent(MEDIA_SCHEMA, { type: "media.failed", source: "media", payload: { mediaId: id, reason } })
          return true
        })
      )

    const softDeleteMedia = (id: MediaId) =>
      unsafe(`UPDATE media.media SET deleted_at = now(), updated_at = now() WHERE id = $1`, [id])

    // ------------------------------------------------------------ captions

    const captionsOf = (mediaId: MediaId) =>
      unsafe<CaptionRow>(
        `SELECT media_id AS "mediaId", language, label FROM media.captions WHERE media_id = $1 ORDER BY language`,
        [mediaId]
      )

    const upsertCaption = (caption: CaptionRow) =>
      unsafe(
        `INSERT INTO media.captions (media_id, language, label) VALUES ($1, $2, $3)
         ON CONFLICT (media_id, language) DO UPDATE SET label = EXCLUDED.label, created_at = now()`,
        [caption.mediaId, caption.language, caption.label]
      )

    const deleteCaption = (mediaId: MediaId, language: string) =>
      unsafe<{ language: string }>(
        `DELETE FROM media.captions WHERE media_id = $1 AND language = $2 RETURNING language`,
        [mediaId, language]
      ).pipe(Effect.map((rows) => rows.length > 0))

    const transaction = transactionDieOnSqlError(sql)

    return {
      insertUpload: dieOnSqlError(insertUpload),
      insertUploadWithinQuota: dieOnSqlError(insertUploadWithinQuota),
      uploadById: dieOnSqlError(uploadById),
      advanceUpload: dieOnSqlError(advanceUpload),
      uploadParts: dieOnSqlError(uploadParts),
      declareUploadSize: dieOnSqlError(declareUploadSize),
      deleteUpload: dieOnSqlError(deleteUpload),
      consumeUpload: dieOnSqlError(consumeUpload),
      bytesHeldBy: dieOnSqlError(bytesHeldBy),
      staleUploads: dieOnSqlError(staleUploads),
      insertMedia: dieOnSqlError(insertMedia),
      mediaById: dieOnSqlError(mediaById),
      mediaForUpdate: dieOnSqlError(mediaForUpdate),
      mediaOfOwner: dieOnSqlError(mediaOfOwner),
      unfinishedMedia: Effect.orDie(unfinishedMedia),
      setProbed: dieOnSqlError(setProbed),
      setStatus: dieOnSqlError(setStatus),
      setProgress: dieOnSqlError(setProgress),
      markReady: dieOnSqlError(markReady),
      markFailed: dieOnSqlError(markFailed),
      failAbandoned: dieOnSqlError(failAbandoned),
      softDeleteMedia: dieOnSqlError(softDeleteMedia),
      captionsOf: dieOnSqlError(captionsOf),
      upsertCaption: dieOnSqlError(upsertCaption),
      deleteCaption: dieOnSqlError(deleteCaption),
      withTransaction: transaction
    }
  })
}) {}
