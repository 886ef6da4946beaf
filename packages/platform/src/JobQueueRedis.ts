// The JobQueue port on Redis: a hash per job and time-ordered sorted sets per queue, changed only by Lua scripts on the Redis clock.
//
// Keys, under `<keyPrefix>jobs:`:
// - `job:<id>` — a hash with the job's fields (payload as JSON text, times as epoch milliseconds with microseconds).
// - `queue:<queue>:waiting` — ids scored by run_at: the due ones are the range up to now, oldest first.
// - `queue:<queue>:active` — ids scored by lease expiry: the expired leases are the range up to now.
// - `queue:<queue>:dead` — ids scored by when they died (the dead list, newest first).
// - `queue:<queue>:completed` — ids scored by completion time, for `counts`, trimmed to the retention.
// - `queue:<queue>:key:<idempotency key>` — the id of the job enqueued with that key.
//
// Why sorted sets and not streams: a job's life is ordered by time — it becomes due at run_at (now, after a delay, or
// after a backoff) and is reclaimable when its lease expires. Sorted sets scored by those times answer both with one
// range query. A stream's pending list with XAUTOCLAIM can hand an idle entry to another consumer, but cannot hold
// an entry back until a later time (no delayed retry), and it measures idleness since the last delivery, not a lease
// the holder extends and the queue checks.
//
// Every state change (enqueue, claim, heartbeat, complete, fail, retry) is one Lua script (EVALSHA, falling back to
// EVAL when the script cache lacks it), so it is atomic, and reads the clock with TIME on the Redis server, so every
// worker sees the same time. `claim` also turns expired leases that used their last attempt into dead jobs ("lease
// expired after the last attempt"). The scripts build key names from their arguments: single Redis node (or
// primary) only, not Redis Cluster.
//
// Completed jobs: the hash and the idempotency key are kept for `completedRetention` (default 7 days) with a key TTL,
// so `get`, `byIdempotencyKey` and enqueue deduplication keep working for that long; afterwards the key is free and
// a new enqueue with it creates a new job. Dead jobs are kept until retried.
import { createHash } from "node:crypto"
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
import * as Redis from "./Redis.ts"

export interface JobQueueRedisOptions {
  /** Namespace of the deployment (default `lectern:`); the queue's keys live under `<keyPrefix>jobs:`. */
  readonly keyPrefix?: string
  /** How long a completed job stays readable (and its idempotency key taken). Default 7 days. */
  readonly completedRetention?: Duration.DurationInput
}

// ---------------------------------------------------------------- scripts

// ARGV[1] is always the key namespace. Times are milliseconds with microsecond fractions, formatted without exponent.
const PRELUDE = `
local ns = ARGV[1]
local function jobKey(id) return ns .. 'job:' .. id end
local function queueKey(queue, part) return ns .. 'queue:' .. queue .. ':' .. part end
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local function fmt(ms) return string.format('%.3f', ms) end
`

/** ARGV: ns, queue, id, payload, idempotency key ('' = none), max attempts, delay ms → {id, created 1|0}. */
const ENQUEUE = `${PRELUDE}
local queue, id, key = ARGV[2], ARGV[3], ARGV[5]
local keyKey = queueKey(queue, 'key:' .. key)
if key ~= '' then
  local existing = redis.call('GET', keyKey)
  if existing and redis.call('EXISTS', jobKey(existing)) == 1 then return {existing, 0} end
end
local now = clock()
local runAt = now + tonumber(ARGV[7])
redis.call('HSET', jobKey(id), 'id', id, 'queue', queue, 'payload', ARGV[4], 'idempotencyKey', key,
  'state', 'waiting', 'attempts', '0', 'maxAttempts', ARGV[6], 'runAt', fmt(runAt), 'leaseToken', '',
  'leaseExpiresAt', '', 'workerId', '', 'lastError', '', 'createdAt', fmt(now), 'updatedAt', fmt(now))
redis.call('ZADD', queueKey(queue, 'waiting'), fmt(runAt), id)
if key ~= '' then
  redis.call('SET', keyKey, id)
end
return {id, 1}
`

/**
 * ARGV: ns, queue, worker id, lease ms, new lease token → nil or {id, payload, attempt, max attempts, lease expiry}.
 * The oldest by run_at among the first due waiting job and the expired leases wins.
 */
const CLAIM = `${PRELUDE}
local queue = ARGV[2]
local waiting, active, dead = queueKey(queue, 'waiting'), queueKey(queue, 'active'), queueKey(queue, 'dead')
local now = clock()
local candidate, candidateRunAt, from = nil, nil, nil
local expired = redis.call('ZRANGEBYSCORE', active, '-inf', '(' .. fmt(now), 'LIMIT', 0, 100)
for _, id in ipairs(expired) do
  local job = jobKey(id)
  local f = redis.call('HMGET', job, 'state', 'attempts', 'maxAttempts', 'runAt')
  if f[1] ~= 'active' then
    redis.call('ZREM', active, id)
  elseif tonumber(f[2]) >= tonumber(f[3]) then
    redis.call('HSET', job, 'state', 'dead', 'lastError', 'lease expired after the last attempt',
      'leaseToken', '', 'leaseExpiresAt', '', 'updatedAt', fmt(now))
    redis.call('ZREM', active, id)
    redis.call('ZADD', dead, fmt(now), id)
  elseif candidate == nil or tonumber(f[4]) < candidateRunAt then
    candidate, candidateRunAt, from = id, tonumber(f[4]), active
  end
end
for _ = 1, 100 do
  local due = redis.call('ZRANGEBYSCORE', waiting, '-inf', fmt(now), 'WITHSCORES', 'LIMIT', 0, 1)
  if due[1] == nil then break end
  if redis.call('HGET', jobKey(due[1]), 'state') == 'waiting' then
    if candidate == nil or tonumber(due[2]) < candidateRunAt then
      candidate, from = due[1], waiting
    end
    break
  end
  redis.call('ZREM', waiting, due[1])
end
if candidate == nil then return false end
local job = jobKey(candidate)
local attempt = redis.call('HINCRBY', job, 'attempts', 1)
local expires = now + tonumber(ARGV[4])
redis.call('HSET', job, 'state', 'active', 'leaseToken', ARGV[5], 'leaseExpiresAt', fmt(expires),
  'workerId', ARGV[3], 'updatedAt', fmt(now))
redis.call('ZREM', from, candidate)
redis.call('ZADD', active, fmt(expires), candidate)
local f = redis.call('HMGET', job, 'payload', 'maxAttempts')
return {candidate, f[1], tostring(attempt), f[2], fmt(expires)}
`

/** The guard of every script acting for a lease holder: the job is active under that token. */
const HELD = `
local job = jobKey(ARGV[2])
local held = redis.call('HMGET', job, 'state', 'leaseToken', 'queue', 'attempts', 'maxAttempts', 'idempotencyKey')
if held[1] ~= 'active' or held[2] ~= ARGV[3] then return false end
local queue = held[3]
local now = clock()
`

/** ARGV: ns, id, lease token, lease ms → 1, or nil when the lease is lost. */
const HEARTBEAT = `${PRELUDE}${HELD}
local expires = now + tonumber(ARGV[4])
redis.call('HSET', job, 'leaseExpiresAt', fmt(expires), 'updatedAt', fmt(now))
redis.call('ZADD', queueKey(queue, 'active'), fmt(expires), ARGV[2])
return 1
`

/** ARGV: ns, id, lease token, retention ms → 1, or nil when the lease is lost. */
const COMPLETE = `${PRELUDE}${HELD}
local retention = tonumber(ARGV[4])
local completed = queueKey(queue, 'completed')
redis.call('HSET', job, 'state', 'completed', 'leaseToken', '', 'leaseExpiresAt', '', 'updatedAt', fmt(now))
redis.call('ZREM', queueKey(queue, 'active'), ARGV[2])
redis.call('ZADD', completed, fmt(now), ARGV[2])
redis.call('ZREMRANGEBYSCORE', completed, '-inf', '(' .. fmt(now - retention))
redis.call('PEXPIRE', job, retention)
if held[6] ~= '' then
  redis.call('PEXPIRE', queueKey(queue, 'key:' .. held[6]), retention)
end
return 1
`

/** ARGV: ns, id, lease token, error, backoff ms → {'dead'} or {'retrying', run at}, or nil when the lease is lost. */
const FAIL = `${PRELUDE}${HELD}
redis.call('ZREM', queueKey(queue, 'active'), ARGV[2])
if tonumber(held[4]) >= tonumber(held[5]) then
  redis.call('HSET', job, 'state', 'dead', 'lastError', ARGV[4], 'leaseToken', '', 'leaseExpiresAt', '',
    'updatedAt', fmt(now))
  redis.call('ZADD', queueKey(queue, 'dead'), fmt(now), ARGV[2])
  return {'dead'}
end
local runAt = now + tonumber(ARGV[5])
redis.call('HSET', job, 'state', 'waiting', 'runAt', fmt(runAt), 'lastError', ARGV[4], 'leaseToken', '',
  'leaseExpiresAt', '', 'updatedAt', fmt(now))
redis.call('ZADD', queueKey(queue, 'waiting'), fmt(runAt), ARGV[2])
return {'retrying', fmt(runAt)}
`

/** ARGV: ns, id → {'retried'}, {'missing'} or {'state', state}. */
const RETRY = `${PRELUDE}
local job = jobKey(ARGV[2])
local f = redis.call('HMGET', job, 'state', 'queue')
if not f[1] then return {'missing'} end
if f[1] ~= 'dead' then return {'state', f[1]} end
local now = clock()
redis.call('HSET', job, 'state', 'waiting', 'attempts', '0', 'runAt', fmt(now), 'updatedAt', fmt(now))
redis.call('ZREM', queueKey(f[2], 'dead'), ARGV[2])
redis.call('ZADD', queueKey(f[2], 'waiting'), fmt(now), ARGV[2])
return {'retried'}
`

/** ARGV: ns, queue, retention ms → {waiting, active, completed, dead}. */
const COUNTS = `${PRELUDE}
local queue = ARGV[2]
local completed = queueKey(queue, 'completed')
redis.call('ZREMRANGEBYSCORE', completed, '-inf', '(' .. fmt(clock() - tonumber(ARGV[3])))
return {redis.call('ZCARD', queueKey(queue, 'waiting')), redis.call('ZCARD', queueKey(queue, 'active')),
  redis.call('ZCARD', completed), redis.call('ZCARD', queueKey(queue, 'dead'))}
`

interface Script {
  readonly name: string
  readonly source: string
  readonly sha: string
}

const script = (name: string, source: string): Script => ({
  name,
  source,
  sha: createHash("sha1").update(source).digest("hex")
})

const scripts = {
  enqueue: script("enqueue", ENQUEUE),
  claim: script("claim", CLAIM),
  heartbeat: script("heartbeat", HEARTBEAT),
  complete: script("complete", COMPLETE),
  fail: script("fail", FAIL),
  retry: script("retry", RETRY),
  counts: script("counts", COUNTS)
} as const

const isNoScript = (error: unknown) => error instanceof Error && error.message.startsWith("NOSCRIPT")

// ---------------------------------------------------------------- replies

const JOB_STATES: ReadonlyArray<string> = ["waiting", "active", "completed", "dead"]

const asStrings = (reply: unknown): ReadonlyArray<string> =>
  Array.isArray(reply) ? reply.map((item) => String(item)) : []

/** A job hash as stored by the scripts; undefined when it is missing or not one of ours. */
const toJobInfo = (hash: Readonly<Record<string, string>>): JobInfo | undefined => {
  const { id, queue, state, payload } = hash
  if (id === undefined || queue === undefined || payload === undefined || !JOB_STATES.includes(state ?? "")) {
    return undefined
  }
  const optional = (value: string | undefined) => (value === undefined || value === "" ? undefined : value)
  return {
    id,
    queue,
    state: state as JobState,
    payload: JSON.parse(payload),
    idempotencyKey: optional(hash.idempotencyKey),
    attempts: Number(hash.attempts ?? 0),
    maxAttempts: Number(hash.maxAttempts ?? 0),
    runAt: new Date(Number(hash.runAt ?? 0)),
    lastError: optional(hash.lastError),
    createdAt: new Date(Number(hash.createdAt ?? 0)),
    updatedAt: new Date(Number(hash.updatedAt ?? 0))
  }
}

// ---------------------------------------------------------------- the queue

export const make = (options: JobQueueRedisOptions = {}) =>
  Effect.gen(function* () {
    const redis = yield* Redis.RedisConnection
    const ns = `${options.keyPrefix ?? "lectern:"}jobs:`
    const retentionMillis = Math.max(1, Math.round(Duration.toMillis(options.completedRetention ?? "7 days")))
    const jobKey = (jobId: string) => `${ns}job:${jobId}`

    const call = <A>(operation: string, run: (client: Redis.RedisClient) => Promise<A>) =>
      redis.use(run).pipe(
        Effect.mapError((error) => new JobQueueUnavailable({ operation, cause: error.cause })),
        Effect.withSpan(`JobQueueRedis.${operation}`)
      )

    const runScript = (target: Script, args: ReadonlyArray<string>) =>
      call(target.name, async (client) => {
        const options = { arguments: [ns, ...args] }
        try {
          return await client.evalSha(target.sha, options)
        } catch (error) {
          if (!isNoScript(error)) throw error
          return await client.eval(target.source, options)
        }
      })

    const readJob = (operation: string, jobId: string) =>
      call(operation, (client) => client.hGetAll(jobKey(jobId))).pipe(
        Effect.map((hash) => Option.fromNullable(toJobInfo(hash)))
      )

    const enqueue: JobQueueService["enqueue"] = (queue, payload, enqueueOptions) =>
      Effect.gen(function* () {
        const job = yield* checkEnqueue(queue, payload, enqueueOptions)
        const reply = asStrings(
          yield* runScript(scripts.enqueue, [
            job.queue,
            crypto.randomUUID(),
            job.payloadJson,
            job.idempotencyKey ?? "",
            String(job.maxAttempts),
            String(job.delayMillis)
          ])
        )
        return { jobId: reply[0] ?? "", created: reply[1] === "1" }
      })

    const claim: JobQueueService["claim"] = (queue, claimOptions) =>
      Effect.gen(function* () {
        yield* checkQueue(queue)
        const leaseMillis = yield* checkLease(claimOptions.lease)
        const leaseToken = crypto.randomUUID()
        const reply = asStrings(
          yield* runScript(scripts.claim, [queue, claimOptions.workerId, String(leaseMillis), leaseToken])
        )
        const [id, payload, attempt, maxAttempts, leaseExpiresAt] = reply
        if (id === undefined || payload === undefined) return Option.none()
        return Option.some<ClaimedJob>({
          id,
          queue,
          payload: JSON.parse(payload),
          attempt: Number(attempt),
          maxAttempts: Number(maxAttempts),
          leaseToken,
          leaseExpiresAt: new Date(Number(leaseExpiresAt))
        })
      })

    const lostUnlessHeld = (job: ClaimedJob) => (reply: unknown) =>
      reply === null || reply === undefined ? Effect.fail(new LeaseLost({ jobId: job.id })) : Effect.succeed(reply)

    const heartbeat: JobQueueService["heartbeat"] = (job, lease) =>
      Effect.gen(function* () {
        const leaseMillis = yield* checkLease(lease)
        yield* runScript(scripts.heartbeat, [job.id, job.leaseToken, String(leaseMillis)]).pipe(
          Effect.flatMap(lostUnlessHeld(job))
        )
      })

    const complete: JobQueueService["complete"] = (job) =>
      runScript(scripts.complete, [job.id, job.leaseToken, String(retentionMillis)]).pipe(
        Effect.flatMap(lostUnlessHeld(job)),
        Effect.asVoid
      )

    const fail: JobQueueService["fail"] = (job, error) =>
      runScript(scripts.fail, [job.id, job.leaseToken, error, String(backoffMillis(job.attempt))]).pipe(
        Effect.flatMap(lostUnlessHeld(job)),
        Effect.map((reply): FailOutcome => {
          const [outcome, runAt] = asStrings(reply)
          return outcome === "dead" ? { _tag: "Dead", error } : { _tag: "Retrying", runAt: new Date(Number(runAt)) }
        })
      )

    const retry: JobQueueService["retry"] = (jobId) =>
      runScript(scripts.retry, [jobId]).pipe(
        Effect.flatMap((reply): Effect.Effect<void, JobNotFound | JobNotDead> => {
          const [outcome, state] = asStrings(reply)
          if (outcome === "retried") return Effect.void
          if (outcome === "state") return Effect.fail(new JobNotDead({ jobId, state: state as JobState }))
          return Effect.fail(new JobNotFound({ jobId }))
        })
      )

    const byIdempotencyKey: JobQueueService["byIdempotencyKey"] = (queue, idempotencyKey) =>
      Effect.gen(function* () {
        yield* checkQueue(queue)
        const jobId = yield* call("byIdempotencyKey", (client) =>
          client.get(`${ns}queue:${queue}:key:${idempotencyKey}`)
        )
        if (jobId === null) return Option.none()
        return yield* readJob("byIdempotencyKey", jobId)
      })

    const counts: JobQueueService["counts"] = (queue) =>
      Effect.gen(function* () {
        yield* checkQueue(queue)
        const [waiting, active, completed, dead] = asStrings(
          yield* runScript(scripts.counts, [queue, String(retentionMillis)])
        ).map(Number)
        return { waiting: waiting ?? 0, active: active ?? 0, completed: completed ?? 0, dead: dead ?? 0 }
      })

    const dead: JobQueueService["dead"] = (queue, limit) =>
      Effect.gen(function* () {
        yield* checkQueue(queue)
        if (!Number.isInteger(limit) || limit <= 0) return []
        const hashes = yield* call("dead", async (client) => {
          const ids = await client.zRange(`${ns}queue:${queue}:dead`, 0, limit - 1, { REV: true })
          return Promise.all(ids.map((jobId) => client.hGetAll(jobKey(jobId))))
        })
        return hashes.flatMap((hash) => {
          const job = toJobInfo(hash)
          return job === undefined ? [] : [job]
        })
      })

    return JobQueue.of({
      enqueue,
      claim,
      heartbeat,
      complete,
      fail,
      retry,
      get: (jobId) => readJob("get", jobId),
      byIdempotencyKey,
      counts,
      dead
    })
  })

/** The Redis JobQueue on the shared `RedisConnection` (see `Redis.make` for behaviour while Redis is down). */
export const layerRedis = (options: JobQueueRedisOptions = {}): Layer.Layer<JobQueue, never, Redis.RedisConnection> =>
  Layer.effect(JobQueue, make(options))
