// Quizzes through the typed client on the real catalog and Postgres: authoring rights, answers never sent to a
// learner, grading, the attempt limit, the server-side time limit, and who sees which attempts.
import { describe, expect, it } from "@effect/vitest"
import type * as Quiz from "@lectern/contracts/LearningQuiz"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect, TestClock } from "effect"
import { makeClients, makeLearningTestLayer, publishedCourse, userWith } from "./fixtures.ts"

const tagOf = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (error) => error._tag)

const questions: ReadonlyArray<Quiz.QuestionInput> = [
  {
    kind: "single",
    id: "q-capital",
    prompt: "Capital of France?",
    options: [
      { id: "o-lyon", text: "Lyon" },
      { id: "o-paris", text: "Paris" }
    ],
    correctOptionId: "o-paris",
    points: 1,
    explanation: "Paris has been the capital since 987."
  },
  { kind: "numeric", id: "q-pi", prompt: "7 ÷ 3 to two decimals?", answer: 2.33, tolerance: 0.005, points: 2 },
  {
    kind: "shortText",
    id: "q-effect",
    prompt: "The library this runs on?",
    acceptedAnswers: ["Effect", "Effect-TS"],
    caseSensitive: false,
    points: 1
  }
]

describe("quizzes", () => {
  it.layer(makeLearningTestLayer(layerFreshPostgres), { timeout: 120_000 })((it) => {
    it.scoped("authoring, taking, grading, limits and visibility", () =>
      Effect.gen(function* () {
        const clients = yield* makeClients
        const { learning, as } = clients
        const creator = yield* userWith("creator")
        const otherCreator = yield* userWith("creator")
        const admin = yield* userWith("admin")
        const learner = yield* userWith("learner")
        const classmate = yield* userWith("learner")
        const course = yield* publishedCourse(clients, { creator, admin }, { videoSeconds: 60 })
        const settings: Quiz.QuizSettings = {
          passingScorePercent: 70,
          attemptLimit: 2,
          timeLimitSeconds: 60,
          shuffleQuestions: true,
          shuffleOptions: true,
          showExplanations: "afterSubmit"
        }

        as(otherCreator)
        expect(
          yield* tagOf(learning.quiz.create({ courseId: course.courseId, title: "Nope", questions, settings }))
        ).toBe("Forbidden")
        as(creator)
        const quiz = yield* learning.quiz.create({ courseId: course.courseId, title: "Basics", questions, settings })
        expect(quiz.questions).toHaveLength(3)

        as(learner)
        expect(yield* tagOf(learning.quiz.start({ quizId: quiz.id }))).toBe("NotEnrolled")
        yield* learning.enrollment.enroll({ courseId: course.courseId })
        const attempt = yield* learning.quiz.start({ quizId: quiz.id })
        const sent = JSON.stringify(attempt)
        for (const secret of [
          "correctOptionId",
          "acceptedAnswers",
          "tolerance",
          "2.33",
          "Effect-TS",
          "explanation",
          "987"
        ]) {
          expect(sent).not.toContain(secret)
        }
        expect(attempt.deadline).not.toBeNull()

        // Answers to another quiz's question are refused, and nothing is graded.
        expect(
          yield* tagOf(
            learning.quiz.submit({
              attemptId: attempt.attemptId,
              answers: [{ kind: "single", questionId: "q-elsewhere", optionId: "o-paris" }]
            })
          )
        ).toBe("InvalidAnswers")
        yield* TestClock.adjust("30 seconds")
        const graded = yield* learning.quiz.submit({
          attemptId: attempt.attemptId,
          answers: [
            { kind: "single", questionId: "q-capital", optionId: "o-paris" },
            { kind: "numeric", questionId: "q-pi", value: 2.333 },
            { kind: "shortText", questionId: "q-effect", text: "  effect " }
          ]
        })
        expect(graded.scorePercent).toBe(100)
        expect(graded.passed).toBe(true)
        expect(graded.late).toBe(false)
        expect(graded.results.find((r) => r.questionId === "q-capital")?.explanation).toContain("987")
        expect(yield* tagOf(learning.quiz.submit({ attemptId: attempt.attemptId, answers: [] }))).toBe(
          "AttemptAlreadySubmitted"
        )

        // The time limit is the server's: past the deadline (and its 5 s grace) the answers are refused.
        const second = yield* learning.quiz.start({ quizId: quiz.id })
        yield* TestClock.adjust("66 seconds")
        expect(yield* tagOf(learning.quiz.submit({ attemptId: second.attemptId, answers: [] }))).toBe("AttemptExpired")
        expect(yield* tagOf(learning.quiz.start({ quizId: quiz.id }))).toBe("AttemptLimitReached")

        // A classmate cannot submit into someone else's attempt, and sees only their own attempts.
        as(classmate)
        yield* learning.enrollment.enroll({ courseId: course.courseId })
        expect(yield* tagOf(learning.quiz.submit({ attemptId: second.attemptId, answers: [] }))).toBe("AttemptNotFound")
        expect(yield* learning.quiz.attempts({ quizId: quiz.id })).toEqual([])
        as(learner)
        const mine = yield* learning.quiz.attempts({ quizId: quiz.id })
        expect(mine.map((a) => a.status)).toEqual(["submitted", "expired"])
        as(creator)
        expect((yield* learning.quiz.attempts({ quizId: quiz.id })).map((a) => a.userId)).toEqual([
          learner.id,
          learner.id
        ])

        // The owner edits and deletes; a stranger may not.
        const renamed = yield* learning.quiz.update({ id: quiz.id, title: "Basics, again" })
        expect(renamed.title).toBe("Basics, again")
        as(otherCreator)
        expect(yield* tagOf(learning.quiz.delete({ id: quiz.id }))).toBe("Forbidden")
        as(creator)
        yield* learning.quiz.delete({ id: quiz.id })
        expect(yield* tagOf(learning.quiz.attempts({ quizId: quiz.id }))).toBe("QuizNotFound")
      })
    )
  })
})
