// The EventBus port: at-least-once delivery of event envelopes to named consumer groups, with dead letters.
import type { Events } from "@lectern/contracts"
import { Cause, Context, Data, Duration, type Effect, type Scope } from "effect"

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

// ---------------------------------------------------------------- shared by the implementations

/** Deliveries before a dead letter when a subscriber does not say. */
export const defaultMaxDeliveries = 5

/**
 * The wait before delivery number `deliveries + 1` of an event whose delivery number `deliveries` failed: `base`
 * doubled per failure, at most `max`.
 */
export const retryDelay = (
  deliveries: number,
  base: Duration.DurationInput,
  max: Duration.DurationInput
): Duration.Duration =>
  Duration.min(Duration.times(Duration.decode(base), 2 ** Math.max(0, Math.min(deliveries - 1, 30))), max)

const maxErrorLength = 2_000

const describeError = (error: unknown, depth: number): string => {
  if (typeof error !== "object" || error === null) return String(error)
  const tag = "_tag" in error && typeof error._tag === "string" ? error._tag : undefined
  const name = error instanceof Error ? error.name : undefined
  const message = "message" in error && typeof error.message === "string" ? error.message : ""
  const label = tag ?? name ?? "Error"
  if (message !== "") return `${label}: ${message}`
  // Wrappers like EventBusUnavailable carry the reason in `cause`.
  if ("cause" in error && error.cause !== undefined && depth < 3) {
    return `${label}: ${describeError(error.cause, depth + 1)}`
  }
  if (tag !== undefined) return tag
  try {
    return JSON.stringify(error)
  } catch {
    return label
  }
}

/** A handler failure as one line for a dead letter: the error's tag or name and its message, never a stack. */
export const describeFailure = (cause: Cause.Cause<unknown>): string => {
  if (Cause.isInterruptedOnly(cause)) return "interrupted"
  const text = describeError(Cause.squash(cause), 0)
  return text.length > maxErrorLength ? `${text.slice(0, maxErrorLength)}…` : text
}
