// Where hosted services ask each other: media asks catalog and learning who may watch a video, learning reads
// catalog's curricula. In one process these are direct calls on the services' layers.

import { Auth } from "@lectern/auth"
import { Catalog as CatalogService } from "@lectern/catalog"
import { UserId } from "@lectern/domain"
import { CatalogReader, LearnerDirectory, Learning } from "@lectern/learning"
import { PlaybackAccess } from "@lectern/media"
import { Effect, Layer, Option } from "effect"

/** Learners' display names for learning's certificates, from auth. */
export const LearnerDirectoryFromAuth = Layer.effect(
  LearnerDirectory,
  Effect.map(Auth, (auth) => ({ displayName: auth.displayName }))
)

/** Learning's view of a course: catalog's published course with its curriculum, as an anonymous viewer sees it. */
export const CatalogReaderFromCatalog = Layer.effect(
  CatalogReader,
  Effect.map(CatalogService, (catalog) => ({
    publishedCourse: (id) =>
      catalog
        .getCourse(undefined, { id })
        .pipe(Effect.option, Effect.map(Option.filter((detail) => detail.course.status === "published"))),
    mayEdit: (user, id) =>
      catalog.getCourse(user, { id }).pipe(
        Effect.map((detail) => detail.canEdit),
        Effect.orElseSucceed(() => false)
      )
  }))
)

/**
 * Media playback for non-owners: anyone may watch a video a published course shows in a preview lesson, and a
 * learner may watch one shown by a published course they are enrolled in.
 */
export const PlaybackAccessFromCatalogAndLearning = Layer.effect(
  PlaybackAccess,
  Effect.gen(function* () {
    const catalog = yield* CatalogService
    const learning = yield* Learning
    return {
      mayWatch: (mediaId, viewerId) =>
        Effect.gen(function* () {
          if (yield* catalog.mediaInPublishedPreview(mediaId)) return true
          if (viewerId === undefined) return false
          const courses = yield* catalog.publishedCoursesShowingMedia(mediaId)
          for (const courseId of courses) {
            if (yield* learning.isEnrolled(UserId.make(viewerId), courseId)) return true
          }
          return false
        })
    }
  })
)
