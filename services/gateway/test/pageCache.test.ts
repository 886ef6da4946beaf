// The anonymous page cache in the gateway process with the built web app: course pages for visitors without cookies
// come from memory for WEB_PAGE_CACHE_TTL with a fresh nonce each time; anyone with a cookie gets a fresh render.
import { describe, expect, it, layer } from "@effect/vitest"
import { makeLectern } from "@lectern/client"
import { Email } from "@lectern/domain"
import { startGatewayWithWebApp } from "@lectern/testkit/GatewayProcess"
import { Effect, Layer, Schema } from "effect"
import { makePageCache, PUBLIC_PAGE_HEADER } from "../src/PageCache.ts"

const ADMIN_EMAIL = "page.cache.admin@example.com"
const ADMIN_PASSWORD = "the page cache admin's passphrase"

class Gateway extends Effect.Service<Gateway>()("test/PageCacheGateway", {
  scoped: startGatewayWithWebApp({
    ACCESS_LOG: "false",
    LECTERN_DEMO_CONTENT: "true",
    WEB_PAGE_CACHE_TTL: "3",
    LECTERN_ADMIN_EMAIL: ADMIN_EMAIL,
    LECTERN_ADMIN_PASSWORD: ADMIN_PASSWORD
  })
}) {}

const get = (url: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, { headers })
    return { status: response.status, headers: response.headers, body: await response.text() }
  })

/** The nonce of a page's CSP header, and the nonces its inline scripts carry. */
const noncesOf = (page: { readonly headers: Headers; readonly body: string }) => ({
  header: /'nonce-([^']+)'/.exec(page.headers.get("content-security-policy") ?? "")?.[1],
  body: [...new Set([...page.body.matchAll(/nonce="([^"]+)"/g)].map((match) => match[1]))]
})

describe("anonymous page cache (gateway with the web app)", () => {
  // The real clock: the TTL counts in real time.
  layer(Layer.fresh(Gateway.Default), { timeout: 180_000, excludeTestServices: true })((it) => {
    it.scoped("course pages for anonymous visitors come from memory with a fresh nonce, until the TTL", () =>
      Effect.gen(function* () {
        const { url } = yield* Gateway
        const lectern = yield* makeLectern({ baseUrl: url })
        const course = (yield* lectern.catalog.course.search({ sort: "newest", limit: 1 })).items[0]
        if (course === undefined) return yield* Effect.dieMessage("no demo course")
        const page = `${url}/courses/${course.slug}`

        const first = yield* get(page)
        const second = yield* get(page)
        for (const answer of [first, second]) {
          expect(answer.status).toBe(200)
          expect(answer.headers.get(PUBLIC_PAGE_HEADER)).toBeNull()
          expect(answer.body).toContain(course.title)
          // The policy's nonce is the one every inline script carries.
          const nonces = noncesOf(answer)
          expect(nonces.header).toBeDefined()
          expect(nonces.body).toEqual([nonces.header])
        }
        const [one, two] = [noncesOf(first).header ?? "", noncesOf(second).header ?? ""]
        expect(one).not.toBe(two)
        expect(second.body.replaceAll(two, one)).toBe(first.body)

        // An admin renames the course: a visitor with any cookie sees it at once, anonymous ones after the TTL.
        const admin = yield* lectern.auth.session.login({
          email: Schema.decodeSync(Email)(ADMIN_EMAIL),
          password: ADMIN_PASSWORD
        })
        const asAdmin = yield* makeLectern({ baseUrl: url, accessToken: admin.accessToken })
        const renamed = `${course.title} (page cache edition)`
        yield* asAdmin.catalog.course.update({ id: course.id, title: renamed })
        const withCookie = () => get(page, { cookie: "theme=dark" })
        yield* Effect.repeat(withCookie(), { until: (answer) => answer.body.includes(renamed) }).pipe(
          Effect.timeout("10 seconds")
        )
        const stillCached = yield* get(page)
        expect(stillCached.body).not.toContain(renamed)
        yield* Effect.sleep("3100 millis")
        expect((yield* get(page)).body).toContain(renamed)
      })
    )
  })
})

describe("PageCache", () => {
  const csp = (nonce: string) => `default-src 'self'; script-src 'self' 'nonce-${nonce}'`
  const nonce = "AAAAAAAAAAAAAAAAAAAAAA=="
  const page = (overrides: Partial<{ status: number; headers: Array<[string, string]>; body: string }> = {}) => ({
    status: 200,
    headers: [
      ["content-type", "text/html"],
      ["content-security-policy", csp(nonce)],
      [PUBLIC_PAGE_HEADER, "anonymous"]
    ] as Array<[string, string]>,
    body: `<script nonce="${nonce}">1</script><script nonce="${nonce}">2</script>`,
    ...overrides
  })
  const request = (headers: Record<string, string> = {}, method = "GET") =>
    ({ method, url: "/courses/x?y=1", headers: { host: "lectern.test", ...headers } }) as const

  it("looks up only cookie-less, token-less GETs, by scheme, host and URL", () => {
    const cache = makePageCache({ ttlMs: 1000 })
    expect(cache.keyOf(request())).toBe("http://lectern.test/courses/x?y=1")
    expect(cache.keyOf(request({ "x-forwarded-proto": "https" }))).toBe("https://lectern.test/courses/x?y=1")
    expect(cache.keyOf(request({ cookie: "a=b" }))).toBeUndefined()
    expect(cache.keyOf(request({ authorization: "Bearer x" }))).toBeUndefined()
    expect(cache.keyOf(request({}, "POST"))).toBeUndefined()
    expect(cache.keyOf(request({}, "HEAD"))).toBeUndefined()
    expect(cache.keyOf({ method: "GET", url: "/", headers: {} })).toBeUndefined()
  })

  it("stores only marked 200 pages without cookies and with a nonce; each hit has a new nonce everywhere", () => {
    const cache = makePageCache({ ttlMs: 1000 })
    expect(cache.store("a", page({ status: 404 }))).toBe(false)
    expect(cache.store("a", page({ headers: page().headers.filter(([name]) => name !== PUBLIC_PAGE_HEADER) }))).toBe(
      false
    )
    expect(cache.store("a", page({ headers: [...page().headers, ["set-cookie", "a=b"]] }))).toBe(false)
    expect(cache.store("a", page({ headers: [[PUBLIC_PAGE_HEADER, "anonymous"]] }))).toBe(false)
    expect(cache.size()).toBe(0)
    expect(cache.store("a", page())).toBe(true)
    const [one, two] = [cache.get("a"), cache.get("a")]
    const nonceOf = (served: typeof one) =>
      /'nonce-([^']+)'/.exec(served?.headers.find(([name]) => name === "content-security-policy")?.[1] ?? "")?.[1]
    const [first, second] = [nonceOf(one), nonceOf(two)]
    expect(first).toBeDefined()
    expect(first).not.toBe(second)
    expect(first).not.toBe(nonce)
    expect(one?.body).toBe(`<script nonce="${first}">1</script><script nonce="${first}">2</script>`)
    expect(one?.headers.some(([name]) => name === PUBLIC_PAGE_HEADER)).toBe(false)
    expect(one?.status).toBe(200)
  })

  it("forgets pages after the TTL, and the oldest first beyond its entries or bytes", () => {
    let now = 0
    const cache = makePageCache({ ttlMs: 1000, maxEntries: 2, maxBytes: 250, now: () => now })
    cache.store("a", page())
    now = 999
    expect(cache.get("a")).toBeDefined()
    now = 1000
    expect(cache.get("a")).toBeUndefined()
    cache.store("a", page())
    cache.store("b", page())
    cache.store("c", page())
    expect([cache.get("a"), cache.get("b"), cache.get("c")].map((hit) => hit !== undefined)).toEqual([
      false,
      true,
      true
    ])
    // A page larger than the whole budget is never stored; one that fits pushes the oldest out.
    expect(cache.store("big", page({ body: "x".repeat(251) }))).toBe(false)
    expect(cache.store("d", page({ body: `${"x".repeat(160)}<script nonce="${nonce}"></script>` }))).toBe(true)
    expect(cache.size()).toBe(1)
  })

  it("is off with a TTL of zero", () => {
    expect(makePageCache({ ttlMs: 0 }).store("a", page())).toBe(false)
  })
})
