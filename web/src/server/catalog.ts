// Catalog and learning calls on the server: URL parameters → typed payloads, results → plain encoded data.
import "server-only"
import { Catalog, Learning } from "@lectern/contracts"
import { Cursor, Language, Level } from "@lectern/domain"
import { redirect } from "@solidjs/router"
import { Effect, Either, Schema } from "effect"
import type { CoursePage, SearchParams } from "../lib/catalog.ts"
import type { FormFailure, Outcome } from "../lib/outcome.ts"
import { hasSession, lectern, markPublicPage } from "./lectern.ts"

const encodeCategories = Schema.encodeSync(Schema.Array(Catalog.Category))
const encodeSearchPage = Schema.encodeSync(Catalog.SearchPage)
const encodeVerification = Schema.encodeSync(Learning.CertificateVerification)

/** A URL parameter decoded with its Schema, or undefined when absent or not valid. */
const optional = <A, I>(schema: Schema.Schema<A, I>, value: unknown): A | undefined => {
  if (value === undefined || value === "") return undefined
  const decoded = Schema.decodeUnknownEither(schema)(value)
  return Either.isRight(decoded) ? decoded.right : undefined
}

const mapOutcome = <A, B>(outcome: Outcome<A>, f: (a: A) => B): Outcome<B> =>
  outcome.ok ? { ok: true, value: f(outcome.value) } : outcome

export const categories = async () =>
  mapOutcome(await lectern((c) => c.catalog.category.list()), (list) => encodeCategories(list))

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

export const search = async (params: SearchParams) => {
  const result = await lectern((c) =>
    Effect.gen(function* () {
      const payload: Mutable<typeof Catalog.CourseSearch.Type> = {}
      const q = params.q?.trim().slice(0, 200)
      if (q) payload.q = q
      // The URL names a category by its slug; the catalog filters by id.
      if (params.category) {
        const category = (yield* c.catalog.category.list()).find(({ slug }) => slug === params.category)
        if (category) payload.categoryId = category.id
      }
      const level = optional(Level, params.level)
      if (level) payload.level = level
      const language = optional(Language, params.language)
      if (language) payload.language = language
      const price = optional(Catalog.PriceFilter, params.price)
      if (price) payload.price = price
      const minRating = optional(Schema.NumberFromString.pipe(Schema.between(0, 5)), params.rating)
      if (minRating !== undefined) payload.minRating = minRating
      const sort = optional(Catalog.SearchSort, params.sort)
      if (sort) payload.sort = sort
      const cursor = optional(Cursor, params.cursor)
      if (cursor) payload.cursor = cursor
      if (params.limit !== undefined) payload.limit = params.limit
      return yield* c.catalog.course.search(payload)
    })
  )
  return mapOutcome(result, (page) => encodeSearchPage(page))
}

export const coursePage = async (slug: string): Promise<Outcome<CoursePage>> => {
  const decoded = Schema.decodeUnknownEither(Catalog.CourseRef)({ slug })
  if (Either.isLeft(decoded)) return { ok: false, error: { _tag: "CourseNotFound", message: "No such course." } }
  // Encoded answers: the page gets them as JSON data anyway, so they are not decoded here to be encoded again.
  const detail = await lectern((c) => c.encoded.catalog.course.get(decoded.right))
  if (!detail.ok) return detail
  const courseId = Catalog.Course.fields.id.make(detail.value.course.id)
  // An anonymous visitor's course page is every anonymous visitor's: the gateway may serve it again for a moment.
  markPublicPage()
  // Without a session cookie nobody is enrolled: no call needed to know it.
  const [related, enrolled] = await Promise.all([
    lectern((c) => c.encoded.catalog.course.related({ id: courseId, limit: 4 })),
    hasSession()
      ? lectern((c) => c.learning.enrollment.get({ courseId })).then((enrollment) => enrollment.ok)
      : Promise.resolve(false)
  ])
  return {
    ok: true,
    value: {
      detail: detail.value,
      related: related.ok ? related.value : [],
      enrolled
    }
  }
}

export const enrollIn = async (form: FormData): Promise<FormFailure> => {
  const slug = String(form.get("slug") ?? "")
  const courseId = Schema.decodeUnknownEither(Catalog.Course.fields.id)(form.get("courseId"))
  if (Either.isLeft(courseId)) return { field: undefined, message: "This course cannot be found.", tag: "InvalidInput" }
  const enrolled = await lectern((c) => c.learning.enrollment.enroll({ courseId: courseId.right }))
  if (enrolled.ok) throw redirect(`/courses/${encodeURIComponent(slug)}?enrolled=1`)
  switch (enrolled.error._tag) {
    case "Unauthorized":
      throw redirect(`/login?next=${encodeURIComponent(`/courses/${slug}`)}`)
    case "PaymentRequired":
      return { field: undefined, message: "This is a paid course; checkout is not open yet.", tag: "PaymentRequired" }
    case "CourseNotAvailable":
      return { field: undefined, message: "This course is not open for enrollment.", tag: "CourseNotAvailable" }
    default:
      return { field: undefined, message: enrolled.error.message || "Enrolling failed.", tag: enrolled.error._tag }
  }
}

export const verify = async (code: string) =>
  mapOutcome(await lectern((c) => c.learning.certificate.verify({ code: code.slice(0, 100) })), (result) =>
    encodeVerification(result)
  )
