// A short-lived cache of public pages as anonymous visitors see them: a page the web app marks (the course page, for
// a request without any cookie) is kept for `WEB_PAGE_CACHE_TTL` and served again to the next anonymous visitors with
// a fresh CSP nonce, instead of being rendered once per request.
//
// Why it is safe: only GETs without a Cookie header are looked up or stored, so no session, flash message or other
// per-visitor state can be in a stored page; only 200 answers the web app marked, without Set-Cookie, are stored; the
// key is the full URL with its host and scheme. Each stored page's nonce (from its CSP header) is replaced by a new
// random one in the body and in the header on every hit, so a nonce is never served twice. What it costs: a change to
// a course reaches anonymous visitors up to the TTL late (the catalog's own cache is invalidated by events at once).
import { randomBytes } from "node:crypto"
import type { IncomingMessage } from "node:http"
import { Config, ConfigError, Either } from "effect"

/** The response header by which the web app marks an anonymous page as the same for every anonymous visitor. */
export const PUBLIC_PAGE_HEADER = "x-lectern-public-page"

/** `WEB_PAGE_CACHE_TTL`: seconds a marked page is served from memory (default 5; 0 turns the cache off). */
export const PageCacheTtlSeconds = Config.string("WEB_PAGE_CACHE_TTL").pipe(
  Config.withDefault("5"),
  Config.mapOrFail((text) => {
    const seconds = Number(text.trim())
    return text.trim() !== "" && Number.isFinite(seconds) && seconds >= 0 && seconds <= 3600
      ? Either.right(seconds)
      : Either.left(ConfigError.InvalidData([], `WEB_PAGE_CACHE_TTL must be seconds from 0 to 3600, got ${text}`))
  })
)

export interface CachedPage {
  readonly status: number
  /** Every header as the web app sent it, but the CSP (rebuilt per hit) and the marker. */
  readonly headers: ReadonlyArray<readonly [string, string]>
  /** The body and the CSP header split at the stored nonce: joined with a new nonce on each hit. */
  readonly bodyParts: ReadonlyArray<string>
  readonly cspParts: ReadonlyArray<string> | undefined
  readonly bytes: number
  readonly expiresAt: number
}

/** What one hit sends: the page with a nonce of its own. */
export interface ServedPage {
  readonly status: number
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly body: string
}

const NONCE_IN_CSP = /'nonce-([A-Za-z0-9+/=_-]{16,})'/

/** A nonce like the web app's: 16 random bytes, base64. */
const freshNonce = () => randomBytes(16).toString("base64")

export interface PageCacheOptions {
  readonly ttlMs: number
  /** The most pages kept; the oldest goes first. Default 1,000. */
  readonly maxEntries?: number
  /** The most body bytes kept in all; the oldest goes first. Default 32 MiB. */
  readonly maxBytes?: number
  readonly now?: () => number
}

export interface PageCache {
  /** The key of a request that may be served from the cache, or undefined when it may not (not GET, has cookies). */
  readonly keyOf: (request: Pick<IncomingMessage, "method" | "url" | "headers">) => string | undefined
  readonly get: (key: string) => ServedPage | undefined
  /**
   * Stores an answer when it may be shared: status 200, marked public by the web app, no Set-Cookie, a CSP with a
   * nonce. Returns whether it was stored.
   */
  readonly store: (
    key: string,
    answer: {
      readonly status: number
      readonly headers: ReadonlyArray<readonly [string, string]>
      readonly body: string
    }
  ) => boolean
  readonly size: () => number
}

export const makePageCache = (options: PageCacheOptions): PageCache => {
  const maxEntries = options.maxEntries ?? 1_000
  const maxBytes = options.maxBytes ?? 32 * 1024 * 1024
  const now = options.now ?? Date.now
  const entries = new Map<string, CachedPage>()
  let totalBytes = 0

  const drop = (key: string) => {
    const entry = entries.get(key)
    if (entry === undefined) return
    entries.delete(key)
    totalBytes -= entry.bytes
  }

  const keyOf: PageCache["keyOf"] = ({ method, url, headers }) => {
    if (method !== "GET" || headers.cookie !== undefined || headers.authorization !== undefined) return undefined
    const host = headers.host
    if (typeof host !== "string") return undefined
    const proto = headers["x-forwarded-proto"] === "https" ? "https" : "http"
    return `${proto}://${host}${url ?? "/"}`
  }

  const get: PageCache["get"] = (key) => {
    const entry = entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= now()) {
      drop(key)
      return undefined
    }
    const nonce = freshNonce()
    const headers: Array<readonly [string, string]> = [...entry.headers]
    if (entry.cspParts !== undefined) headers.push(["content-security-policy", entry.cspParts.join(nonce)])
    return { status: entry.status, headers, body: entry.bodyParts.join(nonce) }
  }

  const store: PageCache["store"] = (key, answer) => {
    if (options.ttlMs <= 0 || answer.status !== 200) return false
    let marked = false
    let csp: string | undefined
    const headers: Array<readonly [string, string]> = []
    for (const [name, value] of answer.headers) {
      const lower = name.toLowerCase()
      if (lower === "set-cookie") return false
      if (lower === PUBLIC_PAGE_HEADER) marked = value === "anonymous"
      else if (lower === "content-security-policy") csp = value
      else headers.push([lower, value])
    }
    if (!marked || csp === undefined) return false
    const nonce = NONCE_IN_CSP.exec(csp)?.[1]
    // Without a nonce in the policy there is nothing to renew; with one, every copy of it in the page is renewed.
    if (nonce === undefined) return false
    const bytes = Buffer.byteLength(answer.body)
    if (bytes > maxBytes) return false
    drop(key)
    while (entries.size > 0 && (entries.size >= maxEntries || totalBytes + bytes > maxBytes)) {
      const oldest = entries.keys().next()
      if (oldest.done) break
      drop(oldest.value)
    }
    entries.set(key, {
      status: answer.status,
      headers,
      bodyParts: answer.body.split(nonce),
      cspParts: csp.split(nonce),
      bytes,
      expiresAt: now() + options.ttlMs
    })
    totalBytes += bytes
    return true
  }

  return { keyOf, get, store, size: () => entries.size }
}
