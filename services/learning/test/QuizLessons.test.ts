// Quiz lessons and lesson content for enrolled learners, across catalog and learning: catalog shows every lesson's
// content to a learner enrolled in the course (and only the preview ones to anyone else); passing the quiz a quiz
// lesson shows completes that lesson, and with it the course and its certificate.
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import type * as Quiz from "@lectern/contracts/LearningQuiz"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect } from "effect"
import { makeClients, makeLearningTestLayer, userWith } from "./fixtures.ts"

const trueFalse: Quiz.QuestionInput = { kind: "trueFalse", id: "q-1", prompt: "Done?", correct: true, points: 1 }

describe("quiz lessons", () => {
  it.layer(makeLearningTestLayer(layerFreshPostgres), { timeout: 120_000 })((it) => {
    it.scoped("enrolled learners see every lesson; passing a quiz lesson's quiz completes it and the course", () =>
      Effect.gen(function* () {
        const { catalog, learning, as } = yield* makeClients
        const sql = yield* SqlClient.SqlClient
        const creator = yield* userWith("creator")
        const admin = yield* userWith("admin")
        const learner = yield* userWith("learner")
        const outsider = yield* userWith("learner")

        as(admin)
        const category = yield* catalog.category.create({ name: `Quiz lessons ${crypto.randomUUID().slice(0, 8)}` })
        as(creator)
        const course = yield* catalog.course.create({
          title: "Read, then prove it",
          description: "An article and a quiz.",
          categoryId: category.id,
          level: "beginner",
          language: "en",
          price: { amount: 0, currency: "EUR" },
          tags: []
        })
        const quiz = yield* learning.quiz.create({
          courseId: course.id,
          title: "Check",
          questions: [trueFalse],
          settings: {
            passingScorePercent: 100,
            attemptLimit: null,
            timeLimitSeconds: null,
            shuffleQuestions: false,
            shuffleOptions: false,
            showExplanations: "never"
          }
        })
        const section = yield* catalog.section.create({ courseId: course.id, title: "Only" })
        const article = yield* catalog.lesson.create({
          sectionId: section.id,
          title: "Read",
          content: { kind: "article", markdown: "The answer is yes." }
        })
        const quizLesson = yield* catalog.lesson.create({
          sectionId: section.id,
          title: "Prove it",
          content: { kind: "quiz", quizId: quiz.id }
        })
        yield* catalog.course.submitForReview({ id: course.id })
        as(admin)
        yield* catalog.course.review({ id: course.id, decision: "approve", feedback: "" })

        const contentSeenBy = (who: typeof learner | undefined) =>
          Effect.gen(function* () {
            as(who)
            const detail = yield* catalog.course.get({ id: course.id })
            return detail.sections.flatMap((s) => s.lessons).map((lesson) => lesson.content?.kind ?? null)
          })
        // No preview lessons: anonymous viewers and learners not enrolled see no content.
        expect(yield* contentSeenBy(undefined)).toEqual([null, null])
        expect(yield* contentSeenBy(learner)).toEqual([null, null])
        as(learner)
        yield* learning.enrollment.enroll({ courseId: course.id })
        expect(yield* contentSeenBy(learner)).toEqual(["article", "quiz"])
        as(learner)
        const shown = yield* catalog.course.get({ id: course.id })
        expect(shown.canEdit).toBe(false)
        expect(shown.sections[0]?.lessons[1]?.content).toEqual({ kind: "quiz", quizId: quiz.id })
        // …and only to them.
        expect(yield* contentSeenBy(outsider)).toEqual([null, null])
        expect(yield* contentSeenBy(undefined)).toEqual([null, null])

        // A quiz lesson is not completed by hand.
        as(learner)
        const byHand = yield* Effect.flip(learning.progress.completeLesson({ lessonId: quizLesson.id }))
        expect(byHand._tag).toBe("InvalidProgress")
        yield* learning.progress.completeLesson({ lessonId: article.id })
        // A failed attempt leaves the quiz lesson open.
        const failing = yield* learning.quiz.start({ quizId: quiz.id })
        yield* learning.quiz.submit({
          attemptId: failing.attemptId,
          answers: [{ kind: "trueFalse", questionId: "q-1", value: false }]
        })
        const halfway = yield* learning.progress.course({ courseId: course.id })
        expect(halfway.percent).toBe(50)
        expect(halfway.lessons.map((lesson) => lesson.status)).toEqual(["completed", "not_started"])
        expect(yield* learning.certificate.mine()).toEqual([])

        const passing = yield* learning.quiz.start({ quizId: quiz.id })
        const graded = yield* learning.quiz.submit({
          attemptId: passing.attemptId,
          answers: [{ kind: "trueFalse", questionId: "q-1", value: true }]
        })
        expect(graded.passed).toBe(true)
        const done = yield* learning.progress.course({ courseId: course.id })
        expect(done.percent).toBe(100)
        expect(done.lessons.map((lesson) => lesson.status)).toEqual(["completed", "completed"])
        expect((yield* learning.enrollment.get({ courseId: course.id })).completedAt).not.toBeNull()
        expect((yield* learning.certificate.mine()).map((c) => c.courseId)).toEqual([course.id])

        // Passing again changes nothing: one lesson.completed per lesson, one course.completed.
        const again = yield* learning.quiz.start({ quizId: quiz.id })
        yield* learning.quiz.submit({
          attemptId: again.attemptId,
          answers: [{ kind: "trueFalse", questionId: "q-1", value: true }]
        })
        const events = yield* sql<{ type: string; lessonId: string | null }>`
          SELECT type, payload->>'lessonId' AS "lessonId" FROM learning.outbox
          WHERE payload->>'userId' = ${learner.id} AND type IN ('lesson.completed', 'course.completed')
          ORDER BY position`
        expect(events).toEqual([
          { type: "lesson.completed", lessonId: article.id },
          { type: "lesson.completed", lessonId: quizLesson.id },
          { type: "course.completed", lessonId: null }
        ])
        expect(yield* learning.certificate.mine()).toHaveLength(1)
      })
    )
  })
})
