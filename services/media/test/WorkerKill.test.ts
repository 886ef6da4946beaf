// A transcode worker killed with SIGKILL: a worker in a child process (fixtures/media-worker-child.ts, 2 s lease) is
// killed mid-transcode, or mid-way through staging its outputs; once its lease expires this process's worker takes
// the job over and the media ends ready with exactly one generation (`v1/`) and no staging leftovers.
import { type ChildProcess, spawn } from "node:child_process"
import { mkdir, readdir, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import type { MediaId } from "@lectern/domain"
import { layerFs } from "@lectern/platform/BlobStoreFs"
import { JobQueue } from "@lectern/platform/JobQueue"
import { layerFreshPostgres, testPostgresUrl } from "@lectern/testkit/TestDatabase"
import { Data, Effect, Layer, Option, Schedule } from "effect"
import * as TestServices from "effect/TestServices"
import { MediaWorkerLive } from "../src/Layer.ts"
import { TRANSCODE_QUEUE } from "../src/MediaLibrary.ts"
import {
  blobKeys,
  clientAs,
  fetchBytes,
  generateSource,
  MEDIA_TEST_CONFIG,
  type MediaClient,
  makeMediaTestLayer,
  mediaTestConfig,
  serveMedia,
  settled,
  tempDir,
  tusUpload,
  userWith
} from "./fixtures.ts"

const LEASE = { MEDIA_JOB_LEASE: "2 seconds" }
const blobRoot = join(tmpdir(), `lectern-media-kill-${crypto.randomUUID()}`)

/** Blobs in `blobRoot`, a directory the child worker is told about; removed with the layer. */
const layerBlobs = Layer.unwrapScoped(
  Effect.acquireRelease(
    Effect.promise(() => mkdir(blobRoot, { recursive: true })),
    () => Effect.promise(() => rm(blobRoot, { recursive: true, force: true }))
  ).pipe(Effect.as(Layer.orDie(layerFs({ root: blobRoot }))))
)

/** This process's transcode worker, started by hand once the child is dead. */
const startWorker = Layer.build(MediaWorkerLive.pipe(Layer.provide(Layer.setConfigProvider(mediaTestConfig(LEASE)))))

class ChildFailed extends Data.TaggedError("ChildFailed")<{ readonly reason: string; readonly output: string }> {}

const childScript = new URL("./fixtures/media-worker-child.ts", import.meta.url).pathname

/** The URL of the test's own database (the layer made it fresh; the child connects to it too). */
const databaseUrl = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const [row] = yield* sql<{ readonly name: string }>`SELECT current_database() AS name`.pipe(Effect.orDie)
  const url = new URL(yield* testPostgresUrl)
  url.pathname = `/${row?.name}`
  return url.toString()
})

/**
 * Runs the child worker with its temporary files in `workDir`. `line` waits for a line matching `pattern`; `kill`
 * SIGKILLs the child, then the FFmpeg it left running (it runs in its own process group, and nothing kills it when
 * its parent dies: it is found by `workDir` in its command line and killed by pid). Killed when the scope closes.
 */
const startChild = (workDir: string, extraEnv: Record<string, string> = {}) =>
  Effect.gen(function* () {
    const env = {
      ...process.env,
      ...Object.fromEntries(MEDIA_TEST_CONFIG),
      ...LEASE,
      MEDIA_DATABASE_URL: yield* databaseUrl,
      MEDIA_BLOB_ROOT: blobRoot,
      TMPDIR: workDir,
      ...extraEnv
    }
    let output = ""
    const child: ChildProcess = yield* Effect.acquireRelease(
      Effect.sync(() => spawn(process.execPath, [childScript], { env, stdio: ["ignore", "pipe", "pipe"] })),
      (child) =>
        Effect.sync(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
        }).pipe(Effect.zipRight(killLeftovers(workDir)))
    )
    const collect = (chunk: Buffer) => {
      output += chunk.toString()
    }
    child.stdout?.on("data", collect)
    child.stderr?.on("data", collect)

    const line = (pattern: RegExp) =>
      Effect.async<RegExpExecArray, ChildFailed>((resume) => {
        const check = () => {
          const match = pattern.exec(output)
          if (match !== null) resume(Effect.succeed(match))
        }
        const exited = (code: number | null, signal: string | null) =>
          resume(Effect.fail(new ChildFailed({ reason: `exited (${code ?? signal}) before ${pattern}`, output })))
        child.stdout?.on("data", check)
        child.once("exit", exited)
        check()
        return Effect.sync(() => {
          child.stdout?.off("data", check)
          child.off("exit", exited)
        })
      }).pipe(
        Effect.timeoutFail({
          duration: "30 seconds",
          onTimeout: () => new ChildFailed({ reason: `no ${pattern} within 30 s`, output })
        })
      )

    const kill = Effect.async<string | null>((resume) => {
      if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.succeed(child.signalCode))
      child.once("exit", (_code, signal) => resume(Effect.succeed(signal)))
      child.kill("SIGKILL")
    }).pipe(Effect.tap(() => killLeftovers(workDir)))

    return { line, kill }
  })

/** Pids of this user's processes whose command line mentions `workDir`. */
const processesMentioning = (workDir: string) =>
  Effect.promise(async () => {
    const pids: Array<number> = []
    for (const entry of await readdir("/proc")) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
      const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")
      if (cmdline.includes(workDir)) pids.push(Number(entry))
    }
    return pids
  })

const killLeftovers = (workDir: string) =>
  Effect.flatMap(processesMentioning(workDir), (pids) =>
    Effect.sync(() => {
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL")
        } catch {
          // Already gone.
        }
      }
    })
  )

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

const layer = makeMediaTestLayer(layerFreshPostgres, { blobs: layerBlobs, worker: false, config: LEASE })

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
