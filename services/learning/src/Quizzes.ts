// Quizzes: authored by the course's owner, taken by its enrolled learners, graded on the server against a deadline
// fixed when the attempt started (answers up to 5 s late are graded and marked late; later ones are AttemptExpired).
import { type AuthenticatedUser, Learning as Contract } from "@lectern/contracts"
import * as Quiz from "@lectern/contracts/LearningQuiz"
import { type CourseId, Forbidden, QuizId } from "@lectern/domain"
import { appendEvent } from "@lectern/platform/Outbox"
import { DateTime, Duration, Effect, Either, Option, Schema } from "effect"
import { CatalogReader } from "./CatalogReader.ts"
import { CertificateIssuer } from "./CertificateIssuer.ts"
import { Learning } from "./Learning.ts"
import { gradeAttempt, lateSubmissionGrace, viewForLearner } from "./QuizGrading.ts"
import { type AttemptRow, QuizRepo, type QuizRow } from "./QuizRepo.ts"
import { LEARNING_SCHEMA, LearningRepo } from "./Repo.ts"

const decodeQuestions = Schema.decodeUnknownSync(Schema.parseJson(Quiz.Questions))
const decodeSettings = Schema.decodeUnknownSync(Schema.parseJson(Quiz.QuizSettings))
const encodeQuestions = Schema.encodeSync(Schema.parseJson(Quiz.Questions))
const encodeSettings = Schema.encodeSync(Schema.parseJson(Quiz.QuizSettings))
const encodeGrade = Schema.encodeSync(Schema.parseJson(Quiz.GradedAttempt))
const decodeGrade = Schema.decodeUnknownSync(Schema.parseJson(Quiz.GradedAttempt))

const toQuiz = (row: QuizRow) =>
  new Quiz.Quiz(
    {
      id: row.id,
      courseId: row.courseId,
      title: row.title,
      questions: decodeQuestions(row.questions),
      settings: decodeSettings(row.settings),
      createdAt: DateTime.unsafeFromDate(row.createdAt),
      updatedAt: DateTime.unsafeFromDate(row.updatedAt)
    },
    true
  )

const utc = (date: Date | null) => (date === null ? null : DateTime.unsafeFromDate(date))

const toSummary = (row: AttemptRow, now: Date) =>
  new Quiz.AttemptSummary(
    {
      attemptId: row.id as Quiz.AttemptId,
      quizId: row.quizId,
      userId: row.userId,
      attemptNumber: row.attemptNumber,
      status:
        row.submittedAt !== null
          ? "submitted"
          : row.deadline !== null && row.deadline.getTime() + Duration.toMillis(lateSubmissionGrace) < now.getTime()
            ? "expired"
            : "inProgress",
      startedAt: DateTime.unsafeFromDate(row.startedAt),
      deadline: utc(row.deadline),
      submittedAt: utc(row.submittedAt),
      scorePercent: row.scorePercent,
      passed: row.passed,
      late: row.late
    },
    true
  )

/** An attempt as its learner sees it: the questions without answers, shuffled by the attempt's id. */
const attemptView = (
  quiz: Quiz.Quiz,
  attempt: {
    readonly id: string
    readonly startedAt: DateTime.Utc
    readonly deadline: DateTime.Utc | null
    readonly attemptNumber: number
  }
) =>
  new Quiz.AttemptView(
    {
      attemptId: attempt.id as Quiz.AttemptId,
      quizId: quiz.id,
      questions: viewForLearner(quiz.questions, {
        shuffleQuestions: quiz.settings.shuffleQuestions,
        shuffleOptions: quiz.settings.shuffleOptions,
        seed: attempt.id
      }),
      startedAt: attempt.startedAt,
      deadline: attempt.deadline,
      attemptNumber: attempt.attemptNumber
    },
    true
  )

export class Quizzes extends Effect.Service<Quizzes>()("@lectern/learning/Quizzes", {
  effect: Effect.gen(function* () {
    const quizzes = yield* QuizRepo
    const learning = yield* LearningRepo
    const catalog = yield* CatalogReader
    const certificates = yield* CertificateIssuer
    const progress = yield* Learning

    const editable = (user: AuthenticatedUser, courseId: CourseId) =>
      Effect.flatMap(catalog.mayEdit(user, courseId), (may) =>
        may
          ? Effect.void
          : Effect.fail(new Forbidden({ message: "only the course's owner or an admin edits its quizzes" }))
      )

    const quizOrFail = (id: QuizId) =>
      Effect.flatMap(quizzes.quizById(id), (row) =>
        Option.isSome(row) ? Effect.succeed(row.value) : Effect.fail(new Quiz.QuizNotFound({ id }))
      )

    const create = (user: AuthenticatedUser, input: Quiz.QuizInput) =>
      Effect.gen(function* () {
        yield* editable(user, input.courseId)
        const row = yield* quizzes.insertQuiz({
          id: QuizId.make(crypto.randomUUID()),
          courseId: input.courseId,
          title: input.title,
          questions: encodeQuestions(input.questions),
          settings: encodeSettings(input.settings)
        })
        return toQuiz(row)
      })

    const update = (user: AuthenticatedUser, input: Quiz.QuizUpdate) =>
      Effect.gen(function* () {
        const current = toQuiz(yield* quizOrFail(input.id))
        yield* editable(user, current.courseId)
        const row = yield* quizzes.updateQuiz(input.id, {
          title: input.title ?? current.title,
          questions: encodeQuestions(input.questions ?? current.questions),
          settings: encodeSettings(input.settings ?? current.settings)
        })
        return toQuiz(Option.getOrThrow(row))
      })

    /** The whole quiz for whoever may edit it; anyone else is refused, an unknown or deleted quiz not found. */
    const get = (user: AuthenticatedUser, id: QuizId) =>
      Effect.gen(function* () {
        const row = yield* quizOrFail(id)
        yield* editable(user, row.courseId)
        return toQuiz(row)
      })

    const list = (user: AuthenticatedUser, courseId: CourseId) =>
      Effect.gen(function* () {
        yield* editable(user, courseId)
        return (yield* quizzes.quizzesOfCourse(courseId)).map(toQuiz)
      })

    const remove = (user: AuthenticatedUser, id: QuizId) =>
      Effect.gen(function* () {
        const row = yield* quizOrFail(id)
        yield* editable(user, row.courseId)
        yield* quizzes.deleteQuiz(id)
      })

    const start = (user: AuthenticatedUser, quizId: QuizId) =>
      Effect.gen(function* () {
        const quiz = toQuiz(yield* quizOrFail(quizId))
        if (!(yield* learning.isEnrolled(user.id, quiz.courseId))) {
          return yield* Effect.fail(new Contract.NotEnrolled({ courseId: quiz.courseId }))
        }
        const limit = quiz.settings.attemptLimit
        const used = yield* quizzes.attemptCount(quizId, user.id)
        if (limit !== null && used >= limit) return yield* Effect.fail(new Quiz.AttemptLimitReached({ limit }))
        const now = yield* DateTime.now
        const deadline =
          quiz.settings.timeLimitSeconds === null
            ? null
            : DateTime.add(now, { seconds: quiz.settings.timeLimitSeconds })
        const id = crypto.randomUUID()
        const inserted = yield* quizzes.insertAttempt({
          id,
          quizId,
          userId: user.id,
          attemptNumber: used + 1,
          startedAt: DateTime.toDateUtc(now),
          deadline: deadline === null ? null : DateTime.toDateUtc(deadline)
        })
        // Another start took this number at the same moment: with a limit, that one counts against it.
        if (Option.isNone(inserted)) {
          return yield* Effect.fail(new Quiz.AttemptLimitReached({ limit: limit ?? used + 1 }))
        }
        return attemptView(quiz, { id, startedAt: now, deadline, attemptNumber: used + 1 })
      })

    /** The caller's open attempt, shown as `start` showed it (the attempt id seeds the same shuffle). */
    const current = (user: AuthenticatedUser, quizId: QuizId) =>
      Effect.gen(function* () {
        const quiz = toQuiz(yield* quizOrFail(quizId))
        const now = yield* DateTime.now
        const open = yield* quizzes.openAttempt(quizId, user.id, DateTime.toDateUtc(now))
        if (Option.isNone(open)) return yield* Effect.fail(new Quiz.NoOpenAttempt({ quizId }))
        const row = open.value
        return attemptView(quiz, {
          id: row.id,
          startedAt: DateTime.unsafeFromDate(row.startedAt),
          deadline: utc(row.deadline),
          attemptNumber: row.attemptNumber
        })
      })

    const submit = (user: AuthenticatedUser, input: Quiz.SubmitInput) =>
      learning.withTransaction(
        Effect.gen(function* () {
          const found = yield* quizzes.attemptForUpdate(input.attemptId)
          if (Option.isNone(found) || found.value.userId !== user.id) {
            return yield* Effect.fail(new Quiz.AttemptNotFound({ id: input.attemptId }))
          }
          const attempt = found.value
          if (attempt.submittedAt !== null) {
            return yield* Effect.fail(new Quiz.AttemptAlreadySubmitted({ id: input.attemptId }))
          }
          const quiz = toQuiz(yield* quizOrFail(attempt.quizId))
          const submittedAt = yield* DateTime.now
          const grade = gradeAttempt(quiz.questions, input.answers, quiz.settings, {
            attemptId: input.attemptId,
            submittedAt,
            deadline: utc(attempt.deadline)
          })
          if (Either.isLeft(grade)) return yield* Effect.fail(grade.left)
          const graded = new Quiz.GradedAttempt({ attemptId: input.attemptId, quizId: quiz.id, ...grade.right }, true)
          yield* quizzes.saveGrade(attempt.id, {
            submittedAt: DateTime.toDateUtc(submittedAt),
            scorePercent: graded.scorePercent,
            passed: graded.passed,
            late: graded.late,
            grade: encodeGrade(graded)
          })
          yield* appendEvent(LEARNING_SCHEMA, {
            type: "quiz.submitted",
            source: "learning",
            payload: {
              userId: user.id,
              courseId: quiz.courseId,
              quizId: quiz.id,
              attemptId: attempt.id,
              scorePercent: graded.scorePercent,
              passed: graded.passed
            }
          })
          // Passing completes the quiz lessons showing this quiz; passing the last quiz of a completed course earns
          // the certificate.
          if (graded.passed) {
            yield* progress.completeQuizLessons(user, quiz.courseId, quiz.id)
            yield* certificates.issueIfEarned(user.id, quiz.courseId)
          }
          return graded
        })
      )

    /** The caller's attempts; the quiz's owner (or an admin) sees every learner's. */
    const attempts = (user: AuthenticatedUser, quizId: QuizId) =>
      Effect.gen(function* () {
        const quiz = yield* quizOrFail(quizId)
        const everyone = yield* catalog.mayEdit(user, quiz.courseId)
        const rows = yield* quizzes.attemptsOf(quizId, everyone ? undefined : user.id)
        const now = DateTime.toDateUtc(yield* DateTime.now)
        return rows.map((row) => toSummary(row, now))
      })

    return { create, update, get, list, remove, start, current, submit, attempts, decodeGrade }
  })
}) {}
