// Media's consumer of catalog's `image.released`: an image no course shows any more is deleted, so replaced and
// cleared thumbnails do not stay in storage forever.
import { Events } from "@lectern/contracts"
import { EventBus } from "@lectern/platform/EventBus"
import { Effect, Layer, Schema } from "effect"
import { ImageLibrary } from "./Images.ts"

export const IMAGE_RELEASES_GROUP = "media-image-releases"

/**
 * Subscribes media to `image.released`. Deleting is idempotent, so a redelivery changes nothing; a payload that does
 * not decode fails the delivery and ends, after the bus's retries, in the dead letters.
 */
export const ImageReleasesLive = Layer.scopedDiscard(
  Effect.gen(function* () {
    const bus = yield* EventBus
    const library = yield* ImageLibrary
    yield* bus.subscribe({ group: IMAGE_RELEASES_GROUP, types: ["image.released"] }, (event) =>
      Schema.decodeUnknown(Events.ImageReleased)(event.payload).pipe(
        Effect.flatMap((released) => library.release(released.imageId))
      )
    )
  })
)
