// The configured EventBus: `REDIS_URL` selects Redis Streams (on the connection the cache uses); otherwise process memory.
import { Config, Effect, Layer, Option } from "effect"
import * as EventBusMemory from "./EventBusMemory.ts"
import * as EventBusRedis from "./EventBusRedis.ts"
import * as Redis from "./Redis.ts"

/**
 * With `REDIS_URL`, the stream is `<REDIS_KEY_PREFIX>events` (prefix default `lectern:`), and the bus shares the
 * process's one Redis connection with the cache when both are built in the same layer graph (blocking reads use
 * connections of their own). Without it, the bus lives in memory, which is only correct when a single process runs
 * every producer and consumer (the embedded default).
 */
export const layerFromConfig = Layer.unwrapEffect(
  Effect.gen(function* () {
    const redis = yield* Redis.ConfiguredRedis
    const keyPrefix = yield* Config.string("REDIS_KEY_PREFIX").pipe(Config.withDefault("lectern:"))
    return Option.match(redis, {
      onSome: (connection) =>
        EventBusRedis.layer({ keyPrefix }).pipe(Layer.provide(Layer.succeed(Redis.RedisConnection, connection))),
      onNone: () => EventBusMemory.layerMemory
    })
  })
).pipe(Layer.provide(Redis.layerConfigured))
