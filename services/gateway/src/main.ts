// `npm start`: the gateway process — every service on embedded defaults unless configured.
import { NodeRuntime } from "@effect/platform-node"
import { layerTelemetry } from "@lectern/platform/Telemetry"
import { Effect } from "effect"
import { ServicesLive, startGateway } from "./Gateway.ts"

startGateway.pipe(
  Effect.zipRight(Effect.never),
  Effect.scoped,
  Effect.provide(ServicesLive),
  Effect.provide(layerTelemetry),
  NodeRuntime.runMain({ disablePrettyLogger: true })
)
