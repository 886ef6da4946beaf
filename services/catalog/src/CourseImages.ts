// The CourseImages port: pictures a course may show as its thumbnail, which media keeps. Optional: the gateway
// provides it from media in the same process (services/gateway/src/Bridges.ts); without it no thumbnail can be set.
import type { Catalog } from "@lectern/contracts"
import type { ImageId, UserId } from "@lectern/domain"
import { Context, type Effect, type Option } from "effect"

export interface CourseImagesService {
  /** A live image's owner and the URLs of its renders; none for an unknown or deleted image. */
  readonly image: (
    id: ImageId
  ) => Effect.Effect<Option.Option<{ readonly ownerId: UserId; readonly urls: Catalog.CourseThumbnail }>>
}

export class CourseImages extends Context.Tag("@lectern/catalog/CourseImages")<CourseImages, CourseImagesService>() {}
