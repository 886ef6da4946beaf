// Wiring of the learning service: its migrations, repo, domain service, RPC handlers, outbox relay and consumers.
import { loadMigrations, migrate } from "@lectern/platform/Migrator"
import { layerRelayFromConfig, outboxMigration, processedEventsMigration } from "@lectern/platform/Outbox"
import { Layer } from "effect"
import { AssignmentRepo } from "./AssignmentRepo.ts"
import { Assignments } from "./Assignments.ts"
import { CertificateIssuer } from "./CertificateIssuer.ts"
import { LearningHandlers } from "./Handlers.ts"
import { Learning } from "./Learning.ts"
import { LearningConsumersLive } from "./LearningConsumers.ts"
import { QuizRepo } from "./QuizRepo.ts"
import { Quizzes } from "./Quizzes.ts"
import { RecommendationRepo, Recommendations } from "./Recommendations.ts"
import { LEARNING_SCHEMA, LearningRepo } from "./Repo.ts"

/** The learning schema's migrations: its SQL files, then the outbox (2) and processed events (3). */
export const LearningMigrations = {
  schema: LEARNING_SCHEMA,
  migrations: [
    ...loadMigrations(new URL("../migrations/", import.meta.url)),
    outboxMigration(LEARNING_SCHEMA, 2),
    processedEventsMigration(LEARNING_SCHEMA, 3)
  ].sort((a, b) => a.id - b.id)
}

export const LearningSchemaLive = Layer.effectDiscard(migrate(LearningMigrations))

const LearningRepoLive = LearningRepo.Default.pipe(Layer.provide(LearningSchemaLive))

/**
 * The domain services (enrollment and progress, quizzes, assignments, certificates, recommendations) with their repos;
 * need SqlClient, a CatalogReader, a LearnerDirectory and SubmissionFiles.
 */
export const LearningDomainLive = Layer.mergeAll(Quizzes.Default, Assignments.Default, Recommendations.Default).pipe(
  // A passed quiz completes its quiz lessons through Learning.
  Layer.provideMerge(Learning.Default),
  Layer.provideMerge(CertificateIssuer.Default.pipe(Layer.provide(LearningSchemaLive))),
  Layer.provideMerge(
    Layer.mergeAll(
      LearningRepoLive,
      QuizRepo.Default.pipe(Layer.provide(LearningSchemaLive)),
      AssignmentRepo.Default.pipe(Layer.provide(LearningSchemaLive)),
      RecommendationRepo.Default.pipe(Layer.provide(LearningSchemaLive))
    )
  )
)

/** Handlers for every LearningRpcs tag, plus Learning, with the catalog consumers running (needs an EventBus). */
export const LearningLive = Layer.mergeAll(LearningHandlers, LearningConsumersLive).pipe(
  Layer.provideMerge(LearningDomainLive)
)

/** Moves learning.outbox rows (enrollment.*, lesson.completed, course.completed, quiz.*, assignment.*, …) to the EventBus. */
export const LearningRelayLive = layerRelayFromConfig({ schema: LEARNING_SCHEMA }).pipe(
  Layer.provide(LearningSchemaLive)
)
