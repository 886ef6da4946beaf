// Admin server functions and their data: creator applications, the review queue, users and dead-letter events.
// Each runs on the server (`"use server"`) through web/src/server/admin.ts.
import type { Auth, Catalog, EventsAdmin } from "@lectern/contracts"
import { action, query } from "@solidjs/router"
import type { FormFailure, Outcome } from "./outcome.ts"
import { type CourseDetailView, settle } from "./studio.ts"

export type AdminUser = typeof Auth.User.Encoded
export type DeadLetterView = typeof EventsAdmin.DeadLetter.Encoded

export interface ApplicationsPage {
  readonly items: ReadonlyArray<typeof Auth.CreatorApplication.Encoded & { readonly applicant: AdminUser | null }>
  readonly nextCursor: string | null
}

/** A course waiting for review: when it was submitted, its creator (with their current name) and its detail. */
export type ReviewQueueEntry = typeof Catalog.ReviewQueueItem.Encoded & { readonly detail: CourseDetailView }

export interface ReviewQueue {
  /** A page of the queue, oldest submission first. */
  readonly pending: ReadonlyArray<ReviewQueueEntry>
  /** The next page's cursor, when there is one. */
  readonly nextCursor: string | null
  /** The course looked up by link, slug or id, whatever its status. */
  readonly found: CourseDetailView | null
  readonly lookupProblem: string | null
  /** Owners by id, where auth's user list knew them. */
  readonly owners: Readonly<Record<string, AdminUser>>
}

export interface UsersQuery {
  readonly q?: string | undefined
  readonly role?: string | undefined
  readonly banned?: string | undefined
  readonly cursor?: string | undefined
}

export interface UsersPage {
  readonly items: ReadonlyArray<AdminUser>
  readonly nextCursor: string | null
}

export interface AdminHome {
  readonly name: string
  readonly pendingApplications: number | null
  readonly deadLetters: number | null
  /** Courses pending review (counted up to 100; `more` past that), null when the catalog did not answer. */
  readonly reviewQueue: { readonly count: number; readonly more: boolean } | null
}

export const getAdminHome = query(async (): Promise<Outcome<AdminHome>> => {
  "use server"
  const { adminHome } = await import("../server/admin.ts")
  return adminHome()
}, "adminHome")

export const getApplications = query(
  async (status: string | undefined, cursor: string | undefined): Promise<Outcome<ApplicationsPage>> => {
    "use server"
    const { applications } = await import("../server/admin.ts")
    return applications(status, cursor)
  },
  "applications"
)

export const decideApplication = action(async (form: FormData): Promise<FormFailure | { readonly decided: true }> => {
  "use server"
  const { decideApplication } = await import("../server/admin.ts")
  return settle(await decideApplication(form))
}, "decideApplication")

export const getReviewQueue = query(
  async (lookup: string | undefined, cursor: string | undefined): Promise<Outcome<ReviewQueue>> => {
    "use server"
    const { reviewQueue } = await import("../server/admin.ts")
    return reviewQueue(lookup, cursor)
  },
  "reviewQueue"
)

export const reviewCourse = action(async (form: FormData): Promise<FormFailure | { readonly reviewed: string }> => {
  "use server"
  const { reviewCourse } = await import("../server/admin.ts")
  return settle(await reviewCourse(form))
}, "reviewCourse")

export const getUsers = query(async (filter: UsersQuery): Promise<Outcome<UsersPage>> => {
  "use server"
  const { users } = await import("../server/admin.ts")
  return users(filter)
}, "adminUsers")

export const setUserRole = action(async (form: FormData): Promise<FormFailure | { readonly saved: true }> => {
  "use server"
  const { setRole } = await import("../server/admin.ts")
  return settle(await setRole(form))
}, "setUserRole")

export const setUserBanned = action(async (form: FormData): Promise<FormFailure | { readonly saved: true }> => {
  "use server"
  const { setBanned } = await import("../server/admin.ts")
  return settle(await setBanned(form))
}, "setUserBanned")

export const getDeadLetters = query(
  async (group: string | undefined): Promise<Outcome<ReadonlyArray<DeadLetterView>>> => {
    "use server"
    const { deadLetters } = await import("../server/admin.ts")
    return deadLetters(group)
  },
  "deadLetters"
)

export const redriveDeadLetter = action(async (form: FormData): Promise<FormFailure | { readonly redriven: true }> => {
  "use server"
  const { redrive } = await import("../server/admin.ts")
  return settle(await redrive(form))
}, "redriveDeadLetter")
