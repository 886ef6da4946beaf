// Test wiring for the auth service: the real service on a fresh database, with an in-process typed client.

import type { SqlClient } from "@effect/sql"
import { makeInProcessClient } from "@lectern/client"
import { Auth as Contract } from "@lectern/contracts"
import type { Cache } from "@lectern/platform/Cache"
import { layerMemory as cacheMemory } from "@lectern/platform/CacheMemory"
import { DevOutbox, layerDevOutbox } from "@lectern/platform/MailerDevOutbox"
import { makePlatform } from "@lectern/platform/Platform"
import type { RateLimiter } from "@lectern/platform/RateLimiter"
import { layerMemory as rateLimiterMemory } from "@lectern/platform/RateLimiterMemory"
import { Effect, Layer } from "effect"
import { AuthLive } from "../src/Layer.ts"

/** The auth service over a platform with the dev outbox; the cache and rate limiter in memory unless given. */
export const makeAuthTestLayer = <E>(
  database: Layer.Layer<SqlClient.SqlClient>,
  cache: Layer.Layer<Cache | RateLimiter, E> = Layer.merge(cacheMemory, rateLimiterMemory)
) => AuthLive.pipe(Layer.provideMerge(makePlatform({ database, cache, mailer: layerDevOutbox })))

/** A client whose access token is whatever `useToken` last set. */
export const makeClient = Effect.gen(function* () {
  let token: string | undefined
  const client = yield* makeInProcessClient(Contract.AuthRpcs, () => token)
  return {
    client,
    useToken: (next: string | undefined) => {
      token = next
    }
  }
})

/** The newest code mailed to `email`, read from the dev outbox the way the web app will. */
export const latestCode = (email: string) =>
  Effect.gen(function* () {
    const outbox = yield* DevOutbox
    const mails = yield* outbox.list({ to: email, limit: 1 })
    const match = /\b(\d{6})\b/.exec(mails[0]?.text ?? "")
    if (!match?.[1]) return yield* Effect.dieMessage(`no code mailed to ${email}`)
    return match[1]
  })

let counter = 0
export const uniqueEmail = (label = "user") => `${label}.${Date.now().toString(36)}.${counter++}@example.com`
export const STRONG_PASSWORD = "correct horse battery staple 42"
