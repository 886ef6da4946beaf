// How learning learns learners' display names (on certificates, rosters, submissions) from the service that owns accounts.
import type { UserId } from "@lectern/domain"
import { Context, type Effect, type Option } from "effect"

export class LearnerDirectory extends Context.Tag("@lectern/learning/LearnerDirectory")<
  LearnerDirectory,
  {
    readonly displayName: (id: UserId) => Effect.Effect<Option.Option<string>>
    /** Several learners' names at once (one lookup, not one per learner); unknown ids are left out. */
    readonly displayNames: (ids: ReadonlyArray<UserId>) => Effect.Effect<ReadonlyMap<UserId, string>>
  }
>() {}
