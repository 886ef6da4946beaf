// Access tokens under attack: forged, tampered, expired, revoked and malformed tokens are refused by the verifier and the middleware.

import { Headers } from "@effect/platform"
import { Rpc } from "@effect/rpc"
import { describe, expect, it, vi } from "@effect/vitest"
import { Authentication } from "@lectern/contracts"
import { type Role, Unauthorized, UserId } from "@lectern/domain"
import {
  AccessTokenIssuer,
  AccessTokenVerifier,
  layerIssuer,
  layerRevocations,
  layerVerifierLocal,
  TOKEN_TYPE,
  TokenRevocations,
  TokenSettings
} from "@lectern/platform/AccessTokens"
import { layerAuthentication } from "@lectern/platform/Authentication"
import { Cache, CacheUnavailable } from "@lectern/platform/Cache"
import { layerMemory, makeMemory } from "@lectern/platform/CacheMemory"
import * as SigningKeys from "@lectern/platform/SigningKeys"
import { layerMemoryDatabase } from "@lectern/testkit/TestDatabase"
import { Cause, ConfigProvider, Effect, Exit, Layer, Option, Schema } from "effect"
import {
  base64url,
  exportSPKI,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  SignJWT,
  UnsecuredJWT
} from "jose"

// ---------------------------------------------------------------- wiring

/** Issuer, local verifier and the middleware over database keys and revocations in the given cache. */
const tokensOver = <E>(cache: Layer.Layer<Cache, E>) =>
  layerAuthentication.pipe(
    Layer.provideMerge(Layer.mergeAll(layerIssuer, layerVerifierLocal)),
    Layer.provideMerge(Layer.merge(SigningKeys.layerFromDatabase, layerRevocations.pipe(Layer.provide(cache))))
  )

const probeRpc = Rpc.make("probe")

/** The Authentication middleware exactly as an RPC server calls it, with `authorization` as the only header. */
const authenticate = (authorization: string | undefined) =>
  Effect.flatMap(Authentication, (middleware) =>
    middleware({
      clientId: 1,
      rpc: probeRpc,
      payload: undefined,
      headers: authorization === undefined ? Headers.empty : Headers.fromInput({ authorization })
    })
  )

const verify = (token: string) => Effect.flatMap(AccessTokenVerifier, (verifier) => verifier.verify(token))

/** Fails the test unless `effect` fails with Unauthorized (an acceptance or a defect is not a rejection). */
const expectUnauthorized = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(effect)
    if (Exit.isSuccess(exit)) return expect.fail(`accepted: ${JSON.stringify(exit.value)}`)
    expect(Option.getOrUndefined(Cause.failureOption(exit.cause)), Cause.pretty(exit.cause)).toBeInstanceOf(
      Unauthorized
    )
  })

/** Refused by the verifier and by the middleware reading it from a Bearer header. */
const expectRejected = (token: string) =>
  Effect.gen(function* () {
    yield* expectUnauthorized(verify(token))
    yield* expectUnauthorized(authenticate(`Bearer ${token}`))
  })

/** Accepted by the verifier and by the middleware, which provide the same user. */
const expectAccepted = (token: string) =>
  Effect.gen(function* () {
    const verified = yield* verify(token)
    expect(yield* authenticate(`Bearer ${token}`)).toEqual(verified)
    return verified
  })

/** Runs `effect` with `Date` frozen at `epochMillis` (what jose, the issuer and revocation read); time moves only by `moveTo`. */
const withFrozenDate = <A, E, R>(epochMillis: number, effect: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => vi.useFakeTimers({ toFake: ["Date"], now: epochMillis })),
    () => effect,
    () => Effect.sync(() => vi.useRealTimers())
  )
const moveTo = (epochMillis: number) => Effect.sync(() => vi.setSystemTime(epochMillis))

/** A whole second in the future of any test run, so a frozen clock never meets a real one. */
const FROZEN_SECOND = 1_900_000_000

// ---------------------------------------------------------------- forging

const newUserId = () => Schema.decodeSync(UserId)(crypto.randomUUID())

interface Victim {
  readonly id: UserId
  readonly role: Role
  readonly sessionId: string
}

const newVictim = (role: Role = "learner"): Victim => ({ id: newUserId(), role, sessionId: crypto.randomUUID() })

/** What a forger knows: the signing key (for claim tests that need a valid signature) and the published key. */
interface Material {
  readonly key: SigningKeys.SigningKey
  readonly publicJwk: JWK
  readonly victim: Victim
  readonly settings: Effect.Effect.Success<typeof TokenSettings>
  /** A genuine token for `victim` from the issuer. */
  readonly genuine: string
}

const material = Effect.gen(function* () {
  const keys = yield* SigningKeys.SigningKeys
  const key = yield* keys.current
  const publicJwk = (yield* keys.jwks).keys.find((jwk) => jwk.kid === key.kid)
  if (publicJwk === undefined) return yield* Effect.dieMessage("the current key is not published")
  const settings = yield* TokenSettings
  const victim = newVictim()
  const issuer = yield* AccessTokenIssuer
  const { token: genuine } = yield* issuer.issue(victim)
  const result: Material = { key, publicJwk, victim, settings, genuine }
  return result
})

/** The claims the issuer would write for `victim` now. */
const honestClaims = (m: Material): JWTPayload => {
  const nowSeconds = Math.floor(Date.now() / 1000)
  return {
    sub: m.victim.id,
    role: m.victim.role,
    sid: m.victim.sessionId,
    iss: m.settings.issuer,
    aud: m.settings.audience,
    iat: nowSeconds,
    exp: nowSeconds + 900,
    jti: crypto.randomUUID()
  }
}

const honestHeader = (m: Material): JWTHeaderParameters => ({ alg: "EdDSA", typ: TOKEN_TYPE, kid: m.key.kid })

const sign = (header: JWTHeaderParameters, claims: JWTPayload, key: CryptoKey | Uint8Array) =>
  Effect.tryPromise(() => new SignJWT(claims).setProtectedHeader(header).sign(key)).pipe(Effect.orDie)

/** Signed with the real key: only what `change` alters can make it fail. */
const signHonestly = (
  m: Material,
  change: {
    readonly header?: (header: JWTHeaderParameters) => JWTHeaderParameters
    readonly claims?: (claims: JWTPayload) => JWTPayload
  } = {}
) => {
  const header = honestHeader(m)
  const claims = honestClaims(m)
  return sign(change.header?.(header) ?? header, change.claims?.(claims) ?? claims, m.key.privateKey)
}

const without = (claims: JWTPayload, name: string): JWTPayload =>
  Object.fromEntries(Object.entries(claims).filter(([claim]) => claim !== name))

const encodeJson = (value: unknown) => base64url.encode(JSON.stringify(value))

/** Replaces one character of the payload segment, keeping header and signature. */
const flipPayloadCharacter = (token: string) => {
  const [header = "", payload = "", signature = ""] = token.split(".")
  const at = Math.floor(payload.length / 2)
  const flipped = payload[at] === "A" ? "B" : "A"
  return `${header}.${payload.slice(0, at)}${flipped}${payload.slice(at + 1)}.${signature}`
}

/** Rewrites the payload to claim admin, keeping the original signature. */
const escalateToAdmin = (token: string) => {
  const [header = "", payload = "", signature = ""] = token.split(".")
  const claims: unknown = JSON.parse(new TextDecoder().decode(base64url.decode(payload)))
  return `${header}.${encodeJson({ ...Object(claims), role: "admin" })}.${signature}`
}

const otherEd25519Key = Effect.tryPromise(() => generateKeyPair("EdDSA", { crv: "Ed25519" })).pipe(Effect.orDie)

const publicKeyBytes = (m: Material) => base64url.decode(m.publicJwk.x ?? "")

/** Every forgery must be refused; each differs from an accepted token only in what its name says. */
const forgeries: ReadonlyArray<readonly [string, (m: Material) => Effect.Effect<string>]> = [
  [
    "alg none, crafted by hand with an empty signature",
    (m) =>
      Effect.succeed(`${encodeJson({ alg: "none", typ: TOKEN_TYPE, kid: m.key.kid })}.${encodeJson(honestClaims(m))}.`)
  ],
  [
    "alg none keeping a genuine signature",
    (m) =>
      Effect.succeed(
        [encodeJson({ alg: "none", typ: TOKEN_TYPE, kid: m.key.kid }), ...m.genuine.split(".").slice(1)].join(".")
      )
  ],
  ["alg none from jose UnsecuredJWT", (m) => Effect.sync(() => new UnsecuredJWT(honestClaims(m)).encode())],
  [
    "HS256 keyed with the public key's raw bytes (key confusion)",
    (m) => sign({ ...honestHeader(m), alg: "HS256" }, honestClaims(m), publicKeyBytes(m))
  ],
  [
    "HS256 keyed with the public JWK's JSON text (key confusion)",
    (m) =>
      sign({ ...honestHeader(m), alg: "HS256" }, honestClaims(m), new TextEncoder().encode(JSON.stringify(m.publicJwk)))
  ],
  [
    "HS256 keyed with the public key as SPKI PEM (key confusion)",
    (m) =>
      Effect.tryPromise(async () => {
        const publicKey = await importJWK(m.publicJwk, "EdDSA")
        if (!(publicKey instanceof CryptoKey)) throw new Error("not a CryptoKey")
        return new TextEncoder().encode(await exportSPKI(publicKey))
      }).pipe(
        Effect.orDie,
        Effect.flatMap((pem) => sign({ ...honestHeader(m), alg: "HS256" }, honestClaims(m), pem))
      )
  ],
  ["signature stripped", (m) => Effect.succeed(`${m.genuine.split(".").slice(0, 2).join(".")}.`)],
  ["payload character flipped, signature kept", (m) => Effect.succeed(flipPayloadCharacter(m.genuine))],
  ["payload rewritten to role admin, signature kept", (m) => Effect.succeed(escalateToAdmin(m.genuine))],
  [
    "signed by another Ed25519 key under the same kid",
    (m) => Effect.flatMap(otherEd25519Key, ({ privateKey }) => sign(honestHeader(m), honestClaims(m), privateKey))
  ],
  [
    "signed by another Ed25519 key under an unknown kid",
    (m) =>
      Effect.flatMap(otherEd25519Key, ({ privateKey }) =>
        sign({ ...honestHeader(m), kid: crypto.randomUUID() }, honestClaims(m), privateKey)
      )
  ],
  ["wrong iss", (m) => signHonestly(m, { claims: (claims) => ({ ...claims, iss: "https://evil.example" }) })],
  ["missing iss", (m) => signHonestly(m, { claims: (claims) => without(claims, "iss") })],
  ["wrong aud", (m) => signHonestly(m, { claims: (claims) => ({ ...claims, aud: "another-platform" }) })],
  ["missing aud", (m) => signHonestly(m, { claims: (claims) => without(claims, "aud") })],
  ["typ header JWT", (m) => signHonestly(m, { header: (header) => ({ ...header, typ: "JWT" }) })],
  ["typ header missing", (m) => signHonestly(m, { header: ({ typ: _typ, ...header }) => header })],
  ["sid missing", (m) => signHonestly(m, { claims: (claims) => without(claims, "sid") })],
  ["sid not a string", (m) => signHonestly(m, { claims: (claims) => ({ ...claims, sid: 42 }) })],
  ["role superuser", (m) => signHonestly(m, { claims: (claims) => ({ ...claims, role: "superuser" }) })],
  ["role missing", (m) => signHonestly(m, { claims: (claims) => without(claims, "role") })],
  ["sub not a user id", (m) => signHonestly(m, { claims: (claims) => ({ ...claims, sub: "admin" }) })],
  ["jti missing", (m) => signHonestly(m, { claims: (claims) => without(claims, "jti") })],
  ["exp missing (a token that never expires)", (m) => signHonestly(m, { claims: (claims) => without(claims, "exp") })],
  ["iat missing", (m) => signHonestly(m, { claims: (claims) => without(claims, "iat") })],
  [
    "10 KB token signed with the real key",
    (m) => signHonestly(m, { claims: (claims) => ({ ...claims, padding: "x".repeat(10 * 1024) }) })
  ],
  ["10 KB of garbage", () => Effect.succeed("a".repeat(10 * 1024))]
]

// ---------------------------------------------------------------- tests

it.layer(layerMemoryDatabase, { timeout: 120_000 })("access tokens", (it) => {
  // These build their own stacks (Effect.provide: a fresh memo map) and come before the nested layer, which
  // rebinds `it.effect` for whatever is registered after it.
  it.effect("AUTH_CLOCK_TOLERANCE_SECONDS is the tolerance applied", () =>
    withFrozenDate(
      FROZEN_SECOND * 1000,
      Effect.gen(function* () {
        const m = yield* material
        expect(m.settings.clockToleranceSeconds).toBe(30)
        const expiredBy = (seconds: number) =>
          signHonestly(m, {
            claims: (claims) => ({ ...claims, iat: FROZEN_SECOND - seconds - 900, exp: FROZEN_SECOND - seconds })
          })
        yield* expectAccepted(yield* expiredBy(29))
        yield* expectRejected(yield* expiredBy(30))
      }).pipe(
        Effect.provide(
          tokensOver(layerMemory).pipe(
            Layer.provide(
              Layer.setConfigProvider(ConfigProvider.fromMap(new Map([["AUTH_CLOCK_TOLERANCE_SECONDS", "30"]])))
            )
          )
        )
      )
    )
  )

  it.effect("verification fails closed while the cache is unavailable", () =>
    Effect.gen(function* () {
      const healthy = makeMemory()
      let down = false
      const outage = Effect.fail(new CacheUnavailable({ cause: "connection refused" }))
      const cache = Layer.succeed(Cache, { ...healthy, get: (key) => (down ? outage : healthy.get(key)) })
      yield* Effect.gen(function* () {
        const issued = yield* (yield* AccessTokenIssuer).issue(newVictim())
        yield* expectAccepted(issued.token)
        down = true
        // Already verified once: the signature memo must not skip the revocation check.
        yield* expectRejected(issued.token)
        down = false
        yield* expectAccepted(issued.token)
      }).pipe(Effect.provide(tokensOver(cache)))
    })
  )

  it.layer(tokensOver(layerMemory))("with the cache up", (it) => {
    describe("accepted", () => {
      it.effect("a token from the issuer provides the right user to the middleware", () =>
        Effect.gen(function* () {
          const issuer = yield* AccessTokenIssuer
          const victim = newVictim("creator")
          const issued = yield* issuer.issue(victim)
          const user = yield* expectAccepted(issued.token)
          expect(user).toEqual({
            id: victim.id,
            role: "creator",
            sessionId: victim.sessionId,
            tokenId: issued.jti,
            issuedAt: Math.floor(issued.expiresAt.getTime() / 1000) - 15 * 60
          })
          expect(yield* authenticate(`bearer ${issued.token}`)).toEqual(user)
        })
      )

      it.effect("a hand-signed token with the issuer's header and claims (the control for every forgery)", () =>
        Effect.gen(function* () {
          const m = yield* material
          const user = yield* expectAccepted(yield* signHonestly(m))
          expect(user.id).toBe(m.victim.id)
        })
      )

      it.effect("a token expired within the clock tolerance", () =>
        withFrozenDate(
          FROZEN_SECOND * 1000,
          Effect.gen(function* () {
            const m = yield* material
            const tolerance = m.settings.clockToleranceSeconds
            expect(tolerance).toBe(5)
            const expiredBy = (seconds: number) =>
              signHonestly(m, {
                claims: (claims) => ({ ...claims, iat: FROZEN_SECOND - seconds - 900, exp: FROZEN_SECOND - seconds })
              })
            yield* expectAccepted(yield* expiredBy(2))
            yield* expectAccepted(yield* expiredBy(tolerance - 1))
          })
        )
      )
    })

    describe("rejected", () => {
      for (const [name, forge] of forgeries) {
        it.effect(name, () =>
          Effect.gen(function* () {
            const m = yield* material
            yield* expectRejected(yield* forge(m))
          })
        )
      }

      it.effect("a token expired by the clock tolerance or more", () =>
        withFrozenDate(
          FROZEN_SECOND * 1000,
          Effect.gen(function* () {
            const m = yield* material
            const tolerance = m.settings.clockToleranceSeconds
            const expiredBy = (seconds: number) =>
              signHonestly(m, {
                claims: (claims) => ({ ...claims, iat: FROZEN_SECOND - seconds - 900, exp: FROZEN_SECOND - seconds })
              })
            yield* expectRejected(yield* expiredBy(tolerance + 1))
            yield* expectRejected(yield* expiredBy(tolerance))
          })
        )
      )

      it.effect("a token verified once, after it expires (the verified-token memo does not outlive exp)", () =>
        withFrozenDate(
          FROZEN_SECOND * 1000,
          Effect.gen(function* () {
            const m = yield* material
            const issued = yield* (yield* AccessTokenIssuer).issue(m.victim)
            yield* expectAccepted(issued.token)
            yield* moveTo(issued.expiresAt.getTime() + m.settings.clockToleranceSeconds * 1000)
            yield* expectRejected(issued.token)
          })
        )
      )

      it.effect("a token of a revoked session, while the user's other sessions go on", () =>
        Effect.gen(function* () {
          const issuer = yield* AccessTokenIssuer
          const revocations = yield* TokenRevocations
          const victim = newVictim()
          const revoked = yield* issuer.issue(victim)
          const otherSession = yield* issuer.issue({ ...victim, sessionId: crypto.randomUUID() })
          yield* expectAccepted(revoked.token)
          yield* revocations.revokeSession(victim.sessionId)
          yield* expectRejected(revoked.token)
          yield* expectAccepted(otherSession.token)
          // A new token of the revoked session is refused too: the session itself is over.
          yield* expectRejected((yield* issuer.issue(victim)).token)
        })
      )

      // Frozen on a whole second and inside one: revocation must land between tokens issued in the same second.
      for (const millisIntoSecond of [0, 1, 500, 999]) {
        it.effect(
          `every token of a revoked user, not one issued after (revoked ${millisIntoSecond} ms into a second)`,
          () =>
            withFrozenDate(
              FROZEN_SECOND * 1000 + millisIntoSecond,
              Effect.gen(function* () {
                const issuer = yield* AccessTokenIssuer
                const revocations = yield* TokenRevocations
                const victim = newVictim()
                const before = yield* issuer.issue(victim)
                const beforeOtherSession = yield* issuer.issue({ ...victim, sessionId: crypto.randomUUID() })
                yield* expectAccepted(before.token)
                yield* revocations.revokeUser(victim.id)
                yield* expectRejected(before.token)
                yield* expectRejected(beforeOtherSession.token)
                const after = yield* issuer.issue(victim)
                const user = yield* expectAccepted(after.token)
                expect(user.issuedAt).toBeGreaterThanOrEqual(yield* revocations.notBefore(victim.id))
                // Another user's tokens are untouched.
                yield* expectAccepted((yield* issuer.issue(newVictim())).token)
              })
            )
        )

        it.effect(`a second revocation of a user in the same second (${millisIntoSecond} ms into it)`, () =>
          withFrozenDate(
            FROZEN_SECOND * 1000 + millisIntoSecond,
            Effect.gen(function* () {
              const issuer = yield* AccessTokenIssuer
              const revocations = yield* TokenRevocations
              const victim = newVictim()
              yield* revocations.revokeUser(victim.id)
              // Logged in again after the first revocation, then "log out everywhere" in the same second.
              const between = yield* issuer.issue(victim)
              yield* expectAccepted(between.token)
              yield* revocations.revokeUser(victim.id)
              yield* expectRejected(between.token)
              yield* expectAccepted((yield* issuer.issue(victim)).token)
            })
          )
        )
      }
    })

    describe("the Authorization header", () => {
      it.effect("missing, another scheme, an empty bearer or a 10 KB token: Unauthorized", () =>
        Effect.gen(function* () {
          const m = yield* material
          const refused = [
            undefined,
            "",
            "Basic dXNlcjpwYXNzd29yZA==",
            `Basic ${m.genuine}`,
            `Token ${m.genuine}`,
            `Bearer${m.genuine}`,
            "Bearer",
            "Bearer ",
            "Bearer      ",
            `Bearer ${"a".repeat(10 * 1024)}`,
            `Bearer ${m.genuine}x`
          ]
          for (const authorization of refused) yield* expectUnauthorized(authenticate(authorization))
          // The control: the same token under the right scheme passes.
          yield* authenticate(`Bearer ${m.genuine}`)
        })
      )
    })
  })
})
