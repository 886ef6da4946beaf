// `npm run seed`: the demo catalog (categories, a demo creator, three published courses) on the configured database, once.
//
// DATABASE_URL selects Postgres, otherwise the embedded PGlite under LECTERN_DATA_DIR (stop the gateway first: one
// process at a time opens it). LECTERN_DEMO_CREATOR_EMAIL and LECTERN_DEMO_CREATOR_PASSWORD set the demo
// creator's sign-in (default: demo.creator@example.com with a random password). A catalog that already has
// categories is left alone. The events the seed writes wait in catalog.outbox for the relay of the next gateway.
import { NodeRuntime } from "@effect/platform-node"
import { AuthServiceLive } from "@lectern/auth"
import { layerFromConfig as platformFromConfig } from "@lectern/platform/Platform"
import { layerLogging } from "@lectern/platform/Telemetry"
import { Config, Effect, Layer, Option, Redacted } from "effect"
import { CatalogDomainLive } from "./Layer.ts"
import { seedDemoContent } from "./Seed.ts"

const SeedLive = Layer.merge(CatalogDomainLive, AuthServiceLive).pipe(Layer.provideMerge(platformFromConfig))

Effect.gen(function* () {
  const email = yield* Config.option(Config.string("LECTERN_DEMO_CREATOR_EMAIL"))
  const password = yield* Config.option(Config.redacted("LECTERN_DEMO_CREATOR_PASSWORD"))
  const outcome = yield* seedDemoContent({
    ...(Option.isSome(email) ? { creatorEmail: email.value } : {}),
    ...(Option.isSome(password) ? { creatorPassword: Redacted.value(password.value) } : {})
  }).pipe(
    Effect.catchTag("WeakPassword", (error) =>
      Effect.dieMessage(`LECTERN_DEMO_CREATOR_PASSWORD is weak: ${error.reason}`)
    )
  )
  yield* outcome.seeded
    ? Effect.logInfo("demo catalog created").pipe(Effect.annotateLogs({ courses: outcome.courseIds.length }))
    : Effect.logInfo("the catalog already has categories; nothing seeded")
}).pipe(Effect.provide(SeedLive), Effect.provide(layerLogging), NodeRuntime.runMain({ disablePrettyLogger: true }))
