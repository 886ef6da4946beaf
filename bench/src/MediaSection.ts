// Bench 5: media on one gateway — the transcode pipeline ÷ bare FFmpeg (single pass; per rendition ÷ the pipeline),
// HLS segment GETs ÷ nginx (cold and hot, in servers/MediaSegments.ts), and course.search p99 while a transcode
// runs ÷ idle.
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { CategoryId, type MediaId } from "@lectern/domain"
import type { Probe } from "@lectern/platform/Transcoder"
import {
  DEFAULT_NICENESS,
  type FfmpegTranscoder,
  makeFfmpeg,
  type RungPlan,
  type TranscodePlan
} from "@lectern/platform/TranscoderFfmpeg"
import { Effect } from "effect"
import { createBenchDatabase } from "./BenchDatabase.ts"
import { type BenchGateway, startGateway } from "./Gateway.ts"
import { load, post, WrongAnswer } from "./Load.ts"
import { type Comparison, compare, measured, median, type Outcome, type Run } from "./Report.ts"
import { roundOrder } from "./Rounds.ts"
import { type SearchCatalog, seedSearchCatalog } from "./SearchSeed.ts"
import type { BenchSettings } from "./Settings.ts"
import { captureRequest } from "./StockClient.ts"
import {
  generateSource,
  keyframesOnGrid,
  logIn,
  type MediaClient,
  openMediaClient,
  tusUpload
} from "./servers/MediaClient.ts"
import {
  expectedOutputs,
  perRenditionArgs,
  planFor,
  prepareOutput,
  runFfmpeg,
  singlePassArgs
} from "./servers/MediaLadder.ts"
import { CACHE_BYTES, compareSegments } from "./servers/MediaSegments.ts"
import { childrenOf, commandOf, cpuSplit, cpuWithReapedChildren } from "./servers/ProcessTree.ts"

const PIPELINE = "gateway pipeline"
const SINGLE_PASS = "ffmpeg single pass"
const PER_RENDITION = "ffmpeg per rendition"
type Transcoding = typeof PIPELINE | typeof SINGLE_PASS | typeof PER_RENDITION

const IDLE = "course.search idle"
const BUSY = "course.search during a transcode"

/** How often the pipeline's timing polls media.get (its resolution). */
const POLL_MS = 100
/** The pause before each course.search run (see `compareSearchUnderTranscode`). */
const SETTLE_MS = 1000

const ADMIN_EMAIL = "bench.media.admin@example.com"
const ADMIN_PASSWORD = "bench media admin passphrase 42"
const LIMITS = { maxSeconds: 6 * 3600, maxWidth: 4096, maxHeight: 2160 }

/** The Run of one timed job: one "request" lasting `seconds`, and the CPU it cost. */
export const jobRun = (seconds: number, cpuSeconds: number | undefined): Run => ({
  requestsPerSecond: 1 / seconds,
  p50Ms: null,
  p99Ms: null,
  cpuMsPerRequest: cpuSeconds === undefined ? null : cpuSeconds * 1000,
  seconds
})

const difference = (before: number | undefined, after: number | undefined) =>
  before === undefined || after === undefined ? undefined : after - before

/** What every part of the media bench works with: the source, the transcoder's settings, the running gateway. */
interface MediaBench {
  readonly settings: BenchSettings
  readonly log: (line: string) => void
  readonly transcoder: FfmpegTranscoder
  readonly work: string
  readonly blobRoot: string
  readonly source: string
  readonly sourceBytes: Buffer<ArrayBuffer>
  readonly sourceShape: string
  readonly probe: Probe
  readonly rungs: ReadonlyArray<RungPlan>
  readonly gateway: BenchGateway
  readonly token: string
  readonly media: MediaClient
  /** Every ffmpeg the gateway was seen running, so none outlives the bench. */
  readonly ffmpegsSeen: Set<number>
}

/** Where the media's committed files are in the filesystem blob store: `media/<id>/v<generation>/`. */
const generationDir = async (blobRoot: string, id: MediaId) => {
  const dir = join(blobRoot, "media", id)
  const generations = (await readdir(dir)).filter((name) => /^v\d+$/.test(name))
  if (generations.length !== 1 || generations[0] === undefined) {
    throw new Error(`expected one generation under ${dir}, found ${generations.join(", ") || "none"}`)
  }
  return join(dir, generations[0])
}

/** The pipeline (upload excluded, media.create → ready) and the two bare ways, alternating; the first ready media. */
const compareTranscodes = async (bench: MediaBench) => {
  const { settings, log, transcoder, media, gateway } = bench
  const { threads, preset } = transcoder.settings
  const gatewayPid = gateway.child.process.pid
  const readyMedia: Array<MediaId> = []
  const queueWaits: Array<number> = []
  const rungNames = bench.rungs.map((rung) => rung.name).join(",")

  const throughPipeline = async (title: string) => {
    const uploadId = await tusUpload(gateway.url, bench.token, bench.sourceBytes, "source.mp4")
    const cpuBefore = gatewayPid === undefined ? undefined : cpuSplit(gatewayPid)
    const started = performance.now()
    const created = await media.create(uploadId, title)
    const createdAt = performance.now()
    const { media: ready, processingSeenAt } = await media.waitReady(created.id, POLL_MS)
    const seconds = (performance.now() - started) / 1000
    const cpuAfter = gatewayPid === undefined ? undefined : cpuSplit(gatewayPid)
    const names = ready.renditions.map((rendition) => rendition.name).join(",")
    if (names !== rungNames) throw new WrongAnswer(`the pipeline made renditions ${names}, the bare plan ${rungNames}`)
    readyMedia.push(created.id)
    const queued = ((processingSeenAt ?? createdAt) - createdAt) / 1000
    queueWaits.push(queued)
    const split =
      cpuBefore === undefined || cpuAfter === undefined
        ? ""
        : `; CPU of the gateway ${(cpuAfter.own - cpuBefore.own).toFixed(1)} s, ` +
          `of its ffprobe/ffmpeg runs ${(cpuAfter.children - cpuBefore.children).toFixed(1)} s`
    const phases = `media.create ${((createdAt - started) / 1000).toFixed(2)} s, then queued ≤ ${queued.toFixed(1)} s${split}`
    const cpu = (sample: typeof cpuBefore) => (sample === undefined ? undefined : sample.own + sample.children)
    return { run: jobRun(seconds, difference(cpu(cpuBefore), cpu(cpuAfter))), phases }
  }

  const bare = async (commands: (plan: TranscodePlan) => Array<Array<string>>) => {
    const outputDir = await mkdtemp(join(bench.work, "ladder-"))
    try {
      const plan = planFor(bench.source, outputDir, bench.probe, { threads, preset })
      await prepareOutput(plan)
      const cpuBefore = cpuWithReapedChildren(process.pid)
      const started = performance.now()
      for (const args of commands(plan)) await runFfmpeg(transcoder.command, transcoder.binaries.ffmpeg, args)
      const seconds = (performance.now() - started) / 1000
      const cpuAfter = cpuWithReapedChildren(process.pid)
      await Promise.all(expectedOutputs(plan).map((file) => stat(join(outputDir, file))))
      return { run: jobRun(seconds, difference(cpuBefore, cpuAfter)), phases: "" }
    } finally {
      await rm(outputDir, { recursive: true, force: true })
    }
  }

  const runs = new Map<Transcoding, Array<Run>>([
    [PIPELINE, []],
    [SINGLE_PASS, []],
    [PER_RENDITION, []]
  ])
  log(`  ${settings.mediaRounds} rounds of: the pipeline (upload excluded), the single pass, one ffmpeg per rung`)
  for (let round = 0; round < settings.mediaRounds; round++) {
    for (const way of roundOrder<Transcoding>([PIPELINE, SINGLE_PASS, PER_RENDITION], round)) {
      const { run, phases } =
        way === PIPELINE
          ? await throughPipeline(`bench round ${round + 1}`)
          : await bare(way === SINGLE_PASS ? (plan) => [singlePassArgs(plan)] : perRenditionArgs)
      runs.get(way)?.push(run)
      const cpu = run.cpuMsPerRequest === null ? "—" : `${(run.cpuMsPerRequest / 1000).toFixed(1)} s`
      log(`  round ${round + 1}  ${way}: ${run.seconds?.toFixed(1)} s, CPU ${cpu}${phases ? ` (${phases})` : ""}`)
    }
  }
  const of = (way: Transcoding) => measured(way, runs.get(way) ?? [])
  const ladder = bench.rungs.map((rung) => rung.name).join("/")
  const bareShape = `${priorityOf(transcoder)}, ${threads} thread${threads === 1 ? "" : "s"}, x264 ${preset}`
  const outcomes: ReadonlyArray<Comparison> = [
    compare({
      bench: "media pipeline ÷ single pass",
      description:
        `Lectern's pipeline on a ${bench.sourceShape}, upload excluded: media.create (probe, queue) → the worker ` +
        `(probe, one ffmpeg for ${ladder} + poster + sprite, outputs into the blob store) → media.get says ready ` +
        `(polled every ${POLL_MS} ms; median wait in the queue ≤ ${median(queueWaits).toFixed(1)} s) ÷ the same ` +
        `single-pass ffmpeg command run bare (${bareShape}); wall time, CPU per job with ffprobe/ffmpeg`,
      connections: 1,
      candidate: of(PIPELINE),
      baseline: of(SINGLE_PASS),
      metric: "seconds",
      targetKind: "atMost",
      target: 1.05
    }),
    compare({
      bench: "per rendition ÷ media pipeline",
      description:
        `one ffmpeg per rung (${ladder}) one after another, each decoding the source, with the Transcoder's ` +
        `options per rung (poster and sprite on the last one; ${bareShape}) ÷ Lectern's pipeline; wall time`,
      connections: 1,
      candidate: of(PER_RENDITION),
      baseline: of(PIPELINE),
      metric: "seconds",
      targetKind: "atLeast",
      target: 1.15
    }),
    compare({
      bench: "per rendition ÷ single pass",
      description: "the two bare ffmpeg ways of making the same ladder, for reference; wall time",
      connections: 1,
      candidate: of(PER_RENDITION),
      baseline: of(SINGLE_PASS),
      metric: "seconds",
      target: null
    })
  ]
  return { outcomes, readyMedia }
}

/** How the transcoder's ffmpeg is prioritised, for the report (its group: the autogroup of its own session). */
const priorityOf = (transcoder: FfmpegTranscoder) =>
  `${transcoder.settings.idlePriority ? "SCHED_IDLE, " : ""}nice ${transcoder.settings.niceness}` +
  `, its scheduling group at nice ${transcoder.command("ffmpeg", []).groupNiceness ?? 0}` +
  (transcoder.settings.cpus === undefined ? "" : `, CPUs ${transcoder.settings.cpus}`)

const ffmpegChildOf = (pid: number | undefined) =>
  pid === undefined ? undefined : childrenOf(pid).find((child) => commandOf(child) === "ffmpeg")

/** course.search at the search section's concurrency: idle runs, then runs while the gateway's worker transcodes. */
const compareSearchUnderTranscode = async (
  bench: MediaBench,
  catalog: SearchCatalog
): Promise<ReadonlyArray<Comparison>> => {
  const { settings, log, gateway, media } = bench
  const { threads } = bench.transcoder.settings
  const priority = priorityOf(bench.transcoder)
  const gatewayPid = gateway.child.process.pid
  const rootId = catalog.roots.get("Programming")
  if (rootId === undefined) throw new Error("no Programming category in the bench catalog")
  const request = await captureRequest(undefined, (lectern) =>
    lectern.catalog.course.search({ q: "python", categoryId: CategoryId.make(rootId) })
  )
  const searchUrl = `${gateway.url}/rpc/catalog`
  const expected = await post(searchUrl, request.contentType, request.body)
  if (expected.status !== 200 || !expected.text.includes('"exit":{"_tag":"Success"')) {
    throw new WrongAnswer(`the gateway answered course.search with ${expected.status} ${expected.text}`)
  }
  // A run's end aborts its in-flight requests, and the gateway cancels their queries with pg_cancel_backend once
  // a pool connection frees up: a run started at once could lose queries to those late cancels (seen here as
  // "canceling statement due to user request" defects), so each run starts after the previous one settled.
  const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
  const search = (seconds: number) =>
    load({
      url: searchUrl,
      body: request.body,
      headers: { "content-type": request.contentType },
      connections: settings.searchConnections,
      seconds,
      expect: { body: expected.text },
      serverPid: gatewayPid
    })
  const describe = (run: Run) =>
    `${Math.round(run.requestsPerSecond)} req/s, p50 ${run.p50Ms?.toFixed(1)} ms, p99 ${run.p99Ms?.toFixed(1)} ms`
  const warm = await search(settings.warmupSeconds)
  log(`  course.search at ${settings.searchConnections} connections, catalog cache off; warm-up ${describe(warm)}`)
  const idle: Array<Run> = []
  for (let round = 0; round < settings.rounds; round++) {
    await settle()
    const run = await search(settings.durationSeconds)
    idle.push(run)
    log(`  round ${round + 1}  ${IDLE}: ${describe(run)}`)
  }

  /** The pid of the gateway's running ffmpeg; starts a transcode (upload, media.create) when none runs. */
  const transcoding = async () => {
    let pid = ffmpegChildOf(gatewayPid)
    if (pid === undefined) {
      const uploadId = await tusUpload(gateway.url, bench.token, bench.sourceBytes, "source.mp4")
      await media.create(uploadId, "bench: a transcode under API load")
      const deadline = Date.now() + 60_000
      while (pid === undefined) {
        if (Date.now() > deadline) throw new Error("the gateway started no ffmpeg within 60 s of media.create")
        await new Promise((resolve) => setTimeout(resolve, 50))
        pid = ffmpegChildOf(gatewayPid)
      }
    }
    bench.ffmpegsSeen.add(pid)
    return pid
  }
  // A run counts only when the same ffmpeg ran from its start to its end; one the transcode did not outlast is
  // dropped and run again on the next transcode (a short BENCH_MEDIA_SECONDS makes that happen often).
  const busy: Array<Run> = []
  for (let attempt = 1; busy.length < settings.rounds; attempt++) {
    if (attempt > settings.rounds * 4) {
      throw new Error(`${attempt - 1} runs, only ${busy.length} during a transcode: raise BENCH_MEDIA_SECONDS`)
    }
    await settle()
    const pid = await transcoding()
    const run = await search(settings.durationSeconds)
    if (commandOf(pid) !== "ffmpeg") {
      log(`  dropped: the transcode (ffmpeg ${pid}) ended during the run (${describe(run)})`)
      continue
    }
    busy.push(run)
    log(`  round ${busy.length}  ${BUSY}: ${describe(run)} (ffmpeg ${pid} running at ${priority})`)
  }
  const shape =
    `course.search {q, categoryId} over ${catalog.courses} courses at ${settings.searchConnections} connections, ` +
    "catalog cache off, on the gateway whose worker runs the transcode (idle runs first, then the busy ones)"
  return [
    compare({
      bench: "search p99 transcoding ÷ idle",
      description: `${shape}: p99 while its ffmpeg (${priority}, ${threads} thread(s)) transcodes the source ÷ p99 with none running`,
      connections: settings.searchConnections,
      candidate: measured(BUSY, busy),
      baseline: measured(IDLE, idle),
      metric: "p99Ms",
      targetKind: "atMost",
      target: 1.5
    }),
    compare({
      bench: "search req/s transcoding ÷ idle",
      description: `${shape}: req/s while it transcodes ÷ req/s with none running, for reference`,
      connections: settings.searchConnections,
      candidate: measured(BUSY, busy),
      baseline: measured(IDLE, idle),
      target: null
    })
  ]
}

export const runMedia = async (context: {
  readonly settings: BenchSettings
  readonly log: (line: string) => void
}): Promise<ReadonlyArray<Outcome>> => {
  const { settings, log } = context
  const transcoder = await Effect.runPromise(
    makeFfmpeg({
      niceness: DEFAULT_NICENESS,
      idlePriority: process.env.TRANSCODE_IDLE_PRIORITY !== "false",
      cpus: process.env.TRANSCODE_CPUS || undefined
    })
  )
  const { threads, niceness, preset } = transcoder.settings
  const work = await mkdtemp(join(tmpdir(), "lectern-bench-media-"))
  const blobRoot = join(work, "blobs")
  const source = join(work, "source.mp4")
  const ffmpegsSeen = new Set<number>()
  let gateway: BenchGateway | undefined
  let coldGateway: BenchGateway | undefined
  let media: MediaClient | undefined
  const database = await createBenchDatabase(settings.postgresUrl)
  try {
    log(
      `  ${transcoder.binaries.version.split(" Copyright")[0]}; threads ${threads}, ${priorityOf(transcoder)}, x264 ${preset}`
    )
    const generated = Date.now()
    await generateSource(transcoder.binaries.ffmpeg, source, settings.mediaSeconds)
    const sourceBytes = await readFile(source)
    const probe = await Effect.runPromise(transcoder.probe(source, LIMITS))
    const sourceShape =
      `${settings.mediaSeconds} s ${probe.video.width}×${probe.video.height} ${probe.video.frameRate} fps source ` +
      `(${(sourceBytes.length / 1e6).toFixed(1)} MB, ${((probe.video.bitRate ?? 0) / 1e6).toFixed(1)} Mbit/s ` +
      `${probe.video.codec}${probe.audio === undefined ? "" : ` + ${probe.audio.codec}`})`
    log(`  generated a ${sourceShape} in ${Date.now() - generated} ms`)
    // The bare commands are planned without codec copy; so must the Transcoder's be.
    if (await keyframesOnGrid(transcoder.binaries.ffprobe, source)) {
      throw new Error("the source's keyframes fall on the 2 s grid: the Transcoder could copy a rung")
    }
    const rungs = planFor(source, work, probe, { threads, preset }).rungs
    log(`  ladder ${rungs.map((rung) => `${rung.name} ${rung.bitRate / 1e6} Mbit/s`).join(", ")}; no rung copied`)

    log(`  bench database ${database.name}; starting the gateway (media on, MEDIA_WORKERS=1, catalog cache off)`)
    // Both gateways sign and check playback tokens with the same secret.
    const gatewayEnv = {
      BLOB_ROOT: blobRoot,
      MEDIA_WORKERS: "1",
      MEDIA_CACHE_BYTES: String(CACHE_BYTES),
      TRANSCODE_THREADS: String(threads),
      TRANSCODE_NICE: String(niceness),
      TRANSCODE_IDLE_PRIORITY: String(transcoder.settings.idlePriority),
      ...(transcoder.settings.cpus === undefined ? {} : { TRANSCODE_CPUS: transcoder.settings.cpus }),
      TRANSCODE_PRESET: preset,
      CATALOG_CACHE_TTL: "0",
      // The bench holds one session for the whole section, which runs past the default 15 minutes on a busy machine.
      AUTH_ACCESS_TTL: "3 hours",
      LECTERN_ADMIN_EMAIL: ADMIN_EMAIL,
      LECTERN_ADMIN_PASSWORD: ADMIN_PASSWORD,
      MEDIA_SIGNING_SECRET: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")
    }
    gateway = await startGateway({
      databaseUrl: database.url,
      profileDir: settings.profileDir,
      root: undefined,
      profileName: "gateway-media",
      env: gatewayEnv
    })
    const catalog = await seedSearchCatalog(database.url, settings.searchCourses)
    const token = await logIn(gateway.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    media = await openMediaClient(gateway.url, token)
    const bench: MediaBench = {
      settings,
      log,
      transcoder,
      work,
      blobRoot,
      source,
      sourceBytes,
      sourceShape,
      probe,
      rungs,
      gateway,
      token,
      media,
      ffmpegsSeen
    }

    const transcodes = await compareTranscodes(bench)
    const served = transcodes.readyMedia[0]
    const top = rungs[rungs.length - 1]
    if (served === undefined || top === undefined) throw new Error("no ready media to serve segments of")
    log("  starting a second gateway on the same database and blobs with its LRU off, for the cold segment runs")
    coldGateway = await startGateway({
      databaseUrl: database.url,
      profileDir: settings.profileDir,
      root: undefined,
      profileName: "gateway-media-cold",
      env: { ...gatewayEnv, MEDIA_WORKERS: "0", MEDIA_CACHE_BYTES: "0" }
    })
    const segments = await compareSegments({
      origin: gateway.url,
      gatewayPid: gateway.child.process.pid,
      coldOrigin: coldGateway.url,
      coldGatewayPid: coldGateway.child.process.pid,
      generationDir: await generationDir(blobRoot, served),
      playbackBase: await media.playbackBase(served),
      rung: top.name,
      connections: settings.mediaConnections,
      settings,
      log
    })
    await coldGateway.stop()
    coldGateway = undefined
    const search = await compareSearchUnderTranscode(bench, catalog)
    return [...transcodes.outcomes, ...segments, ...search]
  } catch (error) {
    const output = gateway?.child.output().trim()
    if (output) log(`  the media gateway's last output:\n${output.slice(-4000)}`)
    throw error
  } finally {
    await media?.close().catch(() => {})
    await coldGateway?.stop().catch((error: unknown) => log(`  could not stop the cold gateway: ${String(error)}`))
    // Stopping the gateway interrupts its worker, which kills the ffmpeg it runs.
    await gateway?.stop().catch((error: unknown) => log(`  could not stop the media gateway: ${String(error)}`))
    for (const pid of ffmpegsSeen) {
      if (commandOf(pid) !== "ffmpeg") continue
      log(`  ffmpeg ${pid} outlived the gateway; killing its process group`)
      try {
        process.kill(-pid, "SIGKILL")
      } catch (error) {
        log(`  could not kill ffmpeg ${pid}: ${String(error)}`)
      }
    }
    await database.drop().catch((error: unknown) => log(`  could not drop ${database.name}: ${String(error)}`))
    await rm(work, { recursive: true, force: true })
  }
}
