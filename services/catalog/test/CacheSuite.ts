// The catalog cache suite, run with the cache and bus in memory and on Redis: what is served from the cache, what
// never is, and that the catalog's own events (relayed from its outbox) and counter changes make the next read fresh.

import { SqlClient } from "@effect/sql"
import { describe, expect, layer } from "@effect/vitest"
import { Cache } from "@lectern/platform/Cache"
import type { EventBus } from "@lectern/platform/EventBus"
import { relayOnce } from "@lectern/platform/Outbox"
import type { RateLimiter } from "@lectern/platform/RateLimiter"
import { eventually } from "@lectern/testkit/EventBusSuite"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect, Layer, Option } from "effect"
import { Catalog } from "../src/Catalog.ts"
import { courseIdKey, courseSlugKey, relatedKey } from "../src/CatalogCache.ts"
import { CreatorDirectory } from "../src/CreatorDirectory.ts"
import { CATALOG_SCHEMA } from "../src/Repo.ts"
import { courseInput, makeCatalogTestLayer, makeClient, publishedCourse, uniqueWord, userWith } from "./fixtures.ts"

const setup = Effect.gen(function* () {
  const { client, as } = yield* makeClient
  const admin = yield* userWith("admin")
  const creator = yield* userWith("creator")
  as(admin)
  const category = yield* client.category.create({ name: uniqueWord("cat") })
  as(undefined)
  const word = uniqueWord("cached")
  const course = yield* publishedCourse(
    client,
    as,
    { creator, admin },
    courseInput(category.id, { title: `The ${word} course` })
  )
  return { client, as, admin, creator, category, word, course }
})

/** Changes a course's title behind the catalog's back: no event, so only a read from the database can see it. */
const retitleInDatabase = (id: string, title: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`UPDATE catalog.courses SET title = ${title} WHERE id = ${id}`
  }).pipe(Effect.orDie)

const cached = (key: string) =>
  Effect.gen(function* () {
    return (yield* (yield* Cache).get(key).pipe(Effect.orDie)) !== undefined
  })

/** Hands the catalog's outbox to the bus, like the relay's next poll would; the invalidation consumer then runs. */
const relay = relayOnce(CATALOG_SCHEMA).pipe(Effect.orDie)

/** Creators' display names as a test sets them (auth's in the gateway); an id not here is an unknown account. */
const creatorNames = new Map<string, string>()
const CreatorNamesLive = Layer.succeed(CreatorDirectory, {
  displayName: (id) => Effect.sync(() => Option.fromNullable(creatorNames.get(id)))
})

/** Registers the suite under `name` over the given platform Cache and EventBus (default: memory). */
export const cacheSuite = (
  name: string,
  options: { readonly cache?: Layer.Layer<Cache | RateLimiter>; readonly eventBus?: Layer.Layer<EventBus> } = {}
) =>
  describe(name, () => {
    layer(
      makeCatalogTestLayer(layerFreshPostgres, { ...options, cacheTtl: "60 seconds", creators: CreatorNamesLive }),
      {
        timeout: 120_000,
        // The real clock: TTLs count in real time, and `eventually` polls in it.
        excludeTestServices: true
      }
    )((it) => {
      it.scoped("the second read of a published course and of a first search page comes from the cache", () =>
        Effect.gen(function* () {
          const { client, as, creator, word, course } = yield* setup

          const first = yield* client.course.get({ id: course.id })
          expect(first.canEdit).toBe(false)
          expect(yield* cached(courseIdKey(course.id))).toBe(true)
          expect(yield* cached(courseSlugKey(course.slug))).toBe(true)
          const firstPage = yield* client.course.search({ q: word })
          expect(firstPage.items.map((item) => item.title)).toEqual([`The ${word} course`])

          yield* retitleInDatabase(course.id, `Renamed ${word} behind the cache`)
          // Served from the cache: the database's new title is not seen, by id, by slug, or in the search page.
          expect((yield* client.course.get({ id: course.id })).course.title).toBe(`The ${word} course`)
          expect((yield* client.course.get({ slug: course.slug })).course.title).toBe(`The ${word} course`)
          expect(yield* client.course.search({ q: word })).toEqual(firstPage)
          // The same words written differently are the same query, hence the same cached page.
          expect(yield* client.course.search({ q: `  ${word.toUpperCase()}!` })).toEqual(firstPage)

          // Another query, or a page other than the first, reads the database.
          const fresh = yield* client.course.search({ q: word, sort: "newest" })
          expect(fresh.items.map((item) => item.title)).toEqual([`Renamed ${word} behind the cache`])

          // The owner reads the database and sees the editable view; that view is never stored for anyone else.
          as(creator)
          const own = yield* client.course.get({ id: course.id })
          expect(own.canEdit).toBe(true)
          expect(own.course.title).toBe(`Renamed ${word} behind the cache`)
          as(undefined)
          const anonymous = yield* client.course.get({ id: course.id })
          expect(anonymous.canEdit).toBe(false)
          expect(anonymous.course.title).toBe(`The ${word} course`)
        })
      )

      it.scoped("the creator's name is the current one on every read, from the cache or not", () =>
        Effect.gen(function* () {
          const { client, creator, course } = yield* setup
          // An account the directory does not know (deleted, or no auth in the process): the id without a name.
          const unknown = yield* client.course.get({ id: course.id })
          expect(unknown.creator).toEqual({ id: creator.id, name: null })
          expect(yield* cached(courseIdKey(course.id))).toBe(true)

          creatorNames.set(creator.id, "Ada Lovelace")
          expect((yield* client.course.get({ id: course.id })).creator).toEqual({
            id: creator.id,
            name: "Ada Lovelace"
          })
          // A rename is seen at once, though the course itself still comes from the cache.
          creatorNames.set(creator.id, "Ada King")
          yield* retitleInDatabase(course.id, `Retitled ${uniqueWord()}`)
          const renamed = yield* client.course.get({ slug: course.slug })
          expect(renamed.creator).toEqual({ id: creator.id, name: "Ada King" })
          expect(renamed.course.title).toBe(course.title)
        })
      )

      it.scoped("drafts are never cached", () =>
        Effect.gen(function* () {
          const { client, as, creator, category } = yield* setup
          as(creator)
          const draft = yield* client.course.create(courseInput(category.id, { title: uniqueWord("draft") }))
          expect((yield* client.course.get({ id: draft.id })).canEdit).toBe(true)
          expect((yield* client.course.get({ slug: draft.slug })).course.status).toBe("draft")
          expect(yield* cached(courseIdKey(draft.id))).toBe(false)
          expect(yield* cached(courseSlugKey(draft.slug))).toBe(false)
        })
      )

      it.scoped("an update is visible on the next read once its event is relayed", () =>
        Effect.gen(function* () {
          const { client, as, creator, word, course } = yield* setup
          const byId = client.course.get({ id: course.id })
          const bySlug = client.course.get({ slug: course.slug })
          const search = client.course.search({ q: word })
          const titles = (page: { readonly items: ReadonlyArray<{ readonly title: string }> }) =>
            page.items.map((item) => item.title)
          expect((yield* byId).course.title).toBe(`The ${word} course`)
          expect((yield* bySlug).course.title).toBe(`The ${word} course`)
          expect(titles(yield* search)).toEqual([`The ${word} course`])

          as(creator)
          yield* client.course.update({ id: course.id, title: `The ${word} course, second edition` })
          as(undefined)
          // Until its event reaches the bus, readers get the cached page; the relay hands it over.
          expect((yield* byId).course.title).toBe(`The ${word} course`)
          expect(yield* relay).toBeGreaterThan(0)
          yield* eventually(
            "invalidated by course.updated",
            Effect.map(byId, (detail) => detail.course.title === `The ${word} course, second edition`),
            "10 seconds"
          )
          expect((yield* bySlug).course.title).toBe(`The ${word} course, second edition`)
          expect(titles(yield* search)).toEqual([`The ${word} course, second edition`])

          // lesson.changed: a new lesson shows in the curriculum and the card's count.
          as(creator)
          const sectionId = (yield* client.course.get({ id: course.id })).sections[0]?.id
          if (sectionId === undefined) return yield* Effect.dieMessage("the published course has no section")
          yield* client.lesson.create({
            sectionId,
            title: "A second lesson",
            isPreview: true,
            content: { kind: "embed", url: "https://youtu.be/dQw4w9WgXcQ" }
          })
          as(undefined)
          // No check of the cached page here: an invalidation still in flight from the update above may already
          // have dropped it (seen under load), so the new lesson is only required once its own event is relayed.
          yield* relay
          yield* eventually(
            "invalidated by lesson.changed",
            Effect.map(byId, (detail) => detail.course.lessonCount === 2),
            "10 seconds"
          )
          expect((yield* bySlug).sections[0]?.lessons.map((lesson) => lesson.title)).toEqual([
            "Welcome",
            "A second lesson"
          ])
          expect((yield* search).items[0]?.lessonCount).toBe(2)

          // course.unpublished: the public page goes, and the search no longer finds it.
          as(creator)
          yield* client.course.unpublish({ id: course.id })
          as(undefined)
          yield* relay
          yield* eventually(
            "invalidated by course.unpublished",
            Effect.map(Effect.flip(byId), (error) => error._tag === "CourseNotFound"),
            "10 seconds"
          )
          expect((yield* Effect.flip(bySlug))._tag).toBe("CourseNotFound")
          expect((yield* search).total).toBe(0)
        })
      )

      it.scoped("related courses are cached with the search pages and dropped with them", () =>
        Effect.gen(function* () {
          const { client, as, admin, creator, word } = yield* setup
          // A category and tags no other course has, so the lists hold this test's courses only.
          as(admin)
          const category = yield* client.category.create({ name: uniqueWord("related") })
          as(undefined)
          const tags = [uniqueWord("tag")]
          const inCategory = (title: string) =>
            publishedCourse(client, as, { creator, admin }, courseInput(category.id, { title, tags }))
          const course = yield* inCategory(`The related ${word} course`)
          const sibling = yield* inCategory(`A sibling of ${word}`)
          yield* relay
          const related = client.course.related({ id: course.id, limit: 4 })
          const titles = Effect.map(related, (cards) => cards.map((card) => card.title))
          // Once the sibling shows and the stored list outlives the invalidations still in flight (several events
          // were relayed; on Redis they are handled asynchronously), reads come from the cache.
          yield* eventually(
            "the sibling's course.published relayed, and no invalidation pending",
            Effect.gen(function* () {
              if (!(yield* titles).includes(`A sibling of ${word}`)) return false
              yield* Effect.sleep("300 millis")
              return yield* cached(relatedKey(course.id, 4))
            }),
            "10 seconds"
          )
          yield* retitleInDatabase(sibling.id, `Renamed sibling of ${word}`)
          // From the cache: the database's new title is not seen; another limit is another list.
          expect(yield* titles).toEqual([`A sibling of ${word}`])
          expect((yield* client.course.related({ id: course.id, limit: 3 })).map((card) => card.title)).toEqual([
            `Renamed sibling of ${word}`
          ])

          // A newly published course in the category drops every list (course.published), so it shows up.
          yield* inCategory(`Third ${word}`)
          yield* relay
          yield* eventually(
            "invalidated by course.published",
            Effect.map(titles, (found) => found.length === 2 && found.includes(`Renamed sibling of ${word}`)),
            "10 seconds"
          )

          // An unpublished course has no related list for anyone but its editors; none was stored for them.
          as(creator)
          yield* client.course.unpublish({ id: course.id })
          expect((yield* related).length).toBe(2)
          as(undefined)
          yield* relay
          yield* eventually(
            "invalidated by course.unpublished",
            Effect.map(Effect.flip(related), (error) => error._tag === "CourseNotFound"),
            "10 seconds"
          )
          expect(yield* cached(relatedKey(course.id, 4))).toBe(false)
        })
      )

      it.scoped("counter changes invalidate the course directly: they emit no event", () =>
        Effect.gen(function* () {
          const { client, course } = yield* setup
          const catalog = yield* Catalog
          expect((yield* client.course.get({ id: course.id })).course.enrollmentCount).toBe(0)
          expect((yield* client.course.get({ slug: course.slug })).course.enrollmentCount).toBe(0)
          yield* catalog.applyCounterEvent({ eventId: crypto.randomUUID(), courseId: course.id, enrollmentDelta: 1 })
          yield* catalog.applyCounterEvent({ eventId: crypto.randomUUID(), courseId: course.id, ratingAdded: 4 })
          const detail = yield* client.course.get({ id: course.id })
          expect(detail.course.enrollmentCount).toBe(1)
          expect(detail.course.ratingAverage).toBe(4)
          expect((yield* client.course.get({ slug: course.slug })).course.enrollmentCount).toBe(1)
        })
      )
    })
  })
