// Bench 6: `progress.heartbeat` through the gateway ÷ the same work on bare node:http + pg, each virtual connection a
// distinct learner playing a video 10 s further per call; and what that rate means in concurrent viewers per core.
import { createBenchDatabase } from "./BenchDatabase.ts"
import { type BenchGateway, startGateway } from "./Gateway.ts"
import { enrolledLearners, publishVideoCourse } from "./HeartbeatSeed.ts"
import { HeartbeatTraffic, type Learner, payloadJson, templateOf } from "./HeartbeatTraffic.ts"
import { load, post, WrongAnswer } from "./Load.ts"
import type { Child } from "./Processes.ts"
import { type Comparison, compare, measured, type Run } from "./Report.ts"
import { alternate } from "./Rounds.ts"
import type { BenchSettings } from "./Settings.ts"
import { captureRequest } from "./StockClient.ts"
import { startServerScript } from "./UserMeSection.ts"

const GATEWAY = "gateway progress.heartbeat"
const RAW = "node:http+jose+pg heartbeat"
type Server = typeof GATEWAY | typeof RAW

/** The video's length: long enough that 10 s steps take a while to wrap, short enough to stay a few KB of ranges. */
export const VIDEO_SECONDS = 600
/** How often a player sends a heartbeat, in seconds of wall time. */
export const HEARTBEAT_INTERVAL_SECONDS = 10

const ADMIN = { email: "bench.heartbeat.admin@example.com", password: "bench heartbeat admin passphrase 42" }

const isSuccess = (body: string) => body.includes('"exit":{"_tag":"Success"')

/**
 * Concurrent viewers one core carries: each sends a heartbeat every `intervalSeconds`, and each heartbeat costs the
 * server process `cpuMsPerRequest` of CPU; `undefined` when the CPU was not measured.
 */
export const viewersPerCore = (cpuMsPerRequest: number | null, intervalSeconds: number): number | undefined =>
  cpuMsPerRequest === null || !(cpuMsPerRequest > 0) ? undefined : (intervalSeconds * 1000) / cpuMsPerRequest

/** The lines that say what a heartbeat rate means in viewers: per core measured, per core assumed, for the box. */
export const viewerLines = (run: Run, cores: number, intervalSeconds: number): ReadonlyArray<string> => {
  const perCore = viewersPerCore(run.cpuMsPerRequest, intervalSeconds)
  const viewers = run.requestsPerSecond * intervalSeconds
  return [
    `concurrent viewers per core: ${perCore === undefined ? "— (no CPU measured)" : Math.round(perCore)} ` +
      `(${intervalSeconds} s between heartbeats ÷ ${run.cpuMsPerRequest?.toFixed(3) ?? "—"} ms of gateway CPU per ` +
      "heartbeat, measured from /proc; the same as req/s × interval ÷ cores the gateway process used)",
    `  on the ${cores}-core assumption instead: ${Math.round(viewers)} viewers (req/s × ${intervalSeconds} s) ÷ ` +
      `${cores} cores = ${Math.round(viewers / cores)} per core; the box as measured (gateway, Postgres and ` +
      `the load generator sharing it) carries ${Math.round(viewers)} viewers`
  ]
}

export const runHeartbeat = async (context: {
  readonly settings: BenchSettings
  readonly cores: number
  readonly log: (line: string) => void
}): Promise<ReadonlyArray<Comparison>> => {
  const { settings, log } = context
  const connections = settings.heartbeatConnections
  const database = await createBenchDatabase(settings.postgresUrl)
  let gateway: BenchGateway | undefined
  const children: Array<Child> = []
  try {
    log(`  bench database ${database.name}; starting the gateway`)
    gateway = await startGateway({
      databaseUrl: database.url,
      profileDir: settings.profileDir,
      root: undefined,
      profileName: "gateway-heartbeat",
      env: { LECTERN_ADMIN_EMAIL: ADMIN.email, LECTERN_ADMIN_PASSWORD: ADMIN.password }
    })
    const course = await publishVideoCourse({
      gatewayUrl: gateway.url,
      databaseUrl: database.url,
      admin: ADMIN,
      durationSeconds: VIDEO_SECONDS
    })
    log(`  published course ${course.courseId} with a ${VIDEO_SECONDS} s video lesson ${course.lessonId}`)
    const signUpStarted = Date.now()
    // Two more than the connections: one learner each for the gateway's and the baseline's first-answer check.
    const signedUp = await enrolledLearners({
      gatewayUrl: gateway.url,
      courseId: course.courseId,
      count: connections + 2,
      concurrency: 4,
      prefix: `heartbeat.${database.name}`
    })
    log(`  ${signedUp.length} learners signed up and enrolled through the gateway in ${Date.now() - signUpStarted} ms`)
    const [probeGateway, probeRaw, ...loaders] = signedUp
    if (probeGateway === undefined || probeRaw === undefined) throw new Error("no learners to check answers with")
    const learners: ReadonlyArray<Learner> = loaders.map((learner) => ({
      token: learner.accessToken,
      lessonId: course.lessonId
    }))

    // The typed client's bytes for one heartbeat, cut around the payload and the token.
    const first = {
      lessonId: course.lessonId,
      mediaPositionSeconds: 10,
      playedRanges: [[0, 10]] as const,
      playbackRate: 1
    }
    const captured = await captureRequest(probeGateway.accessToken, (lectern) =>
      lectern.learning.progress.heartbeat({ ...first, playedRanges: [[0, 10]] })
    )
    log(`  request body (captured from the stock RpcClient, ${captured.contentType}): ${captured.body.trim()}`)
    const template = templateOf(captured.body, payloadJson(first), probeGateway.accessToken)

    const env = { BENCH_DATABASE_URL: database.url, BENCH_JWKS: JSON.stringify(gateway.jwks) }
    const raw = await startServerScript(RAW, "heartbeat-raw.ts", env, settings.profileDir)
    children.push(raw.child)
    const learningUrl = `${gateway.url}/rpc/learning`
    const urls = new Map<Server, string>([
      [GATEWAY, learningUrl],
      [RAW, raw.url]
    ])
    const pids = new Map<Server, number | undefined>([
      [GATEWAY, gateway.child.process.pid],
      [RAW, raw.child.process.pid]
    ])

    // Both answer a learner's first heartbeat with the very same bytes (each for its own fresh learner).
    const expected = await post(learningUrl, captured.contentType, captured.body)
    if (expected.status !== 200 || !isSuccess(expected.text)) {
      throw new WrongAnswer(`the gateway answered progress.heartbeat with ${expected.status} ${expected.text}`)
    }
    const rawFirst = await post(
      raw.url,
      captured.contentType,
      captured.body.replace(probeGateway.accessToken, probeRaw.accessToken)
    )
    if (rawFirst.status !== 200 || rawFirst.text !== expected.text) {
      throw new WrongAnswer(`${RAW} answered ${rawFirst.status} ${rawFirst.text}\nthe gateway: ${expected.text}`)
    }
    log(`  first heartbeat answered alike: ${expected.text.trim()}`)

    const traffic = new HeartbeatTraffic(learners, VIDEO_SECONDS, template)
    const runs = await alternate<Server>({
      servers: [GATEWAY, RAW],
      rounds: settings.rounds,
      durationSeconds: settings.durationSeconds,
      warmupSeconds: settings.warmupSeconds,
      log,
      run: (server, seconds) => {
        traffic.reset()
        return load({
          url: urls.get(server) ?? "",
          body: captured.body,
          bodies: {
            take: () => {
              const { learner, body } = traffic.checkout()
              return { handle: learner, body }
            },
            answered: (learner) => {
              if (typeof learner === "number") traffic.release(learner)
            }
          },
          headers: { "content-type": captured.contentType },
          connections,
          seconds,
          expect: { verify: isSuccess },
          serverPid: pids.get(server)
        })
      }
    })
    const candidate = measured(GATEWAY, runs.get(GATEWAY) ?? [])
    const baseline = measured(RAW, runs.get(RAW) ?? [])
    for (const line of viewerLines(candidate.median, context.cores, HEARTBEAT_INTERVAL_SECONDS)) log(`  ${line}`)
    const rawViewers = viewersPerCore(baseline.median.cpuMsPerRequest, HEARTBEAT_INTERVAL_SECONDS)
    log(`  (the baseline: ${rawViewers === undefined ? "—" : Math.round(rawViewers)} viewers per core)`)
    const shape =
      `progress.heartbeat at ${connections} connections, each a distinct enrolled learner of a ${VIDEO_SECONDS} s ` +
      `video sending [[p, p+10]] at rate 1 (most of each claim clipped: calls come far faster than every 10 s)`
    return [
      compare({
        bench: "progress.heartbeat ÷ node:http",
        description:
          `${shape} ÷ bare node:http + jose + pg doing the same (token, lesson + enrollment, row locked, ` +
          "learning's WatchedRanges merge, row and enrollment saved in one statement, JSON)",
        connections,
        candidate,
        baseline,
        target: 0.5,
        p99Limit: 3
      }),
      compare({
        bench: "heartbeat p99 ÷ node:http",
        description: `${shape}: the gateway's median p99 latency ÷ the baseline's`,
        connections,
        candidate,
        baseline,
        metric: "p99Ms",
        targetKind: "atMost",
        target: 3
      })
    ]
  } finally {
    await Promise.all(children.map((child) => child.stop()))
    await gateway?.stop()
    await database.drop().catch((error: unknown) => log(`  could not drop ${database.name}: ${String(error)}`))
  }
}
