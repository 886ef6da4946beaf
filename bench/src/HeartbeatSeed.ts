// The heartbeat bench's world, made through the gateway as people would: a published course with one video lesson of
// known length, and learners who signed up and enrolled. Only media's `media.ready` is told to catalog directly.
import { Catalog } from "@lectern/catalog"
import { layer as catalogCacheLayer } from "@lectern/catalog/CatalogCache"
import { CatalogRepo } from "@lectern/catalog/Repo"
import { makeLectern } from "@lectern/client"
import { type CourseId, type LessonId, MediaId } from "@lectern/domain"
import { layerMemory as cacheMemory } from "@lectern/platform/CacheMemory"
import { layerPostgres } from "@lectern/platform/Database"
import { Effect, Layer, Redacted } from "effect"
import { type SignedUp, signUp } from "./StockClient.ts"
import { logIn } from "./servers/MediaClient.ts"

export interface HeartbeatCourse {
  readonly courseId: CourseId
  readonly lessonId: LessonId
}

/**
 * What media's worker tells catalog when a transcode is done (`media.ready` with the probed duration), applied by
 * catalog's own `applyMediaEvent` on the bench database: the bench does not transcode a video to get a duration.
 */
const reportMediaReady = (databaseUrl: string, mediaId: MediaId, durationSeconds: number) => {
  // The bare service (as SearchSql.ts builds it): no relays or consumers of its own beside the gateway's.
  const CatalogOnly = Catalog.Default.pipe(
    Layer.provide(catalogCacheLayer({ ttl: 0 })),
    Layer.provide(CatalogRepo.Default),
    Layer.provide(cacheMemory),
    Layer.provide(layerPostgres({ url: Redacted.make(databaseUrl), maxConnections: 2 }))
  )
  return Effect.runPromise(
    Effect.flatMap(Catalog, (catalog) =>
      catalog.applyMediaEvent({ eventId: crypto.randomUUID(), mediaId, ready: true, durationSeconds })
    ).pipe(Effect.scoped, Effect.provide(CatalogOnly))
  )
}

/** The gateway's bootstrap admin creates, files and approves a free course with one `durationSeconds` video. */
export const publishVideoCourse = async (options: {
  readonly gatewayUrl: string
  readonly databaseUrl: string
  readonly admin: { readonly email: string; readonly password: string }
  readonly durationSeconds: number
}): Promise<HeartbeatCourse> => {
  const token = await logIn(options.gatewayUrl, options.admin.email, options.admin.password)
  const mediaId = MediaId.make(crypto.randomUUID())
  const draft = await Effect.runPromise(
    Effect.gen(function* () {
      const lectern = yield* makeLectern({ baseUrl: options.gatewayUrl, accessToken: token })
      const category = yield* lectern.catalog.category.create({ name: "Heartbeat bench" })
      const course = yield* lectern.catalog.course.create({
        title: "Watching at scale",
        description: "One video lesson, watched by many learners at once.",
        categoryId: category.id,
        level: "beginner",
        language: "en",
        price: { amount: 0, currency: "EUR" },
        tags: []
      })
      const section = yield* lectern.catalog.section.create({ courseId: course.id, title: "The lesson" })
      const lesson = yield* lectern.catalog.lesson.create({
        sectionId: section.id,
        title: "The video",
        content: { kind: "video", mediaId }
      })
      return { courseId: course.id, lessonId: lesson.id }
    }).pipe(Effect.scoped)
  )
  await reportMediaReady(options.databaseUrl, mediaId, options.durationSeconds)
  await Effect.runPromise(
    Effect.gen(function* () {
      const lectern = yield* makeLectern({ baseUrl: options.gatewayUrl, accessToken: token })
      yield* lectern.catalog.course.submitForReview({ id: draft.courseId })
      yield* lectern.catalog.course.review({ id: draft.courseId, decision: "approve", feedback: "" })
    }).pipe(Effect.scoped)
  )
  return draft
}

/** `count` learners signed up through the gateway (`concurrency` at a time) and enrolled in `courseId`. */
export const enrolledLearners = async (options: {
  readonly gatewayUrl: string
  readonly courseId: CourseId
  readonly count: number
  readonly concurrency: number
  readonly prefix: string
}): Promise<ReadonlyArray<SignedUp>> => {
  const learners: Array<SignedUp> = []
  let next = 0
  const worker = async () => {
    for (let index = next++; index < options.count; index = next++) {
      const learner = await signUp(
        options.gatewayUrl,
        `${options.prefix}.${index}@example.com`,
        "heartbeat bench passphrase 42"
      )
      await Effect.runPromise(
        Effect.gen(function* () {
          const lectern = yield* makeLectern({ baseUrl: options.gatewayUrl, accessToken: learner.accessToken })
          yield* lectern.learning.enrollment.enroll({ courseId: options.courseId })
        }).pipe(Effect.scoped)
      )
      learners[index] = learner
    }
  }
  await Promise.all(Array.from({ length: options.concurrency }, worker))
  return learners
}
