// The RateLimiter port's contract suite on process memory and the machine's Redis, plus exact windows and outages.
import { describe, expect, it } from "@effect/vitest"
import { RateLimiter } from "@lectern/platform/RateLimiter"
import * as RateLimiterMemory from "@lectern/platform/RateLimiterMemory"
import * as RateLimiterRedis from "@lectern/platform/RateLimiterRedis"
import { rateLimiterSuite } from "@lectern/testkit/RateLimiterSuite"
import { Config, Effect, Exit, Layer, TestClock } from "effect"

const redisUrl = Config.string("REDIS_URL").pipe(Config.withDefault("redis://127.0.0.1:6379"))
const keyPrefix = `test-ratelimit-${crypto.randomUUID()}:`

rateLimiterSuite("memory", RateLimiterMemory.layerMemory)
rateLimiterSuite(
  "redis",
  Layer.unwrapEffect(Effect.map(redisUrl, (url) => RateLimiterRedis.layerRedis({ url, keyPrefix })))
)

describe("RateLimiter in memory", () => {
  it.effect("slides the window to the millisecond", () =>
    Effect.gen(function* () {
      const limiter = RateLimiterMemory.makeMemory()
      const hit = limiter.consume("k", 2, "1 second")
      expect(yield* hit).toEqual({ allowed: true, count: 1, retryAfterMs: 0 })
      yield* TestClock.adjust("400 millis")
      expect(yield* hit).toEqual({ allowed: true, count: 2, retryAfterMs: 0 })
      yield* TestClock.adjust("100 millis")
      expect(yield* hit).toEqual({ allowed: false, count: 2, retryAfterMs: 500 })
      yield* TestClock.adjust("499 millis")
      expect(yield* hit).toEqual({ allowed: false, count: 2, retryAfterMs: 1 })
      yield* TestClock.adjust("1 millis")
      // The first hit (t=0) has left the window; the second (t=400) still counts.
      expect(yield* hit).toEqual({ allowed: true, count: 2, retryAfterMs: 0 })
      yield* TestClock.adjust("400 millis")
      expect(yield* limiter.peek("k", "1 second")).toBe(1)
      // A narrower window asked of peek counts only the hits inside it.
      expect(yield* limiter.peek("k", "300 millis")).toBe(0)
    })
  )

  it.effect("waits for the right hit when the limit is lowered", () =>
    Effect.gen(function* () {
      const limiter = RateLimiterMemory.makeMemory()
      for (let i = 0; i < 4; i++) {
        yield* limiter.consume("k", 10, "1 second")
        yield* TestClock.adjust("100 millis")
      }
      // Hits at 0, 100, 200, 300; now 400. Under a limit of 2, one more is allowed once the hit at 200 has gone.
      expect(yield* limiter.consume("k", 2, "1 second")).toEqual({ allowed: false, count: 4, retryAfterMs: 800 })
    })
  )

  it.effect("sweeps keys whose hits have all expired, so memory stays bounded", () =>
    Effect.gen(function* () {
      const limiter = RateLimiterMemory.makeMemory()
      let largest = 0
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 1_000; i++) yield* limiter.consume(`round-${round}:${i}`, 5, "1 second")
        largest = Math.max(largest, yield* limiter.size)
        yield* TestClock.adjust("2 seconds")
      }
      // 20 000 keys were hit; at most one round is live, plus what one sweep interval lets pile up.
      expect(largest).toBeLessThanOrEqual(3_024)
    })
  )

  it.effect("rejects a window that is not a positive duration as a defect", () =>
    Effect.gen(function* () {
      const limiter = RateLimiterMemory.makeMemory()
      const exit = yield* Effect.exit(limiter.consume("k", 1, 0))
      expect(Exit.isFailure(exit) && !Exit.isInterrupted(exit) && exit.cause._tag === "Die").toBe(true)
    })
  )
})

describe("RateLimiter on Redis when Redis is away", () => {
  it.live("fails fast with CacheUnavailable, so login can fail closed", () =>
    Effect.gen(function* () {
      const limiter = yield* RateLimiter
      const errors = yield* Effect.all(
        [
          limiter.consume("login:ada", 5, "1 minute"),
          limiter.peek("login:ada", "1 minute"),
          limiter.reset("login:ada")
        ].map(Effect.flip)
      )
      expect(errors.map((error) => error._tag)).toEqual(["CacheUnavailable", "CacheUnavailable", "CacheUnavailable"])
    }).pipe(
      Effect.provide(RateLimiterRedis.layerRedis({ url: "redis://127.0.0.1:1", keyPrefix })),
      // Bounds layer construction and the calls together: a hang fails the test instead of stalling it.
      Effect.timeout("5 seconds")
    )
  )
})
