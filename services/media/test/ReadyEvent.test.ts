// media.ready in the outbox: the transcode that makes a media ready writes one `media.ready` row in media.outbox, in
// the same transaction, with the media's id, its duration and the heights of its renditions.
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect } from "effect"
import * as TestServices from "effect/TestServices"
import {
  clientAs,
  generateSource,
  makeMediaTestLayer,
  serveMedia,
  settled,
  tempDir,
  tusUpload,
  userWith
} from "./fixtures.ts"

interface OutboxRow {
  readonly type: string
  readonly version: number
  readonly source: string
  readonly payload: { readonly mediaId: string; readonly durationSeconds: number; readonly renditions: Array<number> }
}

describe("media.ready event", () => {
  it.layer(makeMediaTestLayer(layerFreshPostgres), { timeout: 60_000 })((it) => {
    it.scoped("a finished transcode writes media.ready with the duration and rendition heights to media.outbox", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const creator = yield* userWith("creator")
          const client = yield* clientAs(url, creator)
          const sql = yield* SqlClient.SqlClient
          const eventsOf = (mediaId: string) =>
            sql.unsafe<OutboxRow>(
              `SELECT type, version, source, payload FROM media.outbox WHERE payload->>'mediaId' = $1 ORDER BY position`,
              [mediaId]
            )

          const dir = yield* tempDir
          const source = join(dir, "source.mp4")
          yield* generateSource(source, { seconds: 2, width: 1280, height: 720 })
          const uploadId = yield* tusUpload(url, creator.token, yield* Effect.promise(() => readFile(source)))
          const created = yield* client.media.create({ uploadId, title: "Evented" })
          // Nothing is announced before the media is ready.
          expect(yield* eventsOf(created.id)).toEqual([])

          const ready = yield* settled(client, created.id)
          expect(ready.status).toBe("ready")
          const events = yield* eventsOf(created.id)
          expect(events).toHaveLength(1)
          const [event] = events
          expect(event).toMatchObject({
            type: "media.ready",
            version: 1,
            source: "media",
            payload: { mediaId: created.id, renditions: [360, 720] }
          })
          expect(event?.payload.durationSeconds).toBeCloseTo(2, 1)
          // The event says what the media says.
          expect(event?.payload.durationSeconds).toBe(ready.durationSeconds)
          expect(event?.payload.renditions).toEqual(ready.renditions.map((r) => r.height))
        })
      )
    )
  })
})
