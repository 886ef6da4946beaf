// Maps every CatalogRpcs call to the Catalog service, and nothing else.
import type { Headers } from "@effect/platform"
import { Catalog as Contract, CurrentUser } from "@lectern/contracts"
import { AccessTokenVerifier } from "@lectern/platform/AccessTokens"
import { bearerToken } from "@lectern/platform/Authentication"
import { Effect } from "effect"
import { Catalog } from "./Catalog.ts"

export const CatalogHandlers = Contract.CatalogRpcs.toLayer(
  Effect.gen(function* () {
    const catalog = yield* Catalog
    const verifier = yield* AccessTokenVerifier
    const withUser = <A, E, R>(f: (user: CurrentUser["Type"]) => Effect.Effect<A, E, R>) =>
      Effect.flatMap(CurrentUser, f)

    /**
     * Public calls may still know the caller: a valid bearer token lets an owner or admin see an unpublished course.
     * A missing, expired or revoked token is simply anonymous — public reads never fail on stale credentials.
     */
    const viewer = (headers: Headers.Headers) => {
      const token = bearerToken(headers.authorization)
      return token === undefined
        ? Effect.succeed(undefined)
        : verifier.verify(token).pipe(Effect.orElseSucceed(() => undefined))
    }

    return Contract.CatalogRpcs.of({
      "category.list": () => catalog.listCategories(),
      "course.get": (ref, { headers }) => Effect.flatMap(viewer(headers), (user) => catalog.getCourse(user, ref)),
      "course.search": (input) => catalog.search(input),
      "course.related": (input, { headers }) => Effect.flatMap(viewer(headers), (user) => catalog.related(user, input)),
      "category.create": (input) => withUser((user) => catalog.createCategory(user, input)),
      "category.update": (input) => withUser((user) => catalog.updateCategory(user, input)),
      "category.delete": (input) => withUser((user) => catalog.deleteCategory(user, input)),
      "course.create": (input) => withUser((user) => catalog.createCourse(user, input)),
      "course.update": (input) => withUser((user) => catalog.updateCourse(user, input)),
      "course.delete": (input) => withUser((user) => catalog.deleteCourse(user, input)),
      "course.mine": () => withUser(catalog.myCourses),
      "course.history": (input) => withUser((user) => catalog.history(user, input)),
      "course.submitForReview": (input) => withUser((user) => catalog.submitForReview(user, input)),
      "course.review": (input) => withUser((user) => catalog.review(user, input)),
      "course.unpublish": (input) => withUser((user) => catalog.unpublish(user, input)),
      "section.create": (input) => withUser((user) => catalog.createSection(user, input)),
      "section.update": (input) => withUser((user) => catalog.updateSection(user, input)),
      "section.delete": (input) => withUser((user) => catalog.deleteSection(user, input)),
      "lesson.create": (input) => withUser((user) => catalog.createLesson(user, input)),
      "lesson.update": (input) => withUser((user) => catalog.updateLesson(user, input)),
      "lesson.delete": (input) => withUser((user) => catalog.deleteLesson(user, input)),
      "curriculum.reorder": (input) => withUser((user) => catalog.reorder(user, input))
    })
  })
)
