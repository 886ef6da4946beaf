// Side by side: every server gets a warm-up, then the rounds alternate between them, each run bounded in time.
import { load } from "./Load.ts"
import type { Run } from "./Report.ts"

/** Round r starts with a different server each time, so none always runs first (or right after a warm-up). */
export const roundOrder = <A>(servers: ReadonlyArray<A>, round: number): ReadonlyArray<A> => {
  if (servers.length === 0) return servers
  const shift = round % servers.length
  return [...servers.slice(shift), ...servers.slice(0, shift)]
}

export interface RoundsOptions<K extends string> {
  readonly servers: ReadonlyArray<K>
  readonly rounds: number
  readonly durationSeconds: number
  readonly warmupSeconds: number
  readonly run: (server: K, seconds: number) => Promise<Run>
  readonly log: (line: string) => void
}

const describeRun = (run: Run) =>
  `${Math.round(run.requestsPerSecond)} req/s, p50 ${run.p50Ms?.toFixed(1) ?? "—"} ms, p99 ${run.p99Ms?.toFixed(1) ?? "—"} ms`

/** Every server's runs, in round order. */
export const alternate = async <K extends string>(options: RoundsOptions<K>): Promise<ReadonlyMap<K, Array<Run>>> => {
  for (const server of options.servers) {
    const warm = await options.run(server, options.warmupSeconds)
    options.log(`  warm-up  ${server}: ${describeRun(warm)}`)
  }
  const runs = new Map<K, Array<Run>>(options.servers.map((server) => [server, []]))
  for (let round = 0; round < options.rounds; round++) {
    for (const server of roundOrder(options.servers, round)) {
      const run = await options.run(server, options.durationSeconds)
      runs.get(server)?.push(run)
      options.log(`  round ${round + 1}  ${server}: ${describeRun(run)}`)
    }
  }
  return runs
}

/** Alternating rounds in which every server gets the same captured request, each answer checked. */
export const alternateLoad = <K extends string>(options: {
  readonly servers: ReadonlyArray<K>
  readonly urls: ReadonlyMap<K, string>
  readonly pids: ReadonlyMap<K, number | undefined>
  readonly request: { readonly contentType: string; readonly body: string }
  readonly expected: string
  readonly connections: number
  readonly settings: { readonly rounds: number; readonly durationSeconds: number; readonly warmupSeconds: number }
  readonly log: (line: string) => void
}) =>
  alternate<K>({
    servers: options.servers,
    rounds: options.settings.rounds,
    durationSeconds: options.settings.durationSeconds,
    warmupSeconds: options.settings.warmupSeconds,
    log: options.log,
    run: (server, seconds) =>
      load({
        url: options.urls.get(server) ?? "",
        body: options.request.body,
        headers: { "content-type": options.request.contentType },
        connections: options.connections,
        seconds,
        expect: { body: options.expected },
        serverPid: options.pids.get(server)
      })
  })
