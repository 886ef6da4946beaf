// media.retry: a ready media is not retryable; a media failed by its last attempt (a dead job) or by its input being
// refused in the worker (a completed job) is queued again by media.retry and, with the fault gone, becomes ready.
// FFmpeg runs behind a switch the test turns; MEDIA_JOB_ATTEMPTS=1 makes the first failure the last attempt.
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { JobQueue } from "@lectern/platform/JobQueue"
import { InvalidMedia, TranscodeFailed, Transcoder } from "@lectern/platform/Transcoder"
import { layerFfmpeg } from "@lectern/platform/TranscoderFfmpeg"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect, Layer, Option } from "effect"
import * as TestServices from "effect/TestServices"
import { TRANSCODE_QUEUE } from "../src/MediaLibrary.ts"
import {
  clientAs,
  generateSource,
  makeMediaTestLayer,
  serveMedia,
  settled,
  startWorkerHere,
  tempDir,
  tusUpload,
  userWith
} from "./fixtures.ts"

const CONFIG = { MEDIA_JOB_ATTEMPTS: "1" }

/** What the transcoder below gets wrong while switched on. */
const faults = { transcode: false, probe: false }

/** FFmpeg, except that transcodes fail (TranscodeFailed) or probes refuse (InvalidMedia) while `faults` say so. */
const layerFaultyFfmpeg = Layer.effect(
  Transcoder,
  Effect.map(Transcoder, (ffmpeg) =>
    Transcoder.of({
      probe: (path, limits) =>
        faults.probe
          ? Effect.fail(new InvalidMedia({ reason: "the test refuses this file" }))
          : ffmpeg.probe(path, limits),
      transcode: (input, output, options) =>
        faults.transcode
          ? Effect.fail(new TranscodeFailed({ reason: "the transcoder is out of order", stderr: "" }))
          : ffmpeg.transcode(input, output, options)
    })
  )
).pipe(Layer.provide(Layer.orDie(layerFfmpeg())))

/** The transcode worker, started by hand once the test has set the faults up. */
const startWorker = startWorkerHere(CONFIG)

const layer = makeMediaTestLayer(layerFreshPostgres, { transcoder: layerFaultyFfmpeg, worker: false, config: CONFIG })

describe("media.retry", () => {
  it.layer(layer, { timeout: 60_000 })((it) => {
    const uploadSource = (url: string, token: string) =>
      Effect.gen(function* () {
        const dir = yield* tempDir
        const source = join(dir, "source.mp4")
        yield* generateSource(source, { seconds: 2, width: 320, height: 240 })
        return yield* tusUpload(url, token, yield* Effect.promise(() => readFile(source)))
      })

    it.scoped("brings a media failed by its last attempt back to ready; a ready media is not retryable", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const creator = yield* userWith("creator")
          const client = yield* clientAs(url, creator)
          const jobs = yield* JobQueue
          const created = yield* client.media.create({ uploadId: yield* uploadSource(url, creator.token), title: "T" })
          const notYet = yield* Effect.flip(client.media.retry({ id: created.id }))
          expect(notYet).toMatchObject({ _tag: "MediaNotRetryable", id: created.id, status: "queued" })

          faults.transcode = true
          yield* startWorker
          const failed = yield* settled(client, created.id)
          expect(failed).toMatchObject({ status: "failed", error: "the transcoder is out of order", renditions: [] })
          const job = yield* jobs.byIdempotencyKey(TRANSCODE_QUEUE, created.id).pipe(Effect.map(Option.getOrThrow))
          expect(job).toMatchObject({ state: "dead", attempts: 1, maxAttempts: 1 })
          expect((yield* Effect.flip(client.media.playback({ mediaId: created.id })))._tag).toBe("MediaNotReady")

          // Nobody else may retry it.
          const stranger = yield* clientAs(url, yield* userWith("creator"))
          expect(yield* Effect.flip(stranger.media.retry({ id: created.id }))).toMatchObject({
            _tag: "MediaNotFound",
            id: created.id
          })

          faults.transcode = false
          const retried = yield* client.media.retry({ id: created.id })
          expect(retried).toMatchObject({ status: "queued", error: null })
          const ready = yield* settled(client, created.id)
          expect(ready).toMatchObject({ status: "ready", error: null, progress: 100 })
          expect(ready.renditions.map((r) => r.name)).toEqual(["360p"])
          // The same job ran again, with a fresh set of attempts.
          const again = yield* jobs.get(job.id).pipe(Effect.map(Option.getOrThrow))
          expect(again).toMatchObject({ state: "completed", attempts: 1 })
          expect((yield* client.media.playback({ mediaId: created.id })).mediaId).toBe(created.id)

          const readyRetry = yield* Effect.flip(client.media.retry({ id: created.id }))
          expect(readyRetry).toMatchObject({ _tag: "MediaNotRetryable", id: created.id, status: "ready" })
        })
      )
    )

    it.scoped("brings a media whose input the worker refused back to ready with a new job", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const url = yield* serveMedia
          const creator = yield* userWith("creator")
          const client = yield* clientAs(url, creator)
          const jobs = yield* JobQueue
          const created = yield* client.media.create({ uploadId: yield* uploadSource(url, creator.token), title: "T" })

          faults.probe = true
          yield* startWorker
          const failed = yield* settled(client, created.id)
          expect(failed).toMatchObject({ status: "failed", error: "the test refuses this file" })
          // A refusal is final for that job: it completed, and retrying it would change nothing.
          const job = yield* jobs.byIdempotencyKey(TRANSCODE_QUEUE, created.id).pipe(Effect.map(Option.getOrThrow))
          expect(job.state).toBe("completed")

          faults.probe = false
          expect((yield* client.media.retry({ id: created.id })).status).toBe("queued")
          const ready = yield* settled(client, created.id)
          expect(ready).toMatchObject({ status: "ready", error: null })
          const counts = yield* jobs.counts(TRANSCODE_QUEUE)
          expect(counts).toMatchObject({ waiting: 0, active: 0, dead: 0 })
        })
      )
    )
  })
})
