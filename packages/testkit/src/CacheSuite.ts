// Contract suite for the Cache port: every implementation (process memory, Redis) must pass it on the real clock.
import { describe, expect } from "@effect/vitest"
import { Cache } from "@lectern/platform/Cache"
import { Duration, Effect, Layer } from "effect"
import { eventually, sharedLayer } from "./SuiteSupport.ts"

/**
 * Registers the Cache contract against `layer`. Tests run on the live clock (TTLs expire in real time, checked by
 * polling with a deadline), and every key starts with a prefix unique to this run, removed again afterwards, so
 * suites sharing one Redis never see each other's keys.
 */
export const cacheSuite = <E>(name: string, layer: Layer.Layer<Cache, E>) => {
  const run = `cache-suite-${crypto.randomUUID()}:`
  const cleanUp = Layer.scopedDiscard(
    Effect.gen(function* () {
      const cache = yield* Cache
      yield* Effect.addFinalizer(() => cache.deleteByPrefix(run).pipe(Effect.ignore))
    })
  )
  const key = (name: string) => `${run}${name}`

  describe(`Cache port: ${name}`, () => {
    const test = sharedLayer(Layer.provideMerge(cleanUp, layer))
    test("answers ping", () =>
      Effect.gen(function* () {
        const cache = yield* Cache
        yield* cache.ping
      }))

    test("gets what was set, overwrites, and deletes", () =>
      Effect.gen(function* () {
        const cache = yield* Cache
        expect(yield* cache.get(key("missing"))).toBeUndefined()
        yield* cache.set(key("greeting"), "hello")
        expect(yield* cache.get(key("greeting"))).toBe("hello")
        yield* cache.set(key("greeting"), "héllo, wörld ✓")
        expect(yield* cache.get(key("greeting"))).toBe("héllo, wörld ✓")
        yield* cache.set(key("empty"), "")
        expect(yield* cache.get(key("empty"))).toBe("")
        yield* cache.delete(key("greeting"))
        expect(yield* cache.get(key("greeting"))).toBeUndefined()
        expect(yield* cache.get(key("empty"))).toBe("")
        yield* cache.delete(key("never-set"))
      }))

    test("expires a value after its TTL, and only that value", () =>
      Effect.gen(function* () {
        const cache = yield* Cache
        yield* cache.set(key("ttl:forever"), "stays")
        yield* cache.set(key("ttl:long"), "stays", "10 minutes")
        yield* cache.set(key("ttl:short"), "goes", "50 millis")
        yield* eventually("expired", cache.get(key("ttl:short")).pipe(Effect.map((value) => value === undefined)))
        expect(yield* cache.get(key("ttl:forever"))).toBe("stays")
        expect(yield* cache.get(key("ttl:long"))).toBe("stays")
      }))

    test("forgets the old TTL when a value is set again without one", () =>
      Effect.gen(function* () {
        const cache = yield* Cache
        yield* cache.set(key("rewritten"), "first", "50 millis")
        yield* cache.set(key("rewritten"), "second")
        // Set after the first TTL started, with the same TTL: once it is gone, the first TTL has passed too.
        yield* cache.set(key("witness"), "x", "50 millis")
        yield* eventually("expired", cache.get(key("witness")).pipe(Effect.map((value) => value === undefined)))
        expect(yield* cache.get(key("rewritten"))).toBe("second")
      }))

    test("treats a TTL of zero as already expired", () =>
      Effect.gen(function* () {
        const cache = yield* Cache
        yield* cache.set(key("zero"), "before")
        yield* cache.set(key("zero"), "after", Duration.zero)
        expect(yield* cache.get(key("zero"))).toBeUndefined()
      }))

    test("deletes by prefix only the keys under that prefix", () =>
      Effect.gen(function* () {
        const cache = yield* Cache
        const users = Array.from({ length: 250 }, (_, i) => key(`users:${i}`))
        yield* Effect.forEach(users, (user) => cache.set(user, "u"), { concurrency: 25, discard: true })
        yield* cache.set(key("users"), "the bare namespace is not under users:")
        yield* cache.set(key("usersettings:1"), "neither is a longer word")
        yield* cache.set(key("courses:1"), "c")
        yield* cache.deleteByPrefix(key("users:"))
        const left = yield* Effect.forEach(users, (user) => cache.get(user), { concurrency: 25 })
        expect(left.filter((value) => value !== undefined)).toEqual([])
        expect(yield* cache.get(key("users"))).toBe("the bare namespace is not under users:")
        expect(yield* cache.get(key("usersettings:1"))).toBe("neither is a longer word")
        expect(yield* cache.get(key("courses:1"))).toBe("c")
      }))

    test("takes a prefix literally, glob characters included", () =>
      Effect.gen(function* () {
        const cache = yield* Cache
        const prefix = key("glob*[a]?\\:")
        yield* cache.set(`${prefix}1`, "literal")
        // Read as a glob, the prefix would match this key too.
        yield* cache.set(key("glob-anything-ab:1"), "decoy")
        yield* cache.deleteByPrefix(prefix)
        expect(yield* cache.get(`${prefix}1`)).toBeUndefined()
        expect(yield* cache.get(key("glob-anything-ab:1"))).toBe("decoy")
      }))
  })
}
