// Assignments through the typed client on the real catalog, media's tus uploads and Postgres: who sets and grades
// them, who may hand in what and when, attachments (someone else's, incomplete, reused, dropped, downloaded), who sees
// which submissions, the events in the outbox, and hostile input over HTTP that stores nothing.
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { MediaRepo } from "@lectern/media"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { DateTime, Effect, Option, TestClock } from "effect"
import {
  makeClients,
  makeLearningTestLayer,
  publishedCourse,
  rawCall,
  rawGet,
  serveLearning,
  tusUpload,
  userWith
} from "./fixtures.ts"

const tagOf = <A, E extends { readonly _tag: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (error) => error._tag)

const bytesOf = (text: string) => new TextEncoder().encode(text)

describe("assignments", () => {
  it.layer(makeLearningTestLayer(layerFreshPostgres), { timeout: 120_000 })((it) => {
    it.scoped("setting, handing in, resubmitting, attachments, grading, visibility, due dates and events", () =>
      Effect.gen(function* () {
        const clients = yield* makeClients
        const { learning, as } = clients
        const sql = yield* SqlClient.SqlClient
        const media = yield* MediaRepo
        const url = yield* serveLearning
        const creator = yield* userWith("creator")
        const otherCreator = yield* userWith("creator")
        const admin = yield* userWith("admin")
        const learner = yield* userWith("learner")
        // A plain learner uploads attachments (media gives learners smaller limits than creators).
        const uploader = yield* userWith("learner")
        const outsider = yield* userWith("learner")
        const course = yield* publishedCourse(clients, { creator, admin }, { videoSeconds: 60 })
        const input = {
          courseId: course.courseId,
          title: "Write an essay",
          instructions: "Explain Effect layers in 500 words.",
          maxScore: 10,
          rubric: "Clarity 5, accuracy 5."
        }

        // Only the course's owner (or an admin) sets assignments.
        for (const who of [otherCreator, learner]) {
          as(who)
          expect(yield* tagOf(learning.assignment.create(input))).toBe("Forbidden")
        }
        as(creator)
        const essay = yield* learning.assignment.create(input)
        expect(essay).toMatchObject({ title: "Write an essay", maxScore: 10, dueAt: null, rubric: input.rubric })
        as(admin)
        const { rubric: _, ...withoutRubric } = input
        const extra = yield* learning.assignment.create({ ...withoutRubric, title: "Extra credit" })
        expect(extra.rubric).toBe("")

        // Listing is for enrolled learners and the owner; handing in needs an enrollment.
        as(learner)
        expect(yield* tagOf(learning.assignment.list({ courseId: course.courseId }))).toBe("NotEnrolled")
        expect(yield* tagOf(learning.assignment.submit({ assignmentId: essay.id, text: "Hi", attachments: [] }))).toBe(
          "NotEnrolled"
        )
        yield* learning.enrollment.enroll({ courseId: course.courseId })
        expect((yield* learning.assignment.list({ courseId: course.courseId })).map((a) => a.title)).toEqual([
          "Write an essay",
          "Extra credit"
        ])
        as(creator)
        expect(yield* learning.assignment.list({ courseId: course.courseId })).toHaveLength(2)

        // A resubmission replaces the previous one.
        as(learner)
        const first = yield* learning.assignment.submit({ assignmentId: essay.id, text: "Draft", attachments: [] })
        expect(first).toMatchObject({ revision: 1, status: "submitted", text: "Draft", score: null })
        const second = yield* learning.assignment.submit({ assignmentId: essay.id, text: "Final", attachments: [] })
        expect(second).toMatchObject({ id: first.id, revision: 2, text: "Final" })
        expect((yield* learning.assignment.submissions({ assignmentId: essay.id })).map((s) => s.text)).toEqual([
          "Final"
        ])

        // Attachments: the uploader's own complete uploads only, each used once.
        as(uploader)
        yield* learning.enrollment.enroll({ courseId: course.courseId })
        const notes = yield* tusUpload(url, uploader.token, bytesOf("my notes"), { filename: "../notes.txt" })
        const slides = yield* tusUpload(url, uploader.token, bytesOf("<script>x</script>"), {
          filename: "slides.html",
          filetype: "text/html"
        })
        const partial = yield* tusUpload(url, uploader.token, bytesOf("half of it"), { complete: false })
        expect(
          yield* tagOf(learning.assignment.submit({ assignmentId: essay.id, attachments: [notes, partial] }))
        ).toBe("AttachmentRejected")
        // The refusal undid everything: no submission, and the complete upload is still free to use.
        expect(yield* learning.assignment.submissions({ assignmentId: essay.id })).toEqual([])
        expect(Option.map(yield* media.uploadById(notes), (u) => u.consumedAt)).toEqual(Option.some(null))
        const withNotes = yield* learning.assignment.submit({ assignmentId: essay.id, attachments: [notes] })
        expect(withNotes.text).toBeNull()
        expect(withNotes.attachments).toMatchObject([
          { uploadId: notes, filename: "notes.txt", sizeBytes: 8, contentType: "text/plain" }
        ])
        expect(Option.map(yield* media.uploadById(notes), (u) => u.consumedAt !== null)).toEqual(Option.some(true))
        // Used once: not again for another assignment.
        const reused = yield* Effect.flip(learning.assignment.submit({ assignmentId: extra.id, attachments: [notes] }))
        expect(reused).toMatchObject({ _tag: "AttachmentRejected", reason: "notFound" })

        // Someone else's upload is refused, and the learner's submission stays as it was.
        as(learner)
        const stolen = yield* Effect.flip(
          learning.assignment.submit({ assignmentId: essay.id, text: "Mine now", attachments: [slides] })
        )
        expect(stolen).toMatchObject({ _tag: "AttachmentRejected", reason: "notFound" })
        expect((yield* learning.assignment.submissions({ assignmentId: essay.id })).map((s) => s.text)).toEqual([
          "Final"
        ])

        // Resubmitting keeps the files still listed, takes new ones, and deletes the dropped ones after commit.
        as(uploader)
        const swapped = yield* learning.assignment.submit({
          assignmentId: essay.id,
          text: "See slides",
          attachments: [slides]
        })
        expect(swapped.revision).toBe(2)
        expect(swapped.attachments.map((a) => a.uploadId)).toEqual([slides])
        expect(Option.isNone(yield* media.uploadById(notes))).toBe(true)
        const kept = yield* learning.assignment.submit({ assignmentId: essay.id, text: "Again", attachments: [slides] })
        expect(kept.attachments.map((a) => a.uploadId)).toEqual([slides])

        // Downloads: the submitter and the owner get the bytes (an HTML file as an inert download); nobody else.
        const downloadUrl = `${url}${kept.attachments[0]?.downloadUrl}`
        for (const who of [uploader, creator, admin]) {
          const download = yield* rawGet(downloadUrl, who.token)
          expect(download.status).toBe(200)
          expect(download.body.toString()).toBe("<script>x</script>")
          expect(download.headers.get("content-type")).toBe("application/octet-stream")
          expect(download.headers.get("content-disposition")).toBe('attachment; filename="slides.html"')
          expect(download.headers.get("cache-control")).toBe("private, no-store")
        }
        expect((yield* rawGet(downloadUrl, learner.token)).status).toBe(404)
        expect((yield* rawGet(downloadUrl, otherCreator.token)).status).toBe(404)
        expect((yield* rawGet(downloadUrl)).status).toBe(401)
        expect(
          (yield* rawGet(`${url}/learning/submissions/${kept.id}/attachments/${notes}`, uploader.token)).status
        ).toBe(404)

        // Learners see only their own submissions; the owner sees everyone's.
        as(learner)
        expect((yield* learning.assignment.submissions({ assignmentId: essay.id })).map((s) => s.userId)).toEqual([
          learner.id
        ])
        as(outsider)
        expect(yield* learning.assignment.submissions({ assignmentId: essay.id })).toEqual([])
        as(creator)
        const all = yield* learning.assignment.submissions({ assignmentId: essay.id })
        expect(all.map((s) => s.userId).sort()).toEqual([learner.id, uploader.id].sort())

        // Grading: the owner or an admin, within 0..maxScore; another creator or a learner may not.
        const learnersWork = all.find((s) => s.userId === learner.id)
        const submissionId = learnersWork?.id ?? first.id
        for (const who of [otherCreator, learner]) {
          as(who)
          expect(yield* tagOf(learning.assignment.grade({ submissionId, score: 5, feedback: "" }))).toBe("Forbidden")
        }
        as(creator)
        expect(yield* tagOf(learning.assignment.grade({ submissionId, score: 10.5, feedback: "" }))).toBe(
          "InvalidGrade"
        )
        const graded = yield* learning.assignment.grade({ submissionId, score: 8.5, feedback: "Good, but short." })
        expect(graded).toMatchObject({ status: "graded", score: 8.5, feedback: "Good, but short." })
        // The maximum cannot drop below a score already given.
        expect(yield* tagOf(learning.assignment.update({ id: essay.id, maxScore: 8 }))).toBe("InvalidGrade")

        // A graded submission stands; the learner sees the grade.
        as(learner)
        expect(
          yield* tagOf(learning.assignment.submit({ assignmentId: essay.id, text: "Better", attachments: [] }))
        ).toBe("AlreadyGraded")
        expect(yield* learning.assignment.submissions({ assignmentId: essay.id })).toMatchObject([
          { text: "Final", score: 8.5, feedback: "Good, but short.", status: "graded" }
        ])

        // After the due date nothing more is handed in, not even a resubmission.
        as(creator)
        const now = yield* DateTime.now
        const timed = yield* learning.assignment.create({
          ...input,
          title: "Timed",
          dueAt: DateTime.add(now, { hours: 1 })
        })
        as(learner)
        yield* learning.assignment.submit({ assignmentId: timed.id, text: "On time", attachments: [] })
        yield* TestClock.adjust("2 hours")
        expect(
          yield* tagOf(learning.assignment.submit({ assignmentId: timed.id, text: "Late", attachments: [] }))
        ).toBe("AssignmentClosed")
        // Moving the due date (or removing it) reopens it.
        as(creator)
        expect((yield* learning.assignment.update({ id: timed.id, dueAt: null })).dueAt).toBeNull()
        as(learner)
        expect(
          (yield* learning.assignment.submit({ assignmentId: timed.id, text: "Late", attachments: [] })).revision
        ).toBe(2)

        // Every hand-in and grade is in the outbox.
        const events = yield* sql<{ type: string; count: number }>`
          SELECT type, count(*)::int AS count FROM learning.outbox WHERE type LIKE 'assignment.%' GROUP BY type
          ORDER BY type`
        expect(events).toEqual([
          { type: "assignment.graded", count: 1 },
          { type: "assignment.submitted", count: 7 }
        ])

        // Deleting: the owner only; then the assignment is gone for everyone.
        as(otherCreator)
        expect(yield* tagOf(learning.assignment.delete({ id: extra.id }))).toBe("Forbidden")
        as(creator)
        yield* learning.assignment.delete({ id: extra.id })
        expect((yield* learning.assignment.list({ courseId: course.courseId })).map((a) => a.title)).toEqual([
          "Write an essay",
          "Timed"
        ])
        expect(yield* tagOf(learning.assignment.submissions({ assignmentId: extra.id }))).toBe("AssignmentNotFound")
      })
    )

    it.scoped("hostile input over HTTP is InvalidInput and stores nothing", () =>
      Effect.gen(function* () {
        const clients = yield* makeClients
        const { learning, as } = clients
        const sql = yield* SqlClient.SqlClient
        const url = yield* serveLearning
        const creator = yield* userWith("creator")
        const admin = yield* userWith("admin")
        const learner = yield* userWith("learner")
        const course = yield* publishedCourse(clients, { creator, admin }, { videoSeconds: 60 })
        as(creator)
        const assignment = yield* learning.assignment.create({
          courseId: course.courseId,
          title: "Short answer",
          instructions: "Answer.",
          maxScore: 5
        })
        as(learner)
        yield* learning.enrollment.enroll({ courseId: course.courseId })
        const id = JSON.stringify(assignment.id)
        const uploadIds = (count: number) => JSON.stringify(Array.from({ length: count }, (_, i) => `upload-${i}-xxxx`))
        const submits = [
          `{"assignmentId":${id},"attachments":[]}`,
          `{"assignmentId":${id},"text":"   ","attachments":[]}`,
          `{"assignmentId":${id},"text":${JSON.stringify("x".repeat(50_001))},"attachments":[]}`,
          `{"assignmentId":${id},"text":"ok","attachments":${uploadIds(11)}}`,
          `{"assignmentId":${id},"text":"ok","attachments":["upload-1-xxxx","upload-1-xxxx"]}`,
          `{"assignmentId":${id},"text":"ok","attachments":["../../etc/passwd"]}`,
          `{"assignmentId":${id},"text":"ok","attachments":[],"score":5}`,
          `{"assignmentId":"not-a-uuid","text":"ok","attachments":[]}`,
          `{"assignmentId":${id},"text":42,"attachments":[]}`
        ]
        for (const payload of submits) {
          expect(yield* rawCall(url, "assignment.submit", payload, learner.token)).toBe("InvalidInput")
        }
        const creates = [
          { maxScore: 0 },
          { maxScore: 2.5 },
          { maxScore: 1001 },
          { title: "" },
          { instructions: "" },
          { dueAt: "tomorrow" },
          { ownerId: learner.id }
        ]
        for (const change of creates) {
          const payload = JSON.stringify({
            courseId: course.courseId,
            title: "T",
            instructions: "I",
            maxScore: 5,
            ...change
          })
          expect(yield* rawCall(url, "assignment.create", payload, creator.token)).toBe("InvalidInput")
        }
        // A real submission to grade with bad scores.
        const submission = yield* learning.assignment.submit({
          assignmentId: assignment.id,
          text: "42",
          attachments: []
        })
        for (const score of ["-1", "0.3", '"5"', "null", "1e999"]) {
          const payload = `{"submissionId":${JSON.stringify(submission.id)},"score":${score},"feedback":""}`
          expect(yield* rawCall(url, "assignment.grade", payload, creator.token)).toBe("InvalidInput")
        }
        const rows = yield* sql<{ assignments: number; submissions: number; graded: number }>`
          SELECT (SELECT count(*)::int FROM learning.assignments WHERE course_id = ${course.courseId}) AS assignments,
                 (SELECT count(*)::int FROM learning.assignment_submissions WHERE user_id = ${learner.id}) AS submissions,
                 (SELECT count(*)::int FROM learning.assignment_submissions
                   WHERE user_id = ${learner.id} AND graded_at IS NOT NULL) AS graded`
        expect(rows).toEqual([{ assignments: 1, submissions: 1, graded: 0 }])
        expect(
          (yield* learning.assignment.submissions({ assignmentId: assignment.id })).map((s) => s.revision)
        ).toEqual([1])
      })
    )
  })
})
