// Baseline for progress.heartbeat: bare node:http — parse the NDJSON Request, do the heartbeat with pg, write the Exit.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { reportReady } from "../Processes.ts"
import { makeHeartbeat } from "./HeartbeatBaseline.ts"
import { failureLine, requestMessageOf, Unauthorized } from "./UserMeBaseline.ts"

const learning = makeHeartbeat()

const reply = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { "content-type": "application/ndjson", "content-length": Buffer.byteLength(body) })
  res.end(body)
}

const answer = async (body: string) => {
  const parsed: unknown = JSON.parse(body)
  const message = requestMessageOf(parsed)
  if (message === undefined || message.tag !== "progress.heartbeat") return { status: 400, body: "bad request\n" }
  try {
    const payload: unknown = Reflect.get(parsed as object, "payload")
    return { status: 200, body: await learning.heartbeat(message.id, message.authorization, payload) }
  } catch (error) {
    return error instanceof Unauthorized
      ? { status: 200, body: failureLine(message.id, error.message) }
      : { status: 500, body: `internal error: ${error instanceof Error ? error.message : String(error)}\n` }
  }
}

const handle = (req: IncomingMessage, res: ServerResponse) => {
  if (req.method !== "POST" || req.url !== "/rpc/learning") return reply(res, 404, "not found\n")
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => {
    answer(Buffer.concat(chunks).toString("utf8")).then(
      (result) => reply(res, result.status, result.body),
      () => reply(res, 400, "bad request\n")
    )
  })
}

const server = createServer({ keepAlive: true, keepAliveTimeout: 65_000 }, handle)
server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  if (typeof address !== "object" || address === null) throw new Error("no TCP address")
  reportReady({ url: `http://127.0.0.1:${address.port}/rpc/learning` })
})
