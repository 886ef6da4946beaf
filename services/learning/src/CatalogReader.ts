// How learning reads a course's curriculum from catalog (the snapshot it keeps is refreshed through this port).
import type { AuthenticatedUser, Catalog } from "@lectern/contracts"
import type { CourseId } from "@lectern/domain"
import { Context, type Effect, type Option } from "effect"

export interface CatalogReaderService {
  /** The published course with its curriculum, or None when catalog shows no such published course. */
  readonly publishedCourse: (id: CourseId) => Effect.Effect<Option.Option<Catalog.CourseDetail>>
  /** Whether `user` may edit the course (its owner, or an admin), whatever its status; false for no such course. */
  readonly mayEdit: (user: AuthenticatedUser, id: CourseId) => Effect.Effect<boolean>
}

export class CatalogReader extends Context.Tag("@lectern/learning/CatalogReader")<
  CatalogReader,
  CatalogReaderService
>() {}
