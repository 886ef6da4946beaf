// Runs the jobs of one queue: loops that claim a job, keep its lease alive while the handler works, then complete or fail it.
import { hostname } from "node:os"
import { Cause, Deferred, Duration, Effect, Either, Exit, Option, Schedule, type Scope } from "effect"
import {
  type ClaimedJob,
  checkLease,
  checkQueue,
  JobQueue,
  type JobQueueUnavailable,
  type LeaseLost
} from "./JobQueue.ts"

export interface WorkerOptions<R> {
  readonly queue: string
  /** Recorded on the jobs this worker claims. Default `<hostname>-<pid>-<random>`. */
  readonly workerId?: string
  /** Jobs handled at once (one claim loop each). */
  readonly concurrency: number
  /** How long a claim holds a job without a heartbeat. Default 60 s. */
  readonly lease?: Duration.DurationInput
  /** How often a running job's lease is extended (to `lease` from then). Default a third of `lease`. */
  readonly heartbeatEvery?: Duration.DurationInput
  /** The wait before claiming again when the queue is empty or unreachable. Default 1 s. */
  readonly pollInterval?: Duration.DurationInput
  /** Does the work. A failure or defect fails the job (retried with backoff, then dead); success completes it. */
  readonly handle: (job: ClaimedJob) => Effect.Effect<void, unknown, R>
}

/** The most of a failure's description that is stored on the job (UTF-8 bytes). */
const MAX_ERROR_BYTES = 2048
const TRUNCATED = "\n… (truncated)"

/** A readable description of why a handler failed (Cause.pretty), cut to 2 KB. */
export const describeJobFailure = (cause: Cause.Cause<unknown>): string => {
  const text = Cause.pretty(cause)
  const bytes = Buffer.from(text, "utf8")
  if (bytes.length <= MAX_ERROR_BYTES) return text
  const room = MAX_ERROR_BYTES - Buffer.byteLength(TRUNCATED, "utf8")
  // A character cut in half decodes as one U+FFFD at the end: drop it.
  return (
    bytes
      .subarray(0, room)
      .toString("utf8")
      .replace(/\uFFFD$/, "") + TRUNCATED
  )
}

const isUnavailable = (error: LeaseLost | JobQueueUnavailable): error is JobQueueUnavailable =>
  error._tag === "JobQueueUnavailable"

/** One line for the logs: which call failed and why. */
const describeUnavailable = (error: JobQueueUnavailable) =>
  `${error.operation}: ${error.cause instanceof Error ? error.cause.message : String(error.cause)}`

// Idle loops of this process by queue: an enqueue here can wake them instead of waiting for the next poll.
const idleLoops = new Map<string, Set<() => void>>()

/** Completes when `wakeWorkers(queue)` is called in this process. */
const nudged = (queue: string) =>
  Effect.async<void>((resume) => {
    const wake = () => resume(Effect.void)
    const loops = idleLoops.get(queue) ?? new Set()
    idleLoops.set(queue, loops)
    loops.add(wake)
    return Effect.sync(() => loops.delete(wake))
  })

/**
 * Wakes this process's idle workers of `queue` at once (after an enqueue), rather than at their next poll; workers
 * in other processes still find the job when they next poll.
 */
export const wakeWorkers = (queue: string) =>
  Effect.sync(() => {
    for (const wake of idleLoops.get(queue) ?? []) wake()
  })

/**
 * Forks `concurrency` loops that live with the scope. Each claims a job of `queue` (sleeping `pollInterval` when
 * there is none), runs `handle` while a forked heartbeat extends the lease every `heartbeatEvery`, and completes the
 * job on success or fails it with the described cause. A heartbeat that finds the lease lost (it expired and another
 * worker claimed the job) interrupts the handler and the job is left to its new holder. Errors of the queue itself
 * are logged and the loop claims again after `pollInterval`; nothing but the scope ends a loop. Closing the scope
 * interrupts running handlers and leaves their jobs active: their leases expire and another worker claims them.
 * Outcomes are logged with the job id, queue, attempt and worker id.
 */
export const runWorker = <R>(options: WorkerOptions<R>): Effect.Effect<void, never, JobQueue | Scope.Scope | R> =>
  Effect.gen(function* () {
    const queue = yield* JobQueue
    const queueName = yield* checkQueue(options.queue)
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      return yield* Effect.dieMessage(`runWorker: concurrency must be a positive integer, got ${options.concurrency}`)
    }
    const leaseMillis = yield* checkLease(options.lease ?? "60 seconds")
    const lease = Duration.millis(leaseMillis)
    const heartbeatEvery = Duration.decode(options.heartbeatEvery ?? Duration.millis(leaseMillis / 3))
    if (!Duration.lessThan(heartbeatEvery, lease) || Duration.toMillis(heartbeatEvery) <= 0) {
      return yield* Effect.dieMessage("runWorker: heartbeatEvery must be positive and shorter than the lease")
    }
    const pollInterval = Duration.decode(options.pollInterval ?? "1 second")
    if (Duration.toMillis(pollInterval) <= 0)
      return yield* Effect.dieMessage("runWorker: pollInterval must be positive")
    const workerId = options.workerId ?? `${hostname()}-${process.pid}-${crypto.randomUUID().slice(0, 8)}`

    /** A completion or failure is worth a few tries while the lease still holds; a lost lease is final. */
    const settle = <A>(effect: Effect.Effect<A, LeaseLost | JobQueueUnavailable>) =>
      effect.pipe(
        Effect.retry({ while: isUnavailable, schedule: Schedule.spaced(pollInterval), times: 3 }),
        Effect.either
      )

    const heartbeats = (job: ClaimedJob, lost: Deferred.Deferred<void>) =>
      Effect.gen(function* () {
        while (true) {
          yield* Effect.sleep(heartbeatEvery)
          const beat = yield* Effect.either(queue.heartbeat(job, lease))
          if (Either.isRight(beat)) continue
          if (!isUnavailable(beat.left)) return yield* Deferred.succeed(lost, undefined)
          yield* Effect.logWarning("job heartbeat failed; trying again").pipe(
            Effect.annotateLogs("cause", describeUnavailable(beat.left))
          )
        }
      })

    const afterSuccess = (job: ClaimedJob) =>
      Effect.gen(function* () {
        const completed = yield* settle(queue.complete(job))
        if (Either.isRight(completed)) return yield* Effect.logInfo("job completed")
        if (isUnavailable(completed.left)) {
          return yield* Effect.logError("job done but not marked completed; it runs again once its lease expires").pipe(
            Effect.annotateLogs("cause", describeUnavailable(completed.left))
          )
        }
        yield* Effect.logWarning("job done after its lease was lost; another worker holds it")
      })

    const afterFailure = (job: ClaimedJob, cause: Cause.Cause<unknown>) =>
      Effect.gen(function* () {
        const error = describeJobFailure(cause)
        const failed = yield* settle(queue.fail(job, error))
        if (Either.isLeft(failed)) {
          if (!isUnavailable(failed.left)) {
            return yield* Effect.logWarning("job failed after its lease was lost; another worker holds it").pipe(
              Effect.annotateLogs("error", error)
            )
          }
          return yield* Effect.logError(
            "job failed and could not be recorded; it runs again once its lease expires"
          ).pipe(Effect.annotateLogs({ error, cause: describeUnavailable(failed.left) }))
        }
        const outcome = failed.right
        if (outcome._tag === "Retrying") {
          return yield* Effect.logWarning("job failed; retrying later").pipe(
            Effect.annotateLogs({ error, runAt: outcome.runAt.toISOString() })
          )
        }
        yield* Effect.logError("job failed on its last attempt; dead").pipe(Effect.annotateLogs("error", error))
      })

    const runJob = (job: ClaimedJob) =>
      Effect.gen(function* () {
        const lost = yield* Deferred.make<void>()
        const finished = yield* Effect.scoped(
          Effect.gen(function* () {
            yield* Effect.forkScoped(heartbeats(job, lost))
            return yield* Effect.raceFirst(
              Effect.exit(Effect.suspend(() => options.handle(job))).pipe(Effect.map(Option.some)),
              Deferred.await(lost).pipe(Effect.as(Option.none()))
            )
          })
        )
        if (Option.isNone(finished)) {
          return yield* Effect.logWarning("job lease lost; handler interrupted, another worker holds the job")
        }
        const exit = finished.value
        if (Exit.isSuccess(exit)) return yield* afterSuccess(job)
        yield* afterFailure(job, exit.cause)
      }).pipe(Effect.annotateLogs({ jobId: job.id, attempt: job.attempt }))

    const loop = Effect.gen(function* () {
      while (true) {
        const claimed = yield* Effect.either(queue.claim(queueName, { workerId, lease }))
        if (Either.isLeft(claimed)) {
          yield* Effect.logWarning("job queue unavailable; claiming again shortly").pipe(
            Effect.annotateLogs("cause", describeUnavailable(claimed.left))
          )
          yield* Effect.sleep(pollInterval)
          continue
        }
        const job = claimed.right
        if (Option.isSome(job)) yield* runJob(job.value)
        else yield* Effect.raceFirst(Effect.sleep(pollInterval), nudged(queueName))
      }
    }).pipe(
      // A defect of the queue or of this loop is logged; the loop starts over after pollInterval.
      Effect.catchAllCause((cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.failCause(cause)
          : Effect.logError("job worker loop failed; restarting").pipe(
              Effect.annotateLogs("cause", describeJobFailure(cause)),
              Effect.zipRight(Effect.sleep(pollInterval))
            )
      ),
      Effect.forever,
      Effect.annotateLogs({ queue: queueName, workerId })
    )

    for (let index = 0; index < options.concurrency; index++) yield* Effect.forkScoped(loop)
  })
