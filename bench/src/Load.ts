// One bounded autocannon run against one URL, with every answer checked; a run that saw a wrong answer throws.
import autocannon from "autocannon"
import { processCpuSeconds } from "./Processes.ts"
import type { Run } from "./Report.ts"

export interface LoadOptions {
  readonly url: string
  readonly body: string
  readonly headers: Readonly<Record<string, string>>
  readonly connections: number
  readonly seconds: number
  /** The exact body every answer must have (cheapest check), or a predicate over it. */
  readonly expect: { readonly body: string } | { readonly verify: (body: string) => boolean }
  /** The server's process, whose CPU time per request is measured over the run. */
  readonly serverPid: number | undefined
}

export class LoadRunFailed extends Error {
  override readonly name = "LoadRunFailed"
}

/** A server's answer differs from what the comparison assumes; its speed would mean nothing. */
export class WrongAnswer extends Error {
  override readonly name = "WrongAnswer"
}

export const load = async (options: LoadOptions): Promise<Run> => {
  const expect = options.expect
  const cpuBefore = processCpuSeconds(options.serverPid)
  const result = await autocannon({
    url: options.url,
    method: "POST",
    headers: { ...options.headers },
    body: options.body,
    connections: options.connections,
    duration: options.seconds,
    // A stuck server must not stall the whole run: a request slower than this counts as a timeout (and fails).
    timeout: 30,
    ...("body" in expect
      ? { expectBody: expect.body }
      : { verifyBody: (body: string | Buffer | undefined) => expect.verify(String(body)) })
  })
  const problems = [
    result.errors > 0 ? `${result.errors} errors` : "",
    result.timeouts > 0 ? `${result.timeouts} timeouts` : "",
    result.non2xx > 0 ? `${result.non2xx} non-2xx` : "",
    result.mismatches > 0 ? `${result.mismatches} unexpected bodies` : ""
  ].filter((problem) => problem !== "")
  if (problems.length > 0) throw new LoadRunFailed(`${options.url}: ${problems.join(", ")}`)
  const requests = result.requests.total
  if (requests === 0 || result.duration <= 0) throw new LoadRunFailed(`${options.url}: no requests done`)
  const cpuAfter = processCpuSeconds(options.serverPid)
  return {
    requestsPerSecond: requests / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuMsPerRequest:
      cpuBefore === undefined || cpuAfter === undefined ? null : ((cpuAfter - cpuBefore) * 1000) / requests
  }
}

/** One POST, read to the end. */
export const post = async (url: string, contentType: string, body: string) => {
  const response = await fetch(url, { method: "POST", headers: { "content-type": contentType }, body })
  return { status: response.status, text: await response.text() }
}

/** Posts the captured request to every server and throws WrongAnswer unless each answers exactly `expected`. */
export const expectSameAnswers = async (
  servers: Iterable<readonly [string, string]>,
  request: { readonly contentType: string; readonly body: string },
  expected: string
) => {
  for (const [server, url] of servers) {
    const answer = await post(url, request.contentType, request.body)
    if (answer.status !== 200 || answer.text !== expected) {
      throw new WrongAnswer(`${server} answered ${answer.status} ${answer.text}\nthe gateway: ${expected}`)
    }
  }
}
