// How learning learns a learner's display name (printed on certificates) from the service that owns accounts.
import type { UserId } from "@lectern/domain"
import { Context, type Effect, type Option } from "effect"

export class LearnerDirectory extends Context.Tag("@lectern/learning/LearnerDirectory")<
  LearnerDirectory,
  { readonly displayName: (id: UserId) => Effect.Effect<Option.Option<string>> }
>() {}
