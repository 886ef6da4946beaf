// The composition root: every hosted service's layers over one platform, served by one HTTP edge.
import { randomBytes } from "node:crypto"
import { AuthLive, Auth as AuthService } from "@lectern/auth"
import { CatalogLive, CatalogRelayLive, seedDemoContent } from "@lectern/catalog"
import { setForwardingSecret, setInProcessTransport } from "@lectern/client"
import { Auth, Catalog, EventsAdmin, Learning, Media } from "@lectern/contracts"
import { Email } from "@lectern/domain"
import { LearningLive, LearningRelayLive, learningHttpRoutes } from "@lectern/learning"
import { MediaLive, mediaHttpRoutes, mediaReadiness } from "@lectern/media"
import { layerFromConfig as eventBusFromConfig } from "@lectern/platform/EventBusFromConfig"
import { EventsAdminHandlers } from "@lectern/platform/EventsAdminHandlers"
import { makeInProcessRpc } from "@lectern/platform/HttpEdge"
import { layerFromConfig as platformFromConfig, platformReadiness } from "@lectern/platform/Platform"
import { makeRpcHttpHandler } from "@lectern/platform/RpcHttp"
import { serve } from "@lectern/platform/Serve"
import { SigningKeys } from "@lectern/platform/SigningKeys"
import { tracingEnabled } from "@lectern/platform/Telemetry"
import { Config, Effect, Layer, Option, Redacted, Schema } from "effect"
import {
  CatalogReaderFromCatalog,
  CourseImagesFromMedia,
  CreatorDirectoryFromAuth,
  LearnerAccessFromLearning,
  LearnerDirectoryFromAuth,
  PlaybackAccessFromCatalogAndLearning,
  SubmissionFilesFromMediaLive
} from "./Bridges.ts"
import { loadWebApp, routesForBrowsers } from "./WebApp.ts"

/** The platform from the environment, plus the event bus (Redis Streams with REDIS_URL, in-process otherwise). */
export const PlatformLive = Layer.merge(platformFromConfig, eventBusFromConfig)

/**
 * Catalog names course creators through auth, shows enrolled learners their lessons through learning, and checks
 * thumbnails against media's images.
 */
const AuthAndCatalogLive = Layer.mergeAll(
  CatalogLive.pipe(
    Layer.provide(CreatorDirectoryFromAuth),
    Layer.provide(LearnerAccessFromLearning),
    Layer.provide(CourseImagesFromMedia)
  ),
  EventsAdminHandlers,
  CatalogRelayLive
).pipe(Layer.provideMerge(AuthLive), Layer.provideMerge(PlatformLive))

/** Learning over auth and catalog, reading catalog's curricula and media's uploads in process. */
const LearningHostedLive = Layer.merge(LearningLive, LearningRelayLive).pipe(
  Layer.provide(Layer.mergeAll(CatalogReaderFromCatalog, LearnerDirectoryFromAuth, SubmissionFilesFromMediaLive)),
  Layer.provideMerge(AuthAndCatalogLive)
)

/**
 * Every service this gateway hosts, with the outbox relays of the services that emit events, and media's transcode
 * worker (MEDIA_WORKERS loops in this process).
 */
export const ServicesLive = MediaLive.pipe(
  Layer.provide(PlaybackAccessFromCatalogAndLearning),
  Layer.provideMerge(LearningHostedLive)
)

/** `LECTERN_ADMIN_EMAIL` + `LECTERN_ADMIN_PASSWORD`: the first admin, created on a start that finds none. */
export const bootstrapAdmin = Effect.gen(function* () {
  const email = yield* Config.option(Config.string("LECTERN_ADMIN_EMAIL"))
  const password = yield* Config.option(Config.redacted("LECTERN_ADMIN_PASSWORD"))
  if (Option.isNone(email) || Option.isNone(password)) return
  const auth = yield* AuthService
  if ((yield* auth.countAdmins) > 0) return
  const address = yield* Schema.decodeUnknown(Email)(email.value).pipe(Effect.orDie)
  const admin = yield* auth
    .ensureAdmin({ email: address, password: Redacted.value(password.value), name: "Administrator" })
    .pipe(
      Effect.catchTag("WeakPassword", (error) => Effect.dieMessage(`LECTERN_ADMIN_PASSWORD is weak: ${error.reason}`))
    )
  yield* Effect.logInfo("created the first admin").pipe(Effect.annotateLogs({ userId: admin.id }))
})

/**
 * Demo content (`LECTERN_DEMO_CONTENT`, default on for the embedded database, off with DATABASE_URL): a new user
 * of `npm start` sees a real catalog at once. Seeds only a catalog without categories, so it runs once.
 */
export const seedDemoOnFirstStart = Effect.gen(function* () {
  const embedded = Option.isNone(yield* Config.option(Config.string("DATABASE_URL")))
  if (!(yield* Config.boolean("LECTERN_DEMO_CONTENT").pipe(Config.withDefault(embedded)))) return
  yield* seedDemoContent().pipe(
    Effect.catchTag("WeakPassword", (error) => Effect.dieMessage(`demo creator password is weak: ${error.reason}`))
  )
})

/** Starts the gateway; returns where it listens. Lives as long as the scope. */
export const startGateway = Effect.gen(function* () {
  yield* bootstrapAdmin
  yield* seedDemoOnFirstStart
  const tracing = yield* tracingEnabled
  const keys = yield* SigningKeys
  const web = yield* loadWebApp
  // The web app's server functions call this edge over HTTP for their browsers: a secret made fresh for this process,
  // handed to them in memory and never written anywhere, lets the edge take the address they forward (rate limits
  // per browser, not per loopback) while ignoring the same headers from anyone else.
  const forwardingSecret = Option.isSome(web) ? randomBytes(32).toString("base64url") : undefined
  setForwardingSecret(forwardingSecret)
  const rpc = {
    auth: yield* makeRpcHttpHandler(Auth.AuthRpcs, { tracing }),
    catalog: yield* makeRpcHttpHandler(Catalog.CatalogRpcs, { tracing }),
    events: yield* makeRpcHttpHandler(EventsAdmin.EventsAdminRpcs, { tracing }),
    media: yield* makeRpcHttpHandler(Media.MediaRpcs, { tracing }),
    learning: yield* makeRpcHttpHandler(Learning.LearningRpcs, { tracing })
  }
  // The web app's server functions run in this process: their calls reach these handlers in memory (no loopback
  // socket, no HTTP on either end), unless LECTERN_INTERNAL_URL points them elsewhere.
  if (Option.isSome(web) && process.env.LECTERN_INTERNAL_URL === undefined) {
    setInProcessTransport(makeInProcessRpc({ rpc, forwardingSecret }))
    yield* Effect.addFinalizer(() => Effect.sync(() => setInProcessTransport(undefined)))
  }
  const listening = yield* serve({
    rpc,
    http: [...routesForBrowsers(web, yield* mediaHttpRoutes), ...(yield* learningHttpRoutes)],
    jwks: keys.jwks,
    readiness: [...(yield* platformReadiness), ...(yield* mediaReadiness)],
    fallback: Option.getOrUndefined(Option.map(web, (app) => app.handle)),
    forwardingSecret
  })
  if (Option.isSome(web)) yield* web.value.started(listening)
  yield* Effect.logInfo(`Lectern is listening on ${listening.url}`).pipe(
    Effect.annotateLogs({ services: ["auth", "catalog", "events", "media", "learning"], url: listening.url })
  )
  return listening
})
