// Contract suite for the JobQueue port: Postgres and Redis must claim, lease, retry, bury and deduplicate jobs alike.
import { describe, expect, layer } from "@effect/vitest"
import { type ClaimedJob, JobQueue } from "@lectern/platform/JobQueue"
import { Cause, type Duration, Effect, Exit, type Layer, Option } from "effect"
import { eventually } from "./SuiteSupport.ts"

export { eventually } from "./SuiteSupport.ts"

/** A queue name no other test (or earlier run) uses. */
export const freshQueue = (label: string) => `${label}-${crypto.randomUUID().slice(0, 8)}`

/** A lease short enough for expiry tests on the live clock. */
const SHORT_LEASE = "300 millis"
const LONG_LEASE = "30 seconds"

/** Claims the next job of `queue`, failing the test when there is none. */
export const claimOne = (queue: string, workerId = "suite-worker", lease: Duration.DurationInput = LONG_LEASE) =>
  Effect.flatMap(JobQueue, (jobs) => jobs.claim(queue, { workerId, lease })).pipe(
    Effect.flatMap((claimed) =>
      Option.match(claimed, {
        onNone: () => Effect.dieMessage(`expected a claimable job in ${queue}`),
        onSome: Effect.succeed
      })
    )
  )

const claimNone = (queue: string) =>
  Effect.flatMap(JobQueue, (jobs) => jobs.claim(queue, { workerId: "suite-worker", lease: LONG_LEASE }))

const getJob = (jobId: string) =>
  Effect.flatMap(JobQueue, (jobs) => jobs.get(jobId)).pipe(
    Effect.flatMap((job) =>
      Option.match(job, { onNone: () => Effect.dieMessage(`job ${jobId} not found`), onSome: Effect.succeed })
    )
  )

/** Claims a job of `queue` with a short lease as soon as one is claimable (the previous lease having expired). */
const claimAfterExpiry = (queue: string, workerId: string) =>
  Effect.gen(function* () {
    const jobs = yield* JobQueue
    let claimed: ClaimedJob | undefined
    yield* eventually(
      "claimable after the lease expired",
      jobs.claim(queue, { workerId, lease: SHORT_LEASE }).pipe(
        Effect.map((job) => {
          claimed = Option.getOrUndefined(job)
          return claimed !== undefined
        })
      ),
      "5 seconds"
    )
    return claimed as ClaimedJob
  })

const expectDie = <A, E, R>(effect: Effect.Effect<A, E, R>, message: RegExp) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(effect)
    expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
    if (Exit.isFailure(exit)) expect(Cause.pretty(exit.cause)).toMatch(message)
  })

/**
 * Registers the JobQueue contract against `queueLayer`, built once for the block, on the live clock. Every test uses
 * queues of its own, so the layer may hold jobs of earlier runs.
 */
export const jobQueueSuite = <R, E>(name: string, queueLayer: Layer.Layer<JobQueue | R, E>) =>
  describe(`JobQueue port: ${name}`, () => {
    layer(queueLayer, { timeout: "60 seconds", excludeTestServices: true })((it) => {
      it.effect("enqueues, claims with a lease, completes; a completed job is not claimed again", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("basic")
          const before = Date.now()
          const { jobId, created } = yield* jobs.enqueue(queue, { mediaId: "m-1" })
          expect(created).toBe(true)
          const waiting = yield* getJob(jobId)
          expect(waiting).toMatchObject({
            id: jobId,
            queue,
            state: "waiting",
            payload: { mediaId: "m-1" },
            idempotencyKey: undefined,
            attempts: 0,
            maxAttempts: 3,
            lastError: undefined
          })
          // Server clocks on this machine: within a second of ours.
          expect(Math.abs(waiting.createdAt.getTime() - before)).toBeLessThan(1_000)
          expect(waiting.runAt.getTime()).toBeGreaterThanOrEqual(waiting.createdAt.getTime())

          const job = yield* claimOne(queue, "worker-a", "20 seconds")
          expect(job).toMatchObject({ id: jobId, queue, payload: { mediaId: "m-1" }, attempt: 1, maxAttempts: 3 })
          expect(job.leaseToken).not.toBe("")
          expect(job.leaseExpiresAt.getTime() - Date.now()).toBeGreaterThan(15_000)
          expect(job.leaseExpiresAt.getTime() - Date.now()).toBeLessThan(21_000)
          expect(yield* getJob(jobId)).toMatchObject({ state: "active", attempts: 1 })
          expect(yield* claimNone(queue)).toEqual(Option.none())

          yield* jobs.complete(job)
          expect(yield* getJob(jobId)).toMatchObject({ state: "completed", attempts: 1 })
          expect(yield* claimNone(queue)).toEqual(Option.none())
          expect((yield* Effect.flip(jobs.complete(job)))._tag).toBe("LeaseLost")
        })
      )

      it.effect("claims the oldest job first", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("order")
          const ids: Array<string> = []
          for (let n = 0; n < 5; n++) ids.push((yield* jobs.enqueue(queue, { n })).jobId)
          const claimed: Array<string> = []
          for (let n = 0; n < 5; n++) claimed.push((yield* claimOne(queue)).id)
          expect(claimed).toEqual(ids)
          expect(yield* claimNone(queue)).toEqual(Option.none())
        })
      )

      it.effect("returns the same job for an idempotency key, whatever its state, per queue", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("idem")
          const other = freshQueue("idem-other")
          const first = yield* jobs.enqueue(queue, { v: 1 }, { idempotencyKey: "media-1" })
          expect(first.created).toBe(true)
          const again = () => jobs.enqueue(queue, { v: 2 }, { idempotencyKey: "media-1" })
          expect(yield* again()).toEqual({ jobId: first.jobId, created: false })
          const job = yield* claimOne(queue)
          expect(yield* again()).toEqual({ jobId: first.jobId, created: false })
          yield* jobs.complete(job)
          expect(yield* again()).toEqual({ jobId: first.jobId, created: false })
          const stored = yield* getJob(first.jobId)
          expect(stored).toMatchObject({ state: "completed", payload: { v: 1 }, idempotencyKey: "media-1" })
          expect(yield* jobs.byIdempotencyKey(queue, "media-1")).toEqual(Option.some(stored))

          // A dead job keeps its key too.
          const doomed = yield* jobs.enqueue(queue, {}, { idempotencyKey: "media-2", maxAttempts: 1 })
          yield* jobs.fail(yield* claimOne(queue), "broken")
          expect((yield* getJob(doomed.jobId)).state).toBe("dead")
          expect(yield* jobs.enqueue(queue, {}, { idempotencyKey: "media-2" })).toEqual({
            jobId: doomed.jobId,
            created: false
          })

          // The same key on another queue is another job; an unknown key is none.
          const elsewhere = yield* jobs.enqueue(other, { v: 3 }, { idempotencyKey: "media-1" })
          expect(elsewhere.created).toBe(true)
          expect(elsewhere.jobId).not.toBe(first.jobId)
          expect(yield* jobs.byIdempotencyKey(queue, "no-such-key")).toEqual(Option.none())
          // Concurrent enqueues with one key make one job.
          const racing = yield* Effect.all(
            Array.from({ length: 6 }, () => jobs.enqueue(queue, {}, { idempotencyKey: "media-3" })),
            { concurrency: "unbounded" }
          )
          expect(new Set(racing.map((result) => result.jobId)).size).toBe(1)
          expect(racing.filter((result) => result.created)).toHaveLength(1)
        })
      )

      it.effect("never hands one job to two concurrent claimers", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("concurrent")
          const ids = yield* Effect.forEach(Array.from({ length: 20 }), (_, n) =>
            jobs.enqueue(queue, { n }).pipe(Effect.map((result) => result.jobId))
          )
          const claimer = (workerId: string) =>
            Effect.gen(function* () {
              const mine: Array<string> = []
              while (true) {
                const job = yield* jobs.claim(queue, { workerId, lease: LONG_LEASE })
                if (Option.isNone(job)) return mine
                mine.push(job.value.id)
                yield* jobs.complete(job.value)
              }
            })
          const perClaimer = yield* Effect.all(
            ["w1", "w2", "w3", "w4"].map((workerId) => claimer(workerId)),
            { concurrency: "unbounded" }
          )
          const claimed = perClaimer.flat()
          expect(claimed).toHaveLength(20)
          expect(new Set(claimed)).toEqual(new Set(ids))
          expect(yield* jobs.counts(queue)).toEqual({ waiting: 0, active: 0, completed: 20, dead: 0 })
        })
      )

      it.effect("keeps a job whose lease is extended by heartbeats", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("heartbeat")
          yield* jobs.enqueue(queue, {})
          const job = yield* claimOne(queue, "holder", SHORT_LEASE)
          yield* jobs.heartbeat(job, "20 seconds")
          // The scenario: more than the first lease passes while the second holds.
          yield* Effect.sleep("600 millis")
          expect(yield* jobs.claim(queue, { workerId: "other", lease: SHORT_LEASE })).toEqual(Option.none())
          yield* jobs.complete(job)
          expect((yield* getJob(job.id)).state).toBe("completed")
        })
      )

      it.effect("lets another worker claim a job whose lease expired; the old lease token is then lost", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("expiry")
          const { jobId } = yield* jobs.enqueue(queue, { big: true })
          const first = yield* claimOne(queue, "dies", SHORT_LEASE)
          const second = yield* claimAfterExpiry(queue, "survives")
          expect(second).toMatchObject({ id: jobId, attempt: 2, payload: { big: true } })
          expect(second.leaseToken).not.toBe(first.leaseToken)
          expect((yield* Effect.flip(jobs.heartbeat(first, "10 seconds")))._tag).toBe("LeaseLost")
          expect((yield* Effect.flip(jobs.complete(first)))._tag).toBe("LeaseLost")
          expect((yield* Effect.flip(jobs.fail(first, "too late")))._tag).toBe("LeaseLost")
          expect(yield* getJob(jobId)).toMatchObject({ state: "active", attempts: 2, lastError: undefined })
          yield* jobs.heartbeat(second, "10 seconds")
          yield* jobs.complete(second)
          expect((yield* getJob(jobId)).state).toBe("completed")
          expect((yield* Effect.flip(jobs.complete(first)))._tag).toBe("LeaseLost")
        })
      )

      it.effect("makes a failed job wait 10 s · (0.8…1.2) before the next attempt", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("backoff")
          const { jobId } = yield* jobs.enqueue(queue, {})
          const job = yield* claimOne(queue)
          const before = Date.now()
          const outcome = yield* jobs.fail(job, "transcoder crashed")
          const after = Date.now()
          if (outcome._tag !== "Retrying") return yield* Effect.dieMessage(`expected Retrying, got ${outcome._tag}`)
          // The server clocks are this machine's; 250 ms covers rounding and the round trip.
          expect(outcome.runAt.getTime()).toBeGreaterThanOrEqual(before + 8_000 - 250)
          expect(outcome.runAt.getTime()).toBeLessThanOrEqual(after + 12_000 + 250)
          const waiting = yield* getJob(jobId)
          expect(waiting).toMatchObject({ state: "waiting", attempts: 1, lastError: "transcoder crashed" })
          expect(Math.abs(waiting.runAt.getTime() - outcome.runAt.getTime())).toBeLessThan(1)
          expect(yield* claimNone(queue)).toEqual(Option.none())
          expect((yield* Effect.flip(jobs.complete(job)))._tag).toBe("LeaseLost")
        })
      )

      it.effect("holds a delayed job back until it is due", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("delay")
          const { jobId } = yield* jobs.enqueue(queue, {}, { delay: "400 millis" })
          const job = yield* getJob(jobId)
          expect(job.runAt.getTime() - job.createdAt.getTime()).toBeGreaterThanOrEqual(399)
          expect(yield* claimNone(queue)).toEqual(Option.none())
          const claimed = yield* eventually("due", claimNone(queue).pipe(Effect.map(Option.isSome)), "5 seconds").pipe(
            Effect.zipRight(getJob(jobId))
          )
          expect(claimed).toMatchObject({ state: "active", attempts: 1 })
        })
      )

      it.effect("makes a job dead when its last attempt fails, and retry brings it back with fresh attempts", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("dead")
          const { jobId } = yield* jobs.enqueue(queue, { n: 1 })
          // Attempts 1 and 2 end by lease expiry (a failure would wait 10 s and more); attempt 3 fails.
          yield* claimOne(queue, "w1", SHORT_LEASE)
          yield* claimAfterExpiry(queue, "w2")
          const third = yield* claimAfterExpiry(queue, "w3")
          expect(third.attempt).toBe(3)
          expect(yield* jobs.fail(third, "third failure")).toEqual({ _tag: "Dead", error: "third failure" })
          expect(yield* getJob(jobId)).toMatchObject({ state: "dead", attempts: 3, lastError: "third failure" })
          expect(yield* claimNone(queue)).toEqual(Option.none())

          yield* jobs.retry(jobId)
          expect(yield* getJob(jobId)).toMatchObject({ state: "waiting", attempts: 0 })
          const again = yield* claimOne(queue)
          expect(again).toMatchObject({ id: jobId, attempt: 1, payload: { n: 1 } })
          yield* jobs.complete(again)
          expect((yield* getJob(jobId)).state).toBe("completed")
        })
      )

      it.effect("makes a job dead, not run again, when the lease of its last attempt expires", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("lastlease")
          const { jobId } = yield* jobs.enqueue(queue, {}, { maxAttempts: 2 })
          yield* claimOne(queue, "w1", SHORT_LEASE)
          const last = yield* claimAfterExpiry(queue, "w2")
          expect(last.attempt).toBe(2)
          yield* eventually(
            "dead after the last lease expired",
            claimNone(queue).pipe(
              Effect.zipRight(getJob(jobId)),
              Effect.map((job) => job.state === "dead")
            ),
            "5 seconds"
          )
          expect(yield* getJob(jobId)).toMatchObject({
            state: "dead",
            attempts: 2,
            lastError: "lease expired after the last attempt"
          })
          expect((yield* Effect.flip(jobs.complete(last)))._tag).toBe("LeaseLost")
          expect((yield* jobs.dead(queue, 10)).map((job) => job.id)).toEqual([jobId])
        })
      )

      it.effect("refuses to retry a job that is not dead, or unknown", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("retry")
          const { jobId } = yield* jobs.enqueue(queue, {})
          expect(yield* Effect.flip(jobs.retry(jobId))).toMatchObject({ _tag: "JobNotDead", jobId, state: "waiting" })
          const job = yield* claimOne(queue)
          expect(yield* Effect.flip(jobs.retry(jobId))).toMatchObject({ _tag: "JobNotDead", state: "active" })
          yield* jobs.complete(job)
          expect(yield* Effect.flip(jobs.retry(jobId))).toMatchObject({ _tag: "JobNotDead", state: "completed" })
          for (const unknown of [crypto.randomUUID(), "not-a-job-id"]) {
            expect(yield* Effect.flip(jobs.retry(unknown))).toMatchObject({ _tag: "JobNotFound", jobId: unknown })
            expect(yield* jobs.get(unknown)).toEqual(Option.none())
          }
        })
      )

      it.effect("counts a queue's jobs per state", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("counts")
          expect(yield* jobs.counts(queue)).toEqual({ waiting: 0, active: 0, completed: 0, dead: 0 })
          yield* jobs.enqueue(queue, { n: 1 }, { maxAttempts: 1 })
          yield* jobs.enqueue(queue, { n: 2 })
          yield* jobs.enqueue(queue, { n: 3 })
          yield* jobs.enqueue(queue, { n: 4 })
          yield* jobs.enqueue(queue, { n: 5 }, { delay: "1 hour" })
          yield* jobs.fail(yield* claimOne(queue), "boom")
          yield* jobs.complete(yield* claimOne(queue))
          yield* claimOne(queue)
          expect(yield* jobs.counts(queue)).toEqual({ waiting: 2, active: 1, completed: 1, dead: 1 })
        })
      )

      it.effect("lists dead jobs newest first, up to the limit", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("deadlist")
          const ids: Array<string> = []
          for (let n = 1; n <= 3; n++) {
            ids.push((yield* jobs.enqueue(queue, { n }, { maxAttempts: 1 })).jobId)
            yield* jobs.fail(yield* claimOne(queue), `failure ${n}`)
          }
          const dead = yield* jobs.dead(queue, 10)
          expect(dead.map((job) => job.id)).toEqual([...ids].reverse())
          expect(dead.map((job) => job.lastError)).toEqual(["failure 3", "failure 2", "failure 1"])
          expect(dead.every((job) => job.state === "dead" && job.attempts === 1)).toBe(true)
          expect((yield* jobs.dead(queue, 2)).map((job) => job.id)).toEqual([ids[2], ids[1]])
          expect(yield* jobs.dead(queue, 0)).toEqual([])
          expect(yield* jobs.dead(freshQueue("nothing-dead"), 10)).toEqual([])
        })
      )

      it.effect("keeps queues apart", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const mine = freshQueue("mine")
          const yours = freshQueue("yours")
          const { jobId } = yield* jobs.enqueue(mine, { for: "mine" })
          expect(yield* claimNone(yours)).toEqual(Option.none())
          expect(yield* jobs.counts(yours)).toEqual({ waiting: 0, active: 0, completed: 0, dead: 0 })
          const job = yield* claimOne(mine)
          expect(job.id).toBe(jobId)
          expect(job.queue).toBe(mine)
        })
      )

      it.effect("round-trips JSON payloads", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("payload")
          const payloads: ReadonlyArray<unknown> = [
            {
              mediaId: "6f1c",
              snake_case_key: { nested_deeper: [1, 2.5, -3e-7, null, true, false] },
              title: "Leçon 1 — 日本語 ✓ 🎬",
              'quote"and\\backslash': "line\nbreak\ttab",
              empty: {},
              list: [{ a: [] }, "x"]
            },
            "just a string",
            42,
            null,
            [1, "two", { three: 3 }]
          ]
          for (const payload of payloads) {
            const { jobId } = yield* jobs.enqueue(queue, payload)
            expect((yield* getJob(jobId)).payload).toEqual(payload)
            const job = yield* claimOne(queue)
            expect(job.payload).toEqual(payload)
            yield* jobs.complete(job)
          }
        })
      )

      it.effect("refuses bad input with a clear defect", () =>
        Effect.gen(function* () {
          const jobs = yield* JobQueue
          const queue = freshQueue("input")
          yield* expectDie(jobs.enqueue("no spaces allowed", {}), /invalid queue name/)
          yield* expectDie(jobs.enqueue("a:b", {}), /invalid queue name/)
          yield* expectDie(jobs.enqueue(queue, {}, { maxAttempts: 0 }), /maxAttempts/)
          yield* expectDie(jobs.enqueue(queue, {}, { maxAttempts: 1.5 }), /maxAttempts/)
          yield* expectDie(jobs.enqueue(queue, {}, { idempotencyKey: "" }), /idempotency key/)
          yield* expectDie(jobs.enqueue(queue, undefined), /not JSON/)
          yield* expectDie(jobs.enqueue(queue, { size: 1n }), /not JSON/)
          yield* expectDie(jobs.claim(queue, { workerId: "w", lease: 0 }), /lease must be positive/)
          yield* expectDie(jobs.counts(""), /invalid queue name/)
          expect(yield* jobs.counts(queue)).toEqual({ waiting: 0, active: 0, completed: 0, dead: 0 })
        })
      )
    })
  })
