// Wiring of the catalog service: its migrations, repo, domain service and RPC handlers, over the platform ports.
import { loadMigrations, migrate } from "@lectern/platform/Migrator"
import { layerRelay, outboxMigration, processedEventsMigration } from "@lectern/platform/Outbox"
import { Layer } from "effect"
import { Catalog } from "./Catalog.ts"
import { CatalogHandlers } from "./Handlers.ts"
import { CATALOG_SCHEMA, CatalogRepo } from "./Repo.ts"

/**
 * The catalog schema's migrations: its SQL files, then the platform's outbox and processed-events tables as ids 2
 * and 3. The next SQL file is `0004_…`.
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

/** The catalog domain service with its repo, after its schema is in place. */
export const CatalogServiceLive = Catalog.Default.pipe(
  Layer.provide(CatalogRepo.Default),
  Layer.provide(CatalogSchemaLive)
)

/** Everything the catalog RPC server needs from this service: handlers for every CatalogRpcs tag, plus Catalog. */
export const CatalogLive = CatalogHandlers.pipe(Layer.provideMerge(CatalogServiceLive))

/** Moves catalog.outbox rows to the EventBus in the background; the process hosting the catalog runs one. */
export const CatalogRelayLive = layerRelay({ schema: CATALOG_SCHEMA })
