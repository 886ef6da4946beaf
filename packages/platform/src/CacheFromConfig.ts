// The configured Cache and RateLimiter: `REDIS_URL` selects Redis (one shared connection); otherwise process memory.
import { Config, Effect, Layer, Option } from "effect"
import * as CacheMemory from "./CacheMemory.ts"
import * as CacheRedis from "./CacheRedis.ts"
import * as RateLimiterMemory from "./RateLimiterMemory.ts"
import * as RateLimiterRedis from "./RateLimiterRedis.ts"
import * as Redis from "./Redis.ts"

/**
 * With `REDIS_URL`, both ports share one Redis connection under `REDIS_KEY_PREFIX` (default `lectern:`) and the
 * service starts even while Redis is down (calls then fail with CacheUnavailable). Without it, both live in memory,
 * which is only correct when a single process serves everything (the embedded default).
 */
export const layerFromConfig = Layer.unwrapEffect(
  Effect.gen(function* () {
    const redis = yield* Redis.ConfiguredRedis
    const keyPrefix = yield* Config.string("REDIS_KEY_PREFIX").pipe(Config.withDefault("lectern:"))
    return Option.match(redis, {
      onSome: (connection) =>
        Layer.mergeAll(CacheRedis.layer({ keyPrefix }), RateLimiterRedis.layer({ keyPrefix })).pipe(
          Layer.provide(Layer.succeed(Redis.RedisConnection, connection))
        ),
      onNone: () => Layer.mergeAll(CacheMemory.layerMemory, RateLimiterMemory.layerMemory)
    })
  })
).pipe(Layer.provide(Redis.layerConfigured))
