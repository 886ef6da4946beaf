// Baseline (b) for course.search: Express 5 with a typical stack — security headers, trace id, express.json, route.
import { randomBytes } from "node:crypto"
import express, { type NextFunction, type Request, type Response } from "express"
import { reportReady } from "../Processes.ts"
import { makeSearch, type SearchRequest, searchRequestOf, successLine } from "./SearchBaseline.ts"

/** What the middlewares hand to the route. */
interface Locals extends Record<string, unknown> {
  traceId: string
  request: SearchRequest
}
type Reply = Response<unknown, Locals>

const catalog = makeSearch()
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

const server = app.listen(0, "127.0.0.1", () => {
  const address = server.address()
  if (typeof address !== "object" || address === null) throw new Error("no TCP address")
  reportReady({ url: `http://127.0.0.1:${address.port}/rpc/catalog` })
})
