// The Cache port's contract suite on process memory and the machine's Redis, plus memory bounds and Redis outages.

import { connect, createServer, type Socket } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { Cache } from "@lectern/platform/Cache"
import { layerFromConfig } from "@lectern/platform/CacheFromConfig"
import * as CacheMemory from "@lectern/platform/CacheMemory"
import * as CacheRedis from "@lectern/platform/CacheRedis"
import { RateLimiter } from "@lectern/platform/RateLimiter"
import { cacheSuite } from "@lectern/testkit/CacheSuite"
import { Config, ConfigProvider, Context, Effect, Layer, Schedule, TestClock } from "effect"
import { createClient } from "redis"

const redisUrl = Config.string("REDIS_URL").pipe(Config.withDefault("redis://127.0.0.1:6379"))
const keyPrefix = `test-cache-${crypto.randomUUID()}:`

cacheSuite("memory", CacheMemory.layerMemory)
cacheSuite("redis", Layer.unwrapEffect(Effect.map(redisUrl, (url) => CacheRedis.layerRedis({ url, keyPrefix }))))

describe("Cache in memory", () => {
  it.effect("expires a value exactly when its TTL has passed", () =>
    Effect.gen(function* () {
      const cache = CacheMemory.makeMemory()
      yield* cache.set("k", "v", "10 seconds")
      yield* TestClock.adjust("9999 millis")
      expect(yield* cache.get("k")).toBe("v")
      yield* TestClock.adjust("1 millis")
      expect(yield* cache.get("k")).toBeUndefined()
    })
  )

  it.effect("sweeps expired entries nobody reads, so memory stays bounded", () =>
    Effect.gen(function* () {
      const cache = CacheMemory.makeMemory()
      let largest = 0
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 1_000; i++) yield* cache.set(`round-${round}:${i}`, "v", "1 second")
        largest = Math.max(largest, yield* cache.size)
        yield* TestClock.adjust("2 seconds")
      }
      // 20 000 entries were written; at most one round is live, plus what one sweep interval lets pile up.
      expect(largest).toBeLessThanOrEqual(3_024)
    })
  )

  it.effect("evicts the least recently used entry beyond maxEntries", () =>
    Effect.gen(function* () {
      const cache = CacheMemory.makeMemory({ maxEntries: 3 })
      yield* cache.set("a", "1")
      yield* cache.set("b", "2")
      yield* cache.set("c", "3")
      yield* cache.get("a")
      yield* cache.set("d", "4")
      expect(yield* cache.get("b")).toBeUndefined()
      expect([yield* cache.get("a"), yield* cache.get("c"), yield* cache.get("d")]).toEqual(["1", "3", "4"])
      expect(yield* cache.size).toBe(3)
    })
  )
})

/** Re-runs `check` until it yields true, failing the test if that has not happened within ten seconds. */
const eventually = <E, R>(description: string, check: Effect.Effect<boolean, E, R>) =>
  check.pipe(
    Effect.repeat({ until: (done) => done, schedule: Schedule.spaced("20 millis") }),
    Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error(`not ${description} within 10 s`) })
  )

/** A loopback TCP server that accepts connections and never answers, like a host that hangs. */
const silentServer = Effect.acquireRelease(
  Effect.async<{ readonly port: number; readonly sockets: Set<Socket>; readonly close: () => void }>((resume) => {
    const sockets = new Set<Socket>()
    const server = createServer((socket) => {
      sockets.add(socket)
      socket.on("error", () => undefined)
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resume(Effect.succeed({ port, sockets, close: () => server.close() }))
    })
  }),
  ({ sockets, close }) =>
    Effect.sync(() => {
      for (const socket of sockets) socket.destroy()
      close()
    })
)

/** A loopback TCP proxy to Redis that a test can cut (Redis gone) and restore (Redis back) on the same port. */
const redisProxy = (upstream: URL) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly cut: () => void; readonly restore: () => void }>((resume) => {
      const sockets = new Set<Socket>()
      const track = (socket: Socket) => {
        sockets.add(socket)
        socket.on("error", () => undefined)
        socket.on("close", () => sockets.delete(socket))
      }
      const server = createServer((downstream) => {
        const toRedis = connect(Number(upstream.port || 6379), upstream.hostname)
        track(downstream)
        track(toRedis)
        downstream.pipe(toRedis).pipe(downstream)
        downstream.on("close", () => toRedis.destroy())
        toRedis.on("close", () => downstream.destroy())
      })
      server.on("error", () => undefined)
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        const url = new URL(upstream)
        url.hostname = "127.0.0.1"
        url.port = String(port)
        resume(
          Effect.succeed({
            url: url.toString(),
            cut: () => {
              server.close()
              for (const socket of sockets) socket.destroy()
            },
            restore: () => {
              server.listen(port, "127.0.0.1")
            }
          })
        )
      })
    }),
    ({ cut }) => Effect.sync(cut)
  )

describe("Cache on Redis when Redis is away", () => {
  it.live("fails fast with CacheUnavailable when nothing listens, and starts anyway", () =>
    Effect.gen(function* () {
      const cache = yield* Cache
      const errors = yield* Effect.all([cache.get("k"), cache.set("k", "v"), cache.ping].map(Effect.flip))
      expect(errors.map((error) => error._tag)).toEqual(["CacheUnavailable", "CacheUnavailable", "CacheUnavailable"])
    }).pipe(
      Effect.provide(CacheRedis.layerRedis({ url: "redis://127.0.0.1:1", keyPrefix })),
      // Bounds layer construction and the calls together: a hang fails the test instead of stalling it.
      Effect.timeout("5 seconds")
    )
  )

  it.live("starts within the connect timeout and fails fast when Redis hangs", () =>
    Effect.gen(function* () {
      const server = yield* silentServer
      const context = yield* Layer.build(
        CacheRedis.layerRedis({ url: `redis://127.0.0.1:${server.port}`, keyPrefix, connectTimeout: "300 millis" })
      )
      const cache = Context.get(context, Cache)
      expect((yield* cache.get("k").pipe(Effect.flip))._tag).toBe("CacheUnavailable")
    }).pipe(Effect.scoped, Effect.timeout("5 seconds"))
  )

  it.live("fails fast while Redis is gone and recovers when it is back", () =>
    Effect.gen(function* () {
      const proxy = yield* redisProxy(new URL(yield* redisUrl))
      const context = yield* Layer.build(CacheRedis.layerRedis({ url: proxy.url, keyPrefix }))
      const cache = Context.get(context, Cache)
      yield* cache.set("outage", "kept", "1 minute")

      proxy.cut()
      yield* eventually("offline", cache.get("outage").pipe(Effect.isFailure))
      const whileDown = yield* cache.get("outage").pipe(Effect.flip, Effect.timeout("1 second"))
      expect(whileDown._tag).toBe("CacheUnavailable")

      proxy.restore()
      yield* eventually(
        "back",
        cache.get("outage").pipe(
          Effect.map((value) => value === "kept"),
          Effect.orElseSucceed(() => false)
        )
      )
      yield* cache.delete("outage")
    }).pipe(Effect.scoped, Effect.timeout("30 seconds"))
  )
})

describe("Cache and RateLimiter from config", () => {
  it.live("with REDIS_URL, both ports use Redis under REDIS_KEY_PREFIX", () =>
    Effect.gen(function* () {
      const url = yield* redisUrl
      const prefix = `${keyPrefix}from-config:`
      const raw = yield* Effect.acquireRelease(
        Effect.tryPromise(() => createClient({ url }).connect()),
        (client) => Effect.tryPromise(() => client.close()).pipe(Effect.ignore)
      )
      const check = Effect.gen(function* () {
        const cache = yield* Cache
        const limiter = yield* RateLimiter
        yield* cache.set("k", "v", "1 minute")
        yield* limiter.consume("login", 5, "1 minute")
        expect(yield* Effect.tryPromise(() => raw.get(`${prefix}cache:k`))).toBe("v")
        expect(yield* Effect.tryPromise(() => raw.zCard(`${prefix}ratelimit:login`))).toBe(1)
        yield* cache.deleteByPrefix("")
        yield* limiter.reset("login")
      })
      yield* check.pipe(
        Effect.provide(layerFromConfig),
        Effect.withConfigProvider(
          ConfigProvider.fromMap(
            new Map([
              ["REDIS_URL", url],
              ["REDIS_KEY_PREFIX", prefix]
            ])
          )
        )
      )
    }).pipe(Effect.scoped)
  )

  it.live("without REDIS_URL, both ports live in memory", () =>
    Effect.gen(function* () {
      const cache = yield* Cache
      const limiter = yield* RateLimiter
      yield* cache.set("k", "v")
      expect(yield* cache.get("k")).toBe("v")
      expect((yield* limiter.consume("login", 1, "1 minute")).allowed).toBe(true)
      expect((yield* limiter.consume("login", 1, "1 minute")).allowed).toBe(false)
    }).pipe(Effect.provide(layerFromConfig), Effect.withConfigProvider(ConfigProvider.fromMap(new Map())))
  )
})
