// The EventBus port: at-least-once delivery of event envelopes to named consumer groups, with dead letters.
import type { Events } from "@lectern/contracts"
import { Context, Data, type Effect, type Scope } from "effect"

export class EventBusUnavailable extends Data.TaggedError("EventBusUnavailable")<{ readonly cause: unknown }> {}

/** An event a consumer group failed to handle `attempts` times; kept until re-driven. */
export interface DeadLetter {
  readonly id: string
  readonly group: string
  readonly event: Events.EventEnvelope
  readonly attempts: number
  readonly lastError: string
  readonly failedAt: Date
}

export interface SubscribeOptions {
  /** The consumer group: each group gets every event once (at least once); members of a group share them. */
  readonly group: string
  /** Only these event types reach the handler (others are acknowledged and skipped). */
  readonly types?: ReadonlyArray<string>
  /** Deliveries before an event goes to the dead letters. Default 5. */
  readonly maxDeliveries?: number
}

export interface EventBusService {
  /** Hands one event to the bus; resolves once the bus has it durably (for Redis: after XADD). */
  readonly publish: (event: Events.EventEnvelope) => Effect.Effect<void, EventBusUnavailable>
  /**
   * Runs `handle` for each event of the group until the scope closes. A failed or dying handler makes the event
   * be delivered again (with backoff); after `maxDeliveries` it is a dead letter. Handlers must be idempotent.
   */
  readonly subscribe: (
    options: SubscribeOptions,
    handle: (event: Events.EventEnvelope) => Effect.Effect<void, unknown>
  ) => Effect.Effect<void, never, Scope.Scope>
  readonly deadLetters: (group?: string) => Effect.Effect<ReadonlyArray<DeadLetter>, EventBusUnavailable>
  /** Puts a dead letter back on the bus for its group; false when no such dead letter exists. */
  readonly redrive: (deadLetterId: string) => Effect.Effect<boolean, EventBusUnavailable>
}

export class EventBus extends Context.Tag("@lectern/platform/EventBus")<EventBus, EventBusService>() {}
