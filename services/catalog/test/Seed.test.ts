// The demo content on real Postgres: seeded once however often (or however concurrently) it runs, published and
// searchable, with article and embed lessons, owned by a demo creator who can sign in.

import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { makeInProcessClient } from "@lectern/client"
import { Auth as AuthContract } from "@lectern/contracts"
import { Email } from "@lectern/domain"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect, Schema } from "effect"
import { DEMO_CATEGORIES, DEMO_COURSES, seedDemoContent } from "../src/Seed.ts"
import { makeCatalogTestLayer, makeClient } from "./fixtures.ts"

const CREATOR_EMAIL = "demo.creator.seed-test@example.com"
const CREATOR_PASSWORD = "demo creator passphrase 42"

describe("demo content", () => {
  it.layer(makeCatalogTestLayer(layerFreshPostgres), { timeout: 120_000 })((it) => {
    it.scoped("seeding twice (the first two at once) creates the catalog once: 3 published, searchable courses", () =>
      Effect.gen(function* () {
        const seed = seedDemoContent({ creatorEmail: CREATOR_EMAIL, creatorPassword: CREATOR_PASSWORD })
        const [first, second] = yield* Effect.all([seed, seed], { concurrency: 2 })
        const again = yield* seed
        expect([first.seeded, second.seeded].sort()).toEqual([false, true])
        expect(again.seeded).toBe(false)
        const outcome = first.seeded ? first : second
        if (!outcome.seeded) return yield* Effect.dieMessage("nothing was seeded")
        expect(outcome.courseIds).toHaveLength(3)

        const { client, as } = yield* makeClient
        const everything = yield* client.course.search({})
        expect(everything.total).toBe(3)
        expect(everything.items.every((card) => card.status === "published")).toBe(true)
        for (const [word, title] of [
          ["typescript", "TypeScript from Zero to Confident"],
          ["Neural", "Neural Networks, Visually"],
          ["pyth", "Python for Data Analysis"]
        ] as const) {
          const page = yield* client.course.search({ q: word })
          expect(page.items.map((card) => card.title)).toEqual([title])
        }

        const categories = yield* client.category.list()
        expect(categories).toHaveLength(DEMO_CATEGORIES.reduce((count, root) => count + 1 + root.children.length, 0))
        expect(categories.filter((category) => category.depth === 0).map((category) => category.name)).toEqual([
          "Data Science",
          "Design",
          "Programming"
        ])
        const programming = categories.find((category) => category.name === "Programming")
        if (programming === undefined) return yield* Effect.dieMessage("no Programming category")
        // Searching a root category finds the course filed under its sub-category.
        const underProgramming = yield* client.course.search({ categoryId: programming.id })
        expect(underProgramming.items.map((card) => card.title)).toEqual(["TypeScript from Zero to Confident"])

        // Real curricula: several sections, article and YouTube embed lessons, previews visible to anyone.
        const typescript = everything.items.find((card) => card.title.startsWith("TypeScript"))
        if (typescript === undefined) return yield* Effect.dieMessage("no TypeScript course")
        const detail = yield* client.course.get({ slug: typescript.slug })
        const demo = DEMO_COURSES[0]
        expect(detail.sections.map((section) => section.title)).toEqual(demo?.sections.map((section) => section.title))
        const lessons = detail.sections.flatMap((section) => section.lessons)
        expect(new Set(lessons.map((lesson) => lesson.kind))).toEqual(new Set(["article", "embed"]))
        expect(lessons[0]?.content).toEqual({
          kind: "embed",
          provider: "youtube",
          videoId: "zQnBQ4tB3ZA",
          embedUrl: "https://www.youtube-nocookie.com/embed/zQnBQ4tB3ZA"
        })
        expect(detail.course.lessonCount).toBe(lessons.length)
        expect(detail.course.durationSeconds).toBeGreaterThan(0)

        // Published through the lifecycle, so the events went out like any other course's.
        const sql = yield* SqlClient.SqlClient
        const published = yield* sql<{ count: number }>`SELECT count(*)::int AS count FROM catalog.outbox
          WHERE type = 'course.published'`
        expect(published[0]?.count).toBe(3)

        // The demo creator is a verified creator who can sign in and owns the three courses.
        const auth = yield* makeInProcessClient(AuthContract.AuthRpcs, undefined)
        const session = yield* auth.session.login({
          email: Schema.decodeSync(Email)(CREATOR_EMAIL),
          password: CREATOR_PASSWORD
        })
        expect(session.user.role).toBe("creator")
        expect(session.user.emailVerified).toBe(true)
        as({
          id: session.user.id,
          role: "creator",
          token: session.accessToken,
          headers: { headers: { authorization: `Bearer ${session.accessToken}` } }
        })
        const mine = yield* client.course.mine()
        expect(mine.map((course) => course.id).sort()).toEqual([...outcome.courseIds].sort())
      })
    )
  })
})
