// A quiz for its author and an attempt resumed: quiz.get and quiz.list give the course's owner (or an admin) whole
// quizzes without changing them, and nobody else; quiz.current gives a learner back their open attempt, the same
// questions in the same order without answers, until it is submitted or its deadline passes.
import { describe, expect, it } from "@effect/vitest"
import type * as Quiz from "@lectern/contracts/LearningQuiz"
import { QuizId } from "@lectern/domain"
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
      { id: "o-paris", text: "Paris" },
      { id: "o-nice", text: "Nice" }
    ],
    correctOptionId: "o-paris",
    points: 1
  },
  { kind: "trueFalse", id: "q-lazy", prompt: "Effects are lazy.", correct: true, points: 1 },
  {
    kind: "shortText",
    id: "q-effect",
    prompt: "The library this runs on?",
    acceptedAnswers: ["Effect-TS"],
    caseSensitive: false,
    points: 1
  }
]

const settings: Quiz.QuizSettings = {
  passingScorePercent: 50,
  attemptLimit: 3,
  timeLimitSeconds: 60,
  shuffleQuestions: true,
  shuffleOptions: true,
  showExplanations: "afterSubmit"
}

describe("quizzes for their author, attempts resumed", () => {
  it.layer(makeLearningTestLayer(layerFreshPostgres), { timeout: 120_000 })((it) => {
    it.scoped("quiz.get and quiz.list: the whole quiz for the owner and admins, unchanged; refused to others", () =>
      Effect.gen(function* () {
        const clients = yield* makeClients
        const { learning, as } = clients
        const creator = yield* userWith("creator")
        const otherCreator = yield* userWith("creator")
        const admin = yield* userWith("admin")
        const learner = yield* userWith("learner")
        const course = yield* publishedCourse(clients, { creator, admin }, { videoSeconds: 60 })
        const other = yield* publishedCourse(clients, { creator: otherCreator, admin }, { videoSeconds: 60 })

        as(creator)
        expect(yield* learning.quiz.list({ courseId: course.courseId })).toEqual([])
        const first = yield* learning.quiz.create({ courseId: course.courseId, title: "First", questions, settings })
        yield* TestClock.adjust("1 second")
        const second = yield* learning.quiz.create({
          courseId: course.courseId,
          title: "Second",
          questions: questions.slice(0, 1),
          settings: { ...settings, timeLimitSeconds: null }
        })
        as(otherCreator)
        yield* learning.quiz.create({ courseId: other.courseId, title: "Elsewhere", questions, settings })

        // The owner reads the whole quiz, answers included, and reading changes nothing (not even updatedAt).
        as(creator)
        yield* TestClock.adjust("1 minute")
        const read = yield* learning.quiz.get({ id: first.id })
        expect(read).toEqual(first)
        const capital = read.questions.find((question) => question.id === "q-capital")
        expect(capital?.kind === "single" ? capital.correctOptionId : null).toBe("o-paris")
        expect((yield* learning.quiz.get({ id: first.id })).updatedAt).toEqual(first.updatedAt)
        const listed = yield* learning.quiz.list({ courseId: course.courseId })
        expect(listed.map((quiz) => quiz.id)).toEqual([first.id, second.id])
        expect(listed[0]).toEqual(first)

        // An admin too; another creator, a learner (even enrolled) may not.
        as(admin)
        expect((yield* learning.quiz.get({ id: second.id })).title).toBe("Second")
        expect(yield* learning.quiz.list({ courseId: course.courseId })).toHaveLength(2)
        as(otherCreator)
        expect(yield* tagOf(learning.quiz.get({ id: first.id }))).toBe("Forbidden")
        expect(yield* tagOf(learning.quiz.list({ courseId: course.courseId }))).toBe("Forbidden")
        expect((yield* learning.quiz.list({ courseId: other.courseId })).map((quiz) => quiz.title)).toEqual([
          "Elsewhere"
        ])
        as(learner)
        yield* learning.enrollment.enroll({ courseId: course.courseId })
        expect(yield* tagOf(learning.quiz.get({ id: first.id }))).toBe("Forbidden")
        expect(yield* tagOf(learning.quiz.list({ courseId: course.courseId }))).toBe("Forbidden")

        // Unknown and deleted quizzes are not found.
        as(creator)
        expect(yield* tagOf(learning.quiz.get({ id: QuizId.make(crypto.randomUUID()) }))).toBe("QuizNotFound")
        yield* learning.quiz.delete({ id: second.id })
        expect(yield* tagOf(learning.quiz.get({ id: second.id }))).toBe("QuizNotFound")
        expect((yield* learning.quiz.list({ courseId: course.courseId })).map((quiz) => quiz.id)).toEqual([first.id])
      })
    )

    it.scoped("quiz.current: the open attempt as it started, until submitted or past its deadline", () =>
      Effect.gen(function* () {
        const clients = yield* makeClients
        const { learning, as } = clients
        const creator = yield* userWith("creator")
        const admin = yield* userWith("admin")
        const learner = yield* userWith("learner")
        const classmate = yield* userWith("learner")
        const course = yield* publishedCourse(clients, { creator, admin }, { videoSeconds: 60 })
        as(creator)
        const quiz = yield* learning.quiz.create({ courseId: course.courseId, title: "Timed", questions, settings })
        const untimed = yield* learning.quiz.create({
          courseId: course.courseId,
          title: "Untimed",
          questions,
          settings: { ...settings, timeLimitSeconds: null }
        })

        as(learner)
        yield* learning.enrollment.enroll({ courseId: course.courseId })
        expect(yield* tagOf(learning.quiz.current({ quizId: quiz.id }))).toBe("NoOpenAttempt")
        expect(yield* tagOf(learning.quiz.current({ quizId: QuizId.make(crypto.randomUUID()) }))).toBe("QuizNotFound")

        // Started: the same view on every read, without answers; no new attempt is counted.
        const started = yield* learning.quiz.start({ quizId: quiz.id })
        yield* TestClock.adjust("20 seconds")
        const resumed = yield* learning.quiz.current({ quizId: quiz.id })
        expect(resumed).toEqual(started)
        expect(JSON.stringify(resumed)).not.toContain("correctOptionId")
        expect(JSON.stringify(resumed)).not.toContain("Effect-TS")
        expect(yield* learning.quiz.current({ quizId: quiz.id })).toEqual(started)
        expect((yield* learning.quiz.attempts({ quizId: quiz.id })).map((a) => a.attemptNumber)).toEqual([1])

        // Someone else's attempt is not theirs to resume.
        as(classmate)
        yield* learning.enrollment.enroll({ courseId: course.courseId })
        expect(yield* tagOf(learning.quiz.current({ quizId: quiz.id }))).toBe("NoOpenAttempt")

        // Submitted: none open. Past its deadline: none open either, and a new start is attempt 3.
        as(learner)
        yield* learning.quiz.submit({
          attemptId: resumed.attemptId,
          answers: [{ kind: "single", questionId: "q-capital", optionId: "o-paris" }]
        })
        expect(yield* tagOf(learning.quiz.current({ quizId: quiz.id }))).toBe("NoOpenAttempt")
        const timed = yield* learning.quiz.start({ quizId: quiz.id })
        yield* TestClock.adjust("59 seconds")
        expect((yield* learning.quiz.current({ quizId: quiz.id })).attemptId).toBe(timed.attemptId)
        yield* TestClock.adjust("2 seconds")
        expect(yield* tagOf(learning.quiz.current({ quizId: quiz.id }))).toBe("NoOpenAttempt")
        expect((yield* learning.quiz.start({ quizId: quiz.id })).attemptNumber).toBe(3)

        // An untimed attempt stays open however long it takes.
        const slow = yield* learning.quiz.start({ quizId: untimed.id })
        yield* TestClock.adjust("3 days")
        expect(yield* learning.quiz.current({ quizId: untimed.id })).toEqual(slow)
      })
    )
  })
})
