// Course thumbnails across services in the real gateway process (embedded defaults): an image made by media becomes
// a course's thumbnail through catalog's bridge to media, shows on the public card and course page and loads from
// /media/images; another creator cannot use it; deleting the image (image.deleted through the outbox and the bus)
// takes it off the course, cached pages included; a replaced thumbnail's image is released and deleted.
import { execFile } from "node:child_process"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { makeLectern } from "@lectern/client"
import { Email } from "@lectern/domain"
import { startGatewayProcess } from "@lectern/testkit/GatewayProcess"
import { Effect, Layer, Schedule, Schema } from "effect"
import * as TestServices from "effect/TestServices"
import * as tus from "tus-js-client"

const run = promisify(execFile)
const ADMIN_EMAIL = "thumbnails.admin@example.com"
const PASSWORD = "the thumbnail admin's passphrase"

class Gateway extends Effect.Service<Gateway>()("test/ThumbnailsGateway", {
  scoped: startGatewayProcess({
    LECTERN_ADMIN_EMAIL: ADMIN_EMAIL,
    LECTERN_ADMIN_PASSWORD: PASSWORD,
    LECTERN_DEMO_CONTENT: "false",
    CATALOG_CACHE_TTL: "60"
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

const png = Effect.acquireUseRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "lectern-gw-thumb-"))),
  (dir) =>
    Effect.promise(async () => {
      const path = join(dir, "cover.png")
      await run("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=800x600", "-frames:v", "1", path])
      return readFile(path)
    }),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

/** The gateway's URL, a client calling with the token `use` last set, and the admin signed in (their token in use). */
const signedInAdmin = Effect.gen(function* () {
  const { url } = yield* Gateway
  let token: string | undefined
  const lectern = yield* makeLectern({ baseUrl: url, accessToken: () => token })
  const admin = yield* lectern.auth.session.login({ email: Schema.decodeSync(Email)(ADMIN_EMAIL), password: PASSWORD })
  token = admin.accessToken
  const use = (next: string | undefined) => {
    token = next
  }
  return { url, lectern, admin, use }
})

describe("course thumbnails in the gateway", () => {
  it.layer(Layer.fresh(Gateway.Default), { timeout: 120_000 })((it) => {
    it.scoped(
      "an image becomes a public thumbnail, is the owner's only, and leaves the course when deleted",
      () =>
        Effect.gen(function* () {
          const { url, lectern, admin, use } = yield* signedInAdmin

          const image = yield* lectern.media.image.create({
            uploadId: yield* upload(url, admin.accessToken, yield* png)
          })
          expect(image).toMatchObject({ width: 800, height: 600 })
          const category = yield* lectern.catalog.category.create({ name: `Thumbnails ${Date.now()}` })
          const word = `thumb${Date.now().toString(36)}`
          const course = yield* lectern.catalog.course.create({
            title: `Pictured ${word}`,
            description: "A course with a picture.",
            categoryId: category.id,
            level: "beginner",
            language: "en",
            price: { amount: 0, currency: "EUR" },
            tags: [],
            thumbnailImageId: image.id
          })
          expect(course.thumbnail).toEqual(image.urls)
          const section = yield* lectern.catalog.section.create({ courseId: course.id, title: "Start" })
          yield* lectern.catalog.lesson.create({
            sectionId: section.id,
            title: "Hello",
            content: { kind: "article", markdown: "Hello." }
          })
          yield* lectern.catalog.course.submitForReview({ id: course.id })
          yield* lectern.catalog.course.review({ id: course.id, decision: "approve", feedback: "" })

          // Anonymous readers: the card and the page carry the URLs, and the URLs load.
          use(undefined)
          const card = (yield* lectern.catalog.course.search({ q: word })).items[0]
          expect(card?.thumbnail).toEqual(image.urls)
          expect((yield* lectern.catalog.course.get({ slug: course.slug })).course.thumbnail).toEqual(image.urls)
          const response = yield* Effect.promise(() => fetch(`${url}${image.urls.small}`))
          expect(response.status).toBe(200)
          expect(response.headers.get("content-type")).toBe("image/jpeg")
          expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable")

          // A second creator (a learner the admin approves) cannot show the admin's image on their course.
          const email = Schema.decodeSync(Email)(`creator.${Date.now()}@example.com`)
          yield* lectern.auth.user.register({ email, password: PASSWORD, name: "Grace" })
          const [mail] = yield* lectern.auth.dev.outbox({ to: email })
          const code = /\b(\d{6})\b/.exec(mail?.text ?? "")?.[1] ?? ""
          use((yield* lectern.auth.user.verifyEmail({ email, code })).accessToken)
          const application = yield* lectern.auth.creator.apply({
            bio: "I teach pictures and the courses around them.",
            experienceYears: 3,
            topics: ["design"]
          })
          use(admin.accessToken)
          yield* lectern.auth.creator.decide({ applicationId: application.id, approve: true, reviewerNotes: "" })
          use((yield* lectern.auth.session.login({ email, password: PASSWORD })).accessToken)
          const own = yield* lectern.catalog.course.create({
            title: `Grace's ${word}`,
            description: "Hers.",
            categoryId: category.id,
            level: "beginner",
            language: "en",
            price: { amount: 0, currency: "EUR" },
            tags: []
          })
          const refused = yield* Effect.flip(lectern.catalog.course.update({ id: own.id, thumbnailImageId: image.id }))
          expect(refused).toMatchObject({ _tag: "InvalidThumbnail", imageId: image.id })

          // Deleted by its owner: media's image.deleted reaches catalog, which clears it and drops the cached pages.
          use(admin.accessToken)
          yield* lectern.media.image.delete({ id: image.id })
          expect((yield* Effect.promise(() => fetch(`${url}${image.urls.small}`))).status).toBe(404)
          use(undefined)
          yield* lectern.catalog.course.search({ q: word }).pipe(
            Effect.flatMap((page) =>
              page.items[0]?.thumbnail === null ? Effect.void : Effect.fail("still shown" as const)
            ),
            Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 100 })
          )
          expect((yield* lectern.catalog.course.get({ slug: course.slug })).course.thumbnail).toBeNull()
        }).pipe(
          Effect.tapErrorCause(() =>
            Effect.flatMap(Gateway, (gateway) => Effect.sync(() => console.log(gateway.output().slice(-6000))))
          ),
          Effect.timeout("100 seconds"),
          // Polls and timeouts on real time.
          TestServices.provideLive
        ),
      110_000
    )

    it.scoped(
      "a replaced thumbnail's image is released by catalog and deleted by media (image.released through the bus)",
      () =>
        Effect.gen(function* () {
          const { url, lectern, admin } = yield* signedInAdmin
          const picture = yield* png
          const [first, second] = yield* Effect.all(
            [0, 1].map(() =>
              Effect.flatMap(upload(url, admin.accessToken, picture), (uploadId) =>
                lectern.media.image.create({ uploadId })
              )
            )
          )
          if (first === undefined || second === undefined) return expect.fail("two images")
          const category = yield* lectern.catalog.category.create({ name: `Released ${Date.now()}` })
          const course = yield* lectern.catalog.course.create({
            title: `Repictured ${Date.now().toString(36)}`,
            description: "A course whose picture changes.",
            categoryId: category.id,
            level: "beginner",
            language: "en",
            price: { amount: 0, currency: "EUR" },
            tags: [],
            thumbnailImageId: first.id
          })
          yield* lectern.catalog.course.update({ id: course.id, thumbnailImageId: second.id })
          const status = (path: string) => Effect.promise(() => fetch(`${url}${path}`).then((res) => res.status))
          // Both renders gone (media deletes them one after the other, so wait for both).
          yield* Effect.all([status(first.urls.small), status(first.urls.large)]).pipe(
            Effect.flatMap((codes) =>
              codes.every((code) => code === 404) ? Effect.void : Effect.fail("first image still served" as const)
            ),
            Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 100 })
          )
          // The picture the course shows now stays.
          expect(yield* status(second.urls.small)).toBe(200)
          expect((yield* lectern.catalog.course.get({ id: course.id })).course.thumbnail).toEqual(second.urls)
        }).pipe(Effect.timeout("60 seconds"), TestServices.provideLive),
      70_000
    )
  })
})
