// Certificate issuance through the typed client: earned by completing every lesson and passing every quiz, issued
// exactly once even when two final steps race, verifiable by its code only, with a PDF for its holder only.
import { describe, expect, it } from "@effect/vitest"
import type * as Quiz from "@lectern/contracts/LearningQuiz"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect } from "effect"
import { CertificateIssuer } from "../src/CertificateIssuer.ts"
import { makeClients, makeLearningTestLayer, publishedCourse, rawGet, serveLearning, userWith } from "./fixtures.ts"

const trueFalse: Quiz.QuestionInput = {
  kind: "trueFalse",
  id: "q-1",
  prompt: "Is this the end?",
  correct: true,
  points: 1
}

describe("certificates", () => {
  it.layer(makeLearningTestLayer(layerFreshPostgres), { timeout: 120_000 })((it) => {
    it.scoped(
      "issued once the course is complete and its quiz passed; verified by code; PDF download for the holder",
      () =>
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

          // The holder gets the data and where to download the PDF; someone else does not find it.
          as(learner)
          const id = certificate?.id ?? ""
          const document = yield* learning.certificate.get({ id })
          expect(document.pdfUrl).toBe(`/learning/certificates/${id}.pdf`)
          const stranger = yield* userWith("learner")
          as(stranger)
          expect((yield* Effect.flip(learning.certificate.get({ id })))._tag).toBe("CertificateNotFound")

          // The PDF over HTTP: the holder and an admin download it; anyone else, or no such id, is 404; no token 401.
          const url = yield* serveLearning
          const pdfAt = `${url}${document.pdfUrl}`
          for (const who of [learner, admin]) {
            const download = yield* rawGet(pdfAt, who.token)
            expect(download.status).toBe(200)
            expect(download.headers.get("content-type")).toBe("application/pdf")
            expect(download.headers.get("content-disposition")).toBe(
              `attachment; filename="certificate-${certificate?.code}.pdf"`
            )
            expect(download.headers.get("cache-control")).toBe("private, no-store")
            expect(download.headers.get("x-content-type-options")).toBe("nosniff")
            expect(download.body.subarray(0, 5).toString()).toBe("%PDF-")
            expect(Number(download.headers.get("content-length"))).toBe(download.body.length)
          }
          const head = yield* rawGet(pdfAt, learner.token, "HEAD")
          expect(head.status).toBe(200)
          expect(head.body.length).toBe(0)
          expect((yield* rawGet(pdfAt, stranger.token)).status).toBe(404)
          expect((yield* rawGet(pdfAt, creator.token)).status).toBe(404)
          expect((yield* rawGet(`${url}/learning/certificates/${id}x.pdf`, learner.token)).status).toBe(404)
          expect((yield* rawGet(`${url}/learning/certificates/${id}`, learner.token)).status).toBe(404)
          expect((yield* rawGet(`${url}/learning/certificates/..%2F${id}.pdf`, learner.token)).status).toBe(404)
          const anonymous = yield* rawGet(pdfAt)
          expect(anonymous.status).toBe(401)
          expect(anonymous.headers.get("www-authenticate")).toContain("Bearer")
          expect((yield* rawGet(pdfAt, `${learner.token}x`)).status).toBe(401)
          expect((yield* rawGet(pdfAt, learner.token, "DELETE")).status).toBe(405)
        })
    )
  })
})
