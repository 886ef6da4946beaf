// course.reviewQueue on the machine's real Postgres (fresh database): admins only, pending courses oldest submission
// first with their creator's name, keyset pages that neither skip nor repeat, resubmissions moving to the back.
import { describe, expect, it } from "@effect/vitest"
import type { Catalog as Contract } from "@lectern/contracts"
import type { UserId } from "@lectern/domain"
import { Cursor } from "@lectern/domain"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect, Layer, Option } from "effect"
import { CreatorDirectory } from "../src/CreatorDirectory.ts"
import {
  type CatalogClient,
  courseInput,
  makeCatalogTestLayer,
  makeClient,
  rawCall,
  serveCatalogOverHttp,
  type TestUser,
  userWith
} from "./fixtures.ts"

const names = new Map<string, string>()
const CreatorNames = Layer.succeed(CreatorDirectory, {
  displayName: (id: UserId) => Effect.sync(() => Option.fromNullable(names.get(id)))
})

/** A course with one article lesson, submitted for review by `creator`. */
const submitted = (
  client: CatalogClient,
  as: (user: TestUser | undefined) => void,
  creator: TestUser,
  categoryId: Contract.Category["id"],
  title: string
) =>
  Effect.gen(function* () {
    as(creator)
    const course = yield* client.course.create(courseInput(categoryId, { title }))
    const section = yield* client.section.create({ courseId: course.id, title: "Part one" })
    yield* client.lesson.create({
      sectionId: section.id,
      title: "Read me",
      content: { kind: "article", markdown: "Some words to read." }
    })
    yield* client.course.submitForReview({ id: course.id })
    return course
  })

/** Every page of the queue, `limit` at a time. */
const wholeQueue = (client: CatalogClient, limit: number) =>
  Effect.gen(function* () {
    const items: Array<Contract.ReviewQueueItem> = []
    let cursor: Cursor | undefined
    let pages = 0
    do {
      const page = yield* client.course.reviewQueue(cursor === undefined ? { limit } : { cursor, limit })
      expect(page.items.length).toBeLessThanOrEqual(limit)
      items.push(...page.items)
      cursor = page.nextCursor ?? undefined
      pages++
    } while (cursor !== undefined && pages < 50)
    return { items, pages }
  })

describe("catalog: the review queue", () => {
  it.layer(makeCatalogTestLayer(layerFreshPostgres, { creators: CreatorNames }), { timeout: 120_000 })((it) => {
    it.scoped("admins page through pending courses, oldest submission first; nobody else sees the queue", () =>
      Effect.gen(function* () {
        const { client, as } = yield* makeClient
        const admin = yield* userWith("admin")
        const ada = yield* userWith("creator")
        const bo = yield* userWith("creator")
        names.set(ada.id, "Ada Author")
        as(admin)
        const category = yield* client.category.create({ name: "Queue" })

        as(admin)
        expect((yield* client.course.reviewQueue({})).items).toEqual([])

        const first = yield* submitted(client, as, ada, category.id, "First in line")
        const second = yield* submitted(client, as, bo, category.id, "Second in line")
        const third = yield* submitted(client, as, ada, category.id, "Third in line")
        const fourth = yield* submitted(client, as, bo, category.id, "Fourth in line")
        as(ada)
        const draft = yield* client.course.create(courseInput(category.id, { title: "Still a draft" }))

        // Creators, learners and anonymous callers do not see it.
        for (const who of [ada, yield* userWith("learner")]) {
          as(who)
          expect((yield* client.course.reviewQueue({}).pipe(Effect.flip))._tag).toBe("Forbidden")
        }
        as(undefined)
        expect((yield* client.course.reviewQueue({}).pipe(Effect.flip))._tag).toBe("Unauthorized")

        as(admin)
        const page = yield* client.course.reviewQueue({})
        expect(page.items.map((item) => item.course.id)).toEqual([first.id, second.id, third.id, fourth.id])
        expect(page.nextCursor).toBeNull()
        const [head] = page.items
        expect(head?.course).toMatchObject({ title: "First in line", ownerId: ada.id, status: "pending_review" })
        expect(head?.creator).toMatchObject({ id: ada.id, name: "Ada Author" })
        expect(page.items[1]?.creator).toMatchObject({ id: bo.id, name: null })
        const times = page.items.map((item) => item.submittedAt.epochMillis)
        expect([...times].sort((a, b) => a - b)).toEqual(times)
        expect(page.items.map((item) => item.course.id)).not.toContain(draft.id)

        // Pages of one and of three: the same order, nothing skipped or repeated.
        for (const limit of [1, 3]) {
          const all = yield* wholeQueue(client, limit)
          expect(all.items.map((item) => item.course.id)).toEqual([first.id, second.id, third.id, fourth.id])
          expect(all.pages).toBe(Math.ceil(4 / limit))
        }

        // A decided course leaves the queue; a rejected one resubmitted joins at the back, at its new submission.
        yield* client.course.review({ id: second.id, decision: "approve", feedback: "" })
        yield* client.course.review({ id: first.id, decision: "reject", feedback: "Add a second lesson." })
        as(ada)
        yield* client.course.submitForReview({ id: first.id })
        as(admin)
        const after = yield* client.course.reviewQueue({})
        expect(after.items.map((item) => item.course.id)).toEqual([third.id, fourth.id, first.id])
        const resubmitted = after.items[2]
        expect(resubmitted?.submittedAt.epochMillis).toBeGreaterThanOrEqual(head?.submittedAt.epochMillis ?? Infinity)

        // Over HTTP, a payload the contract does not allow is refused as InvalidInput by the server.
        const url = yield* serveCatalogOverHttp
        for (const payload of [
          { limit: 0 },
          { limit: 101 },
          { limit: 2.5 },
          { cursor: "x".repeat(513) },
          { status: "x" }
        ]) {
          const response = yield* rawCall(url, "course.reviewQueue", payload, admin.token)
          const [reply] = JSON.parse(response.text)
          expect(reply?.exit?.cause?.error?._tag).toBe("InvalidInput")
        }

        // A cursor the queue did not give out is refused.
        for (const bad of ["nope", "rq1.0", "rq1.-4", "rq1.1e3", "rq1.99999999999999999999"]) {
          const error = yield* client.course.reviewQueue({ cursor: Cursor.make(bad) }).pipe(Effect.flip)
          expect(error._tag).toBe("InvalidCursor")
        }
      })
    )
  })
})
