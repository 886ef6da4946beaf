// The JobQueue port on Postgres: one `<schema>.jobs` table, claims by FOR UPDATE SKIP LOCKED, leases on the database clock.
//
// A service adds `jobQueueMigration` to its own migrations and provides `layerPostgres({ schema })`.
// - `claim` is one statement: it takes the oldest claimable row of the queue (waiting and due, or active with an
//   expired lease, by `run_at` then insertion order) with FOR UPDATE SKIP LOCKED, so concurrent claimers never get the
//   same row, and makes it active with a fresh random lease token. The same statement turns the expired leases that
//   already used their last attempt into dead jobs ("lease expired after the last attempt") instead of running them
//   again.
// - `heartbeat`, `complete` and `fail` act only while the row is active with the caller's lease token; otherwise the
//   caller lost the job (LeaseLost).
// - Every time (run_at, lease expiry) comes from the database's now(), so replicas with skewed clocks agree.
// - Completed jobs stay readable (for `get` and idempotency) for `completedRetention` (default 7 days, as on Redis):
//   past it every read ignores them, a keyed enqueue deletes the one holding its key, and a claim deletes them all at
//   most every 10 minutes (or the retention, when shorter) per process. Dead jobs stay until retried.
import { SqlClient } from "@effect/sql"
import { SqlError } from "@effect/sql/SqlError"
import { Duration, Effect, Layer, Option } from "effect"
import {
  backoffMillis,
  type ClaimedJob,
  checkEnqueue,
  checkLease,
  checkQueue,
  type FailOutcome,
  type JobInfo,
  JobNotDead,
  JobNotFound,
  JobQueue,
  type JobQueueService,
  JobQueueUnavailable,
  type JobState,
  LeaseLost
} from "./JobQueue.ts"
import type { Migration } from "./Migrator.ts"

const SCHEMA_NAME = /^[a-z][a-z0-9_]*$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const checkedSchema = (schema: string) => {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid schema name: ${schema}`)
  return schema
}

/**
 * Creates `<schema>.jobs`. `position` breaks ties between rows due at the same instant (insertion order). The partial
 * indexes serve claiming (due rows of a queue in order), the dead list, and idempotency keys (unique per queue).
 */
export const jobQueueMigration = (schema: string, id: number): Migration => {
  const table = `${checkedSchema(schema)}.jobs`
  return {
    id,
    name: "jobs",
    sql: `
CREATE TABLE ${table} (
  id uuid PRIMARY KEY,
  position bigint GENERATED ALWAYS AS IDENTITY,
  queue text NOT NULL,
  payload jsonb NOT NULL,
  idempotency_key text,
  state text NOT NULL CHECK (state IN ('waiting', 'active', 'completed', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL CHECK (max_attempts >= 1),
  run_at timestamptz NOT NULL DEFAULT now(),
  lease_token uuid,
  lease_expires_at timestamptz,
  worker_id text,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX jobs_idempotency_key ON ${table} (queue, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX jobs_claimable ON ${table} (queue, run_at, position) WHERE state IN ('waiting', 'active');
CREATE INDEX jobs_leases ON ${table} (queue, lease_expires_at) WHERE state = 'active';
CREATE INDEX jobs_dead ON ${table} (queue, updated_at DESC, position DESC) WHERE state = 'dead';
CREATE INDEX jobs_queue_state ON ${table} (queue, state);
`
  }
}

export interface JobQueuePostgresOptions {
  /** The schema whose `jobs` table (see `jobQueueMigration`) holds the queues. */
  readonly schema: string
  /**
   * How long a completed job stays readable (and its idempotency key taken), as on Redis. Default 7 days. Older
   * completed rows are invisible at once and deleted by the next claim after `PRUNE_EVERY`.
   */
  readonly completedRetention?: Duration.DurationInput
}

/** How often at most a process deletes completed jobs past their retention (from a claim; all queues at once). */
const PRUNE_EVERY = Duration.minutes(10)

interface JobRow {
  readonly id: string
  readonly queue: string
  readonly state: JobState
  readonly payloadJson: string
  readonly idempotencyKey: string | null
  readonly attempts: number
  readonly maxAttempts: number
  readonly runAt: Date
  readonly lastError: string | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

interface ClaimRow {
  readonly id: string
  readonly queue: string
  readonly payloadJson: string
  readonly attempt: number
  readonly maxAttempts: number
  readonly leaseToken: string
  readonly leaseExpiresAt: Date
}

const toJobInfo = (row: JobRow): JobInfo => ({
  id: row.id,
  queue: row.queue,
  state: row.state,
  payload: JSON.parse(row.payloadJson),
  idempotencyKey: row.idempotencyKey ?? undefined,
  attempts: row.attempts,
  maxAttempts: row.maxAttempts,
  runAt: row.runAt,
  lastError: row.lastError ?? undefined,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt
})

/** Postgres text cannot hold NUL characters. */
const storableText = (text: string) => text.replaceAll("\u0000", "\uFFFD")

const isSqlError = (error: unknown): error is SqlError => error instanceof SqlError

/** A failed statement means the database could not serve the call: JobQueueUnavailable; other errors pass. */
const unavailable =
  (operation: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    effect.pipe(
      Effect.catchIf(
        (error): error is Extract<E, SqlError> => isSqlError(error),
        (cause) => Effect.fail(new JobQueueUnavailable({ operation, cause }))
      ),
      Effect.withSpan(`JobQueuePostgres.${operation}`)
    )

export const make = (options: JobQueuePostgresOptions) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    if (!SCHEMA_NAME.test(options.schema)) return yield* Effect.dieMessage(`invalid schema name: ${options.schema}`)
    const jobs = sql`${sql(options.schema)}.jobs`
    const retentionSeconds = Math.max(0.001, Duration.toMillis(options.completedRetention ?? "7 days") / 1000)
    /** True for a row still visible: not a completed job past its retention. */
    const live = sql.literal(
      `NOT (state = 'completed' AND updated_at < now() - make_interval(secs => ${retentionSeconds}::float8))`
    )
    let prunedAt = Number.NEGATIVE_INFINITY
    const prune = Effect.suspend(() => {
      if (Date.now() - prunedAt < Math.min(Duration.toMillis(PRUNE_EVERY), retentionSeconds * 1000)) return Effect.void
      prunedAt = Date.now()
      return sql`DELETE FROM ${jobs} WHERE NOT ${live}`.pipe(
        Effect.asVoid,
        Effect.catchAllCause((cause) => Effect.logWarning("could not delete old completed jobs", cause))
      )
    })
    // Payloads are read as text and parsed here, so the client's JSON name transforms never touch them.
    const infoColumns =
      sql.literal(`id, queue, state, payload::text AS "payloadJson", idempotency_key AS "idempotencyKey",
      attempts, max_attempts AS "maxAttempts", run_at AS "runAt", last_error AS "lastError",
      created_at AS "createdAt", updated_at AS "updatedAt"`)

    const findById = (jobId: string) =>
      UUID.test(jobId)
        ? sql<JobRow>`SELECT ${infoColumns} FROM ${jobs} WHERE id = ${jobId} AND ${live}`.pipe(
            Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), toJobInfo))
          )
        : Effect.succeed(Option.none<JobInfo>())

    const enqueue: JobQueueService["enqueue"] = (queue, payload, enqueueOptions) =>
      Effect.gen(function* () {
        const job = yield* checkEnqueue(queue, payload, enqueueOptions)
        const jobId = crypto.randomUUID()
        // A completed job past its retention gives its key up, as its Redis key's TTL would.
        if (job.idempotencyKey !== undefined) {
          yield* sql`DELETE FROM ${jobs}
            WHERE queue = ${job.queue} AND idempotency_key = ${job.idempotencyKey} AND NOT ${live}`
        }
        const inserted = yield* sql<{ id: string }>`
          INSERT INTO ${jobs} (id, queue, payload, idempotency_key, state, max_attempts, run_at)
          VALUES (${jobId}, ${job.queue}, ${job.payloadJson}::jsonb, ${job.idempotencyKey ?? null}, 'waiting',
                  ${job.maxAttempts}, now() + make_interval(secs => ${job.delayMillis / 1000}::float8))
          ON CONFLICT (queue, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
          RETURNING id`
        if (inserted.length > 0) return { jobId, created: true }
        // The key is taken: ON CONFLICT waited for the row's transaction, so this statement sees it.
        const existing = yield* sql<{ id: string }>`
          SELECT id FROM ${jobs} WHERE queue = ${job.queue} AND idempotency_key = ${job.idempotencyKey ?? null}`
        const first = existing[0]
        if (first === undefined) return yield* Effect.dieMessage("JobQueue.enqueue: idempotency conflict without a row")
        return { jobId: first.id, created: false }
      }).pipe(unavailable("enqueue"))

    const claim: JobQueueService["claim"] = (queue, claimOptions) =>
      Effect.gen(function* () {
        yield* checkQueue(queue)
        const leaseMillis = yield* checkLease(claimOptions.lease)
        yield* prune
        const rows = yield* sql<ClaimRow>`
          WITH exhausted AS (
            UPDATE ${jobs}
            SET state = 'dead', last_error = 'lease expired after the last attempt',
                lease_token = NULL, lease_expires_at = NULL, updated_at = now()
            WHERE id IN (
              SELECT id FROM ${jobs}
              WHERE queue = ${queue} AND state = 'active' AND lease_expires_at < now() AND attempts >= max_attempts
              FOR UPDATE SKIP LOCKED)
            RETURNING id
          ), candidate AS (
            SELECT id FROM ${jobs}
            WHERE queue = ${queue} AND state IN ('waiting', 'active') AND run_at <= now()
              AND (state = 'waiting' OR (lease_expires_at < now() AND attempts < max_attempts))
            ORDER BY run_at, position
            LIMIT 1
            FOR UPDATE SKIP LOCKED
          )
          UPDATE ${jobs} AS job
          SET state = 'active', attempts = job.attempts + 1, lease_token = gen_random_uuid(),
              lease_expires_at = now() + make_interval(secs => ${leaseMillis / 1000}::float8),
              worker_id = ${claimOptions.workerId}, updated_at = now()
          FROM candidate
          WHERE job.id = candidate.id
          RETURNING job.id, job.queue, job.payload::text AS "payloadJson", job.attempts AS attempt,
            job.max_attempts AS "maxAttempts", job.lease_token AS "leaseToken", job.lease_expires_at AS "leaseExpiresAt"`
        return Option.map(
          Option.fromNullable(rows[0]),
          (row): ClaimedJob => ({
            id: row.id,
            queue: row.queue,
            payload: JSON.parse(row.payloadJson),
            attempt: row.attempt,
            maxAttempts: row.maxAttempts,
            leaseToken: row.leaseToken,
            leaseExpiresAt: row.leaseExpiresAt
          })
        )
      }).pipe(unavailable("claim"))

    /** Runs `statement` only for a job the caller still holds; no row back means the lease is lost. */
    const whileHeld = <A>(
      job: ClaimedJob,
      statement: Effect.Effect<ReadonlyArray<A>, SqlError>
    ): Effect.Effect<A, LeaseLost | SqlError> =>
      UUID.test(job.id) && UUID.test(job.leaseToken)
        ? statement.pipe(
            Effect.flatMap((rows) =>
              rows[0] === undefined ? Effect.fail(new LeaseLost({ jobId: job.id })) : Effect.succeed(rows[0])
            )
          )
        : Effect.fail(new LeaseLost({ jobId: job.id }))

    const held = (job: ClaimedJob) => sql`id = ${job.id} AND lease_token = ${job.leaseToken} AND state = 'active'`

    const heartbeat: JobQueueService["heartbeat"] = (job, lease) =>
      Effect.gen(function* () {
        const leaseMillis = yield* checkLease(lease)
        yield* whileHeld(
          job,
          sql`UPDATE ${jobs}
            SET lease_expires_at = now() + make_interval(secs => ${leaseMillis / 1000}::float8), updated_at = now()
            WHERE ${held(job)}
            RETURNING id`
        )
      }).pipe(unavailable("heartbeat"))

    const complete: JobQueueService["complete"] = (job) =>
      whileHeld(
        job,
        sql`UPDATE ${jobs}
          SET state = 'completed', lease_token = NULL, lease_expires_at = NULL, updated_at = now()
          WHERE ${held(job)}
          RETURNING id`
      ).pipe(Effect.asVoid, unavailable("complete"))

    const fail: JobQueueService["fail"] = (job, error) =>
      Effect.gen(function* () {
        const delaySeconds = backoffMillis(job.attempt) / 1000
        const row = yield* whileHeld(
          job,
          sql<{ state: JobState; runAt: Date }>`UPDATE ${jobs}
            SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'waiting' END,
                run_at = CASE WHEN attempts >= max_attempts THEN run_at
                              ELSE now() + make_interval(secs => ${delaySeconds}::float8) END,
                last_error = ${storableText(error)}, lease_token = NULL, lease_expires_at = NULL, updated_at = now()
            WHERE ${held(job)}
            RETURNING state, run_at AS "runAt"`
        )
        return row.state === "dead"
          ? ({ _tag: "Dead", error } satisfies FailOutcome)
          : ({ _tag: "Retrying", runAt: row.runAt } satisfies FailOutcome)
      }).pipe(unavailable("fail"))

    const retry: JobQueueService["retry"] = (jobId) =>
      Effect.gen(function* () {
        if (!UUID.test(jobId)) return yield* new JobNotFound({ jobId })
        const retried = yield* sql`UPDATE ${jobs}
          SET state = 'waiting', attempts = 0, run_at = now(), updated_at = now()
          WHERE id = ${jobId} AND state = 'dead'
          RETURNING id`
        if (retried.length > 0) return
        const [current] = yield* sql<{ state: JobState }>`SELECT state FROM ${jobs} WHERE id = ${jobId} AND ${live}`
        if (current === undefined) return yield* new JobNotFound({ jobId })
        return yield* new JobNotDead({ jobId, state: current.state })
      }).pipe(unavailable("retry"))

    const byIdempotencyKey: JobQueueService["byIdempotencyKey"] = (queue, idempotencyKey) =>
      Effect.gen(function* () {
        yield* checkQueue(queue)
        const rows = yield* sql<JobRow>`SELECT ${infoColumns} FROM ${jobs}
          WHERE queue = ${queue} AND idempotency_key = ${idempotencyKey} AND ${live}`
        return Option.map(Option.fromNullable(rows[0]), toJobInfo)
      }).pipe(unavailable("byIdempotencyKey"))

    const counts: JobQueueService["counts"] = (queue) =>
      Effect.gen(function* () {
        yield* checkQueue(queue)
        const rows = yield* sql<{ state: JobState; count: number }>`
          SELECT state, count(*)::int AS count FROM ${jobs} WHERE queue = ${queue} AND ${live} GROUP BY state`
        const result: Record<JobState, number> = { waiting: 0, active: 0, completed: 0, dead: 0 }
        for (const row of rows) result[row.state] = row.count
        return result
      }).pipe(unavailable("counts"))

    const dead: JobQueueService["dead"] = (queue, limit) =>
      Effect.gen(function* () {
        yield* checkQueue(queue)
        if (!Number.isInteger(limit) || limit <= 0) return []
        const rows = yield* sql<JobRow>`SELECT ${infoColumns} FROM ${jobs}
          WHERE queue = ${queue} AND state = 'dead'
          ORDER BY updated_at DESC, position DESC
          LIMIT ${limit}`
        return rows.map(toJobInfo)
      }).pipe(unavailable("dead"))

    return JobQueue.of({
      enqueue,
      claim,
      heartbeat,
      complete,
      fail,
      retry,
      get: (jobId) => findById(jobId).pipe(unavailable("get")),
      byIdempotencyKey,
      counts,
      dead
    })
  })

/** The JobQueue in `<schema>.jobs` on the service's database (apply `jobQueueMigration` first). */
export const layerPostgres = (options: JobQueuePostgresOptions): Layer.Layer<JobQueue, never, SqlClient.SqlClient> =>
  Layer.effect(JobQueue, make(options))
