// What learning keeps from catalog's events: its snapshot of each course's curriculum and lesson durations.
import { Events } from "@lectern/contracts"
import { EventBus } from "@lectern/platform/EventBus"
import { Effect, Layer, Schema } from "effect"
import { Learning } from "./Learning.ts"

export const CURRICULUM_GROUP = "learning-curriculum"

const CourseRef = Schema.Struct({ courseId: Events.CoursePublished.fields.courseId })

/**
 * Any change to a course — published, unpublished, updated, deleted, a lesson changed (including catalog applying
 * `media.ready` to a lesson's duration) — refreshes learning's snapshot from catalog's current view. A refresh reads
 * the present state, so a redelivered or reordered event changes nothing more.
 */
export const LearningConsumersLive = Layer.scopedDiscard(
  Effect.gen(function* () {
    const bus = yield* EventBus
    const learning = yield* Learning
    yield* bus.subscribe(
      {
        group: CURRICULUM_GROUP,
        types: ["course.published", "course.unpublished", "course.updated", "course.deleted", "lesson.changed"]
      },
      (event) =>
        Schema.decodeUnknown(CourseRef)(event.payload).pipe(
          Effect.flatMap((ref) => learning.refreshCourse(ref.courseId)),
          Effect.asVoid
        )
    )
  })
)
