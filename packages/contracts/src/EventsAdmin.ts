// EventsAdminRpcs: the dead letters of the event bus, for admins to inspect and re-drive.
import { Rpc, RpcGroup } from "@effect/rpc"
import { Forbidden, InvalidInput, NotFound } from "@lectern/domain"
import { Schema } from "effect"
import { EventEnvelope } from "./Events.ts"
import { Authentication } from "./Middleware.ts"

/** A consumer group's name, e.g. `notifications`. */
export const GroupName = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200))

/** Names one dead letter (a Redis stream entry id, or a UUID on the in-memory bus). */
export const DeadLetterId = Schema.String.pipe(Schema.minLength(1), Schema.maxLength(100))

/** An event a consumer group failed to handle `attempts` times, with the last error it reported. */
export class DeadLetter extends Schema.Class<DeadLetter>("DeadLetter")({
  id: DeadLetterId,
  group: Schema.String,
  event: EventEnvelope,
  attempts: Schema.Int,
  lastError: Schema.String,
  failedAt: Schema.DateTimeUtc
}) {}

/** Admin only: every call fails with Forbidden for anyone else. */
export class EventsAdminRpcs extends RpcGroup.make(
  Rpc.make("events.deadLetters", {
    payload: { group: Schema.optional(GroupName) },
    success: Schema.Array(DeadLetter),
    error: Schema.Union(InvalidInput, Forbidden)
  }),
  Rpc.make("events.redrive", {
    payload: { id: DeadLetterId },
    error: Schema.Union(InvalidInput, Forbidden, NotFound)
  })
).middleware(Authentication) {}
