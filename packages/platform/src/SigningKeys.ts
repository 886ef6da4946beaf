// The signing keys for access tokens (Ed25519, with a kid so they rotate) and the public JWK set auth publishes.
import { SqlClient } from "@effect/sql"
import { Clock, Config, Context, Data, Effect, Layer, Option, Redacted, Schema } from "effect"
import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose"
import { loadMigrations, migrate } from "./Migrator.ts"

export interface SigningKey {
  readonly kid: string
  readonly privateKey: CryptoKey
}

export interface PublicJwks {
  readonly keys: ReadonlyArray<JWK>
}

export interface SigningKeysService {
  /** The key new tokens are signed with. */
  readonly current: Effect.Effect<SigningKey>
  /** Every key a token may still be signed with (current and recently retired): the body of /.well-known/jwks.json. */
  readonly jwks: Effect.Effect<PublicJwks>
  /** Makes a fresh key current; older keys keep verifying until retired. Returns the new kid. */
  readonly rotate: Effect.Effect<string, SigningKeysReadOnly>
}

export class SigningKeys extends Context.Tag("@lectern/platform/SigningKeys")<SigningKeys, SigningKeysService>() {}

export class SigningKeysReadOnly extends Data.TaggedError("SigningKeysReadOnly")<{ readonly message: string }> {}

const ALGORITHM = "EdDSA"

const PrivateJwk = Schema.Struct({
  kty: Schema.Literal("OKP"),
  crv: Schema.Literal("Ed25519"),
  x: Schema.String,
  d: Schema.String,
  kid: Schema.String
})
const PrivateJwkSet = Schema.parseJson(Schema.Struct({ keys: Schema.NonEmptyArray(PrivateJwk) }))

const publicPart = (jwk: typeof PrivateJwk.Type): JWK => ({
  kty: jwk.kty,
  crv: jwk.crv,
  x: jwk.x,
  kid: jwk.kid,
  alg: ALGORITHM,
  use: "sig"
})

class InvalidSigningKey extends Data.TaggedError("InvalidSigningKey")<{ readonly message: string }> {}

const importPrivate = (jwk: typeof PrivateJwk.Type) => {
  // Names the key by kid only: the error must not carry the private part.
  const invalid = () => new InvalidSigningKey({ message: `key ${jwk.kid} is not a valid Ed25519 private key` })
  return Effect.tryPromise({ try: () => importJWK({ ...jwk, alg: ALGORITHM }, ALGORITHM), catch: invalid }).pipe(
    Effect.flatMap((key) =>
      key instanceof CryptoKey ? Effect.succeed({ kid: jwk.kid, privateKey: key }) : Effect.fail(invalid())
    )
  )
}

/** A new Ed25519 key pair as a private JWK with a random kid. */
export const generateSigningJwk = Effect.tryPromise(async () => {
  const { privateKey } = await generateKeyPair(ALGORITHM, { crv: "Ed25519", extractable: true })
  const jwk = await exportJWK(privateKey)
  return Schema.decodeUnknownSync(PrivateJwk)({ ...jwk, kid: crypto.randomUUID() })
}).pipe(Effect.orDie)

/** Keys given by the operator in `AUTH_SIGNING_KEYS` (a JWK set of Ed25519 private keys; the first signs). */
export const layerFromJwks = (json: Redacted.Redacted) =>
  Layer.effect(
    SigningKeys,
    Effect.gen(function* () {
      const set = yield* Schema.decodeUnknown(PrivateJwkSet)(Redacted.value(json)).pipe(
        Effect.mapError(() => new SigningKeysReadOnly({ message: "AUTH_SIGNING_KEYS is not a set of Ed25519 JWKs" })),
        Effect.orDie
      )
      // Every key is imported, not only the signing one: a broken retiring key must stop the start, not the tokens.
      const [current] = yield* Effect.forEach(set.keys, importPrivate).pipe(
        Effect.mapError((error) => new SigningKeysReadOnly({ message: `AUTH_SIGNING_KEYS: ${error.message}` })),
        Effect.orDie
      )
      const jwks: PublicJwks = { keys: set.keys.map(publicPart) }
      return {
        current: Effect.succeed(current),
        jwks: Effect.succeed(jwks),
        rotate: Effect.fail(new SigningKeysReadOnly({ message: "keys come from AUTH_SIGNING_KEYS; rotate them there" }))
      }
    })
  )

/** How long a retired key keeps verifying: longer than any access token lives. */
const RETIRED_KEY_GRACE = "1 hour"

interface KeyRow {
  readonly kid: string
  readonly privateJwk: unknown
}

/** How long the signing keys read from the database are used before they are read again (a rotation elsewhere). */
const KEY_CACHE_MILLIS = 5_000

/**
 * Keys kept in the database (`keys.signing_keys`): the first start generates one under an advisory lock, so
 * replicas agree; rotation inserts a new current key and retires the old one, which verifies for a grace period.
 * The chosen key is re-read at most every few seconds, so a rotation by another replica is picked up.
 */
export const layerFromDatabase = Layer.effect(
  SigningKeys,
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* migrate({ schema: "keys", migrations: loadMigrations(new URL("../migrations/keys/", import.meta.url)) })

    const insertKey = (jwk: typeof PrivateJwk.Type) =>
      sql`INSERT INTO keys.signing_keys ${sql.insert({
        kid: jwk.kid,
        privateJwk: JSON.stringify(jwk),
        publicJwk: JSON.stringify(publicPart(jwk))
      })}`

    const load = Effect.gen(function* () {
      const active = yield* sql<KeyRow>`
        SELECT kid, private_jwk FROM keys.signing_keys
        WHERE retired_at IS NULL OR retired_at > now() - ${RETIRED_KEY_GRACE}::interval
        ORDER BY retired_at IS NULL DESC, created_at DESC`
      const jwks = yield* Effect.forEach(active, (row) => Schema.decodeUnknown(PrivateJwk)(row.privateJwk))
      const head = jwks[0]
      if (head === undefined) return Option.none()
      return Option.some({ current: yield* importPrivate(head), jwks: { keys: jwks.map(publicPart) } })
    }).pipe(Effect.orDie)

    const ensure = sql
      .withTransaction(
        Effect.gen(function* () {
          yield* sql`SELECT pg_advisory_xact_lock(hashtext('lectern.signing_keys'))`
          const loaded = yield* load
          if (Option.isSome(loaded)) return loaded.value
          yield* insertKey(yield* generateSigningJwk)
          yield* Effect.logInfo("generated the first access-token signing key")
          return Option.getOrThrow(yield* load)
        })
      )
      .pipe(Effect.orDie)

    // The keys are re-read at most every KEY_CACHE_MILLIS, in the caller's fiber: a caller inside a transaction (a
    // session opened while its refresh token is rotated) re-reads on that transaction's connection. A cache that
    // re-read in its own context (Effect.cachedInvalidateWithTTL) would wait for a second connection while the
    // caller holds one — a deadlock with embedded PGlite's single connection once the cache had expired.
    let keys = yield* ensure
    let loadedAt = yield* Clock.currentTimeMillis
    const get = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      if (now - loadedAt < KEY_CACHE_MILLIS) return keys
      const loaded = yield* load
      keys = Option.isSome(loaded) ? loaded.value : yield* ensure
      loadedAt = now
      return keys
    })
    const invalidate = Effect.sync(() => {
      loadedAt = Number.NEGATIVE_INFINITY
    })

    const rotate = sql
      .withTransaction(
        Effect.gen(function* () {
          yield* sql`SELECT pg_advisory_xact_lock(hashtext('lectern.signing_keys'))`
          yield* sql`UPDATE keys.signing_keys SET retired_at = now() WHERE retired_at IS NULL`
          const jwk = yield* generateSigningJwk
          yield* insertKey(jwk)
          return jwk.kid
        })
      )
      .pipe(
        Effect.orDie,
        Effect.tap(() => invalidate)
      )

    return {
      current: Effect.map(get, (keys) => keys.current),
      jwks: Effect.map(get, (keys) => keys.jwks),
      rotate
    }
  })
)

/** `AUTH_SIGNING_KEYS` when set, else the database. */
export const layerFromConfig = Layer.unwrapEffect(
  Config.option(Config.redacted("AUTH_SIGNING_KEYS")).pipe(
    Effect.map(Option.match({ onSome: layerFromJwks, onNone: () => layerFromDatabase }))
  )
)
