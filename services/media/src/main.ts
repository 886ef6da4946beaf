// `node services/media/src/main.ts`: the media service alone — /rpc/media, tus uploads, HLS playback, the worker.
// Without catalog in the process only owners and admins may play a media (previews need the gateway).
import { NodeRuntime } from "@effect/platform-node"
import { Media as Contract } from "@lectern/contracts"
import { layerFromConfig as eventBusFromConfig } from "@lectern/platform/EventBusFromConfig"
import { layerFromConfig as platformFromConfig, platformReadiness } from "@lectern/platform/Platform"
import { makeRpcHttpHandler } from "@lectern/platform/RpcHttp"
import { serve } from "@lectern/platform/Serve"
import { layerTelemetry, tracingEnabled } from "@lectern/platform/Telemetry"
import { Effect, Layer } from "effect"
import { mediaHttpRoutes, mediaReadiness } from "./HttpRoutes.ts"
import { MediaLive } from "./Layer.ts"
import { layerOwnersOnly } from "./PlaybackAccess.ts"

const MediaProcessLive = MediaLive.pipe(
  Layer.provide(layerOwnersOnly),
  Layer.provide(eventBusFromConfig),
  Layer.provideMerge(platformFromConfig)
)

Effect.gen(function* () {
  const media = yield* makeRpcHttpHandler(Contract.MediaRpcs, { tracing: yield* tracingEnabled })
  const listening = yield* serve({
    rpc: { media },
    http: yield* mediaHttpRoutes,
    readiness: [...(yield* platformReadiness), ...(yield* mediaReadiness)]
  })
  yield* Effect.logInfo(`Lectern media is listening on ${listening.url}`)
  return yield* Effect.never
}).pipe(
  Effect.scoped,
  Effect.provide(MediaProcessLive),
  Effect.provide(layerTelemetry),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
