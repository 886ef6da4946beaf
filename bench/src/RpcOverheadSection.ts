// Bench 3: `rpc-overhead.ts` (raw node:http vs RpcHttp vs stock RpcServer, no database), run as it is and read back.
//
// That script exports nothing and fixes its own rounds, duration and connections, so it is spawned whole and its
// printed rounds are parsed: every later server ÷ the first (raw node:http), no latencies (it prints none).
import { startChild } from "./Processes.ts"
import { type Comparison, compare, measured, type Run } from "./Report.ts"

export const RPC_OVERHEAD_SCRIPT = new URL("./rpc-overhead.ts", import.meta.url).pathname

export class UnreadableOutput extends Error {
  override readonly name = "UnreadableOutput"
}

const cellPattern = /^(.+?) (\d+(?:\.\d+)?) req\/s \([\d.]+×\)$/
const roundPattern = /^round \d+: (.+)$/
const connectionsPattern = /^(\d+) connections\b/m

/** Reads `round N: <name> <n> req/s (<r>×) | …` lines into each server's runs, in the order printed. */
export const parseRpcOverhead = (output: string): { connections: number; runs: Map<string, Array<Run>> } => {
  const runs = new Map<string, Array<Run>>()
  for (const line of output.split("\n")) {
    const round = roundPattern.exec(line.trim())
    if (round?.[1] === undefined) continue
    for (const cell of round[1].split(" | ")) {
      const match = cellPattern.exec(cell.trim())
      if (match?.[1] === undefined || match[2] === undefined) throw new UnreadableOutput(`cannot read "${cell}"`)
      const list = runs.get(match[1]) ?? []
      list.push({ requestsPerSecond: Number(match[2]), p50Ms: null, p99Ms: null, cpuMsPerRequest: null })
      runs.set(match[1], list)
    }
  }
  if (runs.size < 2) throw new UnreadableOutput("no rounds with two or more servers in the output")
  return { connections: Number(connectionsPattern.exec(output)?.[1] ?? Number.NaN), runs }
}

/** The first server printed is the baseline of every other. */
export const rpcOverheadComparisons = (output: string): ReadonlyArray<Comparison> => {
  const { connections, runs } = parseRpcOverhead(output)
  const [first, ...candidates] = [...runs.entries()]
  if (first === undefined) throw new UnreadableOutput("no servers in the output")
  const [baselineName, baselineRuns] = first
  const baseline = measured(baselineName, baselineRuns)
  return candidates.map(([name, candidateRuns]) =>
    compare({
      bench: `rpc: ${name} ÷ raw`,
      description: `rpc-overhead.ts: ${name} ÷ ${baselineName}, 20-item reply, no database`,
      connections,
      candidate: measured(name, candidateRuns),
      baseline,
      target: null
    })
  )
}

export const runRpcOverhead = async (context: {
  readonly timeoutSeconds: number
  readonly log: (line: string) => void
}): Promise<ReadonlyArray<Comparison>> => {
  const child = startChild({ name: "rpc-overhead.ts", script: RPC_OVERHEAD_SCRIPT })
  const timer = setTimeout(() => {
    context.log(`  rpc-overhead.ts ran over ${context.timeoutSeconds} s; stopping it`)
    void child.stop()
  }, context.timeoutSeconds * 1000)
  let printed = ""
  child.process.stdout?.on("data", (chunk: Buffer) => {
    printed += chunk.toString()
    const lines = printed.split("\n")
    printed = lines.pop() ?? ""
    for (const line of lines) context.log(`  | ${line}`)
  })
  const code = await new Promise<number | null>((resolve) => child.process.once("exit", resolve))
  clearTimeout(timer)
  if (code !== 0) throw new Error(`rpc-overhead.ts exited with ${code}:\n${child.output()}`)
  return rpcOverheadComparisons(child.output())
}
