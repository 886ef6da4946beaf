// Wiring of the media service: its migrations, repos, libraries, uploads, HLS and image endpoints, worker and outbox relay.
import { layerFromConfig as blobStoreFromConfig } from "@lectern/platform/BlobStoreFromConfig"
import { layerImageRendererFromConfig } from "@lectern/platform/ImageRendererFfmpeg"
import { layerFromConfig as jobQueueFromConfig } from "@lectern/platform/JobQueueFromConfig"
import { jobQueueMigration } from "@lectern/platform/JobQueuePostgres"
import { loadMigrations, migrate } from "@lectern/platform/Migrator"
import { layerRelay, outboxMigration } from "@lectern/platform/Outbox"
import { layerFfmpegFromConfig } from "@lectern/platform/TranscoderFfmpeg"
import { Layer } from "effect"
import { MediaHandlers } from "./Handlers.ts"
import { HlsEndpointLive } from "./HlsServer.ts"
import { ImageReleasesLive } from "./ImageReleases.ts"
import { ImageRepo } from "./ImageRepo.ts"
import { ImagesEndpointLive } from "./ImageServer.ts"
import { ImageLibrary } from "./Images.ts"
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

/** media.images' repo, after the media schema is in place (other services' bridges read images through it). */
export const ImageRepoLive = ImageRepo.Default.pipe(Layer.provide(MediaSchemaLive))

/**
 * The blob store (filesystem or S3), the job queue (Postgres in the media schema, or Redis), the transcoder and the
 * image renderer (FFmpeg) from config.
 */
export const MediaPortsLive = Layer.mergeAll(
  blobStoreFromConfig,
  jobQueueFromConfig({ schema: MEDIA_SCHEMA }).pipe(Layer.provide(MediaSchemaLive)),
  layerFfmpegFromConfig,
  layerImageRendererFromConfig
)

/**
 * The libraries with their repos, over given ports (BlobStore, JobQueue, Transcoder, ImageRenderer) and
 * PlaybackAccess; needs the platform's SqlClient and AccessTokenVerifier.
 */
export const MediaDomainLive = Layer.mergeAll(
  MediaLibrary.Default,
  UploadsEndpointLive,
  HlsEndpointLive,
  ImageLibrary.Default,
  ImagesEndpointLive
).pipe(Layer.provideMerge(Layer.merge(MediaRepoLive, ImageRepoLive)))

/** Handlers for every MediaRpcs tag, the uploads and HLS endpoints, and the image.released consumer, over given ports. */
export const MediaServiceLive = Layer.merge(MediaHandlers, ImageReleasesLive).pipe(Layer.provideMerge(MediaDomainLive))

/** The transcode worker loops of this process, over given ports. */
export const MediaWorkerLive = PipelineWorkerLive.pipe(Layer.provide(MediaRepoLive))

/** Moves media.outbox rows (media.ready, media.failed) to the EventBus. */
export const MediaRelayLive = layerRelay({ schema: MEDIA_SCHEMA }).pipe(Layer.provide(MediaSchemaLive))

/** Everything the media service runs in one process, with its ports from config. */
export const MediaLive = Layer.mergeAll(MediaServiceLive, MediaWorkerLive, MediaRelayLive).pipe(
  Layer.provideMerge(MediaPortsLive)
)
