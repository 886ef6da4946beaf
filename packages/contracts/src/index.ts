// @lectern/contracts: the public API — one RpcGroup per domain, with its Schemas and errors.
export * as Auth from "./Auth.ts"
export * as Catalog from "./Catalog.ts"
export * as Events from "./Events.ts"
export * as EventsAdmin from "./EventsAdmin.ts"
export * as Learning from "./Learning.ts"
export * as Media from "./Media.ts"
export * from "./Middleware.ts"
