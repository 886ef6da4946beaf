// Bench: the web app — its server-rendered course page (`GET /courses/<slug>` through the gateway, with the anonymous
// page cache as by default and with it off) ÷ the raw
// `course.get` RPC on the same gateway, the JavaScript that page makes the browser fetch (gzip), and its first
// contentful paint in Chromium on loopback.
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { request as httpRequest } from "node:http"
import { join } from "node:path"
import { makeLectern } from "@lectern/client"
import type { Slug } from "@lectern/domain"
import { Effect } from "effect"
import { createBenchDatabase } from "./BenchDatabase.ts"
import { type BenchGateway, repoRoot, startGateway } from "./Gateway.ts"
import { load, post, WrongAnswer } from "./Load.ts"
import { compare, type Figure, figure, measured, median, type Outcome, type Run } from "./Report.ts"
import { alternate } from "./Rounds.ts"
import type { BenchSettings } from "./Settings.ts"
import { captureRequest } from "./StockClient.ts"

const PAGE = "SSR course page"
const RENDER = "SSR course page, no page cache"
const RPC = "course.get RPC"
type Server = typeof PAGE | typeof RENDER | typeof RPC

/** The gzip budget of the course page's scripts (hls.js excluded: it belongs to lesson pages only). */
const JS_BUDGET_KB = 60
/** The SSR target: pages per second ÷ raw course.get calls per second on the same gateway. */
const SSR_TARGET = 0.3
/** A string every hls.js build contains (its MEDIA_ATTACHING event's name), to recognise its chunk. */
const HLS_MARKER = "hlsMediaAttaching"

/** A tag's attributes, lower-cased names; values without entities beyond `&amp;`. */
const attributesOf = (tag: string): ReadonlyMap<string, string> =>
  new Map(
    [...tag.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))/g)].map((match) => [
      (match[1] ?? "").toLowerCase(),
      (match[3] ?? match[4] ?? match[5] ?? "").replaceAll("&amp;", "&")
    ])
  )

/**
 * The script URLs a page makes the browser fetch at once: `<script src>` and `<link rel="modulepreload" href>`, in
 * page order, each once. Inline scripts are part of the page's own bytes.
 */
export const pageScripts = (html: string): ReadonlyArray<string> => {
  const found: Array<string> = []
  for (const match of html.matchAll(/<(script|link)\b[^>]*>/gi)) {
    const attributes = attributesOf(match[0])
    const url =
      match[1]?.toLowerCase() === "script"
        ? attributes.get("src")
        : attributes
              .get("rel")
              ?.split(/\s+/)
              .some((rel) => rel.toLowerCase() === "modulepreload")
          ? attributes.get("href")
          : undefined
    if (url !== undefined && url !== "" && !found.includes(url)) found.push(url)
  }
  return found
}

/** One GET with `accept-encoding: gzip`: the body's bytes as sent (compressed when the server compressed). */
const getAsSent = (url: string) =>
  new Promise<{ readonly status: number; readonly bytes: Buffer; readonly encoding: string | undefined }>(
    (resolve, reject) => {
      const req = httpRequest(url, { headers: { "accept-encoding": "gzip" } }, (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (chunk: Buffer) => chunks.push(chunk))
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            bytes: Buffer.concat(chunks),
            encoding: res.headers["content-encoding"]
          })
        )
        res.on("error", reject)
      })
      req.on("error", reject)
      req.end()
    }
  )

/** The built client's hls.js chunk(s), by their marker; empty when no page uses hls.js yet. */
const hlsChunks = (): ReadonlyArray<string> => {
  const assets = join(repoRoot, "web", "dist", "client", "_build", "assets")
  if (!existsSync(assets)) return []
  return readdirSync(assets)
    .filter((name) => name.endsWith(".js") && readFileSync(join(assets, name), "utf8").includes(HLS_MARKER))
    .map((name) => `/_build/assets/${name}`)
}

/** The first contentful paint of `url` in Debian's Chromium: one cold load per fresh browser context, `loads` times. */
const firstContentfulPaints = async (url: string, loads: number): Promise<ReadonlyArray<number>> => {
  const { chromium } = await import("playwright-core")
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
  })
  try {
    const paints: Array<number> = []
    for (let i = 0; i < loads; i++) {
      const context = await browser.newContext()
      try {
        const page = await context.newPage()
        await page.goto(url, { waitUntil: "load" })
        const fcp = await page.evaluate(
          "new Promise((resolve) => { const find = () => performance.getEntriesByType('paint')" +
            ".find((entry) => entry.name === 'first-contentful-paint'); const found = find(); if (found) " +
            "return resolve(found.startTime); new PerformanceObserver(() => { const late = find(); if (late) " +
            "resolve(late.startTime) }).observe({ type: 'paint', buffered: true }) })"
        )
        if (typeof fcp !== "number") throw new WrongAnswer(`no first-contentful-paint entry on ${url}`)
        paints.push(fcp)
      } finally {
        await context.close()
      }
    }
    return paints
  } finally {
    await browser.close()
  }
}

/** `web/dist` current (built when stale, as `npm start` does), so the gateway serves today's pages. */
const ensureWebBuild = () => {
  const build = spawnSync(process.execPath, [join(repoRoot, "web", "scripts", "ensure-build.ts")], {
    cwd: repoRoot,
    encoding: "utf8"
  })
  if (build.status !== 0) throw new Error(`the web build failed:\n${build.stdout}${build.stderr}`)
}

/** A published demo course with the most lessons (the demo content a first start seeds), by slug. */
const pickCourse = (gatewayUrl: string) =>
  Effect.runPromise(
    Effect.gen(function* () {
      const lectern = yield* makeLectern({ baseUrl: gatewayUrl })
      const page = yield* lectern.catalog.course.search({ sort: "newest" })
      const course = [...page.items].sort((a, b) => b.lessonCount - a.lessonCount)[0]
      if (course === undefined) return yield* Effect.dieMessage("no published course in the bench database")
      const detail = yield* lectern.catalog.course.get({ slug: course.slug })
      return { slug: course.slug as Slug, title: detail.course.title, creator: detail.creator.name }
    }).pipe(Effect.scoped)
  )

const escapeHtml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;")

export const runWeb = async (context: {
  readonly settings: BenchSettings
  readonly log: (line: string) => void
}): Promise<ReadonlyArray<Outcome>> => {
  const { settings, log } = context
  log("  building the web app when web/dist is stale")
  ensureWebBuild()
  const database = await createBenchDatabase(settings.postgresUrl)
  let gateway: BenchGateway | undefined
  let rendering: BenchGateway | undefined
  try {
    log(`  bench database ${database.name}; starting the gateway with the demo content (LECTERN_DEMO_CONTENT=true)`)
    gateway = await startGateway({
      databaseUrl: database.url,
      profileDir: settings.profileDir,
      root: undefined,
      profileName: "gateway-web",
      env: { LECTERN_DEMO_CONTENT: "true" }
    })
    // The same gateway with the anonymous page cache off: every page rendered (what a visitor with a session gets).
    rendering = await startGateway({
      databaseUrl: database.url,
      profileDir: settings.profileDir,
      root: undefined,
      profileName: "gateway-web-render",
      env: { LECTERN_DEMO_CONTENT: "true", WEB_PAGE_CACHE_TTL: "0" }
    })
    const course = await pickCourse(gateway.url)
    const pageUrl = `${gateway.url}/courses/${course.slug}`
    log(`  course page ${pageUrl} ("${course.title}" by ${course.creator ?? "?"})`)

    // What a correct page holds: the status, the course's title, its creator, the end of the document.
    const title = escapeHtml(course.title)
    const isCoursePage = (html: string) =>
      html.includes(`<h1>${title}</h1>`) && html.includes('data-testid="creator"') && html.includes("</html>")
    const first = await fetch(pageUrl)
    const html = await first.text()
    if (first.status !== 200 || !isCoursePage(html)) {
      throw new WrongAnswer(`the course page answered ${first.status}: ${html.slice(0, 2000)}`)
    }

    const request = await captureRequest(undefined, (lectern) => lectern.catalog.course.get({ slug: course.slug }))
    const rpcUrl = `${gateway.url}/rpc/catalog`
    const expected = await post(rpcUrl, request.contentType, request.body)
    if (expected.status !== 200 || !expected.text.includes('"exit":{"_tag":"Success"')) {
      throw new WrongAnswer(`the gateway answered course.get with ${expected.status} ${expected.text}`)
    }
    log(`  page ${html.length} bytes; course.get answer ${expected.text.length} bytes`)

    const pid = gateway.child.process.pid
    const renderUrl = `${rendering.url}/courses/${course.slug}`
    const renderPid = rendering.child.process.pid
    const runs = await alternate<Server>({
      servers: [PAGE, RENDER, RPC],
      rounds: settings.rounds,
      durationSeconds: settings.durationSeconds,
      warmupSeconds: settings.warmupSeconds,
      log,
      run: (server, seconds): Promise<Run> =>
        server !== RPC
          ? load({
              url: server === PAGE ? pageUrl : renderUrl,
              method: "GET",
              body: "",
              headers: { accept: "text/html" },
              connections: settings.webConnections,
              seconds,
              expect: { verify: isCoursePage },
              serverPid: server === PAGE ? pid : renderPid
            })
          : load({
              url: rpcUrl,
              body: request.body,
              headers: { "content-type": request.contentType },
              connections: settings.webConnections,
              seconds,
              expect: { body: expected.text },
              serverPid: pid
            })
    })

    // The scripts the page makes the browser fetch, as sent with gzip.
    const scripts = pageScripts(html)
    const hls = hlsChunks()
    let sentBytes = 0
    let rawBytes = 0
    const loadsHls: Array<string> = []
    for (const path of scripts) {
      const answer = await getAsSent(new URL(path, gateway.url).toString())
      if (answer.status !== 200) throw new WrongAnswer(`${path} answered ${answer.status}`)
      const plain = await fetch(new URL(path, gateway.url)).then((response) => response.text())
      if (hls.includes(path) || plain.includes(HLS_MARKER)) loadsHls.push(path)
      sentBytes += answer.bytes.length
      rawBytes += Buffer.byteLength(plain)
    }
    log(
      `  the page references ${scripts.length} scripts: ${(sentBytes / 1024).toFixed(1)} KB as sent (gzip), ` +
        `${(rawBytes / 1024).toFixed(1)} KB uncompressed; hls.js chunks in the build: ` +
        `${hls.length === 0 ? "none" : hls.join(", ")}; referenced by the course page: ` +
        `${loadsHls.length === 0 ? "none" : loadsHls.join(", ")}`
    )

    const figures: Array<Figure> = [
      figure({
        bench: "course page JS (gzip)",
        description:
          `the <script src> and <link rel=modulepreload> files of /courses/<slug>, summed as sent with ` +
          `accept-encoding: gzip (${scripts.length} files, ${(rawBytes / 1024).toFixed(1)} KB uncompressed)`,
        value: sentBytes / 1024,
        unit: "KB",
        target: JS_BUDGET_KB
      }),
      figure({
        bench: "hls.js on the course page",
        description: `hls.js chunks the course page references (it must load on lesson pages only): ${loadsHls.join(", ") || "none"}`,
        value: loadsHls.length,
        unit: "files",
        target: 0
      })
    ]

    try {
      const paints = await firstContentfulPaints(pageUrl, settings.webPaints)
      log(`  first contentful paints (ms, cold context each): ${paints.map((paint) => paint.toFixed(0)).join(", ")}`)
      figures.push(
        figure({
          bench: "course page first contentful paint",
          description: `Chromium headless on loopback, a fresh context per load, median of ${paints.length}`,
          value: median(paints),
          unit: "ms",
          target: null
        })
      )
    } catch (error) {
      log(`  no first contentful paint: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`)
    }

    const of = (server: Server) => measured(server, runs.get(server) ?? [])
    return [
      compare({
        bench: "SSR course page ÷ course.get",
        description:
          `GET /courses/<slug> as anonymous visitors get it with the defaults (rendered by the web app — course.get ` +
          `and course.related through @lectern/client in memory — then served from the anonymous page cache for ` +
          `WEB_PAGE_CACHE_TTL, 5 s) ÷ the raw course.get RPC for the same course, same gateway, catalog cache on`,
        connections: settings.webConnections,
        candidate: of(PAGE),
        baseline: of(RPC),
        target: SSR_TARGET
      }),
      compare({
        bench: "SSR course page rendered every time ÷ course.get",
        description:
          "the same page with WEB_PAGE_CACHE_TTL=0 (a second gateway on the same database): every request rendered, " +
          "as for signed-in visitors ÷ the raw course.get RPC of the first gateway",
        connections: settings.webConnections,
        candidate: of(RENDER),
        baseline: of(RPC),
        target: null
      }),
      ...figures
    ]
  } finally {
    await gateway?.stop()
    await rendering?.stop()
    await database.drop().catch((error: unknown) => log(`  could not drop ${database.name}: ${String(error)}`))
  }
}
