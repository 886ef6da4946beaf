// `npm run start:auth`: the auth service alone — its RPCs at /rpc/auth, and the JWKS other services verify with.
import { NodeRuntime } from "@effect/platform-node"
import { Auth as Contract } from "@lectern/contracts"
import { layerFromConfig as platformFromConfig, platformReadiness } from "@lectern/platform/Platform"
import { makeRpcHttpHandler } from "@lectern/platform/RpcHttp"
import { serve } from "@lectern/platform/Serve"
import { SigningKeys } from "@lectern/platform/SigningKeys"
import { layerTelemetry, tracingEnabled } from "@lectern/platform/Telemetry"
import { Effect, Layer } from "effect"
import { AuthLive } from "./Layer.ts"

Effect.gen(function* () {
  const keys = yield* SigningKeys
  const auth = yield* makeRpcHttpHandler(Contract.AuthRpcs, { tracing: yield* tracingEnabled })
  const listening = yield* serve({ rpc: { auth }, jwks: keys.jwks, readiness: yield* platformReadiness })
  yield* Effect.logInfo(`Lectern auth is listening on ${listening.url}`)
  return yield* Effect.never
}).pipe(
  Effect.scoped,
  Effect.provide(AuthLive.pipe(Layer.provideMerge(platformFromConfig))),
  Effect.provide(layerTelemetry),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
