// The pure part of the harness: medians of runs, candidate ÷ baseline ratios, the results JSON and the table.
import { Schema } from "effect"

/**
 * One bounded load run against one server, or one timed job (a transcode: one "request" lasting `seconds`);
 * figures are null where the source does not report them.
 */
export const Run = Schema.Struct({
  requestsPerSecond: Schema.Number,
  p50Ms: Schema.NullOr(Schema.Number),
  p99Ms: Schema.NullOr(Schema.Number),
  /**
   * CPU time (user + system, all threads) the server process spent per request during the run. Steadier than req/s
   * when other work shares the cores, since it does not count the time the server waited for a core.
   */
  cpuMsPerRequest: Schema.NullOr(Schema.Number),
  /** Wall-clock seconds of a run that does one job; absent for load runs. */
  seconds: Schema.optional(Schema.Number)
})
export type Run = typeof Run.Type

/** What a comparison relates: request rates of load runs, wall times of jobs, or p99 latencies of load runs. */
export const Metric = Schema.Literal("requestsPerSecond", "seconds", "p99Ms")
export type Metric = typeof Metric.Type

/** Whether the ratio must reach the target (throughput: higher is better) or stay within it (times, latencies). */
export const TargetKind = Schema.Literal("atLeast", "atMost")
export type TargetKind = typeof TargetKind.Type

/** A server's runs across the rounds and their medians (each statistic's median on its own). */
export const Measured = Schema.Struct({
  name: Schema.String,
  runs: Schema.Array(Run),
  median: Run
})
export type Measured = typeof Measured.Type

/** Candidate ÷ baseline for one benchmark. `target` null: reported for information, nothing to pass. */
export const Comparison = Schema.Struct({
  bench: Schema.String,
  description: Schema.String,
  connections: Schema.Number,
  candidate: Measured,
  baseline: Measured,
  /** The figure the ratio relates (absent in older results: req/s). */
  metric: Schema.optionalWith(Metric, { default: () => "requestsPerSecond" }),
  /**
   * The median over rounds of the candidate's figure ÷ the baseline's within a round: each pair ran back to back, so
   * a machine whose speed drifts between rounds (other work, thermal) moves both sides of a pair alike.
   */
  ratio: Schema.Number,
  /** the candidate's median figure ÷ the baseline's (the medians may come from different rounds) */
  ratioOfMedians: Schema.Number,
  /** candidate ÷ baseline within each round */
  roundRatios: Schema.Array(Schema.Number),
  /** median candidate CPU ms per request ÷ the baseline's (2 = the candidate burns twice the CPU per request) */
  cpuCostRatio: Schema.NullOr(Schema.Number),
  target: Schema.NullOr(Schema.Number),
  /** ratio ≥ target, or ratio ≤ target (absent in older results: ≥). */
  targetKind: Schema.optionalWith(TargetKind, { default: () => "atLeast" }),
  /** When set, the candidate's median p99 must also be at most this many times the baseline's. */
  p99Limit: Schema.optional(Schema.Number),
  verdict: Schema.Literal("pass", "MISSED", "info")
})
export type Comparison = typeof Comparison.Type

/** A comparison this machine could not make (a baseline's program is missing), with the candidate's figures if any. */
export const Skipped = Schema.Struct({
  bench: Schema.String,
  description: Schema.String,
  reason: Schema.String,
  candidate: Schema.optional(Measured)
})
export type Skipped = typeof Skipped.Type

/**
 * A measured quantity that is not a rate beside a baseline: the bytes a page sends, a paint time. Checked against
 * a fixed budget when there is one.
 */
export const Figure = Schema.Struct({
  bench: Schema.String,
  description: Schema.String,
  value: Schema.Number,
  /** e.g. `KB`, `ms` */
  unit: Schema.String,
  target: Schema.NullOr(Schema.Number),
  targetKind: TargetKind,
  verdict: Schema.Literal("pass", "MISSED", "info")
})
export type Figure = typeof Figure.Type

/** What a section hands back: comparisons, the ones it had to skip, and figures. */
export type Outcome = Comparison | Skipped | Figure

export const isSkipped = (outcome: Outcome): outcome is Skipped => "reason" in outcome

export const isFigure = (outcome: Outcome): outcome is Figure => "unit" in outcome

export const Settings = Schema.Struct({
  durationSeconds: Schema.Number,
  warmupSeconds: Schema.Number,
  rounds: Schema.Int,
  connections: Schema.Int,
  loginConnections: Schema.Int,
  searchConnections: Schema.optional(Schema.Int),
  searchCourses: Schema.optional(Schema.Int),
  mediaSeconds: Schema.optional(Schema.Number),
  mediaRounds: Schema.optional(Schema.Int),
  mediaConnections: Schema.optional(Schema.Int),
  heartbeatConnections: Schema.optional(Schema.Int),
  webConnections: Schema.optional(Schema.Int),
  sections: Schema.Array(Schema.String)
})
export type Settings = typeof Settings.Type

export const Machine = Schema.Struct({
  cpus: Schema.Int,
  cpuModel: Schema.String,
  node: Schema.String,
  platform: Schema.String,
  /** The 1-minute load average before the bench began: above the core count, other work was competing. */
  loadAverageAtStart: Schema.Number
})

/** What `bench/results/latest.json` holds. */
export const BenchReport = Schema.Struct({
  startedAt: Schema.String,
  finishedAt: Schema.String,
  machine: Machine,
  settings: Settings,
  notes: Schema.Array(Schema.String),
  comparisons: Schema.Array(Comparison),
  /** Comparisons that could not be made here, and why (absent in older results). */
  skipped: Schema.optionalWith(Schema.Array(Skipped), { default: () => [] }),
  /** Figures against fixed budgets (absent in older results). */
  figures: Schema.optionalWith(Schema.Array(Figure), { default: () => [] }),
  /** Sections that could not run, with why; their comparisons are absent. */
  failures: Schema.Array(Schema.Struct({ section: Schema.String, error: Schema.String }))
})
export type BenchReport = typeof BenchReport.Type

/** The median; the mean of the two middle values for an even count. NaN for no values. */
export const median = (values: ReadonlyArray<number>): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const upper = sorted[middle] ?? Number.NaN
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? Number.NaN) + upper) / 2
}

/** The median of values that are all known; null when any is not (or there are none). */
const medianOrNull = (values: ReadonlyArray<number | null>): number | null => {
  const known = values.filter((value): value is number => value !== null)
  return known.length === 0 || known.length < values.length ? null : median(known)
}

/** The p-th percentile (0–100) of a sample, nearest rank. NaN for an empty sample. */
export const percentile = (values: ReadonlyArray<number>, p: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)))
  return sorted[rank - 1] ?? Number.NaN
}

export const measured = (name: string, runs: ReadonlyArray<Run>): Measured => {
  const seconds = medianOrNull(runs.map((run) => run.seconds ?? null))
  return {
    name,
    runs,
    median: {
      requestsPerSecond: median(runs.map((run) => run.requestsPerSecond)),
      p50Ms: medianOrNull(runs.map((run) => run.p50Ms)),
      p99Ms: medianOrNull(runs.map((run) => run.p99Ms)),
      cpuMsPerRequest: medianOrNull(runs.map((run) => run.cpuMsPerRequest)),
      ...(seconds === null ? {} : { seconds })
    }
  }
}

/** A run's figure for `metric`; NaN when the run does not have it. */
export const figureOf = (run: Run, metric: Metric): number =>
  metric === "requestsPerSecond"
    ? run.requestsPerSecond
    : ((metric === "seconds" ? run.seconds : run.p99Ms) ?? Number.NaN)

/** A ratio of figures; 0 when the baseline measured nothing (so a broken baseline never reads as a pass). */
export const ratio = (candidate: number, baseline: number): number =>
  baseline > 0 && Number.isFinite(candidate) ? candidate / baseline : 0

/** Whether `value` meets `target` the way `kind` says; a ratio of 0 (a side measured nothing) never does. */
export const meetsTarget = (value: number, target: number, kind: TargetKind): boolean =>
  value > 0 && Number.isFinite(value) && (kind === "atLeast" ? value >= target : value <= target)

export const compare = (input: {
  readonly bench: string
  readonly description: string
  readonly connections: number
  readonly candidate: Measured
  readonly baseline: Measured
  readonly target: number | null
  /** Default `atLeast`. */
  readonly targetKind?: TargetKind
  /** Default `requestsPerSecond`. */
  readonly metric?: Metric
  readonly p99Limit?: number
}): Comparison => {
  const metric = input.metric ?? "requestsPerSecond"
  const targetKind = input.targetKind ?? "atLeast"
  const rounds = Math.min(input.candidate.runs.length, input.baseline.runs.length)
  const of = (runs: ReadonlyArray<Run>, i: number) => {
    const run = runs[i]
    return run === undefined ? 0 : figureOf(run, metric)
  }
  const roundRatios = Array.from({ length: rounds }, (_, i) =>
    ratio(of(input.candidate.runs, i), of(input.baseline.runs, i))
  )
  const value = roundRatios.length === 0 ? 0 : median(roundRatios)
  const candidateCpu = input.candidate.median.cpuMsPerRequest
  const baselineCpu = input.baseline.median.cpuMsPerRequest
  return {
    ...input,
    metric,
    targetKind,
    ratio: value,
    ratioOfMedians: ratio(figureOf(input.candidate.median, metric), figureOf(input.baseline.median, metric)),
    cpuCostRatio: candidateCpu !== null && baselineCpu !== null && baselineCpu > 0 ? candidateCpu / baselineCpu : null,
    roundRatios,
    verdict:
      input.target === null
        ? "info"
        : meetsTarget(value, input.target, targetKind) && !p99Exceeded(input)
          ? "pass"
          : "MISSED"
  }
}

/** A figure with its verdict: within its target (≤ or ≥ as `targetKind` says), or info without one. */
export const figure = (input: {
  readonly bench: string
  readonly description: string
  readonly value: number
  readonly unit: string
  readonly target: number | null
  /** Default `atMost`: sizes and times. */
  readonly targetKind?: TargetKind
}): Figure => {
  const targetKind = input.targetKind ?? "atMost"
  return {
    ...input,
    targetKind,
    verdict:
      input.target === null
        ? "info"
        : Number.isFinite(input.value) &&
            (targetKind === "atMost" ? input.value <= input.target : input.value >= input.target)
          ? "pass"
          : "MISSED"
  }
}

/** The candidate's median p99 above `p99Limit` × the baseline's (unknown latencies count as exceeded). */
export const p99Exceeded = (c: {
  readonly candidate: Measured
  readonly baseline: Measured
  readonly p99Limit?: number | undefined
}): boolean => {
  if (c.p99Limit === undefined) return false
  const candidate = c.candidate.median.p99Ms
  const baseline = c.baseline.median.p99Ms
  return candidate === null || baseline === null || candidate > c.p99Limit * baseline
}

// ---------------------------------------------------------------- printing

const rate = (value: number) => (Number.isFinite(value) ? Math.round(value).toString() : "—")
const millis = (value: number | null) =>
  value !== null && Number.isFinite(value)
    ? value >= 100
      ? value.toFixed(0)
      : value >= 10
        ? value.toFixed(1)
        : value.toFixed(2)
    : "—"
const cpu = (value: number | null) =>
  value === null || !Number.isFinite(value) ? "—" : value >= 100 ? value.toFixed(0) : value.toFixed(3)
const latency = (run: Run) => `${millis(run.p50Ms)}/${millis(run.p99Ms)}`

/** A run's figure for `metric`, with its unit. */
export const formatFigure = (run: Run, metric: Metric): string =>
  metric === "requestsPerSecond"
    ? `${rate(run.requestsPerSecond)} req/s`
    : metric === "seconds"
      ? `${run.seconds === undefined ? "—" : run.seconds.toFixed(1)} s`
      : `p99 ${millis(run.p99Ms)} ms`

const bound = (c: Comparison) => `${c.targetKind === "atMost" ? "≤" : "≥"} ${(c.target ?? 0).toFixed(2)}`

const targetText = (c: Comparison) =>
  c.target === null ? "—" : `${bound(c)}${c.p99Limit === undefined ? "" : `, p99 ≤ ${c.p99Limit}×`}`

/** Fixed-width columns; the first column left-aligned, the rest right-aligned. */
export const formatColumns = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths: Array<number> = []
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length)
    })
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join("  ")
        .trimEnd()
    )
    .join("\n")
}

/**
 * The compact table: one line per comparison; the compared figures (req/s, job seconds or p99 ms) and latencies
 * (p50/p99 ms) are each server's medians, the ratio is the median of the per-round ratios.
 */
export const formatTable = (comparisons: ReadonlyArray<Comparison>): string =>
  formatColumns([
    [
      "bench",
      "candidate",
      "baseline",
      "ratio",
      "target",
      "result",
      "cand p50/p99 ms",
      "base p50/p99 ms",
      "CPU ms/req cand/base"
    ],
    ...comparisons.map((c) => [
      c.bench,
      formatFigure(c.candidate.median, c.metric),
      formatFigure(c.baseline.median, c.metric),
      c.ratio.toFixed(2),
      targetText(c),
      c.verdict,
      latency(c.candidate.median),
      latency(c.baseline.median),
      `${cpu(c.candidate.median.cpuMsPerRequest)}/${cpu(c.baseline.median.cpuMsPerRequest)}`
    ])
  ])

/** The lines that must not be missed: every target missed, by how much. */
export const missedLines = (comparisons: ReadonlyArray<Comparison>): ReadonlyArray<string> =>
  comparisons
    .filter((c) => c.verdict === "MISSED")
    .map(
      (c) =>
        `MISSED: ${c.bench} is ${c.ratio.toFixed(2)}× ${c.baseline.name}, target ${bound(c)}× ` +
        `(${formatFigure(c.candidate.median, c.metric)} vs ${formatFigure(c.baseline.median, c.metric)})` +
        (p99Exceeded(c)
          ? `; p99 ${millis(c.candidate.median.p99Ms)} ms vs ${millis(c.baseline.median.p99Ms)} ms, limit ` +
            `${c.p99Limit}× the baseline's`
          : "")
    )

/** One line per comparison that could not be made, with why and the candidate's figures when measured. */
export const skippedLines = (skipped: ReadonlyArray<Skipped>): ReadonlyArray<string> =>
  skipped.map(
    (s) =>
      `SKIPPED: ${s.bench}: ${s.reason}` +
      (s.candidate === undefined
        ? ""
        : ` (${s.candidate.name}: ${formatFigure(s.candidate.median, "requestsPerSecond")}, p50/p99 ` +
          `${latency(s.candidate.median)} ms)`)
  )

const figureValue = (f: Figure) => (f.value >= 100 ? f.value.toFixed(0) : f.value.toFixed(1))

/** One line per figure: value, target and verdict. */
export const formatFigures = (figures: ReadonlyArray<Figure>): string =>
  formatColumns([
    ["figure", "value", "target", "result"],
    ...figures.map((f) => [
      f.bench,
      `${figureValue(f)} ${f.unit}`,
      f.target === null ? "—" : `${f.targetKind === "atMost" ? "≤" : "≥"} ${f.target} ${f.unit}`,
      f.verdict
    ])
  ])

/** Every figure outside its target. */
export const missedFigureLines = (figures: ReadonlyArray<Figure>): ReadonlyArray<string> =>
  figures
    .filter((f) => f.verdict === "MISSED")
    .map(
      (f) =>
        `MISSED: ${f.bench} is ${figureValue(f)} ${f.unit}, target ${f.targetKind === "atMost" ? "≤" : "≥"} ` +
        `${f.target} ${f.unit}`
    )
