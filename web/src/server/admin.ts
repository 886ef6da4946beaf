// The admin area on the server: creator applications, the course review queue, users, dead-letter events — each
// call as the signed-in admin, results encoded for the pages, failures as messages.
import "server-only"
import { Auth, Catalog, EventsAdmin } from "@lectern/contracts"
import { CourseId, CreatorApplicationId, Cursor, Role, Slug, UserId } from "@lectern/domain"
import { Either, Schema } from "effect"
import type { AdminUser, ApplicationsPage, ReviewQueue, UsersPage, UsersQuery } from "../lib/admin.ts"
import type { FormFailure, Outcome } from "../lib/outcome.ts"
import { lectern } from "./lectern.ts"
import { describe, failure, requireRole, text, validate } from "./studio.ts"

const encodeApplications = Schema.encodeSync(Schema.Array(Auth.CreatorApplication))
const encodeUsers = Schema.encodeSync(Schema.Array(Auth.User))
const encodeDetail = Schema.encodeSync(Catalog.CourseDetail)
const encodeQueueItem = Schema.encodeSync(Catalog.ReviewQueueItem)
const encodeDeadLetters = Schema.encodeSync(Schema.Array(EventsAdmin.DeadLetter))

const cursorOf = (value: string | undefined) => {
  if (!value) return {}
  const decoded = Schema.decodeUnknownEither(Cursor)(value)
  return Either.isRight(decoded) ? { cursor: decoded.right } : {}
}

/** Names and emails of the given users (`user.getMany`, 100 ids a call); ids of no user are left out. */
const usersById = async (ids: ReadonlyArray<string>): Promise<ReadonlyMap<string, AdminUser>> => {
  const wanted = [...new Set(ids)].flatMap((id) => {
    const decoded = Schema.decodeUnknownEither(UserId)(id)
    return Either.isRight(decoded) ? [decoded.right] : []
  })
  const found = new Map<string, AdminUser>()
  for (let start = 0; start < wanted.length; start += 100) {
    const users = await lectern((c) => c.auth.user.getMany({ ids: wanted.slice(start, start + 100) }))
    if (!users.ok) break
    for (const user of encodeUsers(users.value)) found.set(user.id, user)
  }
  return found
}

// ---------------------------------------------------------------- creator applications

export const applications = async (status: string | undefined, cursor: string | undefined) => {
  const admin = await requireRole("admin", "/admin/applications")
  if (!admin.ok) return admin
  const filter = Schema.decodeUnknownEither(Auth.CreatorApplicationStatus)(status ?? "pending")
  const page = await lectern((c) =>
    c.auth.creator.applications({
      ...(Either.isRight(filter) ? { status: filter.right } : {}),
      limit: 50,
      ...cursorOf(cursor)
    })
  )
  if (!page.ok) return page
  const items = encodeApplications(page.value.items)
  const applicants = await usersById(items.map((item) => item.userId))
  return {
    ok: true,
    value: {
      items: items.map((item) => ({ ...item, applicant: applicants.get(item.userId) ?? null })),
      nextCursor: page.value.nextCursor
    }
  } satisfies Outcome<ApplicationsPage>
}

export const decideApplication = async (form: FormData): Promise<FormFailure | { readonly decided: true }> => {
  const approve = text(form, "decision") === "approve"
  const input = validate(
    Schema.Struct({ applicationId: CreatorApplicationId, reviewerNotes: Schema.String.pipe(Schema.maxLength(5000)) }),
    { applicationId: text(form, "applicationId"), reviewerNotes: text(form, "reviewerNotes").trim() }
  )
  if (Either.isLeft(input))
    return { ...input.left, field: input.left.field === undefined ? undefined : "reviewerNotes" }
  if (!approve && input.right.reviewerNotes === "") {
    return failure("reviewerNotes", "Say why, so the applicant knows what to change.")
  }
  const decided = await lectern((c) => c.auth.creator.decide({ ...input.right, approve }))
  if (!decided.ok) return describe(decided.error)
  return { decided: true }
}

// ---------------------------------------------------------------- the course review queue

const courseRef = (value: string) => {
  const trimmed = value.trim()
  // A pasted link to a course page or a studio page works too.
  const fromPath = /\/(?:courses|studio\/courses)\/([^/?#]+)/.exec(trimmed)?.[1] ?? trimmed
  const id = Schema.decodeUnknownEither(CourseId)(fromPath)
  if (Either.isRight(id)) return { id: id.right }
  const slug = Schema.decodeUnknownEither(Slug)(fromPath)
  return Either.isRight(slug) ? { slug: slug.right } : undefined
}

/** Queue entries per page: each is shown with its curriculum, read with `course.get`. */
const QUEUE_PAGE = 10

/**
 * Courses waiting for review (`course.reviewQueue`: oldest submission first, a page at a time from `cursor`), each
 * with its curriculum, plus one looked up by link, slug or id (`lookup`), whatever its status.
 */
export const reviewQueue = async (
  lookup: string | undefined,
  cursor: string | undefined
): Promise<Outcome<ReviewQueue>> => {
  const admin = await requireRole("admin", "/admin/reviews")
  if (!admin.ok) return admin
  const queue = await lectern((c) => c.catalog.course.reviewQueue({ limit: QUEUE_PAGE, ...cursorOf(cursor) }))
  if (!queue.ok) return queue
  const details = await Promise.all(
    queue.value.items.map((item) => lectern((c) => c.catalog.course.get({ id: item.course.id })))
  )
  const pending: Array<ReviewQueue["pending"][number]> = []
  for (const [index, item] of queue.value.items.entries()) {
    const detail = details[index]
    // Decided or deleted between the two reads: no longer waiting.
    if (detail?.ok && detail.value.course.status === "pending_review") {
      pending.push({ ...encodeQueueItem(item), detail: encodeDetail(detail.value) })
    }
  }
  let found: ReviewQueue["found"] = null
  let lookupProblem: string | null = null
  if (lookup !== undefined && lookup.trim() !== "") {
    const ref = courseRef(lookup)
    const detail = ref === undefined ? undefined : await lectern((c) => c.catalog.course.get(ref))
    if (detail?.ok) found = encodeDetail(detail.value)
    else lookupProblem = "No course with this link, slug or id."
  }
  const owners = await usersById(
    [...pending.map((entry) => entry.detail), ...(found ? [found] : [])].map((detail) => detail.course.ownerId)
  )
  return {
    ok: true,
    value: { pending, nextCursor: queue.value.nextCursor, found, lookupProblem, owners: Object.fromEntries(owners) }
  }
}

export const reviewCourse = async (form: FormData): Promise<FormFailure | { readonly reviewed: string }> => {
  const decision = text(form, "decision") === "approve" ? "approve" : "reject"
  const input = validate(Schema.Struct({ id: CourseId, feedback: Catalog.Feedback }), {
    id: text(form, "id"),
    feedback: text(form, "feedback").trim()
  })
  if (Either.isLeft(input)) return { ...input.left, field: "feedback" }
  if (decision === "reject" && input.right.feedback === "") {
    return failure("feedback", "A rejection needs feedback the creator can act on.")
  }
  const reviewed = await lectern((c) => c.catalog.course.review({ ...input.right, decision }))
  if (!reviewed.ok) return describe(reviewed.error)
  return { reviewed: decision === "approve" ? "published" : "rejected" }
}

// ---------------------------------------------------------------- users

export const users = async (query: UsersQuery): Promise<Outcome<UsersPage>> => {
  const admin = await requireRole("admin", "/admin/users")
  if (!admin.ok) return admin
  const role = Schema.decodeUnknownEither(Role)(query.role)
  const q = query.q?.trim().slice(0, 200)
  const page = await lectern((c) =>
    c.auth.user.list({
      ...(q ? { q } : {}),
      ...(Either.isRight(role) ? { role: role.right } : {}),
      ...(query.banned === "yes" ? { banned: true } : query.banned === "no" ? { banned: false } : {}),
      limit: 25,
      ...cursorOf(query.cursor)
    })
  )
  if (!page.ok) return page
  return { ok: true, value: { items: encodeUsers(page.value.items), nextCursor: page.value.nextCursor } }
}

export const setRole = async (form: FormData): Promise<FormFailure | { readonly saved: true }> => {
  const input = validate(Schema.Struct({ userId: UserId, role: Role }), {
    userId: text(form, "userId"),
    role: text(form, "role")
  })
  if (Either.isLeft(input)) return { ...input.left, field: "role" }
  const updated = await lectern((c) => c.auth.user.setRole(input.right))
  if (!updated.ok) return describe(updated.error)
  return { saved: true }
}

export const setBanned = async (form: FormData): Promise<FormFailure | { readonly saved: true }> => {
  const banned = text(form, "banned") === "true"
  const input = validate(Schema.Struct({ userId: UserId, reason: Schema.String.pipe(Schema.maxLength(1000)) }), {
    userId: text(form, "userId"),
    reason: text(form, "reason").trim()
  })
  if (Either.isLeft(input)) return { ...input.left, field: "reason" }
  if (banned && input.right.reason === "") return failure("reason", "Give a reason for the ban.")
  const updated = await lectern((c) => c.auth.user.setBanned({ ...input.right, banned }))
  if (!updated.ok) return describe(updated.error)
  return { saved: true }
}

// ---------------------------------------------------------------- dead letters

export const deadLetters = async (group: string | undefined) => {
  const admin = await requireRole("admin", "/admin/events")
  if (!admin.ok) return admin
  const name = group?.trim()
  const letters = await lectern((c) => c.events.events.deadLetters(name ? { group: name.slice(0, 200) } : {}))
  if (!letters.ok) return letters
  return { ok: true, value: encodeDeadLetters(letters.value) } as const
}

export const redrive = async (form: FormData): Promise<FormFailure | { readonly redriven: true }> => {
  const input = validate(Schema.Struct({ id: EventsAdmin.DeadLetterId }), { id: text(form, "id") })
  if (Either.isLeft(input)) return input.left
  const done = await lectern((c) => c.events.events.redrive(input.right))
  if (!done.ok) {
    return done.error._tag === "NotFound"
      ? failure(undefined, "This dead letter is gone: it was re-driven or removed already.", "NotFound")
      : describe(done.error)
  }
  return { redriven: true }
}

export const adminHome = async () => {
  const admin = await requireRole("admin", "/admin")
  if (!admin.ok) return admin
  const [pendingApplications, letters, queue] = await Promise.all([
    lectern((c) => c.auth.creator.applications({ status: "pending", limit: 100 })),
    lectern((c) => c.events.events.deadLetters({})),
    lectern((c) => c.catalog.course.reviewQueue({ limit: 100 }))
  ])
  return {
    ok: true,
    value: {
      name: admin.value.name,
      pendingApplications: pendingApplications.ok ? pendingApplications.value.items.length : null,
      deadLetters: letters.ok ? letters.value.length : null,
      reviewQueue: queue.ok ? { count: queue.value.items.length, more: queue.value.nextCursor !== null } : null
    }
  } as const
}
