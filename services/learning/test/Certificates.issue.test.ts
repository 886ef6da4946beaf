// Certificate issuance through the typed client: earned by completing every lesson and passing every quiz, issued
// exactly once even when two final steps race, verifiable by its code only, with a PDF for its holder only.
import { describe, expect, it } from "@effect/vitest"
import type * as Quiz from "@lectern/contracts/LearningQuiz"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect } from "effect"
import { CertificateIssuer } from "../src/CertificateIssuer.ts"
import { makeClients, makeLearningTestLayer, publishedCourse, userWith } from "./fixtures.ts"

const trueFalse: Quiz.QuestionInput = {
  kind: "trueFalse",
  id: "q-1",
  prompt: "Is this the end?",
  correct: true,
  points: 1
}

describe("certificates", () => {
  it.layer(makeLearningTestLayer(layerFreshPostgres), { timeout: 120_000 })((it) => {
    it.scoped("issued once the course is complete and its quiz passed; verified by code; PDF for the holder", () =>
      Effect.gen(function* () {
        const clients = yield* makeClients
        const { learning, as } = clients
        const creator = yield* userWith("creator")
        const admin = yield* userWith("admin")
        const learner = yield* userWith("learner")
        const course = yield* publishedCourse(clients, { creator, admin }, { videoSeconds: 10 })
        as(creator)
        const quiz = yield* learning.quiz.create({
          courseId: course.courseId,
          title: "Final",
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

        as(learner)
        yield* learning.enrollment.enroll({ courseId: course.courseId })
        yield* learning.progress.heartbeat({
          lessonId: course.videoId,
          mediaPositionSeconds: 10,
          playedRanges: [[0, 10]],
          playbackRate: 1
        })
        yield* learning.progress.completeLesson({ lessonId: course.articleId })
        // Every lesson done, but the quiz not passed yet: no certificate.
        expect(yield* learning.certificate.mine()).toEqual([])
        const failing = yield* learning.quiz.start({ quizId: quiz.id })
        yield* learning.quiz.submit({
          attemptId: failing.attemptId,
          answers: [{ kind: "trueFalse", questionId: "q-1", value: false }]
        })
        expect(yield* learning.certificate.mine()).toEqual([])
        const passing = yield* learning.quiz.start({ quizId: quiz.id })
        yield* learning.quiz.submit({
          attemptId: passing.attemptId,
          answers: [{ kind: "trueFalse", questionId: "q-1", value: true }]
        })
        const [certificate] = yield* learning.certificate.mine()
        expect(certificate?.courseTitle).toBe("Watching for real")

        // Two final steps racing issue nothing more.
        const issuer = yield* CertificateIssuer
        yield* Effect.all(
          [issuer.issueIfEarned(learner.id, course.courseId), issuer.issueIfEarned(learner.id, course.courseId)],
          {
            concurrency: 2
          }
        )
        expect(yield* learning.certificate.mine()).toHaveLength(1)

        // Anyone may verify the real code; a one-character change does not verify.
        as(undefined)
        const code = certificate?.code ?? ""
        expect(yield* learning.certificate.verify({ code })).toMatchObject({
          valid: true,
          courseTitle: "Watching for real"
        })
        expect(yield* learning.certificate.verify({ code: code.toLowerCase() })).toMatchObject({ valid: true })
        const altered = `${code.slice(0, -1)}${code.endsWith("A") ? "B" : "A"}`
        expect(yield* learning.certificate.verify({ code: altered })).toEqual({ valid: false })
        expect(yield* learning.certificate.verify({ code: "not a code" })).toEqual({ valid: false })

        // The holder downloads the PDF; someone else does not find it.
        as(learner)
        const document = yield* learning.certificate.get({ id: certificate?.id ?? "" })
        expect(Buffer.from(document.pdfBase64, "base64").subarray(0, 5).toString()).toBe("%PDF-")
        as(yield* userWith("learner"))
        expect((yield* Effect.flip(learning.certificate.get({ id: certificate?.id ?? "" })))._tag).toBe(
          "CertificateNotFound"
        )
      })
    )
  })
})
