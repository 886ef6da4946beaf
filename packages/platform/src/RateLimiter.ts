// The RateLimiter port: counts hits per key in a sliding window and says whether one more is allowed.
import { Context, type Duration, type Effect } from "effect"
import type { CacheUnavailable } from "./Cache.ts"

export interface RateLimitDecision {
  readonly allowed: boolean
  /** Hits counted in the window, this one included when allowed. */
  readonly count: number
  /** When refused: how long until one more hit would be allowed. */
  readonly retryAfterMs: number
}

export interface RateLimiterService {
  /** Records one hit for `key` if fewer than `limit` hits fell in the last `window`; otherwise refuses it. */
  readonly consume: (
    key: string,
    limit: number,
    window: Duration.DurationInput
  ) => Effect.Effect<RateLimitDecision, CacheUnavailable>
  /** Counts the hits in the window without recording one. */
  readonly peek: (key: string, window: Duration.DurationInput) => Effect.Effect<number, CacheUnavailable>
  /** Forgets every hit for `key` (e.g. after a successful login). */
  readonly reset: (key: string) => Effect.Effect<void, CacheUnavailable>
}

export class RateLimiter extends Context.Tag("@lectern/platform/RateLimiter")<RateLimiter, RateLimiterService>() {}
