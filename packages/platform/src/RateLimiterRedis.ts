// The RateLimiter port on Redis: a sliding-window log per key (a sorted set of hit times), updated atomically in Lua.

import { createHash } from "node:crypto"
import { Duration, Effect, Layer, Schema } from "effect"
import { CacheUnavailable } from "./Cache.ts"
import { RateLimiter } from "./RateLimiter.ts"
import * as Redis from "./Redis.ts"

export interface RateLimiterRedisOptions {
  /** Namespace for every key of this deployment (default `lectern:`); limiter keys live under `<keyPrefix>ratelimit:`. */
  readonly keyPrefix?: string
}

/*
 * Time comes from the Redis server (TIME inside the script), so every replica of every service agrees on the window
 * whatever their clocks say. A hit at time t counts while now - t < window. Scores are milliseconds; members are
 * random ids from the caller so hits in the same millisecond stay distinct. Numbers go back to Redis as strings made
 * by string.format: Redis would print a Lua number like 60000 as "6e4", which PEXPIRE rejects.
 */
const now = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`

/** KEYS[1] = the key; ARGV = limit, window in ms, member id. Returns { allowed (0|1), count, retryAfterMs }. */
const consumeScript = `${now}
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('%.0f', now - window))
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, string.format('%.0f', now), ARGV[3])
  redis.call('PEXPIRE', key, ARGV[2])
  return { 1, count + 1, 0 }
end
-- The hit whose expiry brings the count below the limit; with no hit to wait for (limit < 1) wait a whole window.
local retryAfter = window
if limit >= 1 then
  local blocking = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
  retryAfter = tonumber(blocking[2]) + window - now
end
return { 0, count, retryAfter }
`

/** KEYS[1] = the key; ARGV = window in ms. Returns the hits in the window, without touching the set. */
const peekScript = `${now}
return redis.call('ZCOUNT', KEYS[1], '(' .. string.format('%.0f', now - tonumber(ARGV[1])), '+inf')
`

interface Script {
  readonly source: string
  readonly sha: string
}

const script = (source: string): Script => ({ source, sha: createHash("sha1").update(source).digest("hex") })
const consume = script(consumeScript)
const peek = script(peekScript)

/** EVALSHA first; a server that lost its script cache (restart, SCRIPT FLUSH) gets the source through EVAL again. */
const runScript = async (client: Redis.RedisClient, { source, sha }: Script, key: string, args: Array<string>) => {
  const options = { keys: [key], arguments: args }
  try {
    return await client.evalSha(sha, options)
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("NOSCRIPT")) return await client.eval(source, options)
    throw error
  }
}

const ConsumeReply = Schema.Tuple(Schema.Number, Schema.Number, Schema.Number)
const PeekReply = Schema.Number

/** An unexpected reply means the store is not the Redis we expect; callers treat it like an outage. */
const decode =
  <A, I>(schema: Schema.Schema<A, I>) =>
  (reply: unknown) =>
    Schema.decodeUnknown(schema)(reply).pipe(Effect.mapError((cause) => new CacheUnavailable({ cause })))

const windowMillis = (window: Duration.DurationInput) => {
  const ms = Math.ceil(Duration.toMillis(window))
  return ms > 0 && Number.isFinite(ms)
    ? Effect.succeed(ms)
    : Effect.dieMessage(`RateLimiter: the window must be a positive, finite duration (got ${ms} ms)`)
}

export const make = (options: RateLimiterRedisOptions = {}) =>
  Effect.gen(function* () {
    const redis = yield* Redis.RedisConnection
    const namespace = `${options.keyPrefix ?? "lectern:"}ratelimit:`
    const keyOf = (key: string) => namespace + key

    return RateLimiter.of({
      consume: (key, limit, window) =>
        Effect.gen(function* () {
          const windowMs = yield* windowMillis(window)
          const reply = yield* redis.use((client) =>
            runScript(client, consume, keyOf(key), [String(Math.floor(limit)), String(windowMs), crypto.randomUUID()])
          )
          const [allowed, count, retryAfterMs] = yield* decode(ConsumeReply)(reply)
          return { allowed: allowed === 1, count, retryAfterMs }
        }),
      peek: (key, window) =>
        Effect.gen(function* () {
          const windowMs = yield* windowMillis(window)
          const reply = yield* redis.use((client) => runScript(client, peek, keyOf(key), [String(windowMs)]))
          return yield* decode(PeekReply)(reply)
        }),
      reset: (key) => redis.use((client) => client.unlink(keyOf(key))).pipe(Effect.asVoid)
    })
  })

/** The Redis RateLimiter on an existing shared `RedisConnection`. */
export const layer = (options: RateLimiterRedisOptions = {}): Layer.Layer<RateLimiter, never, Redis.RedisConnection> =>
  Layer.effect(RateLimiter, make(options))

/** The Redis RateLimiter with a connection of its own (see `Redis.make` for behaviour while Redis is down). */
export const layerRedis = (options: RateLimiterRedisOptions & Redis.RedisOptions): Layer.Layer<RateLimiter> =>
  layer(options).pipe(Layer.provide(Redis.layer(options)))
