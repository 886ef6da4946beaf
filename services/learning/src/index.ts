// @lectern/learning: the learning service — enrollment and progress measured from what was really played.
export { CatalogReader, type CatalogReaderService } from "./CatalogReader.ts"
export { LearningHandlers } from "./Handlers.ts"
export { LearningDomainLive, LearningLive, LearningMigrations, LearningRelayLive, LearningSchemaLive } from "./Layer.ts"
export { Learning } from "./Learning.ts"
export { CURRICULUM_GROUP, LearningConsumersLive } from "./LearningConsumers.ts"
export { LEARNING_SCHEMA, LearningRepo } from "./Repo.ts"
export * from "./WatchedRanges.ts"
