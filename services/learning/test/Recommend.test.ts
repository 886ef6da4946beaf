// Recommendations through the typed client on the real catalog and Postgres, with enrollments relayed to catalog's
// counters: co-enrollment ranking, then popular in my categories, then popular anywhere; never my own courses (taken
// or authored), never an unpublished one.
import { describe, expect, it } from "@effect/vitest"
import { relayOnce } from "@lectern/platform/Outbox"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import type { TestUser } from "@lectern/testkit/TestUsers"
import { Effect, Schedule } from "effect"
import * as TestServices from "effect/TestServices"
import { LEARNING_SCHEMA } from "../src/Repo.ts"
import { makeClients, makeLearningTestLayer, publishedCourse, rawCall, serveLearning, userWith } from "./fixtures.ts"

describe("recommend.forMe", () => {
  it.layer(makeLearningTestLayer(layerFreshPostgres), { timeout: 120_000 })((it) => {
    it.scoped("co-enrollment first, then popular in my categories, then popular; never mine, never unpublished", () =>
      Effect.gen(function* () {
        const clients = yield* makeClients
        const { catalog, learning, as } = clients
        const creator = yield* userWith("creator")
        const admin = yield* userWith("admin")
        // A creator who also learns: their own course is never recommended to them.
        const me = yield* userWith("creator")
        const peers = yield* Effect.all(Array.from({ length: 6 }, () => userWith("learner")))
        const [p1, p2, p3, p4, p5, p6] = peers as [TestUser, TestUser, TestUser, TestUser, TestUser, TestUser]

        as(admin)
        const suffix = crypto.randomUUID().slice(0, 6)
        const data = yield* catalog.category.create({ name: `Data ${suffix}` })
        const design = yield* catalog.category.create({ name: `Design ${suffix}` })
        const cooking = yield* catalog.category.create({ name: `Cooking ${suffix}` })
        const course = (title: string, categoryId: typeof data.id, owner = creator) =>
          Effect.map(
            publishedCourse(clients, { creator: owner, admin }, { videoSeconds: 30, title, categoryId }),
            (made) => made.courseId
          )
        const a1 = yield* course("A1 Intro", data.id)
        const a2 = yield* course("A2 Deeper", data.id)
        const a3 = yield* course("A3 Popular", data.id)
        const u1 = yield* course("U1 Soon gone", data.id)
        const b1 = yield* course("B1 Colour", design.id)
        const b2 = yield* course("B2 Type", design.id)
        const c1 = yield* course("C1 Bread", cooking.id)
        const mine = yield* course("O My own", data.id, me)

        const enroll = (user: TestUser, courses: ReadonlyArray<typeof a1>) =>
          Effect.gen(function* () {
            as(user)
            for (const courseId of courses) yield* learning.enrollment.enroll({ courseId })
          })
        yield* enroll(me, [a1])
        yield* enroll(p1, [a1, b1, a2, mine, u1])
        yield* enroll(p2, [a1, b1, u1])
        yield* enroll(p3, [a3, c1])
        yield* enroll(p4, [a3, b2])
        yield* enroll(p5, [a3])
        yield* enroll(p6, [c1])

        // Catalog counts enrollments from learning's events: relay them and wait until the counters show them.
        yield* relayOnce(LEARNING_SCHEMA).pipe(Effect.orDie)
        as(undefined)
        const counted = Effect.gen(function* () {
          const page = yield* catalog.course.search({ sort: "popular", limit: 20 })
          const count = (id: typeof a1) => page.items.find((card) => card.id === id)?.enrollmentCount
          if (count(a3) !== 3 || count(c1) !== 2 || count(b2) !== 1 || count(a1) !== 3) {
            return yield* Effect.fail("catalog has not counted every enrollment yet")
          }
        })
        yield* TestServices.provideLive(
          counted.pipe(Effect.retry(Schedule.spaced("50 millis")), Effect.timeout("20 seconds"), Effect.orDie)
        )

        // Unpublished in catalog (learning's snapshot has not heard yet: catalog's events are not relayed here).
        as(creator)
        yield* catalog.course.unpublish({ id: u1 })

        as(me)
        const all = yield* learning.recommend.forMe({ limit: 10 })
        expect(all.map((item) => [item.title, item.basis, item.reason])).toEqual([
          ["B1 Colour", "coEnrollment", "Learners of A1 Intro also took this"],
          ["A2 Deeper", "coEnrollment", "Learners of A1 Intro also took this"],
          ["A3 Popular", "popularInCategory", `Popular in Data ${suffix}`],
          ["C1 Bread", "popular", "Popular on Lectern"],
          ["B2 Type", "popular", "Popular on Lectern"]
        ])
        expect(all.map((item) => item.courseId)).toEqual([b1, a2, a3, c1, b2])
        expect((yield* learning.recommend.forMe({ limit: 3 })).map((item) => item.title)).toEqual([
          "B1 Colour",
          "A2 Deeper",
          "A3 Popular"
        ])

        // Enrolling in a recommendation removes it; with one course in each, the category joined last comes first.
        yield* learning.enrollment.enroll({ courseId: b1 })
        expect((yield* learning.recommend.forMe({ limit: 3 })).map((item) => [item.title, item.reason])).toEqual([
          ["A2 Deeper", "Learners of A1 Intro also took this"],
          ["B2 Type", `Popular in Design ${suffix}`],
          ["A3 Popular", `Popular in Data ${suffix}`]
        ])

        // Someone without courses gets the most popular published ones (default 6), never an unpublished one.
        as(yield* userWith("learner"))
        const fresh = yield* learning.recommend.forMe({})
        expect(fresh).toHaveLength(6)
        expect(new Set(fresh.map((item) => item.reason))).toEqual(new Set(["Popular on Lectern"]))
        expect(fresh.map((item) => item.courseId)).not.toContain(u1)
        expect(
          fresh
            .slice(0, 2)
            .map((item) => item.courseId)
            .sort()
        ).toEqual([a1, a3].sort())

        // Bad limits are InvalidInput.
        const url = yield* serveLearning
        for (const payload of ['{"limit":0}', '{"limit":21}', '{"limit":2.5}', '{"limit":"3"}', '{"userId":"x"}']) {
          expect(yield* rawCall(url, "recommend.forMe", payload, me.token)).toBe("InvalidInput")
        }
      })
    )
  })
})
