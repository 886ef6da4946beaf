// The harness's pure parts: medians, ratios and verdicts, the results JSON, the table, settings, round order, parsing.

import { createServer } from "node:http"
import { describe, expect, it } from "@effect/vitest"
import type { Probe } from "@lectern/platform/Transcoder"
import { Either, Schema } from "effect"
import { getLoad, LoadRunFailed, ResponseCounter, UnreadableResponse } from "../src/Load.ts"
import { processCpuSeconds } from "../src/Processes.ts"
import { packageOf, summarizeProfile } from "../src/profile-summary.ts"
import {
  BenchReport,
  compare,
  figure,
  formatFigures,
  formatTable,
  isSkipped,
  measured,
  median,
  missedFigureLines,
  missedLines,
  percentile,
  type Run,
  ratio,
  type Skipped,
  skippedLines
} from "../src/Report.ts"
import { roundOrder } from "../src/Rounds.ts"
import { parseRpcOverhead, rpcOverheadComparisons } from "../src/RpcOverheadSection.ts"
import { InvalidSetting, settingsFromEnv } from "../src/Settings.ts"
import { perRenditionArgs, planFor, singlePassArgs } from "../src/servers/MediaLadder.ts"
import { coldSegmentCount, SEGMENT_BYTES, segmentFromPool } from "../src/servers/MediaSegments.ts"
import { nginxConfig } from "../src/servers/Nginx.ts"
import { cpuWithReapedChildren } from "../src/servers/ProcessTree.ts"
import { pageScripts } from "../src/WebSection.ts"

const run = (
  requestsPerSecond: number,
  p50Ms: number | null = 1,
  p99Ms: number | null = 2,
  cpuMsPerRequest: number | null = null
): Run => ({ requestsPerSecond, p50Ms, p99Ms, cpuMsPerRequest })

const comparison = (candidate: ReadonlyArray<number>, baseline: ReadonlyArray<number>, target: number | null) =>
  compare({
    bench: "b",
    description: "d",
    connections: 32,
    candidate: measured(
      "cand",
      candidate.map((rate) => run(rate))
    ),
    baseline: measured(
      "base",
      baseline.map((rate) => run(rate))
    ),
    target
  })

describe("median and percentile", () => {
  it("takes the middle value of an odd count, whatever the order", () => {
    expect(median([30, 10, 20])).toBe(20)
    expect(median([5])).toBe(5)
  })
  it("averages the two middle values of an even count", () => {
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })
  it("is NaN for no values", () => {
    expect(median([])).toBeNaN()
  })
  it("does not reorder its input", () => {
    const values = [3, 1, 2]
    median(values)
    expect(values).toEqual([3, 1, 2])
  })
  it("percentile is the nearest rank", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect(percentile(values, 50)).toBe(50)
    expect(percentile(values, 99)).toBe(99)
    expect(percentile(values, 100)).toBe(100)
    expect(percentile([7], 99)).toBe(7)
    expect(percentile([], 50)).toBeNaN()
  })
})

describe("measured", () => {
  it("takes each statistic's median on its own", () => {
    const m = measured("x", [run(100, 5, 50, 0.3), run(300, 1, 90, 0.1), run(200, 9, 10, 0.2)])
    expect(m.median).toEqual({ requestsPerSecond: 200, p50Ms: 5, p99Ms: 50, cpuMsPerRequest: 0.2 })
    expect(m.runs).toHaveLength(3)
  })
  it("reports no latency median when a run has none", () => {
    const m = measured("x", [run(100, null, null), run(200, 3, 4)])
    expect(m.median).toEqual({ requestsPerSecond: 150, p50Ms: null, p99Ms: null, cpuMsPerRequest: null })
  })
})

describe("ratio and verdict", () => {
  it("is the median of the per-round ratios, with the ratio of the medians beside it", () => {
    const c = comparison([100, 90, 300], [200, 100, 150], 0.5)
    expect(c.roundRatios.map((r) => Number(r.toFixed(3)))).toEqual([0.5, 0.9, 2])
    expect(c.ratio).toBeCloseTo(0.9)
    expect(c.ratioOfMedians).toBeCloseTo(100 / 150)
  })
  it("passes at the target exactly and misses below it", () => {
    expect(comparison([50], [100], 0.5).verdict).toBe("pass")
    expect(comparison([49], [100], 0.5).verdict).toBe("MISSED")
  })
  it("has no verdict without a target", () => {
    expect(comparison([1], [100], null).verdict).toBe("info")
  })
  it("relates CPU per request when both sides measured it, and only then", () => {
    const cpuCost = (candidate: number | null, baseline: number | null) =>
      compare({
        bench: "b",
        description: "d",
        connections: 1,
        candidate: measured("cand", [run(100, 1, 2, candidate)]),
        baseline: measured("base", [run(100, 1, 2, baseline)]),
        target: null
      }).cpuCostRatio
    expect(cpuCost(0.3, 0.1)).toBeCloseTo(3)
    expect(cpuCost(0.3, null)).toBeNull()
    expect(cpuCost(null, 0.1)).toBeNull()
  })
  it("with a p99 limit, misses when the candidate's p99 exceeds that many times the baseline's", () => {
    const withTail = (candidateP99: number | null) =>
      compare({
        bench: "b",
        description: "d",
        connections: 64,
        candidate: measured("cand", [run(100, 10, candidateP99)]),
        baseline: measured("base", [run(100, 10, 100)]),
        target: 0.6,
        p99Limit: 3
      })
    expect(withTail(300).verdict).toBe("pass")
    expect(withTail(301).verdict).toBe("MISSED")
    expect(withTail(null).verdict).toBe("MISSED")
    expect(missedLines([withTail(400)])[0]).toMatch(/p99 400 ms vs 100 ms, limit 3× the baseline's/)
    expect(formatTable([withTail(300)])).toContain("≥ 0.60, p99 ≤ 3×")
  })
  it("never passes against a baseline that did nothing", () => {
    expect(ratio(100, 0)).toBe(0)
    expect(comparison([100], [0], 0.5).verdict).toBe("MISSED")
  })
})

describe("the results JSON", () => {
  const passing = comparison([100, 110, 90], [200, 210, 190], 0.5)
  const report: typeof BenchReport.Type = {
    startedAt: "2025-01-01T00:00:00.000Z",
    finishedAt: "2025-01-01T00:04:00.000Z",
    machine: { cpus: 2, cpuModel: "cpu", node: "v24.21.0", platform: "linux", loadAverageAtStart: 0.5 },
    settings: {
      durationSeconds: 5,
      warmupSeconds: 2,
      rounds: 3,
      connections: 32,
      loginConnections: 8,
      sections: ["userMe"]
    },
    notes: ["n"],
    comparisons: [passing, comparison([1], [2], null)],
    skipped: [
      { bench: "s", description: "d", reason: "nginx not installed", candidate: measured("cand", [run(10)]) },
      { bench: "t", description: "d", reason: "no candidate either" }
    ],
    figures: [figure({ bench: "js", description: "d", value: 42.5, unit: "KB", target: 60 })],
    failures: [{ section: "login", error: "boom" }]
  }

  it("survives JSON.stringify and decodes back to the same report", () => {
    const text = JSON.stringify(Schema.encodeSync(BenchReport)(report))
    expect(Schema.decodeUnknownSync(BenchReport)(JSON.parse(text))).toEqual(report)
  })
  it("holds medians, ratio, target and verdict per comparison", () => {
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(BenchReport)(report)))
    expect(json.comparisons[0]).toMatchObject({
      candidate: { median: { requestsPerSecond: 100 } },
      baseline: { median: { requestsPerSecond: 200 } },
      ratio: 0.5,
      target: 0.5,
      verdict: "pass"
    })
    expect(json.comparisons[1].target).toBeNull()
  })
  it("reads results written before metrics, target kinds and skipped comparisons as req/s, ≥ and none", () => {
    const {
      skipped: _skipped,
      figures: _figures,
      ...older
    } = JSON.parse(JSON.stringify(Schema.encodeSync(BenchReport)(report)))
    for (const c of older.comparisons) {
      delete c.metric
      delete c.targetKind
    }
    const decoded = Schema.decodeUnknownSync(BenchReport)(older)
    expect(decoded.skipped).toEqual([])
    expect(decoded.figures).toEqual([])
    expect(decoded.comparisons[0]).toMatchObject({ metric: "requestsPerSecond", targetKind: "atLeast" })
  })
  it("rejects a comparison without its ratio", () => {
    const { ratio: _dropped, ...withoutRatio } = passing
    const broken = { ...report, comparisons: [withoutRatio] }
    expect(Either.isLeft(Schema.decodeUnknownEither(BenchReport)(broken))).toBe(true)
  })
})

describe("figures against a fixed budget", () => {
  const js = (value: number, target: number | null) =>
    figure({ bench: "js", description: "d", value, unit: "KB", target })
  it("pass at or under an at-most target, miss above it, and are info without one", () => {
    expect(js(60, 60).verdict).toBe("pass")
    expect(js(0, 0).verdict).toBe("pass")
    expect(js(60.1, 60).verdict).toBe("MISSED")
    expect(js(Number.NaN, 60).verdict).toBe("MISSED")
    expect(js(500, null).verdict).toBe("info")
    expect(
      figure({ bench: "b", description: "d", value: 2, unit: "x", target: 3, targetKind: "atLeast" }).verdict
    ).toBe("MISSED")
  })
  it("print one line each and name the missed ones", () => {
    const lines = formatFigures([js(42.25, 60), js(75, 60)]).split("\n")
    expect(lines).toHaveLength(3)
    expect(lines[1]).toMatch(/^js\s+42\.3 KB\s+≤ 60 KB\s+pass$/)
    expect(missedFigureLines([js(42, 60), js(75, 60)])).toEqual(["MISSED: js is 75.0 KB, target ≤ 60 KB"])
  })
})

describe("the course page's scripts", () => {
  it("are the script srcs and modulepreload hrefs, in page order, each once; inline scripts and other links are not", () => {
    const html =
      '<html><head><link rel="stylesheet" href="/a.css"><link rel="modulepreload" href="/_build/assets/x.js">' +
      "<link href='/_build/assets/y.js' rel='preload modulepreload' crossorigin>" +
      '<link rel="icon" href="/favicon.svg"></head><body><script nonce="n">window.$R=[]</script>' +
      '<script type="module" src="/_build/assets/x.js" async></script>' +
      '<script src="/_build/entry.js?v=1&amp;x=2"></script></body></html>'
    expect(pageScripts(html)).toEqual(["/_build/assets/x.js", "/_build/assets/y.js", "/_build/entry.js?v=1&x=2"])
  })
})

describe("the table", () => {
  const comparisons = [comparison([40], [100], 0.5), comparison([120], [100], 1), comparison([7], [70], null)]
  it("has a header and one line per comparison", () => {
    const lines = formatTable(comparisons).split("\n")
    expect(lines).toHaveLength(4)
    expect(lines[0]).toMatch(/^bench\s+candidate\s+baseline\s+ratio\s+target\s+result/)
    expect(lines[1]).toMatch(/40 req\/s\s+100 req\/s\s+0\.40\s+≥ 0\.50\s+MISSED/)
    expect(lines[2]).toMatch(/120 req\/s\s+100 req\/s\s+1\.20\s+≥ 1\.00\s+pass/)
    expect(lines[3]).toMatch(/0\.10\s+—\s+info/)
  })
  it("names every missed target, and only those", () => {
    const missed = missedLines(comparisons)
    expect(missed).toHaveLength(1)
    expect(missed[0]).toContain("MISSED: b is 0.40× base, target ≥ 0.50×")
  })
})

describe("times and latencies: lower is better", () => {
  const job = (seconds: number): Run => ({
    requestsPerSecond: 1 / seconds,
    p50Ms: null,
    p99Ms: null,
    cpuMsPerRequest: null,
    seconds
  })
  const timed = (candidate: ReadonlyArray<number>, baseline: ReadonlyArray<number>, target: number, atMost = true) =>
    compare({
      bench: "pipeline ÷ bare",
      description: "d",
      connections: 1,
      candidate: measured("pipeline", candidate.map(job)),
      baseline: measured("bare", baseline.map(job)),
      metric: "seconds",
      targetKind: atMost ? "atMost" : "atLeast",
      target
    })

  it("takes the median of a job's wall times, and none for load runs", () => {
    expect(measured("x", [job(3), job(1), job(2)]).median.seconds).toBe(2)
    expect(measured("x", [run(100)]).median.seconds).toBeUndefined()
  })
  it("relates wall times per round and passes at most at the target", () => {
    const c = timed([21, 30, 20], [20, 20, 20], 1.05)
    expect(c.roundRatios).toEqual([1.05, 1.5, 1])
    expect(c.ratio).toBeCloseTo(1.05)
    expect(c.ratioOfMedians).toBeCloseTo(21 / 20)
    expect(c.verdict).toBe("pass")
    expect(timed([22, 30, 21], [20, 20, 20], 1.05).verdict).toBe("MISSED")
  })
  it("can ask a time ratio to reach a target (the slower way ÷ the pipeline)", () => {
    expect(timed([23], [20], 1.15, false).verdict).toBe("pass")
    expect(timed([22], [20], 1.15, false).verdict).toBe("MISSED")
  })
  it("never passes when a side measured no time", () => {
    expect(timed([20], [0], 1.05).verdict).toBe("MISSED")
    const untimed = compare({
      bench: "b",
      description: "d",
      connections: 1,
      candidate: measured("cand", [job(20)]),
      baseline: measured("base", [run(100)]),
      metric: "seconds",
      targetKind: "atMost",
      target: 1.05
    })
    expect(untimed.ratio).toBe(0)
    expect(untimed.verdict).toBe("MISSED")
  })
  it("relates p99 latencies, unknown ones never passing", () => {
    const tail = (busy: number | null) =>
      compare({
        bench: "p99 busy ÷ idle",
        description: "d",
        connections: 64,
        candidate: measured("busy", [run(90, 5, busy)]),
        baseline: measured("idle", [run(100, 5, 100)]),
        metric: "p99Ms",
        targetKind: "atMost",
        target: 1.5
      })
    expect(tail(150).verdict).toBe("pass")
    expect(tail(151).verdict).toBe("MISSED")
    expect(tail(null).verdict).toBe("MISSED")
    expect(formatTable([tail(120)]).split("\n")[1]).toMatch(/p99 120 ms\s+p99 100 ms\s+1\.20\s+≤ 1\.50\s+pass/)
  })
  it("prints seconds and the ≤ bound, in the table and in what was missed", () => {
    expect(formatTable([timed([21], [20], 1.05)]).split("\n")[1]).toMatch(/21\.0 s\s+20\.0 s\s+1\.05\s+≤ 1\.05\s+pass/)
    expect(missedLines([timed([30], [20], 1.05)])).toEqual([
      "MISSED: pipeline ÷ bare is 1.50× bare, target ≤ 1.05× (30.0 s vs 20.0 s)"
    ])
  })
})

describe("skipped comparisons", () => {
  const skipped: Skipped = {
    bench: "HLS segments cold ÷ nginx",
    description: "d",
    reason: "nginx not installed (apt-get install -y nginx)",
    candidate: measured("gateway segments cold", [run(700, 10, 40)])
  }
  it("are told apart from comparisons", () => {
    expect(isSkipped(skipped)).toBe(true)
    expect(isSkipped(comparison([1], [1], null))).toBe(false)
  })
  it("say why, with the candidate's figures when it ran", () => {
    expect(skippedLines([skipped, { bench: "x", description: "d", reason: "why" }])).toEqual([
      "SKIPPED: HLS segments cold ÷ nginx: nginx not installed (apt-get install -y nginx) " +
        "(gateway segments cold: 700 req/s, p50/p99 10.0/40.0 ms)",
      "SKIPPED: x: why"
    ])
  })
})

describe("reading responses off a socket", () => {
  const response = (status: string, body: string, headers = `Content-Length: ${body.length}\r\n`) =>
    Buffer.from(`HTTP/1.1 ${status}\r\nContent-Type: video/mp2t\r\n${headers}\r\n${body}`)
  const read = (chunks: ReadonlyArray<Uint8Array>) => {
    const counter = new ResponseCounter()
    const seen: Array<[number, number]> = []
    for (const chunk of chunks) counter.push(chunk, (status, length) => seen.push([status, length]))
    return seen
  }

  it("counts responses however the bytes are cut, even in one reused buffer", () => {
    const bytes = Buffer.concat([response("200 OK", "x".repeat(300)), response("404 Not Found", "gone")])
    const reused = Buffer.alloc(1)
    const counter = new ResponseCounter()
    const seen: Array<[number, number]> = []
    for (const byte of bytes) {
      reused[0] = byte
      counter.push(reused, (status, length) => seen.push([status, length]))
    }
    expect(seen).toEqual([
      [200, 300],
      [404, 4]
    ])
    expect(read([bytes])).toEqual(seen)
  })
  it("refuses responses it cannot frame", () => {
    expect(() => read([response("200 OK", "abc", "Transfer-Encoding: chunked\r\n")])).toThrow(UnreadableResponse)
    expect(() => read([Buffer.from("SSH-2.0-OpenSSH\r\n\r\n")])).toThrow(/no status line/)
  })
})

describe("the GET loader", () => {
  const serve = async (answer: (path: string) => { status: number; body: Buffer }) => {
    const asked: Array<string> = []
    const server = createServer((req, res) => {
      asked.push(req.url ?? "")
      const { status, body } = answer(req.url ?? "")
      res.writeHead(status, { "content-length": body.length })
      res.end(body)
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    return {
      origin: `http://127.0.0.1:${port}`,
      asked,
      close: () => new Promise((resolve) => server.close(resolve))
    }
  }
  const body = Buffer.alloc(200_000, 7)
  const paths = ["/a.ts", "/b.ts", "/c.ts"]

  it("requests the paths in turn across connections and measures each answer", async () => {
    const server = await serve(() => ({ status: 200, body }))
    try {
      const measuredRun = await getLoad({
        origin: server.origin,
        paths,
        bodyBytes: body.length,
        connections: 2,
        seconds: 0.3,
        serverPids: [process.pid]
      })
      expect(measuredRun.requestsPerSecond).toBeGreaterThan(0)
      expect(measuredRun.p99Ms).toBeGreaterThanOrEqual(measuredRun.p50Ms ?? Number.POSITIVE_INFINITY)
      expect(measuredRun.cpuMsPerRequest).toBeTypeOf("number")
      expect(new Set(server.asked)).toEqual(new Set(paths))
      expect(server.asked.slice(0, 3).sort()).toEqual(paths)
    } finally {
      await server.close()
    }
  })
  it("fails the run on an error status or a body of the wrong length", async () => {
    const server = await serve((path) =>
      path === "/b.ts" ? { status: 404, body: Buffer.from("no") } : { status: 200, body }
    )
    try {
      const options = { origin: server.origin, connections: 1, seconds: 0.2, serverPids: [] }
      await expect(getLoad({ ...options, paths, bodyBytes: body.length })).rejects.toThrow(/non-2xx \(404\)/)
      await expect(getLoad({ ...options, paths: ["/a.ts"], bodyBytes: 5 })).rejects.toThrow(LoadRunFailed)
      await expect(getLoad({ ...options, paths: [], bodyBytes: 5 })).rejects.toThrow(/no paths/)
    } finally {
      await server.close()
    }
  })
})

describe("the transcode baselines", () => {
  const probe = (frameRate: number): Probe => ({
    formatName: "mov,mp4,m4a,3gp,3g2,mj2",
    durationSeconds: 20,
    sizeBytes: 34_000_000,
    video: {
      codec: "h264",
      profile: "Constrained Baseline",
      pixelFormat: "yuv420p",
      width: 1920,
      height: 1080,
      frameRate,
      bitRate: 13_000_000
    },
    audio: { codec: "aac", channels: 2, sampleRate: 48_000, bitRate: 96_000 }
  })
  const settings = { threads: 1, preset: "veryfast" as const }
  /** A rung's output options: from its `-map [v<rung>]` to its playlist path. */
  const rungOptions = (args: ReadonlyArray<string>, rung: string) => {
    const start = args.indexOf(`[v${rung}]`) - 1
    const end = args.findIndex((arg) => arg.endsWith(`/${rung}/index.m3u8`))
    return args.slice(start, end + 1)
  }

  it("runs one ffmpeg per rung, each decoding the source with the single pass's options for its rung", () => {
    const plan = planFor("/in/source.mp4", "/out", probe(25), settings)
    const single = singlePassArgs(plan)
    const perRung = perRenditionArgs(plan)
    expect(plan.rungs.map((rung) => rung.name)).toEqual(["360p", "720p", "1080p"])
    expect(perRung).toHaveLength(3)
    plan.rungs.forEach((rung, i) => {
      const args = perRung[i] ?? []
      expect(args.filter((arg) => arg === "-i")).toHaveLength(1)
      expect(args.filter((arg) => arg === "libx264")).toHaveLength(1)
      expect(rungOptions(args, rung.name)).toEqual(rungOptions(single, rung.name))
      expect(rungOptions(args, rung.name).length).toBeGreaterThan(20)
    })
    const [low, middle, high] = perRung
    for (const args of [low ?? [], middle ?? []]) {
      expect(args).not.toContain("[posterout]")
      expect(args).not.toContain("[spriteout]")
      expect(args[args.indexOf("-filter_complex") + 1]).toMatch(/^\[0:v:0\]scale=\d+:\d+:flags=bicubic,[^;]*\[v\d+p\]$/)
    }
    expect(high).toContain("[posterout]")
    expect(high).toContain("[spriteout]")
    expect(single.filter((arg) => arg === "libx264")).toHaveLength(3)
  })
  it("keeps the frame-rate reduction of a fast source in every command", () => {
    const plan = planFor("/in/source.mp4", "/out", probe(120), settings)
    const [low] = perRenditionArgs(plan)
    expect(low?.[(low?.indexOf("-filter_complex") ?? 0) + 1]).toMatch(/^\[0:v:0\]fps=60,scale=640:360/)
  })
})

describe("the nginx baseline's config", () => {
  it("serves the root on loopback with sendfile, in the foreground, writing only inside its directory", () => {
    const config = nginxConfig({ dir: "/tmp/n", root: "/srv/blobs/v1", port: 8123, user: undefined })
    for (const line of [
      "worker_processes 1;",
      "daemon off;",
      "pid /tmp/n/nginx.pid;",
      "error_log /tmp/n/error.log warn;",
      "  access_log off;",
      "  sendfile on;",
      "  keepalive_requests 1000000;",
      "    listen 127.0.0.1:8123;",
      "    root /srv/blobs/v1;"
    ]) {
      expect(config.split("\n")).toContain(line)
    }
    expect(config).not.toContain("user ")
    expect(config.match(/_temp_path (\S+);/g)?.every((line) => line.includes("/tmp/n/"))).toBe(true)
    expect(nginxConfig({ dir: "/tmp/n", root: "/r", port: 1, user: "root" }).split("\n")[0]).toBe("user root;")
  })
})

describe("bench segments", () => {
  const pool = new Uint8Array(188 * 10).map((_, i) => (i % 188 === 0 ? 0x47 : Math.floor(i / 188)))

  it("are whole TS packets of the pool, different for each index, wrapping around a short pool", () => {
    const a = segmentFromPool(pool, 0, 188 * 25)
    const b = segmentFromPool(pool, 1, 188 * 25)
    expect(a).toHaveLength(188 * 25)
    for (let at = 0; at < a.length; at += 188) expect(a[at]).toBe(0x47)
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false)
    expect(() => segmentFromPool(new Uint8Array(100), 0, 188)).toThrow(/no TS packets/)
  })
  it("are ~1.5 MB, and the cold set outgrows the gateway's LRU", () => {
    expect(SEGMENT_BYTES % 188).toBe(0)
    expect(SEGMENT_BYTES).toBeGreaterThan(1_500_000)
    expect(SEGMENT_BYTES).toBeLessThan(1_600_000)
    const cache = 256 * 1024 * 1024
    expect(coldSegmentCount(cache, SEGMENT_BYTES) * SEGMENT_BYTES).toBeGreaterThan(cache * 1.1)
  })
})

describe("round order", () => {
  it("rotates which server goes first, keeping every server once per round", () => {
    expect(roundOrder(["a", "b", "c"], 0)).toEqual(["a", "b", "c"])
    expect(roundOrder(["a", "b", "c"], 1)).toEqual(["b", "c", "a"])
    expect(roundOrder(["a", "b", "c"], 3)).toEqual(["a", "b", "c"])
    expect(roundOrder([], 2)).toEqual([])
  })
})

describe("settings", () => {
  it("defaults to 5 s runs, 3 rounds, 32 connections and every section", () => {
    const settings = settingsFromEnv({}, "/x.json")
    expect(settings).toMatchObject({ durationSeconds: 5, rounds: 3, connections: 32, resultsFile: "/x.json" })
    expect(settings.sections).toEqual(["userMe", "login", "rpcOverhead", "search", "media", "heartbeat", "web"])
    expect(settings).toMatchObject({ searchConnections: 64, searchCourses: 10_000 })
    expect(settings).toMatchObject({ mediaSeconds: 20, mediaRounds: 3, mediaConnections: 16 })
    expect(settings.profileDir).toBeUndefined()
  })
  it("reads BENCH_DURATION, BENCH_ROUNDS, BENCH_CONNECTIONS and BENCH_SECTIONS", () => {
    const settings = settingsFromEnv(
      { BENCH_DURATION: "1.5", BENCH_ROUNDS: "5", BENCH_CONNECTIONS: "8", BENCH_SECTIONS: "login, userMe" },
      "/x.json"
    )
    expect(settings).toMatchObject({ durationSeconds: 1.5, rounds: 5, connections: 8, sections: ["login", "userMe"] })
  })
  it("runs the media section alone and reads its settings", () => {
    const settings = settingsFromEnv(
      { BENCH_SECTIONS: "media", BENCH_MEDIA_SECONDS: "4", BENCH_MEDIA_ROUNDS: "1", BENCH_MEDIA_CONNECTIONS: "4" },
      "/x.json"
    )
    expect(settings).toMatchObject({ sections: ["media"], mediaSeconds: 4, mediaRounds: 1, mediaConnections: 4 })
    expect(() => settingsFromEnv({ BENCH_MEDIA_ROUNDS: "0" }, "/x.json")).toThrow(/BENCH_MEDIA_ROUNDS/)
    expect(() => settingsFromEnv({ BENCH_MEDIA_SECONDS: "twenty" }, "/x.json")).toThrow(/BENCH_MEDIA_SECONDS/)
  })
  it("runs the web section alone and reads its settings", () => {
    const settings = settingsFromEnv(
      { BENCH_SECTIONS: "web", BENCH_WEB_CONNECTIONS: "4", BENCH_WEB_PAINTS: "3" },
      "/x.json"
    )
    expect(settings).toMatchObject({ sections: ["web"], webConnections: 4, webPaints: 3 })
    expect(settingsFromEnv({}, "/x.json")).toMatchObject({ webConnections: 16, webPaints: 9 })
    expect(() => settingsFromEnv({ BENCH_WEB_PAINTS: "0" }, "/x.json")).toThrow(/BENCH_WEB_PAINTS/)
  })
  it("refuses what it cannot use, naming the variable", () => {
    expect(() => settingsFromEnv({ BENCH_ROUNDS: "2.5" }, "/x.json")).toThrow(/BENCH_ROUNDS/)
    expect(() => settingsFromEnv({ BENCH_DURATION: "-1" }, "/x.json")).toThrow(InvalidSetting)
    expect(() => settingsFromEnv({ BENCH_SECTIONS: "everything" }, "/x.json")).toThrow(/unknown section/)
  })
})

describe("reading rpc-overhead.ts", () => {
  const output = [
    "32 connections, 5 s per run, 3 rounds, 20-item reply",
    "round 1: raw node:http 10000 req/s (1.00×) | RpcHttp 5000 req/s (0.50×) | stock RpcServer 2000 req/s (0.20×)",
    "round 2: raw node:http 12000 req/s (1.00×) | RpcHttp 5400 req/s (0.45×) | stock RpcServer 1800 req/s (0.15×)",
    "round 3: raw node:http 11000 req/s (1.00×) | RpcHttp 6600 req/s (0.60×) | stock RpcServer 2200 req/s (0.20×)",
    "median ÷ raw node:http:",
    "  RpcHttp                0.50"
  ].join("\n")

  it("reads each server's runs in round order", () => {
    const parsed = parseRpcOverhead(output)
    expect(parsed.connections).toBe(32)
    expect(parsed.runs.get("RpcHttp")?.map((r) => r.requestsPerSecond)).toEqual([5000, 5400, 6600])
  })
  it("compares every server to the first one printed, without a target", () => {
    const comparisons = rpcOverheadComparisons(output)
    expect(comparisons.map((c) => [c.candidate.name, c.baseline.name, c.verdict])).toEqual([
      ["RpcHttp", "raw node:http", "info"],
      ["stock RpcServer", "raw node:http", "info"]
    ])
    expect(comparisons[0]?.ratio).toBeCloseTo(0.5)
    expect(comparisons[0]?.ratioOfMedians).toBeCloseTo(5400 / 11000)
  })
  it("fails loudly on output it does not understand", () => {
    expect(() => parseRpcOverhead("round 1: something else entirely")).toThrow(/cannot read/)
    expect(() => parseRpcOverhead("no rounds at all")).toThrow(/no rounds/)
  })
})

describe("CPU time of a process", () => {
  it("reads this process's user + system seconds from /proc, and nothing for no process", () => {
    const seconds = processCpuSeconds(process.pid)
    expect(seconds).toBeTypeOf("number")
    expect(seconds).toBeGreaterThanOrEqual(0)
    expect(processCpuSeconds(undefined)).toBeUndefined()
    expect(processCpuSeconds(2 ** 30)).toBeUndefined()
  })
  it("adds the CPU of reaped children", () => {
    expect(cpuWithReapedChildren(process.pid)).toBeGreaterThanOrEqual(processCpuSeconds(process.pid) ?? 0)
    expect(cpuWithReapedChildren(2 ** 30)).toBeUndefined()
  })
})

describe("profile summary", () => {
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 })
  // root → a (effect) → b (lectern) ; root → idle ; root → gc
  const profile = {
    nodes: [
      { id: 1, callFrame: frame("(root)", ""), children: [2, 4, 5] },
      { id: 2, callFrame: frame("a", "file:///x/node_modules/effect/dist/esm/a.js"), children: [3] },
      { id: 3, callFrame: frame("b", "file:///x/packages/platform/src/B.ts") },
      { id: 4, callFrame: frame("(idle)", "") },
      { id: 5, callFrame: frame("(garbage collector)", "") }
    ],
    samples: [2, 3, 3, 3, 4, 4, 4, 4, 5, 3]
  }

  it("names where a frame's code lives", () => {
    expect(packageOf(frame("f", "file:///r/node_modules/@effect/rpc/dist/x.js"))).toBe("@effect/rpc")
    expect(packageOf(frame("f", "file:///r/node_modules/effect/dist/x.js"))).toBe("effect")
    expect(packageOf(frame("f", "node:internal/streams/writable"))).toBe("node core")
    expect(packageOf(frame("f", "file:///r/services/auth/src/Repo.ts"))).toBe("lectern services/auth")
    expect(packageOf(frame("(garbage collector)", ""))).toBe("(garbage collector)")
  })

  it("shares busy samples by self and by inclusive time, idle left out", () => {
    const summary = summarizeProfile(profile)
    expect(summary.samples).toBe(6)
    expect(summary.byPackage.map((share) => [share.name, share.samples])).toEqual([
      ["lectern packages/platform", 4],
      ["effect", 1],
      ["(garbage collector)", 1]
    ])
    const inclusiveA = summary.topInclusive.find((share) => share.name.startsWith("a "))
    expect(inclusiveA?.samples).toBe(5)
    expect(inclusiveA?.percent).toBeCloseTo((100 * 5) / 6)
    expect(summary.topSelf[0]?.name).toMatch(/^b packages\/platform\/src\/B.ts:1$/)
  })

  it("leaves out the samples before skipSeconds", () => {
    const timed = { ...profile, timeDeltas: profile.samples.map(() => 250_000) }
    // 10 samples 0.25 s apart: skipping 1.5 s keeps the last five (4, 4, 4, 5, 3) of which 2 are busy.
    expect(summarizeProfile(timed, 25, 1.5).samples).toBe(2)
  })
})
