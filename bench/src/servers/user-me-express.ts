// Baseline (b) for user.me: Express 5 with a typical stack — security headers, trace id, express.json, auth, route.
import type { NextFunction, Request, Response } from "express"
import { listenAndReport, makeExpressStack } from "./ExpressStack.ts"
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
const app = makeExpressStack()

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

listenAndReport(app, "/rpc/auth")
