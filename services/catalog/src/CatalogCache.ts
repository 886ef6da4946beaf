// CatalogCache: published course pages and first search pages in the shared Cache, and their invalidation by the catalog's own events.
//
// What is cached: `course.get` of a published course as anyone but its editors sees it (under its id and its slug),
// the first page (no cursor) of `course.search`, keyed by the normalised query, and a published course's related
// courses (`course.related`, kept with the search pages). Drafts and editors' views never are. Entries live `CATALOG_CACHE_TTL` (default 60 s; 0 turns caching off) and are dropped by
// `CatalogCacheInvalidationLive`, which consumes course.published/unpublished/updated/deleted and lesson.changed:
// the course's entries go, and every first search page and related list (a change may move a course into or out of
// any of them).
// Counter changes (ratings, enrollments) drop the course's entries directly; search pages keep showing the counters
// they were built with until their TTL, so that every enrollment does not empty the whole search cache.
//
// A read that started before a change and stores its result after the change's invalidation can leave a stale
// entry; the TTL bounds how long. Reads fail open: an unreachable cache is a miss, and the database answers.
import { Catalog as Contract, type Events } from "@lectern/contracts"
import { CourseId } from "@lectern/domain"
import { Cache, type CacheUnavailable } from "@lectern/platform/Cache"
import { EventBus } from "@lectern/platform/EventBus"
import { Config, ConfigError, Context, Duration, Effect, Either, Layer, Option, Schema } from "effect"
import { CatalogRepo, type SearchFilter } from "./Repo.ts"

/** Bumped when a cached value's Schema changes, so a new release never reads an old release's entries. */
const NAMESPACE = "catalog:v2:"
const COURSE_PREFIX = `${NAMESPACE}course:`
const SEARCH_PREFIX = `${NAMESPACE}search:`

export const courseIdKey = (id: string) => `${COURSE_PREFIX}id:${id}`
export const courseSlugKey = (slug: string) => `${COURSE_PREFIX}slug:${slug}`

/** The key of a first search page: the query as the search runs it (normalised words, defaults applied). */
export const searchKey = (filter: SearchFilter, sort: Contract.SearchSort, limit: number) =>
  `${SEARCH_PREFIX}${JSON.stringify([
    filter.terms,
    filter.categoryId ?? null,
    filter.level ?? null,
    filter.language ?? null,
    filter.price,
    filter.minRating ?? null,
    sort,
    limit
  ])}`

/** The key of a course's related courses: kept under the search prefix, so every change that drops searches drops it. */
export const relatedKey = (courseId: string, limit: number) => `${SEARCH_PREFIX}related:${courseId}:${limit}`

/** The event types that change what a cached course page or search page shows. */
export const INVALIDATING_EVENTS = [
  "course.published",
  "course.unpublished",
  "course.updated",
  "course.deleted",
  "lesson.changed"
] as const satisfies ReadonlyArray<Events.EventType>

/** `CATALOG_CACHE_TTL`: seconds (`60`) or a duration (`2 minutes`); `0` turns caching off. Default 60 s. */
export const CatalogCacheTtl = Config.string("CATALOG_CACHE_TTL").pipe(
  Config.withDefault("60"),
  Config.mapOrFail((text) => {
    const trimmed = text.trim()
    const duration = /^\d+(\.\d+)?$/.test(trimmed)
      ? Option.some(Duration.seconds(Number(trimmed)))
      : Duration.decodeUnknown(trimmed)
    return Option.match(duration, {
      onNone: () =>
        Either.left(
          ConfigError.InvalidData([], `CATALOG_CACHE_TTL must be seconds or a duration like "2 minutes", got ${text}`)
        ),
      onSome: Either.right
    })
  })
)

/**
 * Decoded values by key, so a hot entry read again and again is decoded once: a cached string equal to the one
 * decoded last time gives back the same (immutable) value. Bounded; the oldest entry goes first.
 */
class DecodedMemo<A> {
  private readonly entries = new Map<string, { readonly raw: string; readonly value: A }>()
  private readonly capacity: number
  constructor(capacity: number) {
    this.capacity = capacity
  }
  get(key: string, raw: string): A | undefined {
    const entry = this.entries.get(key)
    return entry !== undefined && entry.raw === raw ? entry.value : undefined
  }
  set(key: string, raw: string, value: A) {
    this.entries.delete(key)
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next()
      if (!oldest.done) this.entries.delete(oldest.value)
    }
    this.entries.set(key, { raw, value })
  }
}

/** One cached kind of value: JSON of its Schema's encoded form, decoded on the way back. */
const cachedJson = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknownOption(Schema.parseJson(schema))
  const encode = Schema.encodeOption(Schema.parseJson(schema))
  const memo = new DecodedMemo<A>(1_000)
  return {
    read: (key: string, raw: string): Option.Option<A> => {
      const known = memo.get(key, raw)
      if (known !== undefined) return Option.some(known)
      const decoded = decode(raw)
      if (Option.isSome(decoded)) memo.set(key, raw, decoded.value)
      return decoded
    },
    write: (value: A): Option.Option<string> => encode(value)
  }
}

export type SearchPageValue = typeof Contract.SearchPage.Type
export type CourseCards = ReadonlyArray<Contract.CourseCard>

export interface CatalogCacheService {
  /** False when CATALOG_CACHE_TTL is 0: every read misses and nothing is stored. */
  readonly enabled: boolean
  /** The cached public view of a published course, by id or slug. */
  readonly course: (ref: typeof Contract.CourseRef.Type) => Effect.Effect<Option.Option<Contract.CourseDetail>>
  /** Stores the public view (`canEdit` false) of a published course under its id and its slug. */
  readonly storeCourse: (detail: Contract.CourseDetail) => Effect.Effect<void>
  readonly searchPage: (key: string) => Effect.Effect<Option.Option<SearchPageValue>>
  readonly storeSearchPage: (key: string, page: SearchPageValue) => Effect.Effect<void>
  /** A published course's related courses, by `relatedKey`. */
  readonly related: (key: string) => Effect.Effect<Option.Option<CourseCards>>
  readonly storeRelated: (key: string, cards: CourseCards) => Effect.Effect<void>
  /** Drops a course's entries; without `slug` the course's slug is looked up (slugs never change). */
  readonly invalidateCourse: (courseId: CourseId, slug?: string | undefined) => Effect.Effect<void, CacheUnavailable>
  /** Drops every cached first search page. */
  readonly invalidateSearches: Effect.Effect<void, CacheUnavailable>
}

export class CatalogCache extends Context.Tag("@lectern/catalog/CatalogCache")<CatalogCache, CatalogCacheService>() {}

/** A CatalogCache over the platform's Cache; `ttl` zero turns it off. */
export const make = (options: { readonly ttl: Duration.DurationInput }) =>
  Effect.gen(function* () {
    const cache = yield* Cache
    const repo = yield* CatalogRepo
    const ttl = Duration.decode(options.ttl)
    const enabled = Duration.greaterThan(ttl, Duration.zero)
    const details = cachedJson(Contract.CourseDetail)
    const pages = cachedJson(Contract.SearchPage)
    const cardLists = cachedJson(Schema.Array(Contract.CourseCard))

    // Reads and stores fail open: the cache is an optimisation, `/ready` reports it when it is away.
    const read = (key: string) => cache.get(key).pipe(Effect.orElseSucceed(() => undefined))
    const store = (key: string, raw: string) => cache.set(key, raw, ttl).pipe(Effect.ignore)

    const course: CatalogCacheService["course"] = (ref) => {
      if (!enabled) return Effect.succeed(Option.none())
      const key = "id" in ref ? courseIdKey(ref.id) : courseSlugKey(ref.slug)
      return Effect.map(read(key), (raw) => (raw === undefined ? Option.none() : details.read(key, raw)))
    }

    const storeCourse: CatalogCacheService["storeCourse"] = (detail) =>
      Option.match(enabled ? details.write(detail) : Option.none(), {
        onNone: () => Effect.void,
        onSome: (raw) =>
          Effect.zipRight(store(courseIdKey(detail.course.id), raw), store(courseSlugKey(detail.course.slug), raw), {
            concurrent: true
          })
      })

    /** Reads and stores of one kind of value under keys given by the caller. */
    const keyed = <A>(json: ReturnType<typeof cachedJson<A, unknown>>) => ({
      get: (key: string): Effect.Effect<Option.Option<A>> =>
        enabled
          ? Effect.map(read(key), (raw) => (raw === undefined ? Option.none() : json.read(key, raw)))
          : Effect.succeed(Option.none()),
      set: (key: string, value: A): Effect.Effect<void> =>
        Option.match(enabled ? json.write(value) : Option.none(), {
          onNone: () => Effect.void,
          onSome: (raw) => store(key, raw)
        })
    })
    const searchPages = keyed(pages)
    const relatedLists = keyed(cardLists)

    const invalidateCourse: CatalogCacheService["invalidateCourse"] = (courseId, slug) =>
      Effect.gen(function* () {
        if (!enabled) return
        const knownSlug = slug ?? Option.getOrUndefined(yield* repo.courseSlug(courseId))
        yield* cache.delete(courseIdKey(courseId))
        if (knownSlug !== undefined) yield* cache.delete(courseSlugKey(knownSlug))
      })

    return CatalogCache.of({
      enabled,
      course,
      storeCourse,
      searchPage: searchPages.get,
      storeSearchPage: searchPages.set,
      related: relatedLists.get,
      storeRelated: relatedLists.set,
      invalidateCourse,
      invalidateSearches: enabled ? cache.deleteByPrefix(SEARCH_PREFIX) : Effect.void
    })
  })

/** With a fixed TTL (tests). */
export const layer = (options: { readonly ttl: Duration.DurationInput }) => Layer.effect(CatalogCache, make(options))

/** With `CATALOG_CACHE_TTL`. */
export const layerFromConfig = Layer.unwrapEffect(Effect.map(CatalogCacheTtl, (ttl) => layer({ ttl })))

/** What every catalog event carries: the course, and its slug on the course.* events. */
const CourseOfEvent = Schema.Struct({ courseId: CourseId, slug: Schema.optional(Schema.String) })
const courseOfEvent = Schema.decodeUnknownOption(CourseOfEvent)

/** The consumer group of the cache invalidation: one member handles each event, for the one shared cache. */
export const INVALIDATION_GROUP = "catalog-cache"

/**
 * Drops the cache entries a catalog event makes stale, for as long as the layer lives. A failure (cache away) makes
 * the bus deliver the event again. Does nothing while caching is off.
 */
export const CatalogCacheInvalidationLive = Layer.scopedDiscard(
  Effect.gen(function* () {
    const catalogCache = yield* CatalogCache
    if (!catalogCache.enabled) return
    const bus = yield* EventBus
    const cache = yield* Cache
    yield* bus.subscribe({ group: INVALIDATION_GROUP, types: INVALIDATING_EVENTS }, (event) =>
      Effect.gen(function* () {
        const course = courseOfEvent(event.payload)
        // A payload this release cannot read (a newer version) still names some course: drop them all.
        yield* Option.match(course, {
          onNone: () => cache.deleteByPrefix(COURSE_PREFIX),
          onSome: ({ courseId, slug }) => catalogCache.invalidateCourse(courseId, slug)
        })
        yield* catalogCache.invalidateSearches
      }).pipe(Effect.withSpan("CatalogCache.invalidate", { attributes: { eventId: event.id, type: event.type } }))
    )
  })
)
