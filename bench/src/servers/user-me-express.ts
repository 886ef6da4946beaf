// Baseline (b) for user.me: Express 5 with a typical stack — security headers, trace id, express.json, auth, route.
import { randomBytes } from "node:crypto"
import express, { type NextFunction, type Request, type Response } from "express"
import { reportReady } from "../Processes.ts"
import {
  failureLine,
  makeUserMe,
  type RequestMessage,
  requestMessageOf,
  successLine,
  Unauthorized
} from "./UserMeBaseline.ts"

/** What the middlewares hand to the route. */
interface Locals extends Record<string, unknown> {
  traceId: string
  message: RequestMessage
  subject: string
}
type Reply = Response<unknown, Locals>

const userMe = makeUserMe()
const app = express()

app.disable("x-powered-by")
app.use((_req: Request, res: Reply, next: NextFunction) => {
  res.set({
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-site",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'"
  })
  next()
})
app.use((_req: Request, res: Reply, next: NextFunction) => {
  const traceId = randomBytes(16).toString("hex")
  res.locals.traceId = traceId
  res.set("x-trace-id", traceId)
  next()
})
// One NDJSON line is one JSON document, which is what the stock client sends for one call.
app.use(express.json({ type: ["application/json", "application/ndjson"], limit: "1mb" }))

const authenticate = (req: Request, res: Reply, next: NextFunction) => {
  const message = requestMessageOf(req.body)
  if (message === undefined) {
    res.status(400).json({ error: "not an RPC request", traceId: res.locals.traceId })
    return
  }
  res.locals.message = message
  userMe.authenticate(message.authorization ?? req.get("authorization")).then(
    (subject) => {
      res.locals.subject = subject
      next()
    },
    (error: unknown) => {
      if (error instanceof Unauthorized) res.type("application/ndjson").send(failureLine(message.id, error.message))
      else next(error)
    }
  )
}

app.post("/rpc/auth", authenticate, async (_req: Request, res: Reply) => {
  const message = res.locals.message
  const user = await userMe.userById(res.locals.subject)
  res
    .type("application/ndjson")
    .send(user === undefined ? failureLine(message.id, "NotFound") : successLine(message.id, user))
})

const server = app.listen(0, "127.0.0.1", () => {
  const address = server.address()
  if (typeof address !== "object" || address === null) throw new Error("no TCP address")
  reportReady({ url: `http://127.0.0.1:${address.port}/rpc/auth` })
})
