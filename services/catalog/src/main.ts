// `node services/catalog/src/main.ts`: the catalog service alone — its RPCs at /rpc/catalog, its outbox relayed to the bus.
// Tokens are verified with the auth service's JWKS (AUTH_JWKS_URL); REDIS_URL selects the shared event bus.
import { NodeRuntime } from "@effect/platform-node"
import { Catalog as Contract } from "@lectern/contracts"
import { layerFromConfig as eventBusFromConfig } from "@lectern/platform/EventBusFromConfig"
import { layerFromConfig as platformFromConfig, platformReadiness } from "@lectern/platform/Platform"
import { makeRpcHttpHandler } from "@lectern/platform/RpcHttp"
import { serve } from "@lectern/platform/Serve"
import { layerTelemetry, tracingEnabled } from "@lectern/platform/Telemetry"
import { Effect, Layer } from "effect"
import { CatalogLive, CatalogRelayLive } from "./Layer.ts"

const CatalogProcessLive = Layer.mergeAll(CatalogLive, CatalogRelayLive).pipe(
  Layer.provide(eventBusFromConfig),
  Layer.provideMerge(platformFromConfig)
)

Effect.gen(function* () {
  const catalog = yield* makeRpcHttpHandler(Contract.CatalogRpcs, { tracing: yield* tracingEnabled })
  const listening = yield* serve({ rpc: { catalog }, readiness: yield* platformReadiness })
  yield* Effect.logInfo(`Lectern catalog is listening on ${listening.url}`)
  return yield* Effect.never
}).pipe(
  Effect.scoped,
  Effect.provide(CatalogProcessLive),
  Effect.provide(layerTelemetry),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
