// Baseline (a) for user.me: bare node:http — parse the NDJSON Request, verify the JWT, read the row, write the Exit.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { reportReady } from "../Processes.ts"
import { failureLine, makeUserMe, requestMessageOf, successLine, Unauthorized } from "./UserMeBaseline.ts"

const userMe = makeUserMe()

const reply = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { "content-type": "application/ndjson", "content-length": Buffer.byteLength(body) })
  res.end(body)
}

const answer = async (body: string) => {
  const message = requestMessageOf(JSON.parse(body))
  if (message === undefined || message.tag !== "user.me") return { status: 400, body: "bad request\n" }
  try {
    const subject = await userMe.authenticate(message.authorization)
    const user = await userMe.userById(subject)
    return user === undefined
      ? { status: 200, body: failureLine(message.id, "NotFound") }
      : { status: 200, body: successLine(message.id, user) }
  } catch (error) {
    return error instanceof Unauthorized
      ? { status: 200, body: failureLine(message.id, error.message) }
      : { status: 500, body: "internal error\n" }
  }
}

const handle = (req: IncomingMessage, res: ServerResponse) => {
  if (req.method !== "POST" || req.url !== "/rpc/auth") return reply(res, 404, "not found\n")
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
  reportReady({ url: `http://127.0.0.1:${address.port}/rpc/auth` })
})
