// Contract suite for the RateLimiter port: every implementation (process memory, Redis) must pass it on the real clock.
import { describe, expect } from "@effect/vitest"
import { RateLimiter } from "@lectern/platform/RateLimiter"
import { Effect, type Layer } from "effect"
import { eventually, sharedLayer } from "./SuiteSupport.ts"

/**
 * Registers the RateLimiter contract against `layer`. Tests run on the live clock (Redis takes time from its own
 * server, so nothing else could drive it); waits poll with a deadline. Every key starts with a prefix unique to this
 * run so suites sharing one Redis never see each other's hits.
 */
export const rateLimiterSuite = <E>(name: string, layer: Layer.Layer<RateLimiter, E>) => {
  const run = `ratelimit-suite-${crypto.randomUUID()}:`
  const key = (name: string) => `${run}${name}`

  describe(`RateLimiter port: ${name}`, () => {
    const test = sharedLayer(layer)
    test("admits exactly `limit` hits, then refuses and says when to retry", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter
        const admitted = yield* Effect.forEach([1, 2, 3], () => limiter.consume(key("exact"), 3, "1 minute"))
        expect(admitted).toEqual([1, 2, 3].map((count) => ({ allowed: true, count, retryAfterMs: 0 })))
        const refused = yield* limiter.consume(key("exact"), 3, "1 minute")
        expect(refused.allowed).toBe(false)
        expect(refused.count).toBe(3)
        expect(refused.retryAfterMs).toBeGreaterThan(0)
        expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000)
        // A refused hit is not recorded.
        expect(yield* limiter.peek(key("exact"), "1 minute")).toBe(3)
      }))

    test("peeks without recording", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter
        expect(yield* limiter.peek(key("peek"), "1 minute")).toBe(0)
        yield* limiter.consume(key("peek"), 5, "1 minute")
        expect(yield* limiter.peek(key("peek"), "1 minute")).toBe(1)
        expect(yield* limiter.peek(key("peek"), "1 minute")).toBe(1)
      }))

    test("counts each key on its own", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter
        yield* limiter.consume(key("own:a"), 1, "1 minute")
        expect((yield* limiter.consume(key("own:a"), 1, "1 minute")).allowed).toBe(false)
        expect(yield* limiter.consume(key("own:b"), 1, "1 minute")).toEqual({
          allowed: true,
          count: 1,
          retryAfterMs: 0
        })
        expect(yield* limiter.peek(key("own:a"), "1 minute")).toBe(1)
      }))

    test("forgets a key's hits on reset", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter
        yield* limiter.consume(key("reset"), 2, "1 minute")
        yield* limiter.consume(key("reset"), 2, "1 minute")
        expect((yield* limiter.consume(key("reset"), 2, "1 minute")).allowed).toBe(false)
        yield* limiter.reset(key("reset"))
        expect(yield* limiter.peek(key("reset"), "1 minute")).toBe(0)
        expect(yield* limiter.consume(key("reset"), 2, "1 minute")).toEqual({
          allowed: true,
          count: 1,
          retryAfterMs: 0
        })
        yield* limiter.reset(key("never-hit"))
      }))

    test("never over-admits concurrent hits", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter
        const decisions = yield* Effect.all(
          Array.from({ length: 50 }, () => limiter.consume(key("race"), 10, "1 minute")),
          { concurrency: "unbounded" }
        )
        const admitted = decisions.filter((decision) => decision.allowed)
        expect(admitted.map((decision) => decision.count).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 10 }, (_, i) => i + 1)
        )
        expect(decisions.filter((decision) => !decision.allowed && decision.retryAfterMs > 0)).toHaveLength(40)
        expect(yield* limiter.peek(key("race"), "1 minute")).toBe(10)
      }))

    test("slides the window: each hit stops counting one window after it was made", () =>
      Effect.gen(function* () {
        const limiter = yield* RateLimiter
        const window = "3 seconds"
        expect((yield* limiter.consume(key("slide"), 2, window)).allowed).toBe(true)
        // A one-second hit made just after the first: once it has left its window, a second has passed.
        yield* limiter.consume(key("slide:clock"), 1, "1 second")
        yield* eventually(
          "one second later",
          limiter.peek(key("slide:clock"), "1 second").pipe(Effect.map((count) => count === 0))
        )
        expect(yield* limiter.consume(key("slide"), 2, window)).toEqual({ allowed: true, count: 2, retryAfterMs: 0 })
        const refused = yield* limiter.consume(key("slide"), 2, window)
        expect(refused.allowed).toBe(false)
        // The first hit blocks, and it is at least a second old: a fixed or restarted window would say ~3 s.
        expect(refused.retryAfterMs).toBeGreaterThan(0)
        expect(refused.retryAfterMs).toBeLessThanOrEqual(2_000)
        yield* eventually(
          "first hit out of the window",
          limiter.peek(key("slide"), window).pipe(Effect.map((count) => count < 2))
        )
        // The second hit, a second younger, still counts (a fixed window would have dropped both).
        expect(yield* limiter.consume(key("slide"), 2, window)).toEqual({ allowed: true, count: 2, retryAfterMs: 0 })
      }))
  })
}
