// The studio on the server: form fields and editor payloads → contract-checked calls as the signed-in creator, typed
// failures → messages for one field; the role guard and the queue of courses sent to review.
import "server-only"
import { Auth, Catalog, Learning, Media } from "@lectern/contracts"
import * as Assignment from "@lectern/contracts/LearningAssignment"
import * as Quiz from "@lectern/contracts/LearningQuiz"
import { CourseId, Cursor, hasRole, MediaId, QuizId, type Role } from "@lectern/domain"
import { redirect } from "@solidjs/router"
import { Either, ParseResult, Schema } from "effect"
import type { Failure, FormFailure, Outcome } from "../lib/outcome.ts"
import type {
  ApplicationView,
  CourseEditor,
  CourseView,
  LessonEditor,
  LessonSave,
  QuizSave,
  StudioHome,
  StudioViewer
} from "../lib/studio.ts"
import { currentAccessToken, hasSession, lectern, refreshNow } from "./lectern.ts"

const encodeCourse = Schema.encodeSync(Catalog.Course)
const encodeCourses = Schema.encodeSync(Schema.Array(Catalog.Course))
const encodeDetail = Schema.encodeSync(Catalog.CourseDetail)
const encodeHistory = Schema.encodeSync(Schema.Array(Catalog.Transition))
const encodeCategories = Schema.encodeSync(Schema.Array(Catalog.Category))
const encodeApplication = Schema.encodeSync(Auth.CreatorApplication)
const encodeMedia = Schema.encodeSync(Media.Media)
const encodeQuiz = Schema.encodeSync(Quiz.Quiz)
const encodeAssignments = Schema.encodeSync(Schema.Array(Assignment.Assignment))
const encodeSubmissions = Schema.encodeSync(Schema.Array(Assignment.Submission))
const encodeRoster = Schema.encodeSync(Learning.RosterPage)

// ---------------------------------------------------------------- forms and failures

export const text = (form: FormData, name: string) => {
  const value = form.get(name)
  return typeof value === "string" ? value : ""
}

export const failure = (field: string | undefined, message: string, tag = "InvalidInput"): FormFailure => ({
  field,
  message,
  tag
})

/** A payload decoded with its contract Schema, or the first problem as a failure naming its field path (`a.0.b`). */
export const validate = <A, I>(schema: Schema.Schema<A, I>, value: unknown): Either.Either<A, FormFailure> =>
  Either.mapLeft(
    Schema.decodeUnknownEither(schema, { errors: "first", onExcessProperty: "ignore" })(value),
    (error) => {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
      const field = issue === undefined || issue.path.length === 0 ? undefined : issue.path.map(String).join(".")
      return failure(field, readable(issue?.message ?? "This is not valid."))
    }
  )

/** Schema's own wording for a bare check (`Expected a string at least 1 character(s) long, actual ""`) made plain. */
const readable = (message: string) => {
  const atLeast = /at least (\d+) character/.exec(message)
  if (atLeast) return `Enter at least ${atLeast[1]} characters.`
  const atMost = /at most (\d+) character/.exec(message)
  if (atMost) return `Use at most ${atMost[1]} characters.`
  if (/^Expected .*actual/.test(message)) return "This value is not valid."
  return message.charAt(0).toUpperCase() + message.slice(1)
}

/** The message (and field, when one owns it) for every failure the studio and admin calls can answer. */
export const describe = (error: Failure, fields: Readonly<Record<string, string>> = {}): FormFailure => {
  const own = fields[error._tag]
  switch (error._tag) {
    case "Unauthorized":
      return failure(undefined, "Your session has ended. Sign in again.", error._tag)
    case "Forbidden":
      return failure(undefined, `You may not do this${error.message ? `: ${error.message}` : "."}`, error._tag)
    case "CourseLocked":
      return failure(undefined, "This course is waiting for review: it cannot change until it is decided.", error._tag)
    case "CourseNotReady":
      return failure(
        undefined,
        error.reason === "no_lessons"
          ? "Add at least one lesson before submitting."
          : "Some videos are still being processed. Submit once every video is ready.",
        error._tag
      )
    case "InvalidTransition":
      return failure(undefined, `This step is not possible now: ${error.message}.`, error._tag)
    case "CategoryNotFound":
      return failure("categoryId", "Choose one of the listed categories.", error._tag)
    case "CurriculumMismatch":
      return failure(undefined, "The curriculum changed elsewhere. Reload the page and try again.", error._tag)
    case "UploadIncomplete":
      return failure(undefined, "The upload has not finished: resume it, then try again.", error._tag)
    case "UploadNotFound":
      return failure(undefined, "The upload could not be found. Upload the file again.", error._tag)
    case "InvalidMedia":
      return failure("file", `Lectern cannot use this file: ${error.reason}.`, error._tag)
    case "InvalidCaption":
      return failure("captionFile", `These captions cannot be used: ${error.reason}.`, error._tag)
    case "MediaNotRetryable":
      return failure(undefined, "Only a failed video can be retried.", error._tag)
    case "ApplicationPending":
      return failure(undefined, "You already have an application waiting for a decision.", error._tag)
    case "EmailNotVerified":
      return failure(undefined, "Verify your email address before applying.", error._tag)
    case "AlreadyDecided":
      return failure(undefined, "This application was already decided.", error._tag)
    case "InvalidGrade":
      return failure("score", error.message || "This grade is not possible.", error._tag)
    case "EmbedNotSupported":
      return failure("url", "Use a YouTube, Dailymotion or Vimeo video link.", error._tag)
    case "InvalidInput":
      return failure(own, readable(error.message || "Something in this form is not valid."), error._tag)
    default:
      return failure(own, error.message || `This did not work (${error._tag}).`, error._tag)
  }
}

const notFound = (what: string): Failure => ({ _tag: "NotFound", message: `${what} could not be found.` })

// ---------------------------------------------------------------- who may use the studio

/** Reads the role claim of an access token without verifying it (the services verify); only to notice a stale role. */
const tokenRole = (token: string | undefined): string | undefined => {
  const payload = token?.split(".")[1]
  if (payload === undefined) return undefined
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"))
    return typeof claims === "object" && claims !== null && "role" in claims && typeof claims.role === "string"
      ? claims.role
      : undefined
  } catch {
    return undefined
  }
}

/**
 * The signed-in user when they have at least `required`; anyone else is sent to sign in (`next` brings them back),
 * or answered Forbidden. A role granted since the access token was issued (an approved application) is picked up
 * by refreshing the session, so the new creator can work at once.
 */
export const requireRole = async (required: Role, next: string): Promise<Outcome<StudioViewer>> => {
  const login = `/login?next=${encodeURIComponent(next)}`
  if (!hasSession()) throw redirect(login)
  const me = await lectern((c) => c.auth.user.me())
  if (!me.ok) throw redirect(login)
  const role = tokenRole(currentAccessToken())
  if (role !== undefined && role !== me.value.role) await refreshNow()
  const viewer: StudioViewer = { id: me.value.id, name: me.value.name, role: me.value.role }
  if (!hasRole(me.value.role, required)) {
    return {
      ok: false,
      error: {
        _tag: "Forbidden",
        message: required === "admin" ? "This area is for admins." : "This area is for creators.",
        role: me.value.role
      }
    }
  }
  return { ok: true, value: viewer }
}

const decodeCourseId = (value: unknown) => Schema.decodeUnknownEither(CourseId)(value)

// ---------------------------------------------------------------- the studio home and the creator application

export const studioHome = async (): Promise<Outcome<StudioHome>> => {
  const viewer = await requireRole("learner", "/studio")
  if (!viewer.ok) return viewer
  const application = await lectern((c) => c.auth.creator.myApplication())
  if (!application.ok) return application
  const mine = hasRole(viewer.value.role, "creator")
  const courses = mine ? await lectern((c) => c.catalog.course.mine()) : undefined
  if (courses !== undefined && !courses.ok) return courses
  return {
    ok: true,
    value: {
      viewer: viewer.value,
      application: application.value === null ? null : (encodeApplication(application.value) as ApplicationView),
      courses: courses === undefined ? null : (encodeCourses(courses.value) as ReadonlyArray<CourseView>)
    }
  }
}

const ApplyInput = Schema.Struct({
  bio: Schema.Trim.pipe(
    Schema.minLength(20, { message: () => "Tell us a little more: at least 20 characters." }),
    Schema.maxLength(5000, { message: () => "Keep it under 5,000 characters." })
  ),
  portfolioUrl: Schema.optional(
    Schema.String.pipe(Schema.pattern(/^https?:\/\/\S+$/, { message: () => "Enter a link starting with https://" }))
  ),
  experienceYears: Schema.NumberFromString.pipe(
    Schema.int({ message: () => "Enter whole years, from 0 to 80." }),
    Schema.between(0, 80, { message: () => "Enter whole years, from 0 to 80." })
  ),
  topics: Schema.Array(
    Schema.String.pipe(Schema.maxLength(60, { message: () => "A topic is at most 60 characters." }))
  ).pipe(
    Schema.minItems(1, { message: () => "Name at least one topic you would teach." }),
    Schema.maxItems(20, { message: () => "Name at most 20 topics." })
  )
})

const list = (value: string) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0)

export const applyAsCreator = async (form: FormData): Promise<FormFailure | { readonly applied: true }> => {
  const portfolio = text(form, "portfolioUrl").trim()
  const input = validate(ApplyInput, {
    bio: text(form, "bio"),
    ...(portfolio ? { portfolioUrl: portfolio } : {}),
    experienceYears: text(form, "experienceYears").trim() || "0",
    topics: list(text(form, "topics"))
  })
  if (Either.isLeft(input)) return input.left
  const applied = await lectern((c) => c.auth.creator.apply(input.right))
  if (!applied.ok) return describe(applied.error)
  return { applied: true }
}

// ---------------------------------------------------------------- courses

/** `19.99` in EUR → 1999 minor units; undefined when it is not an amount. */
const minorUnits = (value: string, currency: string): number | undefined => {
  const trimmed = value.trim().replace(",", ".")
  if (trimmed === "") return 0
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return undefined
  let digits = 2
  try {
    digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2
  } catch {
    return undefined
  }
  const [whole = "0", fraction = ""] = trimmed.split(".")
  if (fraction.length > digits) return undefined
  return Number(whole) * 10 ** digits + Number(fraction.padEnd(digits, "0") || "0")
}

/** The course form's fields as the contract's course fields, or the first problem. */
const courseFields = (form: FormData): Either.Either<Record<string, unknown>, FormFailure> => {
  const currency = text(form, "currency") || "EUR"
  const amount = minorUnits(text(form, "price"), currency)
  if (amount === undefined) return Either.left(failure("price", "Enter a price like 19.99, or 0 for a free course."))
  const subtitle = text(form, "subtitle").trim()
  return Either.right({
    title: text(form, "title"),
    subtitle: subtitle === "" ? null : subtitle,
    description: text(form, "description"),
    categoryId: text(form, "categoryId"),
    level: text(form, "level"),
    language: text(form, "language").trim(),
    price: { amount, currency },
    tags: list(text(form, "tags"))
  })
}

export const createCourse = async (form: FormData): Promise<FormFailure> => {
  const fields = courseFields(form)
  if (Either.isLeft(fields)) return fields.left
  const input = validate(Catalog.CourseCreate, fields.right)
  if (Either.isLeft(input)) return input.left
  const created = await lectern((c) => c.catalog.course.create(input.right))
  if (!created.ok) return describe(created.error)
  throw redirect(`/studio/courses/${created.value.id}?created=1`)
}

export const updateCourse = async (form: FormData): Promise<FormFailure | { readonly saved: true }> => {
  const fields = courseFields(form)
  if (Either.isLeft(fields)) return fields.left
  const input = validate(Catalog.CourseUpdate, { id: text(form, "id"), ...fields.right })
  if (Either.isLeft(input)) return input.left
  const updated = await lectern((c) => c.catalog.course.update(input.right))
  if (!updated.ok) return describe(updated.error)
  return { saved: true }
}

export const courseEditor = async (id: string): Promise<Outcome<CourseEditor>> => {
  const viewer = await requireRole("creator", `/studio/courses/${id}`)
  if (!viewer.ok) return viewer
  const courseId = decodeCourseId(id)
  if (Either.isLeft(courseId)) return { ok: false, error: notFound("This course") }
  const [detail, history, categories, quizzes] = await Promise.all([
    lectern((c) => c.catalog.course.get({ id: courseId.right })),
    lectern((c) => c.catalog.course.history({ id: courseId.right })),
    lectern((c) => c.catalog.category.list()),
    lectern((c) => c.learning.quiz.list({ courseId: courseId.right }))
  ])
  if (!detail.ok) return detail
  if (!detail.value.canEdit) return { ok: false, error: { _tag: "Forbidden", message: "This is not your course." } }
  if (!history.ok) return history
  if (!categories.ok) return categories
  // Which lesson shows each quiz: a quiz saved whose lesson was then not (or was deleted) is shown by none.
  const shownBy = new Map<string, string>()
  for (const lesson of detail.value.sections.flatMap((section) => section.lessons)) {
    if (lesson.content?.kind === "quiz") shownBy.set(lesson.content.quizId, lesson.title)
  }
  return {
    ok: true,
    value: {
      detail: encodeDetail(detail.value),
      history: encodeHistory(history.value),
      categories: encodeCategories(categories.value),
      quizzes: quizzes.ok
        ? quizzes.value.map((quiz) => ({
            id: quiz.id,
            title: quiz.title,
            questionCount: quiz.questions.length,
            lessonTitle: shownBy.get(quiz.id) ?? null
          }))
        : null
    }
  }
}

export const newCourseForm = async () => {
  const viewer = await requireRole("creator", "/studio/courses/new")
  if (!viewer.ok) return viewer
  const categories = await lectern((c) => c.catalog.category.list())
  if (!categories.ok) return categories
  return { ok: true, value: encodeCategories(categories.value) } as const
}

export const submitForReview = async (form: FormData): Promise<FormFailure | { readonly submitted: true }> => {
  const id = decodeCourseId(text(form, "id"))
  if (Either.isLeft(id)) return failure(undefined, "This course cannot be found.")
  const submitted = await lectern((c) => c.catalog.course.submitForReview({ id: id.right }))
  if (!submitted.ok) return describe(submitted.error)
  return { submitted: true }
}

// ---------------------------------------------------------------- sections, lessons, reordering

export const addSection = async (form: FormData): Promise<FormFailure | { readonly added: true }> => {
  const input = validate(Schema.Struct({ courseId: CourseId, title: Catalog.Title }), {
    courseId: text(form, "courseId"),
    title: text(form, "title")
  })
  if (Either.isLeft(input)) return input.left
  const created = await lectern((c) => c.catalog.section.create(input.right))
  if (!created.ok) return describe(created.error)
  return { added: true }
}

export const renameSection = async (form: FormData): Promise<FormFailure | { readonly saved: true }> => {
  const input = validate(Schema.Struct({ id: Catalog.Section.fields.id, title: Catalog.Title }), {
    id: text(form, "id"),
    title: text(form, "title")
  })
  if (Either.isLeft(input)) return input.left
  const updated = await lectern((c) => c.catalog.section.update(input.right))
  if (!updated.ok) return describe(updated.error)
  return { saved: true }
}

export const deleteSection = async (form: FormData): Promise<FormFailure | { readonly deleted: true }> => {
  const input = validate(Schema.Struct({ id: Catalog.Section.fields.id }), { id: text(form, "id") })
  if (Either.isLeft(input)) return input.left
  const deleted = await lectern((c) => c.catalog.section.delete(input.right))
  if (!deleted.ok) return describe(deleted.error)
  return { deleted: true }
}

export const deleteLesson = async (form: FormData): Promise<FormFailure | { readonly deleted: true }> => {
  const input = validate(Schema.Struct({ id: Catalog.Lesson.fields.id }), { id: text(form, "id") })
  if (Either.isLeft(input)) return input.left
  const deleted = await lectern((c) => c.catalog.lesson.delete(input.right))
  if (!deleted.ok) return describe(deleted.error)
  return { deleted: true }
}

const ReorderInput = Schema.Struct({
  courseId: CourseId,
  sections: Schema.Array(
    Schema.Struct({ id: Catalog.Section.fields.id, lessonIds: Schema.Array(Catalog.Lesson.fields.id) })
  )
})

export const reorder = async (payload: unknown): Promise<FormFailure | { readonly saved: true }> => {
  const input = validate(ReorderInput, payload)
  if (Either.isLeft(input)) return input.left
  const saved = await lectern((c) => c.catalog.curriculum.reorder(input.right))
  if (!saved.ok) return describe(saved.error)
  return { saved: true }
}

const lessonOf = (detail: Catalog.CourseDetail, lessonId: string) =>
  detail.sections.flatMap((section) => section.lessons).find((lesson) => lesson.id === lessonId)

export const lessonEditor = async (courseId: string, lessonId: string): Promise<Outcome<LessonEditor>> => {
  const viewer = await requireRole("creator", `/studio/courses/${courseId}/lessons/${lessonId}`)
  if (!viewer.ok) return viewer
  const id = decodeCourseId(courseId)
  if (Either.isLeft(id)) return { ok: false, error: notFound("This course") }
  const detail = await lectern((c) => c.catalog.course.get({ id: id.right }))
  if (!detail.ok) return detail
  if (!detail.value.canEdit) return { ok: false, error: { _tag: "Forbidden", message: "This is not your course." } }
  const encoded = encodeDetail(detail.value)
  if (lessonId === "new") return { ok: true, value: { detail: encoded, lesson: null, media: null, quiz: null } }
  const lesson = lessonOf(detail.value, lessonId)
  if (lesson === undefined) return { ok: false, error: notFound("This lesson") }
  const content = lesson.content
  let media: LessonEditor["media"] = null
  let quiz: LessonEditor["quiz"] = null
  if (content?.kind === "video") {
    const found = await lectern((c) => c.media.media.get({ id: content.mediaId }))
    if (found.ok) media = encodeMedia(found.value)
  }
  if (content?.kind === "quiz") {
    const found = await lectern((c) => c.learning.quiz.get({ id: content.quizId }))
    if (found.ok) quiz = encodeQuiz(found.value)
  }
  return {
    ok: true,
    value: {
      detail: encoded,
      lesson: encoded.sections.flatMap((section) => section.lessons).find((l) => l.id === lessonId) ?? null,
      media,
      quiz
    }
  }
}

const LessonContentFields = {
  title: Catalog.Title,
  isPreview: Schema.Boolean,
  content: Catalog.LessonContentInput
}
const LessonCreate = Schema.Struct({ sectionId: Catalog.Section.fields.id, ...LessonContentFields })
const LessonUpdate = Schema.Struct({ id: Catalog.Lesson.fields.id, ...LessonContentFields })

/** Creates a lesson (with `sectionId`) or changes one (with `lessonId`); answers the lesson's id. */
export const saveLesson = async (save: LessonSave): Promise<Outcome<{ readonly lessonId: string }>> => {
  const fields = { title: save.title, isPreview: save.isPreview, content: save.content }
  if (save.lessonId !== undefined) {
    const input = validate(LessonUpdate, { id: save.lessonId, ...fields })
    if (Either.isLeft(input)) return formOutcome(input.left)
    const updated = await lectern((c) => c.catalog.lesson.update(input.right))
    if (!updated.ok) return formOutcome(describe(updated.error))
    return { ok: true, value: { lessonId: updated.value.id } }
  }
  const input = validate(LessonCreate, { sectionId: save.sectionId, ...fields })
  if (Either.isLeft(input)) return formOutcome(input.left)
  const created = await lectern((c) => c.catalog.lesson.create(input.right))
  if (!created.ok) return formOutcome(describe(created.error))
  return { ok: true, value: { lessonId: created.value.id } }
}

/** A form failure carried as an outcome's error: its tag, message and field. */
const formOutcome = (form: FormFailure): { readonly ok: false; readonly error: Failure } => ({
  ok: false,
  error: { _tag: form.tag, message: form.message, ...(form.field === undefined ? {} : { field: form.field }) }
})

// ---------------------------------------------------------------- quizzes

/** Creates or replaces the quiz, then creates or updates its lesson; answers the lesson's id. */
export const saveQuiz = async (save: QuizSave): Promise<Outcome<{ readonly lessonId: string }>> => {
  const title = validate(Catalog.Title, save.lessonTitle)
  if (Either.isLeft(title)) return formOutcome({ ...title.left, field: "lessonTitle" })
  let quizId: string
  if (save.quizId === undefined) {
    const input = validate(Quiz.QuizInput, {
      courseId: save.courseId,
      title: save.lessonTitle,
      questions: save.questions,
      settings: save.settings
    })
    if (Either.isLeft(input)) return formOutcome(input.left)
    const created = await lectern((c) => c.learning.quiz.create(input.right))
    if (!created.ok) return formOutcome(describe(created.error))
    quizId = created.value.id
  } else {
    const input = validate(Quiz.QuizUpdate, {
      id: save.quizId,
      title: save.lessonTitle,
      questions: save.questions,
      settings: save.settings
    })
    if (Either.isLeft(input)) return formOutcome(input.left)
    const updated = await lectern((c) => c.learning.quiz.update(input.right))
    if (!updated.ok) return formOutcome(describe(updated.error))
    quizId = updated.value.id
  }
  return saveLesson({
    ...(save.lessonId === undefined ? { sectionId: save.sectionId } : { lessonId: save.lessonId }),
    title: save.lessonTitle,
    isPreview: save.isPreview,
    content: { kind: "quiz", quizId }
  })
}

/** Deletes a quiz no lesson shows (the course editor offers it only for those). */
export const deleteQuiz = async (form: FormData): Promise<FormFailure | { readonly deleted: true }> => {
  const input = validate(Schema.Struct({ id: QuizId }), { id: text(form, "id") })
  if (Either.isLeft(input)) return input.left
  const deleted = await lectern((c) => c.learning.quiz.delete(input.right))
  if (!deleted.ok) return describe(deleted.error)
  return { deleted: true }
}

// ---------------------------------------------------------------- media and captions

export const createMedia = async (payload: {
  readonly uploadId: string
  readonly title: string
  readonly courseId: string
}): Promise<Outcome<typeof Media.Media.Encoded>> => {
  const input = validate(Schema.Struct({ uploadId: Media.UploadId, title: Catalog.Title, courseId: CourseId }), payload)
  if (Either.isLeft(input)) return formOutcome(input.left)
  const created = await lectern((c) => c.media.media.create(input.right))
  if (!created.ok) return formOutcome(describe(created.error))
  return { ok: true, value: encodeMedia(created.value) }
}

export const mediaStatus = async (id: string): Promise<Outcome<typeof Media.Media.Encoded>> => {
  const mediaId = Schema.decodeUnknownEither(MediaId)(id)
  if (Either.isLeft(mediaId)) return { ok: false, error: notFound("This video") }
  const found = await lectern((c) => c.media.media.get({ id: mediaId.right }))
  return found.ok ? { ok: true, value: encodeMedia(found.value) } : found
}

export const retryMedia = async (id: string): Promise<Outcome<typeof Media.Media.Encoded>> => {
  const mediaId = Schema.decodeUnknownEither(MediaId)(id)
  if (Either.isLeft(mediaId)) return { ok: false, error: notFound("This video") }
  const retried = await lectern((c) => c.media.media.retry({ id: mediaId.right }))
  if (!retried.ok) return formOutcome(describe(retried.error))
  return { ok: true, value: encodeMedia(retried.value) }
}

export const uploadCaption = async (payload: {
  readonly mediaId: string
  readonly language: string
  readonly label: string
  readonly uploadId: string
}): Promise<Outcome<typeof Media.Media.Encoded>> => {
  const input = validate(
    Schema.Struct({
      mediaId: MediaId,
      language: Media.CaptionLanguage,
      label: Media.CaptionLabel,
      uploadId: Media.UploadId
    }),
    payload
  )
  if (Either.isLeft(input)) return formOutcome(input.left)
  const media = await lectern((c) => c.media.caption.upload(input.right))
  if (!media.ok) return formOutcome(describe(media.error))
  return { ok: true, value: encodeMedia(media.value) }
}

export const deleteCaption = async (payload: {
  readonly mediaId: string
  readonly language: string
}): Promise<Outcome<typeof Media.Media.Encoded>> => {
  const input = validate(Schema.Struct({ mediaId: MediaId, language: Media.CaptionLanguage }), payload)
  if (Either.isLeft(input)) return formOutcome(input.left)
  const media = await lectern((c) => c.media.caption.delete(input.right))
  if (!media.ok) return formOutcome(describe(media.error))
  return { ok: true, value: encodeMedia(media.value) }
}

// ---------------------------------------------------------------- assignments, grading, the roster

export const assignments = async (courseId: string) => {
  const viewer = await requireRole("creator", `/studio/courses/${courseId}/assignments`)
  if (!viewer.ok) return viewer
  const id = decodeCourseId(courseId)
  if (Either.isLeft(id)) return { ok: false, error: notFound("This course") } as const
  const [detail, list] = await Promise.all([
    lectern((c) => c.catalog.course.get({ id: id.right })),
    lectern((c) => c.learning.assignment.list({ courseId: id.right }))
  ])
  if (!detail.ok) return detail
  if (!detail.value.canEdit)
    return { ok: false, error: { _tag: "Forbidden", message: "This is not your course." } } as const
  if (!list.ok) return list
  return {
    ok: true,
    value: { course: encodeCourse(detail.value.course), assignments: encodeAssignments(list.value) }
  } as const
}

/** `2026-12-01T17:00` from a datetime-local input (read as UTC) → an ISO instant; "" → none. */
const dueDate = (value: string): string | null | undefined => {
  if (value.trim() === "") return null
  const date = new Date(`${value.trim()}${/Z|[+-]\d\d:\d\d$/.test(value) ? "" : "Z"}`)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

export const saveAssignment = async (form: FormData): Promise<FormFailure | { readonly saved: true }> => {
  const due = dueDate(text(form, "dueAt"))
  if (due === undefined) return failure("dueAt", "Enter a date and time, or leave it empty.")
  const fields = {
    title: text(form, "title"),
    instructions: text(form, "instructions"),
    rubric: text(form, "rubric"),
    maxScore: Number(text(form, "maxScore") || Number.NaN)
  }
  const id = text(form, "id")
  if (id === "") {
    const input = validate(Assignment.AssignmentInput, {
      courseId: text(form, "courseId"),
      ...fields,
      ...(due === null ? {} : { dueAt: due })
    })
    if (Either.isLeft(input)) return input.left
    const created = await lectern((c) => c.learning.assignment.create(input.right))
    if (!created.ok) return describe(created.error)
    return { saved: true }
  }
  const input = validate(Assignment.AssignmentUpdate, { id, ...fields, dueAt: due })
  if (Either.isLeft(input)) return input.left
  const updated = await lectern((c) => c.learning.assignment.update(input.right))
  if (!updated.ok) return describe(updated.error)
  return { saved: true }
}

export const deleteAssignment = async (form: FormData): Promise<FormFailure | { readonly deleted: true }> => {
  const input = validate(Schema.Struct({ id: Assignment.AssignmentId }), { id: text(form, "id") })
  if (Either.isLeft(input)) return input.left
  const deleted = await lectern((c) => c.learning.assignment.delete(input.right))
  if (!deleted.ok) return describe(deleted.error)
  return { deleted: true }
}

export const submissions = async (assignmentId: string) => {
  const id = Schema.decodeUnknownEither(Assignment.AssignmentId)(assignmentId)
  if (Either.isLeft(id)) return { ok: false, error: notFound("This assignment") } as const
  const found = await lectern((c) => c.learning.assignment.submissions({ assignmentId: id.right }))
  return found.ok ? ({ ok: true, value: encodeSubmissions(found.value) } as const) : found
}

export const gradeSubmission = async (form: FormData): Promise<FormFailure | { readonly graded: true }> => {
  const score = text(form, "score").trim().replace(",", ".")
  if (!/^\d+(\.\d+)?$/.test(score)) return failure("score", "Enter a score like 8 or 8.5.")
  const input = validate(Assignment.GradeInput, {
    submissionId: text(form, "submissionId"),
    score: Number(score),
    feedback: text(form, "feedback")
  })
  if (Either.isLeft(input)) return input.left
  const graded = await lectern((c) => c.learning.assignment.grade(input.right))
  if (!graded.ok) return describe(graded.error)
  return { graded: true }
}

export const roster = async (courseId: string, cursor: string | undefined) => {
  const viewer = await requireRole("creator", `/studio/courses/${courseId}/roster`)
  if (!viewer.ok) return viewer
  const id = decodeCourseId(courseId)
  if (Either.isLeft(id)) return { ok: false, error: notFound("This course") } as const
  const detail = await lectern((c) => c.catalog.course.get({ id: id.right }))
  if (!detail.ok) return detail
  const page = await lectern((c) =>
    c.learning.enrollment.roster({
      courseId: id.right,
      limit: 50,
      ...(cursor ? { cursor: Schema.decodeSync(Cursor)(cursor.slice(0, 512)) } : {})
    })
  )
  if (!page.ok) return page
  return {
    ok: true,
    value: { course: encodeCourse(detail.value.course), page: encodeRoster(page.value) }
  } as const
}
