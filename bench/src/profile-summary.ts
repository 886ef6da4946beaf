// Reads a `node --cpu-prof` profile and prints where the samples went: by package, and the top functions by self
// and by inclusive share. `node bench/src/profile-summary.ts /tmp/prof/gateway.cpuprofile [top] [skipSeconds]`
// (skipSeconds leaves out the start, e.g. module loading, so the shares are of the time under load).
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

interface CallFrame {
  readonly functionName: string
  readonly url: string
  readonly lineNumber: number
}

interface ProfileNode {
  readonly id: number
  readonly callFrame: CallFrame
  readonly children?: ReadonlyArray<number>
}

export interface CpuProfile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  /** Microseconds from the previous sample (the first: from the profile's start). */
  readonly timeDeltas?: ReadonlyArray<number>
}

export interface Share {
  readonly name: string
  readonly samples: number
  readonly percent: number
}

export interface ProfileSummary {
  readonly samples: number
  readonly byPackage: ReadonlyArray<Share>
  readonly topSelf: ReadonlyArray<Share>
  readonly topInclusive: ReadonlyArray<Share>
}

/** Where a frame's code lives: a package under node_modules, node core, a Lectern workspace, or V8's own. */
export const packageOf = (frame: CallFrame): string => {
  const { url, functionName } = frame
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)"
  if (url.startsWith("node:")) return "node core"
  const modules = url.lastIndexOf("/node_modules/")
  if (modules !== -1) {
    const rest = url.slice(modules + "/node_modules/".length).split("/")
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url)
  }
  const lectern = /\/(packages|services|bench)\/([^/]+)\//.exec(url)
  return lectern ? `lectern ${lectern[1]}/${lectern[2]}` : url
}

const frameName = (frame: CallFrame) => {
  const file = frame.url.replace(/^.*\/node_modules\//, "").replace(/^file:\/\/.*\/(packages|services|bench)\//, "$1/")
  return `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`
}

const ranked = (counts: Map<string, number>, total: number, top: number): ReadonlyArray<Share> =>
  [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, samples]) => ({ name, samples, percent: total === 0 ? 0 : (100 * samples) / total }))

const add = (counts: Map<string, number>, key: string, n: number) => counts.set(key, (counts.get(key) ?? 0) + n)

/**
 * Shares of all samples, `(idle)` excluded, so the percentages are of the time the process was busy. Samples in the
 * first `skipSeconds` are left out.
 */
export const summarizeProfile = (profile: CpuProfile, top = 25, skipSeconds = 0): ProfileSummary => {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const hits = new Map<number, number>()
  let elapsedMicros = 0
  profile.samples.forEach((id, i) => {
    elapsedMicros += profile.timeDeltas?.[i] ?? 0
    if (elapsedMicros >= skipSeconds * 1_000_000) hits.set(id, (hits.get(id) ?? 0) + 1)
  })

  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const packages = new Map<string, number>()
  let total = 0
  for (const [id, count] of hits) {
    const node = byId.get(id)
    if (node === undefined || node.callFrame.functionName === "(idle)") continue
    total += count
    add(self, frameName(node.callFrame), count)
    add(packages, packageOf(node.callFrame), count)
    // Each function once per stack, however deep its recursion.
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame
      if (frame === undefined || frame.functionName === "(root)") continue
      const name = frameName(frame)
      if (!seen.has(name)) {
        seen.add(name)
        add(inclusive, name, count)
      }
    }
  }
  return {
    samples: total,
    byPackage: ranked(packages, total, top),
    topSelf: ranked(self, total, top),
    topInclusive: ranked(inclusive, total, top)
  }
}

const printShares = (title: string, shares: ReadonlyArray<Share>) => {
  console.log(`\n${title}`)
  for (const share of shares) console.log(`${share.percent.toFixed(1).padStart(6)}%  ${share.name}`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2]
  if (file === undefined) {
    console.error("usage: node bench/src/profile-summary.ts <file.cpuprofile> [top]")
    process.exit(2)
  }
  const summary = summarizeProfile(
    JSON.parse(readFileSync(file, "utf8")),
    Number(process.argv[3] ?? 25),
    Number(process.argv[4] ?? 0)
  )
  console.log(`${file}: ${summary.samples} busy samples`)
  printShares("by package (self)", summary.byPackage)
  printShares("top functions (self)", summary.topSelf)
  printShares("top functions (inclusive)", summary.topInclusive)
}
