// Learners' names for the course's creator: enrollment.roster entries and assignment.submissions items carry the
// learner's current display name (from auth through the LearnerDirectory port), null for an account auth does not know.
import { describe, expect, it } from "@effect/vitest"
import { makeInProcessClient } from "@lectern/client"
import { Auth as AuthContract } from "@lectern/contracts"
import { Email } from "@lectern/domain"
import { AccessTokenIssuer } from "@lectern/platform/AccessTokens"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import type { TestUser } from "@lectern/testkit/TestUsers"
import { Effect, Schema } from "effect"
import { makeClients, makeLearningTestLayer, publishedCourse, userWith } from "./fixtures.ts"

/** A learner with an auth account named `name`, and an access token for it. */
const namedLearner = (name: string) =>
  Effect.gen(function* () {
    const auth = yield* makeInProcessClient(AuthContract.AuthRpcs, undefined)
    const email = Schema.decodeSync(Email)(`learner.${crypto.randomUUID().slice(0, 8)}@example.com`)
    const { userId } = yield* auth.user.register({ email, password: "correct horse battery staple 42", name })
    const { token } = yield* (yield* AccessTokenIssuer).issue({
      id: userId,
      role: "learner",
      sessionId: crypto.randomUUID()
    })
    return {
      id: userId,
      role: "learner",
      token,
      headers: { headers: { authorization: `Bearer ${token}` } }
    } satisfies TestUser
  })

describe("learners' names for creators", () => {
  it.layer(makeLearningTestLayer(layerFreshPostgres), { timeout: 120_000 })((it) => {
    it.scoped("the roster and the submissions name each learner; an unknown account is null", () =>
      Effect.gen(function* () {
        const clients = yield* makeClients
        const { learning, as } = clients
        const creator = yield* userWith("creator")
        const admin = yield* userWith("admin")
        const course = yield* publishedCourse(clients, { creator, admin }, { videoSeconds: 60 })
        as(creator)
        const assignment = yield* learning.assignment.create({
          courseId: course.courseId,
          title: "Write it down",
          instructions: "Say what an Effect is.",
          maxScore: 10
        })

        const ada = yield* namedLearner("Ada Lovelace")
        const grace = yield* namedLearner("Grace Hopper")
        const ghost = yield* userWith("learner")
        for (const learner of [ada, grace, ghost]) {
          as(learner)
          yield* learning.enrollment.enroll({ courseId: course.courseId })
          const own = yield* learning.assignment.submit({
            assignmentId: assignment.id,
            text: "A description.",
            attachments: []
          })
          expect(own.learnerName).toBe(learner === ghost ? null : learner === ada ? "Ada Lovelace" : "Grace Hopper")
        }

        as(creator)
        const roster = yield* learning.enrollment.roster({ courseId: course.courseId })
        expect(new Map(roster.items.map((entry) => [entry.userId, entry.name]))).toEqual(
          new Map([
            [ada.id, "Ada Lovelace"],
            [grace.id, "Grace Hopper"],
            [ghost.id, null]
          ])
        )
        // Named on every page of the roster.
        const first = yield* learning.enrollment.roster({ courseId: course.courseId, limit: 2 })
        const rest = yield* learning.enrollment.roster({
          courseId: course.courseId,
          limit: 2,
          ...(first.nextCursor === null ? {} : { cursor: first.nextCursor })
        })
        expect([...first.items, ...rest.items].map((entry) => entry.name)).toEqual(
          roster.items.map((entry) => entry.name)
        )

        const submissions = yield* learning.assignment.submissions({ assignmentId: assignment.id })
        expect(new Map(submissions.map((item) => [item.userId, item.learnerName]))).toEqual(
          new Map([
            [ada.id, "Ada Lovelace"],
            [grace.id, "Grace Hopper"],
            [ghost.id, null]
          ])
        )
        const graces = submissions.find((item) => item.userId === grace.id)
        if (graces === undefined) return expect.unreachable("Grace's submission is listed")
        const graded = yield* learning.assignment.grade({
          submissionId: graces.id,
          score: 9,
          feedback: "Clear."
        })
        expect(graded.learnerName).toBe("Grace Hopper")

        // A learner sees only their own submission, with their own name.
        as(ada)
        expect(
          (yield* learning.assignment.submissions({ assignmentId: assignment.id })).map((s) => s.learnerName)
        ).toEqual(["Ada Lovelace"])
      })
    )
  })
})
