// Test wiring for the auth service: the real service on a fresh database, with an in-process typed client.

import type { SqlClient } from "@effect/sql"
import { makeInProcessClient } from "@lectern/client"
import { Auth as Contract } from "@lectern/contracts"
import { layerMemory as cacheMemory } from "@lectern/platform/CacheMemory"
import { DevOutbox, layerDevOutbox } from "@lectern/platform/MailerDevOutbox"
import { makePlatform } from "@lectern/platform/Platform"
import { layerMemory as rateLimiterMemory } from "@lectern/platform/RateLimiterMemory"
import { Effect, Layer } from "effect"
import { AuthLive } from "../src/Layer.ts"

export const makeAuthTestLayer = (database: Layer.Layer<SqlClient.SqlClient>) =>
  AuthLive.pipe(
    Layer.provideMerge(
      makePlatform({ database, cache: Layer.merge(cacheMemory, rateLimiterMemory), mailer: layerDevOutbox })
    )
  )

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
