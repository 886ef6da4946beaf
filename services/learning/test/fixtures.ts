// Test wiring for learning: learning over the real catalog (and auth) and media's uploads on one platform with a
// fresh database, users with tokens, a published course with a video and an article lesson, tus uploads, and raw HTTP
// calls for hostile input.
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { SqlClient } from "@effect/sql"
import { AuthLive } from "@lectern/auth"
import { Catalog, makeCatalogLive } from "@lectern/catalog"
import { layer as layerCatalogCache } from "@lectern/catalog/CatalogCache"
import { makeInProcessClient } from "@lectern/client"
import { Catalog as CatalogContract, Learning as Contract } from "@lectern/contracts"
import { type CategoryId, MediaId } from "@lectern/domain"
import {
  CatalogReaderFromCatalog,
  LearnerAccessFromLearning,
  LearnerDirectoryFromAuth,
  SubmissionFilesFromMedia
} from "@lectern/gateway/Bridges"
import { MediaRepo, MediaSchemaLive, UPLOADS_PATH, UploadsEndpoint, UploadsEndpointLive } from "@lectern/media"
import { layerFs } from "@lectern/platform/BlobStoreFs"
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
  const catalog = Layer.merge(
    makeCatalogLive(layerCatalogCache({ ttl: 0 })).pipe(Layer.provide(LearnerAccessFromLearning)),
    AuthLive
  ).pipe(Layer.provideMerge(platform))
  // Media's tus endpoint and repo over a temporary blob directory: what learners upload attachments to.
  const uploads = Layer.merge(UploadsEndpointLive, SubmissionFilesFromMedia).pipe(
    Layer.provideMerge(Layer.merge(MediaRepo.Default.pipe(Layer.provide(MediaSchemaLive)), layerTempBlobs))
  )
  return LearningLive.pipe(
    Layer.provide(Layer.merge(CatalogReaderFromCatalog, LearnerDirectoryFromAuth)),
    Layer.provideMerge(uploads),
    Layer.provideMerge(catalog)
  )
}

/** A temporary directory for the test's blobs, removed with the layer. */
const layerTempBlobs = Layer.unwrapScoped(
  Effect.map(
    Effect.acquireRelease(
      Effect.promise(() => mkdtemp(join(tmpdir(), "lectern-learning-blobs-"))),
      (root) => Effect.promise(() => rm(root, { recursive: true, force: true }))
    ),
    (root) => Layer.orDie(layerFs({ root }))
  )
)

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
 * lesson; free unless `price` is given, in a new category unless `categoryId` is given.
 */
export const publishedCourse = (
  clients: Effect.Effect.Success<typeof makeClients>,
  people: { readonly creator: TestUser; readonly admin: TestUser },
  options: {
    readonly videoSeconds: number
    readonly price?: number
    readonly title?: string
    readonly categoryId?: CategoryId
  }
) =>
  Effect.gen(function* () {
    const { catalog, as } = clients
    as(people.admin)
    const categoryId =
      options.categoryId ?? (yield* catalog.category.create({ name: `Learning ${crypto.randomUUID().slice(0, 8)}` })).id
    as(people.creator)
    const course = yield* catalog.course.create({
      title: options.title ?? "Watching for real",
      description: "A video and an article.",
      categoryId,
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

/**
 * Serves /rpc/learning, learning's download routes (/learning/…) and media's tus uploads (/media/uploads) on a free
 * port; answers the base URL.
 */
export const serveLearning = Effect.gen(function* () {
  const learning = yield* makeRpcHttpHandler(Contract.LearningRpcs)
  const uploads = yield* UploadsEndpoint
  return yield* serveForTest({
    rpc: { learning },
    http: [...(yield* learningHttpRoutes), { prefix: UPLOADS_PATH, handle: uploads.handle }]
  })
})

const tusMetadata = (fields: Readonly<Record<string, string>>) =>
  Object.entries(fields)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString("base64")}`)
    .join(",")

/**
 * A tus upload of `bytes` as the holder of `token` (one POST, then one PATCH unless `complete` is false, which sends
 * only the first half): answers the upload id.
 */
export const tusUpload = (
  url: string,
  token: string,
  bytes: Uint8Array,
  options: { readonly filename?: string; readonly filetype?: string; readonly complete?: boolean } = {}
) =>
  Effect.tryPromise(async () => {
    const created = await fetch(`${url}${UPLOADS_PATH}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "tus-resumable": "1.0.0",
        "upload-length": String(bytes.length),
        "upload-metadata": tusMetadata({
          filename: options.filename ?? "work.txt",
          filetype: options.filetype ?? "text/plain"
        })
      }
    })
    const location = created.headers.get("location")
    if (created.status !== 201 || location === null) throw new Error(`tus create: ${created.status}`)
    const id = location.split("/").pop() ?? ""
    const body = Buffer.from(options.complete === false ? bytes.subarray(0, Math.floor(bytes.length / 2)) : bytes)
    const patched = await fetch(`${url}${UPLOADS_PATH}/${id}`, {
      method: "PATCH",
      headers: {
        authorization: `Bearer ${token}`,
        "tus-resumable": "1.0.0",
        "upload-offset": "0",
        "content-type": "application/offset+octet-stream"
      },
      body
    })
    if (patched.status !== 204) throw new Error(`tus patch: ${patched.status}`)
    return id
  }).pipe(Effect.orDie)

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
