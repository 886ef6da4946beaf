// Test wiring for media: the service over a fresh database, real FFmpeg, filesystem blobs and the Postgres job queue,
// served over HTTP like the gateway serves it; users with signed tokens; sources generated with FFmpeg's lavfi.
import { execFile } from "node:child_process"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import type { SqlClient } from "@effect/sql"
import { makeLectern } from "@lectern/client"
import { Media as Contract } from "@lectern/contracts"
import { type Role, UserId } from "@lectern/domain"
import { AccessTokenIssuer } from "@lectern/platform/AccessTokens"
import type { BlobStore } from "@lectern/platform/BlobStore"
import { layerFs } from "@lectern/platform/BlobStoreFs"
import { layerMemory as cacheMemory } from "@lectern/platform/CacheMemory"
import { layerMemory as layerEventBusMemory } from "@lectern/platform/EventBusMemory"
import type { JobQueue } from "@lectern/platform/JobQueue"
import { layerPostgres as jobQueuePostgres } from "@lectern/platform/JobQueuePostgres"
import { layerDevOutbox } from "@lectern/platform/MailerDevOutbox"
import { makePlatform, platformReadiness } from "@lectern/platform/Platform"
import { layerMemory as rateLimiterMemory } from "@lectern/platform/RateLimiterMemory"
import { makeRpcHttpHandler } from "@lectern/platform/RpcHttp"
import { serve } from "@lectern/platform/Serve"
import type { Transcoder } from "@lectern/platform/Transcoder"
import { layerFfmpeg } from "@lectern/platform/TranscoderFfmpeg"
import { Clock, ConfigProvider, Effect, Layer } from "effect"
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
    readonly worker?: boolean
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
    jobs,
    layerOwnersOnly
  )
  const service = ports.worker === false ? MediaServiceLive : Layer.merge(MediaServiceLive, MediaWorkerLive)
  return service.pipe(
    Layer.provideMerge(portsLive),
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(MEDIA_TEST_CONFIG))),
    Layer.provideMerge(platform),
    // The worker's loops are forked while the layer builds: they poll and heartbeat on real time, not a test clock.
    Layer.provide(Layer.setClock(Clock.make()))
  )
}

export interface TestUser {
  readonly id: UserId
  readonly role: Role
  readonly token: string
}

export const userWith = (role: Role) =>
  Effect.gen(function* () {
    const issuer = yield* AccessTokenIssuer
    const id = UserId.make(crypto.randomUUID())
    const { token } = yield* issuer.issue({ id, role, sessionId: crypto.randomUUID() })
    return { id, role, token } satisfies TestUser
  })

/** Serves /rpc/media, /media/uploads and /media/hls on a free port; answers the base URL. */
export const serveMedia = Effect.gen(function* () {
  const media = yield* makeRpcHttpHandler(Contract.MediaRpcs)
  const listening = yield* serve({
    rpc: { media },
    http: yield* mediaHttpRoutes,
    readiness: yield* platformReadiness
  }).pipe(
    Effect.withConfigProvider(
      ConfigProvider.fromMap(
        new Map([
          ["PORT", "0"],
          ["HOST", "127.0.0.1"],
          ["ACCESS_LOG", "false"]
        ])
      )
    )
  )
  return listening.url
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
