// The catalog's consumers of other services' events, driven through the real (in-memory) event bus.
import { describe, it } from "@effect/vitest"
import { Events } from "@lectern/contracts"
import { EventBus } from "@lectern/platform/EventBus"
import { eventually } from "@lectern/testkit/SuiteSupport"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { DateTime, Effect, TestServices } from "effect"
import { courseInput, makeCatalogTestLayer, makeClient, publishedCourse, uniqueWord, userWith } from "./fixtures.ts"

const envelope = <T extends Events.EventType>(type: T, payload: unknown, id: string = crypto.randomUUID()) =>
  new Events.EventEnvelope({
    id,
    type,
    version: 1,
    source: "test",
    occurredAt: DateTime.unsafeNow(),
    payload
  })

describe("catalog consumers", () => {
  it.layer(makeCatalogTestLayer(layerFreshPostgres), { timeout: 120_000 })((it) => {
    // Waits poll on the live clock (TestServices.provideLive); the bus retries on it too.
    it.scoped("enrollments and reviews from the bus update the counters once per event", () =>
      TestServices.provideLive(
        Effect.gen(function* () {
          const { client, as } = yield* makeClient
          const bus = yield* EventBus
          const admin = yield* userWith("admin")
          const creator = yield* userWith("creator")
          as(admin)
          const category = yield* client.category.create({ name: uniqueWord("cat") })
          const course = yield* publishedCourse(client, as, { creator, admin }, courseInput(category.id))
          const learner = crypto.randomUUID()
          const enrollment = envelope("enrollment.created", {
            enrollmentId: crypto.randomUUID(),
            courseId: course.id,
            userId: learner
          })
          // At-least-once delivery: the same event twice counts once.
          yield* bus.publish(enrollment)
          yield* bus.publish(enrollment)
          yield* bus.publish(
            envelope("review.created", {
              reviewId: crypto.randomUUID(),
              courseId: course.id,
              userId: learner,
              rating: 5
            })
          )
          const reviewId = crypto.randomUUID()
          yield* bus.publish(
            envelope("review.created", { reviewId, courseId: course.id, userId: creator.id, rating: 4 })
          )
          yield* bus.publish(
            envelope("review.updated", {
              reviewId,
              courseId: course.id,
              userId: creator.id,
              rating: 2,
              previousRating: 4
            })
          )
          yield* eventually(
            "counted",
            client.course
              .get({ id: course.id })
              .pipe(
                Effect.map(
                  ({ course }) =>
                    course.enrollmentCount === 1 && course.ratingCount === 2 && course.ratingAverage === 3.5
                )
              )
          )
          yield* bus.publish(
            envelope("enrollment.cancelled", {
              enrollmentId: crypto.randomUUID(),
              courseId: course.id,
              userId: learner
            })
          )
          yield* eventually(
            "cancelled",
            client.course.get({ id: course.id }).pipe(Effect.map(({ course }) => course.enrollmentCount === 0))
          )
        })
      )
    )
  })
})
