// The web server's only way to the services: one typed `@lectern/client` whose calls carry the session cookie's
// token and the browser's address, refreshing the token transparently and turning typed failures into plain values.
import "server-only"
import { asCaller, type Forwarding, forwardingSecret, inProcessTransport, type RpcTransport } from "@lectern/client"
import { type LeanLecternClient, makeLeanLectern } from "@lectern/client/Lean"
import type { Auth } from "@lectern/contracts"
import { Cause, DateTime, Effect, Either, Exit, Option, type Scope } from "effect"
import { getRequestEvent, type RequestEvent } from "solid-js/web"
import type { Failure, Outcome } from "../lib/outcome.ts"

export const ACCESS_COOKIE = "lectern_access"
export const REFRESH_COOKIE = "lectern_refresh"
/** The refresh cookie outlives the access token; the auth service still enforces the family's absolute lifetime. */
const REFRESH_COOKIE_SECONDS = 30 * 24 * 3600

/**
 * Where server functions reach the services over HTTP (`LECTERN_INTERNAL_URL`, read per call: cheap, and the gateway
 * sets it at start). Mounted in the gateway (`npm start`) calls go in memory instead (`inProcessTransport`) and this
 * only keys the shared client; `vite dev` on its own uses the default, a gateway on this machine's port 3000.
 */
const internalUrl = Effect.sync(() => process.env.LECTERN_INTERNAL_URL || "http://127.0.0.1:3000")

interface Tokens {
  readonly access: string | undefined
  readonly refresh: string | undefined
}

const TOKENS = Symbol.for("lectern/tokens")

const parseCookies = (header: string | null): Map<string, string> => {
  const cookies = new Map<string, string>()
  for (const part of (header ?? "").split(";")) {
    const index = part.indexOf("=")
    if (index < 1) continue
    const name = part.slice(0, index).trim()
    if (!cookies.has(name)) cookies.set(name, decodeURIComponent(part.slice(index + 1).trim()))
  }
  return cookies
}

const requestEvent = (): RequestEvent => {
  const event = getRequestEvent()
  if (event === undefined) throw new Error("lectern() runs on the server, inside a request")
  return event
}

/** This request's tokens: what a refresh during the request set, else its cookies. */
const currentTokens = (event: RequestEvent): Tokens => {
  const known = event.locals[TOKENS] as Tokens | undefined
  if (known !== undefined) return known
  const cookies = parseCookies(event.request.headers.get("cookie"))
  return { access: cookies.get(ACCESS_COOKIE), refresh: cookies.get(REFRESH_COOKIE) }
}

const isSecure = (request: Request) =>
  new URL(request.url).protocol === "https:" || request.headers.get("x-forwarded-proto") === "https"

const cookie = (request: Request, name: string, value: string, maxAgeSeconds: number) =>
  `${name}=${encodeURIComponent(value)}; Path=/; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; HttpOnly; ` +
  `SameSite=Lax${isSecure(request) ? "; Secure" : ""}`

/** Stores a new session in httpOnly cookies (and for the rest of this request). */
export const storeSession = (session: Auth.Session, event: RequestEvent = requestEvent()) => {
  // Queries of one page that found the token expired together share one refresh: set its cookies once.
  if (currentTokens(event).access === session.accessToken) return
  const accessSeconds = (DateTime.toEpochMillis(session.accessExpiresAt) - Date.now()) / 1000
  event.response.headers.append("set-cookie", cookie(event.request, ACCESS_COOKIE, session.accessToken, accessSeconds))
  event.response.headers.append(
    "set-cookie",
    cookie(event.request, REFRESH_COOKIE, session.refreshToken, REFRESH_COOKIE_SECONDS)
  )
  event.locals[TOKENS] = { access: session.accessToken, refresh: session.refreshToken } satisfies Tokens
}

/** Forgets the session: both cookies expire now. */
export const clearSession = (event: RequestEvent = requestEvent()) => {
  event.response.headers.append("set-cookie", cookie(event.request, ACCESS_COOKIE, "", 0))
  event.response.headers.append("set-cookie", cookie(event.request, REFRESH_COOKIE, "", 0))
  event.locals[TOKENS] = { access: undefined, refresh: undefined } satisfies Tokens
}

/** Whether this request carries a session at all (no cookie: no call needed to know nobody is signed in). */
export const hasSession = () => {
  const tokens = currentTokens(requestEvent())
  return tokens.access !== undefined || tokens.refresh !== undefined
}

/**
 * Marks this response as the same for every anonymous visitor, when it is one (no cookie at all): the gateway may
 * then serve it again to the next anonymous visitors for a few seconds, with a fresh nonce (services/gateway's
 * PageCache, `WEB_PAGE_CACHE_TTL`). Only for pages whose content depends on nothing but the URL.
 */
export const markPublicPage = () => {
  const event = requestEvent()
  if (event.request.method === "GET" && !event.request.headers.has("cookie")) {
    event.response.headers.set("x-lectern-public-page", "anonymous")
  }
}

/** The refresh token of this request's session, if any (logout revokes it). */
export const currentRefreshToken = () => currentTokens(requestEvent()).refresh

/** This request's access token as it stands (after any refresh a `lectern()` call made), for plain HTTP calls (forward.ts). */
export const currentAccessToken = () => currentTokens(requestEvent()).access

/**
 * Trades the refresh cookie for a new session now, e.g. when the user's role changed after their token was issued
 * (an approved creator application); false when there is no session any more.
 */
export const refreshNow = async (): Promise<boolean> => {
  const event = requestEvent()
  const { refresh } = currentTokens(event)
  if (refresh === undefined) return false
  const access = await Effect.runPromise(
    Effect.flatMap(internalUrl, (baseUrl) => refreshSession(event, baseUrl, refresh)).pipe(Effect.orDie)
  )
  return access !== undefined
}

/**
 * The browser's address as the gateway's edge saw it (the socket's, or X-Forwarded-For's last hop with TRUST_PROXY):
 * the edge sets this header on every request it hands the web app, replacing whatever the browser sent.
 */
const EDGE_CLIENT_IP_HEADER = "x-lectern-client-ip"

/**
 * Forwards that address on this request's calls, so per-address rate limits count the browser, not the web app.
 * Only inside the gateway (which set its secret); `vite dev` on its own forwards nothing.
 */
const forwardingOf = (request: Request): Forwarding | undefined => {
  const secret = forwardingSecret()
  const clientAddress = request.headers.get(EDGE_CLIENT_IP_HEADER)
  return secret === undefined || clientAddress === null ? undefined : { clientAddress, secret }
}

// One client per process (per base URL or in-process transport), shared by every request: the lean client
// (node:http, ≈ 0.6 ms of CPU per call against ≈ 2.7 for the stock RpcClient over fetch, and ≈ 19 ms to build a
// stock one per call). Mounted in the gateway, its calls are handed to the gateway's RPC handlers in memory
// (`inProcessTransport`): same bodies, same checks, no loopback socket. Each call carries its own token and
// forwarded address through `asCaller`, which the client reads from the calling fiber.
const clients = new Map<string | RpcTransport, LeanLecternClient>()

const sharedClient = (baseUrl: string) => {
  const transport = inProcessTransport()
  const key = transport ?? baseUrl
  let client = clients.get(key)
  if (client === undefined) {
    client = makeLeanLectern({ baseUrl, transport })
    clients.set(key, client)
  }
  return client
}

const withClient = <A, E>(
  baseUrl: string,
  accessToken: string | undefined,
  forwarding: Forwarding | undefined,
  f: (lectern: LeanLecternClient) => Effect.Effect<A, E, Scope.Scope>
) => Effect.suspend(() => Effect.scoped(f(sharedClient(baseUrl)))).pipe(asCaller({ accessToken, forwarding }))

// A refresh token rotates on use and a second use revokes the whole session, so concurrent requests of one browser
// (a page and a server function, several queries) that find the access token expired share one refresh: the
// outcome stays here for a minute, keyed by the token that was spent.
const refreshes = new Map<string, Promise<Option.Option<Auth.Session>>>()
const REFRESH_MEMORY_MS = 60_000

const sharedRefresh = (baseUrl: string, refreshToken: string) => {
  const pending = refreshes.get(refreshToken)
  if (pending !== undefined) return pending
  const refresh = Effect.runPromise(
    withClient(baseUrl, undefined, undefined, (lectern) => lectern.auth.session.refresh({ refreshToken })).pipe(
      Effect.map(Option.some),
      // An unknown, reused or expired token, or a disabled account: the session is over.
      Effect.catchAll(() => Effect.succeed(Option.none<Auth.Session>())),
      Effect.catchAllDefect(() => Effect.succeed(Option.none<Auth.Session>()))
    )
  )
  refreshes.set(refreshToken, refresh)
  setTimeout(() => refreshes.delete(refreshToken), REFRESH_MEMORY_MS).unref()
  return refresh
}

/**
 * Trades the refresh cookie for a new session (stored in cookies); undefined when there is none any more. The
 * request event is passed in: Effect's scheduler does not keep the request's async context.
 */
const refreshSession = (event: RequestEvent, baseUrl: string, refreshToken: string) =>
  Effect.promise(() => sharedRefresh(baseUrl, refreshToken)).pipe(
    Effect.map((session) => {
      if (Option.isSome(session)) {
        storeSession(session.value, event)
        return session.value.accessToken
      }
      clearSession(event)
      return undefined
    })
  )

const isUnauthorized = (error: unknown) =>
  typeof error === "object" && error !== null && "_tag" in error && error._tag === "Unauthorized"

/** A typed failure as a plain, serialisable value: its tag, a message, and its own fields. */
const toFailure = (error: unknown): Failure => {
  if (typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string") {
    const fields: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(error)) {
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") fields[key] = value
    }
    const message = "message" in error && typeof error.message === "string" ? error.message : ""
    return { ...fields, _tag: error._tag, message }
  }
  return { _tag: "Unknown", message: String(error) }
}

/**
 * Calls the services as this request's user: `await lectern((c) => c.catalog.course.get({ slug }))`.
 * Without an access cookie but with a refresh cookie, the session is refreshed first; a call answered
 * `Unauthorized` (expired or revoked token) is retried once after a refresh. Typed failures come back as
 * `{ ok: false, error }`; defects (lost connections, bugs) are logged and thrown as a generic error.
 */
export const lectern = async <A, E>(
  f: (lectern: LeanLecternClient) => Effect.Effect<A, E, Scope.Scope>
): Promise<Outcome<A>> => {
  const event = requestEvent()
  const program = Effect.gen(function* () {
    const baseUrl = yield* internalUrl
    const forwarding = forwardingOf(event.request)
    let { access, refresh } = currentTokens(event)
    let refreshed = false
    if (access === undefined && refresh !== undefined) {
      access = yield* refreshSession(event, baseUrl, refresh)
      refreshed = true
    }
    const first = yield* Effect.either(withClient(baseUrl, access, forwarding, f))
    if (Either.isRight(first)) return first.right
    ;({ refresh } = currentTokens(event))
    if (!isUnauthorized(first.left) || refreshed || refresh === undefined) return yield* Effect.fail(first.left)
    access = yield* refreshSession(event, baseUrl, refresh)
    return yield* withClient(baseUrl, access, forwarding, f)
  })
  const exit = await Effect.runPromiseExit(program)
  if (Exit.isSuccess(exit)) return { ok: true, value: exit.value }
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) return { ok: false, error: toFailure(failure.value) }
  console.error("lectern call failed", Cause.pretty(exit.cause))
  throw new Error("The service could not answer. Please try again.")
}
