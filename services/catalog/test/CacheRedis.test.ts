// The catalog cache on Redis: the platform's Cache and the event bus (Redis Streams) on the machine's Redis, under
// keys of this run only, deleted at the end (cache entries expire by themselves).

import * as CacheRedis from "@lectern/platform/CacheRedis"
import * as EventBusRedis from "@lectern/platform/EventBusRedis"
import { layerMemory as rateLimiterMemory } from "@lectern/platform/RateLimiterMemory"
import * as Redis from "@lectern/platform/Redis"
import { Config, Effect, Layer } from "effect"
import { cacheSuite } from "./CacheSuite.ts"

const redisUrl = Config.string("REDIS_URL").pipe(Config.withDefault("redis://127.0.0.1:6379"))
const keyPrefix = `test-catalog-cache-${crypto.randomUUID()}:`
const stream = `${keyPrefix}events`

/** One Redis connection for the cache and the bus, like the platform from config; the run's stream goes at the end. */
const redis = Layer.unwrapEffect(Effect.map(redisUrl, (url) => Redis.layer({ url }))).pipe(Layer.orDie)
const cleanUp = Layer.scopedDiscard(
  Effect.flatMap(Redis.RedisConnection, (connection) =>
    Effect.addFinalizer(() => connection.use((client) => client.unlink([stream, `${stream}:dead`])).pipe(Effect.ignore))
  )
)

cacheSuite("catalog cache on Redis", {
  cache: Layer.mergeAll(CacheRedis.layer({ keyPrefix }), rateLimiterMemory, cleanUp).pipe(Layer.provide(redis)),
  eventBus: EventBusRedis.layer({ keyPrefix, blockTimeout: "200 millis" }).pipe(Layer.provide(redis))
})
