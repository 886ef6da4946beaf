// Wiring of the auth service: its migrations, repo, domain service and RPC handlers, over the platform ports.
import { loadMigrations, migrate } from "@lectern/platform/Migrator"
import { Layer } from "effect"
import { Auth } from "./Auth.ts"
import { AuthHandlers } from "./Handlers.ts"
import { AuthRepo } from "./Repo.ts"

export const AuthMigrations = {
  schema: "auth",
  migrations: loadMigrations(new URL("../migrations/", import.meta.url))
}

/** Applies the auth schema's migrations when the service starts (idempotent, under a lock). */
export const AuthSchemaLive = Layer.effectDiscard(migrate(AuthMigrations))

/** The auth domain service with its repo, after its schema is in place. */
export const AuthServiceLive = Auth.Default.pipe(Layer.provide(AuthRepo.Default), Layer.provide(AuthSchemaLive))

/** Everything the auth RPC server needs from this service: handlers for every AuthRpcs tag, plus Auth itself. */
export const AuthLive = AuthHandlers.pipe(Layer.provideMerge(AuthServiceLive))
