// Maps EventsAdminRpcs to the EventBus: admins list dead letters and put them back on the bus for their group.
import { CurrentUser, EventsAdmin } from "@lectern/contracts"
import { Forbidden, hasRole, NotFound } from "@lectern/domain"
import { DateTime, Effect } from "effect"
import { type DeadLetter, EventBus } from "./EventBus.ts"

const adminsOnly = Effect.flatMap(CurrentUser, (user) =>
  hasRole(user.role, "admin") ? Effect.void : Effect.fail(new Forbidden({ message: "admins only" }))
)

const toContract = (deadLetter: DeadLetter) =>
  new EventsAdmin.DeadLetter({
    id: deadLetter.id,
    group: deadLetter.group,
    event: deadLetter.event,
    attempts: deadLetter.attempts,
    lastError: deadLetter.lastError,
    failedAt: DateTime.unsafeFromDate(deadLetter.failedAt)
  })

/** The handlers; an unreachable bus is a defect (the client sees a generic error with a trace id). */
export const EventsAdminHandlers = EventsAdmin.EventsAdminRpcs.toLayer(
  Effect.gen(function* () {
    const bus = yield* EventBus
    return EventsAdmin.EventsAdminRpcs.of({
      "events.deadLetters": ({ group }) =>
        adminsOnly.pipe(
          Effect.zipRight(bus.deadLetters(group).pipe(Effect.orDie)),
          Effect.map((deadLetters) => deadLetters.map(toContract)),
          Effect.withSpan("EventsAdmin.deadLetters")
        ),
      "events.redrive": ({ id }) =>
        adminsOnly.pipe(
          Effect.zipRight(bus.redrive(id).pipe(Effect.orDie)),
          Effect.flatMap((found) => (found ? Effect.void : Effect.fail(new NotFound({ entity: "DeadLetter", id })))),
          Effect.tap(() =>
            Effect.flatMap(CurrentUser, (user) =>
              Effect.logInfo("dead letter re-driven").pipe(Effect.annotateLogs({ deadLetterId: id, adminId: user.id }))
            )
          ),
          Effect.withSpan("EventsAdmin.redrive", { attributes: { id } })
        )
    })
  })
)
