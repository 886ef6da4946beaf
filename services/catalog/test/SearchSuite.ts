// The discovery suite, run on real Postgres and on embedded PGlite: full-text relevance, type-ahead, filters, keyset
// pagination under concurrent inserts, cursors, and related courses, through the typed client.

import type { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import type { Catalog as Contract } from "@lectern/contracts"
import { type CategoryId, Cursor } from "@lectern/domain"
import { Effect, FastCheck, type Layer } from "effect"
import { Catalog } from "../src/Catalog.ts"
import {
  type CatalogClient,
  courseInput,
  makeCatalogTestLayer,
  makeClient,
  publishedCourse,
  uniqueWord,
  userWith
} from "./fixtures.ts"

const setup = Effect.gen(function* () {
  const { client, as } = yield* makeClient
  const admin = yield* userWith("admin")
  const creator = yield* userWith("creator")
  as(admin)
  const category = yield* client.category.create({ name: uniqueWord("cat") })
  as(undefined)
  const publish = (input: Partial<typeof Contract.CourseCreate.Type>, categoryId: CategoryId = category.id) =>
    publishedCourse(client, as, { creator, admin }, courseInput(categoryId, input))
  return { client, as, admin, creator, category, publish }
})

/** Every page of a search, following cursors; `between` runs after each page (to insert rows meanwhile). */
const allPages = <E = never, R = never>(
  client: CatalogClient,
  query: typeof Contract.CourseSearch.Type,
  between: Effect.Effect<void, E, R> = Effect.void
) =>
  Effect.gen(function* () {
    const items: Array<Contract.CourseCard> = []
    let cursor: Cursor | undefined
    for (let page = 0; page < 50; page++) {
      const result = yield* client.course.search(cursor === undefined ? query : { ...query, cursor })
      items.push(...result.items)
      yield* between
      if (result.nextCursor === null) return items
      cursor = result.nextCursor
    }
    return yield* Effect.dieMessage("pagination did not end")
  })

const ids = (items: ReadonlyArray<{ readonly id: string }>) => items.map((item) => item.id)

const rate = (courseId: Contract.Course["id"], ratings: ReadonlyArray<number>, enrollments: number) =>
  Effect.gen(function* () {
    const catalog = yield* Catalog
    for (const rating of ratings) {
      yield* catalog.applyCounterEvent({ eventId: crypto.randomUUID(), courseId, ratingAdded: rating })
    }
    for (let i = 0; i < enrollments; i++) {
      yield* catalog.applyCounterEvent({ eventId: crypto.randomUUID(), courseId, enrollmentDelta: 1 })
    }
  })

/** Registers the suite under `name`; call it once per test file (one top-level `it.layer` per file). */
export const searchSuite = (name: string, database: Layer.Layer<SqlClient.SqlClient>) =>
  describe(name, () => {
    it.layer(makeCatalogTestLayer(database), { timeout: 120_000 })((it) => {
      it.scoped("relevance: a title hit ranks above a subtitle or tag hit, which ranks above a description hit", () =>
        Effect.gen(function* () {
          const { client, publish } = yield* setup
          const word = uniqueWord("quasar")
          const inDescription = yield* publish({ title: "Astronomy basics", description: `All about the ${word} sky` })
          const inSubtitle = yield* publish({ title: "Stars and more", subtitle: `Including the ${word}` })
          const inTitle = yield* publish({ title: `The ${word} handbook`, description: "A short handbook." })
          const inTags = yield* publish({ title: "Night sky", tags: [word] })

          const page = yield* client.course.search({ q: word })
          expect(page.total).toBe(4)
          expect(page.items[0]?.id).toBe(inTitle.id)
          expect(page.items[3]?.id).toBe(inDescription.id)
          expect(ids(page.items.slice(1, 3)).sort()).toEqual([inSubtitle.id, inTags.id].sort())
          // The same hits by date instead of rank: newest first.
          const newest = yield* client.course.search({ q: word, sort: "newest" })
          expect(ids(newest.items)).toEqual([inTags.id, inTitle.id, inSubtitle.id, inDescription.id])
        })
      )

      it.scoped("type-ahead: the last word matches as a prefix, earlier words whole; stems match", () =>
        Effect.gen(function* () {
          const { client, publish } = yield* setup
          const word = uniqueWord("zebu")
          const course = yield* publish({ title: `Kubernetes operators for ${word} farms` })
          const found = (q: string) => client.course.search({ q }).pipe(Effect.map((page) => ids(page.items)))
          expect(yield* found(word.slice(0, 6))).toEqual([course.id])
          expect(yield* found(`${word} oper`)).toEqual([course.id])
          expect(yield* found(`${word} kubern`)).toEqual([course.id])
          expect(yield* found(`${word.toUpperCase()} KUBERNETES`)).toEqual([course.id])
          expect(yield* found(`operator ${word}`)).toEqual([course.id])
          expect(yield* found(`farm ${word}`)).toEqual([course.id])
          // Only the last word is a prefix.
          expect(yield* found(`kube ${word}`)).toEqual([])
          expect(yield* found(`${word} zzzunknown`)).toEqual([])
        })
      )

      it.scoped("any text is just words: operators and quotes in the query cannot break it", () =>
        Effect.gen(function* () {
          const { client, publish } = yield* setup
          const word = uniqueWord("odd")
          const course = yield* publish({ title: `Regular ${word} expressions` })
          for (const q of [
            "'",
            "&",
            "a & !b | c:* <-> ')(",
            "\\",
            ":*",
            "日本語",
            "x".repeat(200),
            "1'; DROP TABLE x; --"
          ]) {
            const page = yield* client.course.search({ q })
            expect(page.total).toBeGreaterThanOrEqual(0)
          }
          // Arbitrary Unicode (a fixed seed, so a failure replays): every query is answered, none is a defect.
          const samples = FastCheck.sample(FastCheck.string({ unit: "binary", maxLength: 40 }), {
            numRuns: 150,
            seed: 42
          })
          for (const q of samples) yield* client.course.search({ q })
          expect(ids((yield* client.course.search({ q: `(${word}) & !expressions:*` })).items)).toEqual([course.id])
          // Nothing searchable in the text: the filters alone apply.
          const blank = yield* client.course.search({ q: "!!! ???", categoryId: course.categoryId })
          expect(ids(blank.items)).toEqual([course.id])
        })
      )

      it.scoped("filters: category with sub-categories, level, language, price, rating; only published courses", () =>
        Effect.gen(function* () {
          const { client, as, admin, creator, category, publish } = yield* setup
          as(admin)
          const child = yield* client.category.create({ name: uniqueWord("sub"), parentId: category.id })
          as(undefined)
          const free = yield* publish({ level: "beginner", language: "en", price: { amount: 0, currency: "EUR" } })
          const german = yield* publish(
            { level: "advanced", language: "de", price: { amount: 1000, currency: "EUR" } },
            child.id
          )
          const rated = yield* publish(
            { level: "beginner", language: "en", price: { amount: 2500, currency: "EUR" } },
            child.id
          )
          yield* rate(rated.id, [5, 4], 0)
          yield* rate(german.id, [3], 0)

          // Never listed: a draft, an unpublished course and a deleted one.
          as(creator)
          yield* client.course.create(courseInput(category.id))
          const unpublished = yield* publish({})
          as(creator)
          yield* client.course.unpublish({ id: unpublished.id })
          const deleted = yield* publish({})
          as(admin)
          yield* client.course.delete({ id: deleted.id })
          as(undefined)

          const found = (query: typeof Contract.CourseSearch.Type) =>
            client.course.search(query).pipe(Effect.map((page) => ({ ids: ids(page.items).sort(), total: page.total })))
          const sorted = (...courses: ReadonlyArray<{ readonly id: string }>) => ids(courses).sort()
          expect(yield* found({ categoryId: category.id })).toEqual({ ids: sorted(free, german, rated), total: 3 })
          expect((yield* found({ categoryId: child.id })).ids).toEqual(sorted(german, rated))
          expect((yield* found({ categoryId: category.id, level: "beginner" })).ids).toEqual(sorted(free, rated))
          expect((yield* found({ categoryId: category.id, language: "de" })).ids).toEqual(sorted(german))
          expect((yield* found({ categoryId: category.id, price: "free" })).ids).toEqual(sorted(free))
          expect((yield* found({ categoryId: category.id, price: "paid" })).ids).toEqual(sorted(german, rated))
          expect((yield* found({ categoryId: category.id, minRating: 4 })).ids).toEqual(sorted(rated))
          expect((yield* found({ categoryId: category.id, minRating: 3, level: "advanced" })).ids).toEqual(
            sorted(german)
          )
          const best = yield* client.course.search({ categoryId: category.id, sort: "rating" })
          expect(ids(best.items)).toEqual([rated.id, german.id, free.id])
          expect(best.items[0]?.ratingAverage).toBe(4.5)
          expect(best.items[2]?.ratingAverage).toBeNull()
        })
      )

      it.scoped("keyset pagination: no duplicates and no skipped rows while courses are added, for every sort", () =>
        Effect.gen(function* () {
          const { client, publish } = yield* setup
          const word = uniqueWord("paging")
          let created = 0
          // Varied ranks (title or description hit), ratings and enrollments, with ties on each.
          const add = Effect.gen(function* () {
            const n = created++
            const course = yield* publish(
              n % 3 === 0
                ? { title: `${word} course ${n}` }
                : { title: `Course ${n}`, description: `Mentions ${word} once.` }
            )
            yield* rate(course.id, n % 2 === 0 ? [5] : [4, 3], n % 4)
            return course
          })
          const existing = new Set<string>()
          for (let i = 0; i < 7; i++) existing.add((yield* add).id)

          const keyOf: Record<Contract.SearchSort, (card: Contract.CourseCard) => number> = {
            // Title hits (weight A) rank above description-only hits (weight C).
            relevance: (card) => (card.title.includes(word) ? 1 : 0),
            newest: (card) => (card.publishedAt === null ? 0 : Number(card.publishedAt.epochMillis)),
            rating: (card) => card.ratingAverage ?? 0,
            popular: (card) => card.enrollmentCount
          }
          for (const sort of ["relevance", "newest", "rating", "popular"] as const) {
            const before = new Set(existing)
            // Two new matching courses after every page.
            const insertTwo = Effect.gen(function* () {
              existing.add((yield* add).id)
              existing.add((yield* add).id)
            })
            const items = yield* allPages(client, { q: word, sort, limit: 3 }, insertTwo)
            const seen = ids(items)
            expect(new Set(seen).size).toBe(seen.length)
            for (const id of before) expect(seen).toContain(id)
            const keys = items.map(keyOf[sort])
            expect(keys).toEqual([...keys].sort((a, b) => b - a))
          }
          const everything = yield* allPages(client, { q: word, limit: 100 })
          expect(new Set(ids(everything))).toEqual(existing)
        })
      )

      it.scoped("cursors: malformed, tampered or from another query → InvalidCursor", () =>
        Effect.gen(function* () {
          const { client, publish } = yield* setup
          const word = uniqueWord("cursor")
          for (let i = 0; i < 3; i++) yield* publish({ title: `${word} ${i}` })
          const first = yield* client.course.search({ q: word, sort: "newest", limit: 1 })
          const cursor = first.nextCursor
          expect(cursor).not.toBeNull()
          if (cursor === null) return

          const refused = (query: typeof Contract.CourseSearch.Type) =>
            client.course.search(query).pipe(
              Effect.flip,
              Effect.map((error) => error._tag)
            )
          expect(yield* refused({ q: word, sort: "newest", cursor: Cursor.make("not-a-cursor") })).toBe("InvalidCursor")
          expect(yield* refused({ q: word, sort: "newest", cursor: Cursor.make(btoa("[1,2,3]")) })).toBe(
            "InvalidCursor"
          )
          expect(yield* refused({ q: word, sort: "popular", cursor })).toBe("InvalidCursor")
          expect(yield* refused({ q: `${word} other`, sort: "newest", cursor })).toBe("InvalidCursor")

          // Same query, a key that is not a timestamp: refused before it reaches SQL.
          const content: Array<unknown> = JSON.parse(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")))
          content[2] = "'; DROP TABLE catalog.courses; --"
          const tampered = Cursor.make(
            btoa(JSON.stringify(content)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")
          )
          expect(yield* refused({ q: word, sort: "newest", cursor: tampered })).toBe("InvalidCursor")

          const second = yield* client.course.search({ q: word, sort: "newest", limit: 1, cursor })
          expect(second.items).toHaveLength(1)
          expect(second.items[0]?.id).not.toBe(first.items[0]?.id)
        })
      )

      it.scoped("related: the same category or shared tags, most shared tags first", () =>
        Effect.gen(function* () {
          const { client, as, admin, creator, category, publish } = yield* setup
          as(admin)
          const elsewhere = yield* client.category.create({ name: uniqueWord("elsewhere") })
          as(undefined)
          const [a, b, c] = [uniqueWord("ta"), uniqueWord("tb"), uniqueWord("tc")]
          const source = yield* publish({ tags: [a, b, c] })
          const allTags = yield* publish({ tags: [c, b, a] }, elsewhere.id)
          const sameCategoryOneTag = yield* publish({ tags: [a] })
          const otherCategoryOneTag = yield* publish({ tags: [b] }, elsewhere.id)
          const sameCategoryNoTag = yield* publish({ tags: [] })
          yield* publish({ tags: [uniqueWord("unrelated")] }, elsewhere.id)
          as(creator)
          yield* client.course.create(courseInput(category.id, { tags: [a, b, c] }))
          as(undefined)

          const related = yield* client.course.related({ id: source.id })
          expect(ids(related)).toEqual([
            allTags.id,
            sameCategoryOneTag.id,
            otherCategoryOneTag.id,
            sameCategoryNoTag.id
          ])
          expect(ids(yield* client.course.related({ id: source.id, limit: 2 }))).toEqual([
            allTags.id,
            sameCategoryOneTag.id
          ])
        })
      )
    })
  })
