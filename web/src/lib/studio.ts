// Studio server functions and their data: the creator application, courses, curriculum, lessons, media, quizzes,
// assignments, grading and the roster. Each runs on the server (`"use server"`) through web/src/server/studio.ts.
import type { Auth, Catalog, Learning, Media } from "@lectern/contracts"
import type * as Assignment from "@lectern/contracts/LearningAssignment"
import type * as Quiz from "@lectern/contracts/LearningQuiz"
import { action, json, query } from "@solidjs/router"
import type { FormFailure, Outcome } from "./outcome.ts"

export type CourseView = typeof Catalog.Course.Encoded
export type CourseDetailView = typeof Catalog.CourseDetail.Encoded
export type SectionView = typeof Catalog.Section.Encoded
export type LessonView = typeof Catalog.Lesson.Encoded
export type TransitionView = typeof Catalog.Transition.Encoded
export type CategoryView = typeof Catalog.Category.Encoded
export type ApplicationView = typeof Auth.CreatorApplication.Encoded
export type MediaView = typeof Media.Media.Encoded
export type QuizView = typeof Quiz.Quiz.Encoded
export type QuestionDraft = typeof Quiz.QuestionInput.Encoded
export type QuizSettingsDraft = typeof Quiz.QuizSettings.Encoded
export type AssignmentView = typeof Assignment.Assignment.Encoded
export type SubmissionView = typeof Assignment.Submission.Encoded
export type RosterPageView = typeof Learning.RosterPage.Encoded
export type LessonContentDraft = typeof Catalog.LessonContentInput.Encoded

export interface StudioViewer {
  readonly id: string
  readonly name: string
  readonly role: "learner" | "creator" | "admin"
}

export interface StudioHome {
  readonly viewer: StudioViewer
  readonly application: ApplicationView | null
  /** Null for learners (no courses of their own yet). */
  readonly courses: ReadonlyArray<CourseView> | null
}

/** One of the course's quizzes, and the lesson that shows it (null when none does). */
export interface QuizEntry {
  readonly id: string
  readonly title: string
  readonly questionCount: number
  readonly lessonTitle: string | null
}

export interface CourseEditor {
  readonly detail: CourseDetailView
  readonly history: ReadonlyArray<TransitionView>
  readonly categories: ReadonlyArray<CategoryView>
  /** Null when learning did not answer. */
  readonly quizzes: ReadonlyArray<QuizEntry> | null
}

export interface LessonEditor {
  readonly detail: CourseDetailView
  /** Null on the "new lesson" page. */
  readonly lesson: LessonView | null
  readonly media: MediaView | null
  readonly quiz: QuizView | null
}

/** A lesson to create in `sectionId`, or to change (`lessonId`). */
export type LessonSave = {
  readonly title: string
  readonly isPreview: boolean
  readonly content: LessonContentDraft
} & ({ readonly sectionId: string; readonly lessonId?: undefined } | { readonly lessonId: string })

export type QuizSave = {
  readonly courseId: string
  readonly quizId: string | undefined
  readonly lessonTitle: string
  readonly isPreview: boolean
  readonly questions: ReadonlyArray<QuestionDraft>
  readonly settings: QuizSettingsDraft
} & ({ readonly sectionId: string; readonly lessonId?: undefined } | { readonly lessonId: string })

/**
 * What an action answers: a failure goes back without refreshing the page's queries, so the page keeps what the
 * person typed next to the message; anything else refreshes them as usual.
 */
export const settle = <A>(result: A): A => {
  const failed =
    typeof result === "object" &&
    result !== null &&
    (("tag" in result && typeof result.tag === "string") || ("ok" in result && result.ok === false))
  // The router hands the page the response's value, so the action's type stays the value's.
  return failed ? (json(result, { revalidate: "nothing" }) as unknown as A) : result
}

export const getStudioHome = query(async (): Promise<Outcome<StudioHome>> => {
  "use server"
  const { studioHome } = await import("../server/studio.ts")
  return studioHome()
}, "studioHome")

export const applyAsCreator = action(async (form: FormData): Promise<FormFailure | { readonly applied: true }> => {
  "use server"
  const { applyAsCreator } = await import("../server/studio.ts")
  return settle(await applyAsCreator(form))
}, "applyAsCreator")

export const getNewCourseForm = query(async (): Promise<Outcome<ReadonlyArray<CategoryView>>> => {
  "use server"
  const { newCourseForm } = await import("../server/studio.ts")
  return newCourseForm()
}, "newCourseForm")

export const createCourse = action(async (form: FormData): Promise<FormFailure> => {
  "use server"
  const { createCourse } = await import("../server/studio.ts")
  return settle(await createCourse(form))
}, "createCourse")

export const getCourseEditor = query(async (id: string): Promise<Outcome<CourseEditor>> => {
  "use server"
  const { courseEditor } = await import("../server/studio.ts")
  return courseEditor(id)
}, "courseEditor")

export const updateCourse = action(async (form: FormData): Promise<FormFailure | { readonly saved: true }> => {
  "use server"
  const { updateCourse } = await import("../server/studio.ts")
  return settle(await updateCourse(form))
}, "updateCourse")

export const submitForReview = action(async (form: FormData): Promise<FormFailure | { readonly submitted: true }> => {
  "use server"
  const { submitForReview } = await import("../server/studio.ts")
  return settle(await submitForReview(form))
}, "submitForReview")

export const addSection = action(async (form: FormData): Promise<FormFailure | { readonly added: true }> => {
  "use server"
  const { addSection } = await import("../server/studio.ts")
  return settle(await addSection(form))
}, "addSection")

export const renameSection = action(async (form: FormData): Promise<FormFailure | { readonly saved: true }> => {
  "use server"
  const { renameSection } = await import("../server/studio.ts")
  return settle(await renameSection(form))
}, "renameSection")

export const deleteSection = action(async (form: FormData): Promise<FormFailure | { readonly deleted: true }> => {
  "use server"
  const { deleteSection } = await import("../server/studio.ts")
  return settle(await deleteSection(form))
}, "deleteSection")

export const deleteQuiz = action(async (form: FormData): Promise<FormFailure | { readonly deleted: true }> => {
  "use server"
  const { deleteQuiz } = await import("../server/studio.ts")
  return settle(await deleteQuiz(form))
}, "deleteQuiz")

export const deleteLesson = action(async (form: FormData): Promise<FormFailure | { readonly deleted: true }> => {
  "use server"
  const { deleteLesson } = await import("../server/studio.ts")
  return settle(await deleteLesson(form))
}, "deleteLesson")

export interface ReorderPayload {
  readonly courseId: string
  readonly sections: ReadonlyArray<{ readonly id: string; readonly lessonIds: ReadonlyArray<string> }>
}

export const reorderCurriculum = action(
  async (payload: ReorderPayload): Promise<FormFailure | { readonly saved: true }> => {
    "use server"
    const { reorder } = await import("../server/studio.ts")
    // The editor already shows the new order: nothing to refresh, and the moved item keeps the keyboard's focus.
    return json(await reorder(payload), { revalidate: "nothing" }) as unknown as FormFailure | { readonly saved: true }
  },
  "reorderCurriculum"
)

export const getLessonEditor = query(async (courseId: string, lessonId: string): Promise<Outcome<LessonEditor>> => {
  "use server"
  const { lessonEditor } = await import("../server/studio.ts")
  return lessonEditor(courseId, lessonId)
}, "lessonEditor")

export const saveLesson = action(async (save: LessonSave): Promise<Outcome<{ readonly lessonId: string }>> => {
  "use server"
  const { saveLesson } = await import("../server/studio.ts")
  return settle(await saveLesson(save))
}, "saveLesson")

export const saveQuiz = action(async (save: QuizSave): Promise<Outcome<{ readonly lessonId: string }>> => {
  "use server"
  const { saveQuiz } = await import("../server/studio.ts")
  return settle(await saveQuiz(save))
}, "saveQuiz")

export const createMedia = async (payload: {
  readonly uploadId: string
  readonly title: string
  readonly courseId: string
}): Promise<Outcome<MediaView>> => {
  "use server"
  const { createMedia } = await import("../server/studio.ts")
  return createMedia(payload)
}

/** Polled by the studio until the video is ready or failed. */
export const fetchMedia = async (id: string): Promise<Outcome<MediaView>> => {
  "use server"
  const { mediaStatus } = await import("../server/studio.ts")
  return mediaStatus(id)
}

export const retryMedia = async (id: string): Promise<Outcome<MediaView>> => {
  "use server"
  const { retryMedia } = await import("../server/studio.ts")
  return retryMedia(id)
}

export const uploadCaption = async (payload: {
  readonly mediaId: string
  readonly language: string
  readonly label: string
  readonly uploadId: string
}): Promise<Outcome<MediaView>> => {
  "use server"
  const { uploadCaption } = await import("../server/studio.ts")
  return uploadCaption(payload)
}

export const deleteCaption = async (payload: {
  readonly mediaId: string
  readonly language: string
}): Promise<Outcome<MediaView>> => {
  "use server"
  const { deleteCaption } = await import("../server/studio.ts")
  return deleteCaption(payload)
}

export const getAssignments = query(
  async (
    courseId: string
  ): Promise<Outcome<{ readonly course: CourseView; readonly assignments: ReadonlyArray<AssignmentView> }>> => {
    "use server"
    const { assignments } = await import("../server/studio.ts")
    return assignments(courseId)
  },
  "assignments"
)

export const saveAssignment = action(async (form: FormData): Promise<FormFailure | { readonly saved: true }> => {
  "use server"
  const { saveAssignment } = await import("../server/studio.ts")
  return settle(await saveAssignment(form))
}, "saveAssignment")

export const deleteAssignment = action(async (form: FormData): Promise<FormFailure | { readonly deleted: true }> => {
  "use server"
  const { deleteAssignment } = await import("../server/studio.ts")
  return settle(await deleteAssignment(form))
}, "deleteAssignment")

export const getSubmissions = query(async (assignmentId: string): Promise<Outcome<ReadonlyArray<SubmissionView>>> => {
  "use server"
  const { submissions } = await import("../server/studio.ts")
  return submissions(assignmentId)
}, "submissions")

export const gradeSubmission = action(async (form: FormData): Promise<FormFailure | { readonly graded: true }> => {
  "use server"
  const { gradeSubmission } = await import("../server/studio.ts")
  return settle(await gradeSubmission(form))
}, "gradeSubmission")

export const getRoster = query(
  async (
    courseId: string,
    cursor: string | undefined
  ): Promise<Outcome<{ readonly course: CourseView; readonly page: RosterPageView }>> => {
    "use server"
    const { roster } = await import("../server/studio.ts")
    return roster(courseId, cursor)
  },
  "roster"
)

export const STATUS_NAMES: Readonly<Record<string, string>> = {
  draft: "Draft",
  pending_review: "In review",
  published: "Published",
  rejected: "Changes requested",
  deleted: "Deleted"
}

export const KIND_NAMES: Readonly<Record<string, string>> = {
  video: "Video",
  embed: "Embedded video",
  article: "Article",
  quiz: "Quiz"
}

/** A short, stable label for a user the pages only know by id (no public profiles yet). */
export const shortId = (id: string) => id.slice(0, 8)

/** A learner as creators see them: their display name, or a short id for an account auth no longer knows. */
export const learnerLabel = (name: string | null, userId: string) => name ?? `Learner ${shortId(userId)}`
