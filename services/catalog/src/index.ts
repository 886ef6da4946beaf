// @lectern/catalog: the catalog service as layers, for the gateway and for running alone.
export { Catalog, type CounterEvent, type CounterOutcome } from "./Catalog.ts"
export { CatalogCache, CatalogCacheInvalidationLive, CatalogCacheTtl } from "./CatalogCache.ts"
export { CourseImages, type CourseImagesService } from "./CourseImages.ts"
export { CreatorDirectory, type CreatorDirectoryService } from "./CreatorDirectory.ts"
export { CatalogHandlers } from "./Handlers.ts"
export {
  CatalogDomainLive,
  CatalogLive,
  CatalogMigrations,
  CatalogRelayLive,
  CatalogSchemaLive,
  CatalogServiceLive,
  makeCatalogLive,
  makeCatalogServiceLive
} from "./Layer.ts"
export { LearnerAccess, type LearnerAccessService } from "./LearnerAccess.ts"
export {
  DEMO_CATEGORIES,
  DEMO_COURSES,
  type DemoSeedOptions,
  type DemoSeedOutcome,
  SEED_ACTOR_ID,
  seedDemoContent
} from "./Seed.ts"
