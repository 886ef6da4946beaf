// The RateLimiter port in process memory: a sliding-window log of hit times per key, on effect's Clock.
import { Duration, Effect, Layer } from "effect"
import { type RateLimitDecision, RateLimiter, type RateLimiterService } from "./RateLimiter.ts"

export interface MemoryRateLimiter extends RateLimiterService {
  /** Keys held right now, expired ones not yet swept included (to observe that memory stays bounded). */
  readonly size: Effect.Effect<number>
}

interface Hits {
  /** Clock milliseconds of the recorded hits, oldest first. */
  readonly times: Array<number>
  /** Like Redis' PEXPIRE: the key is forgotten one window after its latest hit. */
  readonly expiresAt: number
}

/** A sweep waits for this many writes, or for as many as the keys the last sweep kept: its cost stays O(writes). */
const minWritesBetweenSweeps = 1_024

const windowMillis = (window: Duration.DurationInput) => {
  const ms = Math.ceil(Duration.toMillis(window))
  return ms > 0 && Number.isFinite(ms)
    ? Effect.succeed(ms)
    : Effect.dieMessage(`RateLimiter: the window must be a positive, finite duration (got ${ms} ms)`)
}

/**
 * A fresh in-memory rate limiter with the same semantics as the Redis one: a hit at time t counts while
 * now - t < window, refused hits are not recorded, and a refusal says when the blocking hit leaves the window.
 * Each decision reads the Clock and updates the log in one synchronous step, so concurrent fibers never over-admit.
 */
export const makeMemory = (): MemoryRateLimiter => {
  const keys = new Map<string, Hits>()
  let writesSinceSweep = 0
  let writesBeforeNextSweep = minWritesBetweenSweeps

  const withNow = <A>(f: (now: number) => A) =>
    Effect.clockWith((clock) => Effect.sync(() => f(clock.unsafeCurrentTimeMillis())))

  const hitsInWindow = (key: string, now: number, windowMs: number): Array<number> => {
    const hits = keys.get(key)
    if (hits === undefined) return []
    if (hits.expiresAt <= now) {
      keys.delete(key)
      return []
    }
    return hits.times.filter((time) => time > now - windowMs)
  }

  const sweep = (now: number) => {
    for (const [key, hits] of keys) if (hits.expiresAt <= now) keys.delete(key)
    writesSinceSweep = 0
    writesBeforeNextSweep = Math.max(minWritesBetweenSweeps, keys.size)
  }

  const record = (times: Array<number>, now: number) => {
    const later = times.findIndex((time) => time > now)
    if (later === -1) times.push(now)
    else times.splice(later, 0, now)
  }

  const decide = (key: string, limit: number, windowMs: number, now: number): RateLimitDecision => {
    const times = hitsInWindow(key, now, windowMs)
    const count = times.length
    if (count < limit) {
      record(times, now)
      keys.set(key, { times, expiresAt: now + windowMs })
      writesSinceSweep++
      if (writesSinceSweep >= writesBeforeNextSweep) sweep(now)
      return { allowed: true, count: count + 1, retryAfterMs: 0 }
    }
    const existing = keys.get(key)
    if (existing !== undefined) keys.set(key, { times, expiresAt: existing.expiresAt })
    // The hit whose expiry brings the count below the limit; with no hit to wait for (limit < 1) wait a whole window.
    const blocking = limit >= 1 ? times[count - limit] : undefined
    return { allowed: false, count, retryAfterMs: blocking === undefined ? windowMs : blocking + windowMs - now }
  }

  return {
    consume: (key, limit, window) =>
      Effect.flatMap(windowMillis(window), (windowMs) =>
        withNow((now) => decide(key, Math.floor(limit), windowMs, now))
      ),
    peek: (key, window) =>
      Effect.flatMap(windowMillis(window), (windowMs) => withNow((now) => hitsInWindow(key, now, windowMs).length)),
    reset: (key) =>
      Effect.sync(() => {
        keys.delete(key)
      }),
    size: Effect.sync(() => keys.size)
  }
}

/** One in-process limiter per layer build: correct for a single process (the embedded default), not across replicas. */
export const layerMemory: Layer.Layer<RateLimiter> = Layer.sync(RateLimiter, makeMemory)
