// One process's platform: database, cache and rate limiter, mailer, signing keys, tokens and the auth middlewares.
import { SqlClient } from "@effect/sql"
import type { Authentication, Viewer } from "@lectern/contracts"
import { Effect, Layer } from "effect"
import {
  type AccessTokenIssuer,
  type AccessTokenVerifier,
  layerIssuer,
  layerRevocations,
  layerVerifierFromConfig,
  type TokenRevocations
} from "./AccessTokens.ts"
import { layerAuthentication, layerViewer } from "./Authentication.ts"
import { Cache } from "./Cache.ts"
import { layerFromConfig as cacheFromConfig } from "./CacheFromConfig.ts"
import { layerFromConfig as databaseFromConfig } from "./Database.ts"
import type { Mailer } from "./Mailer.ts"
import type { DevOutbox } from "./MailerDevOutbox.ts"
import { layerFromConfig as mailerFromConfig } from "./MailerFromConfig.ts"
import type { RateLimiter } from "./RateLimiter.ts"
import { type SigningKeys, layerFromConfig as signingKeysFromConfig } from "./SigningKeys.ts"

export type PlatformServices =
  | SqlClient.SqlClient
  | Cache
  | RateLimiter
  | Mailer
  | DevOutbox
  | SigningKeys
  | TokenRevocations
  | AccessTokenIssuer
  | AccessTokenVerifier
  | Authentication
  | Viewer

export interface PlatformParts<E1, E2, E3> {
  readonly database: Layer.Layer<SqlClient.SqlClient, E1>
  readonly cache: Layer.Layer<Cache | RateLimiter, E2>
  readonly mailer: Layer.Layer<Mailer | DevOutbox, E3, SqlClient.SqlClient>
}

/**
 * Assembles the platform from its parts; the process that hosts auth holds the signing keys, so it issues and
 * verifies tokens locally.
 */
export const makePlatform = <E1, E2, E3>(parts: PlatformParts<E1, E2, E3>) => {
  const base = Layer.merge(parts.database, parts.cache)
  const keys = signingKeysFromConfig.pipe(Layer.provideMerge(layerRevocations))
  const tokens = Layer.mergeAll(layerIssuer, layerVerifierFromConfig).pipe(Layer.provideMerge(keys))
  const withAuth = Layer.merge(layerAuthentication, layerViewer).pipe(Layer.provideMerge(tokens))
  return Layer.mergeAll(withAuth, parts.mailer).pipe(Layer.provideMerge(base))
}

/** The platform from the environment: each of DATABASE_URL, REDIS_URL, SMTP_URL switches its part to the real one. */
export const layerFromConfig = makePlatform({
  database: databaseFromConfig,
  cache: cacheFromConfig,
  mailer: mailerFromConfig
})

/** What `/ready` asks on every Lectern process: the database and the cache answer. */
export const platformReadiness = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const cache = yield* Cache
  return [
    { name: "database", check: sql`SELECT 1` },
    { name: "cache", check: cache.ping }
  ]
})
