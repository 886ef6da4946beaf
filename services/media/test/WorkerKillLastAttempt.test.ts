// A transcode worker SIGKILLed on its job's last attempt (MEDIA_JOB_ATTEMPTS=1): the queue declares the job dead when
// its lease expires, without the pipeline ever learning of it; the workers' dead-job sweep fails the media with
// media.failed, and media.retry brings it back to ready.
import { readFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { JobQueue } from "@lectern/platform/JobQueue"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect, Option, Schedule } from "effect"
import * as TestServices from "effect/TestServices"
import { TRANSCODE_QUEUE } from "../src/MediaLibrary.ts"
import { failAbandonedMedia } from "../src/Pipeline.ts"
import {
  blobKeys,
  clientAs,
  generateSource,
  layerBlobsIn,
  makeMediaTestLayer,
  serveMedia,
  settled,
  startWorkerChild,
  startWorkerHere,
  tempDir,
  tusUpload,
  userWith
} from "./fixtures.ts"

const CONFIG = { MEDIA_JOB_LEASE: "2 seconds", MEDIA_JOB_ATTEMPTS: "1" }
const blobRoot = join(tmpdir(), `lectern-media-kill-last-${crypto.randomUUID()}`)

const layer = makeMediaTestLayer(layerFreshPostgres, { blobs: layerBlobsIn(blobRoot), worker: false, config: CONFIG })

describe("a media worker killed on the last attempt", () => {
  it.layer(layer, { timeout: 60_000 })((it) => {
    it.scoped("leaves a dead job: the media is failed with media.failed, and media.retry runs it again to ready", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const creator = yield* userWith("creator")
          const client = yield* clientAs(url, creator)
          const jobs = yield* JobQueue
          const dir = yield* tempDir
          const source = join(dir, "source.mp4")
          yield* generateSource(source, { seconds: 2, width: 320, height: 240 })
          const uploadId = yield* tusUpload(url, creator.token, yield* Effect.promise(() => readFile(source)))
          const { id } = yield* client.media.create({ uploadId, title: "Killed last" })

          // Killed while copying its outputs: a point the child stops at for sure.
          const child = yield* startWorkerChild({
            blobRoot,
            workDir: yield* tempDir,
            env: { ...CONFIG, MEDIA_PAUSE_STAGING: "1" }
          })
          yield* child.line(/^staged \S+$/m)
          expect(yield* child.kill).toBe("SIGKILL")

          // The next claim after the lease expired finds the last attempt used: the job is dead, not run again.
          yield* startWorkerHere(CONFIG)
          const dead = yield* jobs.byIdempotencyKey(TRANSCODE_QUEUE, id).pipe(
            Effect.map(Option.getOrThrow),
            Effect.filterOrFail(
              (job) => job.state === "dead",
              () => "alive" as const
            ),
            Effect.retry({ while: (error) => error === "alive", schedule: Schedule.spaced("200 millis") }),
            Effect.timeout("20 seconds")
          )
          expect(dead).toMatchObject({ attempts: 1, lastError: "lease expired after the last attempt" })

          // The sweep (every lease) fails the media, once, with the queue's reason and a media.failed event.
          const failed = yield* client.media.get({ id }).pipe(
            Effect.filterOrFail(
              (media) => media.status === "failed",
              () => "waiting" as const
            ),
            Effect.retry({ while: (error) => error === "waiting", schedule: Schedule.spaced("200 millis") }),
            Effect.timeout("20 seconds")
          )
          expect(failed.error).toBe("transcode abandoned: lease expired after the last attempt")
          expect(yield* failAbandonedMedia).toBe(0)
          const sql = yield* SqlClient.SqlClient
          const events = yield* sql.unsafe<{ type: string; payload: unknown }>(
            `SELECT type, payload FROM media.outbox WHERE payload->>'mediaId' = $1 ORDER BY position`,
            [id]
          )
          expect(events).toEqual([
            {
              type: "media.failed",
              payload: { mediaId: id, reason: "transcode abandoned: lease expired after the last attempt" }
            }
          ])

          const retried = yield* client.media.retry({ id })
          expect(retried.status).toBe("queued")
          const ready = yield* settled(client, id)
          expect(ready).toMatchObject({ status: "ready", error: null })
          expect(new Set((yield* blobKeys(`media/${id}/`)).map((key) => key.split("/")[2]))).toEqual(new Set(["v1"]))
        })
      )
    )
  })
})
