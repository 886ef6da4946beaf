// Domain events: the envelope every event travels in, and each event's payload Schema, keyed by its type.
import { CourseId, ImageId, MediaId, UserId } from "@lectern/domain"
import { Schema } from "effect"

/** What the outbox stores and the bus carries: payload is the encoded form of the event's payload Schema. */
export class EventEnvelope extends Schema.Class<EventEnvelope>("EventEnvelope")({
  /** Unique per event; consumers dedupe by it. */
  id: Schema.UUID,
  /** e.g. `course.published`. */
  type: Schema.String,
  /** Bumped when a payload changes incompatibly; consumers may handle several versions. */
  version: Schema.Int,
  /** The service that emitted it (`catalog`, `learning`, …). */
  source: Schema.String,
  occurredAt: Schema.DateTimeUtc,
  payload: Schema.Unknown
}) {}

// ---------------------------------------------------------------- catalog

export const CoursePublished = Schema.Struct({
  courseId: CourseId,
  ownerId: UserId,
  slug: Schema.String,
  title: Schema.String
})
/** `slug` (optional for compatibility; the catalog always sends it) lets a cache keyed by slug drop its entry. */
export const CourseUnpublished = Schema.Struct({ courseId: CourseId, slug: Schema.optional(Schema.String) })
export const CourseUpdated = Schema.Struct({ courseId: CourseId, slug: Schema.optional(Schema.String) })
export const CourseDeleted = Schema.Struct({ courseId: CourseId, slug: Schema.optional(Schema.String) })
export const LessonChanged = Schema.Struct({
  courseId: CourseId,
  lessonId: Schema.UUID,
  change: Schema.Literal("created", "updated", "deleted")
})

// ---------------------------------------------------------------- learning, community, media (consumed by catalog)

const Rating = Schema.Int.pipe(Schema.between(1, 5))

export const EnrollmentCreated = Schema.Struct({ enrollmentId: Schema.UUID, courseId: CourseId, userId: UserId })
export const EnrollmentCancelled = Schema.Struct({ enrollmentId: Schema.UUID, courseId: CourseId, userId: UserId })
export const LessonCompleted = Schema.Struct({ userId: UserId, courseId: CourseId, lessonId: Schema.UUID })
export const CourseCompleted = Schema.Struct({ userId: UserId, courseId: CourseId })
export const CertificateIssued = Schema.Struct({ certificateId: Schema.String, userId: UserId, courseId: CourseId })
export const QuizSubmitted = Schema.Struct({
  userId: UserId,
  courseId: CourseId,
  quizId: Schema.UUID,
  attemptId: Schema.UUID,
  scorePercent: Schema.Number,
  passed: Schema.Boolean
})
export const AssignmentSubmitted = Schema.Struct({
  submissionId: Schema.UUID,
  assignmentId: Schema.UUID,
  courseId: CourseId,
  userId: UserId,
  /** 1 for the first submission, +1 per resubmission. */
  revision: Schema.Int,
  attachmentCount: Schema.Int
})
export const AssignmentGraded = Schema.Struct({
  submissionId: Schema.UUID,
  assignmentId: Schema.UUID,
  courseId: CourseId,
  /** The learner whose work was graded. */
  userId: UserId,
  gradedBy: UserId,
  score: Schema.Number,
  maxScore: Schema.Number
})
export const ReviewCreated = Schema.Struct({
  reviewId: Schema.UUID,
  courseId: CourseId,
  userId: UserId,
  rating: Rating
})
export const ReviewUpdated = Schema.Struct({
  reviewId: Schema.UUID,
  courseId: CourseId,
  userId: UserId,
  rating: Rating,
  previousRating: Rating
})
export const ReviewDeleted = Schema.Struct({
  reviewId: Schema.UUID,
  courseId: CourseId,
  userId: UserId,
  rating: Rating
})
export const MediaReady = Schema.Struct({
  mediaId: MediaId,
  durationSeconds: Schema.Number.pipe(Schema.nonNegative()),
  /** Rendition heights, e.g. [360, 720]. */
  renditions: Schema.Array(Schema.Int)
})
export const MediaFailed = Schema.Struct({ mediaId: MediaId, reason: Schema.String })
/** An image was deleted: whatever shows it (a course thumbnail) must stop. */
export const ImageDeleted = Schema.Struct({ imageId: ImageId, ownerId: UserId })
/** A course stopped showing an image (replaced, cleared, or the course deleted) and no other course shows it. */
export const ImageReleased = Schema.Struct({ imageId: ImageId, courseId: CourseId })

/** Every event type Lectern emits, with its payload Schema (version 1 unless the entry says otherwise). */
export const EventPayloads = {
  "course.published": CoursePublished,
  "course.unpublished": CourseUnpublished,
  "course.updated": CourseUpdated,
  "course.deleted": CourseDeleted,
  "lesson.changed": LessonChanged,
  "enrollment.created": EnrollmentCreated,
  "enrollment.cancelled": EnrollmentCancelled,
  "lesson.completed": LessonCompleted,
  "course.completed": CourseCompleted,
  "quiz.submitted": QuizSubmitted,
  "assignment.submitted": AssignmentSubmitted,
  "assignment.graded": AssignmentGraded,
  "certificate.issued": CertificateIssued,
  "review.created": ReviewCreated,
  "review.updated": ReviewUpdated,
  "review.deleted": ReviewDeleted,
  "media.ready": MediaReady,
  "media.failed": MediaFailed,
  "image.deleted": ImageDeleted,
  "image.released": ImageReleased
} as const

export type EventType = keyof typeof EventPayloads
export type EventPayload<T extends EventType> = Schema.Schema.Type<(typeof EventPayloads)[T]>
