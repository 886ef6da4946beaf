// The auth service end to end through its typed client, on the machine's real Postgres (fresh database).

import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Auth as Contract } from "@lectern/contracts"
import { Email } from "@lectern/domain"
import { layerFreshPostgres } from "@lectern/testkit/TestDatabase"
import { Effect, Schema } from "effect"
import { latestCode, makeAuthTestLayer, makeClient, STRONG_PASSWORD, uniqueEmail } from "./fixtures.ts"

const email = Schema.decodeSync(Email)

/** Registers, verifies and returns a session for a fresh learner. */
const signUp = (label = "learner") =>
  Effect.gen(function* () {
    const { client } = yield* makeClient
    const address = email(uniqueEmail(label))
    yield* client.user.register({ email: address, password: STRONG_PASSWORD, name: "Ada Lovelace" })
    const code = yield* latestCode(address)
    const session = yield* client.user.verifyEmail({ email: address, code })
    return { address, session }
  })

describe("auth service", () => {
  it.layer(makeAuthTestLayer(layerFreshPostgres), { timeout: 120_000 })((it) => {
    it.scoped("register → mailed code → verify → session → user.me", () =>
      Effect.gen(function* () {
        const { client, useToken } = yield* makeClient
        const address = email(uniqueEmail())
        const { userId } = yield* client.user.register({ email: address, password: STRONG_PASSWORD, name: "Ada" })
        const notYet = yield* client.session.login({ email: address, password: STRONG_PASSWORD }).pipe(Effect.flip)
        expect(notYet).toBeInstanceOf(Contract.EmailNotVerified)
        const code = yield* latestCode(address)
        const session = yield* client.user.verifyEmail({ email: address, code })
        expect(session.user.id).toBe(userId)
        expect(session.user.emailVerified).toBe(true)
        useToken(session.accessToken)
        const me = yield* client.user.me()
        expect(me.email).toBe(address)
        expect(me.role).toBe("learner")
        const login = yield* client.session.login({ email: address, password: STRONG_PASSWORD })
        expect(login.user.id).toBe(userId)
        // Every attempt is recorded: the refused one before verification, and the one that opened a session.
        const sql = yield* SqlClient.SqlClient
        const attempts = yield* sql<{ success: boolean }>`
          SELECT success FROM auth.login_attempts WHERE user_id = ${userId} ORDER BY id`
        expect(attempts.map((row) => row.success)).toEqual([false, true])
      })
    )

    it.scoped("refuses weak passwords and unicode twins of a taken email", () =>
      Effect.gen(function* () {
        const { client } = yield* makeClient
        const short = yield* client.user
          .register({ email: email(uniqueEmail()), password: "short", name: "A" })
          .pipe(Effect.flip)
        expect(short).toEqual(new Contract.WeakPassword({ reason: "too_short" }))
        const common = yield* client.user
          .register({ email: email(uniqueEmail()), password: "qwerty123456", name: "A" })
          .pipe(Effect.flip)
        expect(common).toEqual(new Contract.WeakPassword({ reason: "common" }))
        const local = `\u00c4nne.${Date.now()}@example.com`
        yield* client.user.register({ email: email(local), password: STRONG_PASSWORD, name: "Änne" })
        const twin = yield* client.user
          .register({ email: email(local.normalize("NFD")), password: STRONG_PASSWORD, name: "Änne" })
          .pipe(Effect.flip)
        expect(twin).toBeInstanceOf(Contract.EmailTaken)
      })
    )

    it.scoped("a code allows five wrong tries, then is burnt", () =>
      Effect.gen(function* () {
        const { client } = yield* makeClient
        const address = email(uniqueEmail())
        yield* client.user.register({ email: address, password: STRONG_PASSWORD, name: "A" })
        const code = yield* latestCode(address)
        const wrong = code === "000000" ? "111111" : "000000"
        for (let i = 0; i < 5; i++) {
          const error = yield* client.user.verifyEmail({ email: address, code: wrong }).pipe(Effect.flip)
          expect(error).toBeInstanceOf(Contract.InvalidCode)
        }
        const burnt = yield* client.user.verifyEmail({ email: address, code }).pipe(Effect.flip)
        expect(burnt).toBeInstanceOf(Contract.InvalidCode)
        yield* client.user.resendVerification({ email: address })
        const fresh = yield* latestCode(address)
        const session = yield* client.user.verifyEmail({ email: address, code: fresh })
        expect(session.user.emailVerified).toBe(true)
      })
    )

    it.scoped("refresh rotates; replaying a used token revokes the whole family", () =>
      Effect.gen(function* () {
        const { client } = yield* makeClient
        const { session } = yield* signUp()
        const r1 = session.refreshToken
        const s2 = yield* client.session.refresh({ refreshToken: r1 })
        const s3 = yield* client.session.refresh({ refreshToken: s2.refreshToken })
        const replay = yield* client.session.refresh({ refreshToken: r1 }).pipe(Effect.flip)
        expect(replay).toBeInstanceOf(Contract.InvalidRefreshToken)
        const dead = yield* client.session.refresh({ refreshToken: s3.refreshToken }).pipe(Effect.flip)
        expect(dead).toBeInstanceOf(Contract.InvalidRefreshToken)
      })
    )

    it.scoped("logout ends the refresh family and the access token that came with it", () =>
      Effect.gen(function* () {
        const { client, useToken } = yield* makeClient
        const { session } = yield* signUp()
        useToken(session.accessToken)
        yield* client.user.me()
        yield* client.session.logout({ refreshToken: session.refreshToken })
        const denied = yield* client.user.me().pipe(Effect.flip)
        expect(denied._tag).toBe("Unauthorized")
        const refresh = yield* client.session.refresh({ refreshToken: session.refreshToken }).pipe(Effect.flip)
        expect(refresh).toBeInstanceOf(Contract.InvalidRefreshToken)
      })
    )

    it.scoped("logout everywhere ends every session; a new login right after still works", () =>
      Effect.gen(function* () {
        const { client, useToken } = yield* makeClient
        const { address, session } = yield* signUp()
        const other = yield* client.session.login({ email: address, password: STRONG_PASSWORD })
        useToken(session.accessToken)
        yield* client.session.logoutAll()
        expect((yield* client.user.me().pipe(Effect.flip))._tag).toBe("Unauthorized")
        useToken(other.accessToken)
        expect((yield* client.user.me().pipe(Effect.flip))._tag).toBe("Unauthorized")
        const refresh = yield* client.session.refresh({ refreshToken: other.refreshToken }).pipe(Effect.flip)
        expect(refresh).toBeInstanceOf(Contract.InvalidRefreshToken)
        const again = yield* client.session.login({ email: address, password: STRONG_PASSWORD })
        useToken(again.accessToken)
        expect((yield* client.user.me()).email).toBe(address)
      })
    )

    it.scoped(
      "the 101st failed login within an hour is refused, even with the right password",
      () =>
        Effect.gen(function* () {
          const { client } = yield* makeClient
          const { address } = yield* signUp()
          for (let i = 0; i < 100; i++) {
            const error = yield* client.session
              .login({ email: address, password: `wrong password ${i}!` })
              .pipe(Effect.flip)
            expect(error).toBeInstanceOf(Contract.InvalidCredentials)
          }
          const refused = yield* client.session.login({ email: address, password: STRONG_PASSWORD }).pipe(Effect.flip)
          expect(refused).toBeInstanceOf(Contract.TooManyAttempts)
        }),
      { timeout: 120_000 }
    )

    it.scoped("unknown emails and wrong passwords look the same", () =>
      Effect.gen(function* () {
        const { client } = yield* makeClient
        const unknown = yield* client.session
          .login({ email: email(uniqueEmail("nobody")), password: STRONG_PASSWORD })
          .pipe(Effect.flip)
        expect(unknown).toBeInstanceOf(Contract.InvalidCredentials)
        yield* client.password.requestReset({ email: email(uniqueEmail("nobody")) })
        yield* client.user.resendVerification({ email: email(uniqueEmail("nobody")) })
      })
    )

    it.scoped("password reset by mailed code ends every session", () =>
      Effect.gen(function* () {
        const { client, useToken } = yield* makeClient
        const { address, session } = yield* signUp()
        yield* client.password.requestReset({ email: address })
        const code = yield* latestCode(address)
        const newPassword = "another long passphrase 7"
        yield* client.password.reset({ email: address, code, newPassword })
        useToken(session.accessToken)
        expect((yield* client.user.me().pipe(Effect.flip))._tag).toBe("Unauthorized")
        const old = yield* client.session.login({ email: address, password: STRONG_PASSWORD }).pipe(Effect.flip)
        expect(old).toBeInstanceOf(Contract.InvalidCredentials)
        yield* client.session.login({ email: address, password: newPassword })
      })
    )

    it.scoped("profile updates are validated and kept", () =>
      Effect.gen(function* () {
        const { client, useToken } = yield* makeClient
        const { session } = yield* signUp()
        useToken(session.accessToken)
        const updated = yield* client.user.updateProfile({ bio: "I teach maths", country: "DE" })
        expect(updated.bio).toBe("I teach maths")
        expect(updated.country).toBe("DE")
        expect((yield* client.user.me()).country).toBe("DE")
      })
    )

    it.scoped("deactivation ends sessions and keeps the email reserved", () =>
      Effect.gen(function* () {
        const { client, useToken } = yield* makeClient
        const { address, session } = yield* signUp()
        useToken(session.accessToken)
        const wrong = yield* client.user.deactivate({ password: "not my password!" }).pipe(Effect.flip)
        expect(wrong).toBeInstanceOf(Contract.InvalidCredentials)
        yield* client.user.deactivate({ password: STRONG_PASSWORD })
        expect((yield* client.user.me().pipe(Effect.flip))._tag).toBe("Unauthorized")
        const login = yield* client.session.login({ email: address, password: STRONG_PASSWORD }).pipe(Effect.flip)
        expect(login).toEqual(new Contract.AccountDisabled({ reason: "deactivated" }))
        const again = yield* client.user
          .register({ email: address, password: STRONG_PASSWORD, name: "B" })
          .pipe(Effect.flip)
        expect(again).toBeInstanceOf(Contract.EmailTaken)
      })
    )
  })
})
