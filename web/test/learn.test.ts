// The learner's side beyond the journey (studio.test.ts), in Chromium: an admin made by the CLI publishes a course
// through the typed client (an article, a quiz with every question kind, an assignment); a learner resets their
// password, edits their profile, enrolls, passes the quiz (a reload mid-attempt continues it), hands in an assignment
// with a file (its access token running out mid-upload), sees the course at 100% at 360 px and their recommendations;
// the owner sees the learner by name on the roster and the grading page, gives the course a thumbnail in the studio (a
// text file named .png refused at the field) and sees it on the course's card and page; sign out everywhere;
// heartbeats the contract or the origin refuses; no response ever carried a session token.
import { describe, expect, it } from "@effect/vitest"
import { type LecternClient, makeLectern } from "@lectern/client"
import { Email } from "@lectern/domain"
import { Effect, Layer, Schedule, Schema } from "effect"
import * as TestServices from "effect/TestServices"
import {
  artefacts,
  gatewayWithCliAdmin,
  launchChromium,
  newPage,
  run,
  seriousViolations,
  signIn,
  step,
  visit,
  watchForTokens
} from "./support/browser.ts"

const ADMIN_EMAIL = "learn.admin@example.com"
const ADMIN_PASSWORD = "the learn admin's passphrase"
const LEARNER_PASSWORD = "a learner's first passphrase"
const NEW_PASSWORD = "a learner's second passphrase"
const email = Schema.decodeSync(Email)

class Gateway extends Effect.Service<Gateway>()("web/test/LearnGateway", {
  scoped: gatewayWithCliAdmin({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD })
}) {}

class Chromium extends Effect.Service<Chromium>()("web/test/LearnChromium", { scoped: launchChromium }) {}

const { file, screenshot } = artefacts(new URL("../test-results/learn/", import.meta.url).pathname)

const QUIZ_TITLE = "Check your Effect basics"
/** The page's tus chunk (UPLOAD_CHUNK_BYTES in src/lib/upload.ts). */
const UPLOAD_CHUNK_BYTES = 16 * 1024 * 1024
/** An attachment of two tus chunks: one whole chunk and a bit. */
const ATTACHMENT_BYTES = UPLOAD_CHUNK_BYTES + 700 * 1024

/** A published free course with an article and a quiz lesson (and an assignment), made by the admin. */
const publishCourse = (lectern: LecternClient, setToken: (token: string | undefined) => void) =>
  Effect.gen(function* () {
    const admin = yield* lectern.auth.session.login({ email: email(ADMIN_EMAIL), password: ADMIN_PASSWORD })
    expect(admin.user.role).toBe("admin")
    setToken(admin.accessToken)
    const category = yield* lectern.catalog.category.create({ name: `Learn e2e ${Date.now()}` })
    const course = yield* lectern.catalog.course.create({
      title: "Effect in Practice",
      subtitle: "Typed errors, resources and concurrency",
      description: "Programs as values, run at the edge.",
      categoryId: category.id,
      level: "beginner",
      language: "en",
      price: { amount: 0, currency: "EUR" },
      tags: ["effect"]
    })
    const section = yield* lectern.catalog.section.create({ courseId: course.id, title: "Getting started" })
    yield* lectern.catalog.lesson.create({
      sectionId: section.id,
      title: "Reading: running effects",
      content: {
        kind: "article",
        markdown:
          "## Running effects\n\nAn `Effect` describes a program. **Run it** at the edge with `Effect.runPromise`."
      }
    })
    const quiz = yield* lectern.learning.quiz.create({
      courseId: course.id,
      title: QUIZ_TITLE,
      settings: {
        passingScorePercent: 80,
        attemptLimit: null,
        timeLimitSeconds: 600,
        shuffleQuestions: false,
        shuffleOptions: false,
        showExplanations: "afterSubmit"
      },
      questions: [
        {
          kind: "single",
          points: 1,
          id: "run",
          prompt: "Which function runs an effect as a Promise?",
          options: [
            { id: "a7", text: "Effect.runPromise" },
            { id: "k2", text: "Effect.succeed" }
          ],
          correctOptionId: "a7",
          explanation: "runPromise executes the effect and answers a Promise."
        },
        {
          kind: "multiple",
          points: 1,
          partialCredit: false,
          id: "constructors",
          prompt: "Which of these build an effect?",
          options: [
            { id: "m1", text: "Effect.fail" },
            { id: "x9", text: "Effect.sync" },
            { id: "q4", text: "Promise.resolve" }
          ],
          correctOptionIds: ["m1", "x9"]
        },
        { kind: "trueFalse", points: 1, id: "lazy", prompt: "An Effect does nothing until it is run.", correct: true },
        {
          kind: "shortText",
          points: 1,
          caseSensitive: false,
          id: "compose",
          prompt: "Which function threads a value through functions?",
          acceptedAnswers: ["pipe"]
        },
        {
          kind: "numeric",
          points: 1,
          tolerance: 0,
          id: "channels",
          prompt: "How many type parameters does Effect have?",
          answer: 3
        },
        {
          kind: "ordering",
          points: 1,
          id: "lifecycle",
          prompt: "Put the steps of a program in order.",
          items: [
            { id: "zq", text: "Describe" },
            { id: "bw", text: "Provide" },
            { id: "ma", text: "Run" }
          ]
        },
        {
          kind: "matching",
          points: 1,
          id: "pairs",
          prompt: "Match each constructor with what it makes.",
          pairs: [
            { left: { id: "l-s", text: "Effect.succeed" }, right: { id: "r-x", text: "a success" } },
            { left: { id: "l-f", text: "Effect.fail" }, right: { id: "r-y", text: "a typed failure" } }
          ]
        }
      ]
    })
    yield* lectern.catalog.lesson.create({
      sectionId: section.id,
      title: "Quiz: the basics",
      content: { kind: "quiz", quizId: quiz.id }
    })
    // An embed lesson, 4 s long; the test stands in for YouTube's player (there is no network here).
    yield* lectern.catalog.lesson.create({
      sectionId: section.id,
      title: "Watch: Effect in four seconds",
      content: { kind: "embed", url: "https://www.youtube.com/watch?v=dQw4w9WgXcQ" },
      durationSeconds: 4
    })
    yield* lectern.learning.assignment.create({
      courseId: course.id,
      title: "Write your first program",
      instructions: "Write a program that fails with a typed error and recovers from it.",
      maxScore: 10,
      rubric: "Runs: 5 points. Typed error: 5 points."
    })

    yield* lectern.catalog.course.submitForReview({ id: course.id })
    yield* lectern.catalog.course.review({ id: course.id, decision: "approve", feedback: "" })
    setToken(undefined)
    return { course }
  })

/**
 * Stands in for YouTube's embedded player: on the page's "listening" message it plays 4 s in real time, posting
 * infoDelivery ticks (playerState 1, currentTime) every 250 ms to the origin the embed URL names, then ends (state 0).
 */
const FAKE_YOUTUBE_PLAYER = `<!doctype html><title>player</title><script>
  const origin = new URLSearchParams(location.search).get("origin")
  let started = false
  addEventListener("message", (event) => {
    if (started || event.source !== parent || event.origin !== origin) return
    if (JSON.parse(event.data).event !== "listening") return
    started = true
    const send = (info) => parent.postMessage(JSON.stringify({ event: "infoDelivery", info }), origin)
    parent.postMessage(JSON.stringify({ event: "onReady" }), origin)
    const begin = performance.now()
    send({ playerState: 1, currentTime: 0, duration: 4, playbackRate: 1 })
    const tick = setInterval(() => {
      const at = Math.min(4, (performance.now() - begin) / 1000)
      if (at >= 4) {
        clearInterval(tick)
        send({ playerState: 0, currentTime: 4 })
      } else send({ currentTime: at })
    }, 250)
  })
</script>`

/** A verified learner account, made through the typed client (the journey test covers registering in the page). */
const makeLearner = (lectern: LecternClient, address: string) =>
  Effect.gen(function* () {
    yield* lectern.auth.user.register({ email: email(address), password: LEARNER_PASSWORD, name: "Lin Learner" })
    const [mail] = yield* lectern.auth.dev.outbox({ to: address })
    const code = /\b(\d{6})\b/.exec(mail?.text ?? "")?.[1] ?? ""
    yield* lectern.auth.user.verifyEmail({ email: email(address), code })
  })

/** The newest six-digit code mailed to `address` whose subject matches. */
const latestCode = (lectern: LecternClient, address: string, subject: RegExp) =>
  lectern.auth.dev.outbox({ to: address }).pipe(
    Effect.map((mails) => mails.find((mail) => subject.test(mail.subject))),
    Effect.flatMap((mail) => {
      const code = /\b(\d{6})\b/.exec(mail?.text ?? "")?.[1]
      return code === undefined ? Effect.fail("no mail yet" as const) : Effect.succeed(code)
    }),
    Effect.retry({ schedule: Schedule.spaced("200 millis"), times: 50 })
  )

describe("web app: learning", () => {
  it.layer(Layer.mergeAll(Gateway.Default, Chromium.Default), { timeout: 240_000 })((it) => {
    it.scoped(
      "a learner resets their password, enrolls, continues a quiz after a reload, hands in work, reaches 100% at 360 px",
      () =>
        Effect.gen(function* () {
          const { url, output } = yield* Gateway
          const browser = yield* Chromium
          let token: string | undefined
          const lectern = yield* makeLectern({ baseUrl: url, accessToken: () => token })
          const { course } = yield* publishCourse(lectern, (next) => {
            token = next
          })
          const address = `lin.${Date.now()}@example.com`
          yield* makeLearner(lectern, address)

          const problems: Array<string> = []
          const page = yield* newPage(browser, 1280, problems)
          const learnerTokens = watchForTokens(page)

          // Forgot password → the code from the dev mailbox → a new password, signed in at once.
          yield* visit(page, `${url}/login`)
          yield* step("forgot password", async () => {
            await page.getByRole("link", { name: "Forgot your password?" }).click()
            await page.getByRole("heading", { name: "Forgot your password?" }).waitFor()
            await page.getByLabel("Email").fill("not an address")
            await page.getByRole("button", { name: "Send me a code" }).click()
            await page.locator("#email-error").waitFor()
            await page.getByLabel("Email").fill(address)
            await page.getByRole("button", { name: "Send me a code" }).click()
            await page.waitForURL(/\/account\/reset-password\?email=/)
          })
          yield* screenshot(page, "01-reset-password")
          const code = yield* latestCode(lectern, address, /password/i)
          yield* step("reset password", async () => {
            await page.getByLabel("Code").fill(code === "000000" ? "111111" : "000000")
            await page.getByLabel("New password").fill(NEW_PASSWORD)
            await page.getByRole("button", { name: "Save the new password" }).click()
            await page.locator("#code-error").waitFor()
            await page.getByLabel("Code").fill(code)
            await page.getByRole("button", { name: "Save the new password" }).click()
            await page.waitForURL(/\/account\?passwordChanged=1/)
            await page.getByTestId("password-changed").waitFor()
            await page.getByTestId("viewer-name").filter({ hasText: "Lin Learner" }).waitFor()
          })

          // The profile: a bad website is refused next to its field; a good edit is saved and shown in the header.
          yield* step("edit profile", async () => {
            await page.getByLabel("Website").fill("not a url")
            await page.getByRole("button", { name: "Save profile" }).click()
            await page.locator("#website-error").waitFor()
            expect(await page.getByLabel("Website").getAttribute("aria-invalid")).toBe("true")
            await page.getByLabel("Website").fill("https://lin.example")
            await page.getByLabel("Name", { exact: true }).fill("Lin Q. Learner")
            await page.getByRole("button", { name: "Save profile" }).click()
            await page.getByTestId("profile-saved").waitFor()
            await page.getByTestId("viewer-name").filter({ hasText: "Lin Q. Learner" }).waitFor()
          })
          yield* screenshot(page, "02-account")
          expect(yield* seriousViolations(page)).toEqual([])

          // My learning, empty: no course yet.
          yield* visit(page, `${url}/learn`)
          yield* step("my learning (empty)", () => page.getByTestId("no-enrollments").waitFor())
          yield* screenshot(page, "03-my-learning-empty")

          // Enroll on the course page, then into the course.
          yield* visit(page, `${url}/courses/${course.slug}`)
          yield* step("enroll", async () => {
            await page.getByRole("button", { name: "Enroll for free" }).click()
            await page.getByTestId("go-to-course").click()
            await page.waitForURL((target) => target.pathname === `/learn/${course.id}`)
            await page.getByRole("heading", { level: 1, name: "Effect in Practice" }).waitFor()
            expect(await page.getByTestId("curriculum-lesson").count()).toBe(3)
          })
          // The article, marked complete by hand (the journey checks how articles render).
          yield* step("article lesson", async () => {
            await page.getByRole("link", { name: "Start the course" }).click()
            await page.getByTestId("lesson-title").filter({ hasText: "Reading: running effects" }).waitFor()
            await page.getByRole("heading", { name: "Running effects", exact: true }).waitFor()
            await page.getByTestId("mark-complete").click()
            await page.getByTestId("lesson-completed").waitFor()
            await page
              .locator("[data-testid=curriculum-lesson][data-status=completed]")
              .filter({ hasText: "Reading" })
              .waitFor()
          })
          yield* screenshot(page, "06-article-lesson")

          // The quiz: every kind of question, a countdown, the graded result with explanations.
          const quizLessonUrl = yield* step("quiz lesson", async () => {
            await page.getByTestId("next-lesson").click()
            await page.getByTestId("lesson-title").filter({ hasText: "Quiz: the basics" }).waitFor()
            await page.getByTestId("start-quiz").click()
            await page.getByTestId("countdown").waitFor()
            expect(await page.getByTestId("countdown").textContent()).toMatch(/Time left: (10:00|9:5\d)/)
            // A reload continues the attempt (quiz.current): the same attempt and clock, no new one started.
            await page.reload()
            await page.waitForSelector("body[data-hydrated]")
            await page.getByTestId("quiz-resumed").waitFor()
            await page.getByRole("heading", { name: "Attempt 1" }).waitFor()
            expect(await page.getByTestId("start-quiz").count()).toBe(0)
            await page.getByTestId("countdown").waitFor()
            expect(await page.getByTestId("countdown").textContent()).toMatch(/Time left: (10:00|9:[45]\d)/)
            await page.getByRole("radio", { name: "Effect.runPromise" }).check()
            await page.getByRole("checkbox", { name: "Effect.fail" }).check()
            await page.getByRole("checkbox", { name: "Effect.sync" }).check()
            await page.getByRole("radio", { name: "True", exact: true }).check()
            await page.getByRole("textbox", { name: "Your answer", exact: true }).fill("pipe")
            await page.getByRole("textbox", { name: "Your answer (a number)" }).fill("3")
            // Ordering with the keyboard-accessible buttons: bring each wanted item up to its place.
            const wanted = ["Describe", "Provide", "Run"]
            for (const [place, item] of wanted.entries()) {
              const texts = await page
                .getByTestId("ordering-item")
                .evaluateAll((items) => items.map((li) => li.querySelector("span")?.textContent ?? ""))
              for (let at = texts.indexOf(item); at > place; at--) {
                await page.getByRole("button", { name: `Move ${item} up` }).click()
              }
            }
            const finalOrder = await page
              .getByTestId("ordering-item")
              .evaluateAll((items) => items.map((li) => li.querySelector("span")?.textContent ?? ""))
            expect(finalOrder).toEqual(wanted)
            await page.getByRole("combobox", { name: "Effect.succeed" }).selectOption({ label: "a success" })
            await page.getByRole("combobox", { name: "Effect.fail" }).selectOption({ label: "a typed failure" })
            await page.getByRole("button", { name: "Submit answers" }).click()
            await page.getByTestId("quiz-result").waitFor()
            expect(await page.locator("#quiz-result-title").textContent()).toContain("Passed: 100%")
            await page.getByText("runPromise executes the effect and answers a Promise.").waitFor()
            await page.screenshot({ path: file("07-quiz-result"), fullPage: true })
            // Reloaded, the lesson remembers the attempt.
            await page.reload()
            await page.getByText("You passed this quiz.", { exact: false }).waitFor()
            await page.getByText("Your attempts (1)").waitFor()
            // Passing completed the quiz lesson.
            await page
              .locator("[data-testid=curriculum-lesson][data-status=completed]")
              .filter({ hasText: "Quiz: the basics" })
              .waitFor()
            return page.url()
          })
          expect(yield* seriousViolations(page)).toEqual([])

          // The embed lesson: a stand-in for YouTube's player (served for its URL) answers the page's "listening"
          // message as the IFrame Player API does, then plays 4 s in real time with infoDelivery ticks and ends;
          // the page turns them into played ranges and heartbeats, which complete the lesson.
          yield* step("fake YouTube player", () =>
            page.route("https://www.youtube-nocookie.com/embed/**", (route) =>
              route.fulfill({ contentType: "text/html", body: FAKE_YOUTUBE_PLAYER })
            )
          )
          yield* step("embed lesson", async () => {
            await page.getByTestId("next-lesson").click()
            await page.getByTestId("lesson-title").filter({ hasText: "Watch: Effect in four seconds" }).waitFor()
            await page.locator("[data-testid=embed-player] iframe[src]").waitFor()
            const src = (await page.locator("[data-testid=embed-player] iframe").getAttribute("src")) ?? ""
            expect(new URL(src).searchParams.get("enablejsapi")).toBe("1")
            expect(new URL(src).searchParams.get("origin")).toBe(url)
            await page
              .locator("[data-testid=curriculum-lesson][data-status=completed]")
              .filter({ hasText: "Watch: Effect in four seconds" })
              .waitFor({ timeout: 20_000 })
          })
          yield* screenshot(page, "07b-embed-lesson")

          // An assignment with text and a file of two chunks, uploaded with tus straight to /media/uploads with the
          // session cookie. The second chunk is answered 401 with the access cookie gone, as when the token runs out
          // mid-upload: the page renews the session's cookies, asks media for the offset and sends the rest from there.
          yield* visit(page, `${url}/learn/${course.id}/assignments`)
          const uploads: Array<string> = []
          yield* step("hand in an assignment", async () => {
            page.on("request", (request) => {
              if (new URL(request.url()).pathname.startsWith("/media/uploads"))
                uploads.push(`${request.method()} ${request.headers()["upload-offset"] ?? ""}`.trim())
            })
            let refused = false
            await page.route("**/media/uploads/*", async (route) => {
              const request = route.request()
              if (refused || request.method() !== "PATCH" || request.headers()["upload-offset"] === "0") {
                return route.continue()
              }
              refused = true
              await page.context().clearCookies({ name: "lectern_access" })
              return route.fulfill({
                status: 401,
                headers: { "tus-resumable": "1.0.0", "content-type": "text/plain" },
                body: "invalid or expired access token\n"
              })
            })
            await page.getByRole("heading", { name: "Write your first program" }).waitFor()
            await page.getByLabel("Your answer").fill("Effect.fail(new Oops()).pipe(Effect.catchTag('Oops', …))")
            await page.getByLabel(/^Files/).setInputFiles({
              name: "program.txt",
              mimeType: "text/plain",
              buffer: Buffer.alloc(ATTACHMENT_BYTES, "effect ")
            })
            await page.getByRole("button", { name: "Hand in" }).click()
            await page.getByText("Handed in.").waitFor()
            await page.getByTestId("submission").getByRole("link", { name: "program.txt" }).waitFor()
            await page.unroute("**/media/uploads/*")
          })
          const secondChunk = String(UPLOAD_CHUNK_BYTES)
          expect(uploads).toEqual(["POST", "PATCH 0", `PATCH ${secondChunk}`, "HEAD", `PATCH ${secondChunk}`])
          yield* screenshot(page, "08-assignment")

          // The course at 100% (the passed quiz completed its lesson), shown at 360 px wide (a phone): the player
          // stacks, nothing scrolls sideways.
          yield* step("phone width", () => page.setViewportSize({ width: 360, height: 800 }))
          yield* visit(page, quizLessonUrl)
          yield* step("the course is complete", async () => {
            await page.getByTestId("lesson-title").filter({ hasText: "Quiz: the basics" }).waitFor()
            await page.getByRole("progressbar", { name: "Progress in Effect in Practice" }).waitFor()
            await page.locator(".player-head .progress-text", { hasText: "100% complete" }).waitFor()
            expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360)
          })
          yield* screenshot(page, "08b-phone-complete")
          yield* step("desktop width", () => page.setViewportSize({ width: 1280, height: 900 }))

          // My learning: the course at 100%, recommendations with their reasons.
          yield* visit(page, `${url}/learn`)
          yield* step("my learning", async () => {
            const card = page.getByTestId("enrollment").filter({ hasText: "Effect in Practice" })
            await card.getByText("100% complete").waitFor()
            await card.getByRole("link", { name: /Review/ }).waitFor()
            const reasons = await page.locator("[data-testid=recommendation] .reason").allTextContents()
            expect(reasons.length).toBeGreaterThan(0)
            for (const reason of reasons)
              expect(reason).toMatch(/^(Learners of .+ also took this|Popular (in .+|on Lectern))$/)
          })
          yield* screenshot(page, "09-my-learning")

          // The certificate is listed (the journey downloads one and verifies its code).
          yield* visit(page, `${url}/learn/certificates`)
          yield* step("certificate", () =>
            page
              .getByTestId("certificate")
              .filter({ hasText: "Effect in Practice" })
              .getByTestId("certificate-code")
              .waitFor()
          )
          yield* screenshot(page, "10-certificates")
          expect(yield* seriousViolations(page)).toEqual([])

          // The course's owner (the admin here) sees the learner by name on the roster and the submissions.
          const owner = yield* newPage(browser, 1280, problems)
          yield* signIn(
            owner,
            url,
            { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
            `/studio/courses/${course.id}/roster`
          )
          yield* step("the roster names the learner", async () => {
            await owner.getByTestId("roster-learner").filter({ hasText: "Lin Q. Learner" }).waitFor()
          })
          yield* screenshot(owner, "12-roster")
          yield* visit(owner, `${url}/studio/courses/${course.id}/assignments`)
          yield* step("the submissions name the learner", async () => {
            await owner.getByTestId("submission-learner").filter({ hasText: "Lin Q. Learner" }).waitFor()
          })
          yield* screenshot(owner, "13-submissions")

          // The owner gives the course a thumbnail in the studio. A text file named .png passes the page's own check
          // (its type comes from the name), is uploaded, and media's refusal is shown at the field; a real PNG is
          // previewed, uploaded with the session cookie and becomes the picture of the course's card and page.
          const cover = yield* step("a PNG from FFmpeg", () =>
            run(
              "ffmpeg",
              ["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=960x720", "-frames:v", "1"].concat([
                "-f",
                "image2pipe",
                "-c:v",
                "png",
                "pipe:1"
              ]),
              { encoding: "buffer", maxBuffer: 16 * 1024 * 1024 }
            ).then(({ stdout }) => stdout)
          )
          yield* visit(owner, `${url}/studio/courses/${course.id}`)
          // The editor shows the course's text as it is (saving it must not erase it), rendered and hydrated.
          yield* step("the course editor holds the description", async () => {
            const description = owner.getByLabel("Description")
            expect(await description.inputValue()).toBe("Programs as values, run at the edge.")
          })
          const field = owner.getByTestId("thumbnail-field")
          yield* step("a text file named .png is refused at the field", async () => {
            await field.getByTestId("thumbnail-placeholder").waitFor()
            await field.getByLabel("Picture").setInputFiles({
              name: "cover.png",
              mimeType: "image/png",
              buffer: Buffer.from("not a picture at all\n")
            })
            await field.getByRole("button", { name: "Upload thumbnail" }).click()
            await field
              .getByTestId("thumbnail-error")
              .filter({ hasText: "This picture cannot be used: it is a text file, not a picture." })
              .waitFor()
            expect(await field.getByLabel("Picture").getAttribute("aria-invalid")).toBe("true")
            expect(await field.getByLabel("Picture").getAttribute("aria-describedby")).toContain(
              await field.getByTestId("thumbnail-error").getAttribute("id")
            )
          })
          const thumbnailPath = yield* step("a PNG becomes the thumbnail", async () => {
            await field.getByLabel("Picture").setInputFiles({ name: "cover.png", mimeType: "image/png", buffer: cover })
            await field.getByTestId("thumbnail-preview").waitFor()
            await field.getByRole("button", { name: "Upload thumbnail" }).click()
            await field.getByTestId("thumbnail-status").filter({ hasText: "Thumbnail saved." }).waitFor()
            const current = field.getByTestId("course-thumbnail")
            await current.waitFor()
            expect(await field.getByTestId("thumbnail-error").count()).toBe(0)
            await expect.poll(() => current.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(480)
            return new URL((await current.getAttribute("src")) ?? "", url).pathname
          })
          expect(thumbnailPath).toMatch(/^\/media\/images\/[0-9a-f-]{36}\/small\.jpg$/)
          yield* screenshot(owner, "14-thumbnail")
          expect(yield* seriousViolations(owner)).toEqual([])

          // The card on the browse page and the course page show it (same origin: the CSP's img-src allows it).
          yield* visit(owner, `${url}/courses?q=${encodeURIComponent("Effect in Practice")}`)
          yield* step("the card shows the thumbnail", async () => {
            const image = owner
              .getByTestId("course-card")
              .filter({ hasText: "Effect in Practice" })
              .getByRole("img", { name: "Effect in Practice" })
            await image.waitFor()
            expect(new URL((await image.getAttribute("src")) ?? "", url).pathname).toBe(thumbnailPath)
            expect(await image.getAttribute("loading")).toBe("lazy")
            expect([await image.getAttribute("width"), await image.getAttribute("height")]).toEqual(["480", "270"])
            await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(480)
          })
          yield* visit(owner, `${url}/courses`)
          yield* step("courses without a thumbnail show the placeholder", async () => {
            await owner.getByTestId("course-card").first().waitFor()
            expect(await owner.getByTestId("course-card").getByTestId("thumbnail-placeholder").count()).toBeGreaterThan(
              0
            )
          })
          yield* screenshot(owner, "15-browse-thumbnails")
          yield* visit(owner, `${url}/courses/${course.slug}`)
          yield* step("the course page shows the large render", async () => {
            const image = owner.locator("header.course-header").getByRole("img", { name: "Effect in Practice" })
            expect(new URL((await image.getAttribute("src")) ?? "", url).pathname).toBe(
              thumbnailPath.replace(/small\.jpg$/, "large.jpg")
            )
            await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1280)
          })
          expect(yield* seriousViolations(owner)).toEqual([])

          // Sign out everywhere: back at the sign-in page, and the old session no longer opens my learning.
          yield* visit(page, `${url}/account`)
          yield* step("sign out everywhere", async () => {
            await page.getByRole("button", { name: "Sign out everywhere" }).click()
            await page.waitForURL(/\/login\?signedOut=everywhere/)
            await page.getByRole("link", { name: "Sign in" }).first().waitFor()
          })
          yield* visit(page, `${url}/learn`)
          yield* step("signed out", () => page.getByRole("link", { name: "Sign in" }).first().waitFor())

          // The heartbeat route only takes what the contract allows, and only from this origin.
          const badBeat = yield* step("a malformed heartbeat", () =>
            fetch(`${url}/learn/heartbeat`, {
              method: "POST",
              headers: { origin: url, "content-type": "application/json" },
              body: JSON.stringify({ lessonId: "x", mediaPositionSeconds: -1, playedRanges: [[5, 1]], playbackRate: 9 })
            }).then(async (response) => ({ status: response.status, body: await response.json() }))
          )
          expect(badBeat.body).toMatchObject({ ok: false, error: { _tag: "InvalidInput" } })
          const crossSite = yield* step("a cross-site heartbeat", () =>
            fetch(`${url}/learn/heartbeat`, {
              method: "POST",
              headers: { origin: "https://evil.example", "content-type": "application/json" },
              body: "{}"
            })
          )
          expect(crossSite.status).toBe(403)

          yield* learnerTokens.check
          // The chunk refused for its expired token answered 401, which Chromium logs; nothing else went wrong.
          expect(problems.filter((problem) => !/status of 401/.test(problem))).toEqual([])
          expect(output()).not.toContain(NEW_PASSWORD)
        }).pipe(TestServices.provideLive),
      { timeout: 200_000 }
    )
  })
})
