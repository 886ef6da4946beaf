// The Cache port: string keys to string values with a time to live, shared by every service of a deployment.
import { Context, Data, type Duration, type Effect } from "effect"

/** The cache could not be reached; callers decide whether to fail open or closed. */
export class CacheUnavailable extends Data.TaggedError("CacheUnavailable")<{ readonly cause: unknown }> {}

export interface CacheService {
  readonly get: (key: string) => Effect.Effect<string | undefined, CacheUnavailable>
  /** Sets `key` to `value`; without `ttl` the value lives until deleted. */
  readonly set: (key: string, value: string, ttl?: Duration.DurationInput) => Effect.Effect<void, CacheUnavailable>
  readonly delete: (key: string) => Effect.Effect<void, CacheUnavailable>
  /** Deletes every key starting with `prefix` (for invalidation by namespace). */
  readonly deleteByPrefix: (prefix: string) => Effect.Effect<void, CacheUnavailable>
  /** Answers whether the backing store is reachable (for `/ready`). */
  readonly ping: Effect.Effect<void, CacheUnavailable>
}

export class Cache extends Context.Tag("@lectern/platform/Cache")<Cache, CacheService>() {}
