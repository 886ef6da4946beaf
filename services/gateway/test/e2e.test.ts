// End to end: the real gateway process on embedded defaults, driven over HTTP by the typed client and by raw fetch.

import { describe, expect, it } from "@effect/vitest"
import { asCaller, makeLectern } from "@lectern/client"
import { makeLeanLectern } from "@lectern/client/Lean"
import { Catalog } from "@lectern/contracts"
import { Email, Slug } from "@lectern/domain"
import { startGatewayProcess } from "@lectern/testkit/GatewayProcess"
import { Effect, Exit, Layer, Schema } from "effect"

const PASSWORD = "a long and private passphrase"
const ADMIN_EMAIL = "first.admin@example.com"
const ADMIN_PASSWORD = "the first admin's passphrase"
const email = Schema.decodeSync(Email)

class Gateway extends Effect.Service<Gateway>()("test/Gateway", {
  scoped: startGatewayProcess({
    LOG_LEVEL: "debug",
    LECTERN_ADMIN_EMAIL: ADMIN_EMAIL,
    LECTERN_ADMIN_PASSWORD: ADMIN_PASSWORD
  })
}) {}

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  Effect.tryPromise(async () => {
    const response = await fetch(`${url}/rpc/auth`, {
      method: "POST",
      headers: { "content-type": "application/ndjson", ...headers },
      body
    })
    return { status: response.status, text: await response.text(), headers: response.headers }
  })

describe("gateway process", () => {
  it.layer(Layer.fresh(Gateway.Default), { timeout: 120_000 })((it) => {
    it.scoped("serves health, readiness and the JWKS", () =>
      Effect.gen(function* () {
        const { url } = yield* Gateway
        const health = yield* Effect.tryPromise(() => fetch(`${url}/health`))
        expect(health.status).toBe(200)
        expect(health.headers.get("x-content-type-options")).toBe("nosniff")
        expect(health.headers.get("x-trace-id")).toMatch(/^[0-9a-f]{32}$/)
        const ready = yield* Effect.tryPromise(() => fetch(`${url}/ready`).then((r) => r.json()))
        expect(ready).toEqual({
          status: "ready",
          dependencies: { database: { status: "up" }, cache: { status: "up" }, blobs: { status: "up" } }
        })
        const jwks = yield* Effect.tryPromise(() => fetch(`${url}/.well-known/jwks.json`).then((r) => r.json()))
        expect(jwks.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA" })
        expect(jwks.keys[0].d).toBeUndefined()
      })
    )

    it.scoped("the whole auth flow through the typed client", () =>
      Effect.gen(function* () {
        const { url } = yield* Gateway
        let token: string | undefined
        const lectern = yield* makeLectern({ baseUrl: url, accessToken: () => token })
        const address = email(`e2e.${Date.now()}@example.com`)
        yield* lectern.auth.user.register({ email: address, password: PASSWORD, name: "Grace" })
        const mails = yield* lectern.auth.dev.outbox({ to: address })
        const code = /\b(\d{6})\b/.exec(mails[0]?.text ?? "")?.[1]
        expect(code).toBeDefined()
        const session = yield* lectern.auth.user.verifyEmail({ email: address, code: code ?? "" })
        token = session.accessToken
        const me = yield* lectern.auth.user.me()
        expect(me.email).toBe(address)
        const again = yield* lectern.auth.session.login({ email: address, password: PASSWORD })
        token = again.accessToken
        yield* lectern.auth.session.logoutAll()
        const after = yield* lectern.auth.user.me().pipe(Effect.flip)
        expect(after._tag).toBe("Unauthorized")
        const learnerList = yield* lectern.auth.user.list({}).pipe(Effect.flip)
        expect(learnerList._tag).toBe("Unauthorized")
      })
    )

    it.scoped("one client shared by concurrent callers: each call carries its own caller's token (asCaller)", () =>
      Effect.gen(function* () {
        const { url } = yield* Gateway
        const shared = yield* makeLectern({ baseUrl: url })
        const signUp = (name: string) =>
          Effect.gen(function* () {
            const address = email(`shared.${name.toLowerCase()}.${Date.now()}@example.com`)
            yield* shared.auth.user.register({ email: address, password: PASSWORD, name })
            const mails = yield* shared.auth.dev.outbox({ to: address })
            const code = /\b(\d{6})\b/.exec(mails[0]?.text ?? "")?.[1] ?? ""
            return (yield* shared.auth.user.verifyEmail({ email: address, code })).accessToken
          })
        const tokens = { Ada: yield* signUp("Ada"), Brian: yield* signUp("Brian") }
        const names = yield* Effect.forEach(
          ["Ada", "Brian", "Ada", "Brian", "Ada", "Brian", "Ada", "Brian"] as const,
          (name) =>
            shared.auth.user.me().pipe(
              Effect.map((me) => [name, me.name] as const),
              asCaller({ accessToken: tokens[name] })
            ),
          { concurrency: "unbounded" }
        )
        for (const [caller, seen] of names) expect(seen).toBe(caller)
        // Outside asCaller the shared client sends no token.
        expect((yield* shared.auth.user.me().pipe(Effect.flip))._tag).toBe("Unauthorized")
      })
    )

    it.scoped("the lean client answers every kind of call exactly as the stock client does", () =>
      Effect.gen(function* () {
        const { url } = yield* Gateway
        const stock = yield* makeLectern({ baseUrl: url })
        const lean = makeLeanLectern({ baseUrl: url })
        const both = <A, E>(call: (client: typeof stock) => Effect.Effect<A, E>) =>
          Effect.all([Effect.exit(call(stock)), Effect.exit(call(lean))])
        const same = <A, E>(call: (client: typeof stock) => Effect.Effect<A, E>) =>
          Effect.map(both(call), ([fromStock, fromLean]) => {
            expect(fromLean).toEqual(fromStock)
            return fromLean
          })
        const categories = yield* same((c) => c.catalog.category.list())
        expect(Exit.isSuccess(categories)).toBe(true)
        const page = yield* same((c) => c.catalog.course.search({ sort: "newest", limit: 2 }))
        const slug = Exit.isSuccess(page) ? page.value.items[0]?.slug : undefined
        if (slug === undefined) return yield* Effect.dieMessage("no demo course")
        const detail = yield* same((c) => c.catalog.course.get({ slug }))
        expect(Exit.isSuccess(detail) && detail.value instanceof Catalog.CourseDetail).toBe(true)
        // Typed failures: from the handler, and from the Authentication middleware.
        const missing = yield* same((c) => c.catalog.course.get({ slug: Slug.make("no-such-course-here") }))
        expect(Exit.isFailure(missing) && JSON.stringify(missing.cause)).toContain("CourseNotFound")
        const anonymous = yield* same((c) => c.auth.user.me())
        expect(Exit.isFailure(anonymous) && JSON.stringify(anonymous.cause)).toContain("Unauthorized")
        // A signed-in caller through asCaller, and a bad token.
        const session = yield* stock.auth.session.login({ email: email(ADMIN_EMAIL), password: ADMIN_PASSWORD })
        const me = yield* same((c) => c.auth.user.me().pipe(asCaller({ accessToken: session.accessToken })))
        expect(Exit.isSuccess(me) && me.value.email).toBe(ADMIN_EMAIL)
        const forged = yield* same((c) => c.auth.user.me().pipe(asCaller({ accessToken: "not.a.token" })))
        expect(Exit.isFailure(forged)).toBe(true)

        // Encoded answers: the success exactly as the stock client's value encodes; failures decoded as usual.
        const encodedDetail = yield* lean.encoded.catalog.course.get({ slug })
        if (Exit.isFailure(detail)) return yield* Effect.dieMessage("course.get failed")
        expect(encodedDetail).toEqual(Schema.encodeSync(Catalog.CourseDetail)(detail.value))
        expect(encodedDetail.course.publishedAt === null || typeof encodedDetail.course.publishedAt === "string").toBe(
          true
        )
        const encodedMissing = yield* Effect.exit(
          lean.encoded.catalog.course.get({ slug: Slug.make("no-such-course-here") })
        )
        expect(encodedMissing).toEqual(missing)
        const encodedMe = yield* lean.encoded.auth.user.me().pipe(asCaller({ accessToken: session.accessToken }))
        expect(encodedMe.email).toBe(ADMIN_EMAIL)
      })
    )

    it.scoped("the first admin from the environment runs the catalog and reads the dead letters", () =>
      Effect.gen(function* () {
        const { url } = yield* Gateway
        let token: string | undefined
        const lectern = yield* makeLectern({ baseUrl: url, accessToken: () => token })
        const admin = yield* lectern.auth.session.login({ email: email(ADMIN_EMAIL), password: ADMIN_PASSWORD })
        expect(admin.user.role).toBe("admin")
        token = admin.accessToken
        const category = yield* lectern.catalog.category.create({ name: `E2E ${Date.now()}` })
        const tree = yield* lectern.catalog.category.list()
        expect(JSON.stringify(tree)).toContain(category.id)
        const search = yield* lectern.catalog.course.search({ q: "zzzz-no-such-course" })
        expect(search.items).toEqual([])
        expect(search.total).toBe(0)
        // A first embedded start seeds the demo catalog: three published courses, searchable at once.
        const demo = yield* lectern.catalog.course.search({})
        expect(demo.total).toBe(3)
        // Catalog names each course's creator through auth in this process.
        const first = demo.items[0]
        if (first === undefined) return yield* Effect.dieMessage("no demo course")
        expect((yield* lectern.catalog.course.get({ slug: first.slug })).creator).toEqual({
          id: first.ownerId,
          name: "Demo Creator"
        })
        expect(yield* lectern.events.events.deadLetters({})).toEqual([])
        token = undefined
        expect((yield* lectern.events.events.deadLetters({}).pipe(Effect.flip))._tag).toBe("Unauthorized")
      })
    )

    it.scoped("bad input gets a clear answer, never a 500", () =>
      Effect.gen(function* () {
        const { url } = yield* Gateway
        const notJson = yield* post(url, "this is not json")
        expect(notJson.status).toBe(400)
        expect(JSON.parse(notJson.text).traceId).toMatch(/^[0-9a-f]+$/)

        const bare = yield* post(
          url,
          JSON.stringify({
            _tag: "Request",
            id: "7",
            tag: "user.register",
            payload: { email: "x", password: "y", name: "z" }
          })
        )
        expect(bare.status).toBe(200)
        expect(bare.text).toContain('"InvalidInput"')

        const unknownTag = yield* post(url, JSON.stringify({ _tag: "Request", id: "8", tag: "user.nope", payload: {} }))
        expect(unknownTag.status).toBe(200)
        expect(unknownTag.text).toContain("Unknown request tag")

        const huge = yield* post(
          url,
          JSON.stringify({
            _tag: "Request",
            id: "9",
            tag: "session.login",
            payload: { email: "a@b.co", password: "p".repeat(10 * 1024 * 1024) }
          })
        )
        expect(huge.status).toBe(413)

        const longPassword = yield* post(
          url,
          JSON.stringify({
            _tag: "Request",
            id: "10",
            tag: "session.login",
            payload: { email: "a@b.co", password: "p".repeat(100_000) }
          })
        )
        expect(longPassword.status).toBe(200)
        expect(longPassword.text).toContain('"InvalidInput"')

        const notAnEmail = yield* post(
          url,
          JSON.stringify({
            _tag: "Request",
            id: "11",
            tag: "user.register",
            payload: { email: "not-an-email", password: PASSWORD, name: "A" }
          })
        )
        expect(notAnEmail.text).toContain('"InvalidInput"')

        const noService = yield* Effect.tryPromise(() => fetch(`${url}/rpc/nothing`, { method: "POST", body: "{}" }))
        expect(noService.status).toBe(404)
      })
    )

    it.scoped("no password, token or code appears in any log line", () =>
      Effect.gen(function* () {
        const gateway = yield* Gateway
        let token: string | undefined
        const lectern = yield* makeLectern({ baseUrl: gateway.url, accessToken: () => token })
        const address = email(`logs.${Date.now()}@example.com`)
        yield* lectern.auth.user.register({ email: address, password: PASSWORD, name: "Log" })
        const code = /\b(\d{6})\b/.exec((yield* lectern.auth.dev.outbox({ to: address }))[0]?.text ?? "")?.[1] ?? ""
        const session = yield* lectern.auth.user.verifyEmail({ email: address, code })
        token = session.accessToken
        yield* lectern.auth.user.me()
        const refreshed = yield* lectern.auth.session.refresh({ refreshToken: session.refreshToken })
        yield* lectern.auth.session.login({ email: address, password: "a wrong passphrase!!" }).pipe(Effect.flip)
        const output = gateway.output()
        expect(output).toContain("/rpc/auth")
        for (const secret of [
          PASSWORD,
          "a wrong passphrase!!",
          code,
          session.accessToken,
          session.refreshToken,
          refreshed.refreshToken
        ]) {
          expect(output).not.toContain(secret)
        }
      })
    )
  })
})
