// The Redis connection the Redis-backed ports share: one client per process that fails calls fast while Redis is away.
import { Config, type ConfigError, Context, Duration, Effect, Layer, Option, Redacted, Runtime } from "effect"
import { createClient, type RedisClientType } from "redis"
import { CacheUnavailable } from "./Cache.ts"

export type RedisClient = RedisClientType

export interface RedisConnectionService {
  /** The raw client, for ports that need more than `use` offers (streams, pub/sub). */
  readonly client: RedisClient
  /** Runs one call against Redis; being offline, a timeout or an error reply all become `CacheUnavailable`. */
  readonly use: <A>(run: (client: RedisClient) => Promise<A>) => Effect.Effect<A, CacheUnavailable>
}

export class RedisConnection extends Context.Tag("@lectern/platform/RedisConnection")<
  RedisConnection,
  RedisConnectionService
>() {}

export interface RedisOptions {
  readonly url: Redacted.Redacted | string
  /** How long one connection attempt may take, and how long startup waits for the first one. Default 2 s. */
  readonly connectTimeout?: Duration.DurationInput
  /** How long one command may wait for its reply before it fails. Default 2 s. */
  readonly commandTimeout?: Duration.DurationInput
}

/** Reconnect quickly with a little jitter: while disconnected every call fails, so recovery time is downtime. */
const reconnectDelay = (retries: number) => Math.min(50 * 2 ** retries, 1_000) + Math.floor(Math.random() * 100)

/**
 * Waits for the first connection attempt to succeed or fail, whichever comes first, but no longer than `withinMs`
 * of wall-clock time (a node timer, so a TestClock in the caller's context cannot stall startup).
 */
const firstConnectionAttempt = (client: RedisClient, withinMs: number) =>
  Effect.async<void>((resume) => {
    const settle = () => {
      clearTimeout(timer)
      client.off("ready", settle)
      client.off("error", settle)
      resume(Effect.void)
    }
    const timer = setTimeout(settle, withinMs)
    client.on("ready", settle)
    client.on("error", settle)
    return Effect.sync(() => {
      clearTimeout(timer)
      client.off("ready", settle)
      client.off("error", settle)
    })
  })

/** Lets in-flight commands finish when connected, but never waits longer than `withinMs` before tearing down. */
const closeClient = (client: RedisClient, withinMs: number) =>
  Effect.async<void>((resume) => {
    if (!client.isReady) {
      client.destroy()
      resume(Effect.void)
      return
    }
    const forceAfter = setTimeout(() => client.destroy(), withinMs)
    client
      .close()
      .catch(() => client.destroy())
      .finally(() => {
        clearTimeout(forceAfter)
        resume(Effect.void)
      })
  })

/**
 * A scoped Redis connection. Startup waits (at most `connectTimeout`) for the first connection attempt and then
 * proceeds even if Redis is down: the layer does not fail, the client keeps reconnecting in the background, and
 * meanwhile every call fails at once with `CacheUnavailable` (the offline queue is disabled, so nothing piles up
 * waiting for a connection). `/ready` reports the outage through `ping`. The connection closes with the scope.
 */
export const make = (options: RedisOptions) =>
  Effect.gen(function* () {
    const connectTimeoutMs = Duration.toMillis(options.connectTimeout ?? "2 seconds")
    const commandTimeoutMs = Duration.toMillis(options.commandTimeout ?? "2 seconds")
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())

    const client = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const client: RedisClient = createClient({
          url: typeof options.url === "string" ? options.url : Redacted.value(options.url),
          disableOfflineQueue: true,
          commandOptions: { timeout: commandTimeoutMs },
          socket: { connectTimeout: connectTimeoutMs, reconnectStrategy: reconnectDelay }
        })
        // Log transitions only: the client reports an error on every failed reconnect attempt.
        let state: "starting" | "up" | "down" = "starting"
        client.on("ready", () => {
          if (state === "down") runFork(Effect.logInfo("Redis reachable again"))
          state = "up"
        })
        client.on("error", (cause: unknown) => {
          if (state === "down") return
          state = "down"
          runFork(
            Effect.logWarning("Redis unreachable; calls fail with CacheUnavailable until it reconnects").pipe(
              Effect.annotateLogs("cause", cause instanceof Error ? cause.message : String(cause))
            )
          )
        })
        // Settles only when the client is closed; connection failures are reported through "error" events above.
        client.connect().catch(() => undefined)
        return client
      }),
      (client) => closeClient(client, commandTimeoutMs)
    )
    yield* firstConnectionAttempt(client, connectTimeoutMs)

    const use = <A>(run: (client: RedisClient) => Promise<A>) =>
      Effect.tryPromise({ try: () => run(client), catch: (cause) => new CacheUnavailable({ cause }) })

    return RedisConnection.of({ client, use })
  })

export const layer = (options: RedisOptions): Layer.Layer<RedisConnection> =>
  Layer.scoped(RedisConnection, make(options))

/** The deployment's Redis connection when `REDIS_URL` is set, none otherwise (the ports then live in memory). */
export class ConfiguredRedis extends Context.Tag("@lectern/platform/ConfiguredRedis")<
  ConfiguredRedis,
  Option.Option<RedisConnectionService>
>() {}

/**
 * `REDIS_URL` → one connection, else none. Every Redis-backed "from config" layer provides this one layer value, and
 * a layer used several times in one layer graph is built once: the cache, the rate limiter and the event bus of a
 * process share one connection.
 */
export const layerConfigured: Layer.Layer<ConfiguredRedis, ConfigError.ConfigError> = Layer.scoped(
  ConfiguredRedis,
  Effect.gen(function* () {
    const url = yield* Config.option(Config.redacted("REDIS_URL"))
    if (Option.isNone(url)) return Option.none()
    return Option.some(yield* make({ url: url.value }))
  })
)

/** Escapes a literal so it can be used inside a SCAN MATCH glob pattern. */
export const escapeGlob = (literal: string) => literal.replace(/[*?[\]\\]/g, "\\$&")
