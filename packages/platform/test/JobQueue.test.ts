// The JobQueue contract on Postgres and Redis, the worker loop on both, a worker killed with SIGKILL, and the choice by configuration.
import { spawn } from "node:child_process"
import { SqlClient } from "@effect/sql"
import { describe, expect, it, layer } from "@effect/vitest"
import { type ClaimedJob, JobQueue, type JobQueueService, JobQueueUnavailable } from "@lectern/platform/JobQueue"
import { layerFromConfig } from "@lectern/platform/JobQueueFromConfig"
import { jobQueueMigration, layerPostgres } from "@lectern/platform/JobQueuePostgres"
import { layerRedis } from "@lectern/platform/JobQueueRedis"
import { describeJobFailure, runWorker, wakeWorkers } from "@lectern/platform/JobWorker"
import { migrate } from "@lectern/platform/Migrator"
import * as Redis from "@lectern/platform/Redis"
import { eventually, freshQueue, jobQueueSuite } from "@lectern/testkit/JobQueueSuite"
import { layerFreshPostgres, testPostgresUrl } from "@lectern/testkit/TestDatabase"
import { Cause, Config, ConfigProvider, Data, type Duration, Effect, Layer, Option } from "effect"

// ---------------------------------------------------------------- backends

const schema = "jobs_test"
const redisUrl = Config.string("REDIS_URL").pipe(Config.withDefault("redis://127.0.0.1:6379"))

/** A fresh database with `<schema>.jobs` migrated, and the queue on it. */
const postgresBackendWith = (options: { readonly completedRetention?: Duration.DurationInput } = {}) =>
  Layer.mergeAll(
    layerPostgres({ schema, ...options }),
    Layer.effectDiscard(migrate({ schema, migrations: [jobQueueMigration(schema, 1)] }))
  ).pipe(Layer.provideMerge(layerFreshPostgres))
const postgresBackend = postgresBackendWith()

/** Deletes every key under `keyPrefix` when the layer is released. */
const deleteKeysAfterwards = (keyPrefix: string) =>
  Layer.scopedDiscard(
    Effect.flatMap(Redis.RedisConnection, (redis) =>
      Effect.addFinalizer(() =>
        Effect.gen(function* () {
          let cursor = "0"
          do {
            const page = yield* redis.use((client) =>
              client.scan(cursor, { MATCH: `${Redis.escapeGlob(keyPrefix)}*`, COUNT: 500 })
            )
            if (page.keys.length > 0) yield* redis.use((client) => client.unlink(page.keys))
            cursor = page.cursor
          } while (cursor !== "0")
        }).pipe(Effect.ignore)
      )
    )
  )

/** The queue under a key prefix of its own on the machine's Redis, its keys deleted afterwards. */
const redisBackend = (keyPrefix: string, options: { readonly completedRetention?: Duration.DurationInput } = {}) =>
  Layer.unwrapEffect(
    Effect.map(redisUrl, (url) =>
      Layer.mergeAll(layerRedis({ keyPrefix, ...options }), deleteKeysAfterwards(keyPrefix)).pipe(
        Layer.provideMerge(Redis.layer({ url }))
      )
    )
  )

jobQueueSuite("Postgres", postgresBackend)
jobQueueSuite("Redis", redisBackend(`test-jobs-${crypto.randomUUID()}:`))

const retentionBackends: ReadonlyArray<readonly [string, Layer.Layer<JobQueue, unknown>]> = [
  ["Postgres", postgresBackendWith({ completedRetention: "300 millis" })],
  ["Redis", redisBackend(`test-jobs-retention-${crypto.randomUUID()}:`, { completedRetention: "300 millis" })]
]

describe.each(retentionBackends)("JobQueue on %s, completed retention", (_name, backend) => {
  layer(backend, { excludeTestServices: true })((it) => {
    it.effect("forgets a completed job after the retention, and its idempotency key with it", () =>
      Effect.gen(function* () {
        const jobs = yield* JobQueue
        const queue = freshQueue("retention")
        const first = yield* jobs.enqueue(queue, { n: 1 }, { idempotencyKey: "k" })
        const claimed = yield* jobs.claim(queue, { workerId: "w", lease: "10 seconds" })
        if (Option.isSome(claimed)) yield* jobs.complete(claimed.value)
        expect(yield* jobs.enqueue(queue, { n: 2 }, { idempotencyKey: "k" })).toEqual({
          jobId: first.jobId,
          created: false
        })
        expect(yield* jobs.counts(queue)).toEqual({ waiting: 0, active: 0, completed: 1, dead: 0 })
        expect(yield* Effect.flip(jobs.retry(first.jobId))).toMatchObject({ _tag: "JobNotDead", state: "completed" })
        yield* eventually("forgotten", jobs.get(first.jobId).pipe(Effect.map(Option.isNone)), "5 seconds")
        expect(yield* jobs.byIdempotencyKey(queue, "k")).toEqual(Option.none())
        expect(yield* jobs.counts(queue)).toEqual({ waiting: 0, active: 0, completed: 0, dead: 0 })
        expect(yield* Effect.flip(jobs.retry(first.jobId))).toMatchObject({ _tag: "JobNotFound" })
        const second = yield* jobs.enqueue(queue, { n: 3 }, { idempotencyKey: "k" })
        expect(second.created).toBe(true)
        expect(second.jobId).not.toBe(first.jobId)
        expect((yield* jobs.byIdempotencyKey(queue, "k")).pipe(Option.map((job) => job.payload))).toEqual(
          Option.some({ n: 3 })
        )
      })
    )
  })
})

describe("JobQueue on Postgres, completed retention", () => {
  layer(postgresBackendWith({ completedRetention: "300 millis" }), { excludeTestServices: true })((it) => {
    it.effect("deletes completed rows past the retention on a later claim, and keeps dead ones", () =>
      Effect.gen(function* () {
        const jobs = yield* JobQueue
        const sql = yield* SqlClient.SqlClient
        const queue = freshQueue("prune")
        const done = yield* jobs.enqueue(queue, { n: 1 })
        const doomed = yield* jobs.enqueue(queue, { n: 2 }, { maxAttempts: 1 })
        for (const outcome of ["complete", "fail"] as const) {
          const claimed = yield* jobs.claim(queue, { workerId: "w", lease: "10 seconds" })
          if (Option.isNone(claimed)) return expect.fail("a job to claim")
          if (outcome === "complete") yield* jobs.complete(claimed.value)
          else yield* jobs.fail(claimed.value, "broken")
        }
        const rows = sql<{ id: string }>`SELECT id FROM jobs_test.jobs WHERE queue = ${queue} ORDER BY position`
        expect((yield* rows).map((row) => row.id)).toEqual([done.jobId, doomed.jobId])
        yield* Effect.sleep("400 millis")
        expect(yield* jobs.claim(queue, { workerId: "w", lease: "10 seconds" })).toEqual(Option.none())
        expect((yield* rows).map((row) => row.id)).toEqual([doomed.jobId])
        expect(Option.map(yield* jobs.get(doomed.jobId), (job) => job.state)).toEqual(Option.some("dead"))
      })
    )
  })
})

// ---------------------------------------------------------------- worker fixtures

/** What the worker tests need to reach into a backend: moving time forward for a job, and starting a child worker. */
interface Backend<R> {
  /** Makes a waiting job due now (instead of after its 10 s backoff). */
  readonly makeDue: (jobId: string, queue: string) => Effect.Effect<void, unknown, R>
  /** Makes an active job's lease expired now, as if its holder had stopped heartbeating long ago. */
  readonly expireLease: (jobId: string, queue: string) => Effect.Effect<void, unknown, R>
  /** Environment for fixtures/job-worker-child.ts to reach the same queue. */
  readonly childEnv: Effect.Effect<Record<string, string>, unknown, R>
}

const postgres: Backend<SqlClient.SqlClient> = {
  makeDue: (jobId) =>
    Effect.flatMap(SqlClient.SqlClient, (sql) => sql`UPDATE jobs_test.jobs SET run_at = now() WHERE id = ${jobId}`),
  expireLease: (jobId) =>
    Effect.flatMap(
      SqlClient.SqlClient,
      (sql) => sql`UPDATE jobs_test.jobs SET lease_expires_at = now() - interval '1 second' WHERE id = ${jobId}`
    ),
  childEnv: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const [database] = yield* sql<{ name: string }>`SELECT current_database() AS name`
    const url = new URL(yield* testPostgresUrl)
    url.pathname = `/${database?.name}`
    return { JOB_BACKEND: "postgres", JOB_DATABASE_URL: url.toString(), JOB_SCHEMA: schema }
  })
}

const redis = (keyPrefix: string): Backend<Redis.RedisConnection> => {
  const ns = `${keyPrefix}jobs:`
  // Redis runs on this machine: its clock is ours.
  return {
    makeDue: (jobId, queue) =>
      Effect.flatMap(Redis.RedisConnection, (redis) =>
        redis.use((client) =>
          client
            .multi()
            .zAdd(`${ns}queue:${queue}:waiting`, { score: Date.now() - 1_000, value: jobId })
            .hSet(`${ns}job:${jobId}`, "runAt", String(Date.now() - 1_000))
            .exec()
        )
      ),
    expireLease: (jobId, queue) =>
      Effect.flatMap(Redis.RedisConnection, (redis) =>
        redis.use((client) =>
          client
            .multi()
            .zAdd(`${ns}queue:${queue}:active`, { score: Date.now() - 1_000, value: jobId })
            .hSet(`${ns}job:${jobId}`, "leaseExpiresAt", String(Date.now() - 1_000))
            .exec()
        )
      ),
    childEnv: Effect.map(redisUrl, (url) => ({ JOB_BACKEND: "redis", JOB_REDIS_URL: url, JOB_KEY_PREFIX: keyPrefix }))
  }
}

const getJob = (jobId: string) =>
  Effect.flatMap(JobQueue, (jobs) => jobs.get(jobId)).pipe(
    Effect.flatMap((job) =>
      Option.match(job, { onNone: () => Effect.dieMessage(`job ${jobId} not found`), onSome: Effect.succeed })
    )
  )

const inState = (jobId: string, state: string) => getJob(jobId).pipe(Effect.map((job) => job.state === state))

class ChildFailed extends Data.TaggedError("ChildFailed")<{ readonly reason: string; readonly output: string }> {}

const childScript = new URL("./fixtures/job-worker-child.ts", import.meta.url).pathname

/**
 * Runs fixtures/job-worker-child.ts (Node, type stripping) with `env`; `holding` waits for its "holding <id> <attempt>"
 * line, `kill` SIGKILLs it and waits for it to be gone. A child still running when the scope closes is killed.
 */
const startChild = (env: Record<string, string>) =>
  Effect.gen(function* () {
    let output = ""
    const child = yield* Effect.acquireRelease(
      Effect.sync(() =>
        spawn(process.execPath, [childScript], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
      ),
      (child) =>
        Effect.sync(() => {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
        })
    )
    const collect = (chunk: Buffer) => {
      output += chunk.toString()
    }
    child.stdout.on("data", collect)
    child.stderr.on("data", collect)

    const holding = Effect.async<{ readonly jobId: string; readonly attempt: number }, ChildFailed>((resume) => {
      let settled = false
      const settle = (effect: Effect.Effect<{ readonly jobId: string; readonly attempt: number }, ChildFailed>) => {
        if (settled) return
        settled = true
        resume(effect)
      }
      const check = () => {
        const match = /holding (\S+) (\d+)/.exec(output)
        if (match?.[1] !== undefined) settle(Effect.succeed({ jobId: match[1], attempt: Number(match[2]) }))
      }
      const exited = (code: number | null, signal: string | null) =>
        settle(Effect.fail(new ChildFailed({ reason: `exited (${code ?? signal}) before holding a job`, output })))
      child.stdout.on("data", check)
      child.once("exit", exited)
      check()
      return Effect.sync(() => {
        child.stdout.off("data", check)
        child.off("exit", exited)
      })
    }).pipe(
      Effect.timeoutFail({
        duration: "20 seconds",
        onTimeout: () => new ChildFailed({ reason: "held no job within 20 s", output })
      })
    )

    const kill = Effect.async<string | null>((resume) => {
      if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.succeed(child.signalCode))
      child.once("exit", (_code, signal) => resume(Effect.succeed(signal)))
      child.kill("SIGKILL")
    })

    return { holding, kill, output: () => output }
  })

// ---------------------------------------------------------------- worker tests

const fast = { pollInterval: "20 millis", concurrency: 1 } as const

const workerTests = <R, E>(name: string, backendLayer: Layer.Layer<JobQueue | R, E>, backend: Backend<R>) =>
  describe(`JobWorker on ${name}`, () => {
    layer(backendLayer, { timeout: "60 seconds", excludeTestServices: true })((it) => {
      it.scoped("completes a job whose handler succeeds", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("worker-ok")
          const { jobId } = yield* jobs.enqueue(queue, { file: "a.mp4" })
          const handled: Array<ClaimedJob> = []
          yield* runWorker({
            ...fast,
            queue,
            concurrency: 2,
            handle: (job) => Effect.sync(() => handled.push(job))
          })
          yield* eventually("completed", inState(jobId, "completed"))
          expect(handled.map((job) => [job.id, job.attempt, job.payload])).toEqual([[jobId, 1, { file: "a.mp4" }]])
          expect(yield* jobs.counts(queue)).toEqual({ waiting: 0, active: 0, completed: 1, dead: 0 })
        })
      )

      it.scoped("an idle worker woken after an enqueue claims at once, not at its next poll", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("worker-wake")
          yield* runWorker({ queue, concurrency: 1, pollInterval: "1 hour", handle: () => Effect.void })
          // Let the loop find the queue empty and go idle.
          yield* Effect.sleep("200 millis")
          const { jobId } = yield* jobs.enqueue(queue, {})
          yield* wakeWorkers(queue)
          yield* eventually("completed long before the hour-long poll", inState(jobId, "completed"), "10 seconds")
        })
      )

      it.scoped("fails a job whose handler fails: retried after the backoff, then dead with the last error", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("worker-fail")
          const { jobId } = yield* jobs.enqueue(queue, {}, { maxAttempts: 2 })
          let calls = 0
          const before = Date.now()
          yield* runWorker({
            ...fast,
            queue,
            handle: (job) =>
              Effect.suspend(() => {
                calls++
                // A failure the first time, a defect the second: both fail the attempt.
                return job.attempt === 1
                  ? Effect.fail(new Error("attempt 1 failed"))
                  : Effect.die(new Error("attempt 2 died"))
              })
          })
          yield* eventually(
            "failed once and waiting",
            getJob(jobId).pipe(Effect.map((job) => job.state === "waiting" && job.attempts === 1))
          )
          const waiting = yield* getJob(jobId)
          expect(waiting.lastError).toContain("attempt 1 failed")
          expect(waiting.runAt.getTime()).toBeGreaterThanOrEqual(before + 8_000 - 250)
          expect(waiting.runAt.getTime()).toBeLessThanOrEqual(Date.now() + 12_000 + 250)
          expect(calls).toBe(1)

          yield* backend.makeDue(jobId, queue)
          yield* eventually("dead", inState(jobId, "dead"))
          const dead = yield* getJob(jobId)
          expect(dead.attempts).toBe(2)
          expect(dead.lastError).toContain("attempt 2 died")
          expect(calls).toBe(2)
        })
      )

      it.scoped("keeps the lease of a long handler with heartbeats, past several lease lengths", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("worker-long")
          const { jobId } = yield* jobs.enqueue(queue, {})
          let slowCalls = 0
          let otherCalls = 0
          yield* runWorker({
            ...fast,
            queue,
            workerId: "slow",
            lease: "300 millis",
            heartbeatEvery: "100 millis",
            handle: () =>
              Effect.sync(() => {
                slowCalls++
              }).pipe(Effect.zipRight(Effect.sleep("1500 millis")))
          })
          yield* eventually("claimed by the slow worker", inState(jobId, "active"))
          // Another worker polls the queue the whole time; it must never get the job.
          yield* runWorker({
            ...fast,
            queue,
            workerId: "other",
            lease: "300 millis",
            handle: () =>
              Effect.sync(() => {
                otherCalls++
              })
          })
          yield* eventually("completed", inState(jobId, "completed"), "10 seconds")
          expect(yield* getJob(jobId)).toMatchObject({ state: "completed", attempts: 1 })
          expect([slowCalls, otherCalls]).toEqual([1, 0])
        })
      )

      it.scoped(
        "interrupts the handler when a heartbeat finds the lease lost, and leaves the job to its new holder",
        () =>
          Effect.gen(function* () {
            const jobs = yield* JobQueue
            const queue = freshQueue("worker-lost")
            const { jobId } = yield* jobs.enqueue(queue, {})
            let interrupted = false
            let calls = 0
            yield* runWorker({
              ...fast,
              queue,
              lease: "10 seconds",
              heartbeatEvery: "100 millis",
              handle: () =>
                Effect.sync(() => {
                  calls++
                }).pipe(
                  Effect.zipRight(Effect.never),
                  Effect.onInterrupt(() =>
                    Effect.sync(() => {
                      interrupted = true
                    })
                  )
                )
            })
            yield* eventually("claimed", inState(jobId, "active"))
            yield* backend.expireLease(jobId, queue)
            const taken = yield* jobs.claim(queue, { workerId: "taker", lease: "10 seconds" })
            expect(Option.map(taken, (job) => [job.id, job.attempt])).toEqual(Option.some([jobId, 2]))
            yield* eventually(
              "handler interrupted",
              Effect.sync(() => interrupted)
            )
            expect(yield* getJob(jobId)).toMatchObject({ state: "active", attempts: 2, lastError: undefined })
            if (Option.isSome(taken)) yield* jobs.complete(taken.value)
            expect(yield* getJob(jobId)).toMatchObject({ state: "completed", attempts: 2 })
            expect(calls).toBe(1)
          })
      )

      it.scoped("keeps claiming through queue errors and defects", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("worker-flaky")
          const { jobId } = yield* jobs.enqueue(queue, {})
          let claims = 0
          const flaky: JobQueueService = {
            ...jobs,
            claim: (name, options) =>
              Effect.suspend(() => {
                claims++
                if (claims <= 2) return Effect.fail(new JobQueueUnavailable({ operation: "claim", cause: "away" }))
                if (claims === 3) return Effect.dieMessage("a bug in the queue")
                return jobs.claim(name, options)
              })
          }
          yield* runWorker({ ...fast, queue, handle: () => Effect.void }).pipe(Effect.provideService(JobQueue, flaky))
          yield* eventually("completed", inState(jobId, "completed"))
          expect(claims).toBeGreaterThan(3)
        })
      )

      it.scoped("hands the job of a worker killed with SIGKILL to another worker once its lease expires", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("worker-killed")
          const { jobId } = yield* jobs.enqueue(queue, { work: "transcode" })
          const child = yield* startChild({ ...(yield* backend.childEnv), JOB_QUEUE: queue })
          expect(yield* child.holding).toEqual({ jobId, attempt: 1 })
          // The child heartbeats: past its 1 s lease the job is still its own.
          yield* Effect.sleep("1200 millis")
          expect(yield* jobs.claim(queue, { workerId: "early", lease: "10 seconds" })).toEqual(Option.none())

          expect(yield* child.kill).toBe("SIGKILL")
          expect(yield* getJob(jobId)).toMatchObject({ state: "active", attempts: 1 })
          const handled: Array<ClaimedJob> = []
          yield* runWorker({
            ...fast,
            queue,
            workerId: "survivor",
            handle: (job) => Effect.sync(() => handled.push(job))
          })
          yield* eventually("completed by the survivor", inState(jobId, "completed"), "10 seconds")
          expect(handled.map((job) => [job.id, job.attempt, job.payload])).toEqual([[jobId, 2, { work: "transcode" }]])
          expect(yield* getJob(jobId)).toMatchObject({ state: "completed", attempts: 2, lastError: undefined })
          expect(yield* jobs.counts(queue)).toEqual({ waiting: 0, active: 0, completed: 1, dead: 0 })
        })
      )
    })
  })

workerTests("Postgres", postgresBackend, postgres)
const workerPrefix = `test-jobs-worker-${crypto.randomUUID()}:`
workerTests("Redis", redisBackend(workerPrefix), redis(workerPrefix))

describe("describeJobFailure", () => {
  it("describes a failure readably and cuts it to 2 KB of UTF-8", () => {
    expect(describeJobFailure(Cause.fail(new Error("ffmpeg exited with 1")))).toContain("Error: ffmpeg exited with 1")
    const long = describeJobFailure(Cause.fail(new Error("é".repeat(5_000))))
    expect(Buffer.byteLength(long, "utf8")).toBeLessThanOrEqual(2048)
    expect(long).toMatch(/é\n… \(truncated\)$/)
  })
})

// ---------------------------------------------------------------- configuration

describe("JobQueue from configuration", () => {
  const withConfig = (entries: ReadonlyArray<readonly [string, string]>) =>
    Layer.setConfigProvider(ConfigProvider.fromMap(new Map(entries)))

  layer(layerFromConfig({ schema }).pipe(Layer.provideMerge(postgresBackend), Layer.provide(withConfig([]))), {
    excludeTestServices: true
  })("no REDIS_URL", (it) => {
    it.effect("keeps jobs in <schema>.jobs", () =>
      Effect.gen(function* () {
        const jobs = yield* JobQueue
        const sql = yield* SqlClient.SqlClient
        const { jobId } = yield* jobs.enqueue(freshQueue("configured"), { n: 1 })
        const rows = yield* sql<{ id: string }>`SELECT id FROM jobs_test.jobs WHERE id = ${jobId}`
        expect(rows.map((row) => row.id)).toEqual([jobId])
      })
    )
  })

  const configuredPrefix = `test-jobs-config-${crypto.randomUUID()}:`
  layer(
    Layer.unwrapEffect(
      Effect.map(redisUrl, (url) =>
        layerFromConfig({ schema }).pipe(
          Layer.provideMerge(Layer.mergeAll(postgresBackend, deleteKeysAfterwards(configuredPrefix))),
          Layer.provideMerge(Redis.layer({ url })),
          Layer.provide(
            withConfig([
              ["REDIS_URL", url],
              ["REDIS_KEY_PREFIX", configuredPrefix]
            ])
          )
        )
      )
    ),
    { excludeTestServices: true }
  )("REDIS_URL", (it) => {
    it.effect("keeps jobs in Redis under REDIS_KEY_PREFIX", () =>
      Effect.gen(function* () {
        const jobs = yield* JobQueue
        const redis = yield* Redis.RedisConnection
        const sql = yield* SqlClient.SqlClient
        const { jobId } = yield* jobs.enqueue(freshQueue("configured"), { n: 1 })
        expect(yield* redis.use((client) => client.exists(`${configuredPrefix}jobs:job:${jobId}`))).toBe(1)
        expect(yield* sql`SELECT id FROM jobs_test.jobs`).toEqual([])
      })
    )
  })
})
