// The LearnerAccess port: whether a user is enrolled in a course, which learning keeps. Optional: the gateway provides
// it from learning in the same process (services/gateway/src/Bridges.ts); without it only editors and preview
// lessons show content.
import type { CourseId, UserId } from "@lectern/domain"
import { Context, type Effect } from "effect"

export interface LearnerAccessService {
  readonly isEnrolled: (userId: UserId, courseId: CourseId) => Effect.Effect<boolean>
}

export class LearnerAccess extends Context.Tag("@lectern/catalog/LearnerAccess")<
  LearnerAccess,
  LearnerAccessService
>() {}
