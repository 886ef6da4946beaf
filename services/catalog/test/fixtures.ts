// Test wiring for the catalog: catalog and auth on one platform over a fresh database, typed clients, users, courses.

import type { SqlClient } from "@effect/sql"
import { AuthLive } from "@lectern/auth"
import { makeInProcessClient } from "@lectern/client"
import { Catalog as Contract } from "@lectern/contracts"
import type { CategoryId } from "@lectern/domain"
import type { Cache } from "@lectern/platform/Cache"
import { layerMemory as cacheMemory } from "@lectern/platform/CacheMemory"
import type { EventBus } from "@lectern/platform/EventBus"
import { layerMemory as layerEventBusMemory } from "@lectern/platform/EventBusMemory"
import { layerDevOutbox } from "@lectern/platform/MailerDevOutbox"
import { makePlatform } from "@lectern/platform/Platform"
import type { RateLimiter } from "@lectern/platform/RateLimiter"
import { layerMemory as rateLimiterMemory } from "@lectern/platform/RateLimiterMemory"
import { makeRpcHttpHandler } from "@lectern/platform/RpcHttp"
import { serveForTest } from "@lectern/testkit/ServeForTest"
import type { TestUser } from "@lectern/testkit/TestUsers"
import { type Duration, Effect, Layer } from "effect"
import { layer as layerCatalogCache } from "../src/CatalogCache.ts"
import type { CourseImages } from "../src/CourseImages.ts"
import type { CreatorDirectory } from "../src/CreatorDirectory.ts"
import { makeCatalogLive } from "../src/Layer.ts"

/**
 * The catalog and auth services over a platform with the cache, rate limiter and event bus in memory. The catalog's
 * cache is off unless `cacheTtl` is given: these tests read their own writes at once, and nothing relays the outbox
 * events that would invalidate it (Cache.test.ts covers the cache, relaying by hand).
 */
export const makeCatalogTestLayer = (
  database: Layer.Layer<SqlClient.SqlClient>,
  options: {
    readonly cacheTtl?: Duration.DurationInput
    /** The platform's Cache (and rate limiter); default in memory. */
    readonly cache?: Layer.Layer<Cache | RateLimiter>
    /** Default in memory. */
    readonly eventBus?: Layer.Layer<EventBus>
    /** Course creators' names; default none, as the catalog running alone (creator names are null). */
    readonly creators?: Layer.Layer<CreatorDirectory>
    /** Media's images for thumbnails; default none, as the catalog running alone (no thumbnail can be set). */
    readonly images?: Layer.Layer<CourseImages>
  } = {}
) =>
  Layer.merge(
    makeCatalogLive(layerCatalogCache({ ttl: options.cacheTtl ?? 0 })).pipe(
      Layer.provide(options.creators ?? Layer.empty),
      Layer.provide(options.images ?? Layer.empty)
    ),
    AuthLive
  ).pipe(
    Layer.provideMerge(
      Layer.merge(
        makePlatform({
          database,
          cache: options.cache ?? Layer.merge(cacheMemory, rateLimiterMemory),
          mailer: layerDevOutbox
        }),
        options.eventBus ?? layerEventBusMemory
      )
    )
  )

export { type TestUser, userWith } from "@lectern/testkit/TestUsers"

/** An in-process catalog client calling as whoever `as` last named (nobody at first). */
export const makeClient = Effect.gen(function* () {
  let token: string | undefined
  const client = yield* makeInProcessClient(Contract.CatalogRpcs, () => token)
  return {
    client,
    as: (user: TestUser | undefined) => {
      token = user?.token
    }
  }
})

export type CatalogClient = Effect.Effect.Success<typeof makeClient>["client"]

let counter = 0
/** A word no other test uses, for titles and searches that must not see each other's courses. */
export const uniqueWord = (label = "w") => `${label}${Date.now().toString(36)}${(counter++).toString(36)}`

export const courseInput = (
  categoryId: CategoryId,
  overrides: Partial<typeof Contract.CourseCreate.Type> = {}
): typeof Contract.CourseCreate.Type => ({
  title: "Effect from first principles",
  description: "Typed errors, layers and fibers, one step at a time.",
  categoryId,
  level: "beginner",
  language: "en",
  price: { amount: 4900, currency: "EUR" },
  tags: ["typescript", "effect"],
  ...overrides
})

/** A course taken through the whole lifecycle: created by `creator`, one article lesson, approved by `admin`. */
export const publishedCourse = (
  client: CatalogClient,
  as: (user: TestUser | undefined) => void,
  people: { readonly creator: TestUser; readonly admin: TestUser },
  input: typeof Contract.CourseCreate.Type
) =>
  Effect.gen(function* () {
    as(people.creator)
    const course = yield* client.course.create(input)
    const section = yield* client.section.create({ courseId: course.id, title: "Start" })
    yield* client.lesson.create({
      sectionId: section.id,
      title: "Welcome",
      content: { kind: "article", markdown: "Hello and welcome." }
    })
    yield* client.course.submitForReview({ id: course.id })
    as(people.admin)
    const published = yield* client.course.review({ id: course.id, decision: "approve", feedback: "" })
    as(undefined)
    return published
  })

/** Serves the catalog's RPCs over real HTTP (the platform's edge, a free port) for the life of the scope. */
export const serveCatalogOverHttp = Effect.gen(function* () {
  const catalog = yield* makeRpcHttpHandler(Contract.CatalogRpcs)
  return yield* serveForTest({ rpc: { catalog } })
})

/** One raw RPC over HTTP, bypassing the typed client's own encoding: what a hostile or buggy caller sends. */
export const rawCall = (url: string, tag: string, payload: unknown, token?: string) =>
  Effect.tryPromise(async () => {
    const response = await fetch(`${url}/rpc/catalog`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` })
      },
      body: JSON.stringify({ _tag: "Request", id: "1", tag, payload, headers: [] })
    })
    return { status: response.status, text: await response.text() }
  }).pipe(Effect.orDie)
