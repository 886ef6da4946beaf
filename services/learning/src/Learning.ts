// The learning domain: enrollment in published courses, and lesson progress measured from what was really played.
import { type AuthenticatedUser, Learning as Contract } from "@lectern/contracts"
import { type CourseId, Cursor, Forbidden, InvalidCursor, type LessonId } from "@lectern/domain"
import { appendEvent } from "@lectern/platform/Outbox"
import { DateTime, Effect, Either, Encoding, Option } from "effect"
import { CatalogReader } from "./CatalogReader.ts"
import { CertificateIssuer } from "./CertificateIssuer.ts"
import { LearnerDirectory } from "./LearnerDirectory.ts"
import {
  type EnrollmentRow,
  LEARNING_SCHEMA,
  LearningRepo,
  type LessonRow,
  type ProgressRow,
  type RosterRow
} from "./Repo.ts"
import { applyHeartbeat, type Range } from "./WatchedRanges.ts"

const percentOf = (row: EnrollmentRow) =>
  row.lessonCount === 0 ? 0 : Math.round((row.completedCount / row.lessonCount) * 10_000) / 100

const toEnrollment = (row: EnrollmentRow) =>
  new Contract.Enrollment(
    {
      courseId: row.courseId,
      courseTitle: row.courseTitle,
      enrolledAt: DateTime.unsafeFromDate(row.enrolledAt),
      progressPercent: percentOf(row),
      lastLessonId: row.lastLessonId,
      resumePositionSeconds: row.resumePosition,
      completedAt: row.completedAt === null ? null : DateTime.unsafeFromDate(row.completedAt)
    },
    true
  )

const toLessonProgress = (lessonId: LessonId, row: ProgressRow | undefined) =>
  new Contract.LessonProgress(
    {
      lessonId,
      status:
        row === undefined
          ? "not_started"
          : row.completedAt !== null
            ? "completed"
            : row.watchedShare > 0 || row.resumePosition > 0
              ? "in_progress"
              : "not_started",
      watchedPercent: row === undefined ? 0 : Math.round(row.watchedShare * 10_000) / 100,
      resumePositionSeconds: row?.resumePosition ?? 0,
      completedAt: row?.completedAt == null ? null : DateTime.unsafeFromDate(row.completedAt)
    },
    true
  )

/** The roster's keyset: the enrollment's exact time (microseconds since the epoch) and the learner. */
const encodeCursor = (row: RosterRow) =>
  Cursor.make(Encoding.encodeBase64Url(JSON.stringify([row.enrolledMicros, row.userId])))

const decodeCursor = (cursor: Cursor) => {
  const invalid = new InvalidCursor({ message: "the cursor is not one this roster gave out" })
  const text = Encoding.decodeBase64UrlString(cursor)
  if (Either.isLeft(text)) return Either.left(invalid)
  try {
    const value: unknown = JSON.parse(text.right)
    if (!Array.isArray(value) || value.length !== 2) return Either.left(invalid)
    const [micros, userId] = value
    if (typeof micros !== "string" || !/^-?[0-9]{1,17}$/.test(micros)) return Either.left(invalid)
    if (typeof userId !== "string" || !/^[0-9a-f-]{36}$/i.test(userId)) return Either.left(invalid)
    return Either.right({ enrolledMicros: micros, userId })
  } catch {
    return Either.left(invalid)
  }
}

export class Learning extends Effect.Service<Learning>()("@lectern/learning/Learning", {
  effect: Effect.gen(function* () {
    const repo = yield* LearningRepo
    const catalog = yield* CatalogReader
    const certificates = yield* CertificateIssuer
    const directory = yield* LearnerDirectory

    /** Refreshes the snapshot of a course from catalog; None when catalog no longer shows it published. */
    const refreshCourse = (courseId: CourseId) =>
      Effect.gen(function* () {
        const detail = yield* catalog.publishedCourse(courseId)
        if (Option.isNone(detail)) {
          yield* repo.markUnpublished(courseId)
          return false
        }
        yield* repo.saveSnapshot(detail.value)
        return true
      })

    const enrolledOrFail = (user: AuthenticatedUser, courseId: CourseId) =>
      Effect.flatMap(repo.enrollment(user.id, courseId), (row) =>
        Option.isSome(row) ? Effect.succeed(row.value) : Effect.fail(new Contract.NotEnrolled({ courseId }))
      )

    const enroll = (user: AuthenticatedUser, courseId: CourseId) =>
      Effect.gen(function* () {
        const published = yield* refreshCourse(courseId)
        const course = yield* repo.courseById(courseId)
        if (!published || Option.isNone(course))
          return yield* Effect.fail(new Contract.CourseNotAvailable({ courseId }))
        if (course.value.priceAmount > 0) {
          return yield* Effect.fail(
            new Contract.PaymentRequired({
              courseId,
              price: { amount: course.value.priceAmount, currency: course.value.priceCurrency }
            })
          )
        }
        const enrollmentId = crypto.randomUUID()
        yield* repo.withTransaction(
          Effect.gen(function* () {
            if (yield* repo.enroll(user.id, courseId, enrollmentId)) {
              yield* appendEvent(LEARNING_SCHEMA, {
                type: "enrollment.created",
                source: "learning",
                payload: { enrollmentId, courseId, userId: user.id }
              })
            }
          })
        )
        return toEnrollment(yield* enrolledOrFail(user, courseId).pipe(Effect.orDie))
      }).pipe(Effect.withSpan("Learning.enroll"))

    const leave = (user: AuthenticatedUser, courseId: CourseId) =>
      repo.withTransaction(
        Effect.gen(function* () {
          const left = yield* repo.leave(user.id, courseId)
          if (Option.isNone(left)) return yield* Effect.fail(new Contract.NotEnrolled({ courseId }))
          yield* appendEvent(LEARNING_SCHEMA, {
            type: "enrollment.cancelled",
            source: "learning",
            payload: { enrollmentId: left.value.enrollmentId, courseId, userId: user.id }
          })
        })
      )

    const mine = (user: AuthenticatedUser) => Effect.map(repo.enrollmentsOf(user.id), (rows) => rows.map(toEnrollment))

    const get = (user: AuthenticatedUser, courseId: CourseId) =>
      Effect.map(enrolledOrFail(user, courseId), toEnrollment)

    const roster = (
      user: AuthenticatedUser,
      input: { readonly courseId: CourseId; readonly cursor?: Cursor | undefined; readonly limit?: number | undefined }
    ) =>
      Effect.gen(function* () {
        const course = yield* repo.courseById(input.courseId)
        if (Option.isNone(course))
          return yield* Effect.fail(new Contract.CourseNotAvailable({ courseId: input.courseId }))
        if (course.value.ownerId !== user.id && user.role !== "admin") {
          return yield* Effect.fail(new Forbidden({ message: "only the course's owner or an admin sees its learners" }))
        }
        const limit = input.limit ?? 50
        const after = input.cursor === undefined ? undefined : yield* decodeCursor(input.cursor)
        const rows = yield* repo.roster(input.courseId, after, limit + 1)
        const page = rows.slice(0, limit)
        const last = page[page.length - 1]
        const names = yield* directory.displayNames(page.map((row) => row.userId))
        return {
          items: page.map(
            (row) =>
              new Contract.RosterEntry(
                {
                  userId: row.userId,
                  name: names.get(row.userId) ?? null,
                  enrolledAt: DateTime.unsafeFromDate(row.enrolledAt),
                  progressPercent: percentOf(row),
                  completedAt: row.completedAt === null ? null : DateTime.unsafeFromDate(row.completedAt)
                },
                true
              )
          ),
          nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last) : null
        }
      })

    /** The lesson, for a learner enrolled in its course (one statement reads both). */
    const lessonForLearner = (user: AuthenticatedUser, lessonId: LessonId) =>
      Effect.gen(function* () {
        const found = yield* repo.lessonForLearner(user.id, lessonId)
        if (Option.isNone(found)) return yield* Effect.fail(new Contract.LessonNotFound({ id: lessonId }))
        const { enrolled, ...lesson } = found.value
        if (!enrolled) return yield* Effect.fail(new Contract.NotEnrolled({ courseId: lesson.courseId }))
        return lesson
      })

    /** After a lesson completes: its event, and the course's once every lesson is done. */
    const lessonCompleted = (user: AuthenticatedUser, lesson: LessonRow) =>
      Effect.gen(function* () {
        yield* appendEvent(LEARNING_SCHEMA, {
          type: "lesson.completed",
          source: "learning",
          payload: { userId: user.id, courseId: lesson.courseId, lessonId: lesson.lessonId }
        })
        if (
          (yield* repo.lessonsLeft(user.id, lesson.courseId)) === 0 &&
          (yield* repo.completeCourse(user.id, lesson.courseId))
        ) {
          yield* appendEvent(LEARNING_SCHEMA, {
            type: "course.completed",
            source: "learning",
            payload: { userId: user.id, courseId: lesson.courseId }
          })
          yield* certificates.issueIfEarned(user.id, lesson.courseId)
        }
      })

    /**
     * One transaction of four statements: BEGIN, the lesson with the enrollment and the progress row locked, the save,
     * COMMIT (plus the row's creation on a lesson's first heartbeat). A refused heartbeat rolls back: nothing stored.
     */
    const heartbeat = (user: AuthenticatedUser, input: typeof Contract.Heartbeat.Type) =>
      repo
        .withTransaction(
          Effect.gen(function* () {
            const found = yield* repo.heartbeatStateForUpdate(user.id, input.lessonId)
            if (Option.isNone(found)) return yield* Effect.fail(new Contract.LessonNotFound({ id: input.lessonId }))
            const { lesson, enrolled } = found.value
            if (!enrolled) return yield* Effect.fail(new Contract.NotEnrolled({ courseId: lesson.courseId }))
            if (lesson.kind !== "video" && lesson.kind !== "embed") {
              return yield* Effect.fail(
                new Contract.InvalidProgress({ message: `a ${lesson.kind} lesson has no playback` })
              )
            }
            if (lesson.durationSeconds <= 0) {
              return yield* Effect.fail(
                new Contract.InvalidProgress({ message: "the lesson's duration is not known yet" })
              )
            }
            const limit = lesson.durationSeconds + 1
            if (input.mediaPositionSeconds > limit || input.playedRanges.some(([, to]) => to > limit)) {
              return yield* Effect.fail(
                new Contract.InvalidProgress({ message: `the lesson is ${lesson.durationSeconds} s long` })
              )
            }
            const now = yield* DateTime.now
            const before = found.value.progress ?? (yield* repo.progressForUpdate(user.id, lesson))
            const outcome = applyHeartbeat({
              watched: before.watched,
              claimed: input.playedRanges as ReadonlyArray<Range>,
              rate: input.playbackRate,
              wallSeconds:
                before.lastHeartbeatAt === null
                  ? undefined
                  : (DateTime.toEpochMillis(now) - before.lastHeartbeatAt.getTime()) / 1000,
              durationSeconds: lesson.durationSeconds
            })
            const newlyCompleted = outcome.completed && before.completedAt === null
            yield* repo.saveProgress(user.id, lesson, {
              watched: outcome.watched,
              watchedShare: outcome.watchedShare,
              resumePosition: Math.min(input.mediaPositionSeconds, lesson.durationSeconds),
              complete: outcome.completed,
              at: DateTime.toDateUtc(now)
            })
            if (newlyCompleted) yield* lessonCompleted(user, lesson)
            return toLessonProgress(lesson.lessonId, {
              lessonId: lesson.lessonId,
              watched: outcome.watched,
              watchedShare: outcome.watchedShare,
              resumePosition: Math.min(input.mediaPositionSeconds, lesson.durationSeconds),
              lastHeartbeatAt: DateTime.toDateUtc(now),
              completedAt: before.completedAt ?? (outcome.completed ? DateTime.toDateUtc(now) : null)
            })
          })
        )
        .pipe(Effect.withSpan("Learning.heartbeat"))

    const completeLesson = (user: AuthenticatedUser, lessonId: LessonId) =>
      Effect.gen(function* () {
        const lesson = yield* lessonForLearner(user, lessonId)
        if (lesson.kind !== "article") {
          return yield* Effect.fail(
            new Contract.InvalidProgress({ message: "only article lessons are completed by hand; videos by watching" })
          )
        }
        const now = DateTime.toDateUtc(yield* DateTime.now)
        return yield* repo.withTransaction(
          Effect.gen(function* () {
            const before = yield* repo.progressForUpdate(user.id, lesson)
            yield* repo.saveProgress(user.id, lesson, {
              watched: before.watched,
              watchedShare: 1,
              resumePosition: 0,
              complete: true,
              at: now
            })
            if (before.completedAt === null) yield* lessonCompleted(user, lesson)
            return toLessonProgress(lesson.lessonId, {
              ...before,
              watchedShare: 1,
              completedAt: before.completedAt ?? now
            })
          })
        )
      })

    /**
     * A passed quiz completes the quiz lessons that show it (with `lesson.completed`, and the course's completion
     * when they were its last lessons). Called in the transaction that saves the passing grade.
     */
    const completeQuizLessons = (user: AuthenticatedUser, courseId: CourseId, quizId: string) =>
      Effect.gen(function* () {
        const now = DateTime.toDateUtc(yield* DateTime.now)
        for (const lesson of yield* repo.quizLessons(courseId, quizId)) {
          const before = yield* repo.progressForUpdate(user.id, lesson)
          if (before.completedAt !== null) continue
          yield* repo.saveProgress(user.id, lesson, {
            watched: before.watched,
            watchedShare: 1,
            resumePosition: 0,
            complete: true,
            at: now
          })
          yield* lessonCompleted(user, lesson)
        }
      })

    const courseProgress = (user: AuthenticatedUser, courseId: CourseId) =>
      Effect.gen(function* () {
        yield* enrolledOrFail(user, courseId)
        const lessons = yield* repo.lessonsOf(courseId)
        const progress = new Map((yield* repo.progressOfCourse(user.id, courseId)).map((row) => [row.lessonId, row]))
        const items = lessons.map((lesson) => toLessonProgress(lesson.lessonId, progress.get(lesson.lessonId)))
        const done = items.filter((item) => item.status === "completed").length
        return new Contract.CourseProgress(
          {
            courseId,
            percent: items.length === 0 ? 0 : Math.round((done / items.length) * 10_000) / 100,
            lessons: items
          },
          true
        )
      })

    /** For media playback: is `userId` enrolled in `courseId`? */
    const isEnrolled = repo.isEnrolled

    return {
      refreshCourse,
      enroll,
      leave,
      mine,
      get,
      roster,
      heartbeat,
      completeLesson,
      completeQuizLessons,
      courseProgress,
      isEnrolled
    }
  })
}) {}
