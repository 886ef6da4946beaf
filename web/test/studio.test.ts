// End to end in Chromium: a learner applies to become a creator, an admin approves, the creator builds a course
// (a video uploaded with tus and transcoded, an article, a quiz), reorders it from the keyboard and submits it; the
// admin approves it and it appears in public search. axe-core on the studio pages, a screenshot per page.
import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { startGatewayProcess } from "@lectern/testkit/GatewayProcess"
import axe from "axe-core"
import { Data, Effect, Layer, Schema } from "effect"
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core"
import { ensureWebBuild } from "../scripts/ensure-build.ts"

const ARTEFACTS = new URL("../test-results/studio/", import.meta.url).pathname
const PASSWORD = "a long and private passphrase"
const ADMIN_EMAIL = "studio.admin@example.com"
const ADMIN_PASSWORD = "the studio admin's passphrase"
const COURSE_TITLE = "Effect Schemas in Practice"

class StepFailed extends Data.TaggedError("StepFailed")<{ readonly step: string; readonly cause: unknown }> {}

/** One awaited piece of the journey, named in the failure. */
const step = <A>(name: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new StepFailed({ step: name, cause }) })

/** The web app built when stale, then the gateway as `npm start` runs it, with a first admin, on a fresh data dir. */
class Gateway extends Effect.Service<Gateway>()("web/test/StudioGateway", {
  scoped: Effect.sync(() => ensureWebBuild({ quiet: true })).pipe(
    Effect.zipRight(
      startGatewayProcess({
        ACCESS_LOG: "false",
        LECTERN_ADMIN_EMAIL: ADMIN_EMAIL,
        LECTERN_ADMIN_PASSWORD: ADMIN_PASSWORD
      })
    ),
    Effect.mapError((error) => new Error(`the gateway did not start:\n${error.output.slice(-4000)}`))
  )
}) {}

class Chromium extends Effect.Service<Chromium>()("web/test/StudioChromium", {
  scoped: Effect.acquireRelease(
    step("launch chromium", () =>
      chromium.launch({
        executablePath: "/usr/bin/chromium",
        headless: true,
        args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
      })
    ),
    (browser: Browser) => Effect.promise(() => browser.close())
  )
}) {}

/** A 2-second 320×180 H.264/AAC clip from FFmpeg's test sources, removed with the scope. */
const sampleVideo = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "lectern-studio-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
).pipe(
  Effect.flatMap((dir) =>
    step("ffmpeg", async () => {
      const path = join(dir, "welcome.mp4")
      await promisify(execFile)("ffmpeg", [
        ...["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2"],
        ...["-f", "lavfi", "-i", "sine=frequency=440:duration=2"],
        ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", path]
      ])
      return path
    })
  )
)

const Violations = Schema.Array(
  Schema.Struct({ id: Schema.String, impact: Schema.NullOr(Schema.String), help: Schema.String, nodes: Schema.Number })
)

/** axe-core's serious and critical violations on the page as it is now. */
const seriousViolations = (page: Page) =>
  step("axe", async () => {
    await page.evaluate(axe.source)
    const found = await page.evaluate(
      "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => " +
        "({ id: v.id, impact: v.impact ?? null, help: v.help, nodes: v.nodes.length })))"
    )
    return Schema.decodeUnknownSync(Violations)(found).filter((v) => v.impact === "serious" || v.impact === "critical")
  })

const screenshot = (page: Page, name: string) =>
  step(`screenshot ${name}`, () => page.screenshot({ path: join(ARTEFACTS, `${name}.png`), fullPage: true }))

/** A screenshot, then axe: no serious or critical violations. */
const checkPage = (page: Page, name: string) =>
  Effect.gen(function* () {
    yield* screenshot(page, name)
    expect(yield* seriousViolations(page), name).toEqual([])
  })

const hydrated = (page: Page) => page.waitForSelector("body[data-hydrated]")

/** Navigates and waits until the page has hydrated (its handlers are attached). */
const visit = (page: Page, url: string) =>
  step(`visit ${url}`, async () => {
    await page.goto(url)
    await hydrated(page)
  })

const newPage = (browser: Browser, width: number, problems: Array<string>) =>
  Effect.gen(function* () {
    const context: BrowserContext = yield* Effect.acquireRelease(
      step("context", () => browser.newContext({ viewport: { width, height: 900 } })),
      (context) => Effect.promise(() => context.close())
    )
    const page = yield* step("page", () => context.newPage())
    page.setDefaultTimeout(15_000)
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`))
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`)
    })
    return page
  })

describe("studio and admin", () => {
  it.layer(Layer.mergeAll(Gateway.Default, Chromium.Default), { timeout: 180_000 })((it) => {
    it.scoped(
      "a learner becomes a creator, builds a course with a video, an article and a quiz; an admin publishes it",
      () =>
        Effect.gen(function* () {
          const { url, output } = yield* Gateway
          const browser = yield* Chromium
          const video = yield* sampleVideo
          mkdirSync(ARTEFACTS, { recursive: true })
          const problems: Array<string> = []
          // The creator works on a 360 px phone, the admin on a desktop.
          const creator = yield* newPage(browser, 360, problems)
          const admin = yield* newPage(browser, 1280, problems)
          // When a step fails, both pages as they were go to the artefacts.
          yield* Effect.addFinalizer((exit) =>
            exit._tag === "Success"
              ? Effect.void
              : Effect.all([screenshot(creator, "failed-creator"), screenshot(admin, "failed-admin")]).pipe(
                  Effect.timeout("5 seconds"),
                  Effect.ignore,
                  Effect.zipRight(Effect.sync(() => console.error(output().slice(-6000))))
                )
          )

          // Signed out, the studio and the admin area send you to sign in first.
          yield* step("signed out", async () => {
            await admin.goto(`${url}/studio`)
            await admin.waitForURL(/\/login\?next=%2Fstudio/)
            await admin.goto(`${url}/admin/users`)
            await admin.waitForURL(/\/login\?next=%2Fadmin%2Fusers/)
          })

          // A learner registers and verifies through the dev mailbox.
          const email = `creator.${Date.now()}@example.com`
          yield* visit(creator, `${url}/register`)
          yield* step("register", async () => {
            await creator.getByLabel("Name").fill("Grace Creator")
            await creator.getByLabel("Email").fill(email)
            await creator.getByLabel("Password").fill(PASSWORD)
            await creator.getByRole("button", { name: "Create account" }).click()
            await creator.waitForURL(/\/verify-email\?email=/)
          })
          yield* visit(creator, `${url}/dev/mailbox?to=${encodeURIComponent(email)}`)
          const code = yield* step("mailbox", async () => {
            const text = (await creator.getByTestId("mail").first().textContent()) ?? ""
            return /\b(\d{6})\b/.exec(text)?.[1] ?? ""
          })
          yield* visit(creator, `${url}/verify-email?email=${encodeURIComponent(email)}`)
          yield* step("verify", async () => {
            await creator.getByLabel("Code").fill(code)
            await creator.getByRole("button", { name: "Verify and sign in" }).click()
            await creator.waitForURL(/\/\?welcome=1/)
            await creator.getByTestId("viewer-name").waitFor()
          })

          // A learner may not enter the admin area.
          yield* visit(creator, `${url}/admin`)
          yield* step("admin refuses a learner", () => creator.getByTestId("forbidden").waitFor())
          yield* screenshot(creator, "01-admin-forbidden")

          // The application: a too-short bio is refused next to its field, then it is sent and shown as pending.
          yield* step("navigate to the studio", async () => {
            await creator.getByRole("link", { name: "Teach on Lectern" }).click()
            await creator.getByRole("heading", { name: "Become a creator" }).waitFor()
          })
          yield* step("apply with a short bio", async () => {
            await creator.getByLabel("About you and what you would teach").fill("Too short.")
            await creator.getByLabel("Topics").fill("Effect, TypeScript")
            await creator.getByRole("button", { name: "Send application" }).click()
            await creator.locator("#bio-error").filter({ hasText: "at least 20 characters" }).waitFor()
          })
          yield* checkPage(creator, "02-studio-apply")
          yield* step("apply", async () => {
            await creator
              .getByLabel("About you and what you would teach")
              .fill("I have taught TypeScript and Effect to teams for years and would like to publish courses.")
            await creator.getByLabel("Years of experience").fill("6")
            await creator.getByRole("button", { name: "Send application" }).click()
            await creator.getByTestId("application-status").filter({ hasText: "An admin will review it" }).waitFor()
          })
          yield* checkPage(creator, "03-studio-pending")

          // The admin signs in and approves the application with a note.
          yield* visit(admin, `${url}/login?next=${encodeURIComponent("/admin/applications")}`)
          yield* step("admin signs in", async () => {
            await admin.getByLabel("Email").fill(ADMIN_EMAIL)
            await admin.getByLabel("Password").fill(ADMIN_PASSWORD)
            await admin.getByRole("button", { name: "Sign in" }).click()
            await admin.waitForURL(/\/admin\/applications/)
            await hydrated(admin)
          })
          yield* step("approve the application", async () => {
            const application = admin.getByTestId("application").filter({ hasText: "Grace Creator" })
            await application.waitFor()
            await application.getByLabel("Notes to the applicant").fill("Welcome aboard.")
            await application.getByRole("button", { name: "Approve" }).click()
            await admin.getByText("No pending applications.").waitFor()
          })
          yield* checkPage(admin, "04-admin-applications")

          // The creator's next visit picks up the new role (the session refreshes): their studio lists courses.
          yield* visit(creator, `${url}/studio`)
          yield* step("studio as a creator", async () => {
            await creator.getByRole("heading", { name: "Your courses" }).waitFor()
            await creator.getByText("No courses yet.").waitFor()
          })
          yield* checkPage(creator, "05-studio-empty")

          // A new course: a missing title is refused next to the field, then it is created.
          yield* step("new course", async () => {
            await creator.getByRole("link", { name: "New course" }).click()
            await creator.getByRole("heading", { name: "New course" }).waitFor()
            await creator.getByRole("button", { name: "Create course" }).click()
            await creator.locator("#title-error").waitFor()
          })
          yield* checkPage(creator, "06-new-course-error")
          const courseUrl = yield* step("create the course", async () => {
            await creator.getByLabel("Title", { exact: true }).fill(COURSE_TITLE)
            await creator.getByLabel("Subtitle").fill("Decode, encode and validate data with confidence")
            await creator.getByLabel("Description").fill("Schemas from first principles to production use.")
            await creator.getByLabel("Tags").fill("effect, schema")
            await creator.getByRole("button", { name: "Create course" }).click()
            await creator.waitForURL(/\/studio\/courses\/[0-9a-f-]{36}\?created=1/)
            await hydrated(creator)
            await creator.getByTestId("course-status").filter({ hasText: "Draft" }).waitFor()
            return creator.url().replace(/\?.*$/, "")
          })
          yield* step("add a section", async () => {
            await creator.getByLabel("New section title").fill("Getting started")
            await creator.getByRole("button", { name: "Add section" }).click()
            await creator.getByTestId("section").filter({ hasText: "Add to “Getting started”" }).waitFor()
          })

          // A video lesson: the file goes up with tus (the bar reaches 100%), then it is transcoded until ready.
          yield* step("add a video lesson", async () => {
            await creator.getByRole("link", { name: "Add video lesson to “Getting started”" }).click()
            await creator.getByRole("heading", { name: "New video lesson" }).waitFor()
            await hydrated(creator)
            await creator.getByLabel("Lesson title").fill("Welcome")
            await creator.getByLabel("Video file").setInputFiles(video)
            const complete = creator.getByTestId("upload-progress").filter({ hasText: "100%" }).waitFor()
            await creator.getByRole("button", { name: "Upload and create lesson" }).click()
            await complete
            await creator.waitForURL(/\/lessons\/[0-9a-f-]{36}\?saved=1/)
            await creator.getByTestId("media-panel").waitFor()
          })
          yield* step("the video becomes ready", () =>
            creator.getByTestId("media-status").filter({ hasText: "Ready" }).waitFor({ timeout: 90_000 })
          )
          yield* checkPage(creator, "07-video-lesson")

          // An article lesson.
          yield* visit(creator, courseUrl)
          yield* step("add an article lesson", async () => {
            await creator.getByRole("link", { name: "Add article lesson to “Getting started”" }).click()
            await creator.getByRole("heading", { name: "New article lesson" }).waitFor()
            await hydrated(creator)
            await creator.getByLabel("Lesson title").fill("Why schemas")
            await creator
              .getByLabel("Article (Markdown)")
              .fill("# Why schemas\n\nTypes vanish at run time; **schemas** stay.")
            await creator.getByRole("button", { name: "Create lesson" }).click()
            await creator.waitForURL(/\/lessons\/[0-9a-f-]{36}\?saved=1/)
            await creator.getByRole("heading", { level: 1, name: "Why schemas" }).waitFor()
          })

          // A quiz lesson: an empty option is refused at its question, then the quiz is saved.
          yield* visit(creator, courseUrl)
          yield* step("add a quiz lesson", async () => {
            await creator.getByRole("link", { name: "Add quiz lesson to “Getting started”" }).click()
            await creator.getByRole("heading", { name: "New quiz lesson" }).waitFor()
            await hydrated(creator)
            await creator.getByTestId("question").first().waitFor()
            await creator.getByLabel("Quiz title").fill("Check your understanding")
            await creator.getByLabel("Question 1 prompt").fill("Which function decodes unknown input?")
            await creator.getByLabel("Option 1", { exact: true }).fill("Schema.decodeUnknown")
            await creator.getByLabel("Option 1 is correct").check()
            await creator.getByRole("button", { name: "Save quiz" }).click()
            await creator.getByTestId("question").getByRole("alert").filter({ hasText: "Question 1" }).waitFor()
          })
          yield* checkPage(creator, "08-quiz-editor-error")
          yield* step("save the quiz", async () => {
            await creator.getByLabel("Option 2", { exact: true }).fill("Schema.encode")
            await creator.getByRole("button", { name: "Add question" }).click()
            await creator.getByLabel("Question 2 prompt").fill("Schemas are checked at run time.")
            await creator.locator("#q1-kind").selectOption("trueFalse")
            await creator.getByRole("button", { name: "Save quiz" }).click()
            await creator.waitForURL(/\/lessons\/[0-9a-f-]{36}$/)
            await creator.getByRole("heading", { level: 1, name: "Check your understanding" }).waitFor()
            await creator.getByTestId("question").nth(1).waitFor()
            expect(await creator.getByLabel("Question 2 prompt").inputValue()).toBe("Schemas are checked at run time.")
          })
          yield* checkPage(creator, "09-quiz-editor")

          // Keyboard reordering: the article moves above the video, and stays there after a reload.
          yield* visit(creator, courseUrl)
          yield* step("reorder from the keyboard", async () => {
            const titles = () => creator.getByTestId("lesson-row").locator(".lesson-main > a").allTextContents()
            expect(await titles()).toEqual(["Welcome", "Why schemas", "Check your understanding"])
            const up = creator.getByRole("button", { name: "Move lesson “Why schemas” up" })
            await up.focus()
            await creator.keyboard.press("Enter")
            await creator.getByTestId("reorder-status").filter({ hasText: "moved to position 1" }).waitFor()
            // The keyboard stays with the moved lesson: at the top now, its "down" button has the focus.
            expect(await creator.evaluate("document.activeElement?.getAttribute('aria-label')")).toBe(
              "Move lesson “Why schemas” down"
            )
            await creator.reload()
            await hydrated(creator)
            await creator.getByTestId("lesson-row").first().filter({ hasText: "Why schemas" }).waitFor()
            expect(await titles()).toEqual(["Why schemas", "Welcome", "Check your understanding"])
            // The course's quizzes (quiz.list), each with the lesson that shows it.
            const quiz = creator.getByTestId("course-quiz")
            expect(await quiz.count()).toBe(1)
            expect(await quiz.textContent()).toMatch(
              /Check your understanding · 2 questions · in “Check your understanding”/
            )
          })
          yield* checkPage(creator, "10-course-editor")

          // Submit for review. Catalog learns the video is ready from media's event; until it has, the submission
          // is refused with a message saying so, and the creator tries again.
          yield* step("submit for review", async () => {
            for (let attempt = 0; attempt < 20; attempt++) {
              await creator.getByRole("button", { name: "Submit for review" }).click()
              const outcome = await Promise.race([
                creator
                  .getByTestId("submitted")
                  .waitFor()
                  .then(
                    () => "submitted" as const,
                    () => "neither" as const
                  ),
                creator
                  .getByRole("alert")
                  .filter({ hasText: "still being processed" })
                  .waitFor()
                  .then(
                    () => "processing" as const,
                    () => "neither" as const
                  )
              ])
              if (outcome === "submitted") return
              await creator.reload()
              await hydrated(creator)
            }
            throw new Error("the course never became ready for review")
          })
          yield* step("in review", () =>
            creator.getByTestId("course-status").filter({ hasText: "In review" }).waitFor()
          )
          yield* checkPage(creator, "11-course-in-review")

          // The admin finds it in the review queue (catalog's, with the creator's name and when it was submitted)
          // and approves it with feedback.
          yield* visit(admin, `${url}/admin`)
          yield* step("admin home counts the queue", () =>
            admin.getByTestId("pending-reviews").filter({ hasText: "1 course waiting for review." }).waitFor()
          )
          yield* visit(admin, `${url}/admin/reviews`)
          yield* step("approve the course", async () => {
            const item = admin.getByTestId("review-item").filter({ hasText: COURSE_TITLE })
            await item.waitFor()
            await item.getByText(/by Grace Creator \(creator\.\d+@example\.com\)/).waitFor()
            expect(await item.locator("time").getAttribute("datetime")).toMatch(/^\d{4}-\d\d-\d\dT/)
            await item.getByLabel("Feedback to the creator").fill("Clear and well paced.")
            await item.getByRole("button", { name: "Approve and publish" }).click()
            await admin.getByText("Nothing waits for review.").waitFor()
          })
          yield* checkPage(admin, "12-admin-reviews")

          // The creator sees it published with the feedback and its history.
          yield* visit(creator, courseUrl)
          yield* step("published", async () => {
            await creator.getByTestId("course-status").filter({ hasText: "Published" }).waitFor()
            await creator.getByTestId("review-feedback").filter({ hasText: "Clear and well paced." }).waitFor()
          })
          yield* screenshot(creator, "13-course-published")

          // Anyone finds it by search.
          yield* visit(admin, `${url}/courses?q=${encodeURIComponent("Schemas in Practice")}`)
          yield* step("public search", () => admin.getByRole("link", { name: COURSE_TITLE }).waitFor())
          yield* screenshot(admin, "14-search")

          // The admin's other pages: users (search, the creator's role), dead letters.
          yield* visit(admin, `${url}/admin/users?q=${encodeURIComponent(email)}`)
          yield* step("users", async () => {
            const user = admin.getByTestId("user").filter({ hasText: "Grace Creator" })
            await user.waitFor()
            expect(await user.getByLabel("Role").inputValue()).toBe("creator")
          })
          yield* checkPage(admin, "15-admin-users")
          yield* visit(admin, `${url}/admin/events`)
          yield* step("dead letters", () => admin.getByText("No dead letters.").waitFor())
          yield* checkPage(admin, "16-admin-events")

          // The refused admin page answered 403, which Chromium logs; nothing else may have gone wrong.
          expect(problems.filter((problem) => !/status of 403/.test(problem))).toEqual([])
        }),
      { timeout: 170_000 }
    )
  })
})
