// Request and response hardening for the web app: the CSP nonce, the CSRF check, and safe redirect targets.
// Pure functions of web-standard values, so they are unit-tested outside Vite.

/** A fresh base64 nonce for the inline hydration scripts of one response. */
export const newNonce = () => {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  return btoa(String.fromCharCode(...bytes))
}

/**
 * Scripts only from this origin or with this response's nonce; no plugins, no framing, forms post here only.
 * Inline `style` attributes stay allowed (progress bars set a width).
 */
export const contentSecurityPolicy = (nonce: string) =>
  [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "frame-src https://www.youtube-nocookie.com https://www.youtube.com https://www.dailymotion.com https://player.vimeo.com",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'"
  ].join("; ")

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"])

/**
 * CSRF: session cookies are SameSite=Lax, so a cross-site POST carries none; on top of that a state-changing
 * request must come from a page of this origin (its `Origin`, or `Sec-Fetch-Site: same-origin` when a browser
 * sends no Origin). `publicUrl` is the origin users see when a proxy rewrites Host.
 */
export const isCrossSiteWrite = (request: Request, publicUrl: string | undefined): boolean => {
  if (SAFE_METHODS.has(request.method)) return false
  const origin = request.headers.get("origin")
  if (origin === null || origin === "null") return request.headers.get("sec-fetch-site") !== "same-origin"
  const allowed = new Set([new URL(request.url).origin])
  if (publicUrl) allowed.add(new URL(publicUrl).origin)
  return !allowed.has(origin)
}

/** A local path to go to after signing in; anything else (another origin, `//host`, `/\\host`) is the home page. */
export const safeNext = (value: string) => (/^\/(?!\/)[^\\]*$/.test(value) ? value : "/")
