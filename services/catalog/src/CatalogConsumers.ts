// What the catalog keeps from other services' events: enrollment and rating counters, lessons' media state, and
// thumbnails whose image media deleted.
import { Events } from "@lectern/contracts"
import { EventBus } from "@lectern/platform/EventBus"
import { Effect, Layer, Schema } from "effect"
import { Catalog, type CounterEvent } from "./Catalog.ts"

export const COUNTERS_GROUP = "catalog-counters"

/** The counter change an event means, or undefined for an event this consumer does not handle. */
const counterChange = (event: Events.EventEnvelope) => {
  const base = (courseId: CounterEvent["courseId"]) => ({ eventId: event.id, courseId })
  switch (event.type) {
    case "enrollment.created":
      return Schema.decodeUnknown(Events.EnrollmentCreated)(event.payload).pipe(
        Effect.map((p): CounterEvent => ({ ...base(p.courseId), enrollmentDelta: 1 }))
      )
    case "enrollment.cancelled":
      return Schema.decodeUnknown(Events.EnrollmentCancelled)(event.payload).pipe(
        Effect.map((p): CounterEvent => ({ ...base(p.courseId), enrollmentDelta: -1 }))
      )
    case "review.created":
      return Schema.decodeUnknown(Events.ReviewCreated)(event.payload).pipe(
        Effect.map((p): CounterEvent => ({ ...base(p.courseId), ratingAdded: p.rating }))
      )
    case "review.updated":
      return Schema.decodeUnknown(Events.ReviewUpdated)(event.payload).pipe(
        Effect.map(
          (p): CounterEvent => ({ ...base(p.courseId), ratingAdded: p.rating, ratingRemoved: p.previousRating })
        )
      )
    case "review.deleted":
      return Schema.decodeUnknown(Events.ReviewDeleted)(event.payload).pipe(
        Effect.map((p): CounterEvent => ({ ...base(p.courseId), ratingRemoved: p.rating }))
      )
    default:
      return undefined
  }
}

/**
 * Subscribes the catalog to enrollments, reviews, media outcomes and deleted images. Each applies once per event id (the catalog
 * records processed ids in the same transaction), so redelivery changes nothing; a payload that does not decode
 * fails the delivery and ends, after the bus's retries, in the dead letters for an admin to see.
 */
export const CatalogConsumersLive = Layer.scopedDiscard(
  Effect.gen(function* () {
    const bus = yield* EventBus
    const catalog = yield* Catalog
    yield* bus.subscribe(
      {
        group: COUNTERS_GROUP,
        types: [
          "enrollment.created",
          "enrollment.cancelled",
          "review.created",
          "review.updated",
          "review.deleted",
          "media.ready",
          "media.failed",
          "image.deleted"
        ]
      },
      (event) => {
        if (event.type === "media.ready") {
          return Schema.decodeUnknown(Events.MediaReady)(event.payload).pipe(
            Effect.flatMap((p) =>
              catalog.applyMediaEvent({
                eventId: event.id,
                mediaId: p.mediaId,
                ready: true,
                durationSeconds: Math.round(p.durationSeconds)
              })
            )
          )
        }
        if (event.type === "media.failed") {
          return Schema.decodeUnknown(Events.MediaFailed)(event.payload).pipe(
            Effect.flatMap((p) => catalog.applyMediaEvent({ eventId: event.id, mediaId: p.mediaId, ready: false }))
          )
        }
        if (event.type === "image.deleted") {
          return Schema.decodeUnknown(Events.ImageDeleted)(event.payload).pipe(
            Effect.flatMap((p) => catalog.applyImageDeleted({ eventId: event.id, imageId: p.imageId }))
          )
        }
        const change = counterChange(event)
        return change === undefined ? Effect.void : Effect.flatMap(change, catalog.applyCounterEvent)
      }
    )
  })
)
