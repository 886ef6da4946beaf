// Catalog: the rules of categories, courses, curricula, the review lifecycle and search, as one Effect.Service.
import { type AuthenticatedUser, Catalog as Contract } from "@lectern/contracts"
import {
  CategoryId,
  CourseId,
  Cursor,
  type Discount,
  discountProblem,
  embedUrl,
  Forbidden,
  hasRole,
  type ImageId,
  InvalidCursor,
  InvalidInput,
  LessonId,
  type MediaId,
  parseEmbedUrl,
  type Role,
  SectionId,
  Slug,
  slugify,
  type UserId
} from "@lectern/domain"
import { DateTime, Effect, Encoding, Option, Schema } from "effect"
import { CatalogCache, relatedKey, searchKey } from "./CatalogCache.ts"
import { CourseImages } from "./CourseImages.ts"
import { CreatorDirectory } from "./CreatorDirectory.ts"
import { LearnerAccess } from "./LearnerAccess.ts"
import {
  CatalogRepo,
  type CourseFields,
  type CourseRow,
  type LessonBody,
  type LessonRow,
  type SearchFilter,
  type SectionRow,
  toCard,
  toCategory,
  toCourse,
  toDiscount,
  toTransition
} from "./Repo.ts"

// ---------------------------------------------------------------- pure rules

const requireRole = (user: AuthenticatedUser, role: Role) =>
  hasRole(user.role, role) ? Effect.void : Effect.fail(new Forbidden({ message: `this needs the ${role} role` }))

const isAdmin = (user: AuthenticatedUser) => user.role === "admin"

/** The owner and admins may change a course; nobody else may even see that it is unpublished. */
const mayEdit = (user: AuthenticatedUser | undefined, course: { readonly ownerId: string }) =>
  user !== undefined && (isAdmin(user) || course.ownerId === user.id)

const notYours = () => new Forbidden({ message: "only the course's owner or an admin may change it" })

const normalizeTags = (tags: ReadonlyArray<string>) => [...new Set(tags.map((tag) => tag.trim().toLowerCase()))]

/** Reading time at 200 words a minute, the default duration of an article lesson. */
export const readingSeconds = (markdown: string) => {
  const words = markdown.split(/\s+/).filter((word) => word.length > 0).length
  return Math.min(86_400, Math.ceil((words / 200) * 60))
}

/** The thumbnail a course row holds, as CourseFields carries it. */
const storedThumbnail = (row: CourseRow): CourseFields["thumbnail"] =>
  row.thumbnailImageId === null || row.thumbnailSmallUrl === null || row.thumbnailLargeUrl === null
    ? null
    : { imageId: row.thumbnailImageId, urls: { small: row.thumbnailSmallUrl, large: row.thumbnailLargeUrl } }

/** A free course has no discount, an amount never exceeds the price, and a new discount must still run. */
const checkPricing = (
  price: { readonly amount: number; readonly currency: string },
  discount: Discount | null,
  discountIsNew: boolean
) => {
  if (discount === null) return Effect.void
  const problem = discountProblem(price, discount)
  if (problem !== undefined) return Effect.fail(new InvalidInput({ message: problem }))
  if (discountIsNew && DateTime.lessThanOrEqualTo(discount.endsAt, DateTime.unsafeNow())) {
    return Effect.fail(new InvalidInput({ message: "a discount must end in the future" }))
  }
  return Effect.void
}

/**
 * Words of a search box as tsquery lexemes: letters and digits only, lower-cased, at most 8 of at most 50
 * characters. Nothing else of the user's text reaches `to_tsquery`, so its operators cannot be injected.
 */
export const searchTerms = (q: string): ReadonlyArray<string> =>
  (
    q
      .normalize("NFKC")
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  )
    .slice(0, 8)
    .map((term) => term.slice(0, 50))

/** What a reorder must list: every section and lesson of the course exactly once, and nothing else. */
export const reorderProblem = (
  listed: ReadonlyArray<{ readonly id: string; readonly lessonIds: ReadonlyArray<string> }>,
  sections: ReadonlyArray<{ readonly id: string }>,
  lessons: ReadonlyArray<{ readonly id: string }>
): string | undefined => {
  const check = (kind: string, given: ReadonlyArray<string>, actual: ReadonlyArray<{ readonly id: string }>) => {
    const known = new Set(actual.map((row) => row.id))
    const seen = new Set<string>()
    for (const id of given) {
      if (!known.has(id)) return `${kind} ${id} is not part of this course`
      if (seen.has(id)) return `${kind} ${id} is listed twice`
      seen.add(id)
    }
    const missing = actual.find((row) => !seen.has(row.id))
    return missing === undefined ? undefined : `${kind} ${missing.id} is missing`
  }
  return (
    check(
      "section",
      listed.map((section) => section.id),
      sections
    ) ??
    check(
      "lesson",
      listed.flatMap((section) => section.lessonIds),
      lessons
    )
  )
}

// ---------------------------------------------------------------- review queue cursors

/** `rq1.<transition id>`: the submission after which the next page starts. */
const parseReviewQueueCursor = (cursor: Cursor) => {
  const match = /^rq1\.([1-9][0-9]{0,17})$/.exec(cursor)
  return match?.[1] === undefined
    ? Effect.fail(new InvalidCursor({ message: "the cursor is not one the review queue gave out" }))
    : Effect.succeed(match[1])
}

// ---------------------------------------------------------------- search cursors

/** A cursor is bound to its sort and filters: used with others it would skip or repeat rows, so it is refused. */
const fingerprint = (parts: unknown) => {
  let hash = 0x811c9dc5
  for (const char of JSON.stringify(parts)) {
    hash ^= char.codePointAt(0) ?? 0
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash.toString(36)
}

const SORT_KEY_PATTERNS: Record<Contract.SearchSort, RegExp> = {
  relevance: /^\d+(?:\.\d+)?(?:e[-+]?\d+)?$/,
  newest: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/,
  rating: /^\d\.\d{2}$/,
  popular: /^\d{1,10}$/
}

export const CursorContent = Schema.compose(
  Schema.StringFromBase64Url,
  Schema.parseJson(Schema.Tuple(Schema.Literal(1), Contract.SearchSort, Schema.String, CourseId, Schema.String))
)
const decodeCursorContent = Schema.decodeUnknownOption(CursorContent)
/** What `Schema.encodeSync(CursorContent)` gives (Rules.test.ts checks it), without a Schema pass on every page. */
export const encodeCursorContent = (content: typeof CursorContent.Type): string =>
  Encoding.encodeBase64Url(JSON.stringify(content))

const malformedCursor = () => new InvalidCursor({ message: "malformed cursor" })

const parseSearchCursor = (cursor: Cursor, sort: Contract.SearchSort, filters: string) => {
  const decoded = decodeCursorContent(cursor)
  if (Option.isNone(decoded)) return Effect.fail(malformedCursor())
  const [, cursorSort, key, id, cursorFilters] = decoded.value
  if (cursorSort !== sort || cursorFilters !== filters) {
    return Effect.fail(new InvalidCursor({ message: "the cursor belongs to another query; start from the first page" }))
  }
  if (!SORT_KEY_PATTERNS[sort].test(key)) return Effect.fail(malformedCursor())
  if (sort === "popular" && Number(key) > 2_147_483_647) return Effect.fail(malformedCursor())
  if (sort === "newest" && Number.isNaN(Date.parse(key))) return Effect.fail(malformedCursor())
  return Effect.succeed({ key, id })
}

// ---------------------------------------------------------------- rows → contract values

const contentOf = (row: LessonRow): Contract.LessonContent | null => {
  switch (row.kind) {
    case "video":
      return row.mediaId === null ? null : { kind: "video", mediaId: row.mediaId, mediaReady: row.mediaReady }
    case "embed":
      return row.embedProvider === null || row.embedVideoId === null
        ? null
        : {
            kind: "embed",
            provider: row.embedProvider,
            videoId: row.embedVideoId,
            embedUrl: embedUrl({ provider: row.embedProvider, videoId: row.embedVideoId })
          }
    case "article":
      return row.markdown === null ? null : { kind: "article", markdown: row.markdown }
    case "quiz":
      return row.quizId === null ? null : { kind: "quiz", quizId: row.quizId }
  }
}

/** Built from our own rows: constructing skips re-validation, the RPC layer encodes through the Schema anyway. */
const trusted = true

/** Content is shown to editors and enrolled learners (`showContent`), and to everyone for preview lessons. */
const toLesson = (row: LessonRow, showContent: boolean) =>
  new Contract.Lesson(
    {
      id: row.id,
      courseId: row.courseId,
      sectionId: row.sectionId,
      title: row.title,
      kind: row.kind,
      position: row.position,
      isPreview: row.isPreview,
      durationSeconds: row.durationSeconds,
      content: showContent || row.isPreview ? contentOf(row) : null
    },
    trusted
  )

const toSection = (row: SectionRow, lessons: ReadonlyArray<LessonRow>, showContent: boolean) =>
  new Contract.Section(
    {
      id: row.id,
      courseId: row.courseId,
      title: row.title,
      position: row.position,
      lessons: lessons.map((lesson) => toLesson(lesson, showContent))
    },
    trusted
  )

/** The returned option of a write to a row this transaction holds locked: absent would be a bug. */
const present = <A>(option: Option.Option<A>) =>
  Option.match(option, { onNone: () => Effect.dieMessage("a locked row vanished"), onSome: Effect.succeed })

/** What the counters of a course change by, from an event another service owns. */
export interface CounterEvent {
  /** The event's id; an event applies once however often it is delivered. */
  readonly eventId: string
  readonly courseId: CourseId
  /** +1 for an enrollment, -1 for its cancellation. */
  readonly enrollmentDelta?: number | undefined
  /** A rating given (1–5); with `ratingRemoved`, a rating changed. */
  readonly ratingAdded?: number | undefined
  /** A rating withdrawn (1–5). */
  readonly ratingRemoved?: number | undefined
}

export type CounterOutcome = "applied" | "duplicate" | "unknown_course"

// ---------------------------------------------------------------- the service

export class Catalog extends Effect.Service<Catalog>()("@lectern/catalog/Catalog", {
  effect: Effect.gen(function* () {
    const repo = yield* CatalogRepo
    const catalogCache = yield* CatalogCache
    const directory = yield* Effect.serviceOption(CreatorDirectory)
    const learners = yield* Effect.serviceOption(LearnerAccess)
    const images = yield* Effect.serviceOption(CourseImages)

    /**
     * The thumbnail `user` may give a course of `ownerId`: an image of the owner's (an admin may use any), with the
     * URLs media gives for it; InvalidThumbnail otherwise, or when there is no media to ask.
     */
    const thumbnailFor = (user: AuthenticatedUser, ownerId: UserId, imageId: ImageId) =>
      Effect.gen(function* () {
        if (Option.isNone(images)) {
          return yield* Effect.fail(
            new Contract.InvalidThumbnail({ imageId, reason: "thumbnails need the media service in this process" })
          )
        }
        const found = yield* images.value.image(imageId)
        if (Option.isNone(found) || (found.value.ownerId !== ownerId && !isAdmin(user))) {
          return yield* Effect.fail(
            new Contract.InvalidThumbnail({ imageId, reason: "no image of the course's creator has this id" })
          )
        }
        return { imageId, urls: found.value.urls }
      })

    /**
     * Inside the transaction of a change that made `courseId` stop showing `imageId`: when no other course shows it,
     * `image.released` tells media it may delete the image (its renders would otherwise stay forever).
     */
    const release = (imageId: ImageId | null, courseId: CourseId) =>
      imageId === null
        ? Effect.void
        : Effect.flatMap(repo.imageShownElsewhere(imageId, courseId), (shown) =>
            shown ? Effect.void : repo.emit("image.released", { imageId, courseId })
          )

    /** Whether `viewer` is enrolled in the published `course` (so sees every lesson's content); false without learning. */
    const enrolledIn = (
      viewer: AuthenticatedUser | undefined,
      course: { readonly id: CourseId; readonly status: string }
    ) =>
      viewer === undefined || course.status !== "published" || Option.isNone(learners)
        ? Effect.succeed(false)
        : learners.value.isEnrolled(viewer.id, course.id)

    /**
     * The owner with their display name as auth has it now. Asked on every read, cached or not: auth announces no
     * renames, so a name stored with a cached course could be stale for the cache's whole TTL.
     */
    const creatorOf = (ownerId: UserId): Effect.Effect<Contract.Creator> =>
      Option.match(directory, {
        onNone: () => Effect.succeed(new Contract.Creator({ id: ownerId, name: null }, trusted)),
        onSome: (names) =>
          Effect.map(
            names.displayName(ownerId),
            (name) => new Contract.Creator({ id: ownerId, name: Option.getOrNull(name) }, trusted)
          )
      })

    /** A cached detail with its creator's current name. */
    const withCurrentCreator = (detail: Contract.CourseDetail) =>
      Effect.map(creatorOf(detail.course.ownerId), (creator) =>
        creator.name === detail.creator.name ? detail : new Contract.CourseDetail({ ...detail, creator }, trusted)
      )

    /**
     * Inside a transaction: the live course, locked, when `user` may change it now. A course under review is
     * frozen for its owner (the reviewer must see what was submitted); admins may still fix it.
     */
    const editable = <E>(user: AuthenticatedUser, courseId: CourseId, notFound: () => E) =>
      Effect.gen(function* () {
        const course = yield* repo.courseForUpdate(courseId)
        if (Option.isNone(course)) return yield* Effect.fail(notFound())
        if (!mayEdit(user, course.value)) return yield* Effect.fail(notYours())
        if (course.value.status === "pending_review" && !isAdmin(user)) {
          return yield* Effect.fail(new Contract.CourseLocked({ id: courseId, status: course.value.status }))
        }
        return course.value
      })

    /** Inserts with `base` as the slug, or `base-2`, `base-3`, … when taken; a lost race tries the next one. */
    const insertWithFreshSlug = <A>(
      table: "courses" | "categories",
      base: Slug,
      insert: (slug: Slug) => Effect.Effect<Option.Option<A>>
    ) =>
      Effect.gen(function* () {
        const used = new Set(yield* repo.slugsLike(table, base))
        let suffix = 1
        for (let attempt = 0; attempt < 5; attempt++) {
          let candidate: string = base
          while (used.has(candidate)) candidate = `${base}-${++suffix}`
          const inserted = yield* insert(Slug.make(candidate))
          if (Option.isSome(inserted)) return inserted.value
          used.add(candidate)
        }
        const random = Slug.make(`${base}-${crypto.randomUUID().slice(0, 8)}`)
        return yield* present(yield* insert(random))
      })

    const loadDetail = (course: CourseRow, canEdit: boolean, showContent = canEdit) =>
      Effect.gen(function* () {
        const sections = yield* repo.sectionsOfCourse(course.id)
        const lessons = yield* repo.lessonsOfCourse(course.id)
        const creator = yield* creatorOf(course.ownerId)
        return new Contract.CourseDetail(
          {
            course: toCourse(course),
            creator,
            sections: sections.map((section) =>
              toSection(
                section,
                lessons.filter((lesson) => lesson.sectionId === section.id),
                showContent
              )
            ),
            canEdit
          },
          trusted
        )
      })

    /** A course as `viewer` may see it: published, or theirs (or any, for an admin). */
    const visibleCourse = (viewer: AuthenticatedUser | undefined, ref: typeof Contract.CourseRef.Type) =>
      Effect.gen(function* () {
        const found = "id" in ref ? yield* repo.courseById(ref.id) : yield* repo.courseBySlug(ref.slug)
        const notFound = new Contract.CourseNotFound({ id: "id" in ref ? ref.id : ref.slug })
        if (Option.isNone(found)) return yield* Effect.fail(notFound)
        const canEdit = mayEdit(viewer, found.value)
        if (found.value.status !== "published" && !canEdit) return yield* Effect.fail(notFound)
        return { course: found.value, canEdit }
      })

    // ------------------------------------------------------------ categories

    const listCategories = Effect.fn("Catalog.listCategories")(function* () {
      return (yield* repo.categoryTree).map(toCategory)
    })

    const categoryOrFail = (id: CategoryId) =>
      repo
        .categoryById(id)
        .pipe(
          Effect.flatMap(
            Option.match({ onNone: () => Effect.fail(new Contract.CategoryNotFound({ id })), onSome: Effect.succeed })
          )
        )

    const requireCategory = (id: CategoryId) =>
      Effect.flatMap(repo.categoryExists(id), (exists) =>
        exists ? Effect.void : Effect.fail(new Contract.CategoryNotFound({ id }))
      )

    const createCategory = Effect.fn("Catalog.createCategory")(function* (
      user: AuthenticatedUser,
      input: { readonly name: string; readonly parentId?: CategoryId | undefined }
    ) {
      yield* requireRole(user, "admin")
      const id = CategoryId.make(crypto.randomUUID())
      yield* repo.withTransaction(
        Effect.gen(function* () {
          yield* repo.lockCategoryTree
          if (input.parentId !== undefined) yield* requireCategory(input.parentId)
          yield* insertWithFreshSlug("categories", slugify(input.name, "category"), (slug) =>
            repo.insertCategory({ id, parentId: input.parentId ?? null, name: input.name, slug })
          )
        })
      )
      return toCategory(yield* present(yield* repo.categoryById(id)))
    })

    const updateCategory = Effect.fn("Catalog.updateCategory")(function* (
      user: AuthenticatedUser,
      input: {
        readonly id: CategoryId
        readonly name?: string | undefined
        readonly parentId?: CategoryId | null | undefined
      }
    ) {
      yield* requireRole(user, "admin")
      const moved = yield* repo.withTransaction(
        Effect.gen(function* () {
          yield* repo.lockCategoryTree
          const current = yield* categoryOrFail(input.id)
          const parentId = input.parentId === undefined ? current.parentId : input.parentId
          if (parentId !== null && parentId !== current.parentId) {
            yield* requireCategory(parentId)
            if (yield* repo.isSelfOrDescendant(input.id, parentId)) {
              return yield* Effect.fail(
                new InvalidInput({ message: "a category cannot be placed under itself or one of its sub-categories" })
              )
            }
          }
          yield* repo.updateCategory(input.id, { name: input.name ?? current.name, parentId })
          return parentId !== current.parentId
        })
      )
      // A search by a category covers its sub-categories: a move changes which courses cached pages should hold.
      if (moved) {
        yield* catalogCache.invalidateSearches.pipe(
          Effect.catchAll((error) =>
            Effect.logWarning("could not drop cached search pages after a category move", error)
          )
        )
      }
      return toCategory(yield* present(yield* repo.categoryById(input.id)))
    })

    const deleteCategory = Effect.fn("Catalog.deleteCategory")(function* (
      user: AuthenticatedUser,
      input: { readonly id: CategoryId }
    ) {
      yield* requireRole(user, "admin")
      yield* repo.withTransaction(
        Effect.gen(function* () {
          yield* repo.lockCategoryTree
          // The row lock makes a course being filed under this category wait for the decision.
          if (!(yield* repo.lockCategory(input.id))) {
            return yield* Effect.fail(new Contract.CategoryNotFound({ id: input.id }))
          }
          const usage = yield* repo.categoryUsage(input.id)
          if (usage.courseCount > 0 || usage.childCount > 0) {
            return yield* Effect.fail(new Contract.CategoryInUse({ id: input.id, ...usage }))
          }
          yield* repo.deleteCategory(input.id)
        })
      )
    })

    // ------------------------------------------------------------ courses

    const createCourse = Effect.fn("Catalog.createCourse")(function* (
      user: AuthenticatedUser,
      input: typeof Contract.CourseCreate.Type
    ) {
      yield* requireRole(user, "creator")
      const fields: CourseFields = {
        title: input.title,
        subtitle: input.subtitle ?? null,
        description: input.description,
        categoryId: input.categoryId,
        level: input.level,
        language: input.language,
        priceAmount: input.price.amount,
        priceCurrency: input.price.currency,
        discount: input.discount ?? null,
        tags: normalizeTags(input.tags),
        thumbnail:
          input.thumbnailImageId === undefined || input.thumbnailImageId === null
            ? null
            : yield* thumbnailFor(user, user.id, input.thumbnailImageId)
      }
      yield* checkPricing(input.price, fields.discount, true)
      const id = CourseId.make(crypto.randomUUID())
      const row = yield* repo.withTransaction(
        Effect.gen(function* () {
          yield* requireCategory(input.categoryId)
          const inserted = yield* insertWithFreshSlug("courses", slugify(input.title, "course"), (slug) =>
            repo.insertCourse({ ...fields, id, slug, ownerId: user.id })
          )
          yield* repo.insertTransition({ courseId: id, actorId: user.id, from: null, to: "draft", note: null })
          return inserted
        })
      )
      return toCourse(row)
    })

    const updateCourse = Effect.fn("Catalog.updateCourse")(function* (
      user: AuthenticatedUser,
      input: typeof Contract.CourseUpdate.Type
    ) {
      const row = yield* repo.withTransaction(
        Effect.gen(function* () {
          const current = yield* editable(user, input.id, () => new Contract.CourseNotFound({ id: input.id }))
          if (input.categoryId !== undefined && input.categoryId !== current.categoryId) {
            yield* requireCategory(input.categoryId)
          }
          const price = input.price ?? { amount: current.priceAmount, currency: current.priceCurrency }
          const discount = input.discount === undefined ? toDiscount(current) : input.discount
          yield* checkPricing(price, discount, input.discount !== undefined)
          const updated = yield* present(
            yield* repo.updateCourse(input.id, {
              title: input.title ?? current.title,
              subtitle: input.subtitle === undefined ? current.subtitle : input.subtitle,
              description: input.description ?? current.description,
              categoryId: input.categoryId ?? current.categoryId,
              level: input.level ?? current.level,
              language: input.language ?? current.language,
              priceAmount: price.amount,
              priceCurrency: price.currency,
              discount,
              tags: input.tags === undefined ? current.tags : normalizeTags(input.tags),
              thumbnail:
                input.thumbnailImageId === undefined
                  ? storedThumbnail(current)
                  : input.thumbnailImageId === null
                    ? null
                    : yield* thumbnailFor(user, current.ownerId, input.thumbnailImageId)
            })
          )
          yield* repo.emit("course.updated", { courseId: updated.id, slug: updated.slug })
          if (current.thumbnailImageId !== updated.thumbnailImageId)
            yield* release(current.thumbnailImageId, updated.id)
          return updated
        })
      )
      return toCourse(row)
    })

    /** A soft delete: the owner while the course was never published (draft or rejected), an admin always. */
    const deleteCourse = Effect.fn("Catalog.deleteCourse")(function* (
      user: AuthenticatedUser,
      input: { readonly id: CourseId }
    ) {
      yield* repo.withTransaction(
        Effect.gen(function* () {
          const course = yield* repo.courseForUpdate(input.id)
          if (Option.isNone(course)) return yield* Effect.fail(new Contract.CourseNotFound({ id: input.id }))
          const { status, slug } = course.value
          if (!mayEdit(user, course.value)) return yield* Effect.fail(notYours())
          if (!isAdmin(user) && status !== "draft" && status !== "rejected") {
            return yield* Effect.fail(
              new Contract.InvalidTransition({
                from: status,
                to: "deleted",
                message:
                  status === "published"
                    ? "unpublish the course before deleting it"
                    : "a course under review cannot be deleted"
              })
            )
          }
          yield* repo.softDeleteCourse(input.id)
          yield* repo.insertTransition({
            courseId: input.id,
            actorId: user.id,
            from: status,
            to: "deleted",
            note: null
          })
          yield* repo.emit("course.deleted", { courseId: input.id, slug })
          yield* release(course.value.thumbnailImageId, input.id)
        })
      )
    })

    /**
     * The public view of a published course comes from the cache when it is there; its editors always read the
     * database (they see unpublished content and `canEdit`), and only the public view is ever stored. Like
     * `search`, a hot read: a plain span, not Effect.fn, which captures a stack trace on every call.
     */
    const getCourse = (viewer: AuthenticatedUser | undefined, ref: typeof Contract.CourseRef.Type) =>
      Effect.gen(function* () {
        const cached = yield* catalogCache.course(ref)
        if (
          Option.isSome(cached) &&
          !mayEdit(viewer, cached.value.course) &&
          !(yield* enrolledIn(viewer, cached.value.course))
        )
          return yield* withCurrentCreator(cached.value)
        const { course, canEdit } = yield* visibleCourse(viewer, ref)
        // Enrolled learners see every lesson's content; that view is theirs, never the cached public one.
        const enrolled = !canEdit && (yield* enrolledIn(viewer, course))
        const detail = yield* loadDetail(course, canEdit, canEdit || enrolled)
        if (course.status === "published" && !canEdit && !enrolled) yield* catalogCache.storeCourse(detail)
        return detail
      }).pipe(Effect.withSpan("Catalog.getCourse"))

    /**
     * A published course with every lesson's content, for another service keeping its own copy of the curriculum
     * (learning links quiz lessons to their quizzes); never cached, never for a client. None when not published.
     */
    const publishedCurriculum = (id: CourseId) =>
      Effect.gen(function* () {
        const found = yield* repo.courseById(id)
        if (Option.isNone(found) || found.value.status !== "published") return Option.none<Contract.CourseDetail>()
        return Option.some(yield* loadDetail(found.value, false, true))
      }).pipe(Effect.withSpan("Catalog.publishedCurriculum"))

    const myCourses = Effect.fn("Catalog.myCourses")(function* (user: AuthenticatedUser) {
      return (yield* repo.coursesOfOwner(user.id)).map(toCourse)
    })

    const history = Effect.fn("Catalog.history")(function* (user: AuthenticatedUser, input: { readonly id: CourseId }) {
      const course = yield* repo.courseOwnership(input.id)
      // A deleted course's history stays readable for admins.
      if (Option.isNone(course) || (course.value.deletedAt !== null && !isAdmin(user))) {
        return yield* Effect.fail(new Contract.CourseNotFound({ id: input.id }))
      }
      if (!mayEdit(user, course.value)) return yield* Effect.fail(notYours())
      return (yield* repo.transitions(input.id)).map(toTransition)
    })

    const reviewQueue = Effect.fn("Catalog.reviewQueue")(function* (
      user: AuthenticatedUser,
      input: { readonly cursor?: Cursor | undefined; readonly limit?: number | undefined }
    ) {
      yield* requireRole(user, "admin")
      const limit = input.limit ?? 20
      const after = input.cursor === undefined ? undefined : yield* parseReviewQueueCursor(input.cursor)
      const rows = yield* repo.reviewQueue(after, limit + 1)
      const page = rows.slice(0, limit)
      const items = yield* Effect.forEach(
        page,
        (row) =>
          Effect.map(
            creatorOf(row.ownerId),
            (creator) =>
              new Contract.ReviewQueueItem(
                { course: toCard(row), creator, submittedAt: DateTime.unsafeFromDate(row.submittedAt) },
                trusted
              )
          ),
        { concurrency: 8 }
      )
      const last = page[page.length - 1]
      return {
        items,
        nextCursor: rows.length > limit && last !== undefined ? Cursor.make(`rq1.${last.submissionId}`) : null
      }
    })

    // ------------------------------------------------------------ lifecycle

    const invalidTransition = (from: Contract.CourseStatus, to: Contract.TransitionTarget, message: string) =>
      Effect.fail(new Contract.InvalidTransition({ from, to, message }))

    const submitForReview = Effect.fn("Catalog.submitForReview")(function* (
      user: AuthenticatedUser,
      input: { readonly id: CourseId }
    ) {
      const row = yield* repo.withTransaction(
        Effect.gen(function* () {
          const found = yield* repo.courseForUpdate(input.id)
          if (Option.isNone(found)) return yield* Effect.fail(new Contract.CourseNotFound({ id: input.id }))
          const course = found.value
          if (course.ownerId !== user.id) {
            return yield* Effect.fail(new Forbidden({ message: "only the course's owner submits it for review" }))
          }
          if (course.status !== "draft" && course.status !== "rejected") {
            return yield* invalidTransition(
              course.status,
              "pending_review",
              "only a draft or a rejected course can be submitted"
            )
          }
          const lessons = yield* repo.lessonsOfCourse(course.id)
          if (lessons.length === 0) {
            return yield* Effect.fail(new Contract.CourseNotReady({ reason: "no_lessons", lessonIds: [] }))
          }
          const waiting = lessons.filter((lesson) => lesson.kind === "video" && !lesson.mediaReady)
          if (waiting.length > 0) {
            return yield* Effect.fail(
              new Contract.CourseNotReady({ reason: "media_not_ready", lessonIds: waiting.map((lesson) => lesson.id) })
            )
          }
          const updated = yield* present(yield* repo.setStatus(course.id, "pending_review", course.reviewFeedback))
          yield* repo.insertTransition({
            courseId: course.id,
            actorId: user.id,
            from: course.status,
            to: "pending_review",
            note: null
          })
          return updated
        })
      )
      return toCourse(row)
    })

    const review = Effect.fn("Catalog.review")(function* (
      user: AuthenticatedUser,
      input: { readonly id: CourseId; readonly decision: "approve" | "reject"; readonly feedback: string }
    ) {
      yield* requireRole(user, "admin")
      const feedback = input.feedback.trim()
      if (input.decision === "reject" && feedback.length === 0) {
        return yield* Effect.fail(new InvalidInput({ message: "a rejection needs feedback the owner can act on" }))
      }
      const to = input.decision === "approve" ? "published" : "rejected"
      const row = yield* repo.withTransaction(
        Effect.gen(function* () {
          const found = yield* repo.courseForUpdate(input.id)
          if (Option.isNone(found)) return yield* Effect.fail(new Contract.CourseNotFound({ id: input.id }))
          const course = found.value
          if (course.status !== "pending_review") {
            return yield* invalidTransition(course.status, to, "only a course under review can be decided")
          }
          const note = feedback.length === 0 ? null : feedback
          const updated = yield* present(yield* repo.setStatus(course.id, to, note))
          yield* repo.insertTransition({ courseId: course.id, actorId: user.id, from: course.status, to, note })
          if (to === "published") {
            yield* repo.emit("course.published", {
              courseId: updated.id,
              ownerId: updated.ownerId,
              slug: updated.slug,
              title: updated.title
            })
          }
          return updated
        })
      )
      return toCourse(row)
    })

    const unpublish = Effect.fn("Catalog.unpublish")(function* (
      user: AuthenticatedUser,
      input: { readonly id: CourseId; readonly note?: string | undefined }
    ) {
      const row = yield* repo.withTransaction(
        Effect.gen(function* () {
          const found = yield* repo.courseForUpdate(input.id)
          if (Option.isNone(found)) return yield* Effect.fail(new Contract.CourseNotFound({ id: input.id }))
          const course = found.value
          if (!mayEdit(user, course)) return yield* Effect.fail(notYours())
          if (course.status !== "published") {
            return yield* invalidTransition(course.status, "draft", "only a published course can be unpublished")
          }
          const updated = yield* present(yield* repo.setStatus(course.id, "draft", course.reviewFeedback))
          const note = input.note?.trim() ? input.note.trim() : null
          yield* repo.insertTransition({ courseId: course.id, actorId: user.id, from: "published", to: "draft", note })
          yield* repo.emit("course.unpublished", { courseId: course.id, slug: course.slug })
          return updated
        })
      )
      return toCourse(row)
    })

    // ------------------------------------------------------------ curriculum

    /** The section and its course, locked for editing; a section of a deleted course is not found. */
    const editableSection = (user: AuthenticatedUser, id: SectionId) =>
      Effect.gen(function* () {
        const notFound = () => new Contract.SectionNotFound({ id })
        const before = yield* repo.sectionById(id)
        if (Option.isNone(before)) return yield* Effect.fail(notFound())
        const course = yield* editable(user, before.value.courseId, notFound)
        // Read again under the course lock: a concurrent delete may have removed it meanwhile.
        const section = yield* repo.sectionById(id)
        if (Option.isNone(section)) return yield* Effect.fail(notFound())
        return { course, section: section.value }
      })

    const editableLesson = (user: AuthenticatedUser, id: LessonId) =>
      Effect.gen(function* () {
        const notFound = () => new Contract.LessonNotFound({ id })
        const before = yield* repo.lessonById(id)
        if (Option.isNone(before)) return yield* Effect.fail(notFound())
        const course = yield* editable(user, before.value.courseId, notFound)
        const lesson = yield* repo.lessonById(id)
        if (Option.isNone(lesson)) return yield* Effect.fail(notFound())
        return { course, lesson: lesson.value }
      })

    const createSection = Effect.fn("Catalog.createSection")(function* (
      user: AuthenticatedUser,
      input: { readonly courseId: CourseId; readonly title: string }
    ) {
      const row = yield* repo.withTransaction(
        Effect.gen(function* () {
          const course = yield* editable(
            user,
            input.courseId,
            () => new Contract.CourseNotFound({ id: input.courseId })
          )
          const section = yield* present(
            yield* repo.insertSection({
              id: SectionId.make(crypto.randomUUID()),
              courseId: course.id,
              title: input.title
            })
          )
          yield* repo.emit("course.updated", { courseId: course.id, slug: course.slug })
          return section
        })
      )
      return toSection(row, [], true)
    })

    const updateSection = Effect.fn("Catalog.updateSection")(function* (
      user: AuthenticatedUser,
      input: { readonly id: SectionId; readonly title: string }
    ) {
      return yield* repo.withTransaction(
        Effect.gen(function* () {
          const { course } = yield* editableSection(user, input.id)
          const section = yield* present(yield* repo.renameSection(input.id, input.title))
          yield* repo.emit("course.updated", { courseId: course.id, slug: course.slug })
          return toSection(section, yield* repo.lessonsOfSection(input.id), true)
        })
      )
    })

    /** Deletes the section with its lessons. */
    const deleteSection = Effect.fn("Catalog.deleteSection")(function* (
      user: AuthenticatedUser,
      input: { readonly id: SectionId }
    ) {
      yield* repo.withTransaction(
        Effect.gen(function* () {
          const { course } = yield* editableSection(user, input.id)
          const lessons = yield* repo.lessonsOfSection(input.id)
          yield* repo.deleteSection(input.id)
          yield* repo.refreshCourseStats(course.id)
          for (const lesson of lessons) {
            yield* repo.emit("lesson.changed", { courseId: course.id, lessonId: lesson.id, change: "deleted" })
          }
          yield* repo.emit("course.updated", { courseId: course.id, slug: course.slug })
        })
      )
    })

    /** The stored form of a lesson from what the creator sent, keeping what the input leaves out from `previous`. */
    const lessonBody = (
      input: {
        readonly title?: string | undefined
        readonly content?: Contract.LessonContentInput | undefined
        readonly isPreview?: boolean | undefined
        readonly durationSeconds?: number | undefined
      },
      previous: LessonRow | undefined
    ): Effect.Effect<LessonBody, InvalidInput> =>
      Effect.gen(function* () {
        const base = {
          title: input.title ?? previous?.title ?? "",
          isPreview: input.isPreview ?? previous?.isPreview ?? false
        }
        const content = input.content
        const keepDuration = input.durationSeconds ?? previous?.durationSeconds ?? 0
        const none = { mediaId: null, mediaReady: false, embedProvider: null, embedVideoId: null, markdown: null }
        if (content === undefined) {
          if (previous === undefined) return yield* Effect.dieMessage("a new lesson needs content")
          return { ...previous, ...base, durationSeconds: keepDuration }
        }
        switch (content.kind) {
          case "video": {
            if (previous?.mediaId === content.mediaId) {
              return {
                ...base,
                ...none,
                kind: "video",
                mediaId: content.mediaId,
                mediaReady: previous.mediaReady,
                durationSeconds: keepDuration,
                quizId: null
              }
            }
            // A new video is as ready as the media service last said (its event may have come first), else it waits.
            const known = Option.getOrUndefined(yield* repo.mediaState(content.mediaId))
            return {
              ...base,
              ...none,
              kind: "video",
              mediaId: content.mediaId,
              mediaReady: known?.ready ?? false,
              durationSeconds: input.durationSeconds ?? known?.durationSeconds ?? 0,
              quizId: null
            }
          }
          case "embed": {
            const embed = parseEmbedUrl(content.url)
            if (embed === undefined) {
              return yield* Effect.fail(
                new InvalidInput({ message: "not the URL of a single YouTube, Dailymotion or Vimeo video" })
              )
            }
            return {
              ...base,
              ...none,
              kind: "embed",
              embedProvider: embed.provider,
              embedVideoId: embed.videoId,
              durationSeconds: keepDuration,
              quizId: null
            }
          }
          case "article":
            return {
              ...base,
              ...none,
              kind: "article",
              markdown: content.markdown,
              durationSeconds: input.durationSeconds ?? readingSeconds(content.markdown),
              quizId: null
            }
          case "quiz":
            return { ...base, ...none, kind: "quiz", quizId: content.quizId, durationSeconds: keepDuration }
        }
      })

    const createLesson = Effect.fn("Catalog.createLesson")(function* (
      user: AuthenticatedUser,
      input: {
        readonly sectionId: SectionId
        readonly title: string
        readonly content: Contract.LessonContentInput
        readonly isPreview?: boolean | undefined
        readonly durationSeconds?: number | undefined
      }
    ) {
      const body = yield* lessonBody(input, undefined)
      const row = yield* repo.withTransaction(
        Effect.gen(function* () {
          const { course, section } = yield* editableSection(user, input.sectionId)
          const lesson = yield* present(
            yield* repo.insertLesson({
              ...body,
              id: LessonId.make(crypto.randomUUID()),
              courseId: course.id,
              sectionId: section.id
            })
          )
          yield* repo.refreshCourseStats(course.id)
          yield* repo.emit("lesson.changed", { courseId: course.id, lessonId: lesson.id, change: "created" })
          return lesson
        })
      )
      return toLesson(row, true)
    })

    const updateLesson = Effect.fn("Catalog.updateLesson")(function* (
      user: AuthenticatedUser,
      input: {
        readonly id: LessonId
        readonly title?: string | undefined
        readonly content?: Contract.LessonContentInput | undefined
        readonly isPreview?: boolean | undefined
        readonly durationSeconds?: number | undefined
      }
    ) {
      const row = yield* repo.withTransaction(
        Effect.gen(function* () {
          const { course, lesson } = yield* editableLesson(user, input.id)
          const body = yield* lessonBody(input, lesson)
          const updated = yield* present(yield* repo.updateLesson(input.id, body))
          yield* repo.refreshCourseStats(course.id)
          yield* repo.emit("lesson.changed", { courseId: course.id, lessonId: input.id, change: "updated" })
          return updated
        })
      )
      return toLesson(row, true)
    })

    const deleteLesson = Effect.fn("Catalog.deleteLesson")(function* (
      user: AuthenticatedUser,
      input: { readonly id: LessonId }
    ) {
      yield* repo.withTransaction(
        Effect.gen(function* () {
          const { course } = yield* editableLesson(user, input.id)
          yield* repo.deleteLesson(input.id)
          yield* repo.refreshCourseStats(course.id)
          yield* repo.emit("lesson.changed", { courseId: course.id, lessonId: input.id, change: "deleted" })
        })
      )
    })

    /** A whole new order, all or nothing: validated against the course under its lock, then written at once. */
    const reorder = Effect.fn("Catalog.reorder")(function* (
      user: AuthenticatedUser,
      input: {
        readonly courseId: CourseId
        readonly sections: ReadonlyArray<{ readonly id: SectionId; readonly lessonIds: ReadonlyArray<LessonId> }>
      }
    ) {
      return yield* repo.withTransaction(
        Effect.gen(function* () {
          const course = yield* editable(
            user,
            input.courseId,
            () => new Contract.CourseNotFound({ id: input.courseId })
          )
          const problem = reorderProblem(
            input.sections,
            yield* repo.sectionsOfCourse(course.id),
            yield* repo.lessonsOfCourse(course.id)
          )
          if (problem !== undefined) return yield* Effect.fail(new Contract.CurriculumMismatch({ message: problem }))
          yield* repo.reorder(
            input.sections.map((section, position) => ({ id: section.id, position })),
            input.sections.flatMap((section) =>
              section.lessonIds.map((id, position) => ({ id, sectionId: section.id, position }))
            )
          )
          yield* repo.emit("course.updated", { courseId: course.id, slug: course.slug })
          return yield* loadDetail(course, true)
        })
      )
    })

    // ------------------------------------------------------------ discovery

    /** A hot read, with a plain span (see getCourse). */
    const search = (input: typeof Contract.CourseSearch.Type) =>
      Effect.gen(function* () {
        const terms = searchTerms(input.q ?? "")
        const requested = input.sort ?? (terms.length > 0 ? "relevance" : "newest")
        // Without words there is nothing to rank by; the newest come first.
        const sort = requested === "relevance" && terms.length === 0 ? "newest" : requested
        const filter: SearchFilter = {
          terms,
          categoryId: input.categoryId,
          level: input.level,
          language: input.language,
          price: input.price ?? "any",
          minRating: input.minRating
        }
        const filters = fingerprint([filter, sort])
        const after = input.cursor === undefined ? undefined : yield* parseSearchCursor(input.cursor, sort, filters)
        const limit = input.limit ?? 20
        // First pages are what most searches ask for, over and over: they are cached; later pages are not.
        const cacheKey = after === undefined ? searchKey(filter, sort, limit) : undefined
        if (cacheKey !== undefined) {
          const cached = yield* catalogCache.searchPage(cacheKey)
          if (Option.isSome(cached)) return cached.value
        }
        const pageQuery = { ...filter, sort, after, limit }
        const [rows, total] =
          sort === "relevance" && after === undefined
            ? yield* Effect.map(repo.searchWithTotal(pageQuery), (rows) => [rows, rows[0]?.total ?? 0] as const)
            : yield* Effect.all([repo.search(pageQuery), repo.searchTotal(filter)], { concurrency: 2 })
        const items = rows.slice(0, limit)
        const last = items[items.length - 1]
        const page = {
          items: items.map(toCard),
          nextCursor:
            rows.length > limit && last !== undefined
              ? Cursor.make(encodeCursorContent([1, sort, last.sortKey, last.id, filters]))
              : null,
          total
        }
        if (cacheKey !== undefined) yield* catalogCache.storeSearchPage(cacheKey, page)
        return page
      }).pipe(Effect.withSpan("Catalog.search"))

    const related = Effect.fn("Catalog.related")(function* (
      viewer: AuthenticatedUser | undefined,
      input: { readonly id: CourseId; readonly limit?: number | undefined }
    ) {
      const limit = input.limit ?? 6
      // Only a published course's list is ever stored, so a hit is one anybody may see.
      const key = relatedKey(input.id, limit)
      const cached = yield* catalogCache.related(key)
      if (Option.isSome(cached)) return cached.value
      const { course } = yield* visibleCourse(viewer, { id: input.id })
      const cards = (yield* repo.related(course.id, limit)).map(toCard)
      if (course.status === "published") yield* catalogCache.storeRelated(key, cards)
      return cards
    })

    // ------------------------------------------------------------ events from other services

    const ratingDelta = (value: number | undefined) =>
      value === undefined
        ? Effect.succeed(0)
        : Number.isInteger(value) && value >= 1 && value <= 5
          ? Effect.succeed(value)
          : Effect.dieMessage(`a rating is 1 to 5, got ${value}`)

    /**
     * Applies an enrollment or rating change to a course's counters, once per event id however often the event is
     * delivered (catalog.processed_events, in the same transaction as the change).
     */
    const applyCounterEvent = Effect.fn("Catalog.applyCounterEvent")(function* (event: CounterEvent) {
      const enrollments = event.enrollmentDelta ?? 0
      if (!Number.isInteger(enrollments) || Math.abs(enrollments) > 1_000_000) {
        return yield* Effect.dieMessage(`an enrollment change is a whole number, got ${enrollments}`)
      }
      const added = yield* ratingDelta(event.ratingAdded)
      const removed = yield* ratingDelta(event.ratingRemoved)
      const deltas = {
        enrollments,
        ratingSum: added - removed,
        ratingCount: (added > 0 ? 1 : 0) - (removed > 0 ? 1 : 0)
      }
      const outcome = yield* repo.once("course-counters", event.eventId, repo.applyCounters(event.courseId, deltas))
      const result = Option.match(outcome, {
        onNone: (): CounterOutcome => "duplicate",
        onSome: (applied): CounterOutcome => (applied ? "applied" : "unknown_course")
      })
      // Counters emit no event of their own, so the cached course page is dropped here. A duplicate drops it too:
      // it may be the redelivery of an event whose first handling committed and then failed right here.
      if (result !== "unknown_course") yield* Effect.orDie(catalogCache.invalidateCourse(event.courseId))
      return result
    })

    /**
     * The media service's verdict on a video, once per event id: its lessons become ready (or not), with the probed
     * duration when known. Returns the lessons changed.
     */
    const applyMediaEvent = Effect.fn("Catalog.applyMediaEvent")(function* (event: {
      readonly eventId: string
      readonly mediaId: MediaId
      readonly ready: boolean
      readonly durationSeconds?: number | undefined
    }) {
      const outcome = yield* repo.once(
        "media-state",
        event.eventId,
        Effect.gen(function* () {
          yield* repo.upsertMediaState(event.mediaId, event.ready, event.durationSeconds)
          const lessons = yield* repo.setMediaReady(event.mediaId, event.ready, event.durationSeconds)
          for (const courseId of new Set(lessons.map((lesson) => lesson.courseId))) {
            yield* repo.refreshCourseStats(courseId)
          }
          for (const lesson of lessons) {
            yield* repo.emit("lesson.changed", { courseId: lesson.courseId, lessonId: lesson.id, change: "updated" })
          }
          return lessons.map((lesson) => lesson.id)
        })
      )
      return Option.getOrElse(outcome, (): ReadonlyArray<LessonId> => [])
    })

    /**
     * Media deleted an image, once per event id: every course showing it loses its thumbnail, with `course.updated`
     * (which drops their cached pages). Returns the courses changed.
     */
    const applyImageDeleted = Effect.fn("Catalog.applyImageDeleted")(function* (event: {
      readonly eventId: string
      readonly imageId: ImageId
    }) {
      const outcome = yield* repo.once(
        "image-deleted",
        event.eventId,
        Effect.gen(function* () {
          const courses = yield* repo.clearThumbnail(event.imageId)
          for (const course of courses) yield* repo.emit("course.updated", { courseId: course.id, slug: course.slug })
          return courses.map((course) => course.id)
        })
      )
      return Option.getOrElse(outcome, (): ReadonlyArray<CourseId> => [])
    })

    return {
      listCategories,
      createCategory,
      updateCategory,
      deleteCategory,
      createCourse,
      updateCourse,
      deleteCourse,
      getCourse,
      publishedCurriculum,
      myCourses,
      history,
      reviewQueue,
      submitForReview,
      review,
      unpublish,
      createSection,
      updateSection,
      deleteSection,
      createLesson,
      updateLesson,
      deleteLesson,
      reorder,
      search,
      related,
      applyCounterEvent,
      applyMediaEvent,
      applyImageDeleted,
      /** For media playback: may anyone watch `mediaId` because a published course previews it? */
      mediaInPublishedPreview: repo.mediaInPublishedPreview,
      /** For media playback by enrolled learners: the published courses that show `mediaId`. */
      publishedCoursesShowingMedia: repo.publishedCoursesShowingMedia
    }
  })
}) {}
