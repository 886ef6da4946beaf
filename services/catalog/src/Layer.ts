// Wiring of the catalog service: its migrations, repo, domain service and RPC handlers, over the platform ports.

import type { Cache } from "@lectern/platform/Cache"
import { loadMigrations, migrate } from "@lectern/platform/Migrator"
import { layerRelayFromConfig, outboxMigration, processedEventsMigration } from "@lectern/platform/Outbox"
import { Layer } from "effect"
import { Catalog } from "./Catalog.ts"
import {
  type CatalogCache,
  CatalogCacheInvalidationLive,
  layerFromConfig as layerCatalogCacheFromConfig
} from "./CatalogCache.ts"
import { CatalogConsumersLive } from "./CatalogConsumers.ts"
import { CatalogHandlers } from "./Handlers.ts"
import { CATALOG_SCHEMA, CatalogRepo } from "./Repo.ts"

/**
 * The catalog schema's migrations: its SQL files, then the platform's outbox and processed-events tables as ids 2
 * and 3. The next SQL file is `0007_…`.
 */
export const CatalogMigrations = {
  schema: CATALOG_SCHEMA,
  migrations: [
    ...loadMigrations(new URL("../migrations/", import.meta.url)),
    outboxMigration(CATALOG_SCHEMA, 2),
    processedEventsMigration(CATALOG_SCHEMA, 3)
  ].sort((a, b) => a.id - b.id)
}

/** Applies the catalog schema's migrations when the service starts (idempotent, under a lock). */
export const CatalogSchemaLive = Layer.effectDiscard(migrate(CatalogMigrations))

/** The repo, after the catalog schema is in place. */
const CatalogRepoLive = CatalogRepo.Default.pipe(Layer.provide(CatalogSchemaLive))

/**
 * The catalog domain service, the invalidation of its cache, and its consumers of other services' events
 * (enrollments, reviews, media), over a given CatalogCache (tests pick the TTL).
 * Needs the platform's SqlClient and Cache, and the EventBus the invalidation listens to.
 */
export const makeCatalogServiceLive = <E>(cache: Layer.Layer<CatalogCache, E, Cache | CatalogRepo>) =>
  CatalogConsumersLive.pipe(
    Layer.provideMerge(Layer.merge(Catalog.Default, CatalogCacheInvalidationLive)),
    Layer.provide(cache),
    Layer.provideMerge(CatalogRepoLive)
  )

/**
 * The domain service alone, without the cache invalidation consumer: for one-off processes that only write (the
 * seed); the process that serves the catalog relays their events and drops what they make stale.
 */
export const CatalogDomainLive = Catalog.Default.pipe(
  Layer.provide(layerCatalogCacheFromConfig),
  Layer.provideMerge(CatalogRepoLive)
)

/** The catalog domain service with its repo and cache (CATALOG_CACHE_TTL), after its schema is in place. */
export const CatalogServiceLive = makeCatalogServiceLive(layerCatalogCacheFromConfig)

/** Handlers for every CatalogRpcs tag over a given CatalogCache, plus Catalog. */
export const makeCatalogLive = <E>(cache: Layer.Layer<CatalogCache, E, Cache | CatalogRepo>) =>
  CatalogHandlers.pipe(Layer.provideMerge(makeCatalogServiceLive(cache)))

/**
 * Everything the catalog RPC server needs from this service: handlers for every CatalogRpcs tag, plus Catalog, with
 * the cache invalidation running (the process must provide an EventBus).
 */
export const CatalogLive = makeCatalogLive(layerCatalogCacheFromConfig)

/**
 * Moves catalog.outbox rows to the EventBus in the background; the process hosting the catalog runs one. It starts
 * once the schema is in place, so a first start does not poll a table that does not exist yet.
 */
export const CatalogRelayLive = layerRelayFromConfig({ schema: CATALOG_SCHEMA }).pipe(Layer.provide(CatalogSchemaLive))
