// The harness's pure parts: medians, ratios and verdicts, the results JSON, the table, settings, round order, parsing.
import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { processCpuSeconds } from "../src/Processes.ts"
import { packageOf, summarizeProfile } from "../src/profile-summary.ts"
import {
  BenchReport,
  compare,
  formatTable,
  measured,
  median,
  missedLines,
  percentile,
  type Run,
  ratio
} from "../src/Report.ts"
import { roundOrder } from "../src/Rounds.ts"
import { parseRpcOverhead, rpcOverheadComparisons } from "../src/RpcOverheadSection.ts"
import { InvalidSetting, settingsFromEnv } from "../src/Settings.ts"

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
  it("rejects a comparison without its ratio", () => {
    const { ratio: _dropped, ...withoutRatio } = passing
    const broken = { ...report, comparisons: [withoutRatio] }
    expect(Either.isLeft(Schema.decodeUnknownEither(BenchReport)(broken))).toBe(true)
  })
})

describe("the table", () => {
  const comparisons = [comparison([40], [100], 0.5), comparison([120], [100], 1), comparison([7], [70], null)]
  it("has a header and one line per comparison", () => {
    const lines = formatTable(comparisons).split("\n")
    expect(lines).toHaveLength(4)
    expect(lines[0]).toMatch(/^bench\s+cand req\/s\s+base req\/s\s+ratio\s+target\s+result/)
    expect(lines[1]).toMatch(/40\s+100\s+0\.40\s+≥ 0\.50\s+MISSED/)
    expect(lines[2]).toMatch(/120\s+100\s+1\.20\s+≥ 1\.00\s+pass/)
    expect(lines[3]).toMatch(/0\.10\s+—\s+info/)
  })
  it("names every missed target, and only those", () => {
    const missed = missedLines(comparisons)
    expect(missed).toHaveLength(1)
    expect(missed[0]).toContain("MISSED: b is 0.40× base, target ≥ 0.50×")
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
    expect(settings.sections).toEqual(["userMe", "login", "rpcOverhead", "search"])
    expect(settings).toMatchObject({ searchConnections: 64, searchCourses: 10_000 })
    expect(settings.profileDir).toBeUndefined()
  })
  it("reads BENCH_DURATION, BENCH_ROUNDS, BENCH_CONNECTIONS and BENCH_SECTIONS", () => {
    const settings = settingsFromEnv(
      { BENCH_DURATION: "1.5", BENCH_ROUNDS: "5", BENCH_CONNECTIONS: "8", BENCH_SECTIONS: "login, userMe" },
      "/x.json"
    )
    expect(settings).toMatchObject({ durationSeconds: 1.5, rounds: 5, connections: 8, sections: ["login", "userMe"] })
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
