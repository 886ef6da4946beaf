// RPC-over-HTTP overhead: req/s of raw node:http vs RpcHttp vs the stock RpcServer, side by side, as ratios to raw.
//
// Run from the repo root: `npm exec -- node bench/src/rpc-overhead.ts`. It starts the servers in a child process
// (so autocannon's own CPU is not the server's), all on 127.0.0.1, then alternates the candidates for ROUNDS rounds of
// SECONDS each at 32 connections, prints every run and the median ratios, and stops the child. About a minute.
// To profile one server: `npm exec -- node --cpu-prof bench/src/rpc-overhead.ts serve` prints the ports; load one
// with autocannon by hand, then stop it with Ctrl-C (the profile is written on exit).
import { type ChildProcess, spawn } from "node:child_process"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { HttpRouter, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Rpc, RpcGroup, RpcSerialization, RpcServer } from "@effect/rpc"
import { makeRpcHttpHandler, type RpcHttpOptions } from "@lectern/platform/RpcHttp"
import autocannon from "autocannon"
import { Context, Effect, Layer, Schema, Scope } from "effect"

const ROUNDS = 3
const SECONDS = 5
const WARMUP_SECONDS = 1
const CONNECTIONS = 32

// ---------------------------------------------------------------- the RPC under test

class BenchItem extends Schema.Class<BenchItem>("BenchItem")({
  id: Schema.String,
  title: Schema.String,
  price: Schema.Number,
  published: Schema.Boolean
}) {}

class BenchRpcs extends RpcGroup.make(Rpc.make("items.list", { success: Schema.Array(BenchItem) })) {}

const items = Array.from(
  { length: 20 },
  (_, i) => new BenchItem({ id: `item-${i}`, title: `Lesson ${i}: effects`, price: i * 1.5, published: i % 2 === 0 })
)
const itemsEncoded = Schema.encodeSync(Schema.Array(BenchItem))(items)

const BenchHandlers = BenchRpcs.toLayer({ "items.list": () => Effect.succeed(items) })

/** What the stock RpcClient sends for `client.items.list()`: one NDJSON line. */
const requestBody = `${JSON.stringify({
  _tag: "Request",
  id: "1",
  tag: "items.list",
  headers: [],
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanId: "b7ad6b7169203331",
  sampled: true
})}\n`

// ---------------------------------------------------------------- servers (child process)

/** The floor: node:http that parses the NDJSON envelope and answers the same Exit line, no Effect at all. */
const rawHandler = (req: IncomingMessage, res: ServerResponse) => {
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => {
    const message: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"))
    const requestId = typeof message === "object" && message !== null && "id" in message ? String(message.id) : "0"
    res.writeHead(200, { "content-type": "application/ndjson" })
    res.end(`${JSON.stringify({ _tag: "Exit", requestId, exit: { _tag: "Success", value: itemsEncoded } })}\n`)
  })
}

const listen = (handle: (req: IncomingMessage, res: ServerResponse) => void) =>
  new Promise<string>((resolve, reject) => {
    const server = createServer(handle)
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address: AddressInfo | string | null = server.address()
      if (address === null || typeof address === "string") return reject(new Error("no TCP address"))
      resolve(`http://127.0.0.1:${address.port}/rpc`)
    })
  })

const lean = (options?: RpcHttpOptions) =>
  Effect.runPromise(makeRpcHttpHandler(BenchRpcs, options).pipe(Effect.provide(BenchHandlers)))

const stock = Effect.gen(function* () {
  const context = yield* Layer.build(
    HttpRouter.Default.serve().pipe(
      Layer.provide(RpcServer.layer(BenchRpcs, { disableTracing: true })),
      Layer.provide(RpcServer.layerProtocolHttp({ path: "/rpc" })),
      Layer.provide([BenchHandlers, RpcSerialization.layerNdjson]),
      Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
    )
  )
  return `${HttpServer.formatAddress(Context.get(context, HttpServer.HttpServer).address)}/rpc`
})

type Candidate = "raw" | "lean" | "leanTraced" | "stock"
const candidates: ReadonlyArray<Candidate> = ["raw", "lean", "leanTraced", "stock"]
const labels: Record<Candidate, string> = {
  raw: "raw node:http",
  lean: "RpcHttp",
  leanTraced: "RpcHttp, tracing on",
  stock: "stock RpcServer"
}

const serve = async () => {
  // The stock server's scope is never closed: it lives as long as this process.
  const stockUrl = await Effect.runPromise(Effect.flatMap(Scope.make(), (scope) => Scope.extend(stock, scope)))
  const urls: Record<Candidate, string> = {
    raw: await listen(rawHandler),
    lean: await listen((await lean()).handle),
    leanTraced: await listen((await lean({ tracing: true })).handle),
    stock: stockUrl
  }
  process.stdout.write(`${JSON.stringify(urls)}\n`)
  // Bounded by the parent: when it goes away, so does this process.
  process.on("disconnect", () => process.exit(0))
}

// ---------------------------------------------------------------- load (parent process)

const startServers = () =>
  new Promise<{ readonly child: ChildProcess; readonly urls: Record<Candidate, string> }>((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), "serve"], {
      stdio: ["ignore", "pipe", "inherit", "ipc"]
    })
    child.once("exit", (code) => reject(new Error(`server process exited early (${code})`)))
    if (child.stdout === null) return reject(new Error("no stdout from the server process"))
    createInterface({ input: child.stdout }).once("line", (line) => {
      const parsed: unknown = JSON.parse(line)
      if (typeof parsed !== "object" || parsed === null) return reject(new Error(`bad ports line: ${line}`))
      const urls: Partial<Record<Candidate, string>> = {}
      for (const candidate of candidates) {
        const url: unknown = Reflect.get(parsed, candidate)
        if (typeof url !== "string") return reject(new Error(`no url for ${candidate}: ${line}`))
        urls[candidate] = url
      }
      resolve({
        child,
        urls: { raw: urls.raw ?? "", lean: urls.lean ?? "", leanTraced: urls.leanTraced ?? "", stock: urls.stock ?? "" }
      })
    })
  })

/** Each server must give the same answer before its speed means anything. */
const checkAnswer = async (candidate: Candidate, url: string) => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/ndjson" },
    body: requestBody
  })
  const text = await response.text()
  const expected = { _tag: "Exit", requestId: "1", exit: { _tag: "Success", value: itemsEncoded } }
  if (response.status !== 200 || JSON.stringify(JSON.parse(text)) !== JSON.stringify(expected)) {
    throw new Error(`${labels[candidate]} answered ${response.status} ${text}`)
  }
}

const load = async (url: string, seconds: number) => {
  const result = await autocannon({
    url,
    method: "POST",
    headers: { "content-type": "application/ndjson" },
    body: requestBody,
    connections: CONNECTIONS,
    duration: seconds
  })
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(`${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`)
  }
  return result.requests.average
}

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2
}

const main = async () => {
  const { child, urls } = await startServers()
  child.removeAllListeners("exit")
  try {
    for (const candidate of candidates) await checkAnswer(candidate, urls[candidate])
    for (const candidate of candidates) await load(urls[candidate], WARMUP_SECONDS)
    const ratios: Record<Candidate, Array<number>> = { raw: [], lean: [], leanTraced: [], stock: [] }
    console.log(`${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} rounds, 20-item reply`)
    for (let round = 1; round <= ROUNDS; round++) {
      const rates: Partial<Record<Candidate, number>> = {}
      for (const candidate of candidates) rates[candidate] = await load(urls[candidate], SECONDS)
      const raw = rates.raw ?? 0
      const cells = candidates.map((candidate) => {
        const rate = rates[candidate] ?? 0
        ratios[candidate].push(rate / raw)
        return `${labels[candidate]} ${Math.round(rate)} req/s (${(rate / raw).toFixed(2)}×)`
      })
      console.log(`round ${round}: ${cells.join(" | ")}`)
    }
    console.log("median ÷ raw node:http:")
    for (const candidate of candidates)
      console.log(`  ${labels[candidate].padEnd(22)} ${median(ratios[candidate]).toFixed(2)}`)
  } finally {
    child.kill()
  }
}

if (process.argv[2] === "serve") {
  await serve()
} else {
  await main()
}
