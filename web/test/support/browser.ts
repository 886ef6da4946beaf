// Shared pieces of the web app's end-to-end tests: the gateway (with a CLI-created admin), Chromium, steps, axe-core,
// screenshots, FFmpeg clips, and the learner's walk through a video lesson as the journey and the learn test play it.
import { execFile } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify } from "node:util"
import { expect } from "@effect/vitest"
import { startGatewayProcess } from "@lectern/testkit/GatewayProcess"
import axe from "axe-core"
import { Data, Effect, Schema } from "effect"
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core"
import { ensureWebBuild } from "../../scripts/ensure-build.ts"

export const run = promisify(execFile)
const repoRoot = new URL("../../../", import.meta.url).pathname

export class StepFailed extends Data.TaggedError("StepFailed")<{ readonly step: string; readonly cause: unknown }> {}

/** One awaited piece of a journey, named in the failure. */
export const step = <A>(name: string, body: () => Promise<A>) =>
  Effect.tryPromise({ try: body, catch: (cause) => new StepFailed({ step: name, cause }) })

/**
 * A fresh embedded data directory whose first admin the CLI creates (`lectern admin create`), then the gateway as
 * `npm start` runs it on that directory, with the web app built when stale.
 */
export const gatewayWithCliAdmin = (admin: { readonly email: string; readonly password: string }) =>
  Effect.gen(function* () {
    yield* Effect.sync(() => ensureWebBuild({ quiet: true }))
    const dataDir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "lectern-web-e2e-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    yield* step("the CLI creates the admin", () =>
      run(
        process.execPath,
        [
          join(repoRoot, "services/gateway/src/cli.ts"),
          ...["admin", "create", "--email", admin.email, "--password", admin.password]
        ],
        { cwd: repoRoot, env: { ...process.env, LECTERN_DATA_DIR: dataDir } }
      )
    )
    return yield* startGatewayProcess({ ACCESS_LOG: "false", LECTERN_DATA_DIR: dataDir }).pipe(
      Effect.mapError((error) => new Error(`the gateway did not start:\n${error.output.slice(-4000)}`))
    )
  })

/** Debian's Chromium, headless; videos may start without a gesture (there is no speaker anyway). */
export const launchChromium = Effect.acquireRelease(
  step("launch chromium", () =>
    chromium.launch({
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--autoplay-policy=no-user-gesture-required"
      ]
    })
  ),
  (browser: Browser) => Effect.promise(() => browser.close())
)

const Violations = Schema.Array(
  Schema.Struct({ id: Schema.String, impact: Schema.NullOr(Schema.String), help: Schema.String, nodes: Schema.Number })
)

/** axe-core's serious and critical violations on the page as it is now. */
export const seriousViolations = (page: Page) =>
  step("axe", async () => {
    await page.evaluate(axe.source)
    const found = await page.evaluate(
      "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => " +
        "({ id: v.id, impact: v.impact ?? null, help: v.help, nodes: v.nodes.length })))"
    )
    return Schema.decodeUnknownSync(Violations)(found).filter((v) => v.impact === "serious" || v.impact === "critical")
  })

/** Screenshots into one artefacts folder, emptied of an earlier run's. */
export const artefacts = (folder: string) => {
  rmSync(folder, { recursive: true, force: true })
  mkdirSync(folder, { recursive: true })
  const file = (name: string) => join(folder, `${name}.png`)
  const screenshot = (page: Page, name: string) =>
    step(`screenshot ${name}`, () => page.screenshot({ path: file(name), fullPage: true }))
  /** A screenshot, then axe: no serious or critical violations. */
  const checkPage = (page: Page, name: string) =>
    Effect.gen(function* () {
      yield* screenshot(page, name)
      expect(yield* seriousViolations(page), name).toEqual([])
    })
  return { file, screenshot, checkPage }
}

export const hydrated = (page: Page) => page.waitForSelector("body[data-hydrated]")

/** Navigates and waits until the page has hydrated (its handlers are attached). */
export const visit = (page: Page, url: string) =>
  step(`visit ${url}`, async () => {
    await page.goto(url)
    await hydrated(page)
  })

/** A page in its own browser context (its own cookies), page errors and console errors collected in `problems`. */
export const newPage = (
  browser: Browser,
  width: number,
  problems: Array<string>,
  options: { readonly acceptDownloads?: boolean } = {}
) =>
  Effect.gen(function* () {
    const context: BrowserContext = yield* Effect.acquireRelease(
      step("context", () =>
        browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: options.acceptDownloads ?? false })
      ),
      (context) => Effect.promise(() => context.close())
    )
    const page = yield* step("page", () => context.newPage())
    page.setDefaultTimeout(20_000)
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`))
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`)
    })
    return page
  })

/** Anything shaped like a JWT (the access tokens auth signs are). */
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/
const SESSION_COOKIES = new Set(["lectern_access", "lectern_refresh"])
/** Bodies not read for tokens: media bytes. */
const BINARY = /^(video|audio|image|font)\/|^application\/(octet-stream|pdf)/

/**
 * Watches every response the page's browser context receives — pages, server functions, tus uploads, scripts — for
 * session tokens: every value its `lectern_access` and `lectern_refresh` cookies held (sampled after each response)
 * and anything shaped like a JWT, in the body or any header but `Set-Cookie` (where the httpOnly cookies belong).
 * `check` fails naming each response that carried one.
 */
export const watchForTokens = (page: Page) => {
  const context = page.context()
  const tokens = new Set<string>()
  const seen: Array<{ readonly url: string; readonly text: string }> = []
  const pending: Array<Promise<unknown>> = []
  let responses = 0
  let bodies = 0
  context.on("response", (response) => {
    responses += 1
    const read = async () => {
      const headers = await response.allHeaders()
      const text = Object.entries(headers)
        .filter(([name]) => name !== "set-cookie")
        .map(([name, value]) => `${name}: ${value}`)
      const redirect = response.status() >= 300 && response.status() < 400
      if (!redirect && response.request().method() !== "HEAD" && !BINARY.test(headers["content-type"] ?? "")) {
        const body = await response.text().catch(() => "")
        if (body !== "") bodies += 1
        text.push(body)
      }
      seen.push({ url: `${response.request().method()} ${response.url()}`, text: text.join("\n") })
      for (const cookie of await context.cookies()) if (SESSION_COOKIES.has(cookie.name)) tokens.add(cookie.value)
    }
    pending.push(read().catch(() => undefined))
  })
  const check = step("no session token in any response", async () => {
    await Promise.all(pending)
    // The watch saw something: responses with bodies read, and a session whose tokens it knows.
    expect(responses).toBeGreaterThan(0)
    expect(bodies).toBeGreaterThan(0)
    expect(tokens.size).toBeGreaterThan(0)
    const carriers = seen
      .filter(({ text }) => JWT.test(text) || [...tokens].some((token) => text.includes(token)))
      .map(({ url }) => url)
    expect(carriers).toEqual([])
    return { responses: seen.length, bodies, tokens: tokens.size }
  })
  return { check }
}

/**
 * A `seconds`-long test pattern with a tone from FFmpeg's lavfi sources, H.264/AAC, at `size` (720p makes a ladder of
 * two rungs, 360p and 720p), written to a temporary file removed with the scope.
 */
export const testVideo = (seconds: number, size = "1280x720") =>
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "lectern-e2e-video-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  ).pipe(
    Effect.flatMap((dir) =>
      step("ffmpeg", async () => {
        const path = join(dir, "lesson.mp4")
        await run("ffmpeg", [
          ...["-v", "error", "-f", "lavfi", "-i", `testsrc2=size=${size}:rate=25:duration=${seconds}`],
          ...["-f", "lavfi", "-i", `sine=frequency=440:duration=${seconds}`],
          ...["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", path]
        ])
        return path
      })
    )
  )

/** A learner registers in the page and verifies with the code from the dev mailbox; signed in afterwards. */
export const registerAndVerify = (page: Page, url: string, who: { name: string; email: string; password: string }) =>
  Effect.gen(function* () {
    yield* visit(page, `${url}/register`)
    yield* step("register", async () => {
      await page.getByLabel("Name").fill(who.name)
      await page.getByLabel("Email").fill(who.email)
      await page.getByLabel("Password").fill(who.password)
      await page.getByRole("button", { name: "Create account" }).click()
      await page.waitForURL(/\/verify-email\?email=/)
    })
    yield* visit(page, `${url}/dev/mailbox?to=${encodeURIComponent(who.email)}`)
    const code = yield* step("mailbox", async () => {
      const text = (await page.getByTestId("mail").first().textContent()) ?? ""
      return /\b(\d{6})\b/.exec(text)?.[1] ?? ""
    })
    yield* visit(page, `${url}/verify-email?email=${encodeURIComponent(who.email)}`)
    yield* step("verify", async () => {
      await page.getByLabel("Code").fill(code)
      await page.getByRole("button", { name: "Verify and sign in" }).click()
      await page.waitForURL(/\/\?welcome=1/)
      await page.getByTestId("viewer-name").filter({ hasText: who.name }).waitFor()
    })
  })

/** Signs in on /login, then lands on `next`. */
export const signIn = (page: Page, url: string, who: { email: string; password: string }, next: string) =>
  Effect.gen(function* () {
    yield* visit(page, `${url}/login?next=${encodeURIComponent(next)}`)
    yield* step("sign in", async () => {
      await page.getByLabel("Email").fill(who.email)
      await page.getByLabel("Password").fill(who.password)
      await page.getByRole("button", { name: "Sign in" }).click()
      await page.waitForURL((target) => target.pathname === next.replace(/\?.*$/, ""))
      await hydrated(page)
    })
  })

const playerState = (page: Page) =>
  page.evaluate(() => {
    const video = document.querySelector("video")
    const player = document.querySelector<HTMLElement>("[data-testid=video-player]")
    return {
      time: video?.currentTime ?? 0,
      engine: player?.dataset.engine ?? "",
      levels: Number(player?.dataset.levelCount ?? 0),
      height: player?.dataset.levelHeight ?? ""
    }
  })

/**
 * On a video lesson's page: hls.js has loaded a level of the two-rung ladder, the video plays (`currentTime`
 * advances), the quality switches to the other rung, the seek bar previews a sprite thumbnail, then at 2× the video
 * plays to its end and the heartbeats of what played complete the lesson (its tick in the curriculum).
 */
export const watchVideoLesson = (page: Page, lessonTitle: string) =>
  Effect.gen(function* () {
    yield* step("the player loads hls.js and the ladder", async () => {
      await page.getByTestId("lesson-title").filter({ hasText: lessonTitle }).waitFor()
      await page.locator("[data-testid=video-player][data-engine='hls.js']").waitFor()
      await page.waitForFunction(() => {
        const player = document.querySelector<HTMLElement>("[data-testid=video-player]")
        return Number(player?.dataset.levelCount ?? 0) >= 2
      })
    })
    yield* step("play, switch quality, preview the seek bar", async () => {
      await page.getByTestId("play").click()
      await page.waitForFunction(() => (document.querySelector("video")?.currentTime ?? 0) > 0.5)
      await page.waitForFunction(
        () => document.querySelector<HTMLElement>("[data-testid=video-player]")?.dataset.levelHeight !== ""
      )
      const before = await playerState(page)
      expect(before.engine).toBe("hls.js")
      const target = before.height === "360" ? "720p" : "360p"
      await page.getByTestId("quality").selectOption({ label: target })
      await page.waitForFunction(
        (height) => document.querySelector<HTMLElement>("[data-testid=video-player]")?.dataset.levelHeight === height,
        target.replace("p", "")
      )
      const seek = page.getByLabel("Seek")
      const box = await seek.boundingBox()
      if (box === null) throw new Error("no seek bar")
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2)
      await page.getByTestId("seek-preview").waitFor()
      await page.mouse.move(box.x, box.y + 200)
      await page.getByTestId("speed").selectOption("2")
      const later = await playerState(page)
      expect(later.time).toBeGreaterThan(before.time)
    })
    yield* step("the video completes by being watched", async () => {
      await page.waitForFunction(() => document.querySelector("video")?.ended === true, undefined, { timeout: 30_000 })
      await page
        .locator("[data-testid=curriculum-lesson][data-status=completed]")
        .filter({ hasText: lessonTitle })
        .waitFor()
    })
  })
