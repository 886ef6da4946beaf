// Media across services in the real gateway process on embedded defaults (PGlite, filesystem blobs, the Postgres job
// queue): an upload becomes HLS, catalog learns the video's duration from `media.ready`, and a published preview
// lesson makes the video playable by anyone while another video stays private.
import { execFile } from "node:child_process"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { makeLectern } from "@lectern/client"
import { Email, type MediaId } from "@lectern/domain"
import { startGatewayProcess } from "@lectern/testkit/GatewayProcess"
import { Effect, Layer, Schedule, Schema } from "effect"
import * as TestServices from "effect/TestServices"
import * as tus from "tus-js-client"

const run = promisify(execFile)
const ADMIN_EMAIL = "media.admin@example.com"
const ADMIN_PASSWORD = "the media admin's passphrase"

class Gateway extends Effect.Service<Gateway>()("test/MediaGateway", {
  scoped: startGatewayProcess({
    LECTERN_ADMIN_EMAIL: ADMIN_EMAIL,
    LECTERN_ADMIN_PASSWORD: ADMIN_PASSWORD,
    LECTERN_DEMO_CONTENT: "false"
  })
}) {}

const upload = (url: string, token: string, bytes: Buffer) =>
  Effect.async<string, Error>((resume) => {
    const transfer = new tus.Upload(bytes, {
      endpoint: `${url}/media/uploads`,
      headers: { authorization: `Bearer ${token}` },
      retryDelays: [],
      onError: (error) => resume(Effect.fail(error)),
      onSuccess: () => resume(Effect.succeed(transfer.url?.split("/").pop() ?? ""))
    })
    transfer.start()
  })

const source = (seconds: number) =>
  Effect.acquireUseRelease(
    Effect.promise(() => mkdtemp(join(tmpdir(), "lectern-gw-media-"))),
    (dir) =>
      Effect.promise(async () => {
        const path = join(dir, "source.mp4")
        await run("ffmpeg", [
          ...["-v", "error", "-f", "lavfi", "-i", `testsrc2=size=640x360:rate=25:duration=${seconds}`],
          ...["-f", "lavfi", "-i", `sine=frequency=330:duration=${seconds}`],
          ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", path]
        ])
        return readFile(path)
      }),
    (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  )

describe("media in the gateway", () => {
  it.layer(Layer.fresh(Gateway.Default), { timeout: 180_000 })((it) => {
    it.scoped(
      "a transcoded video fills its lesson's duration, and a published preview plays for anyone",
      () =>
        Effect.gen(function* () {
          const { url } = yield* Gateway
          let token: string | undefined
          const lectern = yield* makeLectern({ baseUrl: url, accessToken: () => token })
          const session = yield* lectern.auth.session.login({
            email: Schema.decodeSync(Email)(ADMIN_EMAIL),
            password: ADMIN_PASSWORD
          })
          token = session.accessToken

          const waitReady = (id: MediaId) =>
            lectern.media.media.get({ id }).pipe(
              Effect.flatMap((m) => (m.status === "ready" ? Effect.succeed(m) : Effect.fail(m.status))),
              Effect.retry({ while: (status) => status !== "failed", schedule: Schedule.spaced("300 millis") }),
              Effect.timeout("120 seconds")
            )
          const preview = yield* lectern.media.media.create({
            uploadId: yield* upload(url, session.accessToken, yield* source(3)),
            title: "Preview"
          })
          const privateVideo = yield* lectern.media.media.create({
            uploadId: yield* upload(url, session.accessToken, yield* source(2)),
            title: "Members only"
          })
          yield* waitReady(preview.id)
          yield* waitReady(privateVideo.id)

          const category = yield* lectern.catalog.category.create({ name: `Media ${Date.now()}` })
          const course = yield* lectern.catalog.course.create({
            title: "Filmed lessons",
            description: "Two videos.",
            categoryId: category.id,
            level: "beginner",
            language: "en",
            price: { amount: 0, currency: "EUR" },
            tags: []
          })
          const section = yield* lectern.catalog.section.create({ courseId: course.id, title: "Videos" })
          const previewLesson = yield* lectern.catalog.lesson.create({
            sectionId: section.id,
            title: "Watch first",
            content: { kind: "video", mediaId: preview.id },
            isPreview: true
          })
          yield* lectern.catalog.lesson.create({
            sectionId: section.id,
            title: "Enrolled only",
            content: { kind: "video", mediaId: privateVideo.id }
          })
          // Catalog hears media.ready through the outbox and the bus: the lesson is ready, with the real duration.
          const detail = yield* lectern.catalog.course.get({ id: course.id }).pipe(
            Effect.flatMap((d) => {
              const lesson = d.sections.flatMap((s) => s.lessons).find((l) => l.id === previewLesson.id)
              return lesson?.content?.kind === "video" && lesson.content.mediaReady
                ? Effect.succeed(lesson)
                : Effect.fail("not yet" as const)
            }),
            Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 100 })
          )
          expect(detail.durationSeconds).toBe(3)

          // Unpublished, the preview is private too.
          token = undefined
          expect((yield* lectern.media.media.playback({ mediaId: preview.id }).pipe(Effect.flip))._tag).toBe(
            "MediaNotFound"
          )
          token = session.accessToken
          yield* lectern.catalog.course.submitForReview({ id: course.id })
          yield* lectern.catalog.course.review({ id: course.id, decision: "approve", feedback: "" })

          token = undefined
          const playback = yield* lectern.media.media.playback({ mediaId: preview.id })
          const master = yield* Effect.promise(() => fetch(`${url}${playback.masterUrl}`).then((r) => r.text()))
          expect(master).toContain("#EXT-X-STREAM-INF")
          expect((yield* lectern.media.media.playback({ mediaId: privateVideo.id }).pipe(Effect.flip))._tag).toBe(
            "MediaNotFound"
          )

          // A learner who enrolls (learning asked by media) may watch the course's other video too.
          const learnerEmail = Schema.decodeSync(Email)(`learner.${Date.now()}@example.com`)
          yield* lectern.auth.user.register({ email: learnerEmail, password: ADMIN_PASSWORD, name: "Ada" })
          const [mail] = yield* lectern.auth.dev.outbox({ to: learnerEmail })
          const code = /\b(\d{6})\b/.exec(mail?.text ?? "")?.[1] ?? ""
          token = (yield* lectern.auth.user.verifyEmail({ email: learnerEmail, code })).accessToken
          expect((yield* lectern.media.media.playback({ mediaId: privateVideo.id }).pipe(Effect.flip))._tag).toBe(
            "MediaNotFound"
          )
          const enrollment = yield* lectern.learning.enrollment.enroll({ courseId: course.id })
          expect(enrollment.courseTitle).toBe("Filmed lessons")
          const members = yield* lectern.media.media.playback({ mediaId: privateVideo.id })
          expect(members.masterUrl).toContain(privateVideo.id)
        }).pipe(
          Effect.tapErrorCause(() =>
            Effect.flatMap(Gateway, (gateway) => Effect.sync(() => console.log(gateway.output().slice(-6000))))
          ),
          Effect.timeout("140 seconds"),
          // Polls and timeouts on real time.
          TestServices.provideLive
        ),
      150_000
    )
  })
})
