// The configured JobQueue: `REDIS_URL` selects Redis (the process's shared connection); otherwise Postgres in the service's schema.
import type { SqlClient } from "@effect/sql"
import { Config, type ConfigError, Effect, Layer, Option } from "effect"
import type { JobQueue } from "./JobQueue.ts"
import { layerPostgres } from "./JobQueuePostgres.ts"
import { layerRedis } from "./JobQueueRedis.ts"
import * as Redis from "./Redis.ts"

/**
 * With `REDIS_URL`, the queue lives in Redis under `REDIS_KEY_PREFIX` (default `lectern:`) on the connection the
 * cache and the event bus share, and the service starts even while Redis is down (calls then fail with
 * JobQueueUnavailable). Without it, the queue is `<schema>.jobs` on the service's database: the service keeps
 * `jobQueueMigration(schema, …)` in its migrations either way, so switching to Postgres needs no other step.
 */
export const layerFromConfig = (options: {
  readonly schema: string
}): Layer.Layer<JobQueue, ConfigError.ConfigError, SqlClient.SqlClient> =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const redis = yield* Redis.ConfiguredRedis
      const keyPrefix = yield* Config.string("REDIS_KEY_PREFIX").pipe(Config.withDefault("lectern:"))
      return Option.match(redis, {
        onSome: (connection) =>
          layerRedis({ keyPrefix }).pipe(Layer.provide(Layer.succeed(Redis.RedisConnection, connection))),
        onNone: () => layerPostgres(options)
      })
    })
  ).pipe(Layer.provide(Redis.layerConfigured))
