// Access tokens: signing (auth only), verification (every service) and revocation before expiry (logout, bans).

import type { AuthenticatedUser } from "@lectern/contracts"
import { Role, Unauthorized, UserId } from "@lectern/domain"
import { Config, Context, Duration, Effect, Layer, Schema } from "effect"
import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify, SignJWT } from "jose"
import { Cache } from "./Cache.ts"
import { SigningKeys } from "./SigningKeys.ts"

export const TOKEN_TYPE = "at+jwt"
const ALGORITHM = "EdDSA"

/** Who issues access tokens, who they are for, and how long they live. */
export const TokenSettings = Config.all({
  issuer: Config.string("AUTH_ISSUER").pipe(Config.withDefault("lectern")),
  audience: Config.string("AUTH_AUDIENCE").pipe(Config.withDefault("lectern")),
  accessTtl: Config.duration("AUTH_ACCESS_TTL").pipe(Config.withDefault(Duration.minutes(15))),
  clockToleranceSeconds: Config.integer("AUTH_CLOCK_TOLERANCE_SECONDS").pipe(Config.withDefault(5))
})

// ---------------------------------------------------------------- revocation

const revokedSessionKey = (sessionId: string) => `auth:revoked:sid:${sessionId}`
const revokedBeforeKey = (userId: string) => `auth:revoked-before:${userId}`

/**
 * Revocation lives in the shared Cache so every service sees it: a denied session id (`sid`, the refresh-token
 * family) ends the access tokens of one login, and a per-user "not before" second ends every outstanding token of
 * a user (logout everywhere, bans, password resets). Both markers outlive the longest access token, then go.
 */
export class TokenRevocations extends Context.Tag("@lectern/platform/TokenRevocations")<
  TokenRevocations,
  {
    readonly revokeSession: (sessionId: string) => Effect.Effect<void>
    readonly revokeUser: (userId: string) => Effect.Effect<void>
    /** The first `iat` a token of this user may carry (0 when nothing was revoked). */
    readonly notBefore: (userId: string) => Effect.Effect<number, Unauthorized>
    readonly isSessionRevoked: (sessionId: string) => Effect.Effect<boolean, Unauthorized>
  }
>() {}

export const layerRevocations = Layer.effect(
  TokenRevocations,
  Effect.gen(function* () {
    const cache = yield* Cache
    const settings = yield* TokenSettings
    // Past the longest token lifetime every older token has expired on its own, so the marker can go.
    const markerTtl = Duration.sum(settings.accessTtl, Duration.minutes(5))
    const unavailable = () => new Unauthorized({ message: "the session could not be checked; try again" })
    return {
      revokeSession: (sessionId) => cache.set(revokedSessionKey(sessionId), "1", markerTtl).pipe(Effect.orDie),
      revokeUser: (userId) =>
        Effect.gen(function* () {
          // Every token issued so far has iat <= max(this second, the previous marker): the second after both is
          // the first still valid, so a revocation in the same second as a login (or as an earlier revocation)
          // still ends that login's token. Math.ceil of now missed tokens issued on an exact second.
          const previous = Number((yield* cache.get(revokedBeforeKey(userId))) ?? 0)
          const notBefore = Math.max(Math.floor(Date.now() / 1000), Number.isFinite(previous) ? previous : 0) + 1
          yield* cache.set(revokedBeforeKey(userId), String(notBefore), markerTtl)
        }).pipe(Effect.orDie),
      notBefore: (userId) =>
        cache.get(revokedBeforeKey(userId)).pipe(
          Effect.map((value) => (value === undefined ? 0 : Number(value))),
          Effect.tapError((error) => Effect.logError("revocation check failed; refusing the token", error)),
          Effect.mapError(unavailable)
        ),
      isSessionRevoked: (sessionId) =>
        cache.get(revokedSessionKey(sessionId)).pipe(
          Effect.map((value) => value !== undefined),
          Effect.tapError((error) => Effect.logError("revocation check failed; refusing the token", error)),
          Effect.mapError(unavailable)
        )
    }
  })
)

// ---------------------------------------------------------------- issuing

export interface IssuedAccessToken {
  readonly token: string
  readonly jti: string
  readonly expiresAt: Date
}

export class AccessTokenIssuer extends Context.Tag("@lectern/platform/AccessTokenIssuer")<
  AccessTokenIssuer,
  {
    /** A token for `user` within one login session (`sessionId`: the refresh-token family it belongs to). */
    readonly issue: (user: {
      readonly id: UserId
      readonly role: Role
      readonly sessionId: string
    }) => Effect.Effect<IssuedAccessToken>
  }
>() {}

export const layerIssuer = Layer.effect(
  AccessTokenIssuer,
  Effect.gen(function* () {
    const keys = yield* SigningKeys
    const revocations = yield* TokenRevocations
    const settings = yield* TokenSettings
    const ttlSeconds = Math.round(Duration.toSeconds(settings.accessTtl))
    return {
      issue: (user) =>
        Effect.gen(function* () {
          const key = yield* keys.current
          // A token issued in the same second as a "logout everywhere" must still be usable: start at its marker.
          const notBefore = yield* revocations.notBefore(user.id).pipe(Effect.orElseSucceed(() => 0))
          const issuedAt = Math.max(Math.floor(Date.now() / 1000), notBefore)
          const jti = crypto.randomUUID()
          const token = yield* Effect.tryPromise(() =>
            new SignJWT({ role: user.role, sid: user.sessionId })
              .setProtectedHeader({ alg: ALGORITHM, typ: TOKEN_TYPE, kid: key.kid })
              .setSubject(user.id)
              .setIssuer(settings.issuer)
              .setAudience(settings.audience)
              .setIssuedAt(issuedAt)
              .setExpirationTime(issuedAt + ttlSeconds)
              .setJti(jti)
              .sign(key.privateKey)
          ).pipe(Effect.orDie)
          return { token, jti, expiresAt: new Date((issuedAt + ttlSeconds) * 1000) }
        })
    }
  })
)

// ---------------------------------------------------------------- verifying

export class AccessTokenVerifier extends Context.Tag("@lectern/platform/AccessTokenVerifier")<
  AccessTokenVerifier,
  { readonly verify: (token: string) => Effect.Effect<AuthenticatedUser, Unauthorized> }
>() {}

const Claims = Schema.Struct({
  sub: UserId,
  role: Role,
  jti: Schema.String,
  sid: Schema.String,
  iat: Schema.Number,
  exp: Schema.Number
})
const decodeClaims = Schema.decodeUnknownOption(Claims)

const invalid = new Unauthorized({ message: "invalid access token" })

/** Verified claims by token string: a repeated token skips the signature check (revocation is still checked). */
class VerifiedTokens {
  private readonly entries = new Map<string, typeof Claims.Type>()
  private readonly capacity: number
  constructor(capacity: number) {
    this.capacity = capacity
  }
  get(token: string, nowSeconds: number) {
    const claims = this.entries.get(token)
    if (claims === undefined) return undefined
    if (claims.exp <= nowSeconds) {
      this.entries.delete(token)
      return undefined
    }
    return claims
  }
  set(token: string, claims: typeof Claims.Type) {
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next()
      if (!oldest.done) this.entries.delete(oldest.value)
    }
    this.entries.set(token, claims)
  }
}

const makeVerifier = (getKey: Effect.Effect<JWTVerifyGetKey>) =>
  Effect.gen(function* () {
    const settings = yield* TokenSettings
    const revocations = yield* TokenRevocations
    const verified = new VerifiedTokens(10_000)
    const options = {
      algorithms: [ALGORITHM],
      issuer: settings.issuer,
      audience: settings.audience,
      typ: TOKEN_TYPE,
      clockTolerance: settings.clockToleranceSeconds,
      requiredClaims: ["sub", "jti", "sid", "iat", "exp"]
    }
    const checkSignature = (token: string) =>
      Effect.gen(function* () {
        const nowSeconds = Date.now() / 1000
        const known = verified.get(token, nowSeconds - settings.clockToleranceSeconds)
        if (known !== undefined) return known
        const keySet = yield* getKey
        const result = yield* Effect.tryPromise({ try: () => jwtVerify(token, keySet, options), catch: () => invalid })
        const claims = decodeClaims(result.payload)
        if (claims._tag === "None") return yield* Effect.fail(invalid)
        verified.set(token, claims.value)
        return claims.value
      })
    return {
      verify: (token: string) =>
        Effect.gen(function* () {
          if (token.length > 4096) return yield* Effect.fail(invalid)
          const claims = yield* checkSignature(token)
          const [notBefore, revoked] = yield* Effect.all([
            revocations.notBefore(claims.sub),
            revocations.isSessionRevoked(claims.sid)
          ])
          if (revoked || claims.iat < notBefore) {
            return yield* Effect.fail(new Unauthorized({ message: "access token revoked" }))
          }
          return {
            id: claims.sub,
            role: claims.role,
            tokenId: claims.jti,
            sessionId: claims.sid,
            issuedAt: claims.iat
          }
        })
    }
  })

/** Verification in the process that holds the signing keys (the gateway, or auth alone). */
export const layerVerifierLocal = Layer.effect(
  AccessTokenVerifier,
  Effect.gen(function* () {
    const keys = yield* SigningKeys
    let lastJwks: unknown
    let keySet: JWTVerifyGetKey | undefined
    const getKey = Effect.map(keys.jwks, (jwks) => {
      if (jwks !== lastJwks || keySet === undefined) {
        lastJwks = jwks
        keySet = createLocalJWKSet({ keys: [...jwks.keys] })
      }
      return keySet
    })
    return yield* makeVerifier(getKey)
  })
)

/** Verification in a service running alone: the auth service's JWKS over HTTP, cached and refreshed by jose. */
export const layerVerifierRemote = (jwksUrl: string) =>
  Layer.effect(
    AccessTokenVerifier,
    Effect.suspend(() => {
      const keySet = createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000 })
      return makeVerifier(Effect.succeed(keySet))
    })
  )

/** `AUTH_JWKS_URL` set (a service running apart from auth): the remote key set; otherwise the local keys. */
export const layerVerifierFromConfig = Layer.unwrapEffect(
  Effect.map(Config.option(Config.string("AUTH_JWKS_URL")), (url) =>
    url._tag === "Some" ? layerVerifierRemote(url.value) : layerVerifierLocal
  )
)
