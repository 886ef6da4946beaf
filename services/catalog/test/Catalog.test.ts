// The catalog service end to end through its typed client, on the machine's real Postgres (fresh database):
// categories, course rules, ownership, the review lifecycle, curricula, reordering, outbox events and counters.

import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { makeInProcessClient } from "@lectern/client"
import { Auth as AuthContract, Catalog as Contract } from "@lectern/contracts"
import { CourseId, Email, MediaId, QuizId } from "@lectern/domain"
import { TokenRevocations } from "@lectern/platform/AccessTokens"
import { DevOutbox } from "@lectern/platform/MailerDevOutbox"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { DateTime, Duration, Effect, Schema } from "effect"
import { Catalog } from "../src/Catalog.ts"
import {
  type CatalogClient,
  courseInput,
  makeCatalogTestLayer,
  makeClient,
  publishedCourse,
  type TestUser,
  uniqueWord,
  userWith
} from "./fixtures.ts"

/** The events the outbox holds for one course, oldest first. */
const eventsOf = (courseId: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<{ type: string; payload: Record<string, unknown> }>`SELECT type, payload FROM catalog.outbox
      WHERE payload->>'courseId' = ${courseId} ORDER BY position`
  }).pipe(Effect.orDie)

const typesOf = (events: ReadonlyArray<{ readonly type: string }>) => events.map((event) => event.type)

/** A draft with one section and one article lesson, owned by `creator`. */
const draftWithLesson = (
  client: CatalogClient,
  as: (user: TestUser | undefined) => void,
  creator: TestUser,
  categoryId: Contract.Category["id"],
  title = "Draft course"
) =>
  Effect.gen(function* () {
    as(creator)
    const course = yield* client.course.create(courseInput(categoryId, { title }))
    const section = yield* client.section.create({ courseId: course.id, title: "Part one" })
    const lesson = yield* client.lesson.create({
      sectionId: section.id,
      title: "Read me",
      content: { kind: "article", markdown: "Some words to read." }
    })
    return { course, section, lesson }
  })

describe("catalog service", () => {
  it.layer(makeCatalogTestLayer(layerFreshPostgres), { timeout: 120_000 })((it) => {
    it.scoped("categories: admins build the tree, nobody else; a used category cannot be deleted", () =>
      Effect.gen(function* () {
        const { client, as } = yield* makeClient
        const admin = yield* userWith("admin")
        const creator = yield* userWith("creator")

        as(creator)
        expect((yield* client.category.create({ name: "Nope" }).pipe(Effect.flip))._tag).toBe("Forbidden")
        as(undefined)
        expect((yield* client.category.create({ name: "Nope" }).pipe(Effect.flip))._tag).toBe("Unauthorized")

        as(admin)
        const root = yield* client.category.create({ name: "Data Science" })
        expect(root.slug).toBe("data-science")
        expect(root.depth).toBe(0)
        const child = yield* client.category.create({ name: "Machine Learning", parentId: root.id })
        expect(child.parentId).toBe(root.id)
        expect(child.depth).toBe(1)
        const twin = yield* client.category.create({ name: "Data science" })
        expect(twin.slug).toBe("data-science-2")
        const unknown = yield* client.category
          .create({ name: "Orphan", parentId: Schema.decodeSync(Contract.Category.fields.id)(crypto.randomUUID()) })
          .pipe(Effect.flip)
        expect(unknown._tag).toBe("CategoryNotFound")

        // A loop is refused; renaming keeps the slug.
        const loop = yield* client.category.update({ id: root.id, parentId: child.id }).pipe(Effect.flip)
        expect(loop._tag).toBe("InvalidInput")
        const self = yield* client.category.update({ id: root.id, parentId: root.id }).pipe(Effect.flip)
        expect(self._tag).toBe("InvalidInput")
        const renamed = yield* client.category.update({ id: child.id, name: "ML" })
        expect(renamed.name).toBe("ML")
        expect(renamed.slug).toBe("machine-learning")

        const tree = yield* client.category.list()
        const rootIndex = tree.findIndex((category) => category.id === root.id)
        expect(tree[rootIndex + 1]?.id).toBe(child.id)

        const withChild = yield* client.category.delete({ id: root.id }).pipe(Effect.flip)
        expect(withChild).toEqual(new Contract.CategoryInUse({ id: root.id, courseCount: 0, childCount: 1 }))

        const { course } = yield* draftWithLesson(client, as, creator, child.id)
        as(admin)
        const withCourse = yield* client.category.delete({ id: child.id }).pipe(Effect.flip)
        expect(withCourse).toEqual(new Contract.CategoryInUse({ id: child.id, courseCount: 1, childCount: 0 }))
        // Drafts are filed under it but not counted as listed.
        expect((yield* client.category.list()).find((category) => category.id === child.id)?.courseCount).toBe(0)

        as(creator)
        yield* client.course.delete({ id: course.id })
        as(admin)
        yield* client.category.delete({ id: child.id })
        yield* client.category.delete({ id: root.id })
        expect((yield* client.category.list()).map((category) => category.id)).not.toContain(root.id)
        const gone = yield* client.category.delete({ id: root.id }).pipe(Effect.flip)
        expect(gone._tag).toBe("CategoryNotFound")
      })
    )

    it.scoped("learners cannot create courses; creators own what they create", () =>
      Effect.gen(function* () {
        const { client, as } = yield* makeClient
        const admin = yield* userWith("admin")
        as(admin)
        const category = yield* client.category.create({ name: uniqueWord("cat") })

        // A learner who signed up through the auth service, with the token it issued.
        const auth = yield* makeInProcessClient(AuthContract.AuthRpcs, undefined)
        const address = Schema.decodeSync(Email)(`${uniqueWord("learner")}@example.com`)
        yield* auth.user.register({ email: address, password: "correct horse battery staple 42", name: "Lea" })
        const mails = yield* (yield* DevOutbox).list({ to: address, limit: 1 })
        const code = /\b(\d{6})\b/.exec(mails[0]?.text ?? "")?.[1] ?? ""
        const session = yield* auth.user.verifyEmail({ email: address, code })
        const learner: TestUser = {
          id: session.user.id,
          role: "learner",
          token: session.accessToken,
          headers: { headers: { authorization: `Bearer ${session.accessToken}` } }
        }
        as(learner)
        const refused = yield* client.course.create(courseInput(category.id)).pipe(Effect.flip)
        expect(refused._tag).toBe("Forbidden")
        expect(yield* client.course.mine()).toEqual([])

        const creator = yield* userWith("creator")
        as(creator)
        const title = `Rust for the ${uniqueWord("impatient")}`
        const course = yield* client.course.create(
          courseInput(category.id, { title, tags: ["Rust", "rust", "Systems"] })
        )
        expect(course.ownerId).toBe(creator.id)
        expect(course.status).toBe("draft")
        expect(course.publishedAt).toBeNull()
        expect(course.slug).toBe(title.toLowerCase().replaceAll(" ", "-"))
        expect(course.tags).toEqual(["rust", "systems"])
        const twin = yield* client.course.create(courseInput(category.id, { title }))
        expect(twin.slug).toBe(`${course.slug}-2`)

        const renamed = yield* client.course.update({ id: course.id, title: "A brand new title" })
        expect(renamed.title).toBe("A brand new title")
        expect(renamed.slug).toBe(course.slug)
        expect((yield* client.course.get({ slug: course.slug }, creator.headers)).course.id).toBe(course.id)

        const unknownCategory = yield* client.course
          .create(courseInput(Schema.decodeSync(Contract.Category.fields.id)(crypto.randomUUID())))
          .pipe(Effect.flip)
        expect(unknownCategory._tag).toBe("CategoryNotFound")

        const mine = yield* client.course.mine()
        expect(mine.map((item) => item.id).sort()).toEqual([course.id, twin.id].sort())
        as(admin)
        const adminCourse = yield* client.course.create(courseInput(category.id))
        expect(adminCourse.ownerId).toBe(admin.id)
      })
    )

    it.scoped("ownership: creator B cannot touch creator A's course, nor see it unpublished", () =>
      Effect.gen(function* () {
        const { client, as } = yield* makeClient
        const admin = yield* userWith("admin")
        const alice = yield* userWith("creator")
        const bob = yield* userWith("creator")
        as(admin)
        const category = yield* client.category.create({ name: uniqueWord("cat") })
        const { course, section, lesson } = yield* draftWithLesson(client, as, alice, category.id)

        as(bob)
        const attempts: ReadonlyArray<Effect.Effect<unknown, { readonly _tag: string }>> = [
          client.course.update({ id: course.id, title: "Mine now" }),
          client.course.delete({ id: course.id }),
          client.course.submitForReview({ id: course.id }),
          client.course.history({ id: course.id }),
          client.section.create({ courseId: course.id, title: "Extra" }),
          client.section.update({ id: section.id, title: "Renamed" }),
          client.section.delete({ id: section.id }),
          client.lesson.create({ sectionId: section.id, title: "X", content: { kind: "article", markdown: "x" } }),
          client.lesson.update({ id: lesson.id, title: "Mine" }),
          client.lesson.delete({ id: lesson.id }),
          client.curriculum.reorder({ courseId: course.id, sections: [{ id: section.id, lessonIds: [lesson.id] }] })
        ]
        for (const attempt of attempts) {
          expect((yield* Effect.flip(attempt))._tag).toBe("Forbidden")
        }
        const peek = yield* client.course.get({ id: course.id }, bob.headers).pipe(Effect.flip)
        expect(peek).toEqual(new Contract.CourseNotFound({ id: course.id }))
        as(undefined)
        expect((yield* client.course.get({ slug: course.slug }).pipe(Effect.flip))._tag).toBe("CourseNotFound")
        expect((yield* client.course.related({ id: course.id }).pipe(Effect.flip))._tag).toBe("CourseNotFound")
        // A token that does not verify is refused rather than read as anonymous, so a client knows to refresh it.
        const forged = { headers: { authorization: "Bearer not-a-token" } }
        expect((yield* client.course.get({ id: course.id }, forged).pipe(Effect.flip))._tag).toBe("Unauthorized")
        const revoked = yield* userWith("creator")
        yield* (yield* TokenRevocations).revokeUser(revoked.id)
        expect((yield* client.course.get({ id: course.id }, revoked.headers).pipe(Effect.flip))._tag).toBe(
          "Unauthorized"
        )

        // The typed client sends its own token on public calls: the owner sees the draft without extra headers.
        as(alice)
        expect((yield* client.course.get({ id: course.id })).canEdit).toBe(true)
        expect((yield* client.course.get({ slug: course.slug })).course.status).toBe("draft")
        as(undefined)

        const asOwner = yield* client.course.get({ id: course.id }, alice.headers)
        expect(asOwner.canEdit).toBe(true)
        expect(asOwner.sections[0]?.lessons[0]?.content).toEqual({ kind: "article", markdown: "Some words to read." })
        const asAdmin = yield* client.course.get({ id: course.id }, admin.headers)
        expect(asAdmin.canEdit).toBe(true)

        // Nothing Bob tried changed anything.
        expect(asOwner.course.title).toBe(course.title)
        expect(asOwner.sections.map((s) => s.title)).toEqual(["Part one"])
        expect(asOwner.sections[0]?.lessons.map((l) => l.title)).toEqual(["Read me"])

        // Admins may edit any course.
        as(admin)
        const edited = yield* client.course.update({ id: course.id, subtitle: "Edited by an admin" })
        expect(edited.subtitle).toBe("Edited by an admin")
        expect(edited.ownerId).toBe(alice.id)
      })
    )

    it.scoped("the review lifecycle: every legal step recorded, every illegal one refused with a typed error", () =>
      Effect.gen(function* () {
        const { client, as } = yield* makeClient
        const catalog = yield* Catalog
        const admin = yield* userWith("admin")
        const creator = yield* userWith("creator")
        as(admin)
        const category = yield* client.category.create({ name: uniqueWord("cat") })
        as(creator)
        const course = yield* client.course.create(courseInput(category.id, { title: uniqueWord("Lifecycle") }))
        const id = course.id
        const refusal = (from: Contract.CourseStatus, to: Contract.TransitionTarget) => ({
          _tag: "InvalidTransition",
          from,
          to
        })

        // draft
        as(admin)
        expect(yield* client.course.review({ id, decision: "approve", feedback: "" }).pipe(Effect.flip)).toMatchObject(
          refusal("draft", "published")
        )
        as(creator)
        expect(yield* client.course.unpublish({ id }).pipe(Effect.flip)).toMatchObject(refusal("draft", "draft"))
        expect(yield* client.course.submitForReview({ id }).pipe(Effect.flip)).toEqual(
          new Contract.CourseNotReady({ reason: "no_lessons", lessonIds: [] })
        )
        const section = yield* client.section.create({ courseId: id, title: "Videos" })
        const mediaId = MediaId.make(crypto.randomUUID())
        const video = yield* client.lesson.create({
          sectionId: section.id,
          title: "Intro",
          content: { kind: "video", mediaId }
        })
        expect(video.content).toEqual({ kind: "video", mediaId, mediaReady: false })
        expect(yield* client.course.submitForReview({ id }).pipe(Effect.flip)).toEqual(
          new Contract.CourseNotReady({ reason: "media_not_ready", lessonIds: [video.id] })
        )
        const changed = yield* catalog.applyMediaEvent({
          eventId: crypto.randomUUID(),
          mediaId,
          ready: true,
          durationSeconds: 95
        })
        expect(changed).toEqual([video.id])
        as(admin)
        expect((yield* client.course.submitForReview({ id }).pipe(Effect.flip))._tag).toBe("Forbidden")

        // pending_review
        as(creator)
        expect((yield* client.course.submitForReview({ id })).status).toBe("pending_review")
        expect(yield* client.course.submitForReview({ id }).pipe(Effect.flip)).toMatchObject(
          refusal("pending_review", "pending_review")
        )
        expect(yield* client.course.unpublish({ id }).pipe(Effect.flip)).toMatchObject(
          refusal("pending_review", "draft")
        )
        expect(yield* client.course.update({ id, title: "Sneaky" }).pipe(Effect.flip)).toEqual(
          new Contract.CourseLocked({ id, status: "pending_review" })
        )
        expect((yield* client.section.create({ courseId: id, title: "More" }).pipe(Effect.flip))._tag).toBe(
          "CourseLocked"
        )
        expect(yield* client.course.delete({ id }).pipe(Effect.flip)).toMatchObject(
          refusal("pending_review", "deleted")
        )
        expect((yield* client.course.review({ id, decision: "approve", feedback: "" }).pipe(Effect.flip))._tag).toBe(
          "Forbidden"
        )
        as(admin)
        expect((yield* client.course.review({ id, decision: "reject", feedback: "  " }).pipe(Effect.flip))._tag).toBe(
          "InvalidInput"
        )
        const rejected = yield* client.course.review({ id, decision: "reject", feedback: "Audio is too quiet" })
        expect(rejected.status).toBe("rejected")
        expect(rejected.reviewFeedback).toBe("Audio is too quiet")

        // rejected
        expect(yield* client.course.review({ id, decision: "approve", feedback: "" }).pipe(Effect.flip)).toMatchObject(
          refusal("rejected", "published")
        )
        as(creator)
        expect(yield* client.course.unpublish({ id }).pipe(Effect.flip)).toMatchObject(refusal("rejected", "draft"))
        yield* client.course.update({ id, subtitle: "Now with louder audio" })
        expect((yield* client.course.submitForReview({ id })).status).toBe("pending_review")
        as(admin)
        const published = yield* client.course.review({ id, decision: "approve", feedback: "Great, thanks" })
        expect(published.status).toBe("published")
        expect(published.publishedAt).not.toBeNull()
        expect(published.durationSeconds).toBe(95)

        // published
        as(creator)
        expect(yield* client.course.submitForReview({ id }).pipe(Effect.flip)).toMatchObject(
          refusal("published", "pending_review")
        )
        expect(yield* client.course.delete({ id }).pipe(Effect.flip)).toMatchObject(refusal("published", "deleted"))
        as(admin)
        expect(yield* client.course.review({ id, decision: "reject", feedback: "x" }).pipe(Effect.flip)).toMatchObject(
          refusal("published", "rejected")
        )
        as(undefined)
        expect((yield* client.course.get({ id })).course.status).toBe("published")
        as(creator)
        const unpublished = yield* client.course.unpublish({ id, note: "Re-recording part two" })
        expect(unpublished.status).toBe("draft")
        expect(unpublished.publishedAt).toBeNull()
        as(undefined)
        expect((yield* client.course.get({ id }).pipe(Effect.flip))._tag).toBe("CourseNotFound")

        // An admin may delete in any status; the history outlives the course, for admins.
        as(creator)
        yield* client.section.create({ courseId: id, title: "Part two" })
        as(admin)
        yield* client.course.delete({ id })
        expect((yield* client.course.get({ id }, admin.headers).pipe(Effect.flip))._tag).toBe("CourseNotFound")
        const history = yield* client.course.history({ id })
        expect(history.map((step) => [step.from, step.to, step.note])).toEqual([
          [null, "draft", null],
          ["draft", "pending_review", null],
          ["pending_review", "rejected", "Audio is too quiet"],
          ["rejected", "pending_review", null],
          ["pending_review", "published", "Great, thanks"],
          ["published", "draft", "Re-recording part two"],
          ["draft", "deleted", null]
        ])
        expect(history.map((step) => step.actorId)).toEqual([
          creator.id,
          creator.id,
          admin.id,
          creator.id,
          admin.id,
          creator.id,
          admin.id
        ])
        as(creator)
        expect((yield* client.course.history({ id }).pipe(Effect.flip))._tag).toBe("CourseNotFound")
        expect((yield* client.course.mine()).map((item) => item.id)).not.toContain(id)

        expect(typesOf(yield* eventsOf(id))).toEqual([
          "course.updated",
          "lesson.changed",
          "lesson.changed",
          "course.updated",
          "course.published",
          "course.unpublished",
          "course.updated",
          "course.deleted"
        ])
        const [publishedEvent] = (yield* eventsOf(id)).filter((event) => event.type === "course.published")
        expect(publishedEvent?.payload).toEqual({
          courseId: id,
          ownerId: creator.id,
          slug: course.slug,
          title: course.title
        })
      })
    )

    it.scoped("course fields are validated against each other: prices, discounts, categories", () =>
      Effect.gen(function* () {
        const { client, as } = yield* makeClient
        const admin = yield* userWith("admin")
        const creator = yield* userWith("creator")
        as(admin)
        const category = yield* client.category.create({ name: uniqueWord("cat") })
        as(creator)
        const inAMonth = DateTime.addDuration(DateTime.unsafeNow(), Duration.days(30))
        const yesterday = DateTime.subtractDuration(DateTime.unsafeNow(), Duration.days(1))
        const price = { amount: 2000, currency: "USD" }
        const tooBig = yield* client.course
          .create(courseInput(category.id, { price, discount: { kind: "amount", amount: 2001, endsAt: inAMonth } }))
          .pipe(Effect.flip)
        expect(tooBig._tag).toBe("InvalidInput")
        const onFree = yield* client.course
          .create(
            courseInput(category.id, {
              price: { amount: 0, currency: "USD" },
              discount: { kind: "percent", percent: 10, endsAt: inAMonth }
            })
          )
          .pipe(Effect.flip)
        expect(onFree._tag).toBe("InvalidInput")
        const ended = yield* client.course
          .create(courseInput(category.id, { price, discount: { kind: "percent", percent: 10, endsAt: yesterday } }))
          .pipe(Effect.flip)
        expect(ended._tag).toBe("InvalidInput")

        const course = yield* client.course.create(
          courseInput(category.id, { price, discount: { kind: "amount", amount: 500, endsAt: inAMonth } })
        )
        expect(course.discount).toMatchObject({ kind: "amount", amount: 500 })
        // Lowering the price below the running discount is refused until the discount goes too.
        const cheaper = yield* client.course
          .update({ id: course.id, price: { amount: 400, currency: "USD" } })
          .pipe(Effect.flip)
        expect(cheaper._tag).toBe("InvalidInput")
        const free = yield* client.course.update({
          id: course.id,
          price: { amount: 0, currency: "USD" },
          discount: null
        })
        expect(free.price).toEqual({ amount: 0, currency: "USD" })
        expect(free.discount).toBeNull()
        const moved = yield* client.course
          .update({ id: course.id, categoryId: Schema.decodeSync(Contract.Category.fields.id)(crypto.randomUUID()) })
          .pipe(Effect.flip)
        expect(moved._tag).toBe("CategoryNotFound")
        const missing = yield* client.course
          .update({ id: CourseId.make(crypto.randomUUID()), title: "Ghost" })
          .pipe(Effect.flip)
        expect(missing._tag).toBe("CourseNotFound")
        const retagged = yield* client.course.update({ id: course.id, tags: ["Go", "GO", "go"], subtitle: null })
        expect(retagged.tags).toEqual(["go"])
        expect(retagged.subtitle).toBeNull()
        expect(retagged.title).toBe(course.title)
      })
    )

    it.scoped("curriculum: sections and lessons of every kind, content shown to editors and for previews", () =>
      Effect.gen(function* () {
        const { client, as } = yield* makeClient
        const admin = yield* userWith("admin")
        const creator = yield* userWith("creator")
        as(admin)
        const category = yield* client.category.create({ name: uniqueWord("cat") })
        as(creator)
        const course = yield* client.course.create(courseInput(category.id, { title: uniqueWord("Curriculum") }))
        const one = yield* client.section.create({ courseId: course.id, title: "One" })
        const two = yield* client.section.create({ courseId: course.id, title: "Two" })
        expect([one.position, two.position]).toEqual([0, 1])

        const embed = yield* client.lesson.create({
          sectionId: one.id,
          title: "Watch this",
          content: { kind: "embed", url: "https://youtu.be/dQw4w9WgXcQ?si=x&t=3" },
          isPreview: true,
          durationSeconds: 212
        })
        expect(embed.content).toEqual({
          kind: "embed",
          provider: "youtube",
          videoId: "dQw4w9WgXcQ",
          embedUrl: "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
        })
        const badUrl = yield* client.lesson
          .create({ sectionId: one.id, title: "Bad", content: { kind: "embed", url: "https://example.com/video/1" } })
          .pipe(Effect.flip)
        expect(badUrl._tag).toBe("InvalidInput")
        const article = yield* client.lesson.create({
          sectionId: one.id,
          title: "Read this",
          content: { kind: "article", markdown: "word ".repeat(400) }
        })
        expect(article.durationSeconds).toBe(120)
        expect(article.position).toBe(1)
        const quizId = QuizId.make(crypto.randomUUID())
        const quiz = yield* client.lesson.create({
          sectionId: two.id,
          title: "Check",
          content: { kind: "quiz", quizId }
        })
        expect(quiz.content).toEqual({ kind: "quiz", quizId })

        // Switching a lesson to a video resets readiness; the same video keeps it.
        const mediaId = MediaId.make(crypto.randomUUID())
        const asVideo = yield* client.lesson.update({ id: quiz.id, content: { kind: "video", mediaId } })
        expect(asVideo.kind).toBe("video")
        expect(asVideo.content).toEqual({ kind: "video", mediaId, mediaReady: false })
        yield* (yield* Catalog).applyMediaEvent({ eventId: crypto.randomUUID(), mediaId, ready: true })
        const retitled = yield* client.lesson.update({
          id: quiz.id,
          title: "Video now",
          content: { kind: "video", mediaId }
        })
        expect(retitled.content).toEqual({ kind: "video", mediaId, mediaReady: true })
        const otherVideo = MediaId.make(crypto.randomUUID())
        const swapped = yield* client.lesson.update({ id: quiz.id, content: { kind: "video", mediaId: otherVideo } })
        expect(swapped.content).toEqual({ kind: "video", mediaId: otherVideo, mediaReady: false })
        yield* client.lesson.update({ id: quiz.id, content: { kind: "quiz", quizId } })

        const renamed = yield* client.section.update({ id: two.id, title: "Second" })
        expect(renamed.title).toBe("Second")
        expect(renamed.lessons.map((lesson) => lesson.id)).toEqual([quiz.id])

        const detail = yield* client.course.get({ id: course.id }, creator.headers)
        expect(detail.course.lessonCount).toBe(3)
        expect(detail.course.durationSeconds).toBe(212 + 120)
        expect(detail.sections.map((section) => section.lessons.map((lesson) => lesson.title))).toEqual([
          ["Watch this", "Read this"],
          ["Video now"]
        ])

        // Published: anyone sees the outline, but content only of preview lessons.
        yield* client.course.submitForReview({ id: course.id })
        as(admin)
        yield* client.course.review({ id: course.id, decision: "approve", feedback: "" })
        as(undefined)
        const publicView = yield* client.course.get({ slug: course.slug })
        expect(publicView.canEdit).toBe(false)
        const lessons = publicView.sections.flatMap((section) => section.lessons)
        expect(lessons.map((lesson) => [lesson.title, lesson.content === null])).toEqual([
          ["Watch this", false],
          ["Read this", true],
          ["Video now", true]
        ])

        // Deleting a section deletes its lessons.
        as(creator)
        yield* client.section.delete({ id: one.id })
        const after = yield* client.course.get({ id: course.id }, creator.headers)
        expect(after.sections.map((section) => section.id)).toEqual([two.id])
        expect(after.course.lessonCount).toBe(1)
        expect((yield* client.lesson.update({ id: embed.id, title: "Gone" }).pipe(Effect.flip))._tag).toBe(
          "LessonNotFound"
        )
        yield* client.lesson.delete({ id: quiz.id })
        expect((yield* client.lesson.delete({ id: quiz.id }).pipe(Effect.flip))._tag).toBe("LessonNotFound")
        expect((yield* client.section.delete({ id: one.id }).pipe(Effect.flip))._tag).toBe("SectionNotFound")

        const lessonEvents = (yield* eventsOf(course.id)).filter((event) => event.type === "lesson.changed")
        expect(lessonEvents.map((event) => [event.payload.lessonId, event.payload.change])).toEqual([
          [embed.id, "created"],
          [article.id, "created"],
          [quiz.id, "created"],
          [quiz.id, "updated"],
          [quiz.id, "updated"],
          [quiz.id, "updated"],
          [quiz.id, "updated"],
          [quiz.id, "updated"],
          [embed.id, "deleted"],
          [article.id, "deleted"],
          [quiz.id, "deleted"]
        ])
      })
    )

    it.scoped("curriculum.reorder is all or nothing: a reorder naming a foreign lesson changes nothing", () =>
      Effect.gen(function* () {
        const { client, as } = yield* makeClient
        const admin = yield* userWith("admin")
        const creator = yield* userWith("creator")
        as(admin)
        const category = yield* client.category.create({ name: uniqueWord("cat") })
        const { course, section: first, lesson: a } = yield* draftWithLesson(client, as, creator, category.id)
        const b = yield* client.lesson.create({
          sectionId: first.id,
          title: "B",
          content: { kind: "article", markdown: "b" }
        })
        const second = yield* client.section.create({ courseId: course.id, title: "Part two" })
        const c = yield* client.lesson.create({
          sectionId: second.id,
          title: "C",
          content: { kind: "article", markdown: "c" }
        })
        const other = yield* draftWithLesson(client, as, creator, category.id, "Another course")

        const outline = (detail: Contract.CourseDetail) =>
          detail.sections.map((section) => [section.id, section.lessons.map((lesson) => lesson.id)])
        const before = outline(yield* client.course.get({ id: course.id }, creator.headers))
        expect(before).toEqual([
          [first.id, [a.id, b.id]],
          [second.id, [c.id]]
        ])

        const refusals = [
          // a lesson of another course
          [
            { id: second.id, lessonIds: [c.id, b.id] },
            { id: first.id, lessonIds: [a.id, other.lesson.id] }
          ],
          // a section of another course
          [
            { id: second.id, lessonIds: [c.id, b.id] },
            { id: other.section.id, lessonIds: [a.id] },
            { id: first.id, lessonIds: [] }
          ],
          // a lesson left out
          [
            { id: second.id, lessonIds: [c.id] },
            { id: first.id, lessonIds: [a.id] }
          ],
          // a lesson twice
          [
            { id: second.id, lessonIds: [c.id, a.id] },
            { id: first.id, lessonIds: [a.id, b.id] }
          ],
          // a section left out
          [{ id: second.id, lessonIds: [c.id, a.id, b.id] }]
        ]
        for (const sections of refusals) {
          const refused = yield* client.curriculum.reorder({ courseId: course.id, sections }).pipe(Effect.flip)
          expect(refused._tag).toBe("CurriculumMismatch")
          expect(outline(yield* client.course.get({ id: course.id }, creator.headers))).toEqual(before)
        }
        expect(outline(yield* client.course.get({ id: other.course.id }, creator.headers))).toEqual([
          [other.section.id, [other.lesson.id]]
        ])

        const reordered = yield* client.curriculum.reorder({
          courseId: course.id,
          sections: [
            { id: second.id, lessonIds: [b.id, c.id] },
            { id: first.id, lessonIds: [a.id] }
          ]
        })
        const expected = [
          [second.id, [b.id, c.id]],
          [first.id, [a.id]]
        ]
        expect(outline(reordered)).toEqual(expected)
        expect(outline(yield* client.course.get({ id: course.id }, creator.headers))).toEqual(expected)
        const moved = reordered.sections[0]?.lessons[0]
        expect(moved?.sectionId).toBe(second.id)
        expect(reordered.sections.map((section) => section.position)).toEqual([0, 1])
        // A new lesson goes after the reordered ones.
        const d = yield* client.lesson.create({
          sectionId: second.id,
          title: "D",
          content: { kind: "article", markdown: "d" }
        })
        expect(d.position).toBe(2)
        const missing = yield* client.curriculum
          .reorder({ courseId: CourseId.make(crypto.randomUUID()), sections: [] })
          .pipe(Effect.flip)
        expect(missing._tag).toBe("CourseNotFound")
      })
    )

    it.scoped("an event commits with its change and disappears with a rolled-back one", () =>
      Effect.gen(function* () {
        const { client, as } = yield* makeClient
        const sql = yield* SqlClient.SqlClient
        const catalog = yield* Catalog
        const admin = yield* userWith("admin")
        const creator = yield* userWith("creator")
        as(admin)
        const category = yield* client.category.create({ name: uniqueWord("cat") })
        as(creator)
        const course = yield* client.course.create(courseInput(category.id, { title: uniqueWord("Events") }))
        expect(yield* eventsOf(course.id)).toEqual([])

        yield* client.course.update({ id: course.id, title: "Committed title" })
        expect(yield* eventsOf(course.id)).toEqual([
          { type: "course.updated", payload: { courseId: course.id, slug: course.slug } }
        ])

        // The same update inside a transaction that fails afterwards: neither the change nor its event stays.
        const creatorUser = {
          id: creator.id,
          role: creator.role,
          tokenId: "test",
          sessionId: "test",
          issuedAt: 0
        }
        const rolledBack = yield* sql
          .withTransaction(
            Effect.zipRight(
              catalog.updateCourse(creatorUser, { id: course.id, title: "Rolled back title" }),
              Effect.fail("abort" as const)
            )
          )
          .pipe(Effect.flip)
        expect(rolledBack).toBe("abort")
        expect((yield* client.course.get({ id: course.id }, creator.headers)).course.title).toBe("Committed title")
        expect(yield* eventsOf(course.id)).toHaveLength(1)

        // A refused change writes nothing either.
        yield* client.course.unpublish({ id: course.id }).pipe(Effect.flip)
        expect(yield* eventsOf(course.id)).toHaveLength(1)

        const outbox = yield* sql<{
          source: string
          version: number
          sentAt: Date | null
        }>`SELECT source, version, sent_at
          FROM catalog.outbox WHERE payload->>'courseId' = ${course.id}`
        expect(outbox).toEqual([{ source: "catalog", version: 1, sentAt: null }])
      })
    )

    it.scoped("counters: enrollments and ratings from other services apply once per event", () =>
      Effect.gen(function* () {
        const { client, as } = yield* makeClient
        const catalog = yield* Catalog
        const admin = yield* userWith("admin")
        const creator = yield* userWith("creator")
        as(admin)
        const category = yield* client.category.create({ name: uniqueWord("cat") })
        const course = yield* publishedCourse(client, as, { creator, admin }, courseInput(category.id))
        const enrolled = crypto.randomUUID()
        expect(yield* catalog.applyCounterEvent({ eventId: enrolled, courseId: course.id, enrollmentDelta: 1 })).toBe(
          "applied"
        )
        expect(yield* catalog.applyCounterEvent({ eventId: enrolled, courseId: course.id, enrollmentDelta: 1 })).toBe(
          "duplicate"
        )
        yield* catalog.applyCounterEvent({ eventId: crypto.randomUUID(), courseId: course.id, enrollmentDelta: 1 })
        yield* catalog.applyCounterEvent({ eventId: crypto.randomUUID(), courseId: course.id, ratingAdded: 5 })
        const rated = crypto.randomUUID()
        yield* catalog.applyCounterEvent({ eventId: rated, courseId: course.id, ratingAdded: 4 })
        yield* catalog.applyCounterEvent({ eventId: rated, courseId: course.id, ratingAdded: 4 })
        // A rating changed from 4 to 2.
        yield* catalog.applyCounterEvent({
          eventId: crypto.randomUUID(),
          courseId: course.id,
          ratingAdded: 2,
          ratingRemoved: 4
        })
        const card = (yield* client.course.get({ id: course.id })).course
        expect(card.enrollmentCount).toBe(2)
        expect(card.ratingCount).toBe(2)
        expect(card.ratingAverage).toBe(3.5)
        // Cancellations never take a counter below zero.
        for (let i = 0; i < 3; i++) {
          yield* catalog.applyCounterEvent({ eventId: crypto.randomUUID(), courseId: course.id, enrollmentDelta: -1 })
        }
        expect((yield* client.course.get({ id: course.id })).course.enrollmentCount).toBe(0)
        expect(
          yield* catalog.applyCounterEvent({
            eventId: crypto.randomUUID(),
            courseId: CourseId.make(crypto.randomUUID()),
            enrollmentDelta: 1
          })
        ).toBe("unknown_course")
        const bad = yield* catalog
          .applyCounterEvent({ eventId: crypto.randomUUID(), courseId: course.id, ratingAdded: 6 })
          .pipe(Effect.exit)
        expect(bad._tag).toBe("Failure")
      })
    )
  })
})
