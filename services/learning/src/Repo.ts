// LearningRepo: the SQL of the learning schema and nothing else; SqlError dies here.
import { SqlClient } from "@effect/sql"
import type { Catalog } from "@lectern/contracts"
import type { CourseId, LessonId, UserId } from "@lectern/domain"
import { dieOnSqlError, transactionDieOnSqlError } from "@lectern/platform/Database"
import { Effect, Option } from "effect"
import type { Range } from "./WatchedRanges.ts"

export const LEARNING_SCHEMA = "learning"

export interface CourseRow {
  readonly courseId: CourseId
  readonly ownerId: UserId
  readonly title: string
  readonly published: boolean
  readonly priceAmount: number
  readonly priceCurrency: string
}

export interface LessonRow {
  readonly lessonId: LessonId
  readonly courseId: CourseId
  readonly kind: Catalog.LessonKind
  readonly durationSeconds: number
  readonly position: number
}

export interface EnrollmentRow {
  readonly userId: UserId
  readonly courseId: CourseId
  readonly courseTitle: string
  readonly enrollmentId: string
  readonly enrolledAt: Date
  readonly lastLessonId: LessonId | null
  readonly completedAt: Date | null
  readonly lessonCount: number
  readonly completedCount: number
  readonly resumePosition: number | null
}

export interface RosterRow extends EnrollmentRow {
  readonly enrolledMicros: string
}

export interface ProgressRow {
  readonly lessonId: LessonId
  readonly watched: ReadonlyArray<Range>
  readonly watchedShare: number
  readonly resumePosition: number
  readonly lastHeartbeatAt: Date | null
  readonly completedAt: Date | null
}

const first = <A>(rows: ReadonlyArray<A>) => Option.fromNullable(rows[0])

const ENROLLMENT_SELECT = `SELECT e.user_id AS "userId", e.course_id AS "courseId", c.title AS "courseTitle",
    e.enrollment_id AS "enrollmentId", e.enrolled_at AS "enrolledAt", e.last_lesson_id AS "lastLessonId",
    e.completed_at AS "completedAt",
    (SELECT count(*)::int FROM learning.lessons l WHERE l.course_id = e.course_id) AS "lessonCount",
    (SELECT count(*)::int FROM learning.lesson_progress p JOIN learning.lessons l ON l.lesson_id = p.lesson_id
      WHERE p.user_id = e.user_id AND l.course_id = e.course_id AND p.completed_at IS NOT NULL) AS "completedCount",
    (SELECT p.resume_position FROM learning.lesson_progress p
      WHERE p.user_id = e.user_id AND p.lesson_id = e.last_lesson_id) AS "resumePosition"
  FROM learning.enrollments e JOIN learning.courses c ON c.course_id = e.course_id`

/** An enrollment with its exact enrollment time in microseconds since the epoch, for the roster's keyset. */
const ROSTER_SELECT = ENROLLMENT_SELECT.replace(
  "SELECT ",
  `SELECT (extract(epoch FROM e.enrolled_at) * 1000000)::bigint::text AS "enrolledMicros", `
)

const PROGRESS_COLUMNS = `lesson_id AS "lessonId", watched::text AS watched, watched_share AS "watchedShare",
  resume_position AS "resumePosition", last_heartbeat_at AS "lastHeartbeatAt", completed_at AS "completedAt"`

/** Watched ranges come back as text and are parsed here, so the driver's key renaming never touches them. */
const parseProgress = (row: Omit<ProgressRow, "watched"> & { readonly watched: string }): ProgressRow => ({
  ...row,
  watched: JSON.parse(row.watched) as ReadonlyArray<Range>
})

export class LearningRepo extends Effect.Service<LearningRepo>()("@lectern/learning/LearningRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const unsafe = <A extends object>(text: string, params: ReadonlyArray<unknown>) =>
      sql.unsafe<A>(text, params as Array<unknown>)
    const transaction = transactionDieOnSqlError(sql)

    // ------------------------------------------------------------ the curriculum snapshot

    /** Replaces what learning knows of a course with catalog's current view. */
    const saveSnapshot = (detail: Catalog.CourseDetail) =>
      transaction(
        Effect.gen(function* () {
          const course = detail.course
          yield* unsafe(
            `INSERT INTO learning.courses (course_id, owner_id, title, published, price_amount, price_currency,
               category_id, refreshed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, now())
             ON CONFLICT (course_id) DO UPDATE SET owner_id = EXCLUDED.owner_id, title = EXCLUDED.title,
               published = EXCLUDED.published, price_amount = EXCLUDED.price_amount,
               price_currency = EXCLUDED.price_currency, category_id = EXCLUDED.category_id, refreshed_at = now()`,
            [
              course.id,
              course.ownerId,
              course.title,
              course.status === "published",
              course.price.amount,
              course.price.currency,
              course.categoryId
            ]
          )
          const lessons = detail.sections.flatMap((section) => section.lessons)
          yield* unsafe(`DELETE FROM learning.lessons WHERE course_id = $1 AND NOT (lesson_id = ANY($2::uuid[]))`, [
            course.id,
            lessons.map((lesson) => lesson.id)
          ])
          let position = 0
          for (const lesson of lessons) {
            const quizId = lesson.content?.kind === "quiz" ? lesson.content.quizId : null
            yield* unsafe(
              `INSERT INTO learning.lessons (lesson_id, course_id, kind, duration_seconds, position, quiz_id)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (lesson_id) DO UPDATE SET course_id = EXCLUDED.course_id,
                 kind = EXCLUDED.kind, duration_seconds = EXCLUDED.duration_seconds, position = EXCLUDED.position,
                 quiz_id = EXCLUDED.quiz_id`,
              [lesson.id, course.id, lesson.kind, lesson.durationSeconds, position++, quizId]
            )
          }
        })
      )

    /** A course catalog no longer shows as published: kept (enrollments stay), but closed to new enrollments. */
    const markUnpublished = (courseId: CourseId) =>
      unsafe(`UPDATE learning.courses SET published = false, refreshed_at = now() WHERE course_id = $1`, [courseId])

    const courseById = (courseId: CourseId) =>
      unsafe<CourseRow>(
        `SELECT course_id AS "courseId", owner_id AS "ownerId", title, published, price_amount::float8 AS "priceAmount",
           price_currency AS "priceCurrency" FROM learning.courses WHERE course_id = $1`,
        [courseId]
      ).pipe(Effect.map(first))

    const lessonById = (lessonId: LessonId) =>
      unsafe<LessonRow>(
        `SELECT lesson_id AS "lessonId", course_id AS "courseId", kind, duration_seconds AS "durationSeconds", position
         FROM learning.lessons WHERE lesson_id = $1`,
        [lessonId]
      ).pipe(Effect.map(first))

    /** The lesson and whether `userId` is enrolled in its course, in one round trip (every heartbeat asks). */
    const lessonForLearner = (userId: UserId, lessonId: LessonId) =>
      unsafe<LessonRow & { readonly enrolled: boolean }>(
        `SELECT l.lesson_id AS "lessonId", l.course_id AS "courseId", l.kind, l.duration_seconds AS "durationSeconds",
           l.position, EXISTS (SELECT 1 FROM learning.enrollments e WHERE e.user_id = $1 AND e.course_id = l.course_id)
           AS enrolled
         FROM learning.lessons l WHERE l.lesson_id = $2`,
        [userId, lessonId]
      ).pipe(Effect.map(first))

    const lessonsOf = (courseId: CourseId) =>
      unsafe<LessonRow>(
        `SELECT lesson_id AS "lessonId", course_id AS "courseId", kind, duration_seconds AS "durationSeconds", position
         FROM learning.lessons WHERE course_id = $1 ORDER BY position`,
        [courseId]
      )

    /** The quiz lessons of `courseId` that show `quizId`: passing it completes them. */
    const quizLessons = (courseId: CourseId, quizId: string) =>
      unsafe<LessonRow>(
        `SELECT lesson_id AS "lessonId", course_id AS "courseId", kind, duration_seconds AS "durationSeconds", position
         FROM learning.lessons WHERE course_id = $1 AND quiz_id = $2 AND kind = 'quiz' ORDER BY position`,
        [courseId, quizId]
      )

    // ------------------------------------------------------------ enrollments

    /** Enrolls once; a second call keeps the first enrollment. Answers whether this call created it. */
    const enroll = (userId: UserId, courseId: CourseId, enrollmentId: string) =>
      unsafe<{ enrollmentId: string }>(
        `INSERT INTO learning.enrollments (user_id, course_id, enrollment_id) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, course_id) DO NOTHING RETURNING enrollment_id AS "enrollmentId"`,
        [userId, courseId, enrollmentId]
      ).pipe(Effect.map((rows) => rows.length > 0))

    const leave = (userId: UserId, courseId: CourseId) =>
      unsafe<{ enrollmentId: string }>(
        `DELETE FROM learning.enrollments WHERE user_id = $1 AND course_id = $2
         RETURNING enrollment_id AS "enrollmentId"`,
        [userId, courseId]
      ).pipe(Effect.map(first))

    const enrollment = (userId: UserId, courseId: CourseId) =>
      unsafe<EnrollmentRow>(`${ENROLLMENT_SELECT} WHERE e.user_id = $1 AND e.course_id = $2`, [userId, courseId]).pipe(
        Effect.map(first)
      )

    const enrollmentsOf = (userId: UserId) =>
      unsafe<EnrollmentRow>(`${ENROLLMENT_SELECT} WHERE e.user_id = $1 ORDER BY e.enrolled_at DESC`, [userId])

    /**
     * A page of the course's enrollments in (enrolled_at, user_id) order. The keyset carries enrolled_at in whole
     * microseconds since the epoch (as text): a JavaScript Date keeps milliseconds only, and a cursor rounded down to
     * them would give the page's last row again.
     */
    const roster = (
      courseId: CourseId,
      after: { enrolledMicros: string; userId: string } | undefined,
      limit: number
    ) =>
      after === undefined
        ? unsafe<RosterRow>(`${ROSTER_SELECT} WHERE e.course_id = $1 ORDER BY e.enrolled_at, e.user_id LIMIT $2`, [
            courseId,
            limit
          ])
        : unsafe<RosterRow>(
            `${ROSTER_SELECT} WHERE e.course_id = $1
               AND (e.enrolled_at, e.user_id) > ('epoch'::timestamptz + $2::bigint * interval '1 microsecond', $3)
             ORDER BY e.enrolled_at, e.user_id LIMIT $4`,
            [courseId, after.enrolledMicros, after.userId, limit]
          )

    const isEnrolled = (userId: UserId, courseId: CourseId) =>
      unsafe<{ one: number }>(`SELECT 1 AS one FROM learning.enrollments WHERE user_id = $1 AND course_id = $2`, [
        userId,
        courseId
      ]).pipe(Effect.map((rows) => rows.length > 0))

    /** Marks the course completed once (answers whether this call did). */
    const completeCourse = (userId: UserId, courseId: CourseId) =>
      unsafe<{ one: number }>(
        `UPDATE learning.enrollments SET completed_at = now() WHERE user_id = $1 AND course_id = $2
           AND completed_at IS NULL RETURNING 1 AS one`,
        [userId, courseId]
      ).pipe(Effect.map((rows) => rows.length > 0))

    // ------------------------------------------------------------ progress

    /**
     * For a heartbeat, in one statement: the lesson, whether `userId` is enrolled in its course, and the learner's
     * progress on it locked for this transaction (undefined when there is none yet: `progressForUpdate` creates it).
     */
    const heartbeatStateForUpdate = (userId: UserId, lessonId: LessonId) =>
      unsafe<
        LessonRow & { readonly enrolled: boolean; readonly started: boolean } & Omit<
            ProgressRow,
            "lessonId" | "watched"
          > & {
            readonly watched: string | null
          }
      >(
        `SELECT l.lesson_id AS "lessonId", l.course_id AS "courseId", l.kind, l.duration_seconds AS "durationSeconds",
           l.position, EXISTS (SELECT 1 FROM learning.enrollments e WHERE e.user_id = $1 AND e.course_id = l.course_id)
           AS enrolled, p.user_id IS NOT NULL AS started, p.watched::text AS watched, p.watched_share AS "watchedShare",
           p.resume_position AS "resumePosition", p.last_heartbeat_at AS "lastHeartbeatAt",
           p.completed_at AS "completedAt"
         FROM learning.lessons l LEFT JOIN LATERAL (SELECT * FROM learning.lesson_progress p
           WHERE p.user_id = $1 AND p.lesson_id = l.lesson_id FOR UPDATE) p ON true
         WHERE l.lesson_id = $2`,
        [userId, lessonId]
      ).pipe(
        Effect.map(first),
        Effect.map(
          Option.map((row) => {
            const lesson: LessonRow = {
              lessonId: row.lessonId,
              courseId: row.courseId,
              kind: row.kind,
              durationSeconds: row.durationSeconds,
              position: row.position
            }
            const progress: ProgressRow | undefined =
              row.started && row.watched !== null
                ? parseProgress({
                    lessonId: row.lessonId,
                    watched: row.watched,
                    watchedShare: row.watchedShare,
                    resumePosition: row.resumePosition,
                    lastHeartbeatAt: row.lastHeartbeatAt,
                    completedAt: row.completedAt
                  })
                : undefined
            return { lesson, enrolled: row.enrolled, progress }
          })
        )
      )

    /**
     * The learner's progress on a lesson, locked for this transaction (heartbeats of one learner serialise). The row
     * is created only when the lock finds none, so a heartbeat on a lesson already started is one statement.
     */
    const progressForUpdate = (userId: UserId, lesson: LessonRow) =>
      Effect.gen(function* () {
        const lock = unsafe<Omit<ProgressRow, "watched"> & { watched: string }>(
          `SELECT ${PROGRESS_COLUMNS} FROM learning.lesson_progress WHERE user_id = $1 AND lesson_id = $2 FOR UPDATE`,
          [userId, lesson.lessonId]
        )
        const existing = (yield* lock)[0]
        if (existing !== undefined) return parseProgress(existing)
        yield* unsafe(
          `INSERT INTO learning.lesson_progress (user_id, lesson_id, course_id) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, lesson_id) DO NOTHING`,
          [userId, lesson.lessonId, lesson.courseId]
        )
        const rows = yield* lock
        return parseProgress(rows[0] as Omit<ProgressRow, "watched"> & { watched: string })
      })

    /** Writes a lesson's progress (under the lock taken by `progressForUpdate`); `completedAt` is set only once. */
    const saveProgress = (
      userId: UserId,
      lesson: LessonRow,
      progress: {
        readonly watched: ReadonlyArray<Range>
        readonly watchedShare: number
        readonly resumePosition: number
        readonly complete: boolean
        /** The service's clock: the next heartbeat's allowance is measured from it. */
        readonly at: Date
      }
    ) =>
      // One statement: the progress row, and the enrollment's last lesson when it is another one.
      unsafe(
        `WITH saved AS (
           UPDATE learning.lesson_progress SET watched = $3::jsonb, watched_share = $4, resume_position = $5,
             last_heartbeat_at = $7, updated_at = now(),
             completed_at = CASE WHEN $6 THEN coalesce(completed_at, $7) ELSE completed_at END
           WHERE user_id = $1 AND lesson_id = $2 RETURNING 1)
         UPDATE learning.enrollments SET last_lesson_id = $2
         WHERE user_id = $1 AND course_id = $8 AND last_lesson_id IS DISTINCT FROM $2`,
        [
          userId,
          lesson.lessonId,
          JSON.stringify(progress.watched),
          progress.watchedShare,
          progress.resumePosition,
          progress.complete,
          progress.at,
          lesson.courseId
        ]
      ).pipe(Effect.asVoid)

    const progressOfCourse = (userId: UserId, courseId: CourseId) =>
      unsafe<Omit<ProgressRow, "watched"> & { watched: string }>(
        `SELECT ${PROGRESS_COLUMNS} FROM learning.lesson_progress WHERE user_id = $1 AND course_id = $2`,
        [userId, courseId]
      ).pipe(Effect.map((rows) => rows.map(parseProgress)))

    /** Lessons of the course not completed by the learner (0 means the course is done). */
    const lessonsLeft = (userId: UserId, courseId: CourseId) =>
      unsafe<{ left: number }>(
        `SELECT count(*)::int AS "left" FROM learning.lessons l
         LEFT JOIN learning.lesson_progress p ON p.lesson_id = l.lesson_id AND p.user_id = $1
         WHERE l.course_id = $2 AND p.completed_at IS NULL`,
        [userId, courseId]
      ).pipe(Effect.map((rows) => rows[0]?.left ?? 0))

    return {
      saveSnapshot: dieOnSqlError(saveSnapshot),
      markUnpublished: dieOnSqlError(markUnpublished),
      courseById: dieOnSqlError(courseById),
      lessonById: dieOnSqlError(lessonById),
      lessonForLearner: dieOnSqlError(lessonForLearner),
      heartbeatStateForUpdate: dieOnSqlError(heartbeatStateForUpdate),
      lessonsOf: dieOnSqlError(lessonsOf),
      quizLessons: dieOnSqlError(quizLessons),
      enroll: dieOnSqlError(enroll),
      leave: dieOnSqlError(leave),
      enrollment: dieOnSqlError(enrollment),
      enrollmentsOf: dieOnSqlError(enrollmentsOf),
      roster: dieOnSqlError(roster),
      isEnrolled: dieOnSqlError(isEnrolled),
      completeCourse: dieOnSqlError(completeCourse),
      progressForUpdate: dieOnSqlError(progressForUpdate),
      saveProgress: dieOnSqlError(saveProgress),
      progressOfCourse: dieOnSqlError(progressOfCourse),
      lessonsLeft: dieOnSqlError(lessonsLeft),
      withTransaction: transaction
    }
  })
}) {}
