// The transcode worker: probe → one FFmpeg ladder → outputs staged, moved into place, and made ready with the event.
import { mkdtemp, readdir, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { MediaId } from "@lectern/domain"
import { BlobStore } from "@lectern/platform/BlobStore"
import { type ClaimedJob, JobQueue } from "@lectern/platform/JobQueue"
import { runWorker } from "@lectern/platform/JobWorker"
import { Transcoder } from "@lectern/platform/Transcoder"
import { Config, Effect, Layer, Option, Schedule, Schema } from "effect"
import { generationPrefix, MediaSettings, TRANSCODE_QUEUE } from "./MediaLibrary.ts"
import { MediaRepo } from "./Repo.ts"

export const PipelineSettings = Config.all({
  /** Transcodes run at once in this process (each FFmpeg already uses several threads); 0 runs none here. */
  workers: Config.integer("MEDIA_WORKERS").pipe(
    Config.withDefault(1),
    Config.validate({ message: "MEDIA_WORKERS must be from 0 to 64", validation: (n) => n >= 0 && n <= 64 })
  ),
  /** Wall-clock limit of one transcode. */
  timeout: Config.duration("TRANSCODE_TIMEOUT").pipe(Config.withDefault("2 hours")),
  /** How long a worker holds a job between heartbeats; a dead worker's job returns after this. */
  lease: Config.duration("MEDIA_JOB_LEASE").pipe(Config.withDefault("60 seconds"))
})

const TranscodeJob = Schema.Struct({ mediaId: MediaId })

/** Every file under `dir`, as paths relative to it. */
const filesUnder = async (dir: string): Promise<Array<string>> => {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((entry) => entry.isFile()).map((entry) => relative(dir, join(entry.parentPath, entry.name)))
}

/** The staging prefixes under a media other than `own`: what earlier attempts of its job left. */
const staleStaging = (id: MediaId, own: string) =>
  Effect.flatMap(BlobStore, (blobs) => blobs.list(`media/${id}/`)).pipe(
    Effect.map((objects) => {
      const prefixes = new Set<string>()
      for (const { key } of objects) {
        const segment = key.split("/")[2] ?? ""
        if (segment.startsWith("staging-")) prefixes.add(`media/${id}/${segment}/`)
      }
      prefixes.delete(own)
      return [...prefixes]
    })
  )

/** A readable reason for a failure, for the creator and the job's last error. */
const reasonOf = (error: unknown) =>
  typeof error === "object" && error !== null && "reason" in error && typeof error.reason === "string"
    ? error.reason
    : String(error)

/** Transcodes the media a job names; a refused input fails the media at once (retrying cannot help). */
export const transcodeJob = (job: ClaimedJob) =>
  Effect.gen(function* () {
    const repo = yield* MediaRepo
    const blobs = yield* BlobStore
    const transcoder = yield* Transcoder
    const settings = yield* MediaSettings
    const pipeline = yield* PipelineSettings
    const { mediaId: id } = yield* Schema.decodeUnknown(TranscodeJob)(job.payload).pipe(Effect.orDie)
    const found = yield* repo.mediaById(id)
    if (Option.isNone(found) || found.value.status === "ready") return
    const media = found.value
    yield* repo.setStatus(id, "processing", null)

    const outcome = yield* Effect.scoped(
      Effect.gen(function* () {
        const source = yield* blobs.localFile(media.sourceKey)
        const probe = yield* transcoder.probe(source, {
          maxSeconds: settings.maxSeconds,
          maxWidth: 4096,
          maxHeight: 2160
        })
        const workDir = yield* Effect.acquireRelease(
          Effect.promise(() => mkdtemp(join(tmpdir(), "lectern-transcode-"))),
          (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
        )
        const result = yield* transcoder.transcode(source, workDir, {
          probe,
          timeout: pipeline.timeout,
          onProgress: (percent) => repo.setProgress(id, Math.min(99, Math.floor(percent)))
        })
        // Staged under a prefix nobody serves, then moved to the next generation in one step.
        const generation = media.generation + 1
        const staging = `media/${id}/staging-${job.leaseToken}/`
        const files = yield* Effect.promise(() => filesUnder(workDir))
        yield* Effect.forEach(files, (file) => blobs.putFile(`${staging}${file}`, join(workDir, file)), {
          concurrency: 4,
          discard: true
        })
        // A worker that died while staging (its lease expired, this job is the retry) left its prefix behind.
        yield* Effect.forEach(yield* staleStaging(id, staging), (prefix) => blobs.deleteByPrefix(prefix), {
          discard: true
        })
        yield* blobs.movePrefix(staging, generationPrefix(id, generation))
        return { generation, result }
      })
    ).pipe(Effect.either)

    if (outcome._tag === "Left") {
      const error = outcome.left
      if (typeof error === "object" && error !== null && "_tag" in error && error._tag === "InvalidMedia") {
        yield* repo.markFailed(id, reasonOf(error))
        return
      }
      if (job.attempt >= job.maxAttempts) yield* repo.markFailed(id, reasonOf(error))
      else yield* repo.setStatus(id, "queued", reasonOf(error))
      return yield* Effect.fail(error)
    }

    const { generation, result } = outcome.right
    const still = yield* repo.mediaById(id)
    if (Option.isNone(still)) {
      // Deleted while transcoding: nothing may stay behind.
      yield* blobs.deleteByPrefix(`media/${id}/`)
      return
    }
    yield* repo.markReady(id, {
      generation,
      durationSeconds: result.durationSeconds,
      renditions: result.renditions.map((rendition) => ({
        name: rendition.name,
        width: rendition.width,
        height: rendition.height,
        bandwidth: rendition.bandwidth,
        codecs: rendition.codecs
      }))
    })
    if (media.generation > 0) {
      yield* blobs.deleteByPrefix(generationPrefix(id, media.generation)).pipe(Effect.ignoreLogged)
    }
  }).pipe(Effect.withSpan("Pipeline.transcode", { attributes: { jobId: job.id, attempt: job.attempt } }))

/** Puts media whose job may have been lost (a crash between commit and enqueue) back on the queue, idempotently. */
export const requeueUnfinished = Effect.gen(function* () {
  const repo = yield* MediaRepo
  const jobs = yield* JobQueue
  const { jobAttempts } = yield* MediaSettings
  const unfinished = yield* repo.unfinishedMedia
  yield* Effect.forEach(
    unfinished,
    (media) =>
      jobs.enqueue(TRANSCODE_QUEUE, { mediaId: media.id }, { idempotencyKey: media.id, maxAttempts: jobAttempts }),
    { discard: true }
  )
})

/** How many dead transcode jobs one sweep looks at (the newest first). */
const DEAD_SWEEP_LIMIT = 100

/**
 * Fails the media of transcode jobs the queue declared dead on its own — a worker that vanished on the last attempt
 * leaves no one to call `markFailed`, and its lease expiring is all the queue sees. Answers how many it failed.
 */
export const failAbandonedMedia = Effect.gen(function* () {
  const repo = yield* MediaRepo
  const jobs = yield* JobQueue
  const dead = yield* jobs.dead(TRANSCODE_QUEUE, DEAD_SWEEP_LIMIT)
  let failed = 0
  for (const job of dead) {
    const payload = Schema.decodeUnknownOption(TranscodeJob)(job.payload)
    if (Option.isNone(payload)) continue
    const reason = `transcode abandoned: ${job.lastError ?? "its job died"}`
    if (yield* repo.failAbandoned(payload.value.mediaId, reason, job.updatedAt)) failed++
  }
  return failed
})

/**
 * The worker loops of this process (MEDIA_WORKERS), running while the layer lives. With 0 this process only serves
 * (API nodes); the queue is durable, so another process with workers picks the jobs up.
 */
export const PipelineWorkerLive = Layer.scopedDiscard(
  Effect.gen(function* () {
    const settings = yield* PipelineSettings
    if (settings.workers === 0) return
    yield* requeueUnfinished.pipe(Effect.catchAll((error) => Effect.logWarning("could not requeue media", error)))
    // Every lease, media whose job died with its worker are failed (with media.failed), so none waits forever.
    yield* failAbandonedMedia.pipe(
      Effect.catchAll((error) => Effect.logWarning("could not sweep dead transcode jobs", error)),
      Effect.repeat(Schedule.spaced(settings.lease)),
      Effect.forkScoped
    )
    yield* runWorker({
      queue: TRANSCODE_QUEUE,
      concurrency: settings.workers,
      lease: settings.lease,
      handle: transcodeJob
    })
  })
)
