// Learner server functions and the plain data they hand pages: my learning, a course's player, quizzes, assignments,
// certificates. Every call goes through `@lectern/client` on the server (src/server/learning.ts).

import type { Catalog, Learning, Media } from "@lectern/contracts"
import type {
  Assignment as AssignmentSchema,
  Submission as SubmissionSchema
} from "@lectern/contracts/LearningAssignment"
import type { AnswerInput, AttemptSummary, AttemptView, GradedAttempt } from "@lectern/contracts/LearningQuiz"
import { action, query } from "@solidjs/router"
import type { Outcome } from "./outcome.ts"

export type Enrollment = typeof Learning.Enrollment.Encoded
export type LessonProgress = typeof Learning.LessonProgress.Encoded
export type Certificate = typeof Learning.Certificate.Encoded
export type Playback = typeof Media.Playback.Encoded
export type Attempt = typeof AttemptView.Encoded
export type Graded = typeof GradedAttempt.Encoded
export type AttemptListItem = typeof AttemptSummary.Encoded
export type Answer = typeof AnswerInput.Encoded
export type QuestionView = Attempt["questions"][number]

/** A course's picture URLs (catalog's thumbnail), or null when it has none. */
export type CourseThumbnail = typeof Catalog.CourseThumbnail.Encoded | null

/** An enrollment with where its resume button leads and its course's picture. */
export interface EnrollmentCard extends Enrollment {
  readonly resumeHref: string
  readonly thumbnail: CourseThumbnail
}

export interface RecommendationCard {
  readonly courseId: string
  readonly title: string
  readonly reason: string
  /** The course page, when catalog still shows the course. */
  readonly slug: string | null
  readonly subtitle: string | null
  readonly thumbnail: CourseThumbnail
}

export interface MyLearning {
  readonly enrollments: ReadonlyArray<EnrollmentCard>
  readonly recommendations: ReadonlyArray<RecommendationCard>
  /** Recommendations could not be loaded (the rest of the page still works). */
  readonly recommendationsFailed: boolean
}

export type LessonKind = "video" | "embed" | "article" | "quiz"

export interface LessonEntry {
  readonly id: string
  readonly title: string
  readonly kind: LessonKind
  readonly durationSeconds: number
  readonly status: "not_started" | "in_progress" | "completed"
}

export interface SectionEntry {
  readonly id: string
  readonly title: string
  readonly lessons: ReadonlyArray<LessonEntry>
}

/** An attempt started earlier and not yet submitted, with the server's time when the page was made. */
export interface OpenAttempt {
  readonly attempt: Attempt
  readonly serverNow: string
}

/** What the current lesson shows. */
export type LessonBody =
  | { readonly kind: "video"; readonly playback: Playback }
  | { readonly kind: "article"; readonly html: string }
  | { readonly kind: "embed"; readonly embedUrl: string; readonly provider: string }
  | {
      readonly kind: "quiz"
      readonly quizId: string
      readonly attempts: ReadonlyArray<AttemptListItem>
      /** The learner's attempt still open (quiz.current), continued on this page; null when there is none. */
      readonly open: OpenAttempt | null
    }
  | { readonly kind: "unavailable"; readonly message: string }

/** A course as its learner sees it: progress, curriculum with ticks. */
export interface CourseOverview {
  readonly courseId: string
  readonly title: string
  readonly slug: string
  readonly percent: number
  readonly completedAt: string | null
  readonly sections: ReadonlyArray<SectionEntry>
  /** The lesson the resume button opens: the last one touched, else the first not completed, else the first. */
  readonly resumeLessonId: string | null
}

export interface PlayerPage extends CourseOverview {
  readonly lesson: LessonEntry & {
    readonly resumePositionSeconds: number
    readonly watchedPercent: number
  }
  readonly previous: { readonly id: string; readonly title: string } | null
  readonly next: { readonly id: string; readonly title: string } | null
  readonly body: LessonBody
}

export type Assignment = typeof AssignmentSchema.Encoded
export type Submission = typeof SubmissionSchema.Encoded

export interface AssignmentEntry {
  readonly assignment: Assignment
  /** The learner's latest submission, if any. */
  readonly submission: Submission | null
}

export interface AssignmentsPage {
  readonly courseId: string
  readonly courseTitle: string
  readonly assignments: ReadonlyArray<AssignmentEntry>
}

export const getMyLearning = query(async (): Promise<Outcome<MyLearning>> => {
  "use server"
  const { myLearning } = await import("../server/learning.ts")
  return myLearning()
}, "myLearning")

export const getCourseOverview = query(async (courseId: string): Promise<Outcome<CourseOverview>> => {
  "use server"
  const { courseOverview } = await import("../server/learning.ts")
  return courseOverview(courseId)
}, "courseOverview")

export const getPlayerPage = query(async (courseId: string, lessonId: string): Promise<Outcome<PlayerPage>> => {
  "use server"
  const { playerPage } = await import("../server/learning.ts")
  return playerPage(courseId, lessonId)
}, "playerPage")

export const completeLesson = action(async (lessonId: string): Promise<Outcome<LessonProgress>> => {
  "use server"
  const { markComplete } = await import("../server/learning.ts")
  return markComplete(lessonId)
}, "completeLesson")

export const startQuiz = action(async (quizId: string): Promise<Outcome<Attempt>> => {
  "use server"
  const { beginQuiz } = await import("../server/learning.ts")
  return beginQuiz(quizId)
}, "startQuiz")

export const submitQuiz = action(
  async (attemptId: string, answers: ReadonlyArray<Answer>): Promise<Outcome<Graded>> => {
    "use server"
    const { handInQuiz } = await import("../server/learning.ts")
    return handInQuiz(attemptId, answers)
  },
  "submitQuiz"
)

export const getAssignments = query(async (courseId: string): Promise<Outcome<AssignmentsPage>> => {
  "use server"
  const { assignmentsPage } = await import("../server/learning.ts")
  return assignmentsPage(courseId)
}, "assignments")

export const submitAssignment = action(
  async (assignmentId: string, text: string, attachments: ReadonlyArray<string>): Promise<Outcome<Submission>> => {
    "use server"
    const { handInAssignment } = await import("../server/learning.ts")
    return handInAssignment(assignmentId, text, attachments)
  },
  "submitAssignment"
)

export const getCertificates = query(async (): Promise<Outcome<ReadonlyArray<Certificate>>> => {
  "use server"
  const { myCertificates } = await import("../server/learning.ts")
  return myCertificates()
}, "certificates")

/** Where a lesson opens in the player. */
export const lessonHref = (courseId: string, lessonId: string) =>
  `/learn/${encodeURIComponent(courseId)}/${encodeURIComponent(lessonId)}`

/** Where a course's certificate PDF downloads through the web app (the cookie's session, streamed by the server). */
export const certificatePdfHref = (id: string) => `/learn/certificates/${encodeURIComponent(id)}/pdf`

/** Where a submission's attachment downloads through the web app. */
export const attachmentHref = (submissionId: string, uploadId: string) =>
  `/learn/attachments/${encodeURIComponent(submissionId)}/${encodeURIComponent(uploadId)}`

/** The web app's heartbeat route (the player posts here; the server forwards through `@lectern/client`). */
export const HEARTBEAT_PATH = "/learn/heartbeat"

/** Failure tags → what a learner reads. */
export const failureText = (failure: { readonly _tag: string; readonly message: string }) => {
  switch (failure._tag) {
    case "Unauthorized":
      return "Your session has ended. Sign in again."
    case "NotEnrolled":
      return "You are not enrolled in this course."
    case "CourseNotFound":
    case "CourseNotAvailable":
      return "This course is not available."
    case "LessonNotFound":
      return "This lesson does not exist any more."
    case "MediaNotReady":
      return "This video is still being prepared. Try again in a few minutes."
    case "MediaNotFound":
      return "This video is not available to you."
    case "QuizNotFound":
      return "This quiz is not available."
    case "AttemptLimitReached":
      return "You have used every attempt this quiz allows."
    case "AttemptExpired":
      return "Time ran out before your answers arrived, so this attempt was not graded."
    case "AttemptAlreadySubmitted":
      return "This attempt was already submitted."
    case "InvalidAnswers":
      return `Some answers do not fit the quiz: ${failure.message}`
    case "AssignmentClosed":
      return "The due date has passed: this assignment takes no more submissions."
    case "AlreadyGraded":
      return "Your submission is graded; it stands as it is."
    case "AttachmentRejected":
      return `A file could not be attached: ${failure.message}`
    case "AssignmentNotFound":
      return "This assignment does not exist any more."
    case "CertificateNotFound":
      return "No such certificate."
    case "InvalidProgress":
      return failure.message
    default:
      return failure.message || "Something went wrong. Try again."
  }
}
