// Plain HTTP calls to the services as this browser's session (certificate PDFs, attachment downloads): the cookie's
// access token as a bearer token, refreshed once when it is missing or refused. The token never reaches page scripts.
import "server-only"
import { currentAccessToken, refreshNow } from "./lectern.ts"

/** Where the services listen for the web server (the gateway sets it to its own loopback address). */
const internalUrl = () => process.env.LECTERN_INTERNAL_URL ?? "http://127.0.0.1:3000"

const call = (path: string, init: RequestInit, token: string) => {
  const headers = new Headers(init.headers)
  headers.set("authorization", `Bearer ${token}`)
  return fetch(new URL(path, internalUrl()), { ...init, headers, redirect: "manual" })
}

/**
 * `fetch` to a service path (e.g. `/learning/certificates/<id>.pdf`) as the signed-in user; 401 without a session.
 * A body must be bytes (not a stream) so that a call refused for an expired token can be sent again.
 */
export const fetchAsSession = async (path: string, init: RequestInit = {}): Promise<Response> => {
  let token = currentAccessToken()
  let refreshed = false
  if (token === undefined) {
    refreshed = true
    if (!(await refreshNow())) return new Response("sign in first\n", { status: 401 })
    token = currentAccessToken()
  }
  if (token === undefined) return new Response("sign in first\n", { status: 401 })
  const first = await call(path, init, token)
  if (first.status !== 401 || refreshed) return first
  await first.body?.cancel()
  if (!(await refreshNow())) return new Response("sign in first\n", { status: 401 })
  const again = currentAccessToken()
  return again === undefined ? new Response("sign in first\n", { status: 401 }) : call(path, init, again)
}

/** The named headers of `from` that are present, for a response the web app sends on. */
export const pickHeaders = (from: Headers, names: ReadonlyArray<string>) => {
  const headers = new Headers()
  for (const name of names) {
    const value = from.get(name)
    if (value !== null) headers.set(name, value)
  }
  return headers
}
