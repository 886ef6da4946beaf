// Learner calls on the server: my learning, a course's curriculum with progress, the lesson player's data (signed
// playback, sanitised article HTML, quizzes), assignments and certificates — typed payloads in, plain encoded data out.
import "server-only"
import { type Catalog, Learning, Media } from "@lectern/contracts"
import * as AssignmentContract from "@lectern/contracts/LearningAssignment"
import * as Quiz from "@lectern/contracts/LearningQuiz"
import { CourseId, LessonId, QuizId } from "@lectern/domain"
import { Effect, Either, Schema } from "effect"
import { marked } from "marked"
import sanitizeHtml from "sanitize-html"
import type {
  AssignmentsPage,
  CourseOverview,
  EnrollmentCard,
  LessonBody,
  LessonEntry,
  MyLearning,
  PlayerPage,
  RecommendationCard,
  SectionEntry
} from "../lib/learning.ts"
import { lessonHref } from "../lib/learning.ts"
import type { Failure, Outcome } from "../lib/outcome.ts"
import { lectern } from "./lectern.ts"

const encodeEnrollment = Schema.encodeSync(Learning.Enrollment)
const encodeLessonProgress = Schema.encodeSync(Learning.LessonProgress)
const encodeCertificates = Schema.encodeSync(Schema.Array(Learning.Certificate))
const encodePlayback = Schema.encodeSync(Media.Playback)
const encodeAttempt = Schema.encodeSync(Quiz.AttemptView)
const encodeGraded = Schema.encodeSync(Quiz.GradedAttempt)
const encodeAttempts = Schema.encodeSync(Schema.Array(Quiz.AttemptSummary))
const encodeAssignment = Schema.encodeSync(AssignmentContract.Assignment)
const encodeSubmission = Schema.encodeSync(AssignmentContract.Submission)

const mapOutcome = <A, B>(outcome: Outcome<A>, f: (a: A) => B): Outcome<B> =>
  outcome.ok ? { ok: true, value: f(outcome.value) } : outcome

const fail = (tag: string, message: string): { ok: false; error: Failure } => ({
  ok: false,
  error: { _tag: tag, message }
})

/** A value from the URL or a form, decoded with its Schema, or a typed InvalidInput. */
const decode = <A, I>(schema: Schema.Schema<A, I>, value: unknown, what: string): Either.Either<A, Failure> =>
  Either.mapLeft(Schema.decodeUnknownEither(schema)(value), () => ({ _tag: "InvalidInput", message: `not ${what}` }))

// ---------------------------------------------------------------- markdown

/** Article markdown → HTML with only harmless tags and attributes; links get rel=noopener and open in place. */
export const renderMarkdown = (markdown: string) =>
  sanitizeHtml(marked.parse(markdown, { async: false, gfm: true }), {
    allowedTags: [...sanitizeHtml.defaults.allowedTags, "img", "h1", "h2", "del", "input"],
    allowedAttributes: {
      a: ["href", "title", "rel"],
      img: ["src", "alt", "title", "width", "height"],
      code: ["class"],
      th: ["align"],
      td: ["align"],
      ol: ["start"],
      input: ["type", "checked", "disabled"]
    },
    allowedSchemes: ["http", "https", "mailto"],
    allowedSchemesByTag: { img: ["http", "https"] },
    allowProtocolRelative: false,
    transformTags: {
      a: sanitizeHtml.simpleTransform("a", { rel: "noopener noreferrer nofollow" }),
      // Task-list boxes only: any other input is dropped by exclusiveFilter below.
      input: (tagName, attribs) => ({ tagName, attribs: { ...attribs, disabled: "" } })
    },
    exclusiveFilter: (frame) => frame.tag === "input" && frame.attribs.type !== "checkbox"
  })

// ---------------------------------------------------------------- my learning

export const myLearning = async (): Promise<Outcome<MyLearning>> => {
  const [enrollments, recommendations] = await Promise.all([
    lectern((c) =>
      Effect.gen(function* () {
        const list = yield* c.learning.enrollment.mine()
        // Each course's picture from catalog; a course it no longer shows has none.
        const thumbnails = yield* Effect.forEach(
          list,
          (enrollment) =>
            c.catalog.course.get({ id: enrollment.courseId }).pipe(
              Effect.map((detail) => detail.course.thumbnail),
              Effect.orElseSucceed(() => null)
            ),
          { concurrency: 6 }
        )
        return list.map((enrollment, index) => ({ enrollment, thumbnail: thumbnails[index] ?? null }))
      })
    ),
    lectern((c) =>
      Effect.gen(function* () {
        const list = yield* c.learning.recommend.forMe({ limit: 6 })
        // Recommendations name courses by id; the course page is by slug (catalog caches published courses).
        return yield* Effect.forEach(
          list,
          (item) =>
            c.catalog.course.get({ id: item.courseId }).pipe(
              Effect.map(
                (detail): RecommendationCard => ({
                  courseId: item.courseId,
                  title: detail.course.title,
                  reason: item.reason,
                  slug: detail.course.slug,
                  subtitle: detail.course.subtitle,
                  thumbnail: detail.course.thumbnail
                })
              ),
              Effect.orElseSucceed(
                (): RecommendationCard => ({
                  courseId: item.courseId,
                  title: item.title,
                  reason: item.reason,
                  slug: null,
                  subtitle: null,
                  thumbnail: null
                })
              )
            ),
          { concurrency: 6 }
        )
      })
    )
  ])
  if (!enrollments.ok) return enrollments
  const cards = [...enrollments.value]
    .sort((a, b) => Number(a.enrollment.completedAt !== null) - Number(b.enrollment.completedAt !== null))
    .map(
      ({ enrollment, thumbnail }): EnrollmentCard => ({
        ...encodeEnrollment(enrollment),
        resumeHref:
          enrollment.lastLessonId === null
            ? `/learn/${encodeURIComponent(enrollment.courseId)}`
            : lessonHref(enrollment.courseId, enrollment.lastLessonId),
        thumbnail
      })
    )
  return {
    ok: true,
    value: {
      enrollments: cards,
      recommendations: recommendations.ok ? recommendations.value.filter((r) => r.slug !== null) : [],
      recommendationsFailed: !recommendations.ok
    }
  }
}

// ---------------------------------------------------------------- a course and its lessons

interface LoadedCourse {
  readonly overview: CourseOverview
  readonly detail: Catalog.CourseDetail
  readonly progress: Learning.CourseProgress
}

const loadCourse = async (rawCourseId: string): Promise<Outcome<LoadedCourse>> => {
  const courseId = decode(CourseId, rawCourseId, "a course id")
  if (Either.isLeft(courseId)) return fail("CourseNotFound", "No such course.")
  const loaded = await lectern((c) =>
    Effect.all(
      {
        detail: c.catalog.course.get({ id: courseId.right }),
        progress: c.learning.progress.course({ courseId: courseId.right }),
        enrollment: c.learning.enrollment.get({ courseId: courseId.right })
      },
      { concurrency: 3 }
    )
  )
  if (!loaded.ok) return loaded
  const { detail, progress, enrollment } = loaded.value
  const status = new Map(progress.lessons.map((lesson) => [lesson.lessonId, lesson.status]))
  const sections: Array<SectionEntry> = detail.sections.map((section) => ({
    id: section.id,
    title: section.title,
    lessons: section.lessons.map(
      (lesson): LessonEntry => ({
        id: lesson.id,
        title: lesson.title,
        kind: lesson.kind,
        durationSeconds: lesson.durationSeconds,
        status: status.get(lesson.id) ?? "not_started"
      })
    )
  }))
  const lessons = sections.flatMap((section) => section.lessons)
  const last = lessons.find((lesson) => lesson.id === enrollment.lastLessonId)
  const resume =
    last !== undefined && last.status !== "completed"
      ? last
      : (lessons.find((lesson) => lesson.status !== "completed") ?? last ?? lessons[0])
  return {
    ok: true,
    value: {
      detail,
      progress,
      overview: {
        courseId: detail.course.id,
        title: detail.course.title,
        slug: detail.course.slug,
        percent: progress.percent,
        completedAt: enrollment.completedAt === null ? null : encodeEnrollment(enrollment).completedAt,
        sections,
        resumeLessonId: resume?.id ?? null
      }
    }
  }
}

export const courseOverview = async (courseId: string): Promise<Outcome<CourseOverview>> => {
  const loaded = await loadCourse(courseId)
  return loaded.ok ? { ok: true, value: loaded.value.overview } : loaded
}

const CONTENT_HIDDEN =
  "This lesson's content is not available to you: the catalog shows it to the course's enrolled learners, its " +
  "owner and, for preview lessons, everyone."

const lessonBody = async (lesson: Catalog.Lesson): Promise<LessonBody> => {
  const content = lesson.content
  if (content === null) return { kind: "unavailable", message: CONTENT_HIDDEN }
  switch (content.kind) {
    case "video": {
      if (!content.mediaReady) return { kind: "unavailable", message: "This video is still being prepared." }
      const playback = await lectern((c) => c.media.media.playback({ mediaId: content.mediaId }))
      if (!playback.ok) {
        return {
          kind: "unavailable",
          message:
            playback.error._tag === "MediaNotReady"
              ? "This video is still being prepared. Try again in a few minutes."
              : "This video is not available to you."
        }
      }
      return { kind: "video", playback: encodePlayback(playback.value) }
    }
    case "article":
      return { kind: "article", html: renderMarkdown(content.markdown) }
    case "embed":
      return { kind: "embed", embedUrl: content.embedUrl, provider: content.provider }
    case "quiz": {
      // An attempt started before a reload is continued (quiz.current), not replaced by a new one that would count.
      const [attempts, open] = await Promise.all([
        lectern((c) => c.learning.quiz.attempts({ quizId: content.quizId })),
        lectern((c) => c.learning.quiz.current({ quizId: content.quizId }))
      ])
      return {
        kind: "quiz",
        quizId: content.quizId,
        attempts: attempts.ok ? encodeAttempts(attempts.value) : [],
        open: open.ok ? { attempt: encodeAttempt(open.value), serverNow: new Date().toISOString() } : null
      }
    }
  }
}

export const playerPage = async (courseId: string, lessonId: string): Promise<Outcome<PlayerPage>> => {
  const loaded = await loadCourse(courseId)
  if (!loaded.ok) return loaded
  const { overview, detail, progress } = loaded.value
  const lessons = overview.sections.flatMap((section) => section.lessons)
  const index = lessons.findIndex((lesson) => lesson.id === lessonId)
  const entry = lessons[index]
  const catalogLesson = detail.sections.flatMap((section) => section.lessons).find((lesson) => lesson.id === lessonId)
  if (entry === undefined || catalogLesson === undefined) return fail("LessonNotFound", "No such lesson.")
  const own = progress.lessons.find((lesson) => lesson.lessonId === lessonId)
  const neighbour = (at: number) => {
    const lesson = lessons[at]
    return lesson === undefined ? null : { id: lesson.id, title: lesson.title }
  }
  return {
    ok: true,
    value: {
      ...overview,
      lesson: {
        ...entry,
        resumePositionSeconds: own?.resumePositionSeconds ?? 0,
        watchedPercent: own?.watchedPercent ?? 0
      },
      previous: neighbour(index - 1),
      next: neighbour(index + 1),
      body: await lessonBody(catalogLesson)
    }
  }
}

export const markComplete = async (rawLessonId: string) => {
  const lessonId = decode(LessonId, rawLessonId, "a lesson id")
  if (Either.isLeft(lessonId)) return { ok: false, error: lessonId.left } satisfies Outcome<never>
  const result = await lectern((c) => c.learning.progress.completeLesson({ lessonId: lessonId.right }))
  return mapOutcome(result, encodeLessonProgress)
}

// ---------------------------------------------------------------- heartbeats (the player's route)

/** A heartbeat as the player posts it, decoded with the contract's Schema, then forwarded as this session. */
export const forwardHeartbeat = async (body: unknown) => {
  const payload = decode(Learning.Heartbeat, body, "a heartbeat")
  if (Either.isLeft(payload)) return { ok: false, error: payload.left } as const
  const result = await lectern((c) => c.learning.progress.heartbeat(payload.right))
  return mapOutcome(result, encodeLessonProgress)
}

// ---------------------------------------------------------------- quizzes

export const beginQuiz = async (rawQuizId: string) => {
  const quizId = decode(QuizId, rawQuizId, "a quiz id")
  if (Either.isLeft(quizId)) return { ok: false, error: quizId.left } as const
  const result = await lectern((c) => c.learning.quiz.start({ quizId: quizId.right }))
  return mapOutcome(result, encodeAttempt)
}

export const handInQuiz = async (attemptId: unknown, answers: unknown) => {
  const input = decode(Quiz.SubmitInput, { attemptId, answers }, "a quiz submission")
  if (Either.isLeft(input)) return { ok: false, error: input.left } as const
  const result = await lectern((c) => c.learning.quiz.submit(input.right))
  return mapOutcome(result, encodeGraded)
}

// ---------------------------------------------------------------- assignments

export const assignmentsPage = async (rawCourseId: string): Promise<Outcome<AssignmentsPage>> => {
  const courseId = decode(CourseId, rawCourseId, "a course id")
  if (Either.isLeft(courseId)) return fail("CourseNotFound", "No such course.")
  const result = await lectern((c) =>
    Effect.gen(function* () {
      const [enrollment, assignments] = yield* Effect.all(
        [
          c.learning.enrollment.get({ courseId: courseId.right }),
          c.learning.assignment.list({ courseId: courseId.right })
        ],
        { concurrency: 2 }
      )
      const entries = yield* Effect.forEach(
        assignments,
        (assignment) =>
          c.learning.assignment.submissions({ assignmentId: assignment.id }).pipe(
            Effect.map((submissions) => ({
              assignment: encodeAssignment(assignment),
              submission: submissions[0] === undefined ? null : encodeSubmission(submissions[0])
            }))
          ),
        { concurrency: 4 }
      )
      return { courseId: courseId.right, courseTitle: enrollment.courseTitle, assignments: entries }
    })
  )
  return result
}

export const handInAssignment = async (assignmentId: unknown, text: unknown, attachments: unknown) => {
  const trimmed = typeof text === "string" ? text.trim() : ""
  const input = decode(
    AssignmentContract.SubmitInput,
    { assignmentId, attachments, ...(trimmed.length > 0 ? { text: trimmed } : {}) },
    "a submission"
  )
  if (Either.isLeft(input)) {
    return fail("InvalidInput", "Write an answer or attach at least one file (at most 10 files).")
  }
  const result = await lectern((c) => c.learning.assignment.submit(input.right))
  return mapOutcome(result, encodeSubmission)
}

// ---------------------------------------------------------------- certificates

export const myCertificates = async () => {
  const result = await lectern((c) => c.learning.certificate.mine())
  return mapOutcome(result, encodeCertificates)
}

/** The certificate's PDF path at the learning service, when the caller holds it (a typed failure otherwise). */
export const certificatePdfPath = async (id: string) => {
  const result = await lectern((c) => c.learning.certificate.get({ id: id.slice(0, 64) }))
  return mapOutcome(result, (document) => document.pdfUrl)
}
