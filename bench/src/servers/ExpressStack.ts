// The common Express 5 stack both Express baselines run: security headers, a trace id, express.json, then listen.
import { randomBytes } from "node:crypto"
import express, { type Express, type NextFunction, type Request, type Response } from "express"
import { reportReady } from "../Processes.ts"

/** An Express app with the middlewares a typical service puts before its routes. */
export const makeExpressStack = (): Express => {
  const app = express()
  app.disable("x-powered-by")
  app.use((_req: Request, res: Response, next: NextFunction) => {
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
  app.use((_req: Request, res: Response, next: NextFunction) => {
    const traceId = randomBytes(16).toString("hex")
    res.locals.traceId = traceId
    res.set("x-trace-id", traceId)
    next()
  })
  // One NDJSON line is one JSON document, which is what the stock client sends for one call.
  app.use(express.json({ type: ["application/json", "application/ndjson"], limit: "1mb" }))
  return app
}

/** Listens on a free loopback port and tells the bench where `path` is served. */
export const listenAndReport = (app: Express, path: string) => {
  const server = app.listen(0, "127.0.0.1", () => {
    const address = server.address()
    if (typeof address !== "object" || address === null) throw new Error("no TCP address")
    reportReady({ url: `http://127.0.0.1:${address.port}${path}` })
  })
}
