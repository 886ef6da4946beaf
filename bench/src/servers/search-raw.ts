// Baseline (a) for course.search: bare node:http — parse the NDJSON Request, run the catalog's statements, write the Exit.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { reportReady } from "../Processes.ts"
import { makeSearch, searchRequestOf, successLine } from "./SearchBaseline.ts"

const catalog = makeSearch()

const reply = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { "content-type": "application/ndjson", "content-length": Buffer.byteLength(body) })
  res.end(body)
}

const answer = async (body: string) => {
  const request = searchRequestOf(JSON.parse(body))
  if (request === undefined) return { status: 400, body: "bad request\n" }
  return { status: 200, body: successLine(request.id, await catalog.search(request.query)) }
}

const handle = (req: IncomingMessage, res: ServerResponse) => {
  if (req.method !== "POST" || req.url !== "/rpc/catalog") return reply(res, 404, "not found\n")
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => {
    answer(Buffer.concat(chunks).toString("utf8")).then(
      (result) => reply(res, result.status, result.body),
      () => reply(res, 500, "internal error\n")
    )
  })
}

const server = createServer({ keepAlive: true, keepAliveTimeout: 65_000 }, handle)
server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  if (typeof address !== "object" || address === null) throw new Error("no TCP address")
  reportReady({ url: `http://127.0.0.1:${address.port}/rpc/catalog` })
})
