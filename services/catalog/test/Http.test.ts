// The catalog over real HTTP (the platform's RPC edge): bad and mass-assigned payloads get typed errors from the
// server's Schemas, and the typed HTTP client round-trips every Schema of a full course flow.

import { describe, expect, it } from "@effect/vitest"
import { makeLectern } from "@lectern/client"
import { MediaId } from "@lectern/domain"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { DateTime, Duration, Effect, Schema } from "effect"
import { courseInput, makeCatalogTestLayer, rawCall, serveCatalogOverHttp, uniqueWord, userWith } from "./fixtures.ts"

/** The one reply of a raw call: the success value, or the tag of the typed failure. */
const outcome = (text: string): { readonly value?: unknown; readonly failure?: string; readonly message?: string } => {
  const [reply] = JSON.parse(text)
  const exit = reply?.exit
  if (exit?._tag === "Success") return { value: exit.value }
  const cause = exit?.cause
  if (cause?._tag === "Fail") return { failure: cause.error?._tag, message: cause.error?.message }
  return { failure: `unexpected ${JSON.stringify(reply)}` }
}

const withId = Schema.decodeUnknownSync(Schema.Struct({ id: Schema.String }))

describe("catalog over HTTP", () => {
  it.layer(makeCatalogTestLayer(layerFreshPostgres), { timeout: 120_000 })((it) => {
    it.scoped("bad input is refused by the server with typed errors", () =>
      Effect.gen(function* () {
        const url = yield* serveCatalogOverHttp
        const admin = yield* userWith("admin")
        const creator = yield* userWith("creator")
        /** As the creator, or anonymously with `null`. */
        const call = (tag: string, payload: unknown, token: string | null = creator.token) =>
          rawCall(url, tag, payload, token ?? undefined).pipe(
            Effect.tap((response) => expect(response.status).toBe(200)),
            Effect.map((response) => outcome(response.text))
          )
        const category = withId((yield* call("category.create", { name: uniqueWord("cat") }, admin.token)).value)
        const valid = {
          title: "A valid title",
          description: "Fine.",
          categoryId: category.id,
          level: "beginner",
          language: "en",
          price: { amount: 1000, currency: "EUR" },
          tags: ["ok"]
        }

        const refusedAsInput = [
          { ...valid, title: "" },
          { ...valid, title: "   " },
          { ...valid, title: "t".repeat(10_000) },
          { ...valid, price: { amount: -1, currency: "EUR" } },
          { ...valid, price: { amount: 10.5, currency: "EUR" } },
          { ...valid, price: { amount: 100, currency: "eur" } },
          { ...valid, price: { amount: 100, currency: "EURO" } },
          { ...valid, level: "expert" },
          { ...valid, language: "english" },
          { ...valid, tags: Array.from({ length: 11 }, (_, i) => `tag${i}`) },
          { ...valid, categoryId: "not-a-uuid" },
          { ...valid, discount: { kind: "percent", percent: 0, endsAt: "2099-01-01T00:00:00Z" } },
          { ...valid, discount: { kind: "percent", percent: 101, endsAt: "2099-01-01T00:00:00Z" } },
          { ...valid, description: "d".repeat(20_001) },
          // Mass assignment: fields the server sets are not accepted from a caller.
          { ...valid, ownerId: admin.id },
          { ...valid, status: "published" },
          { ...valid, publishedAt: "2020-01-01T00:00:00Z" },
          { ...valid, ratingAverage: 5 }
        ]
        for (const payload of refusedAsInput) {
          const result = yield* call("course.create", payload)
          expect(result.failure, JSON.stringify(payload).slice(0, 120)).toBe("InvalidInput")
        }
        const unknownCategory = yield* call("course.create", { ...valid, categoryId: crypto.randomUUID() })
        expect(unknownCategory.failure).toBe("CategoryNotFound")
        expect((yield* call("course.create", valid, null)).failure).toBe("Unauthorized")

        // The server trims what it stores.
        const created = yield* call("course.create", { ...valid, title: "  Padded title  " })
        const course = Schema.decodeUnknownSync(
          Schema.Struct({ id: Schema.String, title: Schema.String, ownerId: Schema.String })
        )(created.value)
        expect(course.title).toBe("Padded title")
        expect(course.ownerId).toBe(creator.id)

        for (const field of [
          { ownerId: admin.id },
          { status: "published" },
          { publishedAt: "2020-01-01T00:00:00Z" },
          { slug: "my-own-slug" },
          { enrollmentCount: 1000 }
        ]) {
          const result = yield* call("course.update", { id: course.id, title: "Taken over", ...field })
          expect(result.failure, JSON.stringify(field)).toBe("InvalidInput")
        }
        const stored = (yield* call("course.get", { id: course.id }, creator.token)).value
        expect(stored).toHaveProperty("course")
        expect(Schema.decodeUnknownSync(Schema.Struct({ course: Schema.Unknown }))(stored).course).toMatchObject({
          title: "Padded title",
          ownerId: creator.id,
          status: "draft"
        })

        const section = withId((yield* call("section.create", { courseId: course.id, title: "S" })).value)
        const longArticle = yield* call("lesson.create", {
          sectionId: section.id,
          title: "Long",
          content: { kind: "article", markdown: "m".repeat(100_001) }
        })
        expect(longArticle.failure).toBe("InvalidInput")
        const unknownKind = yield* call("lesson.create", {
          sectionId: section.id,
          title: "Odd",
          content: { kind: "podcast", url: "https://example.com" }
        })
        expect(unknownKind.failure).toBe("InvalidInput")
        const lessonWithExtra = yield* call("lesson.create", {
          sectionId: section.id,
          title: "Sneaky",
          content: { kind: "video", mediaId: crypto.randomUUID(), mediaReady: true }
        })
        expect(lessonWithExtra.failure).toBe("InvalidInput")

        expect((yield* call("course.search", { cursor: "not-a-cursor" }, null)).failure).toBe("InvalidCursor")
        expect((yield* call("course.search", { cursor: "c".repeat(513) }, null)).failure).toBe("InvalidInput")
        expect((yield* call("course.search", { limit: 1000 }, null)).failure).toBe("InvalidInput")
        expect((yield* call("course.search", { limit: 0 }, null)).failure).toBe("InvalidInput")
        expect((yield* call("course.search", { minRating: 6 }, null)).failure).toBe("InvalidInput")
        expect((yield* call("course.search", { price: "cheap" }, null)).failure).toBe("InvalidInput")
        expect((yield* call("course.search", { q: "q".repeat(201) }, null)).failure).toBe("InvalidInput")
        expect((yield* call("course.get", {}, null)).failure).toBe("InvalidInput")
        expect((yield* call("course.get", { slug: "Not A Slug" }, null)).failure).toBe("InvalidInput")
        expect((yield* call("course.get", { id: course.id }, null)).failure).toBe("CourseNotFound")
        const reorder = yield* call("curriculum.reorder", {
          courseId: course.id,
          sections: [{ id: section.id, lessonIds: [], extra: 1 }]
        })
        expect(reorder.failure).toBe("InvalidInput")
      })
    )

    it.scoped(
      "the typed HTTP client: a course from creation to search and back, every Schema encoded and decoded",
      () =>
        Effect.gen(function* () {
          const url = yield* serveCatalogOverHttp
          const admin = yield* userWith("admin")
          const creator = yield* userWith("creator")
          let token: string | undefined = admin.token
          const { catalog } = yield* makeLectern({ baseUrl: url, accessToken: () => token })

          const category = yield* catalog.category.create({ name: uniqueWord("http") })
          token = creator.token
          const endsAt = DateTime.addDuration(DateTime.unsafeNow(), Duration.days(7))
          const word = uniqueWord("wire")
          const course = yield* catalog.course.create(
            courseInput(category.id, {
              title: `Over the ${word}`,
              subtitle: "Everything crosses HTTP",
              discount: { kind: "percent", percent: 20, endsAt }
            })
          )
          expect(course.discount).toEqual({ kind: "percent", percent: 20, endsAt })
          expect(DateTime.isDateTime(course.createdAt)).toBe(true)
          const section = yield* catalog.section.create({ courseId: course.id, title: "One" })
          const mediaId = MediaId.make(crypto.randomUUID())
          const video = yield* catalog.lesson.create({
            sectionId: section.id,
            title: "Video",
            content: { kind: "video", mediaId }
          })
          expect(video.content).toEqual({ kind: "video", mediaId, mediaReady: false })
          yield* catalog.lesson.update({
            id: video.id,
            content: { kind: "embed", url: "https://vimeo.com/channels/staffpicks/76979871" },
            isPreview: true
          })
          const submitted = yield* catalog.course.submitForReview({ id: course.id })
          expect(submitted.status).toBe("pending_review")
          token = admin.token
          yield* catalog.course.review({ id: course.id, decision: "approve", feedback: "ok" })

          token = undefined
          const page = yield* catalog.course.search({ q: word })
          expect(page.items.map((item) => item.id)).toEqual([course.id])
          expect(page.items[0]?.publishedAt).not.toBeNull()
          const detail = yield* catalog.course.get({ slug: course.slug })
          expect(detail.sections[0]?.lessons[0]?.content).toEqual({
            kind: "embed",
            provider: "vimeo",
            videoId: "76979871",
            embedUrl: "https://player.vimeo.com/video/76979871"
          })
          expect((yield* catalog.category.list()).some((item) => item.id === category.id)).toBe(true)
          expect(yield* catalog.course.related({ id: course.id })).toEqual([])
          token = creator.token
          const history = yield* catalog.course.history({ id: course.id })
          expect(history.map((step) => step.to)).toEqual(["draft", "pending_review", "published"])
          // Public calls carry the typed client's token too (the Viewer middleware): the owner sees a draft, by id
          // and by slug, and related courses of it; without the token it is not found.
          yield* catalog.course.unpublish({ id: course.id })
          const own = yield* catalog.course.get({ id: course.id })
          expect(own.course.status).toBe("draft")
          expect(own.canEdit).toBe(true)
          expect((yield* catalog.course.get({ slug: course.slug })).course.id).toBe(course.id)
          expect(yield* catalog.course.related({ id: course.id })).toEqual([])
          token = undefined
          expect((yield* catalog.course.get({ id: course.id }).pipe(Effect.flip))._tag).toBe("CourseNotFound")
          expect((yield* catalog.course.get({ slug: course.slug }).pipe(Effect.flip))._tag).toBe("CourseNotFound")
          expect((yield* catalog.course.related({ id: course.id }).pipe(Effect.flip))._tag).toBe("CourseNotFound")
          // A token that does not verify is refused, not treated as anonymous: the client must refresh it.
          token = "not-a-token"
          expect((yield* catalog.course.get({ id: course.id }).pipe(Effect.flip))._tag).toBe("Unauthorized")
          expect((yield* catalog.course.search({ q: word }).pipe(Effect.flip))._tag).toBe("Unauthorized")
          expect((yield* catalog.category.list().pipe(Effect.flip))._tag).toBe("Unauthorized")
        })
    )
  })
})
