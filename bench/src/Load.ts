// Bounded load runs, every answer checked (a run that saw a wrong answer throws): autocannon POSTs against one URL,
// and a lean GET loader for large files (autocannon turns every body into a string, which caps it far below what a
// file server sends).
import { connect, type Socket } from "node:net"
import autocannon from "autocannon"
import { processCpuSeconds } from "./Processes.ts"
import { percentile, type Run } from "./Report.ts"

/**
 * Bodies made per request instead of one fixed body: `take` gives the next body and a handle, `answered` gets the
 * handle back with the answer (it is not called for requests still out when the run ends).
 */
export interface BodySource<H> {
  readonly take: () => { readonly handle: H; readonly body: string }
  readonly answered: (handle: H) => void
}

export interface LoadOptions {
  readonly url: string
  /** Default POST; a GET sends no body (`body` is then ignored). */
  readonly method?: "GET" | "POST"
  readonly body: string
  /** When set, every request's body comes from here (`body` is then only the first request's fallback). */
  readonly bodies?: BodySource<unknown> | undefined
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
  const accepts = "body" in expect ? (body: string) => body === expect.body : expect.verify
  // The first body that failed the check, to show in the error.
  let unexpected: string | undefined
  const cpuBefore = processCpuSeconds(options.serverPid)
  const bodies = options.bodies
  // autocannon hands each request and its answer the same context object (reset between requests).
  const HANDLE = "handle"
  const dynamic: Array<autocannon.Request> | undefined =
    bodies === undefined
      ? undefined
      : [
          {
            method: "POST",
            setupRequest: (request, context) => {
              const { handle, body } = bodies.take()
              Reflect.set(context, HANDLE, handle)
              return { ...request, body }
            },
            onResponse: (_status, _body, context) => bodies.answered(Reflect.get(context, HANDLE))
          }
        ]
  const method = options.method ?? "POST"
  const result = await autocannon({
    url: options.url,
    method,
    headers: { ...options.headers },
    ...(method === "POST" ? { body: options.body } : {}),
    ...(dynamic === undefined ? {} : { requests: dynamic }),
    connections: options.connections,
    duration: options.seconds,
    // A stuck server must not stall the whole run: a request slower than this counts as a timeout (and fails).
    timeout: 30,
    verifyBody: (body: string | Buffer | undefined) => {
      const text = String(body)
      if (accepts(text)) return true
      unexpected ??= text
      return false
    }
  })
  const problems = [
    result.errors > 0 ? `${result.errors} errors` : "",
    result.timeouts > 0 ? `${result.timeouts} timeouts` : "",
    result.non2xx > 0 ? `${result.non2xx} non-2xx` : "",
    result.mismatches > 0 ? `${result.mismatches} unexpected bodies, the first: ${unexpected?.slice(0, 2000)}` : ""
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

// ---------------------------------------------------------------- GETs of large files

/** A response the GET loader cannot read (no Content-Length, a malformed status line). */
export class UnreadableResponse extends Error {
  override readonly name = "UnreadableResponse"
}

const HEADER_END = Buffer.from("\r\n\r\n")
/** Headers longer than this are not what a file server sends. */
const MAX_HEADER_BYTES = 64 * 1024

/**
 * Reads HTTP/1.1 responses framed by Content-Length off a byte stream, discarding bodies: `push` calls `onResponse`
 * with each completed response's status and body length. Chunks may be reused buffers; nothing keeps a reference.
 */
export class ResponseCounter {
  #head: Buffer = Buffer.alloc(0)
  #status = 0
  #length = 0
  /** Body bytes still to come; -1 while reading headers. */
  #remaining = -1

  push(chunk: Uint8Array, onResponse: (status: number, bodyBytes: number) => void): void {
    let rest = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    while (rest.length > 0) {
      if (this.#remaining < 0) {
        const head = this.#head.length === 0 ? rest : Buffer.concat([this.#head, rest])
        const end = head.indexOf(HEADER_END)
        if (end < 0) {
          if (head.length > MAX_HEADER_BYTES) throw new UnreadableResponse("headers longer than 64 KiB")
          // A copy: `rest` may be a buffer the socket reuses for its next read.
          this.#head = Buffer.from(head)
          return
        }
        const text = head.subarray(0, end).toString("latin1")
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1]
        const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(text)?.[1]
        if (status === undefined) throw new UnreadableResponse(`no status line in ${JSON.stringify(text.slice(0, 80))}`)
        if (length === undefined) throw new UnreadableResponse(`no Content-Length in ${JSON.stringify(text)}`)
        this.#status = Number(status)
        this.#length = Number(length)
        this.#remaining = this.#length
        this.#head = Buffer.alloc(0)
        rest = head.subarray(end + HEADER_END.length)
      }
      const taken = Math.min(this.#remaining, rest.length)
      this.#remaining -= taken
      rest = rest.subarray(taken)
      if (this.#remaining === 0) {
        this.#remaining = -1
        onResponse(this.#status, this.#length)
      }
    }
  }
}

export interface GetLoadOptions {
  /** `http://host:port` */
  readonly origin: string
  /** Requested in turn across all connections, so concurrent requests ask for different files. */
  readonly paths: ReadonlyArray<string>
  /** Every answer must be a 200 with exactly this many body bytes (the bytes themselves are checked beforehand). */
  readonly bodyBytes: number
  readonly connections: number
  readonly seconds: number
  /** The server's processes (all of nginx's, say), whose CPU time per request is measured over the run. */
  readonly serverPids: ReadonlyArray<number>
}

const READ_BUFFER_BYTES = 1024 * 1024
/** A request slower than this fails the run (like autocannon's timeout in `load`). */
const GET_TIMEOUT_MS = 30_000

const cpuOf = (pids: ReadonlyArray<number>) => {
  let total = 0
  for (const pid of pids) {
    const seconds = processCpuSeconds(pid)
    if (seconds === undefined) return undefined
    total += seconds
  }
  return pids.length === 0 ? undefined : total
}

/**
 * Closed-loop keep-alive GETs for `seconds` on `connections` sockets, each reading into one reused 1 MiB buffer and
 * discarding the body: the client spends little CPU per byte, so it leaves the server the core it needs.
 */
export const getLoad = async (options: GetLoadOptions): Promise<Run> => {
  const origin = new URL(options.origin)
  const port = Number(origin.port || 80)
  const requestOf = (path: string) => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${origin.host}\r\n\r\n`, "latin1")
  const requests = options.paths.map(requestOf)
  if (requests.length === 0) throw new LoadRunFailed(`${options.origin}: no paths to request`)
  const latencies: Array<number> = []
  const problems = new Map<string, number>()
  const problem = (what: string) => problems.set(what, (problems.get(what) ?? 0) + 1)
  let next = 0
  const cpuBefore = cpuOf(options.serverPids)
  const started = performance.now()
  const deadline = started + options.seconds * 1000

  const connection = () =>
    new Promise<void>((resolve) => {
      const counter = new ResponseCounter()
      let sentAt = 0
      let finished = false
      const finish = (socket: Socket, failure?: string) => {
        if (finished) return
        finished = true
        if (failure !== undefined) problem(failure)
        clearTimeout(timer)
        socket.destroy()
        resolve()
      }
      const timer = setTimeout(() => finish(socket, "timeouts"), options.seconds * 1000 + GET_TIMEOUT_MS)
      const send = () => {
        if (performance.now() >= deadline) return finish(socket)
        sentAt = performance.now()
        socket.write(requests[next++ % requests.length] as Buffer)
      }
      const socket = connect({
        host: origin.hostname,
        port,
        noDelay: true,
        onread: {
          buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
          callback: (bytes, buffer) => {
            try {
              counter.push(buffer.subarray(0, bytes), (status, length) => {
                latencies.push(performance.now() - sentAt)
                if (status < 200 || status > 299) problem(`non-2xx (${status})`)
                else if (length !== options.bodyBytes) problem(`bodies of ${length} bytes, not ${options.bodyBytes}`)
                send()
              })
            } catch (error) {
              finish(socket, error instanceof Error ? error.message : String(error))
            }
            return !finished
          }
        }
      })
      socket.once("connect", send)
      socket.once("error", (error) => finish(socket, `errors (${error.message})`))
      socket.once("close", () => finish(socket, finished ? undefined : "connections closed by the server"))
    })

  await Promise.all(Array.from({ length: options.connections }, connection))
  const elapsed = (performance.now() - started) / 1000
  const cpuAfter = cpuOf(options.serverPids)
  if (problems.size > 0) {
    const list = [...problems].map(([what, count]) => `${count} ${what}`).join(", ")
    throw new LoadRunFailed(`${options.origin}: ${list}`)
  }
  if (latencies.length === 0) throw new LoadRunFailed(`${options.origin}: no requests done`)
  return {
    requestsPerSecond: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuMsPerRequest:
      cpuBefore === undefined || cpuAfter === undefined ? null : ((cpuAfter - cpuBefore) * 1000) / latencies.length
  }
}
