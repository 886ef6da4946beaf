// ImageRepo: the SQL of media.images and nothing else; SqlError dies here.
import { SqlClient } from "@effect/sql"
import type { ImageId, UserId } from "@lectern/domain"
import { dieOnSqlError, transactionDieOnSqlError } from "@lectern/platform/Database"
import { appendEvent } from "@lectern/platform/Outbox"
import { Effect, Option } from "effect"
import { MEDIA_SCHEMA } from "./Repo.ts"

export interface ImageRow {
  readonly id: ImageId
  readonly ownerId: UserId
  readonly width: number
  readonly height: number
  readonly format: string
  readonly sizeBytes: number
  readonly createdAt: Date
}

const IMAGE_COLUMNS = `id, owner_id AS "ownerId", width, height, format, size_bytes::float8 AS "sizeBytes",
  created_at AS "createdAt"`

export class ImageRepo extends Effect.Service<ImageRepo>()("@lectern/media/ImageRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const unsafe = <A extends object>(text: string, params: ReadonlyArray<unknown>) =>
      sql.unsafe<A>(text, params as Array<unknown>)
    const transaction = transactionDieOnSqlError(sql)

    const insertImage = (image: Omit<ImageRow, "createdAt">) =>
      unsafe<ImageRow>(
        `INSERT INTO media.images (id, owner_id, width, height, format, size_bytes)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${IMAGE_COLUMNS}`,
        [image.id, image.ownerId, image.width, image.height, image.format, image.sizeBytes]
      ).pipe(Effect.map((rows) => rows[0] as ImageRow))

    /** A live image (not deleted). */
    const imageById = (id: ImageId) =>
      unsafe<ImageRow>(`SELECT ${IMAGE_COLUMNS} FROM media.images WHERE id = $1 AND deleted_at IS NULL`, [id]).pipe(
        Effect.map((rows) => Option.fromNullable(rows[0]))
      )

    /** Marks the image deleted with `image.deleted` in the same transaction; false when it was not live. */
    const softDeleteImage = (id: ImageId) =>
      transaction(
        Effect.gen(function* () {
          const rows = yield* unsafe<{ ownerId: UserId }>(
            `UPDATE media.images SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL
             RETURNING owner_id AS "ownerId"`,
            [id]
          )
          const row = rows[0]
          if (row === undefined) return false
          yield* appendEvent(MEDIA_SCHEMA, {
            type: "image.deleted",
            source: "media",
            payload: { imageId: id, ownerId: row.ownerId }
          })
          return true
        })
      ).pipe(Effect.provideService(SqlClient.SqlClient, sql))

    return {
      insertImage: dieOnSqlError(insertImage),
      imageById: dieOnSqlError(imageById),
      softDeleteImage: dieOnSqlError(softDeleteImage)
    }
  })
}) {}
