// The statements the catalog runs for one course.search, captured from the real Catalog service, for the baselines.
//
// The catalog's Catalog.search runs here, in the harness, against the bench database, with an @effect/sql statement
// transformer recording each compiled statement (text and parameters) instead of copying SQL by hand: the
// baselines then run exactly what the gateway runs.
import { Statement } from "@effect/sql"
import { Catalog } from "@lectern/catalog"
import { layer as catalogCacheLayer } from "@lectern/catalog/CatalogCache"
import { CatalogRepo } from "@lectern/catalog/Repo"
import type { Catalog as Contract } from "@lectern/contracts"
import { layerMemory as cacheMemory } from "@lectern/platform/CacheMemory"
import { layerPostgres } from "@lectern/platform/Database"
import { Effect, Layer, Redacted } from "effect"

export interface CapturedStatement {
  readonly text: string
  readonly params: ReadonlyArray<unknown>
}

/**
 * The statements of `input` (a first page: no cursor): the page, and the count unless the page statement carries
 * the total itself (`count(*) OVER ()`, which the catalog uses for relevance-ordered first pages).
 */
export const captureSearchStatements = (databaseUrl: string, input: typeof Contract.CourseSearch.Type) => {
  const CatalogOnly = Catalog.Default.pipe(
    // The cache off: every search reaches the database.
    Layer.provide(catalogCacheLayer({ ttl: 0 })),
    Layer.provide(CatalogRepo.Default),
    Layer.provide(cacheMemory),
    Layer.provide(layerPostgres({ url: Redacted.make(databaseUrl), maxConnections: 2 }))
  )
  return Effect.runPromise(
    Effect.gen(function* () {
      const captured: Array<CapturedStatement> = []
      const catalog = yield* Catalog
      yield* catalog.search(input).pipe(
        Statement.withTransformer((statement) =>
          Effect.sync(() => {
            const [text, params] = statement.compile()
            captured.push({ text, params })
            return statement
          })
        )
      )
      const page = captured.find((statement) => statement.text.includes('AS "sortKey"'))
      const total = captured.find((statement) => !statement.text.includes('AS "sortKey"'))
      if (page === undefined || captured.length > 2 || (captured.length === 2 && total === undefined)) {
        return yield* Effect.dieMessage(`expected a page statement and a count, got ${JSON.stringify(captured)}`)
      }
      return { page, total: total ?? null }
    }).pipe(Effect.scoped, Effect.provide(CatalogOnly))
  )
}
