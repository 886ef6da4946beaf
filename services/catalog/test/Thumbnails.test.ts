// Course thumbnails: set on create or update with an image of the course's creator (an admin may use any), kept when
// an update leaves them out, cleared with null, refused with InvalidThumbnail for someone else's or an unknown image
// (and by a catalog without media); shown on the course, its card in search and related lists and in the cache's
// entries; cleared with `course.updated` when media deletes the image; released to media (`image.released`) when no
// course shows it any more. Media's images come from a stand-in port.
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import type { Catalog as Contract } from "@lectern/contracts"
import { ImageId, type UserId } from "@lectern/domain"
import { Cache } from "@lectern/platform/Cache"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect, Layer, Option } from "effect"
import { Catalog } from "../src/Catalog.ts"
import { courseIdKey, relatedKey, searchKey } from "../src/CatalogCache.ts"
import { CourseImages } from "../src/CourseImages.ts"
import {
  courseInput,
  makeCatalogTestLayer,
  makeClient,
  publishedCourse,
  rawCall,
  serveCatalogOverHttp,
  type TestUser,
  uniqueWord,
  userWith
} from "./fixtures.ts"

/** Media's live images as a test makes them: id → owner and URLs. */
const images = new Map<string, { readonly ownerId: UserId; readonly urls: Contract.CourseThumbnail }>()
const ImagesLive = Layer.succeed(CourseImages, {
  image: (id) => Effect.sync(() => Option.fromNullable(images.get(id)))
})

const imageOf = (owner: TestUser) => {
  const id = ImageId.make(crypto.randomUUID())
  const urls = { small: `/media/images/${id}/small.jpg`, large: `/media/images/${id}/large.jpg` }
  images.set(id, { ownerId: owner.id, urls })
  return { id, urls }
}

const setup = Effect.gen(function* () {
  const { client, as } = yield* makeClient
  const admin = yield* userWith("admin")
  const creator = yield* userWith("creator")
  as(admin)
  const category = yield* client.category.create({ name: uniqueWord("cat") })
  as(undefined)
  return { client, as, admin, creator, category }
})

describe("course thumbnails", () => {
  it.layer(makeCatalogTestLayer(layerFreshPostgres, { images: ImagesLive, cacheTtl: "60 seconds" }), {
    timeout: 120_000
  })((it) => {
    it.scoped("set from the creator's own image, kept by updates that leave it out, cleared with null", () =>
      Effect.gen(function* () {
        const { client, as, creator, category } = yield* setup
        const first = imageOf(creator)
        as(creator)
        const course = yield* client.course.create(courseInput(category.id, { thumbnailImageId: first.id }))
        expect(course.thumbnail).toEqual(first.urls)
        expect((yield* client.course.get({ id: course.id })).course.thumbnail).toEqual(first.urls)

        const retitled = yield* client.course.update({ id: course.id, title: "Still with its picture" })
        expect(retitled.thumbnail).toEqual(first.urls)
        const second = imageOf(creator)
        expect((yield* client.course.update({ id: course.id, thumbnailImageId: second.id })).thumbnail).toEqual(
          second.urls
        )
        expect((yield* client.course.mine()).find((mine) => mine.id === course.id)?.thumbnail).toEqual(second.urls)
        const cleared = yield* client.course.update({ id: course.id, thumbnailImageId: null })
        expect(cleared.thumbnail).toBeNull()
        expect((yield* client.course.get({ id: course.id })).course.thumbnail).toBeNull()
        const plain = yield* client.course.create(courseInput(category.id, { thumbnailImageId: null }))
        expect(plain.thumbnail).toBeNull()
      })
    )

    it.scoped("another creator's image or an unknown one is refused with InvalidThumbnail; an admin may use any", () =>
      Effect.gen(function* () {
        const { client, as, admin, creator, category } = yield* setup
        const other = yield* userWith("creator")
        const theirs = imageOf(other)
        const unknown = ImageId.make(crypto.randomUUID())
        as(creator)
        for (const imageId of [theirs.id, unknown]) {
          const refused = yield* Effect.flip(
            client.course.create(courseInput(category.id, { thumbnailImageId: imageId }))
          )
          expect(refused).toEqual(
            expect.objectContaining({
              _tag: "InvalidThumbnail",
              imageId,
              reason: "no image of the course's creator has this id"
            })
          )
        }
        const mine = imageOf(creator)
        const course = yield* client.course.create(courseInput(category.id, { thumbnailImageId: mine.id }))
        const refused = yield* Effect.flip(client.course.update({ id: course.id, thumbnailImageId: theirs.id }))
        expect(refused).toMatchObject({ _tag: "InvalidThumbnail", imageId: theirs.id })
        expect((yield* client.course.get({ id: course.id })).course.thumbnail).toEqual(mine.urls)

        // An admin fixing a creator's course may give it any image, the admin's own or another creator's.
        as(admin)
        const adminsOwn = imageOf(admin)
        expect((yield* client.course.update({ id: course.id, thumbnailImageId: adminsOwn.id })).thumbnail).toEqual(
          adminsOwn.urls
        )
        expect((yield* client.course.update({ id: course.id, thumbnailImageId: theirs.id })).thumbnail).toEqual(
          theirs.urls
        )
        // The image of the owner is checked against the course's owner, not the admin.
        expect((yield* client.course.update({ id: course.id, thumbnailImageId: mine.id })).thumbnail).toEqual(mine.urls)
        // Someone else's course: not theirs to change at all.
        as(other)
        const forbidden = yield* Effect.flip(client.course.update({ id: course.id, thumbnailImageId: theirs.id }))
        expect(forbidden._tag).toBe("Forbidden")
      })
    )

    it.scoped("a thumbnail id that is not a UUID is refused by the server's Schema", () =>
      Effect.gen(function* () {
        const { creator, category } = yield* setup
        const url = yield* serveCatalogOverHttp
        const response = yield* rawCall(
          url,
          "course.create",
          { ...courseInput(category.id), thumbnailImageId: "../../etc/passwd" },
          creator.token
        )
        const [reply] = JSON.parse(response.text)
        expect(reply.exit.cause.error._tag).toBe("InvalidInput")
      })
    )

    it.scoped("published: on the course, its search card and related cards, and in the cache's entries", () =>
      Effect.gen(function* () {
        const { client, as, admin, creator, category } = yield* setup
        const word = uniqueWord("thumb")
        const picture = imageOf(creator)
        const course = yield* publishedCourse(
          client,
          as,
          { creator, admin },
          courseInput(category.id, { title: `The ${word} course`, thumbnailImageId: picture.id })
        )
        const neighbour = yield* publishedCourse(
          client,
          as,
          { creator, admin },
          courseInput(category.id, { title: `Another ${word} course` })
        )
        expect(course.thumbnail).toEqual(picture.urls)

        expect((yield* client.course.get({ slug: course.slug })).course.thumbnail).toEqual(picture.urls)
        const page = yield* client.course.search({ q: word })
        expect(page.items.map((card) => [card.title, card.thumbnail])).toEqual(
          expect.arrayContaining([
            [`The ${word} course`, picture.urls],
            [`Another ${word} course`, null]
          ])
        )
        const related = yield* client.course.related({ id: neighbour.id })
        expect(related.find((card) => card.id === course.id)?.thumbnail).toEqual(picture.urls)

        // What the cache holds is the encoded value, thumbnail included.
        const cache = yield* Cache
        const stored = (key: string) =>
          Effect.map(cache.get(key).pipe(Effect.orDie), (text) => (text === undefined ? undefined : JSON.parse(text)))
        expect((yield* stored(courseIdKey(course.id))).course.thumbnail).toEqual(picture.urls)
        const searchPage = yield* stored(
          searchKey(
            {
              terms: [word],
              categoryId: undefined,
              level: undefined,
              language: undefined,
              price: "any",
              minRating: undefined
            },
            "relevance",
            20
          )
        )
        expect(searchPage.items.find((card: { id: string }) => card.id === course.id).thumbnail).toEqual(picture.urls)
        const relatedCards = yield* stored(relatedKey(neighbour.id, 6))
        expect(relatedCards.find((card: { id: string }) => card.id === course.id).thumbnail).toEqual(picture.urls)
      })
    )

    it.scoped("an image media deleted leaves every course showing it, once per event, with course.updated", () =>
      Effect.gen(function* () {
        const { client, as, creator, category } = yield* setup
        const picture = imageOf(creator)
        as(creator)
        const one = yield* client.course.create(courseInput(category.id, { thumbnailImageId: picture.id }))
        const two = yield* client.course.create(courseInput(category.id, { thumbnailImageId: picture.id }))
        const kept = yield* client.course.create(courseInput(category.id, { thumbnailImageId: imageOf(creator).id }))
        images.delete(picture.id)

        const catalog = yield* Catalog
        const eventId = crypto.randomUUID()
        const changed = yield* catalog.applyImageDeleted({ eventId, imageId: picture.id })
        expect([...changed].sort()).toEqual([one.id, two.id].sort())
        expect(yield* catalog.applyImageDeleted({ eventId, imageId: picture.id })).toEqual([])
        expect((yield* client.course.get({ id: one.id })).course.thumbnail).toBeNull()
        expect((yield* client.course.get({ id: two.id })).course.thumbnail).toBeNull()
        expect((yield* client.course.get({ id: kept.id })).course.thumbnail).not.toBeNull()

        const sql = yield* SqlClient.SqlClient
        const events = yield* sql<{ courseId: string }>`
          SELECT payload->>'courseId' AS course_id FROM catalog.outbox
          WHERE type = 'course.updated' AND payload->>'courseId' IN (${one.id}, ${two.id})`.pipe(Effect.orDie)
        expect(events.map((event) => event.courseId).sort()).toEqual([one.id, two.id].sort())
        // The image is gone: it cannot be set again.
        const refused = yield* Effect.flip(client.course.update({ id: one.id, thumbnailImageId: picture.id }))
        expect(refused._tag).toBe("InvalidThumbnail")
      })
    )

    it.scoped("an image no course shows any more is released to media: replaced, cleared, or its course deleted", () =>
      Effect.gen(function* () {
        const { client, as, creator, category } = yield* setup
        const sql = yield* SqlClient.SqlClient
        const releases = (imageId: string) =>
          sql<{ courseId: string }>`SELECT payload->>'courseId' AS "courseId" FROM catalog.outbox
            WHERE type = 'image.released' AND payload->>'imageId' = ${imageId}`.pipe(
            Effect.map((rows) => rows.map((row) => row.courseId)),
            Effect.orDie
          )
        as(creator)
        const [first, second, shared] = [imageOf(creator), imageOf(creator), imageOf(creator)]
        const course = yield* client.course.create(courseInput(category.id, { thumbnailImageId: first.id }))
        yield* client.course.update({ id: course.id, title: "Retitled, same picture" })
        expect(yield* releases(first.id)).toEqual([])
        yield* client.course.update({ id: course.id, thumbnailImageId: second.id })
        expect(yield* releases(first.id)).toEqual([course.id])
        yield* client.course.update({ id: course.id, thumbnailImageId: null })
        expect(yield* releases(second.id)).toEqual([course.id])

        // An image another course still shows is not released; the last course to let it go releases it.
        const one = yield* client.course.create(courseInput(category.id, { thumbnailImageId: shared.id }))
        const two = yield* client.course.create(courseInput(category.id, { thumbnailImageId: shared.id }))
        yield* client.course.update({ id: one.id, thumbnailImageId: null })
        expect(yield* releases(shared.id)).toEqual([])
        yield* client.course.delete({ id: two.id })
        expect(yield* releases(shared.id)).toEqual([two.id])
      })
    )
  })

  // Fresh: built apart from the layer above (whose Catalog has the images port) rather than sharing its services.
  it.layer(Layer.fresh(makeCatalogTestLayer(layerFreshPostgres)), { timeout: 60_000 })((it) => {
    it.scoped("a catalog without media refuses thumbnails and shows none", () =>
      Effect.gen(function* () {
        const { client, as, creator, category } = yield* setup
        as(creator)
        const imageId = ImageId.make(crypto.randomUUID())
        const refused = yield* Effect.flip(
          client.course.create(courseInput(category.id, { thumbnailImageId: imageId }))
        )
        expect(refused).toMatchObject({
          _tag: "InvalidThumbnail",
          imageId,
          reason: "thumbnails need the media service in this process"
        })
        expect((yield* client.course.create(courseInput(category.id))).thumbnail).toBeNull()
      })
    )
  })
})
