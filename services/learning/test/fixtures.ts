// Test wiring for learning: learning over the real catalog (and auth) on one platform with a fresh database, users
// with tokens, a published course with a video and an article lesson, and raw HTTP calls for hostile input.
import type { SqlClient } from "@effect/sql"
import { AuthLive } from "@lectern/auth"
import { Catalog, makeCatalogLive } from "@lectern/catalog"
import { layer as layerCatalogCache } from "@lectern/catalog/CatalogCache"
import { makeInProcessClient } from "@lectern/client"
import { Catalog as CatalogContract, Learning as Contract } from "@lectern/contracts"
import { MediaId } from "@lectern/domain"
import { CatalogReaderFromCatalog, LearnerDirectoryFromAuth } from "@lectern/gateway/Bridges"
import { layerMemory as cacheMemory } from "@lectern/platform/CacheMemory"
import { layerMemory as layerEventBusMemory } from "@lectern/platform/EventBusMemory"
import { layerDevOutbox } from "@lectern/platform/MailerDevOutbox"
import { makePlatform } from "@lectern/platform/Platform"
import { layerMemory as rateLimiterMemory } from "@lectern/platform/RateLimiterMemory"
import { makeRpcHttpHandler } from "@lectern/platform/RpcHttp"
import { serveForTest } from "@lectern/testkit/ServeForTest"
import type { TestUser } from "@lectern/testkit/TestUsers"
import { Effect, Layer } from "effect"
import { learningHttpRoutes } from "../src/HttpRoutes.ts"
import { LearningLive } from "../src/Layer.ts"

export const makeLearningTestLayer = (database: Layer.Layer<SqlClient.SqlClient>) => {
  const platform = Layer.merge(
    makePlatform({ database, cache: Layer.merge(cacheMemory, rateLimiterMemory), mailer: layerDevOutbox }),
    layerEventBusMemory
  )
  const catalog = Layer.merge(makeCatalogLive(layerCatalogCache({ ttl: 0 })), AuthLive).pipe(
    Layer.provideMerge(platform)
  )
  return LearningLive.pipe(
    Layer.provide(Layer.merge(CatalogReaderFromCatalog, LearnerDirectoryFromAuth)),
    Layer.provideMerge(catalog)
  )
}

export { type TestUser, userWith } from "@lectern/testkit/TestUsers"

/** In-process clients for catalog and learning, calling as whoever `as` last named. */
export const makeClients = Effect.gen(function* () {
  let token: string | undefined
  const catalog = yield* makeInProcessClient(CatalogContract.CatalogRpcs, () => token)
  const learning = yield* makeInProcessClient(Contract.LearningRpcs, () => token)
  return {
    catalog,
    learning,
    as: (user: TestUser | undefined) => {
      token = user?.token
    }
  }
})

/**
 * A published course by `creator` with a `videoSeconds`-long video lesson (its media reported ready) and an article
 * lesson; free unless `price` is given.
 */
export const publishedCourse = (
  clients: Effect.Effect.Success<typeof makeClients>,
  people: { readonly creator: TestUser; readonly admin: TestUser },
  options: { readonly videoSeconds: number; readonly price?: number }
) =>
  Effect.gen(function* () {
    const { catalog, as } = clients
    as(people.admin)
    const category = yield* catalog.category.create({ name: `Learning ${crypto.randomUUID().slice(0, 8)}` })
    as(people.creator)
    const course = yield* catalog.course.create({
      title: "Watching for real",
      description: "A video and an article.",
      categoryId: category.id,
      level: "beginner",
      language: "en",
      price: { amount: options.price ?? 0, currency: "EUR" },
      tags: []
    })
    const section = yield* catalog.section.create({ courseId: course.id, title: "One" })
    const mediaId = MediaId.make(crypto.randomUUID())
    const video = yield* catalog.lesson.create({
      sectionId: section.id,
      title: "The video",
      content: { kind: "video", mediaId }
    })
    const article = yield* catalog.lesson.create({
      sectionId: section.id,
      title: "The article",
      content: { kind: "article", markdown: "Read me." }
    })
    // What media's `media.ready` would tell catalog.
    yield* Effect.flatMap(Catalog, (service) =>
      service.applyMediaEvent({
        eventId: crypto.randomUUID(),
        mediaId,
        ready: true,
        durationSeconds: options.videoSeconds
      })
    )
    yield* catalog.course.submitForReview({ id: course.id })
    as(people.admin)
    yield* catalog.course.review({ id: course.id, decision: "approve", feedback: "" })
    as(undefined)
    return { courseId: course.id, videoId: video.id, articleId: article.id }
  })

/** Serves /rpc/learning and learning's download routes (/learning/…) on a free port; answers the base URL. */
export const serveLearning = Effect.gen(function* () {
  const learning = yield* makeRpcHttpHandler(Contract.LearningRpcs)
  return yield* serveForTest({ rpc: { learning }, http: yield* learningHttpRoutes })
})

/** A raw GET (or another method) with an optional bearer token: status, headers and body bytes. */
export const rawGet = (url: string, token?: string, method = "GET") =>
  Effect.tryPromise(async () => {
    const response = await fetch(url, {
      method,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` }
    })
    return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) }
  }).pipe(Effect.orDie)

/** One raw learning RPC over HTTP: the failure's tag, or "Success". */
export const rawCall = (url: string, tag: string, payload: unknown, token: string) =>
  Effect.tryPromise(async () => {
    const response = await fetch(`${url}/rpc/learning`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: `{"_tag":"Request","id":"1","tag":${JSON.stringify(tag)},"payload":${payload},"headers":[]}`
    })
    const [reply] = JSON.parse(await response.text())
    return reply?.exit?._tag === "Success"
      ? "Success"
      : String(reply?.exit?.cause?.error?._tag ?? JSON.stringify(reply))
  }).pipe(Effect.orDie)
