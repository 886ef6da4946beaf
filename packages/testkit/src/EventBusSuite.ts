// Contract suite for the EventBus port: process memory and Redis Streams must deliver, retry, dead-letter and re-drive alike.
import { describe, expect, layer } from "@effect/vitest"
import { Events } from "@lectern/contracts"
import { EventBus } from "@lectern/platform/EventBus"
import { DateTime, Deferred, Effect, Exit, type Layer, Scope } from "effect"
import { eventually } from "./SuiteSupport.ts"

export { eventually } from "./SuiteSupport.ts"

/**
 * A test's own events: every test stamps its events with a fresh `source` and its handlers ignore any other source,
 * because a group that subscribes for the first time also receives the events other tests published before.
 */
export const testEvents = () => {
  const source = `suite-${crypto.randomUUID()}`
  return {
    source,
    event: (type: Events.EventType = "course.updated") =>
      new Events.EventEnvelope({
        id: crypto.randomUUID(),
        type,
        version: 1,
        source,
        occurredAt: DateTime.unsafeNow(),
        payload: { courseId: crypto.randomUUID() }
      }),
    /** Runs `handle` for this test's events only; anything else is acknowledged untouched. */
    only:
      <E>(handle: (event: Events.EventEnvelope) => Effect.Effect<void, E>) =>
      (event: Events.EventEnvelope): Effect.Effect<void, E> =>
        event.source === source ? handle(event) : Effect.void
  }
}

/** A group name no other test uses. */
export const freshGroup = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`

/** Counts calls per event id, in arrival order. */
export const makeRecorder = () => {
  const seen: Array<Events.EventEnvelope> = []
  return {
    seen,
    record: (event: Events.EventEnvelope) =>
      Effect.sync(() => {
        seen.push(event)
      }),
    ids: () => seen.map((event) => event.id),
    count: (id: string) => seen.filter((event) => event.id === id).length
  }
}

/** Runs `handle` in a subscription of its own that the returned effect ends (a member leaving, or dying). */
export const subscribeUntilClosed = (
  options: { readonly group: string },
  handle: (event: Events.EventEnvelope) => Effect.Effect<void, unknown>
) =>
  Effect.gen(function* () {
    const bus = yield* EventBus
    const scope = yield* Scope.make()
    yield* bus.subscribe(options, handle).pipe(Scope.extend(scope))
    return Scope.close(scope, Exit.void)
  })

/**
 * Registers the EventBus contract against `busLayer`, built once for the block and run on the live clock. The layer
 * should retry quickly (a 10 ms base delay) so the dead-letter tests take milliseconds, not seconds; a Redis layer
 * should also take stopped consumers' entries over quickly (a claim idle time well under a second).
 */
export const eventBusSuite = <R, E>(name: string, busLayer: Layer.Layer<EventBus | R, E>) =>
  describe(`EventBus port: ${name}`, () => {
    layer(busLayer, { timeout: "60 seconds", excludeTestServices: true })((it) => {
      it.scoped(
        "gives every group every event, once each",
        () =>
          Effect.gen(function* () {
            const bus = yield* EventBus
            const { event, only } = testEvents()
            const first = makeRecorder()
            const second = makeRecorder()
            yield* bus.subscribe({ group: freshGroup("first") }, only(first.record))
            yield* bus.subscribe({ group: freshGroup("second") }, only(second.record))
            const events = Array.from({ length: 5 }, () => event())
            yield* Effect.forEach(events, bus.publish, { discard: true })
            const ids = events.map((e) => e.id)
            yield* eventually(
              "delivered to both groups",
              Effect.sync(() => first.seen.length >= 5 && second.seen.length >= 5)
            )
            expect([...first.ids()].sort()).toEqual([...ids].sort())
            expect([...second.ids()].sort()).toEqual([...ids].sort())
          }),
        30_000
      )

      it.scoped(
        "shares a group's events among its members, each event handled by one of them",
        () =>
          Effect.gen(function* () {
            const bus = yield* EventBus
            const { event, only } = testEvents()
            const group = freshGroup("shared")
            const members = [makeRecorder(), makeRecorder(), makeRecorder()]
            for (const member of members) yield* bus.subscribe({ group }, only(member.record))
            const events = Array.from({ length: 30 }, () => event())
            yield* Effect.forEach(events, bus.publish, { discard: true })
            const handled = () => members.flatMap((member) => member.ids())
            yield* eventually(
              "all handled",
              Effect.sync(() => new Set(handled()).size === events.length)
            )
            expect(handled()).toHaveLength(events.length)
          }),
        30_000
      )

      it.scoped(
        "hands a single consumer its group's events in publishing order",
        () =>
          Effect.gen(function* () {
            const bus = yield* EventBus
            const { event, only } = testEvents()
            const consumer = makeRecorder()
            yield* bus.subscribe({ group: freshGroup("ordered") }, only(consumer.record))
            const events = Array.from({ length: 50 }, () => event())
            yield* Effect.forEach(events, bus.publish, { discard: true })
            yield* eventually(
              "all handled",
              Effect.sync(() => consumer.seen.length >= events.length)
            )
            expect(consumer.ids()).toEqual(events.map((e) => e.id))
          }),
        30_000
      )

      it.scoped(
        "delivers events published before a group first subscribed",
        () =>
          Effect.gen(function* () {
            const bus = yield* EventBus
            const { event, only } = testEvents()
            const early = event()
            yield* bus.publish(early)
            const late = makeRecorder()
            yield* bus.subscribe({ group: freshGroup("late") }, only(late.record))
            yield* eventually(
              "delivered",
              Effect.sync(() => late.count(early.id) === 1)
            )
          }),
        30_000
      )

      it.scoped(
        "hands a handler only the types it asked for",
        () =>
          Effect.gen(function* () {
            const bus = yield* EventBus
            const { event, only } = testEvents()
            const consumer = makeRecorder()
            yield* bus.subscribe({ group: freshGroup("typed"), types: ["course.published"] }, only(consumer.record))
            const events = [
              event("course.updated"),
              event("course.published"),
              event("course.deleted"),
              event("lesson.changed"),
              event("course.published")
            ]
            yield* Effect.forEach(events, bus.publish, { discard: true })
            const last = events[4]?.id ?? ""
            // The other types were published before the last event, so by now they were skipped, not delayed.
            yield* eventually(
              "the last event handled",
              Effect.sync(() => consumer.count(last) === 1)
            )
            expect(consumer.ids()).toEqual([events[1]?.id, last])
          }),
        30_000
      )

      it.scoped(
        "retries a handler that fails twice, then counts the event handled and not dead",
        () =>
          Effect.gen(function* () {
            const bus = yield* EventBus
            const { event, only } = testEvents()
            const group = freshGroup("flaky")
            let calls = 0
            const handled = makeRecorder()
            yield* bus.subscribe(
              { group },
              only((e) =>
                Effect.suspend(() => {
                  calls++
                  if (calls === 1) return Effect.fail(new Error("first delivery failed"))
                  // A defect counts as a failed delivery too.
                  if (calls === 2) return Effect.dieMessage("second delivery died")
                  return handled.record(e)
                })
              )
            )
            const flaky = event()
            yield* bus.publish(flaky)
            yield* eventually(
              "handled",
              Effect.sync(() => handled.count(flaky.id) === 1)
            )
            expect(calls).toBe(3)
            expect(yield* bus.deadLetters(group)).toEqual([])
          }),
        30_000
      )

      it.scoped(
        "dead-letters an event after maxDeliveries (default 5) failures, with the last error",
        () =>
          Effect.gen(function* () {
            const bus = yield* EventBus
            const { event, only } = testEvents()
            const group = freshGroup("broken")
            const short = freshGroup("short")
            let calls = 0
            let shortCalls = 0
            yield* bus.subscribe(
              { group },
              only(() =>
                Effect.suspend(() => {
                  calls++
                  return Effect.fail(new Error(`delivery ${calls} failed`))
                })
              )
            )
            yield* bus.subscribe(
              { group: short, maxDeliveries: 2 },
              only(() =>
                Effect.suspend(() => {
                  shortCalls++
                  return Effect.fail(new Error("always"))
                })
              )
            )
            const poison = event()
            yield* bus.publish(poison)
            yield* eventually(
              "dead-lettered",
              bus.deadLetters(group).pipe(Effect.map((deadLetters) => deadLetters.length === 1))
            )
            const [deadLetter] = yield* bus.deadLetters(group)
            expect(deadLetter?.group).toBe(group)
            expect(deadLetter?.event.id).toBe(poison.id)
            expect(deadLetter?.event.payload).toEqual(poison.payload)
            expect(deadLetter?.attempts).toBe(5)
            expect(deadLetter?.lastError).toContain("delivery 5 failed")
            expect(calls).toBe(5)

            yield* eventually(
              "dead-lettered after two",
              bus.deadLetters(short).pipe(Effect.map((deadLetters) => deadLetters.length === 1))
            )
            expect((yield* bus.deadLetters(short))[0]?.attempts).toBe(2)
            expect(shortCalls).toBe(2)
            const everyGroup = yield* bus.deadLetters()
            expect(
              everyGroup
                .filter((d) => d.event.id === poison.id)
                .map((d) => d.group)
                .sort()
            ).toEqual([group, short].sort())
          }),
        30_000
      )

      it.scoped(
        "re-drives a dead letter to its own group only",
        () =>
          Effect.gen(function* () {
            const bus = yield* EventBus
            const { event, only } = testEvents()
            const failing = freshGroup("failing")
            let broken = true
            const repaired = makeRecorder()
            const bystander = makeRecorder()
            yield* bus.subscribe(
              { group: failing, maxDeliveries: 2 },
              only((e) => (broken ? Effect.fail(new Error("not yet")) : repaired.record(e)))
            )
            yield* bus.subscribe({ group: freshGroup("bystander") }, only(bystander.record))
            const stuck = event()
            yield* bus.publish(stuck)
            yield* eventually(
              "dead-lettered",
              bus.deadLetters(failing).pipe(Effect.map((deadLetters) => deadLetters.length === 1))
            )
            const [deadLetter] = yield* bus.deadLetters(failing)
            broken = false
            expect(yield* bus.redrive(deadLetter?.id ?? "")).toBe(true)
            yield* eventually(
              "re-delivered",
              Effect.sync(() => repaired.count(stuck.id) === 1)
            )
            expect(yield* bus.deadLetters(failing)).toEqual([])
            expect(yield* bus.redrive(deadLetter?.id ?? "")).toBe(false)

            // The marker comes after the re-driven event, so once the bystander has it, it has seen (or skipped) both.
            const marker = event()
            yield* bus.publish(marker)
            yield* eventually(
              "marker delivered",
              Effect.sync(() => bystander.count(marker.id) === 1)
            )
            expect(bystander.count(stuck.id)).toBe(1)
            expect(repaired.count(stuck.id)).toBe(1)
          }),
        30_000
      )

      it.scoped(
        "answers false when re-driving a dead letter that does not exist",
        () =>
          Effect.gen(function* () {
            const bus = yield* EventBus
            for (const id of ["no-such-dead-letter", crypto.randomUUID(), "1-1", "9999999999999-0"]) {
              expect(yield* bus.redrive(id)).toBe(false)
            }
          }),
        30_000
      )

      it.scoped(
        "hands the event of a member that stops mid-delivery to another member",
        () =>
          Effect.gen(function* () {
            const bus = yield* EventBus
            const { event, only } = testEvents()
            const group = freshGroup("handover")
            const started = yield* Deferred.make<void>()
            const leave = yield* subscribeUntilClosed(
              { group },
              only(() => Deferred.succeed(started, undefined).pipe(Effect.zipRight(Effect.never)))
            )
            const held = event()
            yield* bus.publish(held)
            yield* Deferred.await(started)
            yield* leave
            const successor = makeRecorder()
            yield* bus.subscribe({ group }, only(successor.record))
            yield* eventually(
              "handed over",
              Effect.sync(() => successor.count(held.id) === 1)
            )
          }),
        30_000
      )

      it.scoped(
        "dead-letters an event whose members kept stopping with it, once it has had maxDeliveries",
        () =>
          Effect.gen(function* () {
            const bus = yield* EventBus
            const { event, only } = testEvents()
            const group = freshGroup("crashing")
            let deliveries = 0
            const poison = event()
            // Each member leaves (or dies) without finishing the poison event; the next one is handed it.
            for (let member = 1; member <= 3; member++) {
              const started = yield* Deferred.make<void>()
              const leave = yield* subscribeUntilClosed(
                { group },
                only(() =>
                  Effect.sync(() => {
                    deliveries++
                  }).pipe(Effect.zipRight(Deferred.succeed(started, undefined)), Effect.zipRight(Effect.never))
                )
              )
              if (member === 1) yield* bus.publish(poison)
              yield* Deferred.await(started)
              yield* leave
            }
            const last = makeRecorder()
            yield* bus.subscribe({ group, maxDeliveries: 3 }, only(last.record))
            yield* eventually(
              "dead-lettered",
              bus.deadLetters(group).pipe(Effect.map((deadLetters) => deadLetters.length === 1))
            )
            const [deadLetter] = yield* bus.deadLetters(group)
            expect(deadLetter?.attempts).toBe(3)
            expect(deadLetter?.lastError).toContain("no acknowledgement after 3 deliveries")
            expect(deliveries).toBe(3)
            expect(last.count(poison.id)).toBe(0)
          }),
        30_000
      )
    })
  })
