// Browser uploads with the session cookie, in the real gateway process: with a web app mounted (a stand-in build: the
// cookie is handled by the gateway before media's tus handler, the web app never sees the request), `/media/uploads`
// takes the `lectern_access` cookie as the bearer token, refuses cookie-authenticated writes from another origin or
// without one, answers 401 to a bad cookie, and serves bearer requests as before. Without a web app the cookie counts
// for nothing.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { makeLectern } from "@lectern/client"
import { Email } from "@lectern/domain"
import { startGatewayProcess } from "@lectern/testkit/GatewayProcess"
import { Effect, Layer, Schema } from "effect"

const ADMIN_EMAIL = "uploads.admin@example.com"
const ADMIN_PASSWORD = "the uploads admin's passphrase"
/** The admin's whole storage quota: an upload declaring it fills it, so a second one would be refused (413). */
const QUOTA = 64 * 1024

/** A web/dist with the completion mark, no static files and a server entry answering every request itself. */
const standInWebDist = Effect.acquireRelease(
  Effect.sync(() => {
    const dist = mkdtempSync(join(tmpdir(), "lectern-web-stand-in-"))
    mkdirSync(join(dist, "client"))
    mkdirSync(join(dist, "server"))
    writeFileSync(
      join(dist, "server", "entry-server.js"),
      'export default { fetch: async () => new Response("the stand-in web app\\n") }\n'
    )
    writeFileSync(join(dist, ".complete"), "")
    return dist
  }),
  (dist) => Effect.sync(() => rmSync(dist, { recursive: true, force: true }))
)

const gatewayEnv = {
  LECTERN_ADMIN_EMAIL: ADMIN_EMAIL,
  LECTERN_ADMIN_PASSWORD: ADMIN_PASSWORD,
  LECTERN_DEMO_CONTENT: "false",
  MEDIA_QUOTA_BYTES: String(QUOTA)
}

class WithWebApp extends Effect.Service<WithWebApp>()("test/UploadsGatewayWithWebApp", {
  scoped: Effect.flatMap(standInWebDist, (dist) => startGatewayProcess({ ...gatewayEnv, LECTERN_WEB_DIST: dist }))
}) {}

class WithoutWebApp extends Effect.Service<WithoutWebApp>()("test/UploadsGatewayWithoutWebApp", {
  scoped: Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "lectern-no-web-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  ).pipe(Effect.flatMap((empty) => startGatewayProcess({ ...gatewayEnv, LECTERN_WEB_DIST: empty })))
}) {}

const request = (url: string, init: RequestInit = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, init)
    return { status: response.status, headers: response.headers, text: await response.text() }
  })

const TUS = { "tus-resumable": "1.0.0" }
const metadata = `filename ${Buffer.from("notes.txt").toString("base64")}`

/** A tus creation request for `length` bytes with the given extra headers. */
const create = (url: string, length: number, headers: Record<string, string>) =>
  request(`${url}/media/uploads`, {
    method: "POST",
    headers: { ...TUS, "upload-length": String(length), "upload-metadata": metadata, ...headers }
  })

const patch = (uploadUrl: string, offset: number, bytes: Uint8Array<ArrayBuffer>, headers: Record<string, string>) =>
  request(uploadUrl, {
    method: "PATCH",
    headers: { ...TUS, "upload-offset": String(offset), "content-type": "application/offset+octet-stream", ...headers },
    body: bytes
  })

const login = (url: string) =>
  Effect.gen(function* () {
    const lectern = yield* makeLectern({ baseUrl: url })
    return yield* lectern.auth.session.login({ email: Schema.decodeSync(Email)(ADMIN_EMAIL), password: ADMIN_PASSWORD })
  })

describe("browser uploads with the session cookie", () => {
  it.layer(Layer.fresh(WithWebApp.Default), { timeout: 180_000 })((it) => {
    it.scoped("the cookie stands for the bearer token on this site's writes, and only there", () =>
      Effect.gen(function* () {
        const { url } = yield* WithWebApp
        const session = yield* login(url)
        const cookie = `lectern_access=${encodeURIComponent(session.accessToken)}; lectern_refresh=r`
        const sameSite = { cookie, origin: url }

        // Cross-site or origin-less writes with the cookie are refused before media runs, each declaring the whole
        // quota: had any created an upload, the quota would refuse the same-origin creation below (413).
        for (const origin of ["https://evil.example", url.replace("127.0.0.1", "localhost"), "null", undefined]) {
          const refused = yield* create(url, QUOTA, origin === undefined ? { cookie } : { cookie, origin })
          expect(refused.status).toBe(403)
          expect(refused.text).toMatch(/cross-site upload refused.*Origin/)
          expect(refused.headers.get("location")).toBeNull()
        }

        const created = yield* create(url, QUOTA, sameSite)
        expect(created.status).toBe(201)
        const location = created.headers.get("location") ?? ""
        expect(location).toMatch(/^\/media\/uploads\/[A-Za-z0-9_-]+$/)
        const uploadUrl = `${url}${location}`
        const bytes = new Uint8Array(QUOTA).fill(7)

        // A PATCH from another site sends nothing; the same site's goes through, streamed to media.
        expect((yield* patch(uploadUrl, 0, bytes, { cookie, origin: "https://evil.example" })).status).toBe(403)
        const offsetAfterRefusal = yield* request(uploadUrl, { method: "HEAD", headers: { ...TUS, cookie } })
        expect(offsetAfterRefusal.headers.get("upload-offset")).toBe("0")
        const patched = yield* patch(uploadUrl, 0, bytes, sameSite)
        expect(patched.status).toBe(204)
        expect(patched.headers.get("upload-offset")).toBe(String(QUOTA))
        // HEAD is safe: the cookie alone, without Origin, reads the offset.
        const head = yield* request(uploadUrl, { method: "HEAD", headers: { ...TUS, cookie } })
        expect(head.status).toBe(200)
        expect(head.headers.get("upload-offset")).toBe(String(QUOTA))
        // The owner's bearer token sees the same upload: the cookie authenticated as that user.
        const asBearer = yield* request(uploadUrl, {
          method: "HEAD",
          headers: { ...TUS, authorization: `Bearer ${session.accessToken}` }
        })
        expect(asBearer.headers.get("upload-offset")).toBe(String(QUOTA))

        // The quota is full now: media's limits apply to cookie uploads as to any other.
        expect((yield* create(url, 1, sameSite)).status).toBe(413)

        // DELETE is a write: refused from another site (the upload stays), done from this one (the quota is free).
        const foreignDelete = yield* request(uploadUrl, {
          method: "DELETE",
          headers: { ...TUS, cookie, origin: "https://evil.example" }
        })
        expect(foreignDelete.status).toBe(403)
        expect((yield* request(uploadUrl, { method: "HEAD", headers: { ...TUS, cookie } })).status).toBe(200)
        const deleted = yield* request(uploadUrl, { method: "DELETE", headers: { ...TUS, ...sameSite } })
        expect(deleted.status).toBe(204)
        expect((yield* request(uploadUrl, { method: "HEAD", headers: { ...TUS, cookie } })).status).toBe(404)

        // A bearer request is unchanged: no Origin needed, and its own token wins over any cookie it carries.
        const otherCookie = "lectern_access=not-a-token"
        const viaBearer = yield* create(url, 16, {
          authorization: `Bearer ${session.accessToken}`,
          cookie: otherCookie,
          origin: "https://evil.example"
        })
        expect(viaBearer.status).toBe(201)
        const bearerUpload = `${url}${viaBearer.headers.get("location")}`
        const bearerPatch = yield* patch(bearerUpload, 0, new Uint8Array(16), {
          authorization: `Bearer ${session.accessToken}`
        })
        expect(bearerPatch.status).toBe(204)
        expect(bearerPatch.headers.get("upload-offset")).toBe("16")
        const bearerDelete = yield* request(bearerUpload, {
          method: "DELETE",
          headers: { ...TUS, authorization: `Bearer ${session.accessToken}` }
        })
        expect(bearerDelete.status).toBe(204)
      })
    )

    it.scoped("a garbage, tampered or signed-out session's cookie is 401 and creates nothing", () =>
      Effect.gen(function* () {
        const { url } = yield* WithWebApp
        const lectern = yield* makeLectern({ baseUrl: url })
        const ended = yield* login(url)
        yield* lectern.auth.session.logout({ refreshToken: ended.refreshToken })
        const live = yield* login(url)
        const [header, payload, signature = ""] = live.accessToken.split(".")
        const tampered = `${header}.${payload}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`
        // Each declares the whole quota, as above: the valid creation after them proves none of them made one.
        for (const token of ["garbage", tampered, ended.accessToken]) {
          const refused = yield* create(url, QUOTA, { cookie: `lectern_access=${token}`, origin: url })
          expect(refused.status).toBe(401)
          expect(refused.text).toContain("invalid or expired access token")
          expect(refused.headers.get("location")).toBeNull()
        }
        // No cookie and no token: media's own answer, as before.
        const anonymous = yield* create(url, QUOTA, { origin: url })
        expect(anonymous.status).toBe(401)
        expect(anonymous.text).toContain("missing bearer token")
        const created = yield* create(url, QUOTA, { cookie: `lectern_access=${live.accessToken}`, origin: url })
        expect(created.status).toBe(201)
      })
    )
  })

  it.layer(Layer.fresh(WithoutWebApp.Default), { timeout: 180_000 })((it) => {
    it.scoped("without a web app mounted, the cookie is not a credential", () =>
      Effect.gen(function* () {
        const { url, output } = yield* WithoutWebApp
        expect(output()).toContain("no web app build")
        const session = yield* login(url)
        const withCookie = yield* create(url, 16, { cookie: `lectern_access=${session.accessToken}`, origin: url })
        expect(withCookie.status).toBe(401)
        expect(withCookie.text).toContain("missing bearer token")
        const withBearer = yield* create(url, 16, { authorization: `Bearer ${session.accessToken}` })
        expect(withBearer.status).toBe(201)
      })
    )
  })
})
