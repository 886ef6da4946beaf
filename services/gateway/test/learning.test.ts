// Learning in the real gateway process on embedded defaults: its download routes are mounted behind the bearer token,
// and a file uploaded to media over tus becomes an assignment attachment that downloads byte for byte.
import { describe, expect, it } from "@effect/vitest"
import { makeLectern } from "@lectern/client"
import { Email } from "@lectern/domain"
import { startGatewayProcess } from "@lectern/testkit/GatewayProcess"
import { Effect, Layer, Schema } from "effect"

const ADMIN_EMAIL = "learning.admin@example.com"
const ADMIN_PASSWORD = "the learning admin's passphrase"

class Gateway extends Effect.Service<Gateway>()("test/LearningGateway", {
  scoped: startGatewayProcess({
    LECTERN_ADMIN_EMAIL: ADMIN_EMAIL,
    LECTERN_ADMIN_PASSWORD: ADMIN_PASSWORD,
    LECTERN_DEMO_CONTENT: "false"
  })
}) {}

const request = (url: string, init: RequestInit = {}) =>
  Effect.tryPromise(async () => {
    const response = await fetch(url, init)
    return { status: response.status, headers: response.headers, body: Buffer.from(await response.arrayBuffer()) }
  })

/** One tus upload (POST, then PATCH with every byte); answers the upload id. */
const upload = (url: string, token: string, bytes: Buffer, filename: string) =>
  Effect.gen(function* () {
    const tus = { authorization: `Bearer ${token}`, "tus-resumable": "1.0.0" }
    const created = yield* request(`${url}/media/uploads`, {
      method: "POST",
      headers: {
        ...tus,
        "upload-length": String(bytes.length),
        "upload-metadata": `filename ${Buffer.from(filename).toString("base64")},filetype ${Buffer.from("application/pdf").toString("base64")}`
      }
    })
    const id = created.headers.get("location")?.split("/").pop() ?? ""
    const patched = yield* request(`${url}/media/uploads/${id}`, {
      method: "PATCH",
      headers: { ...tus, "upload-offset": "0", "content-type": "application/offset+octet-stream" },
      body: new Uint8Array(bytes)
    })
    expect(patched.status).toBe(204)
    return id
  })

describe("learning in the gateway", () => {
  it.layer(Layer.fresh(Gateway.Default), { timeout: 120_000 })((it) => {
    it.scoped("download routes behind the token; an uploaded file attached to a submission downloads intact", () =>
      Effect.gen(function* () {
        const { url } = yield* Gateway
        let token: string | undefined
        const lectern = yield* makeLectern({ baseUrl: url, accessToken: () => token })
        const session = yield* lectern.auth.session.login({
          email: Schema.decodeSync(Email)(ADMIN_EMAIL),
          password: ADMIN_PASSWORD
        })
        token = session.accessToken
        const auth = { authorization: `Bearer ${token}` }

        // The certificate route is mounted: no token is 401, an unknown certificate 404.
        expect((yield* request(`${url}/learning/certificates/AAAAAAAAAAAAAAAAAAAAAA.pdf`)).status).toBe(401)
        const unknown = yield* request(`${url}/learning/certificates/AAAAAAAAAAAAAAAAAAAAAA.pdf`, { headers: auth })
        expect(unknown.status).toBe(404)

        const category = yield* lectern.catalog.category.create({ name: "Gateway assignments" })
        const course = yield* lectern.catalog.course.create({
          title: "Handing in",
          description: "One article and an assignment.",
          categoryId: category.id,
          level: "beginner",
          language: "en",
          price: { amount: 0, currency: "EUR" },
          tags: []
        })
        const section = yield* lectern.catalog.section.create({ courseId: course.id, title: "Only" })
        yield* lectern.catalog.lesson.create({
          sectionId: section.id,
          title: "Read",
          content: { kind: "article", markdown: "Read me." }
        })
        yield* lectern.catalog.course.submitForReview({ id: course.id })
        yield* lectern.catalog.course.review({ id: course.id, decision: "approve", feedback: "" })
        yield* lectern.learning.enrollment.enroll({ courseId: course.id })
        const assignment = yield* lectern.learning.assignment.create({
          courseId: course.id,
          title: "Hand in a PDF",
          instructions: "Any PDF.",
          maxScore: 3
        })

        const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251))
        const uploadId = yield* upload(url, session.accessToken, bytes, "report.pdf")
        const submission = yield* lectern.learning.assignment.submit({
          assignmentId: assignment.id,
          attachments: [uploadId]
        })
        expect(submission.attachments).toMatchObject([{ filename: "report.pdf", sizeBytes: bytes.length }])
        const download = yield* request(`${url}${submission.attachments[0]?.downloadUrl}`, { headers: auth })
        expect(download.status).toBe(200)
        expect(download.headers.get("content-type")).toBe("application/pdf")
        expect(download.headers.get("content-disposition")).toBe('attachment; filename="report.pdf"')
        expect(download.body.equals(bytes)).toBe(true)
        // Taken by learning, the upload can no longer become a video.
        const reuse = yield* Effect.flip(lectern.media.media.create({ uploadId, title: "Stolen" }))
        expect(reuse._tag).toBe("UploadNotFound")
      })
    )
  })
})
