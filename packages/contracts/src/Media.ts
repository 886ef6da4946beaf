// MediaRpcs: uploaded videos and their transcodes, signed playback, captions, images, embeds — media's contract.
//
// Uploads themselves are not RPCs: they go to `/media/uploads` with the tus protocol (resumable), and the upload id
// tus returns is what `media.create`, `caption.upload` and `image.create` take. Playback URLs point at `/media/hls/…`,
// image URLs at `/media/images/…` (public).
import { Rpc, RpcGroup } from "@effect/rpc"
import {
  CourseId,
  Cursor,
  Forbidden,
  ImageId,
  InvalidCursor,
  InvalidInput,
  MediaId,
  PageLimit,
  UserId
} from "@lectern/domain"
import { Schema } from "effect"
import { EmbedProvider, Title } from "./Catalog.ts"
import { Authentication, Viewer } from "./Middleware.ts"
import { strict } from "./Strict.ts"

/** The id the tus server gave an upload (the last segment of its Location URL). */
export const UploadId = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9_-]{8,64}$/, { message: () => "an upload id is 8–64 letters, digits, _ or -" })
)

export const MediaStatus = Schema.Literal("probing", "queued", "processing", "ready", "failed")
export type MediaStatus = typeof MediaStatus.Type

export const RungName = Schema.Literal("360p", "720p", "1080p")

export const Rendition = Schema.Struct({
  name: RungName,
  width: Schema.Int,
  height: Schema.Int,
  /** Peak bits per second, as in the master playlist. */
  bandwidth: Schema.Int,
  codecs: Schema.String
})
export type Rendition = typeof Rendition.Type

/** A BCP 47 language tag such as `en`, `pt-BR`, `zh-Hant`. */
export const CaptionLanguage = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/, {
    message: () => "a caption language is a BCP 47 tag such as en or pt-BR"
  })
)
export const CaptionLabel = Schema.Trim.pipe(Schema.minLength(1), Schema.maxLength(80))

export const Caption = Schema.Struct({ language: CaptionLanguage, label: CaptionLabel })
export type Caption = typeof Caption.Type

export class Media extends Schema.Class<Media>("Media")({
  id: MediaId,
  ownerId: UserId,
  title: Schema.String,
  courseId: Schema.NullOr(CourseId),
  status: MediaStatus,
  /** 0–100 while processing; 100 when ready. */
  progress: Schema.Int,
  sizeBytes: Schema.Int,
  durationSeconds: Schema.NullOr(Schema.Number),
  width: Schema.NullOr(Schema.Int),
  height: Schema.NullOr(Schema.Int),
  renditions: Schema.Array(Rendition),
  captions: Schema.Array(Caption),
  /** Why the last attempt failed (the creator can act on it), or null. */
  error: Schema.NullOr(Schema.String),
  createdAt: Schema.DateTimeUtc,
  updatedAt: Schema.DateTimeUtc
}) {}

export const MediaPage = Schema.Struct({ items: Schema.Array(Media), nextCursor: Schema.NullOr(Cursor) })

export const PlaybackCaption = Schema.Struct({ language: CaptionLanguage, label: Schema.String, url: Schema.String })

export class Playback extends Schema.Class<Playback>("Playback")({
  mediaId: MediaId,
  /** The HLS master playlist; every URL below it carries the same signature in its path. */
  masterUrl: Schema.String,
  posterUrl: Schema.String,
  thumbnailsVttUrl: Schema.String,
  captions: Schema.Array(PlaybackCaption),
  expiresAt: Schema.DateTimeUtc
}) {}

export const ResolvedEmbed = Schema.Struct({
  provider: EmbedProvider,
  videoId: Schema.String,
  embedUrl: Schema.String,
  /** Null for Vimeo, whose stills need its oEmbed API. */
  thumbnailUrl: Schema.NullOr(Schema.String)
})

/** The renders every image gets: cover-cropped 16:9 JPEGs, without the source's metadata. */
export const IMAGE_RENDERS = {
  small: { width: 480, height: 270 },
  large: { width: 1280, height: 720 }
} as const
export type ImageRenderName = keyof typeof IMAGE_RENDERS

/** Public URLs of an image's renders (immutable: a new picture is a new image). */
export const ImageUrls = Schema.Struct({ small: Schema.String, large: Schema.String })
export type ImageUrls = typeof ImageUrls.Type

export class Image extends Schema.Class<Image>("Image")({
  id: ImageId,
  /** The uploaded picture's size; the renders have the sizes of IMAGE_RENDERS. */
  width: Schema.Int,
  height: Schema.Int,
  urls: ImageUrls
}) {}

// ---------------------------------------------------------------- errors

export class MediaNotFound extends Schema.TaggedError<MediaNotFound>()("MediaNotFound", {
  /** A media the caller may not see is not found either. */
  id: Schema.String
}) {}

export class UploadNotFound extends Schema.TaggedError<UploadNotFound>()("UploadNotFound", {
  uploadId: Schema.String
}) {}

/** The upload has not received all its bytes yet: resume it, then try again. */
export class UploadIncomplete extends Schema.TaggedError<UploadIncomplete>()("UploadIncomplete", {
  uploadId: Schema.String,
  offset: Schema.Number,
  length: Schema.NullOr(Schema.Number)
}) {}

/** The file is not a video (or, for `image.create`, a picture) Lectern accepts; `reason` says why. */
export class InvalidMedia extends Schema.TaggedError<InvalidMedia>()("InvalidMedia", {
  reason: Schema.String
}) {}

/** A retry of a media that has not failed. */
export class MediaNotRetryable extends Schema.TaggedError<MediaNotRetryable>()("MediaNotRetryable", {
  id: Schema.String,
  status: MediaStatus
}) {}

export class InvalidCaption extends Schema.TaggedError<InvalidCaption>()("InvalidCaption", {
  reason: Schema.String
}) {}

export class CaptionNotFound extends Schema.TaggedError<CaptionNotFound>()("CaptionNotFound", {
  mediaId: Schema.String,
  language: Schema.String
}) {}

/** The media is not ready to play yet (or failed). */
export class MediaNotReady extends Schema.TaggedError<MediaNotReady>()("MediaNotReady", {
  id: Schema.String,
  status: MediaStatus
}) {}

export class ImageNotFound extends Schema.TaggedError<ImageNotFound>()("ImageNotFound", {
  /** An image the caller may not manage is not found either. */
  id: Schema.String
}) {}

export class EmbedNotSupported extends Schema.TaggedError<EmbedNotSupported>()("EmbedNotSupported", {
  message: Schema.String
}) {}

// ---------------------------------------------------------------- RPCs

/** Calls anyone may make; the Viewer middleware knows the caller when a token is sent. */
export class MediaPublicRpcs extends RpcGroup.make(
  Rpc.make("media.playback", {
    payload: strict({ mediaId: MediaId }),
    success: Playback,
    error: Schema.Union(InvalidInput, MediaNotFound, MediaNotReady)
  }),
  Rpc.make("embed.resolve", {
    payload: strict({ url: Schema.String.pipe(Schema.maxLength(2048)) }),
    success: ResolvedEmbed,
    error: Schema.Union(InvalidInput, EmbedNotSupported)
  })
).middleware(Viewer) {}

/** Calls that need a valid access token; creating media needs the creator or admin role. */
export class MediaUserRpcs extends RpcGroup.make(
  Rpc.make("media.create", {
    payload: strict({ uploadId: UploadId, title: Title, courseId: Schema.optional(CourseId) }),
    success: Media,
    error: Schema.Union(InvalidInput, Forbidden, UploadNotFound, UploadIncomplete, InvalidMedia)
  }),
  Rpc.make("media.get", {
    payload: strict({ id: MediaId }),
    success: Media,
    error: Schema.Union(InvalidInput, MediaNotFound)
  }),
  Rpc.make("media.list", {
    payload: strict({ cursor: Schema.optional(Cursor), limit: Schema.optional(PageLimit) }),
    success: MediaPage,
    error: Schema.Union(InvalidInput, InvalidCursor)
  }),
  Rpc.make("media.retry", {
    payload: strict({ id: MediaId }),
    success: Media,
    error: Schema.Union(InvalidInput, Forbidden, MediaNotFound, MediaNotRetryable)
  }),
  Rpc.make("media.delete", {
    payload: strict({ id: MediaId }),
    error: Schema.Union(InvalidInput, Forbidden, MediaNotFound)
  }),
  Rpc.make("caption.upload", {
    payload: strict({ mediaId: MediaId, language: CaptionLanguage, label: CaptionLabel, uploadId: UploadId }),
    success: Media,
    error: Schema.Union(InvalidInput, Forbidden, MediaNotFound, UploadNotFound, UploadIncomplete, InvalidCaption)
  }),
  Rpc.make("caption.delete", {
    payload: strict({ mediaId: MediaId, language: CaptionLanguage }),
    success: Media,
    error: Schema.Union(InvalidInput, Forbidden, MediaNotFound, CaptionNotFound)
  }),
  /**
   * Creators and admins: a complete upload of the caller's becomes an image (a JPEG, PNG or WebP picture of at most
   * 8192×8192 and MEDIA_IMAGE_MAX_BYTES), rendered as the JPEGs of IMAGE_RENDERS and served publicly.
   */
  Rpc.make("image.create", {
    payload: strict({ uploadId: UploadId }),
    success: Image,
    error: Schema.Union(InvalidInput, Forbidden, UploadNotFound, UploadIncomplete, InvalidMedia)
  }),
  /** The owner or an admin: the image and its renders go; courses showing it lose their thumbnail. */
  Rpc.make("image.delete", {
    payload: strict({ id: ImageId }),
    error: Schema.Union(InvalidInput, ImageNotFound)
  })
).middleware(Authentication) {}

/** The whole media service: `client.media.create(...)`, `client.media.playback(...)`, … */
export class MediaRpcs extends MediaPublicRpcs.merge(MediaUserRpcs) {}
