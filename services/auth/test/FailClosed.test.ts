// When the rate limiter's Redis is down, logins fail closed with a typed error (and the outage is logged).

import { describe, expect, it } from "@effect/vitest"
import { Email, ServiceUnavailable } from "@lectern/domain"
import { layerFromConfig as cacheFromConfig } from "@lectern/platform/CacheFromConfig"
import { layerMemoryDatabase } from "@lectern/testkit/TestDatabase"
import { ConfigProvider, Effect, Layer, Schema } from "effect"
import { makeAuthTestLayer, makeClient, STRONG_PASSWORD, uniqueEmail } from "./fixtures.ts"

const unreachableRedis = cacheFromConfig.pipe(
  Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["REDIS_URL", "redis://127.0.0.1:1"]]))))
)

describe("auth with its Redis down", () => {
  it.layer(makeAuthTestLayer(layerMemoryDatabase, unreachableRedis), { timeout: 60_000 })((it) => {
    it.scoped("login is refused with ServiceUnavailable, not let through", () =>
      Effect.gen(function* () {
        const { client } = yield* makeClient
        const address = Schema.decodeSync(Email)(uniqueEmail("closed"))
        // Registration is not a brute-force target: its limiter fails open, so the account can exist.
        yield* client.user.register({ email: address, password: STRONG_PASSWORD, name: "Closed" })
        const login = yield* client.session.login({ email: address, password: STRONG_PASSWORD }).pipe(Effect.flip)
        expect(login).toBeInstanceOf(ServiceUnavailable)
      })
    )
  })
})
