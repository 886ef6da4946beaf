// Test wiring for media: the service over a fresh database, real FFmpeg, filesystem blobs and the Postgres job queue,
// served over HTTP like the gateway serves it; users with signed tokens; sources generated with FFmpeg's lavfi.
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { mkdir, mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { SqlClient } from "@effect/sql"
import { makeLectern } from "@lectern/client"
import { Media as Contract } from "@lectern/contracts"
import type { MediaId } from "@lectern/domain"
import { BlobStore } from "@lectern/platform/BlobStore"
import { layerFs } from "@lectern/platform/BlobStoreFs"
import { layerMemory as cacheMemory } from "@lectern/platform/CacheMemory"
import { layerMemory as layerEventBusMemory } from "@lectern/platform/EventBusMemory"
import type { ImageRenderer } from "@lectern/platform/ImageRenderer"
import { layerImageRendererFfmpeg } from "@lectern/platform/ImageRendererFfmpeg"
import type { JobQueue } from "@lectern/platform/JobQueue"
import { layerPostgres as jobQueuePostgres } from "@lectern/platform/JobQueuePostgres"
import { layerDevOutbox } from "@lectern/platform/MailerDevOutbox"
import { makePlatform } from "@lectern/platform/Platform"
import { layerMemory as rateLimiterMemory } from "@lectern/platform/RateLimiterMemory"
import { makeRpcHttpHandler } from "@lectern/platform/RpcHttp"
import type { Transcoder } from "@lectern/platform/Transcoder"
import { layerFfmpeg } from "@lectern/platform/TranscoderFfmpeg"
import { serveForTest } from "@lectern/testkit/ServeForTest"
import { testPostgresUrl } from "@lectern/testkit/TestDatabase"
import type { TestUser } from "@lectern/testkit/TestUsers"
import { Clock, ConfigProvider, Data, Duration, Effect, Layer, Schedule } from "effect"
import { Parser } from "m3u8-parser"
import * as tus from "tus-js-client"
import { mediaHttpRoutes } from "../src/HttpRoutes.ts"
import { MediaSchemaLive, MediaServiceLive, MediaWorkerLive } from "../src/Layer.ts"
import { layerOwnersOnly } from "../src/PlaybackAccess.ts"
import { MEDIA_SCHEMA } from "../src/Repo.ts"

const run = promisify(execFile)

/** The settings media reads, small enough for tests. */
export const MEDIA_TEST_CONFIG = new Map([
  ["MEDIA_MAX_BYTES", String(64 * 1024 * 1024)],
  ["MEDIA_QUOTA_BYTES", String(256 * 1024 * 1024)],
  ["MEDIA_SIGNING_SECRET", "media-test-secret-media-test-secret"],
  ["MEDIA_JOB_LEASE", "20 seconds"],
  ["TRANSCODE_TIMEOUT", "5 minutes"]
])

/** MEDIA_TEST_CONFIG with `overrides` applied, as a ConfigProvider. */
export const mediaTestConfig = (overrides: Readonly<Record<string, string>> = {}) =>
  ConfigProvider.fromMap(new Map([...MEDIA_TEST_CONFIG, ...Object.entries(overrides)]))

/** A temporary directory for the test's blobs, removed with the layer. */
export const layerTempBlobs = Layer.unwrapScoped(
  Effect.map(
    Effect.acquireRelease(
      Effect.promise(() => mkdtemp(join(tmpdir(), "lectern-media-blobs-"))),
      (root) => Effect.promise(() => rm(root, { recursive: true, force: true }))
    ),
    (root) => layerFs({ root })
  )
)

/**
 * Media over a platform with the cache and bus in memory, the given ports, and a worker in this process. The
 * job queue lives in the media schema of the test database.
 */
export const makeMediaTestLayer = (
  database: Layer.Layer<SqlClient.SqlClient>,
  ports: {
    readonly blobs?: Layer.Layer<BlobStore>
    readonly transcoder?: Layer.Layer<Transcoder>
    readonly imageRenderer?: Layer.Layer<ImageRenderer>
    readonly worker?: boolean
    /** Settings that replace or add to MEDIA_TEST_CONFIG for this layer. */
    readonly config?: Readonly<Record<string, string>>
  } = {}
) => {
  const platform = Layer.merge(
    makePlatform({ database, cache: Layer.merge(cacheMemory, rateLimiterMemory), mailer: layerDevOutbox }),
    layerEventBusMemory
  )
  const jobs: Layer.Layer<JobQueue, never, SqlClient.SqlClient> = jobQueuePostgres({ schema: MEDIA_SCHEMA }).pipe(
    Layer.provide(MediaSchemaLive)
  )
  const portsLive = Layer.mergeAll(
    ports.blobs ?? layerTempBlobs,
    ports.transcoder ?? layerFfmpeg(),
    ports.imageRenderer ?? layerImageRendererFfmpeg(),
    jobs,
    layerOwnersOnly
  )
  const service = ports.worker === false ? MediaServiceLive : Layer.merge(MediaServiceLive, MediaWorkerLive)
  return service.pipe(
    Layer.provideMerge(portsLive),
    Layer.provide(Layer.setConfigProvider(mediaTestConfig(ports.config))),
    Layer.provideMerge(platform),
    // The worker's loops are forked while the layer builds: they poll and heartbeat on real time, not a test clock.
    Layer.provide(Layer.setClock(Clock.make()))
  )
}

export { type TestUser, userWith } from "@lectern/testkit/TestUsers"

/** Serves /rpc/media, /media/uploads and /media/hls on a free port; answers the base URL. */
export const serveMedia = Effect.gen(function* () {
  const media = yield* makeRpcHttpHandler(Contract.MediaRpcs)
  return yield* serveForTest({ rpc: { media }, http: yield* mediaHttpRoutes })
})

/** A typed HTTP client calling as `user` (or anonymously). */
export const clientAs = (url: string, user: TestUser | undefined) =>
  makeLectern({ baseUrl: url, accessToken: user?.token }).pipe(Effect.map((lectern) => lectern.media))

/** Writes a test source with FFmpeg's lavfi: a moving test pattern and a tone, `seconds` long at `height`p. */
export const generateSource = (
  path: string,
  options: { readonly seconds: number; readonly width: number; readonly height: number; readonly audio?: boolean }
) =>
  Effect.promise(() =>
    run("ffmpeg", [
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      `testsrc2=size=${options.width}x${options.height}:rate=25:duration=${options.seconds}`,
      ...(options.audio === false
        ? []
        : ["-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${options.seconds}`]),
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-pix_fmt",
      "yuv420p",
      ...(options.audio === false ? [] : ["-c:a", "aac", "-b:a", "96k"]),
      "-shortest",
      path
    ])
  ).pipe(Effect.asVoid)

/** A scoped temporary directory. */
export const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "lectern-media-test-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

/** The media client `clientAs` answers. */
export type MediaClient = Effect.Effect.Success<ReturnType<typeof clientAs>>

/** Uploads `bytes` with tus-js-client as the holder of `token`; answers the upload id (the last segment of its URL). */
export const tusUpload = (
  url: string,
  token: string,
  bytes: Buffer,
  options: { readonly chunkSize?: number; readonly filename?: string } = {}
) =>
  Effect.async<string, Error>((resume) => {
    const upload = new tus.Upload(bytes, {
      endpoint: `${url}/media/uploads`,
      headers: { authorization: `Bearer ${token}` },
      metadata: { filename: options.filename ?? "source.mp4" },
      retryDelays: [],
      ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }),
      onError: (error) => resume(Effect.fail(error)),
      onSuccess: () => resume(Effect.succeed(upload.url?.split("/").pop() ?? ""))
    })
    upload.start()
  })

/** Polls media.get until the media is ready or failed (or `deadline` passes); answers it. */
export const settled = (client: MediaClient, id: MediaId, deadline: Duration.DurationInput = "60 seconds") =>
  client.media.get({ id }).pipe(
    Effect.flatMap((media) =>
      media.status === "ready" || media.status === "failed" ? Effect.succeed(media) : Effect.fail("pending" as const)
    ),
    Effect.retry({ while: (error) => error === "pending", schedule: Schedule.spaced("200 millis") }),
    Effect.timeoutFail({
      duration: deadline,
      onTimeout: () => new Error(`media ${id} was neither ready nor failed within ${Duration.format(deadline)}`)
    })
  )

/** A GET with `fetch`: status, headers and body bytes. */
export const fetchBytes = (url: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, { headers })
    return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) }
  })

/** An HLS playlist parsed with m3u8-parser. */
export const parseManifest = (text: string) => {
  const parser = new Parser()
  parser.push(text)
  parser.end()
  return parser.manifest
}

/** The keys of every object under `prefix` in the layer's BlobStore. */
export const blobKeys = (prefix: string) =>
  Effect.flatMap(BlobStore, (blobs) => blobs.list(prefix)).pipe(
    Effect.map((infos) => infos.map((info) => info.key)),
    Effect.orDie
  )

// ---------------------------------------------------------------- a transcode worker in another process

/** Filesystem blobs in `root` (created, and removed with the layer): a directory another process can be told about. */
export const layerBlobsIn = (root: string) =>
  Layer.unwrapScoped(
    Effect.acquireRelease(
      Effect.promise(() => mkdir(root, { recursive: true })),
      () => Effect.promise(() => rm(root, { recursive: true, force: true }))
    ).pipe(Effect.as(Layer.orDie(layerFs({ root }))))
  )

/** Starts this process's transcode worker (MediaWorkerLive) in the current scope, with `config` over the test's. */
export const startWorkerHere = (config: Readonly<Record<string, string>> = {}) =>
  Layer.build(MediaWorkerLive.pipe(Layer.provide(Layer.setConfigProvider(mediaTestConfig(config)))))

/** The URL of the layer's own database (fresh, so only the server's URL says where it is). */
export const testDatabaseUrl = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const [row] = yield* sql<{ readonly name: string }>`SELECT current_database() AS name`.pipe(Effect.orDie)
  const url = new URL(yield* testPostgresUrl)
  url.pathname = `/${row?.name}`
  return url.toString()
})

export class WorkerChildFailed extends Data.TaggedError("WorkerChildFailed")<{
  readonly reason: string
  readonly output: string
}> {}

const workerChildScript = new URL("./fixtures/media-worker-child.ts", import.meta.url).pathname

/** Pids of the processes whose command line mentions `text`, or whose working directory is under it. */
const processesMentioning = (text: string) =>
  Effect.promise(async () => {
    const pids: Array<number> = []
    for (const entry of await readdir("/proc")) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue
      const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")
      const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => "")
      if (cmdline.includes(text) || cwd.startsWith(text)) pids.push(Number(entry))
    }
    return pids
  })

/** SIGKILLs, by pid, the processes working in `workDir` (a killed worker's FFmpeg). */
const killProcessesIn = (workDir: string) =>
  Effect.flatMap(processesMentioning(workDir), (pids) =>
    Effect.sync(() => {
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL")
        } catch {
          // It exited meanwhile.
        }
      }
    })
  )

/**
 * Runs fixtures/media-worker-child.ts against the layer's database and the blobs in `blobRoot`, with its temporary
 * files in `workDir` and MEDIA_TEST_CONFIG plus `env` as its settings. `line` waits for an output line matching
 * `pattern`; `kill` SIGKILLs the child and checks that no process still works in `workDir` (its FFmpeg must die
 * with it). The child, and anything left in `workDir`, are killed when the scope closes.
 */
export const startWorkerChild = (options: {
  readonly blobRoot: string
  readonly workDir: string
  readonly env?: Readonly<Record<string, string>>
}) =>
  Effect.gen(function* () {
    const env = {
      ...process.env,
      ...Object.fromEntries(MEDIA_TEST_CONFIG),
      ...options.env,
      MEDIA_DATABASE_URL: yield* testDatabaseUrl,
      MEDIA_BLOB_ROOT: options.blobRoot,
      TMPDIR: options.workDir
    }
    let output = ""
    const child: ChildProcess = yield* Effect.acquireRelease(
      Effect.sync(() => spawn(process.execPath, [workerChildScript], { env, stdio: ["ignore", "pipe", "pipe"] })),
      (child) =>
        Effect.sync(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
        }).pipe(Effect.zipRight(killProcessesIn(options.workDir)))
    )
    const collect = (chunk: Buffer) => {
      output += chunk.toString()
    }
    child.stdout?.on("data", collect)
    child.stderr?.on("data", collect)

    const line = (pattern: RegExp) =>
      Effect.async<RegExpExecArray, WorkerChildFailed>((resume) => {
        const check = () => {
          const match = pattern.exec(output)
          if (match !== null) resume(Effect.succeed(match))
        }
        const exited = (code: number | null, signal: string | null) =>
          resume(Effect.fail(new WorkerChildFailed({ reason: `exited (${code ?? signal}) before ${pattern}`, output })))
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
          onTimeout: () => new WorkerChildFailed({ reason: `no ${pattern} within 30 s`, output })
        })
      )

    const kill = Effect.async<string | null>((resume) => {
      if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.succeed(child.signalCode))
      child.once("exit", (_code, signal) => resume(Effect.succeed(signal)))
      child.kill("SIGKILL")
    }).pipe(
      // The FFmpeg it ran dies with it (the kernel's parent-death signal, set through setpriv): nothing works on.
      Effect.tap(() =>
        processesMentioning(options.workDir).pipe(
          Effect.flatMap((pids) =>
            pids.length === 0 ? Effect.void : Effect.fail(`processes still working in ${options.workDir}: ${pids}`)
          ),
          // At once (the kernel kills it with its parent): an orphan would still be encoding.
          Effect.retry({ times: 4, schedule: Schedule.spaced("50 millis") }),
          Effect.orDie
        )
      )
    )

    return { line, kill }
  })
