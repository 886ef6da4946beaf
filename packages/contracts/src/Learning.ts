// LearningRpcs: enrollment, progress measured from what was really played, quizzes, assignments, certificates and
// recommendations — learning's contract.
import { Rpc, RpcGroup } from "@effect/rpc"
import {
  CourseId,
  Cursor,
  Forbidden,
  InvalidCursor,
  InvalidInput,
  LessonId,
  Money,
  PageLimit,
  QuizId,
  UserId
} from "@lectern/domain"
import { Schema } from "effect"
import * as Assignment from "./LearningAssignment.ts"
import * as Quiz from "./LearningQuiz.ts"
import { Authentication } from "./Middleware.ts"
import { strict } from "./Strict.ts"

const MediaSeconds = Schema.Finite.pipe(
  Schema.between(0, 86_400, { message: () => "a media position is 0 to 86,400 seconds" })
)

/** [from, to) in media seconds, from < to. */
export const PlayedRange = Schema.Tuple(MediaSeconds, MediaSeconds).pipe(
  Schema.filter(([from, to]) => from < to || "a played range must end after it starts")
)

export const Heartbeat = strict({
  lessonId: LessonId,
  mediaPositionSeconds: MediaSeconds,
  /** What played since the previous heartbeat (a player sends one about every 10 s, and on pause and unload). */
  playedRanges: Schema.Array(PlayedRange).pipe(Schema.maxItems(100, { message: () => "at most 100 played ranges" })),
  playbackRate: Schema.Finite.pipe(Schema.between(0.25, 4, { message: () => "a playback rate is 0.25 to 4" }))
})

export const LessonStatus = Schema.Literal("not_started", "in_progress", "completed")

export class LessonProgress extends Schema.Class<LessonProgress>("LessonProgress")({
  lessonId: LessonId,
  status: LessonStatus,
  /** Share of the video actually watched, 0–100 (100 for a completed article). */
  watchedPercent: Schema.Number,
  resumePositionSeconds: Schema.Number,
  completedAt: Schema.NullOr(Schema.DateTimeUtc)
}) {}

export class CourseProgress extends Schema.Class<CourseProgress>("CourseProgress")({
  courseId: CourseId,
  /** Completed lessons ÷ lessons, 0–100. */
  percent: Schema.Number,
  lessons: Schema.Array(LessonProgress)
}) {}

export class Enrollment extends Schema.Class<Enrollment>("Enrollment")({
  courseId: CourseId,
  courseTitle: Schema.String,
  enrolledAt: Schema.DateTimeUtc,
  progressPercent: Schema.Number,
  lastLessonId: Schema.NullOr(LessonId),
  resumePositionSeconds: Schema.NullOr(Schema.Number),
  completedAt: Schema.NullOr(Schema.DateTimeUtc)
}) {}

export class RosterEntry extends Schema.Class<RosterEntry>("RosterEntry")({
  userId: UserId,
  /** The learner's display name as auth has it now; null for an account that is gone (or no auth in the process). */
  name: Schema.NullOr(Schema.String),
  enrolledAt: Schema.DateTimeUtc,
  progressPercent: Schema.Number,
  completedAt: Schema.NullOr(Schema.DateTimeUtc)
}) {}

export const RosterPage = Schema.Struct({ items: Schema.Array(RosterEntry), nextCursor: Schema.NullOr(Cursor) })

export class Certificate extends Schema.Class<Certificate>("Certificate")({
  id: Schema.String,
  courseId: CourseId,
  courseTitle: Schema.String,
  learnerName: Schema.String,
  issuedAt: Schema.DateTimeUtc,
  /** What `certificate.verify` takes, printed on the PDF with a QR code to the verify page. */
  code: Schema.String
}) {}

/** Where the learning service serves files over plain HTTP (certificate PDFs, assignment attachments). */
export const LEARNING_HTTP_PREFIX = "/learning/"

/** The path of a submission's attachment, relative to the server's base URL (the submitter, the owner, an admin). */
export const attachmentPath = (submissionId: string, uploadId: string) =>
  `${LEARNING_HTTP_PREFIX}submissions/${encodeURIComponent(submissionId)}/attachments/${encodeURIComponent(uploadId)}`

/**
 * The path of a certificate's PDF, relative to the server's base URL: `GET` it with the same `Authorization: Bearer`
 * header as RPCs (holder or admin; anyone else gets 404).
 */
export const certificatePdfPath = (id: string) => `${LEARNING_HTTP_PREFIX}certificates/${encodeURIComponent(id)}.pdf`

export class CertificateDocument extends Schema.Class<CertificateDocument>("CertificateDocument")({
  certificate: Certificate,
  /** The PDF's path (see `certificatePdfPath`), relative to the server's base URL. */
  pdfUrl: Schema.String
}) {}

export const CertificateVerification = Schema.Union(
  Schema.Struct({
    valid: Schema.Literal(true),
    learnerName: Schema.String,
    courseTitle: Schema.String,
    issuedAt: Schema.DateTimeUtc
  }),
  Schema.Struct({ valid: Schema.Literal(false) })
)

/** A course for the caller, with one line saying why. */
export class Recommendation extends Schema.Class<Recommendation>("Recommendation")({
  courseId: CourseId,
  title: Schema.String,
  /** "Learners of <course> also took this", "Popular in <category>" or "Popular on Lectern". */
  reason: Schema.String,
  basis: Schema.Literal("coEnrollment", "popularInCategory", "popular")
}) {}

// ---------------------------------------------------------------- errors

export class CertificateNotFound extends Schema.TaggedError<CertificateNotFound>()("CertificateNotFound", {
  id: Schema.String
}) {}

/** Not a published course (or no such course): nothing to enroll in. */
export class CourseNotAvailable extends Schema.TaggedError<CourseNotAvailable>()("CourseNotAvailable", {
  courseId: Schema.String
}) {}

/** A paid course: enrolling needs an order, which Lectern does not take yet. */
export class PaymentRequired extends Schema.TaggedError<PaymentRequired>()("PaymentRequired", {
  courseId: Schema.String,
  price: Money
}) {}

export class NotEnrolled extends Schema.TaggedError<NotEnrolled>()("NotEnrolled", {
  courseId: Schema.String
}) {}

export class LessonNotFound extends Schema.TaggedError<LessonNotFound>()("LessonNotFound", {
  id: Schema.String
}) {}

/** The call does not fit the lesson: a heartbeat for an article, `completeLesson` for a video, a range past the end. */
export class InvalidProgress extends Schema.TaggedError<InvalidProgress>()("InvalidProgress", {
  message: Schema.String
}) {}

// ---------------------------------------------------------------- RPCs

/** Calls that need a valid access token. */
export class LearningUserRpcs extends RpcGroup.make(
  Rpc.make("enrollment.enroll", {
    payload: strict({ courseId: CourseId }),
    success: Enrollment,
    error: Schema.Union(InvalidInput, CourseNotAvailable, PaymentRequired)
  }),
  Rpc.make("enrollment.leave", {
    payload: strict({ courseId: CourseId }),
    error: Schema.Union(InvalidInput, NotEnrolled)
  }),
  Rpc.make("enrollment.mine", { success: Schema.Array(Enrollment), error: InvalidInput }),
  Rpc.make("enrollment.get", {
    payload: strict({ courseId: CourseId }),
    success: Enrollment,
    error: Schema.Union(InvalidInput, NotEnrolled)
  }),
  Rpc.make("enrollment.roster", {
    payload: strict({ courseId: CourseId, cursor: Schema.optional(Cursor), limit: Schema.optional(PageLimit) }),
    success: RosterPage,
    error: Schema.Union(InvalidInput, Forbidden, CourseNotAvailable, InvalidCursor)
  }),
  Rpc.make("progress.heartbeat", {
    payload: Heartbeat,
    success: LessonProgress,
    error: Schema.Union(InvalidInput, LessonNotFound, NotEnrolled, InvalidProgress)
  }),
  Rpc.make("progress.completeLesson", {
    payload: strict({ lessonId: LessonId }),
    success: LessonProgress,
    error: Schema.Union(InvalidInput, LessonNotFound, NotEnrolled, InvalidProgress)
  }),
  Rpc.make("progress.course", {
    payload: strict({ courseId: CourseId }),
    success: CourseProgress,
    error: Schema.Union(InvalidInput, NotEnrolled)
  }),
  Rpc.make("quiz.create", {
    payload: Quiz.QuizInput,
    success: Quiz.Quiz,
    error: Schema.Union(InvalidInput, Forbidden)
  }),
  Rpc.make("quiz.update", {
    payload: Quiz.QuizUpdate,
    success: Quiz.Quiz,
    error: Schema.Union(InvalidInput, Forbidden, Quiz.QuizNotFound)
  }),
  /** The whole quiz, answers included, for its course's owner or an admin (`Forbidden` for anyone else). */
  Rpc.make("quiz.get", {
    payload: strict({ id: QuizId }),
    success: Quiz.Quiz,
    error: Schema.Union(InvalidInput, Forbidden, Quiz.QuizNotFound)
  }),
  /** The course's quizzes (answers included), oldest first, for its owner or an admin. */
  Rpc.make("quiz.list", {
    payload: strict({ courseId: CourseId }),
    success: Schema.Array(Quiz.Quiz),
    error: Schema.Union(InvalidInput, Forbidden)
  }),
  Rpc.make("quiz.delete", {
    payload: strict({ id: QuizId }),
    error: Schema.Union(InvalidInput, Forbidden, Quiz.QuizNotFound)
  }),
  Rpc.make("quiz.start", {
    payload: strict({ quizId: QuizId }),
    success: Quiz.AttemptView,
    error: Schema.Union(InvalidInput, Quiz.QuizNotFound, NotEnrolled, Quiz.AttemptLimitReached)
  }),
  /**
   * The caller's attempt that is started, not submitted and before its deadline, as `quiz.start` gave it (the same
   * questions in the same order, without answers), so a reload continues it; `NoOpenAttempt` when there is none.
   */
  Rpc.make("quiz.current", {
    payload: strict({ quizId: QuizId }),
    success: Quiz.AttemptView,
    error: Schema.Union(InvalidInput, Quiz.QuizNotFound, Quiz.NoOpenAttempt)
  }),
  Rpc.make("quiz.submit", {
    payload: Quiz.SubmitInput,
    success: Quiz.GradedAttempt,
    error: Schema.Union(
      InvalidInput,
      Quiz.AttemptNotFound,
      Quiz.AttemptAlreadySubmitted,
      Quiz.AttemptExpired,
      Quiz.InvalidAnswers,
      Quiz.QuizNotFound
    )
  }),
  Rpc.make("quiz.attempts", {
    payload: strict({ quizId: QuizId }),
    success: Schema.Array(Quiz.AttemptSummary),
    error: Schema.Union(InvalidInput, Quiz.QuizNotFound)
  }),
  Rpc.make("assignment.create", {
    payload: Assignment.AssignmentInput,
    success: Assignment.Assignment,
    error: Schema.Union(InvalidInput, Forbidden)
  }),
  Rpc.make("assignment.update", {
    payload: Assignment.AssignmentUpdate,
    success: Assignment.Assignment,
    error: Schema.Union(InvalidInput, Forbidden, Assignment.AssignmentNotFound, Assignment.InvalidGrade)
  }),
  Rpc.make("assignment.delete", {
    payload: strict({ id: Assignment.AssignmentId }),
    error: Schema.Union(InvalidInput, Forbidden, Assignment.AssignmentNotFound)
  }),
  /** The course's assignments, for its enrolled learners, its owner and admins. */
  Rpc.make("assignment.list", {
    payload: strict({ courseId: CourseId }),
    success: Schema.Array(Assignment.Assignment),
    error: Schema.Union(InvalidInput, NotEnrolled)
  }),
  Rpc.make("assignment.submit", {
    payload: Assignment.SubmitInput,
    success: Assignment.Submission,
    error: Schema.Union(
      InvalidInput,
      Assignment.AssignmentNotFound,
      NotEnrolled,
      Assignment.AssignmentClosed,
      Assignment.AlreadyGraded,
      Assignment.AttachmentRejected
    )
  }),
  /** By the course's owner or an admin; grading again replaces the grade. */
  Rpc.make("assignment.grade", {
    payload: Assignment.GradeInput,
    success: Assignment.Submission,
    error: Schema.Union(InvalidInput, Forbidden, Assignment.SubmissionNotFound, Assignment.InvalidGrade)
  }),
  /** Every learner's latest submission for the owner or an admin; the caller's own for anyone else. */
  Rpc.make("assignment.submissions", {
    payload: strict({ assignmentId: Assignment.AssignmentId }),
    success: Schema.Array(Assignment.Submission),
    error: Schema.Union(InvalidInput, Assignment.AssignmentNotFound)
  }),
  /**
   * Up to `limit` (default 6, at most 20) published courses the caller is not enrolled in and does not own: first
   * those the learners of the caller's courses also took (most such learners first), then the most popular in the
   * categories of the caller's courses, then the most popular anywhere.
   */
  Rpc.make("recommend.forMe", {
    payload: strict({
      limit: Schema.optional(
        Schema.Number.pipe(
          Schema.int({ message: () => "a limit is a whole number from 1 to 20" }),
          Schema.between(1, 20, { message: () => "a limit is a whole number from 1 to 20" })
        )
      )
    }),
    success: Schema.Array(Recommendation),
    error: InvalidInput
  }),
  Rpc.make("certificate.mine", { success: Schema.Array(Certificate), error: InvalidInput }),
  Rpc.make("certificate.get", {
    payload: strict({ id: Schema.String.pipe(Schema.maxLength(64)) }),
    success: CertificateDocument,
    error: Schema.Union(InvalidInput, CertificateNotFound)
  })
).middleware(Authentication) {}

/** Calls anyone may make, without a token: checking a certificate someone shows you. */
export class LearningPublicRpcs extends RpcGroup.make(
  Rpc.make("certificate.verify", {
    payload: strict({ code: Schema.String.pipe(Schema.maxLength(100)) }),
    success: CertificateVerification,
    error: InvalidInput
  })
) {}

/** The whole learning service: `client.enrollment.enroll(...)`, `client.progress.heartbeat(...)`, … */
export class LearningRpcs extends LearningUserRpcs.merge(LearningPublicRpcs) {}
