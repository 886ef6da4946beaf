// @lectern/auth: the auth service as layers, for the gateway and for running alone.
export { Auth, AuthSettings } from "./Auth.ts"
export { AuthHandlers } from "./Handlers.ts"
export { AuthLive, AuthMigrations, AuthSchemaLive, AuthServiceLive } from "./Layer.ts"
