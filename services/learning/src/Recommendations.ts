// Recommendations: courses the learners of my courses also took (co-enrollment), then the most popular in my courses'
// categories, then the most popular anywhere — never a course I am enrolled in or own, never an unpublished one.
import { SqlClient } from "@effect/sql"
import { type AuthenticatedUser, Learning as Contract } from "@lectern/contracts"
import type { CategoryId, CourseId } from "@lectern/domain"
import { dieOnSqlError } from "@lectern/platform/Database"
import { Effect, Option } from "effect"
import { CatalogReader } from "./CatalogReader.ts"

/** How many of the most recent learners of each of my courses are asked what else they took. */
export const PEERS_PER_COURSE = 500

interface CoEnrolledRow {
  readonly courseId: CourseId
  readonly learners: number
  /** The title of my course whose learners took it most. */
  readonly viaTitle: string
}

export class RecommendationRepo extends Effect.Service<RecommendationRepo>()("@lectern/learning/RecommendationRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const unsafe = <A extends object>(text: string, params: ReadonlyArray<unknown>) =>
      sql.unsafe<A>(text, params as Array<unknown>)

    /**
     * Published courses (as learning's snapshot knows them) that the latest learners of `userId`'s courses took and
     * `userId` neither took nor owns, by how many of those learners took each; ties by title.
     */
    const coEnrolled = (userId: string, limit: number) =>
      unsafe<CoEnrolledRow>(
        `WITH peers AS (
           SELECT DISTINCT p.user_id, mine.course_id AS via
           FROM learning.enrollments mine
           CROSS JOIN LATERAL (
             SELECT e.user_id FROM learning.enrollments e
             WHERE e.course_id = mine.course_id AND e.user_id <> $1
             ORDER BY e.enrolled_at DESC LIMIT $3
           ) p
           WHERE mine.user_id = $1
         ), taken AS (
           SELECT other.course_id AS candidate, peers.via, peers.user_id
           FROM peers JOIN learning.enrollments other ON other.user_id = peers.user_id
           JOIN learning.courses c ON c.course_id = other.course_id
           WHERE c.published AND c.owner_id <> $1
             AND NOT EXISTS (SELECT 1 FROM learning.enrollments e WHERE e.user_id = $1 AND e.course_id = other.course_id)
         ), counted AS (
           SELECT candidate, count(DISTINCT user_id)::int AS learners FROM taken GROUP BY candidate
         )
         SELECT counted.candidate AS "courseId", counted.learners, c.title,
           (SELECT v.title FROM taken t JOIN learning.courses v ON v.course_id = t.via
            WHERE t.candidate = counted.candidate
            GROUP BY v.course_id, v.title ORDER BY count(DISTINCT t.user_id) DESC, v.title LIMIT 1) AS "viaTitle"
         FROM counted JOIN learning.courses c ON c.course_id = counted.candidate
         ORDER BY counted.learners DESC, c.title, counted.candidate
         LIMIT $2`,
        [userId, limit, PEERS_PER_COURSE]
      )

    /** The categories of `userId`'s courses: the one with most of them first, then the most recently joined. */
    const myCategories = (userId: string) =>
      unsafe<{ categoryId: CategoryId }>(
        `SELECT c.category_id AS "categoryId" FROM learning.enrollments e
         JOIN learning.courses c ON c.course_id = e.course_id
         WHERE e.user_id = $1 AND c.category_id IS NOT NULL
         GROUP BY c.category_id ORDER BY count(*) DESC, max(e.enrolled_at) DESC, c.category_id`,
        [userId]
      ).pipe(Effect.map((rows) => rows.map((row) => row.categoryId)))

    const myCourses = (userId: string) =>
      unsafe<{ courseId: CourseId }>(`SELECT course_id AS "courseId" FROM learning.enrollments WHERE user_id = $1`, [
        userId
      ]).pipe(Effect.map((rows) => rows.map((row) => row.courseId)))

    return {
      coEnrolled: dieOnSqlError(coEnrolled),
      myCategories: dieOnSqlError(myCategories),
      myCourses: dieOnSqlError(myCourses)
    }
  })
}) {}

export class Recommendations extends Effect.Service<Recommendations>()("@lectern/learning/Recommendations", {
  effect: Effect.gen(function* () {
    const repo = yield* RecommendationRepo
    const catalog = yield* CatalogReader

    const forMe = (user: AuthenticatedUser, limit: number) =>
      Effect.gen(function* () {
        const picked: Array<Contract.Recommendation> = []
        const excluded = new Set<string>(yield* repo.myCourses(user.id))
        const pick = (courseId: CourseId, title: string, basis: Contract.Recommendation["basis"], reason: string) => {
          excluded.add(courseId)
          picked.push(new Contract.Recommendation({ courseId, title, reason, basis }, true))
        }

        // Co-enrollment, checked against catalog: learning's snapshot may not have heard of an unpublish yet.
        const candidates = yield* repo.coEnrolled(user.id, limit * 2)
        for (const candidate of candidates) {
          if (picked.length >= limit) break
          const published = yield* catalog.publishedCourse(candidate.courseId)
          if (Option.isNone(published) || published.value.course.ownerId === user.id) continue
          pick(
            candidate.courseId,
            published.value.course.title,
            "coEnrollment",
            `Learners of ${candidate.viaTitle} also took this`
          )
        }

        // Then what is popular where my courses are, then anywhere.
        const fill = (categoryId: CategoryId | undefined) =>
          Effect.gen(function* () {
            if (picked.length >= limit) return
            const popular = yield* catalog.popularCourses({ categoryId, limit: Math.min(limit + excluded.size, 100) })
            for (const course of popular) {
              if (picked.length >= limit) return
              if (excluded.has(course.courseId) || course.ownerId === user.id) continue
              if (categoryId === undefined) pick(course.courseId, course.title, "popular", "Popular on Lectern")
              else pick(course.courseId, course.title, "popularInCategory", `Popular in ${course.categoryName}`)
            }
          })
        for (const categoryId of yield* repo.myCategories(user.id)) yield* fill(categoryId)
        yield* fill(undefined)
        return picked
      }).pipe(Effect.withSpan("Recommendations.forMe"))

    return { forMe }
  })
}) {}
