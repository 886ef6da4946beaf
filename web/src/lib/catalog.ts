// Catalog and learning server functions the public pages use: search, a course, categories, enroll, verify.

import type { Catalog, Learning } from "@lectern/contracts"
import { action, query } from "@solidjs/router"
import type { FormFailure, Outcome } from "./outcome.ts"

export type CourseCard = typeof Catalog.CourseCard.Encoded
export type SearchPage = typeof Catalog.SearchPage.Encoded
export type CourseDetail = typeof Catalog.CourseDetail.Encoded
export type Category = typeof Catalog.Category.Encoded
export type Verification = typeof Learning.CertificateVerification.Encoded

/** The browse page's query as the URL carries it; every field optional, unknown values are ignored. */
export interface SearchParams {
  readonly q?: string | undefined
  readonly category?: string | undefined
  readonly level?: string | undefined
  readonly language?: string | undefined
  readonly price?: string | undefined
  /** The least average rating, 0–5 (catalog's `minRating`). */
  readonly rating?: string | undefined
  readonly sort?: string | undefined
  readonly cursor?: string | undefined
  readonly limit?: number | undefined
}

export const getCategories = query(async (): Promise<Outcome<ReadonlyArray<Category>>> => {
  "use server"
  const { categories } = await import("../server/catalog.ts")
  return categories()
}, "categories")

export const searchCourses = query(async (params: SearchParams): Promise<Outcome<SearchPage>> => {
  "use server"
  const { search } = await import("../server/catalog.ts")
  return search(params)
}, "search")

/** The course page: the course with its curriculum, related courses, and whether the viewer is enrolled. */
export interface CoursePage {
  readonly detail: CourseDetail
  readonly related: ReadonlyArray<CourseCard>
  readonly enrolled: boolean
}

export const getCoursePage = query(async (slug: string): Promise<Outcome<CoursePage>> => {
  "use server"
  const { coursePage } = await import("../server/catalog.ts")
  return coursePage(slug)
}, "course")

export const enroll = action(async (form: FormData): Promise<FormFailure> => {
  "use server"
  const { enrollIn } = await import("../server/catalog.ts")
  return enrollIn(form)
}, "enroll")

export const verifyCertificate = query(async (code: string): Promise<Outcome<Verification>> => {
  "use server"
  const { verify } = await import("../server/catalog.ts")
  return verify(code)
}, "verify")
