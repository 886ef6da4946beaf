// `npm run bench`: every candidate beside its baselines, alternating rounds, medians and ratios, and a JSON record.
//
// Settings (environment): BENCH_DURATION (s per measured run, default 5), BENCH_WARMUP (s, 2), BENCH_ROUNDS (3),
// BENCH_CONNECTIONS (user.me, 32), BENCH_LOGIN_CONNECTIONS (session.login and argon2, 8), BENCH_SEARCH_CONNECTIONS
// (course.search, 64), BENCH_SEARCH_COURSES (10000), BENCH_SEARCH_PREPARED (1: the search baselines send named
// statements, as the gateway does), BENCH_MEDIA_SECONDS (length of the generated 1080p source, 20),
// BENCH_MEDIA_ROUNDS (transcode rounds, 2), BENCH_MEDIA_CONNECTIONS (HLS segment GETs, 16),
// BENCH_HEARTBEAT_CONNECTIONS (progress.heartbeat, one learner each, 64), BENCH_WEB_CONNECTIONS (the
// server-rendered course page and its course.get baseline, 16), BENCH_WEB_PAINTS (cold loads in Chromium, 9),
// BENCH_SECTIONS (userMe,login,rpcOverhead,search,media,heartbeat,web),
// BENCH_POSTGRES_URL, BENCH_PROFILE_DIR (servers run with --cpu-prof, profiles there),
// BENCH_RESULTS_FILE, BENCH_GATEWAY_ROOT (a patched copy of the repo: its gateway joins the user.me rounds).
// Targets are reported, not asserted: the exit code is 0 whenever the bench itself ran, 1 when a section could not.
import { randomBytes } from "node:crypto"
import { mkdirSync, writeFileSync } from "node:fs"
import { availableParallelism, cpus, loadavg } from "node:os"
import { dirname } from "node:path"
import { Schema } from "effect"
import { type BenchDatabase, createBenchDatabase } from "./BenchDatabase.ts"
import { type BenchGateway, startGateway } from "./Gateway.ts"
import { runHeartbeat } from "./HeartbeatSection.ts"
import { runLogin } from "./LoginSection.ts"
import { runMedia } from "./MediaSection.ts"
import {
  BenchReport,
  type Comparison,
  type Figure,
  formatFigures,
  formatTable,
  isFigure,
  isSkipped,
  missedFigureLines,
  missedLines,
  type Outcome,
  type Skipped,
  skippedLines
} from "./Report.ts"
import { runRpcOverhead } from "./RpcOverheadSection.ts"
import { runSearch } from "./SearchSection.ts"
import { type Section, settingsFromEnv } from "./Settings.ts"
import { type SignedUp, signUp } from "./StockClient.ts"
import { runUserMe } from "./UserMeSection.ts"
import { runWeb } from "./WebSection.ts"

const log = (line: string) => console.log(line)
const settings = settingsFromEnv(process.env, new URL("../results/latest.json", import.meta.url).pathname)
const startedAt = new Date()
const cores = availableParallelism()
const [loadAtStart = 0] = loadavg()

const notes = [
  `${cores} CPU cores shared by autocannon (in this process), the server under test (a child process) and Postgres: ` +
    "absolute req/s are depressed by that contention; candidate and baseline pay it alike, so read the ratios.",
  `Each run is ${settings.durationSeconds} s after a ${settings.warmupSeconds} s warm-up per server; ` +
    `${settings.rounds} rounds alternate the servers (first server rotates); figures are medians over rounds.`,
  "All traffic is loopback (127.0.0.1). The gateway runs with LOG_LEVEL=warn, ACCESS_LOG=false, no OTLP exporter, " +
    "the in-memory cache, and login rate limits raised (every request comes from one IP).",
  "The gateway caches verified access tokens (AccessTokens.VerifiedTokens); the user.me baselines run jose's " +
    "jwtVerify on every request, as specified.",
  "CPU ms/req: user + system CPU of the server's process (all threads) per request over a run (Linux /proc). It " +
    "does not count time spent waiting for a core, so it moves less than req/s when other work shares the machine; " +
    "Postgres and autocannon are not in it.",
  `Load average when the bench started: ${loadAtStart.toFixed(2)} on ${cores} cores` +
    (loadAtStart >= cores ? " — something else is busy on this machine; expect noisy rounds." : "."),
  ...(settings.gatewayRoot === undefined
    ? []
    : [`A second gateway from ${settings.gatewayRoot} (BENCH_GATEWAY_ROOT) runs in the user.me rounds as "patched".`]),
  ...(settings.sections.includes("media")
    ? [
        "media: ffmpeg runs at nice 10 (the Transcoder's default) in the pipeline and in the bare commands alike, so " +
          "any other work on the machine delays transcodes more than anything else: their wall times follow the load " +
          "average, their CPU per job (ffprobe and ffmpeg included) much less. Segment GETs use the bench's own lean " +
          "loader (autocannon turns every 1.5 MB body into a string, which would cap both servers alike)."
      ]
    : []),
  ...(settings.sections.includes("heartbeat")
    ? [
        "heartbeat: each connection is its own learner (no two requests in flight share a progress row); calls come " +
          "back to back, far faster than a player's 10 s, so the server clips most of each claimed range — both " +
          "servers alike. The baseline merges with learning's own WatchedRanges functions (imported, not rewritten)."
      ]
    : []),
  ...(settings.sections.includes("web")
    ? [
        "web: the course page and course.get run against one gateway (catalog cache on), anonymous, so the page's " +
          "enrollment.get is answered Unauthorized at once; page answers are checked for the course's title, its " +
          "creator and a complete document (each page carries a fresh CSP nonce, so bodies differ)."
      ]
    : [])
]

const comparisons: Array<Comparison> = []
const skipped: Array<Skipped> = []
const figures: Array<Figure> = []
const failures: Array<{ section: string; error: string }> = []

let database: BenchDatabase | undefined
let gateway: BenchGateway | undefined
let patched: BenchGateway | undefined

const cleanUp = async () => {
  await patched?.stop().catch((error: unknown) => log(`could not stop the patched gateway: ${String(error)}`))
  patched = undefined
  await gateway?.stop().catch((error: unknown) => log(`could not stop the gateway: ${String(error)}`))
  gateway = undefined
  await database?.drop().catch((error: unknown) => log(`could not drop ${database?.name}: ${String(error)}`))
  database = undefined
}

// Ctrl-C: stop the children and drop the database before going.
process.once("SIGINT", () => {
  log("interrupted; cleaning up")
  void cleanUp().finally(() => process.exit(130))
})

const section = async (name: Section, title: string, run: () => Promise<ReadonlyArray<Outcome>>) => {
  if (!settings.sections.includes(name)) return
  log(`\n== ${title}`)
  try {
    for (const outcome of await run()) {
      if (isSkipped(outcome)) skipped.push(outcome)
      else if (isFigure(outcome)) figures.push(outcome)
      else comparisons.push(outcome)
    }
  } catch (error) {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    failures.push({ section: name, error: text })
    log(`  FAILED: ${text}`)
  }
}

const gatewaySections = settings.sections.some((name) => name === "userMe" || name === "login")

log(`Lectern bench — ${cores} cores (${cpus()[0]?.model ?? "unknown CPU"}), node ${process.version}`)
for (const note of notes) log(`  · ${note}`)

try {
  let user: SignedUp | undefined
  if (gatewaySections) {
    database = await createBenchDatabase(settings.postgresUrl)
    log(`\nbench database ${database.name}; starting the gateway`)
    gateway = await startGateway({ databaseUrl: database.url, profileDir: settings.profileDir, root: undefined })
    if (settings.gatewayRoot !== undefined) {
      log(`starting the patched gateway from ${settings.gatewayRoot}`)
      patched = await startGateway({
        databaseUrl: database.url,
        profileDir: settings.profileDir,
        root: settings.gatewayRoot,
        profileName: "patched-gateway"
      })
    }
    log(`gateway at ${gateway.url}; signing up the bench user through the typed client`)
    user = await signUp(
      gateway.url,
      `bench.${randomBytes(4).toString("hex")}@example.com`,
      "bench runner passphrase 42"
    )
  }
  const ready =
    gateway !== undefined && database !== undefined && user !== undefined ? { gateway, database, user } : undefined
  await section("userMe", `user.me at ${settings.connections} connections`, async () => {
    if (ready === undefined) throw new Error("no gateway")
    return runUserMe({
      settings,
      gateway: ready.gateway,
      patched,
      databaseUrl: ready.database.url,
      accessToken: ready.user.accessToken,
      log
    })
  })
  await section("login", `session.login at ${settings.loginConnections} connections`, async () => {
    if (ready === undefined) throw new Error("no gateway")
    return runLogin({ settings, gateway: ready.gateway, databaseUrl: ready.database.url, user: ready.user, log })
  })
  await cleanUp()
  await section("search", `course.search at ${settings.searchConnections} connections`, () =>
    runSearch({ settings, log })
  )
  await section("heartbeat", `progress.heartbeat at ${settings.heartbeatConnections} connections`, () =>
    runHeartbeat({ settings, cores, log })
  )
  await section(
    "web",
    `web: the server-rendered course page and course.get at ${settings.webConnections} connections, its scripts, ` +
      "its first contentful paint",
    () => runWeb({ settings, log })
  )
  await section(
    "media",
    `media: transcode of a ${settings.mediaSeconds} s 1080p source, HLS segments at ${settings.mediaConnections} ` +
      "connections, course.search during a transcode",
    () => runMedia({ settings, log })
  )
  await section("rpcOverhead", "rpc-overhead.ts (its own fixed settings)", () =>
    runRpcOverhead({ timeoutSeconds: 240, log })
  )
} catch (error) {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  failures.push({ section: "setup", error: text })
  log(`\nFAILED to set up: ${text}`)
} finally {
  await cleanUp()
}

const report = Schema.encodeSync(BenchReport)({
  startedAt: startedAt.toISOString(),
  finishedAt: new Date().toISOString(),
  machine: {
    cpus: cores,
    cpuModel: cpus()[0]?.model ?? "unknown",
    node: process.version,
    platform: process.platform,
    loadAverageAtStart: loadAtStart
  },
  settings: {
    durationSeconds: settings.durationSeconds,
    warmupSeconds: settings.warmupSeconds,
    rounds: settings.rounds,
    connections: settings.connections,
    loginConnections: settings.loginConnections,
    searchConnections: settings.searchConnections,
    searchCourses: settings.searchCourses,
    mediaSeconds: settings.mediaSeconds,
    mediaRounds: settings.mediaRounds,
    mediaConnections: settings.mediaConnections,
    heartbeatConnections: settings.heartbeatConnections,
    webConnections: settings.webConnections,
    sections: settings.sections
  },
  notes,
  comparisons,
  skipped,
  figures,
  failures
})
mkdirSync(dirname(settings.resultsFile), { recursive: true })
writeFileSync(settings.resultsFile, `${JSON.stringify(report, null, 2)}\n`)

log(`\n${formatTable(comparisons)}`)
log(
  "(candidate/baseline: req/s, job seconds or p99 ms; these, p50/p99 and CPU ms/req (per job for transcodes): each " +
    "server's median over rounds; ratio: median of the per-round ratios)"
)
if (figures.length > 0) log(`\n${formatFigures(figures)}`)
for (const line of missedLines(comparisons)) log(line)
for (const line of missedFigureLines(figures)) log(line)
for (const line of skippedLines(skipped)) log(line)
for (const failure of failures) log(`FAILED section ${failure.section}: ${failure.error.split("\n")[0]}`)
log(`\nresults: ${settings.resultsFile}`)
if (settings.profileDir !== undefined) log(`CPU profiles: ${settings.profileDir}/*.cpuprofile`)
// Missed targets are numbers to read, not errors; a section that could not run is.
process.exitCode = failures.length > 0 ? 1 : 0
