// Roles, bans, users by id and creator applications through the typed client (bad input over HTTP), on real
// Postgres and the real Redis.

import { describe, expect, it } from "@effect/vitest"
import { Auth as Contract } from "@lectern/contracts"
import { Email, Forbidden, UserId } from "@lectern/domain"
import { layerFromConfig as cacheFromConfig } from "@lectern/platform/CacheFromConfig"
import { makeRpcHttpHandler } from "@lectern/platform/RpcHttp"
import { serveForTest } from "@lectern/testkit/ServeForTest"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { ConfigProvider, Effect, Layer, Schema } from "effect"
import { Auth } from "../src/Auth.ts"
import { latestCode, makeAuthTestLayer, makeClient, STRONG_PASSWORD, uniqueEmail } from "./fixtures.ts"

const email = Schema.decodeSync(Email)

const signUp = (label: string) =>
  Effect.gen(function* () {
    const { client } = yield* makeClient
    const address = email(uniqueEmail(label))
    yield* client.user.register({ email: address, password: STRONG_PASSWORD, name: label })
    const session = yield* client.user.verifyEmail({ email: address, code: yield* latestCode(address) })
    return { address, session }
  })

const signUpAdmin = Effect.gen(function* () {
  const auth = yield* Auth
  const address = email(uniqueEmail("admin"))
  yield* auth.ensureAdmin({ email: address, password: STRONG_PASSWORD, name: "Admin" })
  const { client } = yield* makeClient
  return yield* client.session.login({ email: address, password: STRONG_PASSWORD })
})

/** The cache and rate limiter on the machine's Redis, so revocation and limits cross the network here. */
const redisCache = cacheFromConfig.pipe(
  Layer.provide(
    Layer.setConfigProvider(
      ConfigProvider.fromMap(
        new Map([
          ["REDIS_URL", process.env.REDIS_URL ?? "redis://127.0.0.1:6379"],
          ["REDIS_KEY_PREFIX", `lectern-test-${Date.now().toString(36)}:`]
        ])
      )
    )
  )
)

describe("auth administration (Postgres + Redis)", () => {
  it.layer(makeAuthTestLayer(layerFreshPostgres, redisCache), { timeout: 120_000 })((it) => {
    it.scoped("learners cannot use admin calls", () =>
      Effect.gen(function* () {
        const { client, useToken } = yield* makeClient
        const { session } = yield* signUp("learner")
        useToken(session.accessToken)
        expect(yield* client.user.list({}).pipe(Effect.flip)).toBeInstanceOf(Forbidden)
        const promote = yield* client.user.setRole({ userId: session.user.id, role: "admin" }).pipe(Effect.flip)
        expect(promote._tag).toBe("Forbidden")
        const applications = yield* client.creator.applications({}).pipe(Effect.flip)
        expect(applications._tag).toBe("Forbidden")
      })
    )

    it.scoped("a ban ends the user's tokens at once and refuses their logins", () =>
      Effect.gen(function* () {
        const { client, useToken } = yield* makeClient
        const admin = yield* signUpAdmin
        const { address, session } = yield* signUp("banned")
        useToken(session.accessToken)
        yield* client.user.me()
        useToken(admin.accessToken)
        const banned = yield* client.user.setBanned({ userId: session.user.id, banned: true, reason: "spam" })
        expect(banned.banned).toBe(true)
        expect(banned.bannedReason).toBe("spam")
        useToken(session.accessToken)
        expect((yield* client.user.me().pipe(Effect.flip))._tag).toBe("Unauthorized")
        const login = yield* client.session.login({ email: address, password: STRONG_PASSWORD }).pipe(Effect.flip)
        expect(login).toEqual(new Contract.AccountDisabled({ reason: "banned" }))
        const refresh = yield* client.session.refresh({ refreshToken: session.refreshToken }).pipe(Effect.flip)
        expect(refresh._tag).toBe("InvalidRefreshToken")
        useToken(admin.accessToken)
        yield* client.user.setBanned({ userId: session.user.id, banned: false, reason: "" })
        yield* client.session.login({ email: address, password: STRONG_PASSWORD })
      })
    )

    it.scoped("admins list users with filters and stable cursors", () =>
      Effect.gen(function* () {
        const { client, useToken } = yield* makeClient
        const admin = yield* signUpAdmin
        const tag = `page${Date.now().toString(36)}`
        for (let i = 0; i < 5; i++) yield* signUp(tag)
        useToken(admin.accessToken)
        const first = yield* client.user.list({ q: tag, limit: 2 })
        expect(first.items).toHaveLength(2)
        expect(first.nextCursor).not.toBeNull()
        const second = yield* client.user.list({ q: tag, limit: 2, cursor: first.nextCursor ?? undefined })
        const third = yield* client.user.list({ q: tag, limit: 2, cursor: second.nextCursor ?? undefined })
        const ids = [...first.items, ...second.items, ...third.items].map((user) => user.id)
        expect(new Set(ids).size).toBe(5)
        expect(third.nextCursor).toBeNull()
        const admins = yield* client.user.list({ role: "admin" })
        expect(admins.items.every((user) => user.role === "admin")).toBe(true)
        const malformed = yield* client.user
          .list({ cursor: Schema.decodeSync(Schema.String.pipe(Schema.brand("Cursor")))("not-a-cursor") })
          .pipe(Effect.flip)
        expect(malformed._tag).toBe("InvalidCursor")
        const missing = yield* client.user
          .setRole({ userId: UserId.make(crypto.randomUUID()), role: "creator" })
          .pipe(Effect.flip)
        expect(missing._tag).toBe("NotFound")
      })
    )

    it.scoped("admins fetch users by id, 100 at most: in the order asked, unknown ids left out", () =>
      Effect.gen(function* () {
        const { client, useToken } = yield* makeClient
        const admin = yield* signUpAdmin
        const { session: first } = yield* signUp("many-first")
        const { session: second } = yield* signUp("many-second")
        const unknown = UserId.make(crypto.randomUUID())
        useToken(admin.accessToken)
        const found = yield* client.user.getMany({ ids: [second.user.id, unknown, first.user.id, second.user.id] })
        expect(found.map((user) => [user.id, user.name])).toEqual([
          [second.user.id, "many-second"],
          [first.user.id, "many-first"]
        ])
        useToken(first.accessToken)
        expect((yield* client.user.getMany({ ids: [first.user.id] }).pipe(Effect.flip))._tag).toBe("Forbidden")

        // Over HTTP, as an integrator's malformed call arrives: refused by the server's Schema.
        const auth = yield* makeRpcHttpHandler(Contract.AuthRpcs)
        const url = yield* serveForTest({ rpc: { auth } })
        const call = (ids: ReadonlyArray<string>) =>
          Effect.promise(async () => {
            const response = await fetch(`${url}/rpc/auth`, {
              method: "POST",
              headers: { "content-type": "application/json", authorization: `Bearer ${admin.accessToken}` },
              body: JSON.stringify({ _tag: "Request", id: "1", tag: "user.getMany", payload: { ids }, headers: [] })
            })
            const [reply] = JSON.parse(await response.text())
            return reply.exit._tag === "Success" ? "Success" : reply.exit.cause.error._tag
          })
        const many = Array.from({ length: 101 }, () => crypto.randomUUID())
        expect(yield* call(many)).toBe("InvalidInput")
        expect(yield* call([])).toBe("InvalidInput")
        expect(yield* call(["not-a-uuid"])).toBe("InvalidInput")
        expect(yield* call(many.slice(0, 100))).toBe("Success")
      })
    )

    it.scoped("creator applications: one open at a time; approval makes a creator", () =>
      Effect.gen(function* () {
        const { client, useToken } = yield* makeClient
        const admin = yield* signUpAdmin
        const { address, session } = yield* signUp("applicant")
        useToken(session.accessToken)
        expect(yield* client.creator.myApplication()).toBeNull()
        const application = yield* client.creator.apply({
          bio: "Ten years of teaching statistics at university level.",
          experienceYears: 10,
          topics: ["statistics", "R"]
        })
        expect(application.status).toBe("pending")
        const second = yield* client.creator
          .apply({ bio: "Another try at the same application text.", experienceYears: 1, topics: ["x"] })
          .pipe(Effect.flip)
        expect(second).toBeInstanceOf(Contract.ApplicationPending)

        useToken(admin.accessToken)
        const pending = yield* client.creator.applications({ status: "pending" })
        expect(pending.items.map((item) => item.id)).toContain(application.id)
        const decided = yield* client.creator.decide({
          applicationId: application.id,
          approve: true,
          reviewerNotes: "Welcome aboard"
        })
        expect(decided.status).toBe("approved")
        expect(decided.reviewerNotes).toBe("Welcome aboard")
        const twice = yield* client.creator
          .decide({ applicationId: application.id, approve: false, reviewerNotes: "" })
          .pipe(Effect.flip)
        expect(twice).toBeInstanceOf(Contract.AlreadyDecided)

        const relogin = yield* client.session.login({ email: address, password: STRONG_PASSWORD })
        expect(relogin.user.role).toBe("creator")
        useToken(relogin.accessToken)
        const mine = yield* client.creator.myApplication()
        expect(mine?.status).toBe("approved")
        const again = yield* client.creator
          .apply({ bio: "I am already a creator but try again.", experienceYears: 2, topics: ["y"] })
          .pipe(Effect.flip)
        expect(again._tag).toBe("Forbidden")
      })
    )

    it.scoped("a demotion takes effect on the next call, and refresh carries the new role", () =>
      Effect.gen(function* () {
        const { client, useToken } = yield* makeClient
        const admin = yield* signUpAdmin
        const { session } = yield* signUp("demoted")
        useToken(admin.accessToken)
        yield* client.user.setRole({ userId: session.user.id, role: "creator" })
        useToken(session.accessToken)
        expect((yield* client.user.me().pipe(Effect.flip))._tag).toBe("Unauthorized")
        const refreshed = yield* client.session.refresh({ refreshToken: session.refreshToken })
        expect(refreshed.user.role).toBe("creator")
        useToken(refreshed.accessToken)
        expect((yield* client.user.me()).role).toBe("creator")
      })
    )
  })
})
