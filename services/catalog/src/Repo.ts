// CatalogRepo: the SQL of the catalog schema and nothing else; SqlError dies here, rows become domain values.
import { SqlClient } from "@effect/sql"
import { SqlError } from "@effect/sql/SqlError"
import { Catalog, type Events } from "@lectern/contracts"
import type {
  CategoryId,
  CourseId,
  Discount,
  ImageId,
  Language,
  LessonId,
  Level,
  MediaId,
  QuizId,
  SectionId,
  Slug,
  UserId
} from "@lectern/domain"
import { dieOnSqlError, transactionDieOnSqlError } from "@lectern/platform/Database"
import { appendEvent, processOnce } from "@lectern/platform/Outbox"
import { DateTime, Effect, Option } from "effect"

/** The Postgres schema the catalog owns. */
export const CATALOG_SCHEMA = "catalog"

// ---------------------------------------------------------------- rows

interface CourseCardRow {
  readonly id: CourseId
  readonly slug: Slug
  readonly ownerId: UserId
  readonly title: string
  readonly subtitle: string | null
  /** Never null for a live course (a CHECK constraint); only deleted courses lose their category. */
  readonly categoryId: CategoryId
  readonly level: Level
  readonly language: Language
  readonly priceAmount: number
  readonly priceCurrency: string
  readonly discountKind: "percent" | "amount" | null
  readonly discountValue: number | null
  readonly discountEndsAt: Date | null
  readonly tags: ReadonlyArray<string>
  readonly status: Catalog.CourseStatus
  readonly ratingAverage: number
  readonly ratingCount: number
  readonly enrollmentCount: number
  readonly lessonCount: number
  readonly durationSeconds: number
  readonly publishedAt: Date | null
  /** All three set, or none (a CHECK constraint). */
  readonly thumbnailImageId: ImageId | null
  readonly thumbnailSmallUrl: string | null
  readonly thumbnailLargeUrl: string | null
}

export interface CourseRow extends CourseCardRow {
  readonly description: string
  readonly reviewFeedback: string | null
  readonly createdAt: Date
  readonly updatedAt: Date
}

/** A search hit: the card and the value it is sorted by, as text, for the next page's cursor. */
export interface SearchRow extends CourseCardRow {
  readonly sortKey: string
}

/** A hit of `searchWithTotal`: also the number of rows matching the whole query, on every row. */
export interface SearchRowWithTotal extends SearchRow {
  readonly total: number
}

export interface CategoryRow {
  readonly id: CategoryId
  readonly parentId: CategoryId | null
  readonly name: string
  readonly slug: Slug
  readonly depth: number
  readonly courseCount: number
}

export interface SectionRow {
  readonly id: SectionId
  readonly courseId: CourseId
  readonly title: string
  readonly position: number
}

export interface LessonRow {
  readonly id: LessonId
  readonly courseId: CourseId
  readonly sectionId: SectionId
  readonly title: string
  readonly kind: Catalog.LessonKind
  readonly position: number
  readonly isPreview: boolean
  readonly durationSeconds: number
  readonly mediaId: MediaId | null
  readonly mediaReady: boolean
  readonly embedProvider: Catalog.EmbedProvider | null
  readonly embedVideoId: string | null
  readonly markdown: string | null
  readonly quizId: QuizId | null
}

/** A course pending review, with the id and time of the submission that put it there (the queue's keyset). */
export interface ReviewQueueRow extends CourseCardRow {
  readonly submissionId: string
  readonly submittedAt: Date
}

interface TransitionRow {
  readonly courseId: CourseId
  readonly actorId: UserId
  readonly fromStatus: Catalog.CourseStatus | null
  readonly toStatus: Catalog.TransitionTarget
  readonly note: string | null
  readonly at: Date
}

/** Every field of a course its owner edits; the domain merges a patch into the current row and writes them all. */
export interface CourseFields {
  readonly title: string
  readonly subtitle: string | null
  readonly description: string
  readonly categoryId: CategoryId
  readonly level: Level
  readonly language: Language
  readonly priceAmount: number
  readonly priceCurrency: string
  readonly discount: Discount | null
  readonly tags: ReadonlyArray<string>
  /** The image and the URLs media gave for it, or null. */
  readonly thumbnail: { readonly imageId: ImageId; readonly urls: Catalog.CourseThumbnail } | null
}

/** What a lesson holds, in columns; exactly the ones of its kind are set. */
export interface LessonBody {
  readonly title: string
  readonly kind: Catalog.LessonKind
  readonly isPreview: boolean
  readonly durationSeconds: number
  readonly mediaId: MediaId | null
  readonly mediaReady: boolean
  readonly embedProvider: Catalog.EmbedProvider | null
  readonly embedVideoId: string | null
  readonly markdown: string | null
  readonly quizId: QuizId | null
}

export interface SearchFilter {
  /** Normalised words; every one must match, the last as a prefix (type-ahead). Empty: no text condition. */
  readonly terms: ReadonlyArray<string>
  readonly categoryId: CategoryId | undefined
  readonly level: Level | undefined
  readonly language: Language | undefined
  readonly price: "free" | "paid" | "any"
  readonly minRating: number | undefined
}

export interface SearchPageQuery extends SearchFilter {
  readonly sort: Catalog.SearchSort
  /** The last row of the previous page: its sort key as text (already validated) and id. */
  readonly after: { readonly key: string; readonly id: CourseId } | undefined
  readonly limit: number
}

export interface CounterDeltas {
  readonly enrollments: number
  readonly ratingSum: number
  readonly ratingCount: number
}

// ---------------------------------------------------------------- rows → contract values

const utc = (date: Date) => DateTime.unsafeFromDate(date)

export const toDiscount = (row: CourseCardRow): Discount | null => {
  if (row.discountKind === null || row.discountValue === null || row.discountEndsAt === null) return null
  return row.discountKind === "percent"
    ? { kind: "percent", percent: row.discountValue, endsAt: utc(row.discountEndsAt) }
    : { kind: "amount", amount: row.discountValue, endsAt: utc(row.discountEndsAt) }
}

const cardFields = (row: CourseCardRow) => ({
  id: row.id,
  slug: row.slug,
  ownerId: row.ownerId,
  title: row.title,
  subtitle: row.subtitle,
  categoryId: row.categoryId,
  level: row.level,
  language: row.language,
  price: { amount: row.priceAmount, currency: row.priceCurrency },
  discount: toDiscount(row),
  tags: [...row.tags],
  status: row.status,
  ratingAverage: row.ratingCount === 0 ? null : row.ratingAverage,
  ratingCount: row.ratingCount,
  enrollmentCount: row.enrollmentCount,
  lessonCount: row.lessonCount,
  durationSeconds: row.durationSeconds,
  publishedAt: row.publishedAt === null ? null : utc(row.publishedAt),
  thumbnail:
    row.thumbnailSmallUrl === null || row.thumbnailLargeUrl === null
      ? null
      : { small: row.thumbnailSmallUrl, large: row.thumbnailLargeUrl }
})

// Rows come from our own constrained tables, so constructing skips re-validation (it was a third of the gateway's
// CPU on a search page of 20 cards); the RPC layer still encodes every value through the contract's Schema.
const trusted = true

export const toCard = (row: CourseCardRow) => new Catalog.CourseCard(cardFields(row), trusted)

export const toCourse = (row: CourseRow) =>
  new Catalog.Course(
    {
      ...cardFields(row),
      description: row.description,
      reviewFeedback: row.reviewFeedback,
      createdAt: utc(row.createdAt),
      updatedAt: utc(row.updatedAt)
    },
    trusted
  )

export const toCategory = (row: CategoryRow) =>
  new Catalog.Category(
    {
      id: row.id,
      name: row.name,
      slug: row.slug,
      parentId: row.parentId,
      depth: row.depth,
      courseCount: row.courseCount
    },
    trusted
  )

export const toTransition = (row: TransitionRow) =>
  new Catalog.Transition(
    {
      courseId: row.courseId,
      actorId: row.actorId,
      from: row.fromStatus,
      to: row.toStatus,
      note: row.note,
      at: utc(row.at)
    },
    trusted
  )

// ---------------------------------------------------------------- the repo

const CARD_COLUMNS = `c.id, c.slug, c.owner_id, c.title, c.subtitle, c.category_id, c.level, c.language,
  c.price_amount, c.price_currency, c.discount_kind, c.discount_value, c.discount_ends_at, c.tags, c.status,
  c.rating_average::float8 AS rating_average, c.rating_count, c.enrollment_count, c.lesson_count,
  c.duration_seconds, c.published_at, c.thumbnail_image_id, c.thumbnail_small_url, c.thumbnail_large_url`
const COURSE_COLUMNS = `${CARD_COLUMNS}, c.description, c.review_feedback, c.created_at, c.updated_at`
/**
 * The card columns already named as CourseCardRow names them, for the list queries (search, related) run without
 * the client's snake_case → camelCase result transform: renaming every key of every row was ~8% of a search's CPU.
 */
const CARD_COLUMNS_AS_FIELDS = `c.id, c.slug, c.owner_id AS "ownerId", c.title, c.subtitle,
  c.category_id AS "categoryId", c.level, c.language, c.price_amount AS "priceAmount",
  c.price_currency AS "priceCurrency", c.discount_kind AS "discountKind", c.discount_value AS "discountValue",
  c.discount_ends_at AS "discountEndsAt", c.tags, c.status, c.rating_average::float8 AS "ratingAverage",
  c.rating_count AS "ratingCount", c.enrollment_count AS "enrollmentCount", c.lesson_count AS "lessonCount",
  c.duration_seconds AS "durationSeconds", c.published_at AS "publishedAt",
  c.thumbnail_image_id AS "thumbnailImageId", c.thumbnail_small_url AS "thumbnailSmallUrl",
  c.thumbnail_large_url AS "thumbnailLargeUrl"`
const LESSON_COLUMNS = `id, course_id, section_id, title, kind, position, is_preview, duration_seconds, media_id,
  media_ready, embed_provider, embed_video_id, markdown, quiz_id`

/** Visible in the catalog: published and not deleted. */
const LISTED = "c.status = 'published' AND c.deleted_at IS NULL"

export class CatalogRepo extends Effect.Service<CatalogRepo>()("@lectern/catalog/CatalogRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const one = <A>(rows: ReadonlyArray<A>) => Option.fromNullable(rows[0])
    const courseColumns = sql.literal(COURSE_COLUMNS)
    const cardColumns = sql.literal(CARD_COLUMNS)
    const cardFields = sql.literal(CARD_COLUMNS_AS_FIELDS)
    /** For statements whose columns carry their field names already (CARD_COLUMNS_AS_FIELDS). */
    const named = sql.withoutTransforms()
    const lessonColumns = sql.literal(LESSON_COLUMNS)

    // ------------------------------------------------------------ categories

    /** The tree as a list in depth-first order (siblings by name), each with its published course count. */
    const categoryTree = sql<CategoryRow>`
      WITH RECURSIVE tree AS (
        SELECT id, parent_id, name, slug, 0 AS depth, ARRAY[lower(name), id::text] AS path
        FROM catalog.categories WHERE parent_id IS NULL
        UNION ALL
        SELECT child.id, child.parent_id, child.name, child.slug, tree.depth + 1,
          tree.path || ARRAY[lower(child.name), child.id::text]
        FROM catalog.categories child JOIN tree ON child.parent_id = tree.id
      )
      SELECT tree.id, tree.parent_id, tree.name, tree.slug, tree.depth,
        (SELECT count(*)::int FROM catalog.courses c WHERE c.category_id = tree.id AND ${sql.literal(LISTED)})
          AS course_count
      FROM tree ORDER BY tree.path`

    const categoryById = (id: CategoryId) =>
      sql<CategoryRow>`SELECT cat.id, cat.parent_id, cat.name, cat.slug,
          (WITH RECURSIVE up AS (
             SELECT parent_id FROM catalog.categories WHERE id = cat.id
             UNION ALL SELECT p.parent_id FROM catalog.categories p JOIN up ON p.id = up.parent_id
           ) SELECT count(*)::int - 1 FROM up) AS depth,
          (SELECT count(*)::int FROM catalog.courses c WHERE c.category_id = cat.id AND ${sql.literal(LISTED)})
            AS course_count
        FROM catalog.categories cat WHERE cat.id = ${id}`.pipe(Effect.map(one))

    /** Locks the category until the transaction ends: a course filed under it concurrently waits for the delete. */
    const lockCategory = (id: CategoryId) =>
      sql<{ id: CategoryId }>`SELECT id FROM catalog.categories WHERE id = ${id} FOR UPDATE`.pipe(
        Effect.map((rows) => rows.length > 0)
      )

    const categoryExists = (id: CategoryId) =>
      sql<{ id: CategoryId }>`SELECT id FROM catalog.categories WHERE id = ${id}`.pipe(
        Effect.map((rows) => rows.length > 0)
      )

    /** `None` when the slug is taken. */
    const insertCategory = (row: {
      readonly id: CategoryId
      readonly parentId: CategoryId | null
      readonly name: string
      readonly slug: Slug
    }) =>
      sql<{ id: CategoryId }>`INSERT INTO catalog.categories (id, parent_id, name, slug)
        VALUES (${row.id}, ${row.parentId}, ${row.name}, ${row.slug})
        ON CONFLICT (slug) DO NOTHING RETURNING id`.pipe(Effect.map(one))

    const updateCategory = (id: CategoryId, fields: { readonly name: string; readonly parentId: CategoryId | null }) =>
      sql`UPDATE catalog.categories SET name = ${fields.name}, parent_id = ${fields.parentId} WHERE id = ${id}`

    /** True when `candidate` is `id` itself or lies below it: making it the parent would close a loop. */
    const isSelfOrDescendant = (id: CategoryId, candidate: CategoryId) =>
      sql<{ found: boolean }>`
        WITH RECURSIVE below AS (
          SELECT id FROM catalog.categories WHERE id = ${id}
          UNION ALL SELECT child.id FROM catalog.categories child JOIN below ON child.parent_id = below.id
        )
        SELECT EXISTS (SELECT 1 FROM below WHERE id = ${candidate}) AS found`.pipe(
        Effect.map((rows) => rows[0]?.found ?? false)
      )

    /** Live courses (any status) filed under the category, and its direct children. */
    const categoryUsage = (id: CategoryId) =>
      sql<{ courseCount: number; childCount: number }>`SELECT
          (SELECT count(*)::int FROM catalog.courses WHERE category_id = ${id} AND deleted_at IS NULL) AS course_count,
          (SELECT count(*)::int FROM catalog.categories WHERE parent_id = ${id}) AS child_count`.pipe(
        Effect.map((rows) => rows[0] ?? { courseCount: 0, childCount: 0 })
      )

    const deleteCategory = (id: CategoryId) => sql`DELETE FROM catalog.categories WHERE id = ${id}`

    /** One tree change at a time, so two concurrent moves cannot close a loop between them. */
    const lockCategoryTree = sql`SELECT pg_advisory_xact_lock(hashtext('lectern.catalog.categories'))`

    // ------------------------------------------------------------ courses

    const courseById = (id: CourseId) =>
      sql<CourseRow>`SELECT ${courseColumns} FROM catalog.courses c
        WHERE c.id = ${id} AND c.deleted_at IS NULL`.pipe(Effect.map(one))

    const courseBySlug = (slug: Slug) =>
      sql<CourseRow>`SELECT ${courseColumns} FROM catalog.courses c
        WHERE c.slug = ${slug} AND c.deleted_at IS NULL`.pipe(Effect.map(one))

    /** The live course, locked for the rest of the transaction: every change to a course or its curriculum. */
    const courseForUpdate = (id: CourseId) =>
      sql<CourseRow>`SELECT ${courseColumns} FROM catalog.courses c
        WHERE c.id = ${id} AND c.deleted_at IS NULL FOR UPDATE`.pipe(Effect.map(one))

    /** The slug of any course, deleted or not; it never changes. */
    const courseSlug = (id: CourseId) =>
      sql<{ slug: Slug }>`SELECT slug FROM catalog.courses WHERE id = ${id}`.pipe(
        Effect.map((rows) => Option.map(one(rows), (row) => row.slug))
      )

    /** Owner and deletion of any course, deleted or not (its history outlives it). */
    const courseOwnership = (id: CourseId) =>
      sql<{ ownerId: UserId; deletedAt: Date | null }>`SELECT owner_id, deleted_at FROM catalog.courses
        WHERE id = ${id}`.pipe(Effect.map(one))

    const coursesOfOwner = (ownerId: UserId) =>
      sql<CourseRow>`SELECT ${courseColumns} FROM catalog.courses c
        WHERE c.owner_id = ${ownerId} AND c.deleted_at IS NULL ORDER BY c.updated_at DESC, c.id DESC`

    const thumbnailColumns = (thumbnail: CourseFields["thumbnail"]) => ({
      imageId: thumbnail?.imageId ?? null,
      small: thumbnail?.urls.small ?? null,
      large: thumbnail?.urls.large ?? null
    })

    const discountColumns = (discount: Discount | null) => ({
      kind: discount?.kind ?? null,
      value: discount === null ? null : discount.kind === "percent" ? discount.percent : discount.amount,
      endsAt: discount === null ? null : DateTime.toDate(discount.endsAt)
    })

    /** `None` when the slug is taken (the unique index decides, race-free); nothing else is written then. */
    const insertCourse = (
      row: CourseFields & { readonly id: CourseId; readonly slug: Slug; readonly ownerId: UserId }
    ) => {
      const discount = discountColumns(row.discount)
      const thumbnail = thumbnailColumns(row.thumbnail)
      return sql<CourseRow>`WITH c AS (
          INSERT INTO catalog.courses (id, slug, owner_id, title, subtitle, description, category_id, level, language,
            price_amount, price_currency, discount_kind, discount_value, discount_ends_at, tags, thumbnail_image_id,
            thumbnail_small_url, thumbnail_large_url)
          VALUES (${row.id}, ${row.slug}, ${row.ownerId}, ${row.title}, ${row.subtitle}, ${row.description},
            ${row.categoryId}, ${row.level}, ${row.language}, ${row.priceAmount}, ${row.priceCurrency},
            ${discount.kind}, ${discount.value}, ${discount.endsAt}, ${row.tags}::text[], ${thumbnail.imageId},
            ${thumbnail.small}, ${thumbnail.large})
          ON CONFLICT (slug) DO NOTHING RETURNING *)
        SELECT ${courseColumns} FROM c`.pipe(Effect.map(one))
    }

    /** Slugs already used that `base` would collide with (itself and `base-…`); slugs hold no LIKE wildcards. */
    const slugsLike = (table: "courses" | "categories", base: Slug) =>
      sql<{ slug: string }>`SELECT slug FROM ${sql.literal(`catalog.${table}`)}
        WHERE slug = ${base} OR slug LIKE ${`${base}-%`}`.pipe(Effect.map((rows) => rows.map((row) => row.slug)))

    const updateCourse = (id: CourseId, fields: CourseFields) => {
      const discount = discountColumns(fields.discount)
      const thumbnail = thumbnailColumns(fields.thumbnail)
      return sql<CourseRow>`UPDATE catalog.courses c SET title = ${fields.title}, subtitle = ${fields.subtitle},
          description = ${fields.description}, category_id = ${fields.categoryId}, level = ${fields.level},
          language = ${fields.language}, price_amount = ${fields.priceAmount}, price_currency = ${fields.priceCurrency},
          discount_kind = ${discount.kind}, discount_value = ${discount.value},
          discount_ends_at = ${discount.endsAt}, tags = ${fields.tags}::text[],
          thumbnail_image_id = ${thumbnail.imageId}, thumbnail_small_url = ${thumbnail.small},
          thumbnail_large_url = ${thumbnail.large}, updated_at = now()
        WHERE c.id = ${id} RETURNING ${courseColumns}`.pipe(Effect.map(one))
    }

    /** Moves a course to `status`. Publishing stamps `published_at` (to the millisecond); other statuses clear it. */
    const setStatus = (id: CourseId, status: Catalog.CourseStatus, reviewFeedback: string | null) =>
      sql<CourseRow>`UPDATE catalog.courses c SET status = ${status},
          published_at = CASE WHEN ${status}::text = 'published' THEN date_trunc('milliseconds', now()) END,
          review_feedback = ${reviewFeedback}, updated_at = now()
        WHERE c.id = ${id} RETURNING ${courseColumns}`.pipe(Effect.map(one))

    const softDeleteCourse = (id: CourseId) =>
      sql`UPDATE catalog.courses SET deleted_at = now(), updated_at = now() WHERE id = ${id}`

    /** Whether a course other than `courseId` (and not deleted) shows `imageId`. */
    const imageShownElsewhere = (imageId: ImageId, courseId: CourseId) =>
      sql`SELECT 1 FROM catalog.courses
        WHERE thumbnail_image_id = ${imageId} AND id <> ${courseId} AND deleted_at IS NULL LIMIT 1`.pipe(
        Effect.map((rows) => rows.length > 0)
      )

    /** Every course showing `imageId` loses its thumbnail (the image is gone); answers those courses. */
    const clearThumbnail = (imageId: ImageId) =>
      sql<{ id: CourseId; slug: Slug }>`UPDATE catalog.courses SET thumbnail_image_id = NULL,
          thumbnail_small_url = NULL, thumbnail_large_url = NULL, updated_at = now()
        WHERE thumbnail_image_id = ${imageId} RETURNING id, slug`

    const insertTransition = (row: {
      readonly courseId: CourseId
      readonly actorId: UserId
      readonly from: Catalog.CourseStatus | null
      readonly to: Catalog.TransitionTarget
      readonly note: string | null
    }) =>
      sql`INSERT INTO catalog.course_transitions (course_id, actor_id, from_status, to_status, note)
        VALUES (${row.courseId}, ${row.actorId}, ${row.from}, ${row.to}, ${row.note})`

    const transitions = (courseId: CourseId) =>
      sql<TransitionRow>`SELECT course_id, actor_id, from_status, to_status, note, at
        FROM catalog.course_transitions WHERE course_id = ${courseId} ORDER BY id`

    /**
     * Courses pending review, oldest submission first: each with its latest transition to `pending_review`, keyed
     * by that transition's id (a bigserial, so the cursor is exact where a timestamp would round).
     */
    const reviewQueue = (afterSubmissionId: string | undefined, limit: number) =>
      sql<ReviewQueueRow>`SELECT ${cardColumns}, t.id::text AS submission_id, t.at AS submitted_at
        FROM catalog.courses c
        CROSS JOIN LATERAL (
          SELECT id, at FROM catalog.course_transitions
          WHERE course_id = c.id AND to_status = 'pending_review' ORDER BY id DESC LIMIT 1
        ) t
        WHERE c.status = 'pending_review' AND c.deleted_at IS NULL
          ${afterSubmissionId === undefined ? sql`` : sql`AND t.id > ${afterSubmissionId}::bigint`}
        ORDER BY t.id LIMIT ${limit}`

    /** Recomputes the lesson count and total duration shown on cards, inside the curriculum change's transaction. */
    const refreshCourseStats = (courseId: CourseId) =>
      sql`UPDATE catalog.courses SET
          lesson_count = (SELECT count(*) FROM catalog.lessons WHERE course_id = ${courseId}),
          duration_seconds = (SELECT coalesce(sum(duration_seconds), 0) FROM catalog.lessons
            WHERE course_id = ${courseId}),
          updated_at = now()
        WHERE id = ${courseId}`

    /** Applies counter changes; none goes below zero. False when the course does not exist. */
    const applyCounters = (courseId: CourseId, deltas: CounterDeltas) =>
      sql<{ id: CourseId }>`UPDATE catalog.courses SET
          enrollment_count = greatest(0, enrollment_count + ${deltas.enrollments}),
          rating_sum = greatest(0, rating_sum + ${deltas.ratingSum}),
          rating_count = greatest(0, rating_count + ${deltas.ratingCount})
        WHERE id = ${courseId} RETURNING id`.pipe(Effect.map((rows) => rows.length > 0))

    // ------------------------------------------------------------ curriculum

    const sectionById = (id: SectionId) =>
      sql<SectionRow>`SELECT id, course_id, title, position FROM catalog.sections WHERE id = ${id}`.pipe(
        Effect.map(one)
      )

    const sectionsOfCourse = (courseId: CourseId) =>
      sql<SectionRow>`SELECT id, course_id, title, position FROM catalog.sections
        WHERE course_id = ${courseId} ORDER BY position, id`

    const insertSection = (row: { readonly id: SectionId; readonly courseId: CourseId; readonly title: string }) =>
      sql<SectionRow>`INSERT INTO catalog.sections (id, course_id, title, position)
        VALUES (${row.id}, ${row.courseId}, ${row.title},
          (SELECT coalesce(max(position) + 1, 0) FROM catalog.sections WHERE course_id = ${row.courseId}))
        RETURNING id, course_id, title, position`.pipe(Effect.map(one))

    const renameSection = (id: SectionId, title: string) =>
      sql<SectionRow>`UPDATE catalog.sections SET title = ${title} WHERE id = ${id}
        RETURNING id, course_id, title, position`.pipe(Effect.map(one))

    const deleteSection = (id: SectionId) => sql`DELETE FROM catalog.sections WHERE id = ${id}`

    const lessonById = (id: LessonId) =>
      sql<LessonRow>`SELECT ${lessonColumns} FROM catalog.lessons WHERE id = ${id}`.pipe(Effect.map(one))

    const lessonsOfCourse = (courseId: CourseId) =>
      sql<LessonRow>`SELECT ${lessonColumns} FROM catalog.lessons WHERE course_id = ${courseId}
        ORDER BY position, id`

    const lessonsOfSection = (sectionId: SectionId) =>
      sql<LessonRow>`SELECT ${lessonColumns} FROM catalog.lessons WHERE section_id = ${sectionId}
        ORDER BY position, id`

    const insertLesson = (
      row: LessonBody & { readonly id: LessonId; readonly courseId: CourseId; readonly sectionId: SectionId }
    ) =>
      sql<LessonRow>`INSERT INTO catalog.lessons (id, course_id, section_id, title, kind, position, is_preview,
          duration_seconds, media_id, media_ready, embed_provider, embed_video_id, markdown, quiz_id)
        VALUES (${row.id}, ${row.courseId}, ${row.sectionId}, ${row.title}, ${row.kind},
          (SELECT coalesce(max(position) + 1, 0) FROM catalog.lessons WHERE section_id = ${row.sectionId}),
          ${row.isPreview}, ${row.durationSeconds}, ${row.mediaId}, ${row.mediaReady}, ${row.embedProvider},
          ${row.embedVideoId}, ${row.markdown}, ${row.quizId})
        RETURNING ${lessonColumns}`.pipe(Effect.map(one))

    const updateLesson = (id: LessonId, body: LessonBody) =>
      sql<LessonRow>`UPDATE catalog.lessons SET title = ${body.title}, kind = ${body.kind},
          is_preview = ${body.isPreview}, duration_seconds = ${body.durationSeconds}, media_id = ${body.mediaId},
          media_ready = ${body.mediaReady}, embed_provider = ${body.embedProvider},
          embed_video_id = ${body.embedVideoId}, markdown = ${body.markdown}, quiz_id = ${body.quizId},
          updated_at = now()
        WHERE id = ${id} RETURNING ${lessonColumns}`.pipe(Effect.map(one))

    const deleteLesson = (id: LessonId) => sql`DELETE FROM catalog.lessons WHERE id = ${id}`

    /** Writes a whole new order at once; the position constraints are checked at commit. */
    const reorder = (
      sections: ReadonlyArray<{ readonly id: SectionId; readonly position: number }>,
      lessons: ReadonlyArray<{ readonly id: LessonId; readonly sectionId: SectionId; readonly position: number }>
    ) =>
      Effect.zipRight(
        sql`UPDATE catalog.sections s SET position = v.position
          FROM jsonb_to_recordset(${JSON.stringify(sections)}::jsonb) AS v(id uuid, position int)
          WHERE s.id = v.id`,
        sql`UPDATE catalog.lessons l SET section_id = v."sectionId", position = v.position, updated_at = now()
          FROM jsonb_to_recordset(${JSON.stringify(lessons)}::jsonb) AS v(id uuid, "sectionId" uuid, position int)
          WHERE l.id = v.id`
      )

    /** Marks the video lessons showing `mediaId` ready (or not), optionally with the probed duration. */
    const setMediaReady = (mediaId: MediaId, ready: boolean, durationSeconds: number | undefined) =>
      sql<{ id: LessonId; courseId: CourseId }>`UPDATE catalog.lessons SET media_ready = ${ready},
          duration_seconds = coalesce(${durationSeconds ?? null}::int, duration_seconds), updated_at = now()
        WHERE media_id = ${mediaId} AND kind = 'video' RETURNING id, course_id`

    /** The published courses showing `mediaId` in a video lesson (preview or not). */
    const publishedCoursesShowingMedia = (mediaId: MediaId) =>
      sql<{ courseId: CourseId }>`SELECT DISTINCT l.course_id AS "courseId" FROM catalog.lessons l
          JOIN catalog.courses c ON c.id = l.course_id
          WHERE l.media_id = ${mediaId} AND l.kind = 'video' AND c.status = 'published' AND c.deleted_at IS NULL`.pipe(
        Effect.map((rows) => rows.map((row) => row.courseId))
      )

    /** Records the media service's last word on a video, for lessons that start showing it later. */
    const upsertMediaState = (mediaId: MediaId, ready: boolean, durationSeconds: number | undefined) =>
      sql`INSERT INTO catalog.media_states (media_id, ready, duration_seconds)
          VALUES (${mediaId}, ${ready}, ${durationSeconds ?? null})
          ON CONFLICT (media_id) DO UPDATE SET ready = EXCLUDED.ready,
            duration_seconds = coalesce(EXCLUDED.duration_seconds, catalog.media_states.duration_seconds),
            updated_at = now()`

    const mediaState = (mediaId: MediaId) =>
      sql<{ ready: boolean; durationSeconds: number | null }>`SELECT ready, duration_seconds AS "durationSeconds"
          FROM catalog.media_states WHERE media_id = ${mediaId}`.pipe(
        Effect.map((rows) => Option.fromNullable(rows[0]))
      )

    /** Whether a published course shows `mediaId` in a preview lesson (anyone may watch it there). */
    const mediaInPublishedPreview = (mediaId: MediaId) =>
      sql<{ previewable: boolean }>`SELECT EXISTS (
          SELECT 1 FROM catalog.lessons l JOIN catalog.courses c ON c.id = l.course_id
          WHERE l.media_id = ${mediaId} AND l.kind = 'video' AND l.is_preview
            AND c.status = 'published' AND c.deleted_at IS NULL) AS previewable`.pipe(
        Effect.map((rows) => rows[0]?.previewable === true)
      )

    // ------------------------------------------------------------ discovery

    /** Every term must match; the last one as a prefix. Terms are letters and digits only (see the domain). */
    const textQuery = (terms: ReadonlyArray<string>) =>
      sql.join(
        " && ",
        false
      )(
        terms.map((term, index) => {
          const lexeme = index === terms.length - 1 ? `${term}:*` : term
          return sql`(to_tsquery('english', ${lexeme}) || to_tsquery('simple', ${lexeme}))`
        })
      )

    const filterConditions = (filter: SearchFilter) => [
      sql.literal(LISTED),
      filter.terms.length === 0 ? undefined : sql`c.search_vector @@ (${textQuery(filter.terms)})`,
      filter.categoryId === undefined
        ? undefined
        : sql`c.category_id IN (WITH RECURSIVE below AS (
              SELECT id FROM catalog.categories WHERE id = ${filter.categoryId}
              UNION ALL SELECT child.id FROM catalog.categories child JOIN below ON child.parent_id = below.id
            ) SELECT id FROM below)`,
      filter.level === undefined ? undefined : sql`c.level = ${filter.level}`,
      filter.language === undefined ? undefined : sql`c.language = ${filter.language}`,
      filter.price === "free" ? sql`c.price_amount = 0` : filter.price === "paid" ? sql`c.price_amount > 0` : undefined,
      filter.minRating === undefined ? undefined : sql`c.rating_count > 0 AND c.rating_average >= ${filter.minRating}`
    ]

    /** Each sort: the value ordered by (descending, then id descending), its text form, and its type for casts. */
    const sortKey = (query: SearchPageQuery) => {
      switch (query.sort) {
        case "relevance":
          return {
            value: sql`ts_rank(c.search_vector, (${textQuery(query.terms)}))`,
            text: sql`ts_rank(c.search_vector, (${textQuery(query.terms)}))::text`,
            cast: sql.literal("real")
          }
        case "newest":
          return {
            value: sql`c.published_at`,
            text: sql`to_char(c.published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
            cast: sql.literal("timestamptz")
          }
        case "rating":
          return { value: sql`c.rating_average`, text: sql`c.rating_average::text`, cast: sql.literal("numeric") }
        case "popular":
          return { value: sql`c.enrollment_count`, text: sql`c.enrollment_count::text`, cast: sql.literal("int") }
      }
    }

    const pageConditions = (query: SearchPageQuery, key: ReturnType<typeof sortKey>) =>
      [
        ...filterConditions(query),
        query.after === undefined
          ? undefined
          : sql`(${key.value}, c.id) < (${query.after.key}::${key.cast}, ${query.after.id}::uuid)`
      ].filter((condition) => condition !== undefined)

    /** One page, `limit + 1` rows so the caller knows whether another page follows. */
    const search = (query: SearchPageQuery) => {
      const key = sortKey(query)
      return named<SearchRow>`SELECT ${cardFields}, ${key.text} AS "sortKey" FROM catalog.courses c
        WHERE ${sql.and(pageConditions(query, key))}
        ORDER BY ${key.value} DESC, c.id DESC LIMIT ${query.limit + 1}`
    }

    /**
     * The first page and the total in one statement, for a sort that must rank every match anyway (relevance):
     * the window count rides on the scan the ranking does, instead of a second scan by `searchTotal`. For the
     * other sorts a keyset index stops the page early, and the window would make it read every match.
     */
    const searchWithTotal = (query: SearchPageQuery) => {
      const key = sortKey(query)
      return named<SearchRowWithTotal>`SELECT ${cardFields}, ${key.text} AS "sortKey", count(*) OVER ()::int AS total
        FROM catalog.courses c
        WHERE ${sql.and(pageConditions(query, key))}
        ORDER BY ${key.value} DESC, c.id DESC LIMIT ${query.limit + 1}`
    }

    const searchTotal = (filter: SearchFilter) =>
      sql<{ total: number }>`SELECT count(*)::int AS total FROM catalog.courses c
        WHERE ${sql.and(filterConditions(filter).filter((condition) => condition !== undefined))}`.pipe(
        Effect.map((rows) => rows[0]?.total ?? 0)
      )

    /** Listed courses in the same category or sharing a tag, most shared tags first, then the same category. */
    const related = (id: CourseId, limit: number) =>
      named<CourseCardRow>`WITH source AS (SELECT id, category_id, tags FROM catalog.courses WHERE id = ${id})
        SELECT ${cardFields} FROM catalog.courses c, source
        WHERE ${sql.literal(LISTED)} AND c.id <> source.id
          AND (c.category_id = source.category_id OR c.tags && source.tags)
        ORDER BY cardinality(ARRAY(SELECT unnest(c.tags) INTERSECT SELECT unnest(source.tags))) DESC,
          (c.category_id = source.category_id) DESC, c.enrollment_count DESC, c.id DESC
        LIMIT ${limit}`

    // ------------------------------------------------------------ events

    /** Writes an event to catalog.outbox; run it inside the transaction of the change that causes it. */
    const emit = <T extends Events.EventType>(type: T, payload: Events.EventPayload<T>) =>
      appendEvent(CATALOG_SCHEMA, { type, payload, source: "catalog" }).pipe(
        Effect.provideService(SqlClient.SqlClient, sql)
      )

    /** Runs `effect` once per event id for `consumer` (catalog.processed_events), in one transaction with it. */
    const once = <A, E>(consumer: string, eventId: string, effect: Effect.Effect<A, E>) =>
      processOnce(CATALOG_SCHEMA, consumer, { id: eventId }, effect).pipe(
        Effect.provideService(SqlClient.SqlClient, sql),
        Effect.catchIf(
          (error): error is SqlError => error instanceof SqlError,
          (error) => Effect.die(error)
        )
      )

    const die = dieOnSqlError

    return {
      withTransaction: transactionDieOnSqlError(sql),
      emit,
      once,
      lockCategoryTree: Effect.orDie(lockCategoryTree),
      categoryTree: Effect.orDie(categoryTree),
      categoryById: die(categoryById),
      lockCategory: die(lockCategory),
      categoryExists: die(categoryExists),
      insertCategory: die(insertCategory),
      updateCategory: die(updateCategory),
      isSelfOrDescendant: die(isSelfOrDescendant),
      categoryUsage: die(categoryUsage),
      deleteCategory: die(deleteCategory),
      courseById: die(courseById),
      courseBySlug: die(courseBySlug),
      courseForUpdate: die(courseForUpdate),
      courseSlug: die(courseSlug),
      courseOwnership: die(courseOwnership),
      coursesOfOwner: die(coursesOfOwner),
      insertCourse: die(insertCourse),
      slugsLike: die(slugsLike),
      updateCourse: die(updateCourse),
      setStatus: die(setStatus),
      softDeleteCourse: die(softDeleteCourse),
      clearThumbnail: die(clearThumbnail),
      imageShownElsewhere: die(imageShownElsewhere),
      insertTransition: die(insertTransition),
      transitions: die(transitions),
      reviewQueue: die(reviewQueue),
      refreshCourseStats: die(refreshCourseStats),
      applyCounters: die(applyCounters),
      sectionById: die(sectionById),
      sectionsOfCourse: die(sectionsOfCourse),
      insertSection: die(insertSection),
      renameSection: die(renameSection),
      deleteSection: die(deleteSection),
      lessonById: die(lessonById),
      lessonsOfCourse: die(lessonsOfCourse),
      lessonsOfSection: die(lessonsOfSection),
      insertLesson: die(insertLesson),
      updateLesson: die(updateLesson),
      deleteLesson: die(deleteLesson),
      reorder: die(reorder),
      setMediaReady: die(setMediaReady),
      mediaInPublishedPreview: die(mediaInPublishedPreview),
      publishedCoursesShowingMedia: die(publishedCoursesShowingMedia),
      upsertMediaState: die(upsertMediaState),
      mediaState: die(mediaState),
      search: die(search),
      searchWithTotal: die(searchWithTotal),
      searchTotal: die(searchTotal),
      related: die(related)
    }
  })
}) {}
