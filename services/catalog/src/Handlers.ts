// Maps every CatalogRpcs call to the Catalog service, and nothing else.
import { Catalog as Contract, CurrentUser, CurrentViewer } from "@lectern/contracts"
import { Effect, Option } from "effect"
import { Catalog } from "./Catalog.ts"

export const CatalogHandlers = Contract.CatalogRpcs.toLayer(
  Effect.gen(function* () {
    const catalog = yield* Catalog
    const withUser = <A, E, R>(f: (user: CurrentUser["Type"]) => Effect.Effect<A, E, R>) =>
      Effect.flatMap(CurrentUser, f)
    /** The caller of a public RPC, if any (the Viewer middleware verified its token). */
    const withViewer = <A, E, R>(f: (viewer: CurrentUser["Type"] | undefined) => Effect.Effect<A, E, R>) =>
      Effect.flatMap(CurrentViewer, (viewer) => f(Option.getOrUndefined(viewer)))

    return Contract.CatalogRpcs.of({
      "category.list": () => catalog.listCategories(),
      "course.get": (ref) => withViewer((viewer) => catalog.getCourse(viewer, ref)),
      "course.search": (input) => catalog.search(input),
      "course.related": (input) => withViewer((viewer) => catalog.related(viewer, input)),
      "category.create": (input) => withUser((user) => catalog.createCategory(user, input)),
      "category.update": (input) => withUser((user) => catalog.updateCategory(user, input)),
      "category.delete": (input) => withUser((user) => catalog.deleteCategory(user, input)),
      "course.create": (input) => withUser((user) => catalog.createCourse(user, input)),
      "course.update": (input) => withUser((user) => catalog.updateCourse(user, input)),
      "course.delete": (input) => withUser((user) => catalog.deleteCourse(user, input)),
      "course.mine": () => withUser(catalog.myCourses),
      "course.history": (input) => withUser((user) => catalog.history(user, input)),
      "course.reviewQueue": (input) => withUser((user) => catalog.reviewQueue(user, input)),
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
