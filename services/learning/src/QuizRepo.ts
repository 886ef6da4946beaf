// QuizRepo: the SQL of quizzes and attempts; questions and grades are stored as JSON text and decoded by the caller.
import { SqlClient } from "@effect/sql"
import type { CourseId, QuizId, UserId } from "@lectern/domain"
import { dieOnSqlError } from "@lectern/platform/Database"
import { Effect, Option } from "effect"

export interface QuizRow {
  readonly id: QuizId
  readonly courseId: CourseId
  readonly title: string
  readonly questions: string
  readonly settings: string
  readonly createdAt: Date
  readonly updatedAt: Date
}

export interface AttemptRow {
  readonly id: string
  readonly quizId: QuizId
  readonly userId: UserId
  readonly attemptNumber: number
  readonly startedAt: Date
  readonly deadline: Date | null
  readonly submittedAt: Date | null
  readonly scorePercent: number | null
  readonly passed: boolean | null
  readonly late: boolean
  readonly grade: string | null
}

const QUIZ_COLUMNS = `id, course_id AS "courseId", title, questions::text AS questions, settings::text AS settings,
  created_at AS "createdAt", updated_at AS "updatedAt"`
const ATTEMPT_COLUMNS = `id, quiz_id AS "quizId", user_id AS "userId", attempt_number AS "attemptNumber",
  started_at AS "startedAt", deadline, submitted_at AS "submittedAt", score_percent AS "scorePercent", passed, late,
  grade::text AS grade`

const first = <A>(rows: ReadonlyArray<A>) => Option.fromNullable(rows[0])

export class QuizRepo extends Effect.Service<QuizRepo>()("@lectern/learning/QuizRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const unsafe = <A extends object>(text: string, params: ReadonlyArray<unknown>) =>
      sql.unsafe<A>(text, params as Array<unknown>)

    const insertQuiz = (quiz: {
      readonly id: QuizId
      readonly courseId: CourseId
      readonly title: string
      readonly questions: string
      readonly settings: string
    }) =>
      unsafe<QuizRow>(
        `INSERT INTO learning.quizzes (id, course_id, title, questions, settings) VALUES ($1, $2, $3, $4::jsonb, $5::jsonb)
         RETURNING ${QUIZ_COLUMNS}`,
        [quiz.id, quiz.courseId, quiz.title, quiz.questions, quiz.settings]
      ).pipe(Effect.map((rows) => rows[0] as QuizRow))

    const quizById = (id: QuizId) =>
      unsafe<QuizRow>(`SELECT ${QUIZ_COLUMNS} FROM learning.quizzes WHERE id = $1 AND deleted_at IS NULL`, [id]).pipe(
        Effect.map(first)
      )

    const updateQuiz = (
      id: QuizId,
      patch: { readonly title: string; readonly questions: string; readonly settings: string }
    ) =>
      unsafe<QuizRow>(
        `UPDATE learning.quizzes SET title = $2, questions = $3::jsonb, settings = $4::jsonb, updated_at = now()
         WHERE id = $1 AND deleted_at IS NULL RETURNING ${QUIZ_COLUMNS}`,
        [id, patch.title, patch.questions, patch.settings]
      ).pipe(Effect.map(first))

    const quizzesOfCourse = (courseId: CourseId) =>
      unsafe<QuizRow>(
        `SELECT ${QUIZ_COLUMNS} FROM learning.quizzes WHERE course_id = $1 AND deleted_at IS NULL
         ORDER BY created_at, id`,
        [courseId]
      )

    const deleteQuiz = (id: QuizId) =>
      unsafe(`UPDATE learning.quizzes SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL`, [id])

    /** Starts attempt number `attemptNumber`; None when that number is taken (a concurrent start won). */
    const insertAttempt = (attempt: {
      readonly id: string
      readonly quizId: QuizId
      readonly userId: UserId
      readonly attemptNumber: number
      readonly startedAt: Date
      readonly deadline: Date | null
    }) =>
      unsafe<AttemptRow>(
        `INSERT INTO learning.quiz_attempts (id, quiz_id, user_id, attempt_number, started_at, deadline)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (quiz_id, user_id, attempt_number) DO NOTHING
         RETURNING ${ATTEMPT_COLUMNS}`,
        [attempt.id, attempt.quizId, attempt.userId, attempt.attemptNumber, attempt.startedAt, attempt.deadline]
      ).pipe(Effect.map(first))

    const attemptCount = (quizId: QuizId, userId: UserId) =>
      unsafe<{ count: number }>(
        `SELECT count(*)::int AS count FROM learning.quiz_attempts WHERE quiz_id = $1 AND user_id = $2`,
        [quizId, userId]
      ).pipe(Effect.map((rows) => rows[0]?.count ?? 0))

    const attemptForUpdate = (id: string) =>
      unsafe<AttemptRow>(`SELECT ${ATTEMPT_COLUMNS} FROM learning.quiz_attempts WHERE id = $1 FOR UPDATE`, [id]).pipe(
        Effect.map(first)
      )

    const saveGrade = (
      id: string,
      grade: {
        readonly submittedAt: Date
        readonly scorePercent: number
        readonly passed: boolean
        readonly late: boolean
        readonly grade: string
      }
    ) =>
      unsafe(
        `UPDATE learning.quiz_attempts SET submitted_at = $2, score_percent = $3, passed = $4, late = $5,
           grade = $6::jsonb WHERE id = $1`,
        [id, grade.submittedAt, grade.scorePercent, grade.passed, grade.late, grade.grade]
      )

    /** The user's newest attempt at the quiz that is not submitted and whose deadline (if any) is after `now`. */
    const openAttempt = (quizId: QuizId, userId: UserId, now: Date) =>
      unsafe<AttemptRow>(
        `SELECT ${ATTEMPT_COLUMNS} FROM learning.quiz_attempts
         WHERE quiz_id = $1 AND user_id = $2 AND submitted_at IS NULL AND (deadline IS NULL OR deadline > $3)
         ORDER BY attempt_number DESC LIMIT 1`,
        [quizId, userId, now]
      ).pipe(Effect.map(first))

    const attemptsOf = (quizId: QuizId, userId: UserId | undefined) =>
      userId === undefined
        ? unsafe<AttemptRow>(
            `SELECT ${ATTEMPT_COLUMNS} FROM learning.quiz_attempts WHERE quiz_id = $1 ORDER BY started_at, id`,
            [quizId]
          )
        : unsafe<AttemptRow>(
            `SELECT ${ATTEMPT_COLUMNS} FROM learning.quiz_attempts WHERE quiz_id = $1 AND user_id = $2
             ORDER BY attempt_number`,
            [quizId, userId]
          )

    return {
      insertQuiz: dieOnSqlError(insertQuiz),
      quizById: dieOnSqlError(quizById),
      updateQuiz: dieOnSqlError(updateQuiz),
      quizzesOfCourse: dieOnSqlError(quizzesOfCourse),
      deleteQuiz: dieOnSqlError(deleteQuiz),
      insertAttempt: dieOnSqlError(insertAttempt),
      attemptCount: dieOnSqlError(attemptCount),
      attemptForUpdate: dieOnSqlError(attemptForUpdate),
      saveGrade: dieOnSqlError(saveGrade),
      openAttempt: dieOnSqlError(openAttempt),
      attemptsOf: dieOnSqlError(attemptsOf)
    }
  })
}) {}
