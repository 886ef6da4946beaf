// The Cache port on Redis: plain string keys under a namespace, TTLs as PX expiries, prefix deletes by SCAN + UNLINK.
import { Duration, Effect, Layer } from "effect"
import { Cache } from "./Cache.ts"
import * as Redis from "./Redis.ts"

export interface CacheRedisOptions {
  /** Namespace for every key of this deployment (default `lectern:`); cache keys live under `<keyPrefix>cache:`. */
  readonly keyPrefix?: string
}

/** Keys asked of SCAN per round trip: large enough to sweep big keyspaces, small enough not to stall Redis. */
const scanBatch = 500

export const make = (options: CacheRedisOptions = {}) =>
  Effect.gen(function* () {
    const redis = yield* Redis.RedisConnection
    const namespace = `${options.keyPrefix ?? "lectern:"}cache:`
    const keyOf = (key: string) => namespace + key

    const set = (key: string, value: string, ttl?: Duration.DurationInput) => {
      if (ttl === undefined) return redis.use((client) => client.set(keyOf(key), value)).pipe(Effect.asVoid)
      const ttlMs = Duration.toMillis(ttl)
      if (ttlMs <= 0) return redis.use((client) => client.unlink(keyOf(key))).pipe(Effect.asVoid)
      if (!Number.isFinite(ttlMs)) return redis.use((client) => client.set(keyOf(key), value)).pipe(Effect.asVoid)
      return redis
        .use((client) => client.set(keyOf(key), value, { expiration: { type: "PX", value: Math.ceil(ttlMs) } }))
        .pipe(Effect.asVoid)
    }

    // SCAN walks the whole keyspace in pages; MATCH filters server-side and UNLINK frees memory off the main thread.
    const deleteByPrefix = (prefix: string) =>
      Effect.gen(function* () {
        const match = `${Redis.escapeGlob(keyOf(prefix))}*`
        let cursor = "0"
        do {
          const page = yield* redis.use((client) => client.scan(cursor, { MATCH: match, COUNT: scanBatch }))
          if (page.keys.length > 0) yield* redis.use((client) => client.unlink(page.keys))
          cursor = page.cursor
        } while (cursor !== "0")
      })

    return Cache.of({
      get: (key) => redis.use((client) => client.get(keyOf(key))).pipe(Effect.map((value) => value ?? undefined)),
      set,
      delete: (key) => redis.use((client) => client.unlink(keyOf(key))).pipe(Effect.asVoid),
      deleteByPrefix,
      ping: redis.use((client) => client.ping()).pipe(Effect.asVoid)
    })
  })

/** The Redis Cache on an existing shared `RedisConnection`. */
export const layer = (options: CacheRedisOptions = {}): Layer.Layer<Cache, never, Redis.RedisConnection> =>
  Layer.effect(Cache, make(options))

/** The Redis Cache with a connection of its own (see `Redis.make` for behaviour while Redis is down). */
export const layerRedis = (options: CacheRedisOptions & Redis.RedisOptions): Layer.Layer<Cache> =>
  layer(options).pipe(Layer.provide(Redis.layer(options)))
