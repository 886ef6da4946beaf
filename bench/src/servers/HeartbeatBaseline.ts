// The heartbeat baseline's work, with pg and no Effect: check the payload and the token; in one transaction read the
// lesson, the enrollment and the locked progress row, merge with learning's own WatchedRanges functions, save; answer.
import { applyHeartbeat, type Range } from "@lectern/learning/WatchedRanges"
import pg from "pg"
import { makeAuthenticate, successLine } from "./UserMeBaseline.ts"

/** One row, in the transaction: the lesson, whether the caller is enrolled in its course, and the progress row
 * locked (nulls when there is none yet) — the statement shape LearningRepo.heartbeatStateForUpdate uses. */
export const HEARTBEAT_STATE_FOR_UPDATE = `SELECT l.course_id, l.kind, l.duration_seconds,
    EXISTS (SELECT 1 FROM learning.enrollments e WHERE e.user_id = $1 AND e.course_id = l.course_id) AS enrolled,
    p.user_id IS NOT NULL AS started, p.watched::text AS watched, p.last_heartbeat_at, p.completed_at
  FROM learning.lessons l LEFT JOIN LATERAL (SELECT * FROM learning.lesson_progress p
    WHERE p.user_id = $1 AND p.lesson_id = l.lesson_id FOR UPDATE) p ON true
  WHERE l.lesson_id = $2`

export const PROGRESS_FOR_UPDATE = `SELECT watched::text AS watched, last_heartbeat_at, completed_at
  FROM learning.lesson_progress WHERE user_id = $1 AND lesson_id = $2 FOR UPDATE`

export const CREATE_PROGRESS = `INSERT INTO learning.lesson_progress (user_id, lesson_id, course_id) VALUES ($1, $2, $3)
  ON CONFLICT (user_id, lesson_id) DO NOTHING`

/** The row's new state, and the enrollment's last lesson when it changed, in one statement (as LearningRepo does). */
export const SAVE_PROGRESS = `WITH saved AS (
    UPDATE learning.lesson_progress SET watched = $3::jsonb, watched_share = $4, resume_position = $5,
      last_heartbeat_at = $7, updated_at = now(),
      completed_at = CASE WHEN $6 THEN coalesce(completed_at, $7) ELSE completed_at END
    WHERE user_id = $1 AND lesson_id = $2 RETURNING 1)
  UPDATE learning.enrollments SET last_lesson_id = $2
  WHERE user_id = $1 AND course_id = $8 AND last_lesson_id IS DISTINCT FROM $2`

export interface HeartbeatInput {
  readonly lessonId: string
  readonly mediaPositionSeconds: number
  readonly playedRanges: ReadonlyArray<Range>
  readonly playbackRate: number
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const isMediaSeconds = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= 86_400
const KEYS = new Set(["lessonId", "mediaPositionSeconds", "playedRanges", "playbackRate"])

/** The contract's checks on a heartbeat payload (`Learning.Heartbeat`): the input, or what is wrong with it. */
export const heartbeatInputOf = (payload: unknown): HeartbeatInput | string => {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return "the payload is not an object"
  for (const key of Object.keys(payload)) if (!KEYS.has(key)) return `unexpected field ${key}`
  const lessonId: unknown = Reflect.get(payload, "lessonId")
  const position: unknown = Reflect.get(payload, "mediaPositionSeconds")
  const ranges: unknown = Reflect.get(payload, "playedRanges")
  const rate: unknown = Reflect.get(payload, "playbackRate")
  if (typeof lessonId !== "string" || !UUID.test(lessonId)) return "lessonId is not a UUID"
  if (!isMediaSeconds(position)) return "a media position is 0 to 86,400 seconds"
  if (!Array.isArray(ranges)) return "playedRanges is not an array"
  if (ranges.length > 100) return "at most 100 played ranges"
  const playedRanges: Array<Range> = []
  for (const range of ranges) {
    if (!Array.isArray(range) || range.length !== 2) return "a played range is [from, to]"
    const [from, to] = range
    if (!isMediaSeconds(from) || !isMediaSeconds(to)) return "a media position is 0 to 86,400 seconds"
    if (!(from < to)) return "a played range must end after it starts"
    playedRanges.push([from, to])
  }
  if (typeof rate !== "number" || !Number.isFinite(rate) || rate < 0.25 || rate > 4) {
    return "a playback rate is 0.25 to 4"
  }
  return { lessonId, mediaPositionSeconds: position, playedRanges, playbackRate: rate }
}

/** A typed failure (`Fail` with the error's encoded form), as the RPC server frames it. */
export const failLine = (requestId: string, error: Readonly<Record<string, unknown>>) =>
  `${JSON.stringify({ _tag: "Exit", requestId, exit: { _tag: "Failure", cause: { _tag: "Fail", error } } })}\n`

/** The baseline's traffic never completes a lesson, so it does not do what completion does (events, certificates). */
export class CompletionNotBenchmarked extends Error {
  override readonly name = "CompletionNotBenchmarked"
}

interface StateRow {
  readonly course_id: string
  readonly kind: string
  readonly duration_seconds: number
  readonly enrolled: boolean
  readonly started: boolean
  readonly watched: string | null
  readonly last_heartbeat_at: Date | null
  readonly completed_at: Date | null
}

interface ProgressRow {
  readonly watched: string
  readonly last_heartbeat_at: Date | null
  readonly completed_at: Date | null
}

/** From the environment the harness sets: BENCH_DATABASE_URL and BENCH_JWKS. */
export const makeHeartbeat = () => {
  const databaseUrl = process.env.BENCH_DATABASE_URL
  const jwksText = process.env.BENCH_JWKS
  if (databaseUrl === undefined || jwksText === undefined) {
    throw new Error("BENCH_DATABASE_URL and BENCH_JWKS are needed")
  }
  const authenticate = makeAuthenticate(jwksText)
  // The gateway's pool size (DATABASE_POOL_SIZE default) and, like it, named statements: parsed once per connection.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 })

  /** The NDJSON Exit line answering request `requestId`. */
  const heartbeat = async (requestId: string, authorization: string | undefined, payload: unknown) => {
    const userId = await authenticate(authorization)
    const input = heartbeatInputOf(payload)
    if (typeof input === "string") return failLine(requestId, { _tag: "InvalidInput", message: input })
    const client = await pool.connect()
    try {
      await client.query("BEGIN")
      const key = [userId, input.lessonId]
      const found = await client.query<StateRow>({ name: "hb_state", text: HEARTBEAT_STATE_FOR_UPDATE, values: key })
      const lesson = found.rows[0]
      const refused = (error: Readonly<Record<string, unknown>>) =>
        client.query("ROLLBACK").then(() => failLine(requestId, error))
      if (lesson === undefined) return await refused({ _tag: "LessonNotFound", id: input.lessonId })
      if (!lesson.enrolled) return await refused({ _tag: "NotEnrolled", courseId: lesson.course_id })
      if (lesson.kind !== "video" && lesson.kind !== "embed") {
        return await refused({ _tag: "InvalidProgress", message: `a ${lesson.kind} lesson has no playback` })
      }
      const duration = lesson.duration_seconds
      if (duration <= 0) {
        return await refused({ _tag: "InvalidProgress", message: "the lesson's duration is not known yet" })
      }
      if (input.mediaPositionSeconds > duration + 1 || input.playedRanges.some(([, to]) => to > duration + 1)) {
        return await refused({ _tag: "InvalidProgress", message: `the lesson is ${duration} s long` })
      }
      const now = new Date()
      let row: ProgressRow | undefined =
        lesson.started && lesson.watched !== null ? { ...lesson, watched: lesson.watched } : undefined
      if (row === undefined) {
        await client.query({ name: "hb_create", text: CREATE_PROGRESS, values: [...key, lesson.course_id] })
        row = (await client.query<ProgressRow>({ name: "hb_lock", text: PROGRESS_FOR_UPDATE, values: key })).rows[0]
      }
      if (row === undefined) throw new Error("no progress row after creating it")
      const outcome = applyHeartbeat({
        watched: JSON.parse(row.watched) as ReadonlyArray<Range>,
        claimed: input.playedRanges,
        rate: input.playbackRate,
        wallSeconds:
          row.last_heartbeat_at === null ? undefined : (now.getTime() - row.last_heartbeat_at.getTime()) / 1000,
        durationSeconds: duration
      })
      if (outcome.completed && row.completed_at === null) {
        throw new CompletionNotBenchmarked("a heartbeat completed a lesson; the bench's traffic should never do that")
      }
      const resumePosition = Math.min(input.mediaPositionSeconds, duration)
      await client.query({
        name: "hb_save",
        text: SAVE_PROGRESS,
        values: [
          ...key,
          JSON.stringify(outcome.watched),
          outcome.watchedShare,
          resumePosition,
          outcome.completed,
          now,
          lesson.course_id
        ]
      })
      await client.query("COMMIT")
      const completedAt = row.completed_at ?? (outcome.completed ? now : null)
      return successLine(requestId, {
        lessonId: input.lessonId,
        status:
          completedAt !== null
            ? "completed"
            : outcome.watchedShare > 0 || resumePosition > 0
              ? "in_progress"
              : "not_started",
        watchedPercent: Math.round(outcome.watchedShare * 10_000) / 100,
        resumePositionSeconds: resumePosition,
        completedAt: completedAt === null ? null : completedAt.toISOString()
      })
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }
  return { heartbeat }
}
