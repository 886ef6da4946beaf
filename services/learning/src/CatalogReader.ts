// How learning reads catalog: a course's curriculum (the snapshot it keeps is refreshed through this port), who may
// edit a course, and the most popular published courses (for recommendations).
import type { AuthenticatedUser, Catalog } from "@lectern/contracts"
import type { CategoryId, CourseId, UserId } from "@lectern/domain"
import { Context, type Effect, type Option } from "effect"

export interface CatalogReaderService {
  /** The published course with its curriculum, or None when catalog shows no such published course. */
  readonly publishedCourse: (id: CourseId) => Effect.Effect<Option.Option<Catalog.CourseDetail>>
  /** Whether `user` may edit the course (its owner, or an admin), whatever its status; false for no such course. */
  readonly mayEdit: (user: AuthenticatedUser, id: CourseId) => Effect.Effect<boolean>
  /**
   * Up to `limit` published courses, most enrolled first, in `categoryId` (with its sub-categories) or anywhere, with
   * the name of the category each is filed under.
   */
  readonly popularCourses: (input: {
    readonly categoryId?: CategoryId | undefined
    readonly limit: number
  }) => Effect.Effect<ReadonlyArray<PopularCourse>>
}

export interface PopularCourse {
  readonly courseId: CourseId
  readonly title: string
  readonly ownerId: UserId
  readonly categoryId: CategoryId
  readonly categoryName: string
}

export class CatalogReader extends Context.Tag("@lectern/learning/CatalogReader")<
  CatalogReader,
  CatalogReaderService
>() {}
