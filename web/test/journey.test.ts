// End to end in a real browser: `npm start`'s gateway on embedded defaults serving the built web app, driven by
// Debian's Chromium through playwright-core — browse, search, a course, register, verify by the dev mailbox, sign
// in and out — with a screenshot per page and axe-core on the home and course pages.
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { startGatewayProcess } from "@lectern/testkit/GatewayProcess"
import axe from "axe-core"
import { Data, Effect, Layer, Schema } from "effect"
import { type Browser, chromium, type Page } from "playwright-core"
import { ensureWebBuild } from "../scripts/ensure-build.ts"

const ARTEFACTS = new URL("../test-results/journey/", import.meta.url).pathname
const PASSWORD = "a long and private passphrase"

class StepFailed extends Data.TaggedError("StepFailed")<{ readonly step: string; readonly cause: unknown }> {}

/** One awaited piece of the journey, named in the failure. */
const step = <A>(name: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new StepFailed({ step: name, cause }) })

/** The web app built (once, when web/dist is stale), then the gateway as `npm start` runs it, on a fresh data dir. */
class Gateway extends Effect.Service<Gateway>()("web/test/Gateway", {
  scoped: Effect.sync(() => ensureWebBuild({ quiet: true })).pipe(
    Effect.zipRight(startGatewayProcess({ ACCESS_LOG: "false" })),
    Effect.mapError((error) => new Error(`the gateway did not start:\n${error.output.slice(-4000)}`))
  )
}) {}

class Chromium extends Effect.Service<Chromium>()("web/test/Chromium", {
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

/** Navigates and waits until the page has hydrated (its handlers are attached). */
const visit = (page: Page, url: string) =>
  step(`visit ${url}`, async () => {
    await page.goto(url)
    await page.waitForSelector("body[data-hydrated]")
  })

describe("web app", () => {
  it.layer(Layer.mergeAll(Gateway.Default, Chromium.Default), { timeout: 180_000 })((it) => {
    it.scoped(
      "a learner browses, searches, opens a course, registers, verifies by the dev mailbox, signs in and out",
      () =>
        Effect.gen(function* () {
          const { url } = yield* Gateway
          const browser = yield* Chromium
          mkdirSync(ARTEFACTS, { recursive: true })
          const context = yield* Effect.acquireRelease(
            step("context", () => browser.newContext({ viewport: { width: 360, height: 800 } })),
            (context) => Effect.promise(() => context.close())
          )
          const page = yield* step("page", () => context.newPage())
          page.setDefaultTimeout(15_000)
          const problems: Array<string> = []
          page.on("pageerror", (error) => problems.push(`page error: ${error.message}`))
          page.on("console", (message) => {
            if (message.type() === "error") problems.push(`console: ${message.text()}`)
          })

          // Home: the demo catalog a first embedded start seeds, popular and new.
          yield* visit(page, `${url}/`)
          yield* step("home", async () => {
            await page.getByRole("heading", { level: 1 }).waitFor()
            await page.locator("#popular ~ ul [data-testid=course-card]").first().waitFor()
            expect(await page.locator("[data-testid=course-card]").count()).toBeGreaterThanOrEqual(3)
            expect(await page.getByRole("link", { name: "TypeScript from Zero to Confident" }).count()).toBeGreaterThan(
              0
            )
          })
          yield* screenshot(page, "01-home")
          expect(yield* seriousViolations(page)).toEqual([])

          // Search from the home page: the query lands in the URL, one course matches.
          yield* step("search", async () => {
            await page.getByLabel("Search courses").fill("TypeScript")
            await page.getByLabel("Search courses").press("Enter")
            await page.waitForURL(/\/courses\?q=TypeScript/)
            await page.getByTestId("results-summary").filter({ hasText: "1 course found" }).waitFor()
          })
          yield* screenshot(page, "02-search")

          // Filters go into the URL too: beginner courses, newest first.
          yield* visit(page, `${url}/courses`)
          yield* step("filters", async () => {
            await page.getByLabel("Level").selectOption("beginner")
            await page.getByLabel("Sort by").selectOption("newest")
            await page.getByRole("button", { name: "Apply filters" }).click()
            await page.waitForURL(/level=beginner/)
            expect(new URL(page.url()).searchParams.get("sort")).toBe("newest")
            await page.getByTestId("results-summary").waitFor()
            expect(await page.getByLabel("Level").inputValue()).toBe("beginner")
          })

          // The course page: curriculum with durations and preview lessons, numbers, enroll button.
          yield* visit(page, `${url}/courses?q=TypeScript`)
          yield* step("course page", async () => {
            await page.getByRole("link", { name: "TypeScript from Zero to Confident" }).click()
            await page.getByRole("heading", { level: 1, name: "TypeScript from Zero to Confident" }).waitFor()
            await page.getByRole("heading", { name: "Curriculum" }).waitFor()
            expect(await page.getByTestId("lesson").count()).toBeGreaterThan(1)
            expect(await page.locator(".badge", { hasText: "Preview" }).count()).toBeGreaterThan(0)
            await page.getByTestId("enrollment-count").waitFor()
            await page.getByRole("button", { name: "Enroll for free" }).waitFor()
          })
          const coursePath = new URL(page.url()).pathname
          yield* screenshot(page, "03-course")
          expect(yield* seriousViolations(page)).toEqual([])

          // Register: a weak password is refused next to its field, then the account is created.
          const email = `learner.${Date.now()}@example.com`
          yield* visit(page, `${url}/register`)
          yield* step("register with a weak password", async () => {
            await page.getByLabel("Name").fill("Ada Learner")
            await page.getByLabel("Email").fill(email)
            await page.getByLabel("Password").fill("short")
            await page.getByRole("button", { name: "Create account" }).click()
            const error = page.locator("#password-error")
            await error.waitFor()
            expect(await error.textContent()).toContain("at least 12 characters")
            expect(await page.getByLabel("Password").getAttribute("aria-invalid")).toBe("true")
          })
          yield* screenshot(page, "04-register-error")
          yield* step("register", async () => {
            await page.getByLabel("Password").fill(PASSWORD)
            await page.getByRole("button", { name: "Create account" }).click()
            await page.waitForURL(/\/verify-email\?email=/)
          })
          yield* screenshot(page, "05-verify-email")

          // The dev mailbox shows the verification mail with its code.
          yield* visit(page, `${url}/dev/mailbox?to=${encodeURIComponent(email)}`)
          const code = yield* step("dev mailbox", async () => {
            const mail = page.getByTestId("mail").first()
            await mail.waitFor()
            const text = (await mail.textContent()) ?? ""
            const found = /\b(\d{6})\b/.exec(text)?.[1]
            expect(found).toMatch(/^\d{6}$/)
            return found ?? ""
          })
          yield* screenshot(page, "06-mailbox")

          // Verify: a wrong code is refused next to the field; the right one signs the learner in.
          yield* visit(page, `${url}/verify-email?email=${encodeURIComponent(email)}`)
          yield* step("verify email", async () => {
            expect(await page.getByLabel("Email").inputValue()).toBe(email)
            await page.getByLabel("Code").fill(code === "000000" ? "111111" : "000000")
            await page.getByRole("button", { name: "Verify and sign in" }).click()
            await page.locator("#code-error").waitFor()
            await page.getByLabel("Code").fill(code)
            await page.getByRole("button", { name: "Verify and sign in" }).click()
            await page.waitForURL(/\/\?welcome=1/)
            await page.getByTestId("viewer-name").filter({ hasText: "Ada Learner" }).waitFor()
          })
          yield* screenshot(page, "07-signed-in")

          // The session lives in httpOnly, SameSite=Lax cookies that page scripts cannot read.
          const cookies = yield* step("cookies", () => context.cookies())
          const session = cookies.filter((cookie) => cookie.name.startsWith("lectern_"))
          expect(session.map((cookie) => cookie.name).sort()).toEqual(["lectern_access", "lectern_refresh"])
          for (const cookie of session) {
            expect(cookie.httpOnly).toBe(true)
            expect(cookie.sameSite).toBe("Lax")
          }
          expect(yield* step("document.cookie", () => page.evaluate("document.cookie"))).toBe("")

          // Transparent refresh: without an access token (its cookie expires with it), or with one that no longer
          // verifies, the next page trades the refresh token for a new session and the learner stays signed in.
          yield* step("refresh an expired session", async () => {
            const refreshBefore = (await context.cookies()).find((c) => c.name === "lectern_refresh")?.value
            await context.clearCookies({ name: "lectern_access" })
            await page.reload()
            await page.getByTestId("viewer-name").filter({ hasText: "Ada Learner" }).waitFor()
            const after = await context.cookies()
            expect(after.find((c) => c.name === "lectern_access")?.value).toBeTruthy()
            expect(after.find((c) => c.name === "lectern_refresh")?.value).not.toBe(refreshBefore)
          })
          yield* step("refresh a session whose token does not verify", async () => {
            await context.addCookies([{ name: "lectern_access", value: "not-a-token", url }])
            await page.reload()
            await page.getByTestId("viewer-name").filter({ hasText: "Ada Learner" }).waitFor()
            expect((await context.cookies()).find((c) => c.name === "lectern_access")?.value).not.toBe("not-a-token")
          })

          // Sign out, then sign in again (a wrong password first), and enroll.
          yield* step("sign out", async () => {
            await page.getByRole("button", { name: "Sign out" }).click()
            await page.getByRole("link", { name: "Sign in" }).waitFor()
          })
          yield* visit(page, `${url}/login?next=${encodeURIComponent(coursePath)}`)
          yield* step("sign in with a wrong password", async () => {
            await page.getByLabel("Email").fill(email)
            await page.getByLabel("Password").fill("not the password at all")
            await page.getByRole("button", { name: "Sign in" }).click()
            await page.locator("#password-error").filter({ hasText: "not right" }).waitFor()
          })
          yield* screenshot(page, "08-login-error")
          yield* step("sign in", async () => {
            await page.getByLabel("Password").fill(PASSWORD)
            await page.getByRole("button", { name: "Sign in" }).click()
            await page.waitForURL((target) => target.pathname === coursePath)
            await page.getByTestId("viewer-name").filter({ hasText: "Ada Learner" }).waitFor()
          })
          yield* step("enroll", async () => {
            await page.getByRole("button", { name: "Enroll for free" }).click()
            await page.getByTestId("enrolled").waitFor()
          })
          yield* screenshot(page, "09-enrolled")
          yield* step("sign out again", async () => {
            await page.getByRole("button", { name: "Sign out" }).click()
            await page.getByRole("link", { name: "Sign in" }).waitFor()
          })
          expect(
            (yield* step("cookies after sign out", () => context.cookies())).filter((c) =>
              c.name.startsWith("lectern_")
            )
          ).toEqual([])

          // A certificate code nobody was given does not verify.
          yield* visit(page, `${url}/verify/NOT-A-REAL-CODE`)
          yield* step("verify page", () => page.getByTestId("certificate-invalid").waitFor())
          yield* screenshot(page, "10-verify")

          expect(problems).toEqual([])
        }),
      { timeout: 90_000 }
    )

    it.scoped("the gateway keeps its own paths; the web app refuses cross-site writes", () =>
      Effect.gen(function* () {
        const { url } = yield* Gateway
        const health = yield* step("health", () => fetch(`${url}/health`))
        expect(health.headers.get("content-type")).toContain("application/json")
        const noService = yield* step("rpc", () => fetch(`${url}/rpc/nope`, { method: "POST" }))
        expect(noService.status).toBe(404)
        expect(noService.headers.get("content-type")).toContain("application/json")
        const media = yield* step("media", () => fetch(`${url}/media/not-a-route`))
        expect(media.headers.get("content-type")).toContain("application/json")

        const page = yield* step("page", () => fetch(`${url}/courses`))
        expect(page.status).toBe(200)
        expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self' 'nonce-[^']+'/)
        const html = yield* step("html", () => page.text())
        const asset = /\/_build\/assets\/[^"]+\.js/.exec(html)?.[0]
        expect(asset).toBeDefined()
        const script = yield* step("asset", () => fetch(`${url}${asset}`, { headers: { "accept-encoding": "gzip" } }))
        expect(script.status).toBe(200)
        expect(script.headers.get("cache-control")).toBe("public, max-age=31536000, immutable")

        const missing = yield* step("404", () => fetch(`${url}/no/such/page`))
        expect(missing.status).toBe(404)
        const course = yield* step("missing course", () => fetch(`${url}/courses/no-such-course`))
        expect(course.status).toBe(404)

        // A form posted from another site to a server function is refused before it runs.
        const crossSite = yield* step("cross-site post", () =>
          fetch(`${url}/_server?id=anything`, {
            method: "POST",
            headers: { origin: "https://evil.example", "content-type": "application/x-www-form-urlencoded" },
            body: "email=a%40b.co"
          })
        )
        expect(crossSite.status).toBe(403)
        const noOrigin = yield* step("post without origin", () =>
          fetch(`${url}/_server?id=anything`, { method: "POST", body: "x" })
        )
        expect(noOrigin.status).toBe(403)
      })
    )
  })
})
