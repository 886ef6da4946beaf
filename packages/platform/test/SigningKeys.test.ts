// Signing keys: one key per database across restarts and replicas, rotation without breaking tokens, operator keys, and the JWKS over HTTP.

import { createServer, type Server } from "node:http"
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { type Role, Unauthorized, UserId } from "@lectern/domain"
import {
  AccessTokenIssuer,
  AccessTokenVerifier,
  layerIssuer,
  layerRevocations,
  layerVerifierFromConfig,
  layerVerifierLocal,
  layerVerifierRemote,
  TOKEN_TYPE
} from "@lectern/platform/AccessTokens"
import { layerMemory } from "@lectern/platform/CacheMemory"
import * as SigningKeys from "@lectern/platform/SigningKeys"
import { layerFreshPostgres, layerMemoryDatabase } from "@lectern/testkit/TestDatabase"
import {
  Cause,
  ConfigProvider,
  Context,
  Effect,
  Either,
  Exit,
  Layer,
  Option,
  Redacted,
  Runtime,
  Schema,
  TestClock
} from "effect"
import * as TestServices from "effect/TestServices"
import { decodeProtectedHeader, generateKeyPair, importJWK, SignJWT } from "jose"

// ---------------------------------------------------------------- helpers

/** Builds a fresh instance of `layer` (its own memo map) in the current scope, like one process starting. */
const start = <A, E, R>(layer: Layer.Layer<A, E, R>) => Layer.build(layer)

const currentKid = (keys: Context.Context<SigningKeys.SigningKeys>) =>
  Effect.map(Context.get(keys, SigningKeys.SigningKeys).current, (key) => key.kid)

const countKeys = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql<{ readonly count: number }>`SELECT count(*)::int AS count FROM keys.signing_keys`.pipe(
    Effect.map((rows) => rows[0]?.count),
    Effect.orDie
  )
)

const configWith = (entries: Record<string, string>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(entries))))

/** Issuer and local verifier over whatever SigningKeys are provided. */
const tokensOver = <E, R>(keys: Layer.Layer<SigningKeys.SigningKeys, E, R>) =>
  Layer.mergeAll(layerIssuer, layerVerifierLocal).pipe(
    Layer.provideMerge(Layer.merge(keys, layerRevocations.pipe(Layer.provide(layerMemory))))
  )

const newUser = (role: Role = "learner") => ({
  id: Schema.decodeSync(UserId)(crypto.randomUUID()),
  role,
  sessionId: crypto.randomUUID()
})

const issue = Effect.flatMap(AccessTokenIssuer, (issuer) => issuer.issue(newUser()))
const verify = (token: string) => Effect.flatMap(AccessTokenVerifier, (verifier) => verifier.verify(token))

const kidOf = (token: string) => decodeProtectedHeader(token).kid

/** A token with the issuer's header and claims for `kid`, signed by `privateKey`. */
const signAs = (kid: string, privateKey: CryptoKey) =>
  Effect.tryPromise(() =>
    new SignJWT({ role: "admin", sid: crypto.randomUUID() })
      .setProtectedHeader({ alg: "EdDSA", typ: TOKEN_TYPE, kid })
      .setSubject(crypto.randomUUID())
      .setIssuer("lectern")
      .setAudience("lectern")
      .setIssuedAt()
      .setExpirationTime("10 minutes")
      .setJti(crypto.randomUUID())
      .sign(privateKey)
  ).pipe(Effect.orDie)

const forgeWithKid = (kid: string) =>
  Effect.tryPromise(() => generateKeyPair("EdDSA", { crv: "Ed25519" })).pipe(
    Effect.orDie,
    Effect.flatMap(({ privateKey }) => signAs(kid, privateKey))
  )

const importPrivate = (jwk: Effect.Effect.Success<typeof SigningKeys.generateSigningJwk>) =>
  Effect.tryPromise(() => importJWK({ ...jwk, alg: "EdDSA" }, "EdDSA")).pipe(
    Effect.orDie,
    Effect.flatMap((key) => (key instanceof CryptoKey ? Effect.succeed(key) : Effect.dieMessage("not a CryptoKey")))
  )

const expectUnauthorized = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(effect)
    if (Exit.isSuccess(exit)) return expect.fail(`accepted: ${JSON.stringify(exit.value)}`)
    expect(Option.getOrUndefined(Cause.failureOption(exit.cause)), Cause.pretty(exit.cause)).toBeInstanceOf(
      Unauthorized
    )
  })

const urlOf = (server: Server) => {
  const address = server.address()
  return address === null || typeof address === "string"
    ? Effect.dieMessage("the server is not listening on TCP")
    : Effect.succeed(`http://127.0.0.1:${address.port}/.well-known/jwks.json`)
}

/** Serves `jwks` as /.well-known/jwks.json on a loopback port; counts the fetches. */
const serveJwks = <E, R>(jwks: Effect.Effect<SigningKeys.PublicJwks, E, R>) =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<R>()
    const served = { fetches: 0 }
    const server = yield* Effect.acquireRelease(
      Effect.async<Server>((resume) => {
        const server = createServer((request, response) => {
          if (request.url !== "/.well-known/jwks.json") {
            response.writeHead(404).end()
            return
          }
          served.fetches++
          Runtime.runPromise(runtime, jwks).then(
            (body) => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body)),
            () => response.writeHead(500).end()
          )
        })
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          server.closeAllConnections()
          server.close(() => resume(Effect.void))
        })
    )
    return { url: yield* urlOf(server), served }
  })

/** A loopback port nothing listens on any more. */
const closedPortUrl = Effect.async<string>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const url = urlOf(server)
    server.close(() => resume(url))
  })
})

// ---------------------------------------------------------------- tests

describe("database signing keys", () => {
  for (const [name, database] of [
    ["Postgres", layerFreshPostgres],
    ["PGlite", layerMemoryDatabase]
  ] as const) {
    it.effect(`persist across restarts on the same database (${name})`, () =>
      Effect.gen(function* () {
        const first = yield* Effect.scoped(Effect.flatMap(start(SigningKeys.layerFromDatabase), currentKid))
        const second = yield* Effect.scoped(Effect.flatMap(start(SigningKeys.layerFromDatabase), currentKid))
        expect(second).toBe(first)
        expect(yield* countKeys).toBe(1)
      }).pipe(Effect.provide(database))
    )
  }

  it.scoped("re-reads expired keys inside a caller's transaction on embedded PGlite's one connection", () =>
    Effect.gen(function* () {
      const keys = Context.get(yield* start(SigningKeys.layerFromDatabase), SigningKeys.SigningKeys)
      const sql = yield* SqlClient.SqlClient
      const kid = (yield* keys.current).kid
      // A session opened while a refresh token is rotated signs inside that transaction. With the cache expired,
      // a re-read that asked the pool for a second connection would wait forever for the one the caller holds.
      const inside = yield* Effect.raceFirst(
        sql
          .withTransaction(
            Effect.gen(function* () {
              yield* sql`SELECT 1`
              yield* TestClock.adjust("6 seconds")
              return (yield* keys.current).kid
            })
          )
          .pipe(Effect.map(Either.right)),
        TestServices.provideLive(Effect.sleep("10 seconds")).pipe(Effect.as(Either.left("hung")))
      )
      expect(inside).toEqual(Either.right(kid))
    }).pipe(Effect.provide(layerMemoryDatabase))
  )

  it.scoped("replicas starting together on a fresh Postgres agree on one key", () =>
    Effect.gen(function* () {
      // Separate pooled connections are separate sessions to Postgres, so the advisory lock is between them as between
      // processes; every build starts from an empty database and races to create the first key.
      const kids = yield* Effect.all(
        Array.from({ length: 4 }, () => Effect.flatMap(start(SigningKeys.layerFromDatabase), currentKid)),
        { concurrency: "unbounded" }
      )
      expect(new Set(kids).size).toBe(1)
      expect(yield* countKeys).toBe(1)
    }).pipe(Effect.provide(layerFreshPostgres))
  )

  it.scoped("rotate makes a new key current and keeps the old one verifying, on every replica", () =>
    Effect.gen(function* () {
      const replicaA = yield* start(tokensOver(SigningKeys.layerFromDatabase))
      const replicaB = yield* start(tokensOver(SigningKeys.layerFromDatabase))
      const onA = Effect.provide(replicaA)
      const onB = Effect.provide(replicaB)
      const keysA = Context.get(replicaA, SigningKeys.SigningKeys)

      const before = yield* onA(issue)
      const oldKid = kidOf(before.token)
      expect(oldKid).toBe((yield* keysA.current).kid)

      const newKid = yield* keysA.rotate
      expect(newKid).not.toBe(oldKid)
      expect((yield* keysA.current).kid).toBe(newKid)
      expect((yield* keysA.jwks).keys.map((jwk) => jwk.kid)).toEqual([newKid, oldKid])

      const after = yield* onA(issue)
      expect(kidOf(after.token)).toBe(newKid)
      yield* onA(verify(before.token))
      yield* onA(verify(after.token))

      // Replica B re-reads the keys after its 5 s cache: until then it keeps signing with the old key, which
      // everyone still accepts; afterwards it signs with the new one and verifies both.
      expect(kidOf((yield* onB(issue)).token)).toBe(oldKid)
      yield* TestClock.adjust("5 seconds")
      expect(kidOf((yield* onB(issue)).token)).toBe(newKid)
      yield* onB(verify(before.token))
      yield* onB(verify(after.token))
      expect(yield* countKeys).toBe(2)
    }).pipe(Effect.provide(layerFreshPostgres))
  )

  it.scoped("the JWKS carries public keys only", () =>
    Effect.gen(function* () {
      const keys = Context.get(yield* start(SigningKeys.layerFromDatabase), SigningKeys.SigningKeys)
      yield* keys.rotate
      const jwks = yield* keys.jwks
      expect(jwks.keys.length).toBe(2)
      for (const jwk of jwks.keys) {
        expect(Object.keys(jwk).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"])
        expect(jwk).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" })
      }
    }).pipe(Effect.provide(layerFreshPostgres))
  )
})

describe("the remote verifier", () => {
  it.scoped("accepts tokens the JWKS vouches for and refuses forgeries", () =>
    Effect.gen(function* () {
      const auth = yield* start(tokensOver(SigningKeys.layerFromDatabase))
      const keys = Context.get(auth, SigningKeys.SigningKeys)
      const { url, served } = yield* serveJwks(keys.jwks)
      const remote = yield* start(
        layerVerifierRemote(url).pipe(Layer.provide(layerRevocations), Layer.provide(layerMemory))
      )
      const verifyRemotely = (token: string) => Effect.provide(verify(token), remote)

      const user = newUser("creator")
      const issued = yield* Effect.provide(
        Effect.flatMap(AccessTokenIssuer, (issuer) => issuer.issue(user)),
        auth
      )
      expect(yield* verifyRemotely(issued.token)).toMatchObject({
        id: user.id,
        role: "creator",
        sessionId: user.sessionId,
        tokenId: issued.jti
      })
      expect(served.fetches).toBeGreaterThan(0)

      const kid = (yield* keys.current).kid
      yield* expectUnauthorized(verifyRemotely(yield* forgeWithKid(kid)))
      yield* expectUnauthorized(verifyRemotely(yield* forgeWithKid(crypto.randomUUID())))
      const [header = "", payload = ""] = issued.token.split(".")
      yield* expectUnauthorized(verifyRemotely(`${header}.${payload}.`))
    }).pipe(Effect.provide(layerFreshPostgres))
  )

  it.scoped("AUTH_JWKS_URL selects it over the local keys", () =>
    Effect.gen(function* () {
      const auth = yield* start(tokensOver(SigningKeys.layerFromDatabase))
      const { url } = yield* serveJwks(Context.get(auth, SigningKeys.SigningKeys).jwks)
      const issued = yield* Effect.provide(issue, auth)
      // Local keys that never signed anything: only the remote key set can vouch for the token.
      const unrelated = yield* SigningKeys.generateSigningJwk
      const service = yield* start(
        layerVerifierFromConfig.pipe(
          Layer.provide(
            Layer.merge(
              SigningKeys.layerFromJwks(Redacted.make(JSON.stringify({ keys: [unrelated] }))),
              layerRevocations
            )
          ),
          Layer.provide(layerMemory),
          Layer.provide(configWith({ AUTH_JWKS_URL: url }))
        )
      )
      yield* Effect.provide(verify(issued.token), service)
    }).pipe(Effect.provide(layerFreshPostgres))
  )

  it.scoped("fails closed with Unauthorized when the JWKS cannot be fetched", () =>
    Effect.gen(function* () {
      const auth = yield* start(tokensOver(SigningKeys.layerFromDatabase))
      const issued = yield* Effect.provide(issue, auth)
      const remote = yield* start(
        layerVerifierRemote(yield* closedPortUrl).pipe(Layer.provide(layerRevocations), Layer.provide(layerMemory))
      )
      yield* expectUnauthorized(Effect.provide(verify(issued.token), remote))
    }).pipe(Effect.provide(layerFreshPostgres))
  )
})

// Last in the file: @effect/vitest's layer rebinds `it` for whatever is registered after it.
// One embedded database for the block, where nothing may create the keys table.
it.layer(layerMemoryDatabase, { timeout: 60_000 })("AUTH_SIGNING_KEYS", (it) => {
  it.scoped("signs with the first key, publishes all of them and refuses to rotate", () =>
    Effect.gen(function* () {
      const signing = yield* SigningKeys.generateSigningJwk
      const retiring = yield* SigningKeys.generateSigningJwk
      const config = configWith({ AUTH_SIGNING_KEYS: JSON.stringify({ keys: [signing, retiring] }) })
      const context = yield* start(tokensOver(SigningKeys.layerFromConfig).pipe(Layer.provide(config)))
      const keys = Context.get(context, SigningKeys.SigningKeys)

      expect((yield* keys.current).kid).toBe(signing.kid)
      const jwks = yield* keys.jwks
      expect(jwks.keys).toEqual([
        { kty: "OKP", crv: "Ed25519", x: signing.x, kid: signing.kid, alg: "EdDSA", use: "sig" },
        { kty: "OKP", crv: "Ed25519", x: retiring.x, kid: retiring.kid, alg: "EdDSA", use: "sig" }
      ])

      const issued = yield* Effect.provide(issue, context)
      expect(kidOf(issued.token)).toBe(signing.kid)
      yield* Effect.provide(verify(issued.token), context)
      // A token from before the operator moved `retiring` down the list still verifies.
      yield* Effect.provide(verify(yield* signAs(retiring.kid, yield* importPrivate(retiring))), context)

      const refused = yield* Effect.flip(keys.rotate)
      expect(refused).toBeInstanceOf(SigningKeys.SigningKeysReadOnly)
      expect((yield* keys.current).kid).toBe(signing.kid)
      // The database was never asked for keys.
      const sql = yield* SqlClient.SqlClient
      const tables = yield* sql<{ readonly name: string }>`SELECT to_regclass('keys.signing_keys')::text AS name`
      expect(tables[0]?.name).toBeNull()
    })
  )

  describe("malformed, the process dies saying so (without echoing the secret)", () => {
    const cases: ReadonlyArray<readonly [string, Effect.Effect<{ readonly value: string; readonly secret: string }>]> =
      [
        ["not JSON", Effect.succeed({ value: "d=abc;kid=1", secret: "d=abc" })],
        ["an empty set", Effect.succeed({ value: JSON.stringify({ keys: [] }), secret: `{"keys":[]}` })],
        [
          "a bare JWK instead of a set",
          Effect.map(SigningKeys.generateSigningJwk, (jwk) => ({ value: JSON.stringify(jwk), secret: jwk.d }))
        ],
        [
          "public keys only (the JWKS pasted by mistake)",
          Effect.map(SigningKeys.generateSigningJwk, ({ d: _d, ...jwk }) => ({
            value: JSON.stringify({ keys: [jwk] }),
            secret: jwk.x
          }))
        ],
        [
          "an RSA key",
          Effect.succeed({
            value: JSON.stringify({ keys: [{ kty: "RSA", n: "AQAB", e: "AQAB", d: "c2VjcmV0LXJzYQ", kid: "rsa" }] }),
            secret: "c2VjcmV0LXJzYQ"
          })
        ],
        [
          "a private part that does not match the public part",
          Effect.gen(function* () {
            const jwk = yield* SigningKeys.generateSigningJwk
            const other = yield* SigningKeys.generateSigningJwk
            return { value: JSON.stringify({ keys: [{ ...jwk, d: other.d }] }), secret: other.d }
          })
        ],
        [
          "a broken second key",
          Effect.gen(function* () {
            const good = yield* SigningKeys.generateSigningJwk
            const broken = yield* SigningKeys.generateSigningJwk
            return { value: JSON.stringify({ keys: [good, { ...broken, d: "AAAA" }] }), secret: good.d }
          })
        ]
      ]
    for (const [name, given] of cases) {
      it.effect(name, () =>
        Effect.gen(function* () {
          const { value, secret } = yield* given
          const exit = yield* Effect.exit(
            Effect.scoped(
              start(SigningKeys.layerFromConfig.pipe(Layer.provide(configWith({ AUTH_SIGNING_KEYS: value }))))
            )
          )
          if (Exit.isSuccess(exit)) return expect.fail("the keys were accepted")
          expect(Cause.isDie(exit.cause), Cause.pretty(exit.cause)).toBe(true)
          const report = Cause.pretty(exit.cause)
          expect(report).toContain("AUTH_SIGNING_KEYS")
          expect(report).not.toContain(secret)
        })
      )
    }
  })
})
