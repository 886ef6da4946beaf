// The web app inside the gateway: web/dist's static files from memory (hashed assets cached for a year), every other
// page and server function through SolidStart's fetch handler (public pages for anonymous visitors briefly from
// PageCache), and its session cookie on browser uploads — one process, one origin.
import { once } from "node:events"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http"
import { extname, join, relative, sep } from "node:path"
import { pathToFileURL } from "node:url"
import { gzipSync } from "node:zlib"
import { UPLOADS_PATH } from "@lectern/media"
import type { HttpRoute } from "@lectern/platform/HttpEdge"
import type { Listening } from "@lectern/platform/Serve"
import { Config, Effect, Option } from "effect"
import { makePageCache, type PageCache, PageCacheTtlSeconds, PUBLIC_PAGE_HEADER, type ServedPage } from "./PageCache.ts"

/** Written by web/scripts/ensure-build.ts after a complete `vite build`; without it the build is absent or partial. */
export const BUILD_COMPLETE_MARK = ".complete"

/** A server function's arguments or a form post; pages and uploads never go through the web app's server. */
const MAX_BODY_BYTES = 1024 * 1024

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json"
}

const COMPRESSIBLE = new Set([".js", ".css", ".svg", ".txt", ".json", ".webmanifest"])

interface StaticFile {
  readonly body: Buffer
  readonly gzip: Buffer | undefined
  readonly type: string
  readonly cacheControl: string
}

const filesUnder = (dir: string): ReadonlyArray<string> =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === ".vite" ? [] : filesUnder(path)
    return entry.isFile() ? [path] : []
  })

/** Every file of dist/client by URL path, read once: the whole client is a few hundred kilobytes. */
const loadStaticFiles = (clientDir: string) => {
  const files = new Map<string, StaticFile>()
  for (const path of filesUnder(clientDir)) {
    const urlPath = `/${relative(clientDir, path).split(sep).join("/")}`
    const extension = extname(path)
    const body = readFileSync(path)
    const gzip = COMPRESSIBLE.has(extension) && body.length > 1024 ? gzipSync(body, { level: 9 }) : undefined
    files.set(urlPath, {
      body,
      gzip,
      type: CONTENT_TYPES[extension] ?? "application/octet-stream",
      // Vite names built assets by content hash: they never change under one name.
      cacheControl: urlPath.startsWith("/_build/") ? "public, max-age=31536000, immutable" : "public, max-age=3600"
    })
  }
  return files
}

const sendStatic = (req: IncomingMessage, res: ServerResponse, file: StaticFile) => {
  const gzip = file.gzip !== undefined && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))
  const body = gzip && file.gzip !== undefined ? file.gzip : file.body
  res.writeHead(200, {
    "content-type": file.type,
    "content-length": body.length,
    "cache-control": file.cacheControl,
    vary: "accept-encoding",
    ...(gzip ? { "content-encoding": "gzip" } : {})
  })
  res.end(req.method === "HEAD" ? undefined : body)
}

class BodyTooLarge extends Error {}

const readBody = async (req: IncomingMessage) => {
  const chunks: Array<Buffer> = []
  let size = 0
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk))
    size += buffer.length
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge()
    chunks.push(buffer)
  }
  return Buffer.concat(chunks)
}

const toRequest = async (req: IncomingMessage, signal: AbortSignal) => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item)
    else if (value !== undefined) headers.set(name, value)
  }
  const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "localhost"}`)
  const hasBody = req.method !== "GET" && req.method !== "HEAD"
  return new Request(url, {
    method: req.method ?? "GET",
    headers,
    signal,
    ...(hasBody ? { body: new Uint8Array(await readBody(req)) } : {})
  })
}

/** Form fields whose values never travel back in a cookie. */
const SECRET_FIELD = /pass|secret|token|code/i

/**
 * SolidStart answers a failed no-JavaScript form post with a `flash` cookie carrying the submitted form, so the page
 * can show the error beside it — passwords and codes included, in plain text, in the browser's cookie jar. This keeps
 * the cookie but drops those fields from it (the page shows the error; the user types the secret again), and marks it
 * SameSite=Lax like the app's own cookies. Other cookies pass as they are.
 */
export const withoutSecretsInFlash = (cookie: string): string => {
  if (!cookie.startsWith("flash=")) return cookie
  const end = cookie.indexOf(";")
  const rest = end === -1 ? "" : cookie.slice(end)
  try {
    const flash = JSON.parse(decodeURIComponent(cookie.slice("flash=".length, end === -1 ? undefined : end)))
    if (Array.isArray(flash?.input)) {
      flash.input = flash.input.map((argument: unknown) =>
        Array.isArray(argument) && argument.every((entry) => Array.isArray(entry) && entry.length === 2)
          ? argument.filter(([name]) => !(typeof name === "string" && SECRET_FIELD.test(name)))
          : argument
      )
    }
    const sameSite = /;\s*samesite=/i.test(rest) ? "" : " SameSite=Lax;"
    return `flash=${encodeURIComponent(JSON.stringify(flash))}${rest}${sameSite}`
  } catch {
    // Not the shape SolidStart writes: drop its value rather than pass on what it may hold.
    return `flash=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax`
  }
}

const writeResponse = async (req: IncomingMessage, res: ServerResponse, response: Response) => {
  res.statusCode = response.status
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie" && name !== PUBLIC_PAGE_HEADER) res.setHeader(name, value)
  })
  const cookies = response.headers.getSetCookie().map(withoutSecretsInFlash)
  if (cookies.length > 0) res.setHeader("set-cookie", cookies)
  if (response.body === null || req.method === "HEAD") {
    await response.body?.cancel()
    return void res.end()
  }
  // Chunk by chunk, uncorked: a server function's answer streams (its revalidated queries follow the result), and
  // holding chunks back with cork() lost the later ones of a chunked answer (the page then waited for ever).
  for await (const chunk of response.body) {
    if (res.destroyed) break
    if (!res.write(chunk)) await Promise.race([once(res, "drain"), once(res, "close")])
  }
  res.end()
}

/** The fetch handler `vite build` emits as the default export of dist/server/entry-server.js. */
interface FetchHandler {
  readonly fetch: (request: Request) => Promise<Response>
}

const isFetchHandler = (value: unknown): value is FetchHandler =>
  typeof value === "object" && value !== null && "fetch" in value && typeof value.fetch === "function"

const sendPage = (res: ServerResponse, page: ServedPage) => {
  res.statusCode = page.status
  for (const [name, value] of page.headers) res.setHeader(name, value)
  res.setHeader("content-length", Buffer.byteLength(page.body))
  res.end(page.body)
}

/** A page the web app marked public, for a request the cache may answer: stored, then sent with its own nonce. */
const storeAndSend = async (res: ServerResponse, response: Response, pages: PageCache, key: string) => {
  const answer = {
    status: response.status,
    headers: [...response.headers.entries()].filter(([name]) => name !== "set-cookie"),
    body: await response.text()
  }
  const cookies = response.headers.getSetCookie()
  if (cookies.length === 0) pages.store(key, answer)
  else res.setHeader("set-cookie", cookies.map(withoutSecretsInFlash))
  sendPage(res, { ...answer, headers: answer.headers.filter(([name]) => name !== PUBLIC_PAGE_HEADER) })
}

const handlerListener =
  (handler: FetchHandler, files: ReadonlyMap<string, StaticFile>, pages: PageCache | undefined): RequestListener =>
  (req, res) => {
    const path = (req.url ?? "/").split("?", 1)[0] ?? "/"
    const file = req.method === "GET" || req.method === "HEAD" ? files.get(path) : undefined
    if (file !== undefined) return sendStatic(req, res, file)
    const pageKey = pages?.keyOf(req)
    if (pages !== undefined && pageKey !== undefined) {
      const cached = pages.get(pageKey)
      if (cached !== undefined) return sendPage(res, cached)
    }
    const aborted = new AbortController()
    res.once("close", () => {
      if (!res.writableFinished) aborted.abort()
    })
    toRequest(req, aborted.signal)
      .then((request) => handler.fetch(request))
      .then((response) =>
        pages !== undefined && pageKey !== undefined && response.headers.has(PUBLIC_PAGE_HEADER)
          ? storeAndSend(res, response, pages, pageKey)
          : writeResponse(req, res, response)
      )
      .catch((error: unknown) => {
        if (res.headersSent) return void res.destroy()
        const tooLarge = error instanceof BodyTooLarge
        if (!tooLarge) console.error("web app request failed", error)
        res.writeHead(tooLarge ? 413 : 500, { "content-type": "text/plain; charset=utf-8" })
        res.end(tooLarge ? "request body too large" : "internal error")
      })
  }

/** The web app's cookie holding the session's access token (`ACCESS_COOKIE` in web/src/server/lectern.ts; httpOnly). */
export const ACCESS_COOKIE = "lectern_access"

/** Service routes a browser reaches with its session cookie instead of a bearer token: tus uploads. */
const COOKIE_ROUTES: ReadonlyArray<string> = [UPLOADS_PATH]

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"])

/** The first value of cookie `name` in a `Cookie` header (as the web app reads it), URI-decoded. */
export const cookieValue = (header: string | undefined, name: string): string | undefined => {
  for (const part of (header ?? "").split(";")) {
    const index = part.indexOf("=")
    if (index < 1 || part.slice(0, index).trim() !== name) continue
    const raw = part.slice(index + 1).trim()
    try {
      return decodeURIComponent(raw)
    } catch {
      return raw
    }
  }
  return undefined
}

/**
 * Whether a write comes from a page of this site: its `Origin` is the request's own (`http://<Host>`, the URL the web
 * app gives its requests) or `publicOrigin` (PUBLIC_URL's, when a proxy rewrites Host) — the origins the web app's
 * CSRF check accepts for server functions. A write without `Origin` is refused: browsers send it on every POST, PATCH
 * and DELETE of a page served with `Referrer-Policy: same-origin`, as the web app's pages are.
 */
export const isSameOriginWrite = (req: IncomingMessage, publicOrigin: string | undefined): boolean => {
  const origin = req.headers.origin
  if (origin === undefined || origin === "null") return false
  const host = req.headers.host
  return (host !== undefined && origin === `http://${host}`) || (publicOrigin !== undefined && origin === publicOrigin)
}

/**
 * A service route that also takes the browser's session cookie: a request without `Authorization` but with the
 * access cookie is handed on with `authorization: Bearer <cookie>`, so page scripts never hold the token and the
 * body still streams straight to the route (its own limits and quotas apply). Writes authenticated by the cookie
 * must come from this site (`isSameOriginWrite`), else 403 and the route never runs; requests with their own
 * `Authorization` header, or without the cookie, pass unchanged.
 */
export const acceptSessionCookie = (route: HttpRoute, publicOrigin: string | undefined): HttpRoute => ({
  prefix: route.prefix,
  handle: (req, res) => {
    if (req.headers.authorization === undefined) {
      const token = cookieValue(req.headers.cookie, ACCESS_COOKIE)
      if (token !== undefined && token !== "") {
        if (!SAFE_METHODS.has(req.method ?? "GET") && !isSameOriginWrite(req, publicOrigin)) {
          const body =
            "cross-site upload refused: a request authenticated by the session cookie must come from a page of this site (Origin)\n"
          res.writeHead(403, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) })
          return void res.end(body)
        }
        const authorization = `Bearer ${token}`
        req.headers.authorization = authorization
        // Handlers that build their headers from the raw list (tus, through srvx) see it there too.
        req.rawHeaders.push("authorization", authorization)
      }
    }
    route.handle(req, res)
  }
})

export interface WebApp {
  /** The edge's fallback: static files, pages and server functions. */
  readonly handle: RequestListener
  /** A service route as browsers of this web app call it: `acceptSessionCookie` for uploads, others as they are. */
  readonly forBrowsers: (route: HttpRoute) => HttpRoute
  /** Points the web app's server functions at this gateway (unless LECTERN_INTERNAL_URL says otherwise). */
  readonly started: (listening: Listening) => Effect.Effect<void>
}

const WebDist = Config.string("LECTERN_WEB_DIST").pipe(
  Config.withDefault(new URL("../../../web/dist/", import.meta.url).pathname)
)

/**
 * The built web app, when web/dist holds a complete build (`npm start` builds it first); otherwise none, and the
 * gateway serves the services alone.
 */
export const loadWebApp = Effect.gen(function* () {
  const dist = yield* WebDist
  if (!existsSync(join(dist, BUILD_COMPLETE_MARK))) {
    yield* Effect.logWarning(`no web app build in ${dist}: serving the services only (npm run build:web)`)
    return Option.none<WebApp>()
  }
  const entry = join(dist, "server", "entry-server.js")
  const module: unknown = yield* Effect.tryPromise(() => import(pathToFileURL(entry).href)).pipe(
    Effect.orDieWith((error) => new Error(`cannot load the web app from ${entry}: ${String(error)}`))
  )
  const handler = typeof module === "object" && module !== null && "default" in module ? module.default : undefined
  if (!isFetchHandler(handler)) return yield* Effect.dieMessage(`${entry} has no fetch handler`)
  const files = loadStaticFiles(join(dist, "client"))
  const host = yield* Config.string("HOST").pipe(Config.withDefault("0.0.0.0"))
  const publicUrl = yield* Config.option(Config.url("PUBLIC_URL"))
  const publicOrigin = Option.getOrUndefined(Option.map(publicUrl, (url) => url.origin))
  const pageTtlSeconds = yield* PageCacheTtlSeconds
  const pages = pageTtlSeconds > 0 ? makePageCache({ ttlMs: pageTtlSeconds * 1000 }) : undefined
  return Option.some<WebApp>({
    handle: handlerListener(handler, files, pages),
    forBrowsers: (route) => (COOKIE_ROUTES.includes(route.prefix) ? acceptSessionCookie(route, publicOrigin) : route),
    started: (listening) =>
      Effect.sync(() => {
        // Server functions reach the services in memory (the gateway's in-process transport); their plain HTTP
        // calls (certificate PDFs, attachment downloads) go to this loopback address.
        const loopback =
          host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host
        process.env.LECTERN_INTERNAL_URL ??= `http://${loopback}:${listening.port}`
      })
  })
})

/** The service routes as the edge serves them: with a web app mounted, browser uploads take its session cookie. */
export const routesForBrowsers = (web: Option.Option<WebApp>, routes: ReadonlyArray<HttpRoute>) =>
  Option.match(web, { onNone: () => routes, onSome: (app) => routes.map(app.forBrowsers) })
