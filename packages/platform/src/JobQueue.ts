// The JobQueue port: durable background jobs (transcodes) claimed with a lease, retried with backoff, ending dead.
//
// A job is enqueued once per idempotency key; a worker claims it with a lease and must heartbeat before the lease
// runs out, then completes or fails it. A failure before the last attempt makes it wait (exponential backoff from
// 10 s, with jitter) and be claimed again; after the last attempt it is dead with the last error, until someone
// retries it by hand. A worker that dies (even by SIGKILL) simply stops heartbeating: its lease expires and another
// worker claims the job, and the dead worker's lease token no longer completes or fails anything.
import { Context, Data, Duration, Effect, type Option } from "effect"

export type JobState = "waiting" | "active" | "completed" | "dead"

export interface JobInfo {
  readonly id: string
  readonly queue: string
  readonly state: JobState
  /** JSON value given at enqueue. */
  readonly payload: unknown
  readonly idempotencyKey: string | undefined
  /** Claims so far (the running one included). */
  readonly attempts: number
  readonly maxAttempts: number
  /** When a waiting job may next be claimed. */
  readonly runAt: Date
  readonly lastError: string | undefined
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** A job a worker holds; `leaseToken` proves it still does. */
export interface ClaimedJob {
  readonly id: string
  readonly queue: string
  readonly payload: unknown
  /** 1 on the first claim. */
  readonly attempt: number
  readonly maxAttempts: number
  readonly leaseToken: string
  readonly leaseExpiresAt: Date
}

export interface EnqueueOptions {
  /** A second enqueue with the same key (on the same queue) returns the first job, whatever its state. */
  readonly idempotencyKey?: string
  /** Default 3. */
  readonly maxAttempts?: number
  /** Wait this long before the first claim. */
  readonly delay?: Duration.DurationInput
}

export type FailOutcome =
  | { readonly _tag: "Retrying"; readonly runAt: Date }
  | { readonly _tag: "Dead"; readonly error: string }

/** The backing store could not be reached. */
export class JobQueueUnavailable extends Data.TaggedError("JobQueueUnavailable")<{
  readonly operation: string
  readonly cause: unknown
}> {}

/** The lease token no longer holds the job (it expired and someone else claimed it, or the job ended). */
export class LeaseLost extends Data.TaggedError("LeaseLost")<{ readonly jobId: string }> {}

export class JobNotFound extends Data.TaggedError("JobNotFound")<{ readonly jobId: string }> {}

/** A manual retry of a job that is not dead. */
export class JobNotDead extends Data.TaggedError("JobNotDead")<{ readonly jobId: string; readonly state: JobState }> {}

export interface JobQueueService {
  readonly enqueue: (
    queue: string,
    payload: unknown,
    options?: EnqueueOptions
  ) => Effect.Effect<{ readonly jobId: string; readonly created: boolean }, JobQueueUnavailable>
  /** The oldest claimable job of `queue` (waiting and due, or active with an expired lease), or None. */
  readonly claim: (
    queue: string,
    options: { readonly workerId: string; readonly lease: Duration.DurationInput }
  ) => Effect.Effect<Option.Option<ClaimedJob>, JobQueueUnavailable>
  /** Extends the lease to `lease` from now. */
  readonly heartbeat: (
    job: ClaimedJob,
    lease: Duration.DurationInput
  ) => Effect.Effect<void, LeaseLost | JobQueueUnavailable>
  readonly complete: (job: ClaimedJob) => Effect.Effect<void, LeaseLost | JobQueueUnavailable>
  readonly fail: (job: ClaimedJob, error: string) => Effect.Effect<FailOutcome, LeaseLost | JobQueueUnavailable>
  /** Makes a dead job waiting again with a fresh set of attempts. */
  readonly retry: (jobId: string) => Effect.Effect<void, JobNotFound | JobNotDead | JobQueueUnavailable>
  readonly get: (jobId: string) => Effect.Effect<Option.Option<JobInfo>, JobQueueUnavailable>
  /** The job enqueued with `idempotencyKey` on `queue`, if any. */
  readonly byIdempotencyKey: (
    queue: string,
    idempotencyKey: string
  ) => Effect.Effect<Option.Option<JobInfo>, JobQueueUnavailable>
  /** How many jobs of `queue` are in each state (for metrics and the admin console). */
  readonly counts: (queue: string) => Effect.Effect<Readonly<Record<JobState, number>>, JobQueueUnavailable>
  /** Dead jobs of `queue`, newest first. */
  readonly dead: (queue: string, limit: number) => Effect.Effect<ReadonlyArray<JobInfo>, JobQueueUnavailable>
}

export class JobQueue extends Context.Tag("@lectern/platform/JobQueue")<JobQueue, JobQueueService>() {}

export const DEFAULT_MAX_ATTEMPTS = 3
const FIRST_BACKOFF_MS = 10_000

/**
 * Delay before attempt `failedAttempt + 1`: 10 s · 2^(failedAttempt − 1), scaled by a random factor in [0.8, 1.2)
 * so jobs that failed together do not all come back together. `random` is injectable for tests.
 */
export const backoffMillis = (failedAttempt: number, random: () => number = Math.random): number =>
  Math.round(FIRST_BACKOFF_MS * 2 ** Math.max(0, failedAttempt - 1) * (0.8 + 0.4 * random()))

// ---------------------------------------------------------------- shared by the implementations

/** Queue names: letters, digits, `.`, `_`, `-` (no `:`, so a Redis key built from one is unambiguous), at most 100. */
const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/
const MAX_IDEMPOTENCY_KEY_LENGTH = 500
const MAX_MAX_ATTEMPTS = 100

/** A call with a bad queue name is a bug in the caller: a defect with a clear message. */
export const checkQueue = (queue: string): Effect.Effect<string> =>
  QUEUE_NAME.test(queue)
    ? Effect.succeed(queue)
    : Effect.dieMessage(`JobQueue: invalid queue name ${JSON.stringify(queue)} (letters, digits, . _ -; 1 to 100)`)

/** A lease in milliseconds; it must be positive and finite. */
export const checkLease = (lease: Duration.DurationInput): Effect.Effect<number> => {
  const millis = Duration.toMillis(Duration.decode(lease))
  return millis > 0 && Number.isFinite(millis)
    ? Effect.succeed(Math.ceil(millis))
    : Effect.dieMessage(`JobQueue: a lease must be positive and finite, got ${Duration.format(Duration.decode(lease))}`)
}

export interface CheckedEnqueue {
  readonly queue: string
  readonly payloadJson: string
  readonly idempotencyKey: string | undefined
  readonly maxAttempts: number
  readonly delayMillis: number
}

/**
 * Validates an enqueue the same way in every implementation (bad input is a defect with a clear message) and encodes
 * the payload as JSON: what a job carries is what `JSON.stringify` keeps.
 */
export const checkEnqueue = (
  queue: string,
  payload: unknown,
  options: EnqueueOptions = {}
): Effect.Effect<CheckedEnqueue> =>
  Effect.gen(function* () {
    yield* checkQueue(queue)
    const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > MAX_MAX_ATTEMPTS) {
      return yield* Effect.dieMessage(
        `JobQueue.enqueue: maxAttempts must be an integer from 1 to 100, got ${maxAttempts}`
      )
    }
    const key = options.idempotencyKey
    if (key !== undefined && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)) {
      return yield* Effect.dieMessage("JobQueue.enqueue: an idempotency key has 1 to 500 characters")
    }
    const delayMillis = options.delay === undefined ? 0 : Duration.toMillis(Duration.decode(options.delay))
    if (!Number.isFinite(delayMillis) || delayMillis < 0) {
      return yield* Effect.dieMessage("JobQueue.enqueue: a delay must be finite and not negative")
    }
    let payloadJson: string | undefined
    try {
      payloadJson = JSON.stringify(payload)
    } catch (error) {
      return yield* Effect.dieMessage(`JobQueue.enqueue: the payload is not JSON (${String(error)})`)
    }
    if (payloadJson === undefined) return yield* Effect.dieMessage("JobQueue.enqueue: the payload is not JSON")
    return { queue, payloadJson, idempotencyKey: key, maxAttempts, delayMillis: Math.round(delayMillis) }
  })
