// The CreatorDirectory port: a course owner's display name, which auth keeps. Optional: the gateway provides it from
// auth in the same process (services/gateway/src/Bridges.ts); the catalog running alone shows no names.
import type { UserId } from "@lectern/domain"
import { Context, type Effect, type Option } from "effect"

export interface CreatorDirectoryService {
  /** The user's current display name; none for an unknown or deleted account. */
  readonly displayName: (id: UserId) => Effect.Effect<Option.Option<string>>
}

export class CreatorDirectory extends Context.Tag("@lectern/catalog/CreatorDirectory")<
  CreatorDirectory,
  CreatorDirectoryService
>() {}
