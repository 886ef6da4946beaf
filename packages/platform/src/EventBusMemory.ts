// The EventBus port in process memory: a queue per consumer group with retries, backoff and dead letters, for the embedded default.
import type { Events } from "@lectern/contracts"
import { Clock, type Duration, Effect, Exit, Layer, Queue } from "effect"
import {
  type DeadLetter,
  defaultMaxDeliveries,
  describeFailure,
  EventBus,
  type EventBusService,
  retryDelay
} from "./EventBus.ts"

export interface EventBusMemoryOptions {
  /** The wait before the second delivery of a failed event; doubled per further failure. Default 100 ms. */
  readonly retryBaseDelay?: Duration.DurationInput
  /** The longest wait between two deliveries of a failing event. Default 10 s. */
  readonly retryMaxDelay?: Duration.DurationInput
  /**
   * Published events kept for groups that subscribe later (default 10 000), like the Redis stream's MAXLEN: a group
   * subscribing for the first time starts at the oldest of them, so events published during start-up, before every
   * consumer has subscribed, are not lost.
   */
  readonly retained?: number
}

interface Delivery {
  readonly event: Events.EventEnvelope
  /** Deliveries so far. */
  readonly deliveries: number
  readonly lastError: string | undefined
}

/**
 * A fresh in-memory bus whose retry timers live in `scope`. Each group is a queue its members take from, so a group
 * shares its events and a single member sees them in publishing order; a failed event goes back to the end of its
 * group's queue after the backoff, so it no longer keeps its place. Correct only when every producer and consumer
 * runs in this one process; everything in flight is lost when the process stops (the outbox re-publishes what it
 * had not yet handed over, not what consumers had not finished).
 */
export const make = (options: EventBusMemoryOptions = {}) =>
  Effect.gen(function* () {
    const scope = yield* Effect.scope
    const retryBase = options.retryBaseDelay ?? "100 millis"
    const retryMax = options.retryMaxDelay ?? "10 seconds"
    const retained = options.retained ?? 10_000
    const lock = yield* Effect.makeSemaphore(1)

    const log: Array<Events.EventEnvelope> = []
    const groups = new Map<string, Queue.Queue<Delivery>>()
    const deadLetters = new Map<string, DeadLetter>()

    const fresh = (event: Events.EventEnvelope): Delivery => ({ event, deliveries: 0, lastError: undefined })

    /** The group's queue; created on first use holding every retained event, under the lock publish also takes. */
    const groupQueue = (group: string) =>
      lock.withPermits(1)(
        Effect.gen(function* () {
          const existing = groups.get(group)
          if (existing !== undefined) return existing
          const queue = yield* Queue.unbounded<Delivery>()
          yield* Queue.offerAll(queue, log.map(fresh))
          groups.set(group, queue)
          return queue
        })
      )

    const publish: EventBusService["publish"] = (event) =>
      lock.withPermits(1)(
        Effect.gen(function* () {
          log.push(event)
          if (log.length > retained) log.splice(0, log.length - retained)
          for (const queue of groups.values()) yield* Queue.offer(queue, fresh(event))
        })
      )

    const bury = (group: string, delivery: Delivery, attempts: number, lastError: string) =>
      Effect.gen(function* () {
        const failedAt = new Date(yield* Clock.currentTimeMillis)
        const id = crypto.randomUUID()
        deadLetters.set(id, { id, group, event: delivery.event, attempts, lastError, failedAt })
        yield* Effect.logWarning("event dead-lettered").pipe(
          Effect.annotateLogs({ group, eventId: delivery.event.id, type: delivery.event.type, attempts, lastError })
        )
      })

    const subscribe: EventBusService["subscribe"] = (subscription, handle) =>
      Effect.gen(function* () {
        const { group } = subscription
        const maxDeliveries = subscription.maxDeliveries ?? defaultMaxDeliveries
        const types = subscription.types === undefined ? undefined : new Set(subscription.types)
        const queue = yield* groupQueue(group)

        const settle = (delivery: Delivery, exit: Exit.Exit<void, unknown>) =>
          Effect.gen(function* () {
            if (Exit.isSuccess(exit)) return
            const deliveries = delivery.deliveries + 1
            // A member stopping mid-delivery hands the event straight back, as Redis does when it takes it over.
            if (Exit.isInterrupted(exit)) {
              yield* Queue.offer(queue, { ...delivery, deliveries, lastError: undefined })
              return
            }
            const lastError = describeFailure(exit.cause)
            if (deliveries >= maxDeliveries) return yield* bury(group, delivery, deliveries, lastError)
            yield* Effect.sleep(retryDelay(deliveries, retryBase, retryMax)).pipe(
              Effect.zipRight(Queue.offer(queue, { event: delivery.event, deliveries, lastError })),
              // Forked from the uninterruptible delivery: the timer must still end when the bus closes.
              Effect.interruptible,
              Effect.forkIn(scope)
            )
          })

        const deliverNext = Effect.uninterruptibleMask((restore) =>
          Effect.gen(function* () {
            const delivery = yield* restore(Queue.take(queue))
            if (types !== undefined && !types.has(delivery.event.type)) return
            if (delivery.deliveries >= maxDeliveries) {
              return yield* bury(
                group,
                delivery,
                delivery.deliveries,
                delivery.lastError ?? `no acknowledgement after ${delivery.deliveries} deliveries (consumer stopped)`
              )
            }
            const exit = yield* restore(Effect.suspend(() => handle(delivery.event))).pipe(Effect.exit)
            yield* settle(delivery, exit)
          })
        )

        yield* Effect.forkScoped(Effect.forever(deliverNext))
      })

    return EventBus.of({
      publish,
      subscribe,
      deadLetters: (group) =>
        Effect.sync(() =>
          [...deadLetters.values()].filter((deadLetter) => group === undefined || deadLetter.group === group)
        ),
      redrive: (id) =>
        Effect.gen(function* () {
          const deadLetter = deadLetters.get(id)
          if (deadLetter === undefined) return false
          deadLetters.delete(id)
          const queue = yield* groupQueue(deadLetter.group)
          yield* Queue.offer(queue, fresh(deadLetter.event))
          return true
        })
    })
  })

/** The in-memory bus with the given retry timing (tests shorten it). */
export const layer = (options: EventBusMemoryOptions = {}): Layer.Layer<EventBus> =>
  Layer.scoped(EventBus, make(options))

/** The in-memory bus with default timing: the embedded default. */
export const layerMemory: Layer.Layer<EventBus> = layer()
