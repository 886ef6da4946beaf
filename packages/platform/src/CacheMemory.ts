// The Cache port in process memory: a Map with TTLs on effect's Clock, for the embedded default and unit tests.
import { Duration, Effect, Layer } from "effect"
import { Cache, type CacheService } from "./Cache.ts"

export interface CacheMemoryOptions {
  /** Live entries kept at most; beyond it the least recently used goes. Default 100 000. */
  readonly maxEntries?: number
}

export interface MemoryCache extends CacheService {
  /** Entries held right now, expired ones not yet swept included (to observe that memory stays bounded). */
  readonly size: Effect.Effect<number>
}

interface Entry {
  readonly value: string
  /** Clock milliseconds after which the entry is gone; Infinity without a TTL. */
  readonly expiresAt: number
}

/** A sweep waits for this many writes, or for as many as the entries the last sweep kept: its cost stays O(writes). */
const minWritesBetweenSweeps = 1_024

/**
 * A fresh in-memory cache. Time is read from the Clock in the caller's context, so a TestClock drives expiry.
 * Expired entries vanish on read and in periodic sweeps; entries without a TTL are bounded by `maxEntries` (LRU).
 * The Map's insertion order doubles as recency order: a read re-inserts what it finds.
 */
export const makeMemory = (options: CacheMemoryOptions = {}): MemoryCache => {
  const maxEntries = options.maxEntries ?? 100_000
  const entries = new Map<string, Entry>()
  let writesSinceSweep = 0
  let writesBeforeNextSweep = minWritesBetweenSweeps

  const withNow = <A>(f: (now: number) => A) =>
    Effect.clockWith((clock) => Effect.sync(() => f(clock.unsafeCurrentTimeMillis())))

  const sweep = (now: number) => {
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key)
    writesSinceSweep = 0
    writesBeforeNextSweep = Math.max(minWritesBetweenSweeps, entries.size)
  }

  return {
    get: (key) =>
      withNow((now) => {
        const entry = entries.get(key)
        if (entry === undefined) return undefined
        entries.delete(key)
        if (entry.expiresAt <= now) return undefined
        entries.set(key, entry)
        return entry.value
      }),
    set: (key, value, ttl) =>
      withNow((now) => {
        const expiresAt = ttl === undefined ? Number.POSITIVE_INFINITY : now + Duration.toMillis(ttl)
        entries.delete(key)
        if (expiresAt > now) entries.set(key, { value, expiresAt })
        writesSinceSweep++
        if (writesSinceSweep >= writesBeforeNextSweep) sweep(now)
        for (const leastRecent of entries.keys()) {
          if (entries.size <= maxEntries) break
          entries.delete(leastRecent)
        }
      }),
    delete: (key) =>
      Effect.sync(() => {
        entries.delete(key)
      }),
    deleteByPrefix: (prefix) =>
      Effect.sync(() => {
        for (const key of entries.keys()) if (key.startsWith(prefix)) entries.delete(key)
      }),
    ping: Effect.void,
    size: Effect.sync(() => entries.size)
  }
}

export const layerMemoryWith = (options: CacheMemoryOptions): Layer.Layer<Cache> =>
  Layer.sync(Cache, () => makeMemory(options))

/** One in-process cache per layer build: correct for a single process (the embedded default), not across replicas. */
export const layerMemory: Layer.Layer<Cache> = layerMemoryWith({})
