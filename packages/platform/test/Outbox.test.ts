// The outbox on the machine's Postgres and on embedded PGlite, with the in-memory bus: events commit with their transaction, relays publish each once, crashes redeliver, consumers dedupe.
import { SqlClient } from "@effect/sql"
import { describe, expect, layer } from "@effect/vitest"
import type { Events } from "@lectern/contracts"
import { CourseId, UserId } from "@lectern/domain"
import { EventBus, type EventBusService, EventBusUnavailable } from "@lectern/platform/EventBus"
import * as EventBusMemory from "@lectern/platform/EventBusMemory"
import { migrate } from "@lectern/platform/Migrator"
import {
  appendEvent,
  layerRelay,
  outboxMigration,
  processedEventsMigration,
  processOnce,
  relayOnce
} from "@lectern/platform/Outbox"
import { eventually, makeRecorder } from "@lectern/testkit/EventBusSuite"
import { layerFreshPostgres, layerMemoryDatabase } from "@lectern/testkit/TestDatabase"
import { Deferred, Effect, Exit, Fiber, Layer, Option } from "effect"

// ---------------------------------------------------------------- fixtures

/** A service schema of its own per test: the outbox, the dedupe table, and tables for state and side effects. */
const setUp = (schema: string) =>
  migrate({
    schema,
    migrations: [
      outboxMigration(schema, 1),
      processedEventsMigration(schema, 2),
      {
        id: 3,
        name: "state",
        sql: `CREATE TABLE ${schema}.courses (id uuid PRIMARY KEY, title text NOT NULL);
              CREATE TABLE ${schema}.side_effects (event_id uuid NOT NULL);`
      }
    ]
  })

const fastRetries = { retryBaseDelay: "10 millis", retryMaxDelay: "100 millis" } as const

type Publish = EventBusService["publish"]

/**
 * The memory bus, recording every event it accepted; `fault` wraps the n-th publish (1-based) to inject a failure or
 * a crash around the real one.
 */
const makeBus = (
  fault: (call: number, publish: ReturnType<Publish>) => ReturnType<Publish> = (_, publish) => publish
) =>
  Effect.gen(function* () {
    const inner = yield* EventBusMemory.make(fastRetries)
    const published: Array<string> = []
    let calls = 0
    const bus: EventBusService = {
      ...inner,
      publish: (event) =>
        Effect.suspend(() => {
          calls++
          return fault(
            calls,
            inner.publish(event).pipe(
              Effect.tap(() => {
                published.push(event.id)
              })
            )
          )
        })
    }
    return { bus, published }
  })

const courseUpdated = (schema: string) =>
  appendEvent(schema, {
    type: "course.updated",
    payload: { courseId: CourseId.make(crypto.randomUUID()) },
    source: "catalog"
  })

const unsentCount = (schema: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ count: number }>`SELECT count(*)::int AS count FROM ${sql(schema)}.outbox WHERE sent_at IS NULL`.pipe(
      Effect.map((rows) => rows[0]?.count ?? -1)
    )
  )

// Compile-time checks of appendEvent's typing (never run).
export const appendEventTyping = (courseId: CourseId) => [
  appendEvent("catalog", {
    type: "course.published",
    payload: { courseId, ownerId: UserId.make(crypto.randomUUID()), slug: "s", title: "t" },
    source: "catalog"
  }),
  // @ts-expect-error a payload must match its type's Schema
  appendEvent("catalog", { type: "course.published", payload: { courseId }, source: "catalog" }),
  // @ts-expect-error the type must be one of Events.EventType
  appendEvent("catalog", { type: "course.renamed", payload: { courseId }, source: "catalog" })
]

// ---------------------------------------------------------------- tests

/**
 * The outbox tests on one database. `pooled`: more than one connection, so one relay can hold its transaction open
 * while another works (embedded PGlite has a single connection, on which the second relay would wait instead).
 */
const outboxTests = (name: string, database: Layer.Layer<SqlClient.SqlClient>, pooled: boolean) =>
  describe(`Outbox on ${name}`, () => {
    layer(database, { timeout: "60 seconds", excludeTestServices: true })((it) => {
      it.scoped(
        "never publishes an event whose transaction rolled back; publishes a committed one exactly once",
        () =>
          Effect.gen(function* () {
            const schema = "rollback"
            yield* setUp(schema)
            const sql = yield* SqlClient.SqlClient
            const courseId = crypto.randomUUID()
            const failed = yield* sql
              .withTransaction(
                Effect.gen(function* () {
                  yield* sql`INSERT INTO rollback.courses (id, title) VALUES (${courseId}, 'lost')`
                  yield* courseUpdated(schema)
                  return yield* Effect.fail("validation failed" as const)
                })
              )
              .pipe(Effect.flip)
            expect(failed).toBe("validation failed")
            const committed = yield* sql.withTransaction(
              Effect.gen(function* () {
                yield* sql`INSERT INTO rollback.courses (id, title) VALUES (${crypto.randomUUID()}, 'kept')`
                return yield* courseUpdated(schema)
              })
            )
            const rows = yield* sql<{ id: string }>`SELECT id FROM rollback.outbox`
            expect(rows.map((row) => row.id)).toEqual([committed.id])

            const { bus, published } = yield* makeBus()
            const consumer = makeRecorder()
            yield* bus.subscribe({ group: "consumer" }, consumer.record)
            yield* Layer.build(layerRelay({ schema, pollInterval: "20 millis" })).pipe(
              Effect.provideService(EventBus, bus)
            )
            yield* eventually(
              "delivered",
              Effect.sync(() => consumer.count(committed.id) === 1)
            )
            expect(consumer.seen[0]).toEqual(committed)
            // Marked sent by the transaction that published it: once that commits, nothing is left for any relay.
            yield* eventually(
              "marked sent",
              Effect.map(unsentCount(schema), (count) => count === 0)
            )
            expect(yield* relayOnce(schema).pipe(Effect.provideService(EventBus, bus))).toBe(0)
            expect(published).toEqual([committed.id])
            const [row] = yield* sql<{ sentAt: Date | null; attempts: number }>`
            SELECT sent_at, attempts FROM rollback.outbox WHERE id = ${committed.id}`
            expect(row?.sentAt).toBeInstanceOf(Date)
            expect(row?.attempts).toBe(1)
          }),
        30_000
      )

      it.scoped(
        "publishes in the order events were written",
        () =>
          Effect.gen(function* () {
            const schema = "ordered"
            yield* setUp(schema)
            const sql = yield* SqlClient.SqlClient
            const written: Array<Events.EventEnvelope> = []
            for (let transaction = 0; transaction < 5; transaction++) {
              written.push(...(yield* sql.withTransaction(Effect.all([courseUpdated(schema), courseUpdated(schema)]))))
            }
            const { bus, published } = yield* makeBus()
            const relay = relayOnce(schema, { batchSize: 3 }).pipe(Effect.provideService(EventBus, bus))
            const counts = [yield* relay, yield* relay, yield* relay, yield* relay, yield* relay]
            expect(counts).toEqual([3, 3, 3, 1, 0])
            expect(published).toEqual(written.map((event) => event.id))
          }),
        30_000
      )

      if (pooled) {
        it.scoped(
          "skips the rows another relay holds: two relays never publish the same row",
          () =>
            Effect.gen(function* () {
              const schema = "skiplocked"
              yield* setUp(schema)
              const sql = yield* SqlClient.SqlClient
              const written = yield* sql.withTransaction(
                Effect.forEach(Array.from({ length: 12 }), () => courseUpdated(schema))
              )
              const holding = yield* Deferred.make<void>()
              const release = yield* Deferred.make<void>()
              // The first relay stops in its first publish, holding the row locks of its batch.
              const first = yield* makeBus((call, publish) =>
                call === 1
                  ? Deferred.succeed(holding, undefined).pipe(
                      Effect.zipRight(Deferred.await(release)),
                      Effect.zipRight(publish)
                    )
                  : publish
              )
              const second = yield* makeBus()
              const firstRelay = yield* relayOnce(schema, { batchSize: 5 }).pipe(
                Effect.provideService(EventBus, first.bus),
                Effect.fork
              )
              yield* Deferred.await(holding)
              expect(yield* relayOnce(schema).pipe(Effect.provideService(EventBus, second.bus))).toBe(7)
              yield* Deferred.succeed(release, undefined)
              expect(yield* Fiber.join(firstRelay)).toBe(5)
              const ids = written.map((event) => event.id)
              expect(first.published).toEqual(ids.slice(0, 5))
              expect(second.published).toEqual(ids.slice(5))
            }),
          30_000
        )
      }

      it.scoped(
        "has two relay replicas running at once publish every row exactly once",
        () =>
          Effect.gen(function* () {
            const schema = "replicas"
            yield* setUp(schema)
            const sql = yield* SqlClient.SqlClient
            const written: Array<Events.EventEnvelope> = []
            for (let transaction = 0; transaction < 20; transaction++) {
              written.push(
                ...(yield* sql.withTransaction(Effect.forEach(Array.from({ length: 15 }), () => courseUpdated(schema))))
              )
            }
            const replicas = [yield* makeBus(), yield* makeBus()]
            for (const replica of replicas) {
              yield* Layer.build(layerRelay({ schema, pollInterval: "5 millis", batchSize: 7 })).pipe(
                Effect.provideService(EventBus, replica.bus)
              )
            }
            yield* eventually(
              "all sent",
              Effect.map(unsentCount(schema), (count) => count === 0)
            )
            const published = replicas.flatMap((replica) => replica.published)
            expect(published).toHaveLength(written.length)
            expect(new Set(published)).toEqual(new Set(written.map((event) => event.id)))
          }),
        30_000
      )

      it.scoped(
        "records a failed publish on its row and publishes the event on a later pass",
        () =>
          Effect.gen(function* () {
            const schema = "failing"
            yield* setUp(schema)
            const sql = yield* SqlClient.SqlClient
            const [first, second] = yield* sql.withTransaction(
              Effect.all([courseUpdated(schema), courseUpdated(schema)])
            )
            const { bus, published } = yield* makeBus((call, publish) =>
              call === 1 ? Effect.fail(new EventBusUnavailable({ cause: new Error("Redis is away") })) : publish
            )
            const relay = relayOnce(schema).pipe(Effect.provideService(EventBus, bus))
            // The failure ends the pass: the second event waits too, so the order is kept.
            expect(yield* relay).toBe(0)
            const rows = yield* sql<{ id: string; attempts: number; lastError: string | null; sentAt: Date | null }>`
            SELECT id, attempts, last_error, sent_at FROM failing.outbox ORDER BY position`
            expect(rows.map((row) => [row.id, row.attempts, row.sentAt])).toEqual([
              [first?.id, 1, null],
              [second?.id, 0, null]
            ])
            expect(rows[0]?.lastError).toBe("EventBusUnavailable: Error: Redis is away")
            expect(yield* relay).toBe(2)
            expect(published).toEqual([first?.id, second?.id])
          }),
        30_000
      )

      it.scoped(
        "keeps a relay running through failing and dying publishes",
        () =>
          Effect.gen(function* () {
            const schema = "resilient"
            yield* setUp(schema)
            const event = yield* courseUpdated(schema)
            const { bus, published } = yield* makeBus((call, publish) => {
              if (call <= 2) return Effect.fail(new EventBusUnavailable({ cause: new Error("away") }))
              if (call === 3) return Effect.dieMessage("a bug in the bus")
              return publish
            })
            yield* Layer.build(layerRelay({ schema, pollInterval: "5 millis", maxBackoff: "20 millis" })).pipe(
              Effect.provideService(EventBus, bus)
            )
            // Published first, then marked sent when the relay's transaction commits.
            yield* eventually(
              "marked sent",
              Effect.map(unsentCount(schema), (count) => count === 0)
            )
            expect(published).toEqual([event.id])
          }),
        30_000
      )

      for (const crash of ["dies", "is interrupted"] as const) {
        it.scoped(
          `redelivers an event whose relay ${crash} between publish and mark, and processOnce applies it once`,
          () =>
            Effect.gen(function* () {
              const schema = crash === "dies" ? "crash_die" : "crash_interrupt"
              yield* setUp(schema)
              const sql = yield* SqlClient.SqlClient
              const published = yield* Deferred.make<void>()
              const { bus } = yield* makeBus((call, publish) => {
                if (call !== 1) return publish
                // The publish reaches the bus; the relay goes away before its transaction marks the row sent.
                return crash === "dies"
                  ? publish.pipe(Effect.zipRight(Effect.dieMessage("relay killed before marking")))
                  : publish.pipe(Effect.zipRight(Deferred.succeed(published, undefined)), Effect.zipRight(Effect.never))
              })
              const deliveries = makeRecorder()
              const applied: Array<boolean> = []
              yield* bus.subscribe({ group: "projector" }, (event) =>
                deliveries.record(event).pipe(
                  Effect.zipRight(
                    processOnce(
                      schema,
                      "projector",
                      event,
                      sql`INSERT INTO ${sql(schema)}.side_effects (event_id) VALUES (${event.id})`
                    )
                  ),
                  Effect.flatMap((result) =>
                    Effect.sync(() => {
                      applied.push(Option.isSome(result))
                    })
                  ),
                  Effect.provideService(SqlClient.SqlClient, sql)
                )
              )
              const event = yield* courseUpdated(schema)
              const relay = relayOnce(schema).pipe(Effect.provideService(EventBus, bus))

              if (crash === "dies") {
                const exit = yield* Effect.exit(relay)
                expect(Exit.isFailure(exit) && !Exit.isInterrupted(exit)).toBe(true)
              } else {
                const fiber = yield* Effect.fork(relay)
                yield* Deferred.await(published)
                yield* Fiber.interrupt(fiber)
              }
              expect(yield* unsentCount(schema)).toBe(1)
              expect(yield* relay).toBe(1)
              expect(yield* unsentCount(schema)).toBe(0)

              yield* eventually(
                "delivered twice",
                Effect.sync(() => deliveries.count(event.id) === 2)
              )
              yield* eventually(
                "both deliveries settled",
                Effect.sync(() => applied.length === 2)
              )
              expect([...applied].sort()).toEqual([false, true])
              const effects = yield* sql<{ eventId: string }>`SELECT event_id FROM ${sql(schema)}.side_effects`
              expect(effects.map((row) => row.eventId)).toEqual([event.id])
              const processed = yield* sql<{ consumer: string }>`SELECT consumer FROM ${sql(schema)}.processed_events`
              expect(processed.map((row) => row.consumer)).toEqual(["projector"])
            }),
          30_000
        )
      }

      it.scoped(
        "processOnce runs concurrent duplicates once, and runs again after a failed attempt rolled back",
        () =>
          Effect.gen(function* () {
            const schema = "dedupe"
            yield* setUp(schema)
            const sql = yield* SqlClient.SqlClient
            const event = { id: crypto.randomUUID() }
            const insert = sql`INSERT INTO dedupe.side_effects (event_id) VALUES (${event.id})`

            const failedAttempt = yield* processOnce(
              schema,
              "mailer",
              event,
              insert.pipe(Effect.zipRight(Effect.fail("SMTP down" as const)))
            ).pipe(Effect.flip)
            expect(failedAttempt).toBe("SMTP down")

            const results = yield* Effect.all(
              Array.from({ length: 5 }, () => processOnce(schema, "mailer", event, insert.pipe(Effect.as("sent")))),
              { concurrency: "unbounded" }
            )
            expect(results.filter(Option.isSome)).toEqual([Option.some("sent")])
            // Another consumer of the same event keeps its own record.
            expect(yield* processOnce(schema, "search", event, Effect.succeed("indexed"))).toEqual(
              Option.some("indexed")
            )
            const effects = yield* sql`SELECT 1 FROM dedupe.side_effects`
            expect(effects).toHaveLength(1)
          }),
        30_000
      )

      it.scoped(
        "deletes sent events and processed-event records past their retention, and keeps the rest",
        () =>
          Effect.gen(function* () {
            const schema = "retention"
            yield* setUp(schema)
            const sql = yield* SqlClient.SqlClient
            const [old, recent, unsent] = yield* Effect.all([1, 2, 3].map(() => courseUpdated(schema)))
            yield* sql`UPDATE retention.outbox SET sent_at = now() - interval '2 hours' WHERE id = ${old?.id ?? ""}`
            yield* sql`UPDATE retention.outbox SET sent_at = now() - interval '10 minutes' WHERE id = ${recent?.id ?? ""}`
            const [oldRecord, recentRecord] = [crypto.randomUUID(), crypto.randomUUID()]
            yield* processOnce(schema, "search", { id: oldRecord }, Effect.void)
            yield* processOnce(schema, "search", { id: recentRecord }, Effect.void)
            yield* sql`UPDATE retention.processed_events SET processed_at = now() - interval '2 days'
              WHERE event_id = ${oldRecord}`
            const { bus, published } = yield* makeBus()
            yield* Layer.build(
              layerRelay({ schema, pollInterval: "5 millis", retention: "1 hour", processedEventsRetention: "1 day" })
            ).pipe(Effect.provideService(EventBus, bus))
            // The relay publishes the unsent event, then prunes (after its first pass that did not fail).
            const outboxIds = sql<{ id: string }>`SELECT id FROM retention.outbox ORDER BY position`
            yield* eventually(
              "the old sent event deleted",
              Effect.map(outboxIds, (rows) => rows.length === 2)
            )
            expect(published).toEqual([unsent?.id])
            expect((yield* outboxIds).map((row) => row.id)).toEqual([recent?.id, unsent?.id])
            const records = sql<{ id: string }>`SELECT event_id AS id FROM retention.processed_events`
            yield* eventually(
              "the old record deleted",
              Effect.map(records, (rows) => rows.length === 1)
            )
            expect((yield* records).map((row) => row.id)).toEqual([recentRecord])
          }),
        30_000
      )
    })
  })

outboxTests("Postgres", layerFreshPostgres, true)
outboxTests("embedded PGlite", layerMemoryDatabase, false)
