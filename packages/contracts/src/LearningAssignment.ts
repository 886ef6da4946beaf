// Assignment schemas: what a course's owner sets, what a learner hands in (text and uploaded files), grades, errors.
import { CourseId, UserId } from "@lectern/domain"
import { Schema } from "effect"
import { Title } from "./Catalog.ts"
import { UploadId } from "./Media.ts"
import { strict } from "./Strict.ts"

export const maxAttachments = 10
export const maxSubmissionTextLength = 50_000
/** The largest file a submission may attach: 100 MiB. */
export const maxAttachmentBytes = 100 * 1024 * 1024

export const AssignmentId = Schema.UUID.pipe(Schema.brand("AssignmentId"))
export type AssignmentId = typeof AssignmentId.Type

export const SubmissionId = Schema.UUID.pipe(Schema.brand("AssignmentSubmissionId"))
export type SubmissionId = typeof SubmissionId.Type

export const Instructions = Schema.Trim.pipe(
  Schema.minLength(1, { message: () => "instructions are required" }),
  Schema.maxLength(20_000, { message: () => "instructions are at most 20,000 characters" })
)
/** How the work is graded, shown to learners with the instructions. */
export const Rubric = Schema.Trim.pipe(
  Schema.maxLength(10_000, { message: () => "a rubric is at most 10,000 characters" })
)
export const MaxScore = Schema.Number.pipe(
  Schema.int({ message: () => "a maximum score is a whole number from 1 to 1,000" }),
  Schema.between(1, 1000, { message: () => "a maximum score is a whole number from 1 to 1,000" })
)
export const SubmissionText = Schema.Trim.pipe(
  Schema.maxLength(maxSubmissionTextLength, { message: () => "a submission's text is at most 50,000 characters" })
)
export const Feedback = Schema.Trim.pipe(
  Schema.maxLength(20_000, { message: () => "feedback is at most 20,000 characters" })
)

// ---------------------------------------------------------------- inputs

export const AssignmentInput = strict({
  courseId: CourseId,
  title: Title,
  instructions: Instructions,
  maxScore: MaxScore,
  /** No submissions (or resubmissions) after it; none means open until graded. */
  dueAt: Schema.optional(Schema.DateTimeUtc),
  /** Default empty. */
  rubric: Schema.optionalWith(Rubric, { default: () => "", exact: true })
})
export type AssignmentInput = typeof AssignmentInput.Type

/** Changes what is given; `dueAt: null` removes the due date. */
export const AssignmentUpdate = strict({
  id: AssignmentId,
  title: Schema.optional(Title),
  instructions: Schema.optional(Instructions),
  maxScore: Schema.optional(MaxScore),
  dueAt: Schema.optional(Schema.NullOr(Schema.DateTimeUtc)),
  rubric: Schema.optional(Rubric)
})
export type AssignmentUpdate = typeof AssignmentUpdate.Type

/**
 * Text, files (ids of complete tus uploads the caller made at `/media/uploads`, each used once), or both. A new
 * submission replaces the caller's previous one (attachments it still lists are kept) until that one is graded or the
 * assignment's due date has passed.
 */
export const SubmitInput = strict({
  assignmentId: AssignmentId,
  text: Schema.optional(SubmissionText),
  attachments: Schema.Array(UploadId).pipe(
    Schema.maxItems(maxAttachments, { message: () => `at most ${maxAttachments} attachments` }),
    Schema.filter((ids) => new Set(ids).size === ids.length || "an attachment is listed twice")
  )
}).pipe(
  Schema.filter(
    (input) =>
      (input.text !== undefined && input.text.length > 0) ||
      input.attachments.length > 0 ||
      "a submission needs text or at least one attachment"
  )
)
export type SubmitInput = typeof SubmitInput.Type

export const GradeInput = strict({
  submissionId: SubmissionId,
  /** 0 to the assignment's maximum score, in steps of 0.5 at the finest. */
  score: Schema.Number.pipe(
    Schema.nonNegative({ message: () => "a score is 0 or more" }),
    Schema.filter((score) => Number.isInteger(score * 2) || "a score is a whole or half number")
  ),
  feedback: Schema.optionalWith(Feedback, { default: () => "", exact: true })
})
export type GradeInput = typeof GradeInput.Type

// ---------------------------------------------------------------- views

export class Assignment extends Schema.Class<Assignment>("Assignment")({
  id: AssignmentId,
  courseId: CourseId,
  title: Schema.String,
  instructions: Schema.String,
  rubric: Schema.String,
  maxScore: Schema.Number,
  dueAt: Schema.NullOr(Schema.DateTimeUtc),
  createdAt: Schema.DateTimeUtc,
  updatedAt: Schema.DateTimeUtc
}) {}

export class Attachment extends Schema.Class<Attachment>("Attachment")({
  uploadId: Schema.String,
  /** As the uploader's client named it (tus `filename` metadata), cleaned of paths and control characters. */
  filename: Schema.String,
  sizeBytes: Schema.Number,
  /** As declared at upload (tus `filetype` metadata), or `application/octet-stream`. */
  contentType: Schema.String,
  /** Relative to the server's base URL; `GET` it with the RPC bearer token (the submitter, the owner, an admin). */
  downloadUrl: Schema.String
}) {}

export const SubmissionStatus = Schema.Literal("submitted", "graded")

export class Submission extends Schema.Class<Submission>("Submission")({
  id: SubmissionId,
  assignmentId: AssignmentId,
  userId: UserId,
  /** The learner's display name as auth has it now; null for an account that is gone. */
  learnerName: Schema.NullOr(Schema.String),
  text: Schema.NullOr(Schema.String),
  attachments: Schema.Array(Attachment),
  /** 1 for the first submission, +1 per resubmission. */
  revision: Schema.Int,
  submittedAt: Schema.DateTimeUtc,
  status: SubmissionStatus,
  score: Schema.NullOr(Schema.Number),
  feedback: Schema.NullOr(Schema.String),
  gradedAt: Schema.NullOr(Schema.DateTimeUtc)
}) {}

// ---------------------------------------------------------------- errors

export class AssignmentNotFound extends Schema.TaggedError<AssignmentNotFound>()("AssignmentNotFound", {
  id: Schema.String
}) {}

/** No such submission, or one the caller may not see. */
export class SubmissionNotFound extends Schema.TaggedError<SubmissionNotFound>()("SubmissionNotFound", {
  id: Schema.String
}) {}

/** The due date has passed: nothing more is handed in. */
export class AssignmentClosed extends Schema.TaggedError<AssignmentClosed>()("AssignmentClosed", {
  assignmentId: Schema.String,
  dueAt: Schema.DateTimeUtc
}) {}

/** The caller's submission is graded: it stands as it is. */
export class AlreadyGraded extends Schema.TaggedError<AlreadyGraded>()("AlreadyGraded", {
  submissionId: Schema.String
}) {}

/** A score above the assignment's maximum (or a maximum lowered below a score already given). */
export class InvalidGrade extends Schema.TaggedError<InvalidGrade>()("InvalidGrade", {
  message: Schema.String
}) {}

/**
 * An attachment that cannot be used: `notFound` (no such upload, someone else's, or already used), `incomplete` (not
 * all bytes arrived), `tooLarge` (over the attachment size limit).
 */
export class AttachmentRejected extends Schema.TaggedError<AttachmentRejected>()("AttachmentRejected", {
  uploadId: Schema.String,
  reason: Schema.Literal("notFound", "incomplete", "tooLarge"),
  message: Schema.String
}) {}
