// The HTTP edge of a Lectern process: routing to RPC groups, health and readiness, JWKS, CORS, security headers,
// client address, trace ids and one structured log line per request — on plain node:http, so nothing is paid twice.
import { createHash, randomFillSync, timingSafeEqual } from "node:crypto"
import type { IncomingHttpHeaders, IncomingMessage, RequestListener, ServerResponse } from "node:http"
import { isIP } from "node:net"
import { Cause, Config, Effect, Exit, Runtime } from "effect"
import { CLIENT_IP_HEADER, FORWARDED_CLIENT_HEADER, FORWARDING_SECRET_HEADER } from "./ClientIp.ts"
import type { RpcHttpAnswer, RpcHttpHandler } from "./RpcHttp.ts"

/** A plain node:http handler for every path under `prefix` (any method). */
export interface HttpRoute {
  readonly prefix: string
  readonly handle: RequestListener
}

/** One dependency `/ready` asks about. */
export interface ReadinessCheck {
  readonly name: string
  readonly check: Effect.Effect<void, unknown>
}

export interface EdgeOptions {
  /** `/rpc/<domain>` → the handler for that domain's group. */
  readonly rpc: Readonly<Record<string, RpcHttpHandler>>
  /** Plain HTTP endpoints by path prefix (`/media/uploads`, `/media/hls/`): tus uploads, HLS playback. */
  readonly http?: ReadonlyArray<HttpRoute> | undefined
  readonly readiness: ReadonlyArray<ReadinessCheck>
  /**
   * Every other path (any method): the web app. It never gets `/rpc/…`, `/health`, `/ready`, `/.well-known/…`,
   * nor anything in the top folder of an `http` route (`/media/…`), which keep their own answers (404, 405).
   */
  readonly fallback?: RequestListener | undefined
  /** The body of `/.well-known/jwks.json`, when this process publishes keys. */
  readonly jwks?: Effect.Effect<unknown> | undefined
  /** Origins allowed to call from a browser; `*` allows any (without credentials). */
  readonly corsOrigins: ReadonlyArray<string>
  /**
   * Behind one trusted proxy: the client address is the last `X-Forwarded-For` hop, the one that proxy appended
   * (earlier hops are whatever the client sent, so they are never trusted).
   */
  readonly trustProxy: boolean
  /**
   * The gateway's per-process secret, known only to its in-process web app: a request carrying it in
   * `x-lectern-forwarding-secret` has its `x-lectern-forwarded-client` address taken as the client's (the browser
   * whose page made the call). Without it, or from anyone else, both headers are dropped and ignored.
   */
  readonly forwardingSecret?: string | undefined
  /** Log one line per request at info level (errors and 5xx are always logged). */
  readonly accessLog: boolean
}

export const EdgeSettings = Config.all({
  corsOrigins: Config.string("CORS_ORIGINS").pipe(
    Config.withDefault(""),
    Config.map((value) =>
      value
        .split(",")
        .map((origin) => origin.trim())
        .filter((origin) => origin.length > 0)
    )
  ),
  trustProxy: Config.boolean("TRUST_PROXY").pipe(Config.withDefault(false)),
  accessLog: Config.boolean("ACCESS_LOG").pipe(Config.withDefault(true))
})

const SECURITY_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ["x-content-type-options", "nosniff"],
  ["x-frame-options", "DENY"],
  ["referrer-policy", "no-referrer"],
  ["cross-origin-opener-policy", "same-origin"],
  ["cross-origin-resource-policy", "same-site"],
  ["strict-transport-security", "max-age=31536000; includeSubDomains"],
  ["content-security-policy", "default-src 'none'; frame-ancestors 'none'"]
]

const READINESS_TIMEOUT = "2 seconds"

/** The tus protocol's request and response headers, for CORS. */
const TUS_HEADERS =
  "tus-resumable, upload-length, upload-offset, upload-metadata, upload-defer-length, upload-concat, tus-version, " +
  "tus-max-size, tus-extension"

const sendJson = (res: ServerResponse, status: number, body: unknown, extra?: Record<string, string>) => {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...extra
  })
  res.end(text)
}

// Trace ids come from a pool of random bytes refilled every 256 ids: one syscall instead of one per request.
const idPool = Buffer.alloc(16 * 256)
let idOffset = idPool.length
const newTraceId = () => {
  if (idOffset === idPool.length) {
    randomFillSync(idPool)
    idOffset = 0
  }
  idOffset += 16
  return idPool.toString("hex", idOffset - 16, idOffset)
}

/** A W3C `traceparent` from the caller keeps its trace id; otherwise a new one. */
const traceIdOf = (req: IncomingMessage) => {
  const parent = req.headers.traceparent
  if (typeof parent === "string") {
    const parts = parent.split("-")
    if (parts.length === 4 && parts[1] !== undefined && /^[0-9a-f]{32}$/.test(parts[1])) return parts[1]
  }
  return newTraceId()
}

const sha256 = (text: string) => createHash("sha256").update(text).digest()

const singleHeader = (value: string | ReadonlyArray<string> | undefined) =>
  typeof value === "string" ? value : undefined

/**
 * The address the in-process web app forwards, when the request proves it comes from there (the secret, compared in
 * constant time over digests of equal length) and names one valid IP address; otherwise undefined.
 */
const forwardedAddress = (headers: IncomingHttpHeaders, secretDigest: Buffer | undefined) => {
  if (secretDigest === undefined) return undefined
  const secret = singleHeader(headers[FORWARDING_SECRET_HEADER])
  const address = singleHeader(headers[FORWARDED_CLIENT_HEADER])?.trim()
  if (secret === undefined || address === undefined || address.length > 64) return undefined
  if (!timingSafeEqual(sha256(secret), secretDigest)) return undefined
  return isIP(address) === 0 ? undefined : address
}

const clientAddress = (req: IncomingMessage, trustProxy: boolean, secretDigest: Buffer | undefined) => {
  const forwarded = forwardedAddress(req.headers, secretDigest)
  // Nobody downstream (RPC handlers, the web app) ever sees the secret or an unverified forwarded address.
  delete req.headers[FORWARDING_SECRET_HEADER]
  delete req.headers[FORWARDED_CLIENT_HEADER]
  if (forwarded !== undefined) return forwarded
  if (trustProxy) {
    const forwarded = req.headers["x-forwarded-for"]
    const header = Array.isArray(forwarded) ? forwarded.join(",") : forwarded
    const last = header?.split(",").pop()?.trim()
    if (last) return last
  }
  return req.socket.remoteAddress ?? "unknown"
}

/**
 * Builds the request listener. Runs readiness checks and the JWKS effect on the runtime it is built in; RPC
 * handlers bring their own prebuilt runtimes.
 */
export const makeEdge = (options: EdgeOptions) =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const runPromiseExit = Runtime.runPromiseExit(runtime)
    const log = (level: "info" | "error", fields: Record<string, unknown>) =>
      Runtime.runFork(runtime)(
        (level === "info" ? Effect.logInfo("request") : Effect.logError("request")).pipe(Effect.annotateLogs(fields))
      )
    const allowAnyOrigin = options.corsOrigins.includes("*")
    const reservedFolders = [
      "/rpc/",
      "/.well-known/",
      ...(options.http ?? []).map((route) => `/${route.prefix.split("/")[1] ?? ""}/`)
    ]
    const forFallback = (path: string) =>
      path !== "/health" && path !== "/ready" && !reservedFolders.some((folder) => path.startsWith(folder))
    const allowedOrigins = new Set(options.corsOrigins)
    const secretDigest =
      options.forwardingSecret === undefined || options.forwardingSecret === ""
        ? undefined
        : sha256(options.forwardingSecret)

    const cors = (req: IncomingMessage, res: ServerResponse) => {
      const origin = req.headers.origin
      if (origin === undefined) return
      if (allowAnyOrigin) res.setHeader("access-control-allow-origin", "*")
      else if (allowedOrigins.has(origin)) {
        res.setHeader("access-control-allow-origin", origin)
        res.setHeader("access-control-allow-credentials", "true")
        res.setHeader("vary", "Origin")
      }
    }

    const ready = async (res: ServerResponse) => {
      const results = await Promise.all(
        options.readiness.map(async ({ check, name }) => {
          const exit = await runPromiseExit(Effect.timeout(check, READINESS_TIMEOUT))
          return [name, Exit.isSuccess(exit) ? { status: "up" } : { status: "down", error: errorText(exit) }] as const
        })
      )
      const allUp = results.every(([, result]) => result.status === "up")
      sendJson(res, allUp ? 200 : 503, {
        status: allUp ? "ready" : "not ready",
        dependencies: Object.fromEntries(results)
      })
    }

    const jwks = async (res: ServerResponse) => {
      if (options.jwks === undefined) return sendJson(res, 404, { error: "not found" })
      const exit = await runPromiseExit(options.jwks)
      if (Exit.isFailure(exit)) return sendJson(res, 503, { error: "keys unavailable" })
      sendJson(res, 200, exit.value, { "cache-control": "public, max-age=300" })
    }

    const listener: RequestListener = (req, res) => {
      const started = performance.now()
      const traceId = traceIdOf(req)
      const path = (req.url ?? "/").split("?", 1)[0] ?? "/"
      for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value)
      res.setHeader("x-trace-id", traceId)
      cors(req, res)
      // Handlers trust this header for rate limits, so a client can never set it.
      req.headers[CLIENT_IP_HEADER] = clientAddress(req, options.trustProxy, secretDigest)
      if (req.headers.traceparent === undefined)
        req.headers.traceparent = `00-${traceId}-${newTraceId().slice(0, 16)}-00`

      res.once("finish", () => {
        if (options.accessLog || res.statusCode >= 500) {
          log(res.statusCode >= 500 ? "error" : "info", {
            method: req.method,
            path,
            status: res.statusCode,
            durationMs: Math.round((performance.now() - started) * 100) / 100,
            traceId
          })
        }
      })

      try {
        if (req.method === "OPTIONS") {
          res.writeHead(204, {
            "access-control-allow-methods": "GET, HEAD, POST, PATCH, DELETE, OPTIONS",
            "access-control-allow-headers": `authorization, content-type, traceparent, b3, range, ${TUS_HEADERS}`,
            "access-control-expose-headers": `etag, content-range, location, ${TUS_HEADERS}`,
            "access-control-max-age": "600"
          })
          return res.end()
        }
        if (path.startsWith("/rpc/")) {
          const handler = options.rpc[path.slice(5)]
          if (handler === undefined) return sendJson(res, 404, { error: `no service at ${path}`, traceId })
          return handler.handle(req, res)
        }
        for (const route of options.http ?? []) {
          if (path.startsWith(route.prefix)) return route.handle(req, res)
        }
        if (options.fallback !== undefined && forFallback(path)) return options.fallback(req, res)
        if (req.method !== "GET" && req.method !== "HEAD")
          return sendJson(res, 405, { error: "method not allowed", traceId })
        switch (path) {
          case "/health":
            return sendJson(res, 200, { status: "ok" })
          case "/ready":
            return void ready(res).catch(() => sendJson(res, 500, { error: "internal error", traceId }))
          case "/.well-known/jwks.json":
            return void jwks(res).catch(() => sendJson(res, 500, { error: "internal error", traceId }))
          default:
            return sendJson(res, 404, { error: "not found", traceId })
        }
      } catch (error) {
        log("error", { traceId, defect: String(error) })
        if (!res.headersSent) sendJson(res, 500, { error: "internal error", traceId })
        else res.destroy()
      }
    }
    return listener
  })

/** The address an in-process call is made for when it forwards none: this process itself. */
const IN_PROCESS_ADDRESS = "127.0.0.1"

/**
 * The edge's RPC routing for callers in this process (the gateway's web app): `/rpc/<domain>` bodies handed over in
 * memory, with the client address taken as the edge takes it from the web app (a forwarded address only with the
 * forwarding secret), so rate limits and handlers see exactly what an HTTP call would give them.
 */
export const makeInProcessRpc = (options: {
  readonly rpc: Readonly<Record<string, RpcHttpHandler>>
  readonly forwardingSecret?: string | undefined
}) => {
  const secretDigest =
    options.forwardingSecret === undefined || options.forwardingSecret === ""
      ? undefined
      : sha256(options.forwardingSecret)
  return (domain: string, body: string, headers: Readonly<Record<string, string>>): Promise<RpcHttpAnswer> => {
    const handler = Object.hasOwn(options.rpc, domain) ? options.rpc[domain] : undefined
    if (handler === undefined) {
      return Promise.resolve({ status: 404, body: JSON.stringify({ error: `no service at /rpc/${domain}` }) })
    }
    const { [FORWARDING_SECRET_HEADER]: _secret, [FORWARDED_CLIENT_HEADER]: _address, ...rest } = headers
    return handler.call(body, {
      ...rest,
      [CLIENT_IP_HEADER]: forwardedAddress(headers, secretDigest) ?? IN_PROCESS_ADDRESS
    })
  }
}

const errorText = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isFailure(exit)
    ? Cause.isTimeoutException(Cause.squash(exit.cause))
      ? "timed out"
      : Cause.pretty(exit.cause).split("\n")[0]
    : ""
