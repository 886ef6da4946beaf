// Wiring of the media service: its migrations, repo, library, uploads and HLS endpoints, worker and outbox relay.
import { layerFromConfig as blobStoreFromConfig } from "@lectern/platform/BlobStoreFromConfig"
import { layerFromConfig as jobQueueFromConfig } from "@lectern/platform/JobQueueFromConfig"
import { jobQueueMigration } from "@lectern/platform/JobQueuePostgres"
import { loadMigrations, migrate } from "@lectern/platform/Migrator"
import { layerRelay, outboxMigration } from "@lectern/platform/Outbox"
import { layerFfmpegFromConfig } from "@lectern/platform/TranscoderFfmpeg"
import { Layer } from "effect"
import { MediaHandlers } from "./Handlers.ts"
import { HlsEndpointLive } from "./HlsServer.ts"
import { MediaLibrary } from "./MediaLibrary.ts"
import { PipelineWorkerLive } from "./Pipeline.ts"
import { MEDIA_SCHEMA, MediaRepo } from "./Repo.ts"
import { UploadsEndpointLive } from "./Uploads.ts"

/** The media schema's migrations: its SQL files, then the platform's outbox (2) and job queue (3). */
export const MediaMigrations = {
  schema: MEDIA_SCHEMA,
  migrations: [
    ...loadMigrations(new URL("../migrations/", import.meta.url)),
    outboxMigration(MEDIA_SCHEMA, 2),
    jobQueueMigration(MEDIA_SCHEMA, 3)
  ].sort((a, b) => a.id - b.id)
}

export const MediaSchemaLive = Layer.effectDiscard(migrate(MediaMigrations))

const MediaRepoLive = MediaRepo.Default.pipe(Layer.provide(MediaSchemaLive))

/** The blob store (filesystem or S3) and the job queue (Postgres in the media schema, or Redis) from config. */
export const MediaPortsLive = Layer.mergeAll(
  blobStoreFromConfig,
  jobQueueFromConfig({ schema: MEDIA_SCHEMA }).pipe(Layer.provide(MediaSchemaLive)),
  layerFfmpegFromConfig
)

/**
 * The library with its repo, over given ports (BlobStore, JobQueue, Transcoder) and PlaybackAccess; needs the
 * platform's SqlClient and AccessTokenVerifier.
 */
export const MediaDomainLive = Layer.mergeAll(MediaLibrary.Default, UploadsEndpointLive, HlsEndpointLive).pipe(
  Layer.provideMerge(MediaRepoLive)
)

/** Handlers for every MediaRpcs tag, the uploads and HLS endpoints, over given ports. */
export const MediaServiceLive = MediaHandlers.pipe(Layer.provideMerge(MediaDomainLive))

/** The transcode worker loops of this process, over given ports. */
export const MediaWorkerLive = PipelineWorkerLive.pipe(Layer.provide(MediaRepoLive))

/** Moves media.outbox rows (media.ready, media.failed) to the EventBus. */
export const MediaRelayLive = layerRelay({ schema: MEDIA_SCHEMA }).pipe(Layer.provide(MediaSchemaLive))

/** Everything the media service runs in one process, with its ports from config. */
export const MediaLive = Layer.mergeAll(MediaServiceLive, MediaWorkerLive, MediaRelayLive).pipe(
  Layer.provideMerge(MediaPortsLive)
)
