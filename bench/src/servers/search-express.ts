// Baseline (b) for course.search: Express 5 with a typical stack — security headers, trace id, express.json, route.
import type { NextFunction, Request, Response } from "express"
import { listenAndReport, makeExpressStack } from "./ExpressStack.ts"
import { makeSearch, type SearchRequest, searchRequestOf, successLine } from "./SearchBaseline.ts"

/** What the middlewares hand to the route. */
interface Locals extends Record<string, unknown> {
  traceId: string
  request: SearchRequest
}
type Reply = Response<unknown, Locals>

const catalog = makeSearch()
const app = makeExpressStack()

const parseSearch = (req: Request, res: Reply, next: NextFunction) => {
  const request = searchRequestOf(req.body)
  if (request === undefined) {
    res.status(400).json({ error: "not a course.search request", traceId: res.locals.traceId })
    return
  }
  res.locals.request = request
  next()
}

app.post("/rpc/catalog", parseSearch, async (_req: Request, res: Reply) => {
  const request = res.locals.request
  const page = await catalog.search(request.query)
  res.type("application/ndjson").send(successLine(request.id, page))
})

listenAndReport(app, "/rpc/catalog")
