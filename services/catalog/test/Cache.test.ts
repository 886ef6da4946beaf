// The catalog cache with the cache and the bus in process memory (the embedded default), and CATALOG_CACHE_TTL.

import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Either } from "effect"
import { CatalogCacheTtl } from "../src/CatalogCache.ts"
import { cacheSuite } from "./CacheSuite.ts"

cacheSuite("catalog cache in memory")

describe("CATALOG_CACHE_TTL", () => {
  const read = (value: string | undefined) =>
    Effect.either(CatalogCacheTtl).pipe(
      Effect.withConfigProvider(
        ConfigProvider.fromMap(new Map(value === undefined ? [] : [["CATALOG_CACHE_TTL", value]]))
      )
    )
  it.effect("is seconds or a duration, 0 for off, 60 seconds by default", () =>
    Effect.gen(function* () {
      expect(yield* read(undefined)).toEqual(Either.right(Duration.seconds(60)))
      expect(yield* read("0")).toEqual(Either.right(Duration.zero))
      expect(yield* read("30")).toEqual(Either.right(Duration.seconds(30)))
      expect(yield* read("2 minutes")).toEqual(Either.right(Duration.minutes(2)))
      expect(Either.isLeft(yield* read("soon"))).toBe(true)
      expect(Either.isLeft(yield* read("-5"))).toBe(true)
    })
  )
})
