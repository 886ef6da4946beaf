// @lectern/gateway: the composition root, as layers and effects for main.ts, the CLI, tests and benchmarks.
export { bootstrapAdmin, PlatformLive, ServicesLive, startGateway } from "./Gateway.ts"
