// @lectern/media: the media service — uploads, the transcode pipeline, signed HLS playback and captions.
export { MediaHandlers } from "./Handlers.ts"
export { BufferPool, ByteLru, HLS_PATH, HlsEndpoint, HlsEndpointLive, parseRange } from "./HlsServer.ts"
export { mediaHttpRoutes, mediaReadiness } from "./HttpRoutes.ts"
export { ImageRepo } from "./ImageRepo.ts"
export { IMAGE_CACHE_CONTROL, ImagesEndpoint, ImagesEndpointLive, parseImagePath } from "./ImageServer.ts"
export {
  IMAGE_RENDER_NAMES,
  IMAGES_PATH,
  ImageLibrary,
  ImageSettings,
  imageKey,
  imageLookup,
  imagePrefix,
  imageUrls
} from "./Images.ts"
export {
  ImageRepoLive,
  MediaDomainLive,
  MediaLive,
  MediaMigrations,
  MediaPortsLive,
  MediaRelayLive,
  MediaSchemaLive,
  MediaServiceLive,
  MediaWorkerLive
} from "./Layer.ts"
export { MediaLibrary, MediaSettings, TRANSCODE_QUEUE } from "./MediaLibrary.ts"
export { PipelineWorkerLive, requeueUnfinished, transcodeJob } from "./Pipeline.ts"
export { layerOwnersOnly, PlaybackAccess, type PlaybackAccessService } from "./PlaybackAccess.ts"
export * from "./PlaybackSigning.ts"
export { MEDIA_SCHEMA, MediaRepo } from "./Repo.ts"
export { UPLOADS_PATH, UploadSettings, UploadsEndpoint, UploadsEndpointLive } from "./Uploads.ts"
