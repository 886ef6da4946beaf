// The transactional outbox: events committed with the state change that causes them, relayed to the EventBus at least once, and deduplicated by consumers.
//
// A service adds `outboxMigration` (and, if it consumes events, `processedEventsMigration`) to its own migrations,
// calls `appendEvent` inside the `sql.withTransaction` that changes its state, and runs `layerRelay` for its schema.
// The relay claims unsent rows with FOR UPDATE SKIP LOCKED, publishes them and marks them sent in the same
// transaction: replicas never publish the same row at the same time, and a relay that dies after publishing but
// before committing leaves the rows unsent, so they are published again (at least once, never lost). Consumers make
// the duplicates harmless with `processOnce`.
import { SqlClient, type SqlError } from "@effect/sql"
import { Events } from "@lectern/contracts"
import {
  Cause,
  Config,
  type ConfigError,
  DateTime,
  Duration,
  Effect,
  Either,
  Exit,
  Layer,
  Option,
  Schema
} from "effect"
import { describeFailure, EventBus, type EventBusUnavailable, retryDelay } from "./EventBus.ts"
import type { Migration } from "./Migrator.ts"

const SCHEMA_NAME = /^[a-z][a-z0-9_]*$/

const checkedSchema = (schema: string) => {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: ${schema}`)
  return schema
}

// ---------------------------------------------------------------- migrations

/**
 * Creates `<schema>.outbox`. `position` orders rows as they were written, so the relay publishes a service's events
 * in order; the partial index keeps finding unsent rows cheap however many sent ones remain.
 */
export const outboxMigration = (schema: string, id: number): Migration => {
  const table = `${checkedSchema(schema)}.outbox`
  return {
    id,
    name: "outbox",
    sql: `
CREATE TABLE ${table} (
  id uuid PRIMARY KEY,
  position bigint GENERATED ALWAYS AS IDENTITY,
  type text NOT NULL,
  version integer NOT NULL,
  source text NOT NULL,
  occurred_at timestamptz NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text
);
CREATE INDEX outbox_unsent ON ${table} (position) WHERE sent_at IS NULL;
CREATE INDEX outbox_sent_at ON ${table} (sent_at) WHERE sent_at IS NOT NULL;
`
  }
}

/** Creates `<schema>.processed_events`: which consumer already applied which event (see `processOnce`). */
export const processedEventsMigration = (schema: string, id: number): Migration => ({
  id,
  name: "processed_events",
  sql: `
CREATE TABLE ${checkedSchema(schema)}.processed_events (
  consumer text NOT NULL,
  event_id uuid NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
`
})

// ---------------------------------------------------------------- writing

export interface NewEvent<T extends Events.EventType> {
  readonly type: T
  readonly payload: Events.EventPayload<T>
  /** Default 1. */
  readonly version?: number
  /** The emitting service (`catalog`, `learning`, …). */
  readonly source: string
}

const schemaOrDie = (schema: string) =>
  SCHEMA_NAME.test(schema) ? Effect.succeed(schema) : Effect.dieMessage(`invalid schema name: ${schema}`)

/**
 * Writes an event to `<schema>.outbox` and returns its envelope. Run it inside the `sql.withTransaction` of the state
 * change that causes it: the event then commits, or rolls back, with that change. The payload is encoded with its
 * type's Schema from `Events.EventPayloads`.
 */
export const appendEvent = <T extends Events.EventType>(
  schema: string,
  event: NewEvent<T>
): Effect.Effect<Events.EventEnvelope, never, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const table = yield* schemaOrDie(schema)
    // NewEvent<T> already ties the payload to its type; the runtime encode also checks it.
    const payloadSchema: Schema.Schema.AnyNoContext = Events.EventPayloads[event.type]
    const payload: unknown = yield* Schema.encodeUnknown(payloadSchema)(event.payload)
    const envelope = new Events.EventEnvelope({
      id: crypto.randomUUID(),
      type: event.type,
      version: event.version ?? 1,
      source: event.source,
      occurredAt: yield* DateTime.now,
      payload
    })
    yield* sql`INSERT INTO ${sql(table)}.outbox (id, type, version, source, occurred_at, payload)
      VALUES (${envelope.id}, ${envelope.type}, ${envelope.version}, ${envelope.source},
              ${DateTime.toDateUtc(envelope.occurredAt)}, ${JSON.stringify(payload)}::jsonb)`
    return envelope
  }).pipe(Effect.orDie, Effect.withSpan("Outbox.appendEvent", { attributes: { schema, type: event.type } }))

// ---------------------------------------------------------------- relaying

interface OutboxRow {
  readonly id: string
  readonly type: string
  readonly version: number
  readonly source: string
  readonly occurredAt: Date
  readonly payload: unknown
}

interface Pass {
  readonly published: number
  /** Set when a publish failed; the rows after it wait for the next pass, so the order is kept. */
  readonly failure: EventBusUnavailable | undefined
}

const relayPass = (schema: string, batchSize: number) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const bus = yield* EventBus
    const table = sql(yield* schemaOrDie(schema))
    // Outside a transaction, so an idle relay costs one query per poll.
    const anyUnsent = yield* sql`SELECT 1 FROM ${table}.outbox WHERE sent_at IS NULL LIMIT 1`
    if (anyUnsent.length === 0) return { published: 0, failure: undefined } satisfies Pass
    return yield* sql.withTransaction(
      Effect.gen(function* () {
        // Aliases in camelCase so the rows read the same whatever name transform the client has.
        const rows = yield* sql<OutboxRow>`
          SELECT id, type, version, source, occurred_at AS "occurredAt", payload
          FROM ${table}.outbox
          WHERE sent_at IS NULL
          ORDER BY position
          LIMIT ${batchSize}
          FOR UPDATE SKIP LOCKED`
        const sent: Array<string> = []
        let failure: EventBusUnavailable | undefined
        for (const row of rows) {
          const envelope = new Events.EventEnvelope({
            id: row.id,
            type: row.type,
            version: row.version,
            source: row.source,
            occurredAt: DateTime.unsafeFromDate(row.occurredAt),
            payload: row.payload
          })
          const published = yield* Effect.either(bus.publish(envelope))
          if (Either.isLeft(published)) {
            failure = published.left
            yield* sql`UPDATE ${table}.outbox
              SET attempts = attempts + 1, last_error = ${describeFailure(Cause.fail(published.left))}
              WHERE id = ${row.id}`
            break
          }
          sent.push(row.id)
        }
        if (sent.length > 0) {
          yield* sql`UPDATE ${table}.outbox SET sent_at = now(), attempts = attempts + 1 WHERE id IN ${sql.in(sent)}`
        }
        return { published: sent.length, failure } satisfies Pass
      })
    )
  })

/**
 * One relay pass over `<schema>.outbox`: publishes up to `batchSize` unsent events (default 100) in order and marks
 * them sent; returns how many. A publish failure is recorded on its row (attempts, last_error) and ends the pass.
 * Tests use it, and a service may call it right after a commit to hand its events over without waiting for a poll.
 */
export const relayOnce = (
  schema: string,
  options: { readonly batchSize?: number } = {}
): Effect.Effect<number, SqlError.SqlError, SqlClient.SqlClient | EventBus> =>
  relayPass(schema, options.batchSize ?? 100).pipe(Effect.map((pass) => pass.published))

export interface RelayOptions {
  readonly schema: string
  /** How often an idle relay looks for new events. Default 200 ms. */
  readonly pollInterval?: Duration.DurationInput
  /** Events claimed per transaction. Default 100. */
  readonly batchSize?: number
  /** The longest wait after failures (bus or database away); the wait doubles per failure from `pollInterval`. */
  readonly maxBackoff?: Duration.DurationInput
  /** Sent events older than this are deleted. Default 7 days. */
  readonly retention?: Duration.DurationInput
  /**
   * For a schema that consumes events (`processedEventsMigration`): its `processed_events` rows older than this are
   * deleted too. An event delivered again after that (a dead letter re-driven later) would be applied again, so keep
   * it well past how long deliveries and re-drives can take. Unset: they are kept.
   */
  readonly processedEventsRetention?: Duration.DurationInput
}

const pruneEvery = Duration.minutes(10)

/** `PROCESSED_EVENTS_RETENTION` (a duration such as `30 days`, the default): see `processedEventsRetention`. */
export const ProcessedEventsRetention = Config.duration("PROCESSED_EVENTS_RETENTION").pipe(
  Config.withDefault(Duration.days(30))
)

/** The relay for a schema that also consumes events: its processed_events pruned after PROCESSED_EVENTS_RETENTION. */
export const layerRelayFromConfig = (
  options: Omit<RelayOptions, "processedEventsRetention">
): Layer.Layer<never, ConfigError.ConfigError, SqlClient.SqlClient | EventBus> =>
  Layer.unwrapEffect(
    Effect.map(ProcessedEventsRetention, (retention) => layerRelay({ ...options, processedEventsRetention: retention }))
  )

/**
 * The relay for one service's outbox, as a background fiber that lives with the layer. It drains full batches back to
 * back, polls every `pollInterval` when idle, backs off while publishing or the database fails, and never stops on
 * an error. Replicas may each run one: SKIP LOCKED keeps them off each other's rows.
 */
export const layerRelay = (options: RelayOptions): Layer.Layer<never, never, SqlClient.SqlClient | EventBus> =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const table = sql(yield* schemaOrDie(options.schema))
      const pollInterval = options.pollInterval ?? "200 millis"
      const batchSize = options.batchSize ?? 100
      const maxBackoff = options.maxBackoff ?? "30 seconds"
      const retentionSeconds = Math.round(Duration.toSeconds(options.retention ?? "7 days"))
      const pass = relayPass(options.schema, batchSize)
      const pruneOutbox = sql`DELETE FROM ${table}.outbox
        WHERE sent_at IS NOT NULL AND sent_at < now() - make_interval(secs => ${retentionSeconds})`
      const processedRetentionSeconds =
        options.processedEventsRetention === undefined
          ? undefined
          : Math.round(Duration.toSeconds(options.processedEventsRetention))
      const prune =
        processedRetentionSeconds === undefined
          ? pruneOutbox
          : Effect.zipRight(
              pruneOutbox,
              sql`DELETE FROM ${table}.processed_events
                WHERE processed_at < now() - make_interval(secs => ${processedRetentionSeconds})`
            )

      const loop = Effect.gen(function* () {
        let failures = 0
        let prunedAt = Number.NEGATIVE_INFINITY
        while (true) {
          const exit = yield* Effect.exit(pass)
          const failed = Exit.isFailure(exit) || exit.value.failure !== undefined
          if (failed) {
            failures++
            if (failures === 1) {
              const reason = Exit.isFailure(exit)
                ? describeFailure(exit.cause)
                : describeFailure(Cause.fail(exit.value.failure))
              yield* Effect.logWarning("outbox relay cannot publish; backing off").pipe(Effect.annotateLogs({ reason }))
            }
            yield* Effect.sleep(retryDelay(failures, pollInterval, maxBackoff))
            continue
          }
          if (failures > 0) yield* Effect.logInfo("outbox relay publishing again")
          failures = 0
          const now = Date.now()
          if (now - prunedAt >= Duration.toMillis(pruneEvery)) {
            prunedAt = now
            yield* prune.pipe(Effect.catchAllCause((cause) => Effect.logWarning("outbox prune failed", cause)))
          }
          // A full batch means more may be waiting: go on at once.
          if (Exit.isSuccess(exit) && exit.value.published < batchSize) yield* Effect.sleep(pollInterval)
        }
      }).pipe(Effect.annotateLogs({ outbox: options.schema }))

      yield* Effect.forkScoped(loop)
    })
  )

// ---------------------------------------------------------------- consuming

/**
 * Runs `effect` for `event` at most once per `consumer`: in one transaction it records `(consumer, event.id)` in
 * `<schema>.processed_events` and runs the effect, whose SQL joins that transaction. An event already recorded is
 * skipped (`None`); a failing effect rolls the record back, so the redelivery runs it again. A concurrent duplicate
 * waits on the first one's row lock, then skips.
 */
export const processOnce = <A, E, R>(
  schema: string,
  consumer: string,
  event: { readonly id: string },
  effect: Effect.Effect<A, E, R>
): Effect.Effect<Option.Option<A>, E | SqlError.SqlError, R | SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const table = sql(yield* schemaOrDie(schema))
    return yield* sql.withTransaction(
      Effect.gen(function* () {
        const recorded = yield* sql`
          INSERT INTO ${table}.processed_events (consumer, event_id) VALUES (${consumer}, ${event.id})
          ON CONFLICT DO NOTHING
          RETURNING event_id`
        if (recorded.length === 0) return Option.none<A>()
        return Option.some(yield* effect)
      })
    )
  }).pipe(Effect.withSpan("Outbox.processOnce", { attributes: { schema, consumer, eventId: event.id } }))
