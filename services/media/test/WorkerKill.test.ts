// A transcode worker killed with SIGKILL: a worker in a child process (fixtures/media-worker-child.ts, 2 s lease) is
// killed mid-transcode, or mid-way through staging its outputs; once its lease expires this process's worker takes
// the job over and the media ends ready with exactly one generation (`v1/`) and no staging leftovers.
import { readFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import type { MediaId } from "@lectern/domain"
import { JobQueue } from "@lectern/platform/JobQueue"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect, Option, Schedule } from "effect"
import * as TestServices from "effect/TestServices"
import { TRANSCODE_QUEUE } from "../src/MediaLibrary.ts"
import {
  blobKeys,
  clientAs,
  fetchBytes,
  generateSource,
  layerBlobsIn,
  type MediaClient,
  makeMediaTestLayer,
  serveMedia,
  settled,
  startWorkerChild,
  startWorkerHere,
  tempDir,
  tusUpload,
  userWith
} from "./fixtures.ts"

const LEASE = { MEDIA_JOB_LEASE: "2 seconds" }
const blobRoot = join(tmpdir(), `lectern-media-kill-${crypto.randomUUID()}`)
const startWorker = startWorkerHere(LEASE)
const startChild = (workDir: string, env: Record<string, string> = {}) =>
  startWorkerChild({ blobRoot, workDir, env: { ...LEASE, ...env } })

/** A media of `seconds` at `width`×`height`, uploaded and created (queued: this process runs no worker yet). */
const queuedMedia = (url: string, client: MediaClient, token: string, width: number, height: number, seconds: number) =>
  Effect.gen(function* () {
    const dir = yield* tempDir
    const source = join(dir, "source.mp4")
    yield* generateSource(source, { seconds, width, height })
    const uploadId = yield* tusUpload(url, token, yield* Effect.promise(() => readFile(source)))
    const created = yield* client.media.create({ uploadId, title: "Killed" })
    expect(created.status).toBe("queued")
    return created.id
  })

/** Ready, with every object under exactly one generation, `v1/`, and nothing staged left; it plays. */
const expectOneCleanGeneration = (url: string, client: MediaClient, id: MediaId) =>
  Effect.gen(function* () {
    const ready = yield* settled(client, id)
    expect(ready).toMatchObject({ status: "ready", error: null, progress: 100 })
    const keys = yield* blobKeys(`media/${id}/`)
    const prefixes = new Set(keys.map((key) => key.split("/")[2]))
    expect([...prefixes]).toEqual(["v1"])
    expect(keys).toContain(`media/${id}/v1/master.m3u8`)
    const job = yield* Effect.flatMap(JobQueue, (jobs) => jobs.byIdempotencyKey(TRANSCODE_QUEUE, id)).pipe(
      Effect.map(Option.getOrThrow)
    )
    expect(job).toMatchObject({ state: "completed", attempts: 2 })
    const playback = yield* client.media.playback({ mediaId: id })
    expect((yield* fetchBytes(`${url}${playback.masterUrl}`)).status).toBe(200)
    return ready
  })

const layer = makeMediaTestLayer(layerFreshPostgres, { blobs: layerBlobsIn(blobRoot), worker: false, config: LEASE })

describe("a media worker killed with SIGKILL", () => {
  it.layer(layer, { timeout: 60_000 })((it) => {
    it.scoped(
      "mid-transcode: another worker finishes the job after the lease expires, with one generation",
      () =>
        TestServices.provideLive(
          Effect.gen(function* () {
            const url = yield* serveMedia
            const creator = yield* userWith("creator")
            const client = yield* clientAs(url, creator)
            const id = yield* queuedMedia(url, client, creator.token, 1280, 720, 10)

            const child = yield* startChild(yield* tempDir)
            const claimed = yield* child.line(/^claimed (\S+) (\d+)$/m)
            expect(claimed[2]).toBe("1")
            // FFmpeg is at work: the child reports progress on the media.
            const processing = yield* client.media.get({ id }).pipe(
              Effect.filterOrFail(
                (media) => media.status === "processing" && media.progress > 0,
                (media) => (media.status === "ready" || media.status === "failed" ? media : ("pending" as const))
              ),
              Effect.retry({ while: (error) => error === "pending", schedule: Schedule.spaced("100 millis") }),
              Effect.timeout("30 seconds")
            )
            expect(processing.progress).toBeLessThan(100)
            expect(yield* child.kill).toBe("SIGKILL")

            const stuck = yield* client.media.get({ id })
            expect(stuck.status).toBe("processing")
            const job = yield* Effect.flatMap(JobQueue, (jobs) => jobs.get(claimed[1] ?? "")).pipe(
              Effect.map(Option.getOrThrow)
            )
            expect(job).toMatchObject({ state: "active", attempts: 1 })

            yield* startWorker
            const ready = yield* expectOneCleanGeneration(url, client, id)
            expect(ready.renditions.map((r) => r.name)).toEqual(["360p", "720p"])
            expect(ready.durationSeconds).toBeCloseTo(10, 0)
          })
        ),
      60_000
    )

    it.scoped(
      "mid-way through staging: the dead worker's staged files are removed when the job is committed",
      () =>
        TestServices.provideLive(
          Effect.gen(function* () {
            const url = yield* serveMedia
            const creator = yield* userWith("creator")
            const client = yield* clientAs(url, creator)
            const id = yield* queuedMedia(url, client, creator.token, 320, 240, 2)

            const child = yield* startChild(yield* tempDir, { MEDIA_PAUSE_STAGING: "1" })
            const staged = yield* child.line(/^staged (\S+)$/m)
            expect(yield* child.kill).toBe("SIGKILL")
            // What a worker killed while copying its outputs leaves: a staging prefix nobody serves.
            const left = yield* blobKeys(`media/${id}/`)
            expect(left).toEqual([staged[1]])
            expect(staged[1]).toMatch(new RegExp(`^media/${id}/staging-[0-9a-f-]+/`))

            yield* startWorker
            yield* expectOneCleanGeneration(url, client, id)
          })
        ),
      60_000
    )
  })
})
