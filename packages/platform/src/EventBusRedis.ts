// The EventBus port on Redis Streams: one stream, a consumer group per group, retries from the pending list, takeovers by XAUTOCLAIM, dead letters in a stream.
//
// How it holds together:
// - `publish` is one XADD to `<prefix>events` (fields `type`, `event` = the encoded envelope as JSON), trimmed with
//   MAXLEN ~ `maxLength`. A group is created at id 0 the first time any member subscribes, so events published during
//   start-up, before a consumer subscribed, still reach it (a brand-new group therefore starts with the retained
//   history; handlers are idempotent anyway).
// - Each subscriber is a consumer of its group with a name of its own, reading with XREADGROUP … BLOCK on a
//   connection of its own (a blocking read on the shared client would stall every other command of the process).
//   It XACKs an entry once the handler succeeded; until then the entry stays in the group's pending list.
// - A failed entry stays pending with its consumer, which re-claims it (XCLAIM, which counts the delivery) after an
//   exponential backoff. The delivery count is Redis's own (XPENDING), so it survives restarts and takeovers.
// - An entry pending longer than `claimIdle` is taken over by any member with XAUTOCLAIM: that is how entries held by a
//   dead or stopped consumer are handled. Entries being handled are kept fresh with XCLAIM … JUSTID (which does not
//   count a delivery) so a slow handler is not mistaken for a dead one; retry backoffs stay below `claimIdle`.
// - After `maxDeliveries` failed deliveries the entry is copied to `<prefix>events:dead` (group, attempts, last error)
//   and XACKed in one MULTI. `redrive` re-publishes a dead letter to the main stream with `redriveFor: <group>` (every
//   other group acknowledges and skips it) and deletes the dead letter, atomically in one script.
import { Events } from "@lectern/contracts"
import { Clock, Duration, Effect, Either, Exit, Layer, Schema } from "effect"
import {
  type DeadLetter,
  defaultMaxDeliveries,
  describeFailure,
  EventBus,
  type EventBusService,
  EventBusUnavailable,
  retryDelay
} from "./EventBus.ts"
import * as Redis from "./Redis.ts"

export interface EventBusRedisOptions {
  /** Namespace of the deployment (default `lectern:`): the stream is `<keyPrefix>events`. */
  readonly keyPrefix?: string
  /** Entries the stream keeps, approximately (MAXLEN ~). Default 100 000. */
  readonly maxLength?: number
  /** The wait before the second delivery of a failed event; doubled per further failure. Default 100 ms. */
  readonly retryBaseDelay?: Duration.DurationInput
  /** The longest wait between two deliveries of a failing event (kept below half of `claimIdle`). Default 10 s. */
  readonly retryMaxDelay?: Duration.DurationInput
  /** How long an entry may sit unacknowledged with a silent consumer before another member takes it. Default 30 s. */
  readonly claimIdle?: Duration.DurationInput
  /** The longest one blocking read waits for new entries. Default 2 s. */
  readonly blockTimeout?: Duration.DurationInput
  /** Entries read, re-claimed or taken over per call. Default 10. */
  readonly batchSize?: number
}

interface Entry {
  readonly id: string
  readonly fields: Readonly<Record<string, string>>
}

interface Delivery {
  readonly entry: Entry
  /** Deliveries of this entry to the group so far, this one included. */
  readonly deliveries: number
}

const EnvelopeJson = Schema.parseJson(Events.EventEnvelope)
const encodeEnvelope = Schema.encode(EnvelopeJson)
const decodeEnvelope = Schema.decodeUnknownEither(EnvelopeJson)

/** A stream entry id, `<ms>-<seq>`; anything else cannot name a dead letter. */
const ENTRY_ID = /^\d{1,20}-\d{1,20}$/

const toEntry = (reply: { readonly id: string; readonly message: object }): Entry => ({
  id: String(reply.id),
  fields: Object.fromEntries(Object.entries(reply.message).map(([name, value]) => [name, String(value)]))
})

const isBusyGroup = (error: unknown) => error instanceof Error && error.message.startsWith("BUSYGROUP")

// Atomic so a dead letter is never both re-published and kept, nor deleted without being re-published.
const REDRIVE_SCRIPT = `
local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then return 0 end
local fields = found[1][2]
local record = {}
for i = 1, #fields, 2 do record[fields[i]] = fields[i + 1] end
if record['event'] == nil or record['group'] == nil then return -1 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'type', record['type'] or '', 'event', record['event'], 'redriveFor', record['group'])
redis.call('XDEL', KEYS[1], ARGV[1])
return 1
`

const FORGET_IDLE_CONSUMER_SCRIPT = `
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #pending > 0 then return -1 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
`

/** Resolves once `client` is connected, or after `withinMs` of wall-clock time, whichever comes first. */
const whenReady = (client: Redis.RedisClient, withinMs: number) =>
  Effect.async<void>((resume) => {
    if (client.isReady) return resume(Effect.void)
    const settle = () => {
      clearTimeout(timer)
      client.off("ready", settle)
      resume(Effect.void)
    }
    const timer = setTimeout(settle, withinMs)
    client.on("ready", settle)
    return Effect.sync(() => {
      clearTimeout(timer)
      client.off("ready", settle)
    })
  })

export const make = (options: EventBusRedisOptions = {}) =>
  Effect.gen(function* () {
    const redis = yield* Redis.RedisConnection
    const prefix = options.keyPrefix ?? "lectern:"
    const stream = `${prefix}events`
    const deadStream = `${prefix}events:dead`
    const maxLength = options.maxLength ?? 100_000
    const batchSize = options.batchSize ?? 10
    const claimIdle = Duration.decode(options.claimIdle ?? "30 seconds")
    const claimIdleMs = Math.max(1, Math.round(Duration.toMillis(claimIdle)))
    const retryBase = options.retryBaseDelay ?? "100 millis"
    const retryMax = Duration.min(
      Duration.decode(options.retryMaxDelay ?? "10 seconds"),
      Duration.millis(claimIdleMs / 2)
    )
    const blockMs = Math.max(1, Math.round(Duration.toMillis(options.blockTimeout ?? "2 seconds")))
    const heartbeatEvery = Duration.millis(Math.max(1, Math.floor(claimIdleMs / 3)))
    const takeoverEveryMs = Math.max(1, Math.floor(claimIdleMs / 2))

    const call = <A>(run: (client: Redis.RedisClient) => Promise<A>) =>
      redis.use(run).pipe(Effect.mapError((error) => new EventBusUnavailable({ cause: error.cause })))

    const ensureGroup = (group: string) =>
      call((client) =>
        client.xGroupCreate(stream, group, "0", { MKSTREAM: true }).catch((error: unknown) => {
          if (isBusyGroup(error)) return "OK"
          throw error
        })
      )

    const publish: EventBusService["publish"] = (event) =>
      Effect.gen(function* () {
        const json = yield* encodeEnvelope(event).pipe(Effect.orDie)
        yield* call((client) =>
          client.xAdd(
            stream,
            "*",
            { type: event.type, event: json },
            { TRIM: { strategy: "MAXLEN", strategyModifier: "~", threshold: maxLength } }
          )
        )
      })

    const readDeadLetter = (entry: Entry): DeadLetter | undefined => {
      const event = decodeEnvelope(entry.fields.event)
      const { group, attempts, lastError, failedAt } = entry.fields
      if (Either.isLeft(event) || group === undefined) return undefined
      return {
        id: entry.id,
        group,
        event: event.right,
        attempts: Number(attempts ?? 0),
        lastError: lastError ?? "",
        failedAt: new Date(Number(failedAt ?? 0))
      }
    }

    const deadLetters: EventBusService["deadLetters"] = (group) =>
      call((client) => client.xRange(deadStream, "-", "+")).pipe(
        Effect.map((replies) =>
          (replies ?? [])
            .map((reply) => readDeadLetter(toEntry(reply)))
            .filter((deadLetter): deadLetter is DeadLetter => deadLetter !== undefined)
            .filter((deadLetter) => group === undefined || deadLetter.group === group)
        )
      )

    const redrive: EventBusService["redrive"] = (id) =>
      ENTRY_ID.test(id)
        ? call((client) =>
            client.eval(REDRIVE_SCRIPT, { keys: [deadStream, stream], arguments: [id, String(maxLength)] })
          ).pipe(Effect.map((result) => result === 1))
        : Effect.succeed(false)

    const subscribe: EventBusService["subscribe"] = (subscription, handle) =>
      Effect.gen(function* () {
        const { group } = subscription
        const maxDeliveries = subscription.maxDeliveries ?? defaultMaxDeliveries
        const types = subscription.types === undefined ? undefined : new Set(subscription.types)
        const consumer = `consumer-${crypto.randomUUID()}`
        const logged = Effect.annotateLogs({ group, consumer })

        /** Entry ids this consumer failed, with when to deliver them again. */
        const retries = new Map<string, number>()
        const lastErrors = new Map<string, string>()
        let takeoverCursor = "0-0"
        let nextTakeoverAt = 0
        let groupReady = false

        // The blocking reads get a connection of their own; it is closed after the consumer fiber has stopped.
        const reader = yield* Effect.acquireRelease(
          Effect.sync(() => {
            const client: Redis.RedisClient = redis.client.duplicate({ commandOptions: { timeout: blockMs + 5_000 } })
            // The shared client reports outages; a reader's own errors surface as failed reads and are retried.
            client.on("error", () => undefined)
            client.connect().catch(() => undefined)
            return client
          }),
          (client) =>
            // The reader goes first, so no blocking read can hand this consumer more entries; then the consumer is
            // removed from the group only if it holds no pending entries (deleting one that holds some would drop
            // them), checked and deleted atomically. Otherwise it stays until its entries are taken over.
            Effect.sync(() => client.destroy()).pipe(
              Effect.zipRight(
                call((shared) =>
                  shared.eval(FORGET_IDLE_CONSUMER_SCRIPT, { keys: [stream], arguments: [group, consumer] })
                )
              ),
              Effect.timeout("2 seconds"),
              Effect.ignore
            )
        )

        const ack = (id: string) => call((client) => client.xAck(stream, group, id)).pipe(Effect.asVoid)

        const bury = (entry: Entry, attempts: number, lastError: string) =>
          Effect.gen(function* () {
            const failedAt = yield* Clock.currentTimeMillis
            yield* call((client) =>
              client
                .multi()
                .xAdd(deadStream, "*", {
                  group,
                  attempts: String(attempts),
                  lastError,
                  failedAt: String(failedAt),
                  type: entry.fields.type ?? "",
                  event: entry.fields.event ?? "",
                  sourceId: entry.id
                })
                .xAck(stream, group, entry.id)
                .exec()
            )
            lastErrors.delete(entry.id)
            yield* Effect.logWarning("event dead-lettered").pipe(
              Effect.annotateLogs({ entryId: entry.id, type: entry.fields.type, attempts, lastError }),
              logged
            )
          })

        const deliver = ({ entry, deliveries }: Delivery) =>
          Effect.gen(function* () {
            const { redriveFor, type } = entry.fields
            if (redriveFor !== undefined && redriveFor !== group) return yield* ack(entry.id)
            if (types !== undefined && (type === undefined || !types.has(type))) return yield* ack(entry.id)
            const event = decodeEnvelope(entry.fields.event)
            if (Either.isLeft(event)) {
              yield* Effect.logError("malformed stream entry acknowledged and skipped").pipe(
                Effect.annotateLogs({ entryId: entry.id, fields: entry.fields }),
                logged
              )
              return yield* ack(entry.id)
            }
            // Its last delivery never came back: the consumer holding it stopped or died.
            if (deliveries > maxDeliveries) {
              return yield* bury(
                entry,
                deliveries - 1,
                lastErrors.get(entry.id) ?? `no acknowledgement after ${deliveries - 1} deliveries (consumer stopped)`
              )
            }
            const exit = yield* Effect.exit(Effect.suspend(() => handle(event.right)))
            if (Exit.isSuccess(exit)) {
              lastErrors.delete(entry.id)
              return yield* ack(entry.id)
            }
            // Stopping: the entry stays pending and is taken over once it has been idle for claimIdle.
            if (Exit.isInterrupted(exit)) return
            const lastError = describeFailure(exit.cause)
            if (deliveries >= maxDeliveries) return yield* bury(entry, deliveries, lastError)
            lastErrors.set(entry.id, lastError)
            const now = yield* Clock.currentTimeMillis
            retries.set(entry.id, now + Duration.toMillis(retryDelay(deliveries, retryBase, retryMax)))
          })

        /** Handles a batch in order, keeping the entries not yet handled fresh so no other member takes them. */
        const deliverAll = (batch: ReadonlyArray<Delivery>) =>
          Effect.gen(function* () {
            if (batch.length === 0) return
            const waiting = new Set(batch.map((delivery) => delivery.entry.id))
            const heartbeat = Effect.suspend(() =>
              waiting.size === 0
                ? Effect.void
                : call((client) => client.xClaimJustId(stream, group, consumer, 0, [...waiting])).pipe(Effect.ignore)
            )
            yield* Effect.forkScoped(Effect.forever(Effect.delay(heartbeat, heartbeatEvery)))
            for (const delivery of batch) {
              yield* deliver(delivery)
              waiting.delete(delivery.entry.id)
            }
          }).pipe(Effect.scoped)

        /** Redis's own delivery counts for entries this consumer just claimed. */
        const withDeliveries = (entries: ReadonlyArray<Entry>) =>
          Effect.forEach(
            entries,
            (entry) =>
              call((client) => client.xPendingRange(stream, group, entry.id, entry.id, 1)).pipe(
                Effect.map((pending): Delivery => ({ entry, deliveries: Number(pending[0]?.deliveriesCounter ?? 1) }))
              ),
            { concurrency: "unbounded" }
          )

        const claimed = (replies: ReadonlyArray<{ readonly id: string; readonly message: object } | null>) =>
          replies.flatMap((reply) => (reply === null ? [] : [toEntry(reply)]))

        const retryDue = Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const due = [...retries].filter(([, at]) => at <= now).map(([id]) => id)
          if (due.length === 0) return
          for (const id of due) retries.delete(id)
          // A due entry that is gone (trimmed away, or acknowledged by a member that took it) comes back as nothing.
          const entries = claimed(yield* call((client) => client.xClaim(stream, group, consumer, 0, due)))
          yield* deliverAll(yield* withDeliveries(entries))
        })

        const takeOver = Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          if (now < nextTakeoverAt) return
          const reply = yield* call((client) =>
            client.xAutoClaim(stream, group, consumer, claimIdleMs, takeoverCursor, { COUNT: batchSize })
          )
          takeoverCursor = String(reply.nextId)
          // Scan on at once while the pending list has more; rest once it has been walked to the end.
          nextTakeoverAt = takeoverCursor === "0-0" ? now + takeoverEveryMs : 0
          if (reply.deletedMessages.length > 0) {
            yield* Effect.logError("pending events were trimmed from the stream before being handled").pipe(
              Effect.annotateLogs({ entryIds: reply.deletedMessages.map(String) }),
              logged
            )
          }
          const entries = claimed(reply.messages)
          if (entries.length === 0) return
          yield* Effect.logInfo("took over events left pending by another consumer").pipe(
            Effect.annotateLogs({ entryIds: entries.map((entry) => entry.id) }),
            logged
          )
          yield* deliverAll(yield* withDeliveries(entries))
        })

        const readNew = Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const wakeAt = Math.min(now + blockMs, nextTakeoverAt, ...retries.values())
          const block = Math.max(1, Math.min(blockMs, wakeAt - now))
          const reply = yield* Effect.tryPromise({
            try: () => reader.xReadGroup(group, consumer, { key: stream, id: ">" }, { COUNT: batchSize, BLOCK: block }),
            catch: (cause) => new EventBusUnavailable({ cause })
          })
          const entries = (Array.isArray(reply) ? reply : []).flatMap((streamReply) =>
            streamReply.messages.map(toEntry)
          )
          yield* deliverAll(entries.map((entry) => ({ entry, deliveries: 1 })))
        })

        const step = Effect.gen(function* () {
          if (!groupReady) {
            yield* ensureGroup(group)
            groupReady = true
          }
          yield* retryDue
          yield* takeOver
          yield* readNew
        })

        let failures = 0
        const consume = step.pipe(
          Effect.tap(() => {
            failures = 0
          }),
          Effect.catchAllCause((cause) =>
            Effect.gen(function* () {
              failures++
              // The group may have gone with the stream (FLUSHALL, a deleted key): create it again.
              groupReady = false
              if (failures === 1) {
                yield* Effect.logWarning("event consumer cannot reach Redis; retrying").pipe(
                  Effect.annotateLogs("cause", describeFailure(cause)),
                  logged
                )
              }
              yield* Effect.sleep(retryDelay(failures, "50 millis", "5 seconds"))
            })
          ),
          Effect.forever
        )

        yield* ensureGroup(group).pipe(
          Effect.tap(() => {
            groupReady = true
          }),
          Effect.ignore
        )
        yield* whenReady(reader, 2_000)
        yield* Effect.forkScoped(consume)
      })

    return EventBus.of({ publish, subscribe, deadLetters, redrive })
  })

/** The Redis bus on an existing shared `RedisConnection`. */
export const layer = (options: EventBusRedisOptions = {}): Layer.Layer<EventBus, never, Redis.RedisConnection> =>
  Layer.effect(EventBus, make(options))

/** The Redis bus with a connection of its own (see `Redis.make` for behaviour while Redis is down). */
export const layerRedis = (options: EventBusRedisOptions & Redis.RedisOptions): Layer.Layer<EventBus> =>
  layer(options).pipe(Layer.provide(Redis.layer(options)))
