// CatalogRpcs: categories, courses and their curriculum, the review lifecycle and search — the catalog's public contract.
import { Rpc, RpcGroup } from "@effect/rpc"
import {
  CategoryId,
  CourseId,
  Cursor,
  Discount,
  Forbidden,
  ImageId,
  InvalidCursor,
  InvalidInput,
  Language,
  LessonId,
  Level,
  MediaId,
  Money,
  PageLimit,
  QuizId,
  SectionId,
  Slug,
  UserId
} from "@lectern/domain"
import { Schema } from "effect"
import { Authentication, Viewer } from "./Middleware.ts"
import { strict } from "./Strict.ts"

// ---------------------------------------------------------------- schemas

export const Title = Schema.Trim.pipe(
  Schema.minLength(1, { message: () => "a title is required" }),
  Schema.maxLength(200, { message: () => "a title is at most 200 characters" })
)
export const Subtitle = Schema.Trim.pipe(
  Schema.maxLength(300, { message: () => "a subtitle is at most 300 characters" })
)
export const Description = Schema.String.pipe(
  Schema.maxLength(20_000, { message: () => "a description is at most 20,000 characters" })
)
/** Tags are compared lower-cased; the server lower-cases and de-duplicates them. */
export const Tag = Schema.Trim.pipe(
  Schema.minLength(1),
  Schema.maxLength(40),
  Schema.pattern(/^[\p{L}\p{N}][\p{L}\p{N} +#.-]*$/u, { message: () => "a tag is letters, digits, spaces, + # . -" })
)
export const Tags = Schema.Array(Tag).pipe(Schema.maxItems(10, { message: () => "at most 10 tags" }))
export const CategoryName = Schema.Trim.pipe(Schema.minLength(1), Schema.maxLength(80))
/** An article lesson's text; the cap bounds storage and rendering, not style. */
export const Markdown = Schema.String.pipe(
  Schema.maxLength(100_000, { message: () => "an article is at most 100,000 characters" })
)
export const DurationSeconds = Schema.Int.pipe(
  Schema.between(0, 86_400, { message: () => "a duration is 0 to 86,400 seconds" })
)
export const Feedback = Schema.String.pipe(Schema.maxLength(5000))

export const CourseStatus = Schema.Literal("draft", "pending_review", "published", "rejected")
export type CourseStatus = typeof CourseStatus.Type

/** Where a transition may lead: a status, or the soft delete. */
export const TransitionTarget = Schema.Literal("draft", "pending_review", "published", "rejected", "deleted")
export type TransitionTarget = typeof TransitionTarget.Type

export const EmbedProvider = Schema.Literal("youtube", "dailymotion", "vimeo")
export type EmbedProvider = typeof EmbedProvider.Type

export const LessonKind = Schema.Literal("video", "embed", "article", "quiz")
export type LessonKind = typeof LessonKind.Type

export const PriceFilter = Schema.Literal("free", "paid", "any")
export const SearchSort = Schema.Literal("relevance", "newest", "rating", "popular")
export type SearchSort = typeof SearchSort.Type

export class Category extends Schema.Class<Category>("Category")({
  id: CategoryId,
  name: Schema.String,
  slug: Slug,
  parentId: Schema.NullOr(CategoryId),
  /** 0 for a root; the list is ordered so that every category follows its parent. */
  depth: Schema.Int,
  /** Published courses filed directly under this category. */
  courseCount: Schema.Int
}) {}

/** A course's picture: public URLs of media's 480×270 and 1280×720 JPEG renders of an image. */
export const CourseThumbnail = Schema.Struct({ small: Schema.String, large: Schema.String })
export type CourseThumbnail = typeof CourseThumbnail.Type

/** What a course shows in a list: everything but its description and curriculum. */
const courseCardFields = {
  id: CourseId,
  slug: Slug,
  ownerId: UserId,
  title: Schema.String,
  subtitle: Schema.NullOr(Schema.String),
  categoryId: CategoryId,
  level: Level,
  language: Language,
  price: Money,
  discount: Schema.NullOr(Discount),
  tags: Schema.Array(Schema.String),
  status: CourseStatus,
  /** Null until the first rating; two decimals. */
  ratingAverage: Schema.NullOr(Schema.Number),
  ratingCount: Schema.Int,
  enrollmentCount: Schema.Int,
  lessonCount: Schema.Int,
  durationSeconds: Schema.Int,
  publishedAt: Schema.NullOr(Schema.DateTimeUtc),
  /** Null when the course has none. */
  thumbnail: Schema.NullOr(CourseThumbnail)
}

export class CourseCard extends Schema.Class<CourseCard>("CourseCard")(courseCardFields) {}

export class Course extends Schema.Class<Course>("Course")({
  ...courseCardFields,
  description: Schema.String,
  /** The reviewer's words on the last decision (kept after a rejection so the owner can act on them). */
  reviewFeedback: Schema.NullOr(Schema.String),
  createdAt: Schema.DateTimeUtc,
  updatedAt: Schema.DateTimeUtc
}) {}

export const VideoContent = Schema.Struct({
  kind: Schema.Literal("video"),
  mediaId: MediaId,
  /** False until the media service reports the video transcoded; a course cannot go to review before. */
  mediaReady: Schema.Boolean
})
export const EmbedContent = Schema.Struct({
  kind: Schema.Literal("embed"),
  provider: EmbedProvider,
  videoId: Schema.String,
  /** The provider's player URL for an iframe. */
  embedUrl: Schema.String
})
export const ArticleContent = Schema.Struct({ kind: Schema.Literal("article"), markdown: Schema.String })
export const QuizContent = Schema.Struct({ kind: Schema.Literal("quiz"), quizId: QuizId })
export const LessonContent = Schema.Union(VideoContent, EmbedContent, ArticleContent, QuizContent)
export type LessonContent = typeof LessonContent.Type

/** What a creator sends: an embed is any URL form its provider uses; the server finds the provider and video id. */
export const LessonContentInput = Schema.Union(
  strict({ kind: Schema.Literal("video"), mediaId: MediaId }),
  strict({
    kind: Schema.Literal("embed"),
    url: Schema.Trim.pipe(Schema.minLength(1), Schema.maxLength(2048))
  }),
  strict({ kind: Schema.Literal("article"), markdown: Markdown }),
  strict({ kind: Schema.Literal("quiz"), quizId: QuizId })
)
export type LessonContentInput = typeof LessonContentInput.Type

export class Lesson extends Schema.Class<Lesson>("Lesson")({
  id: LessonId,
  courseId: CourseId,
  sectionId: SectionId,
  title: Schema.String,
  kind: LessonKind,
  position: Schema.Int,
  /** Watchable without enrollment. */
  isPreview: Schema.Boolean,
  durationSeconds: Schema.Int,
  /**
   * Null when the viewer may not see it: a lesson that is not a preview, to anyone but its owner, an admin or the
   * published course's enrolled learners.
   */
  content: Schema.NullOr(LessonContent)
}) {}

export class Section extends Schema.Class<Section>("Section")({
  id: SectionId,
  courseId: CourseId,
  title: Schema.String,
  position: Schema.Int,
  lessons: Schema.Array(Lesson)
}) {}

/** Who made a course, as anyone may see them. */
export class Creator extends Schema.Class<Creator>("Creator")({
  id: UserId,
  /** Their display name; null when the account is gone, or when the catalog runs without auth in its process. */
  name: Schema.NullOr(Schema.String)
}) {}

export class CourseDetail extends Schema.Class<CourseDetail>("CourseDetail")({
  course: Course,
  /** The owner, with their current display name. */
  creator: Creator,
  sections: Schema.Array(Section),
  /** The viewer owns the course or is an admin: the studio may offer editing. */
  canEdit: Schema.Boolean
}) {}

export class Transition extends Schema.Class<Transition>("Transition")({
  courseId: CourseId,
  actorId: UserId,
  /** Null for the creation. */
  from: Schema.NullOr(CourseStatus),
  to: TransitionTarget,
  note: Schema.NullOr(Schema.String),
  at: Schema.DateTimeUtc
}) {}

export const SearchPage = Schema.Struct({
  items: Schema.Array(CourseCard),
  nextCursor: Schema.NullOr(Cursor),
  /** Every published course matching the query and filters, across all pages. */
  total: Schema.Int
})

export const CourseSearch = Schema.Struct({
  q: Schema.optional(Schema.String.pipe(Schema.maxLength(200))),
  /** Includes the courses of its sub-categories. */
  categoryId: Schema.optional(CategoryId),
  level: Schema.optional(Level),
  language: Schema.optional(Language),
  /** Default `any`. */
  price: Schema.optional(PriceFilter),
  minRating: Schema.optional(Schema.Number.pipe(Schema.between(0, 5))),
  /** Default `relevance` with a query, `newest` without. */
  sort: Schema.optional(SearchSort),
  cursor: Schema.optional(Cursor),
  /** Default 20. */
  limit: Schema.optional(PageLimit)
})

const courseFields = {
  title: Title,
  subtitle: Schema.optional(Schema.NullOr(Subtitle)),
  description: Description,
  categoryId: CategoryId,
  level: Level,
  language: Language,
  price: Money,
  tags: Tags,
  discount: Schema.optional(Schema.NullOr(Discount)),
  /** An image (media's `image.create`) of the course's creator, or any for an admin; null or absent: none. */
  thumbnailImageId: Schema.optional(Schema.NullOr(ImageId))
}

export const CourseCreate = strict(courseFields)

export const CourseUpdate = strict({
  id: CourseId,
  title: Schema.optional(Title),
  subtitle: Schema.optional(Schema.NullOr(Subtitle)),
  description: Schema.optional(Description),
  categoryId: Schema.optional(CategoryId),
  level: Schema.optional(Level),
  language: Schema.optional(Language),
  price: Schema.optional(Money),
  tags: Schema.optional(Tags),
  discount: Schema.optional(Schema.NullOr(Discount)),
  /** A new thumbnail (as in CourseCreate); null removes it; absent keeps it. */
  thumbnailImageId: Schema.optional(Schema.NullOr(ImageId))
})

/** One course waiting for an admin's decision. */
export class ReviewQueueItem extends Schema.Class<ReviewQueueItem>("ReviewQueueItem")({
  course: CourseCard,
  /** The owner, with their current display name (null as in `CourseDetail.creator`). */
  creator: Creator,
  /** When the owner last submitted it (the transition to `pending_review`). */
  submittedAt: Schema.DateTimeUtc
}) {}

export const ReviewQueuePage = Schema.Struct({
  items: Schema.Array(ReviewQueueItem),
  nextCursor: Schema.NullOr(Cursor)
})

export const CourseRef = Schema.Union(Schema.Struct({ id: CourseId }), Schema.Struct({ slug: Slug }))

// ---------------------------------------------------------------- errors

export class CourseNotFound extends Schema.TaggedError<CourseNotFound>()("CourseNotFound", {
  /** The id or slug asked for. A course the caller may not see is not found either. */
  id: Schema.String
}) {}

export class CategoryNotFound extends Schema.TaggedError<CategoryNotFound>()("CategoryNotFound", {
  id: Schema.String
}) {}

export class SectionNotFound extends Schema.TaggedError<SectionNotFound>()("SectionNotFound", { id: Schema.String }) {}

export class LessonNotFound extends Schema.TaggedError<LessonNotFound>()("LessonNotFound", { id: Schema.String }) {}

export class CategoryInUse extends Schema.TaggedError<CategoryInUse>()("CategoryInUse", {
  id: CategoryId,
  courseCount: Schema.Int,
  childCount: Schema.Int
}) {}

/** The course's status does not allow this step (submitting a published course, unpublishing a draft, …). */
export class InvalidTransition extends Schema.TaggedError<InvalidTransition>()("InvalidTransition", {
  from: CourseStatus,
  to: TransitionTarget,
  message: Schema.String
}) {}

/** The course cannot go to review yet: it has no lesson, or some video lessons are still being processed. */
export class CourseNotReady extends Schema.TaggedError<CourseNotReady>()("CourseNotReady", {
  reason: Schema.Literal("no_lessons", "media_not_ready"),
  lessonIds: Schema.Array(LessonId)
}) {}

/** A course under review is frozen for its owner until the decision. */
export class CourseLocked extends Schema.TaggedError<CourseLocked>()("CourseLocked", {
  id: CourseId,
  status: CourseStatus
}) {}

/** The thumbnail is no image of the course's creator (someone else's, deleted or unknown; admins may use any). */
export class InvalidThumbnail extends Schema.TaggedError<InvalidThumbnail>()("InvalidThumbnail", {
  imageId: Schema.String,
  reason: Schema.String
}) {}

/** A reorder that does not list every section and lesson of the course exactly once, or names foreign ones. */
export class CurriculumMismatch extends Schema.TaggedError<CurriculumMismatch>()("CurriculumMismatch", {
  message: Schema.String
}) {}

// ---------------------------------------------------------------- RPCs

/**
 * Calls anyone may make. The Viewer middleware knows the caller when a token is sent: the owner or an admin then
 * sees an unpublished course. A token that does not verify fails the call with Unauthorized.
 */
export class CatalogPublicRpcs extends RpcGroup.make(
  Rpc.make("category.list", { success: Schema.Array(Category), error: InvalidInput }),
  Rpc.make("course.get", {
    payload: CourseRef,
    success: CourseDetail,
    error: Schema.Union(InvalidInput, CourseNotFound)
  }),
  Rpc.make("course.search", {
    payload: CourseSearch,
    success: SearchPage,
    error: Schema.Union(InvalidInput, InvalidCursor)
  }),
  Rpc.make("course.related", {
    payload: { id: CourseId, limit: Schema.optional(Schema.Int.pipe(Schema.between(1, 20))) },
    success: Schema.Array(CourseCard),
    error: Schema.Union(InvalidInput, CourseNotFound)
  })
).middleware(Viewer) {}

/** Calls that need a valid access token (the Authentication middleware provides CurrentUser). */
export class CatalogUserRpcs extends RpcGroup.make(
  Rpc.make("category.create", {
    payload: strict({ name: CategoryName, parentId: Schema.optional(CategoryId) }),
    success: Category,
    error: Schema.Union(InvalidInput, Forbidden, CategoryNotFound)
  }),
  Rpc.make("category.update", {
    payload: strict({
      id: CategoryId,
      name: Schema.optional(CategoryName),
      parentId: Schema.optional(Schema.NullOr(CategoryId))
    }),
    success: Category,
    error: Schema.Union(InvalidInput, Forbidden, CategoryNotFound)
  }),
  Rpc.make("category.delete", {
    payload: strict({ id: CategoryId }),
    error: Schema.Union(InvalidInput, Forbidden, CategoryNotFound, CategoryInUse)
  }),
  Rpc.make("course.create", {
    payload: CourseCreate,
    success: Course,
    error: Schema.Union(InvalidInput, Forbidden, CategoryNotFound, InvalidThumbnail)
  }),
  Rpc.make("course.update", {
    payload: CourseUpdate,
    success: Course,
    error: Schema.Union(InvalidInput, Forbidden, CourseNotFound, CategoryNotFound, CourseLocked, InvalidThumbnail)
  }),
  Rpc.make("course.delete", {
    payload: strict({ id: CourseId }),
    error: Schema.Union(InvalidInput, Forbidden, CourseNotFound, InvalidTransition)
  }),
  Rpc.make("course.mine", { success: Schema.Array(Course), error: InvalidInput }),
  Rpc.make("course.history", {
    payload: strict({ id: CourseId }),
    success: Schema.Array(Transition),
    error: Schema.Union(InvalidInput, Forbidden, CourseNotFound)
  }),
  Rpc.make("course.submitForReview", {
    payload: strict({ id: CourseId }),
    success: Course,
    error: Schema.Union(InvalidInput, Forbidden, CourseNotFound, InvalidTransition, CourseNotReady)
  }),
  Rpc.make("course.review", {
    payload: strict({ id: CourseId, decision: Schema.Literal("approve", "reject"), feedback: Feedback }),
    success: Course,
    error: Schema.Union(InvalidInput, Forbidden, CourseNotFound, InvalidTransition)
  }),
  /** Admins: the courses pending review, oldest submission first, in keyset pages (default 20). */
  Rpc.make("course.reviewQueue", {
    payload: strict({ cursor: Schema.optional(Cursor), limit: Schema.optional(PageLimit) }),
    success: ReviewQueuePage,
    error: Schema.Union(InvalidInput, Forbidden, InvalidCursor)
  }),
  Rpc.make("course.unpublish", {
    payload: strict({ id: CourseId, note: Schema.optional(Feedback) }),
    success: Course,
    error: Schema.Union(InvalidInput, Forbidden, CourseNotFound, InvalidTransition)
  }),
  Rpc.make("section.create", {
    payload: strict({ courseId: CourseId, title: Title }),
    success: Section,
    error: Schema.Union(InvalidInput, Forbidden, CourseNotFound, CourseLocked)
  }),
  Rpc.make("section.update", {
    payload: strict({ id: SectionId, title: Title }),
    success: Section,
    error: Schema.Union(InvalidInput, Forbidden, SectionNotFound, CourseLocked)
  }),
  Rpc.make("section.delete", {
    payload: strict({ id: SectionId }),
    error: Schema.Union(InvalidInput, Forbidden, SectionNotFound, CourseLocked)
  }),
  Rpc.make("lesson.create", {
    payload: strict({
      sectionId: SectionId,
      title: Title,
      content: LessonContentInput,
      isPreview: Schema.optional(Schema.Boolean),
      /** Default: the reading time of an article, else 0 until known. */
      durationSeconds: Schema.optional(DurationSeconds)
    }),
    success: Lesson,
    error: Schema.Union(InvalidInput, Forbidden, SectionNotFound, CourseLocked)
  }),
  Rpc.make("lesson.update", {
    payload: strict({
      id: LessonId,
      title: Schema.optional(Title),
      content: Schema.optional(LessonContentInput),
      isPreview: Schema.optional(Schema.Boolean),
      durationSeconds: Schema.optional(DurationSeconds)
    }),
    success: Lesson,
    error: Schema.Union(InvalidInput, Forbidden, LessonNotFound, CourseLocked)
  }),
  Rpc.make("lesson.delete", {
    payload: strict({ id: LessonId }),
    error: Schema.Union(InvalidInput, Forbidden, LessonNotFound, CourseLocked)
  }),
  Rpc.make("curriculum.reorder", {
    payload: strict({
      courseId: CourseId,
      sections: Schema.Array(
        strict({ id: SectionId, lessonIds: Schema.Array(LessonId).pipe(Schema.maxItems(1000)) })
      ).pipe(Schema.maxItems(500))
    }),
    success: CourseDetail,
    error: Schema.Union(InvalidInput, Forbidden, CourseNotFound, CourseLocked, CurriculumMismatch)
  })
).middleware(Authentication) {}

/** The whole catalog service: `client.course.search(...)`, `client.lesson.create(...)`, … */
export class CatalogRpcs extends CatalogPublicRpcs.merge(CatalogUserRpcs) {}
