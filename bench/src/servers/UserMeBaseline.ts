// What both user.me baselines share: the same JWT check (jose, the gateway's key), row read (pg) and reply bytes.
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from "jose"
import pg from "pg"

/** The gateway's query for `user.me` (AuthRepo.userById), column for column. */
export const USER_BY_ID = `SELECT id, email, password_hash, name, bio, avatar_url, country, website, role,
  email_verified_at, banned_at, banned_reason, deactivated_at, created_at FROM auth.users WHERE id = $1`

export interface UserRow {
  readonly id: string
  readonly email: string
  readonly name: string
  readonly bio: string | null
  readonly avatar_url: string | null
  readonly country: string | null
  readonly website: string | null
  readonly role: string
  readonly email_verified_at: Date | null
  readonly banned_at: Date | null
  readonly banned_reason: string | null
  readonly created_at: Date
}

/** The `User` Schema's encoded form, fields in its order, so the bytes equal the gateway's. */
export const userJson = (row: UserRow) => ({
  id: row.id,
  email: row.email,
  name: row.name,
  bio: row.bio,
  avatarUrl: row.avatar_url,
  country: row.country,
  website: row.website,
  role: row.role,
  emailVerified: row.email_verified_at !== null,
  banned: row.banned_at !== null,
  bannedReason: row.banned_reason,
  createdAt: row.created_at.toISOString()
})

/** The stock RpcClient's NDJSON framing of one successful Exit. */
export const successLine = (requestId: string, value: unknown) =>
  `${JSON.stringify({ _tag: "Exit", requestId, exit: { _tag: "Success", value } })}\n`

export const failureLine = (requestId: string, defect: string) =>
  `${JSON.stringify({ _tag: "Exit", requestId, exit: { _tag: "Failure", cause: { _tag: "Die", defect } } })}\n`

export interface RequestMessage {
  readonly id: string
  readonly tag: string
  readonly authorization: string | undefined
}

/** The fields a baseline needs from an RPC Request message (the token rides in the message's headers). */
export const requestMessageOf = (message: unknown): RequestMessage | undefined => {
  if (typeof message !== "object" || message === null) return undefined
  const id: unknown = Reflect.get(message, "id")
  const tag: unknown = Reflect.get(message, "tag")
  const headers: unknown = Reflect.get(message, "headers")
  if (typeof id !== "string" || typeof tag !== "string") return undefined
  let authorization: string | undefined
  if (Array.isArray(headers)) {
    for (const pair of headers) {
      if (Array.isArray(pair) && pair[0] === "authorization" && typeof pair[1] === "string") authorization = pair[1]
    }
  }
  return { id, tag, authorization }
}

export const bearer = (authorization: string | undefined) =>
  authorization?.toLowerCase().startsWith("bearer ") ? authorization.slice(7).trim() : undefined

export class Unauthorized extends Error {
  override readonly name = "Unauthorized"
}

/** The gateway's access-token check with jose on every call: the verified token's subject, or Unauthorized. */
export const makeAuthenticate = (jwksText: string) => {
  const jwks: JSONWebKeySet = JSON.parse(jwksText)
  const keySet = createLocalJWKSet(jwks)
  // The gateway's verification options (AccessTokens.makeVerifier), defaults included.
  const verifyOptions = {
    algorithms: ["EdDSA"],
    issuer: "lectern",
    audience: "lectern",
    typ: "at+jwt",
    clockTolerance: 5,
    requiredClaims: ["sub", "jti", "sid", "iat", "exp"]
  }
  /** The verified token's subject. */
  const authenticate = async (authorization: string | undefined) => {
    const token = bearer(authorization)
    if (token === undefined) throw new Unauthorized("missing bearer token")
    const { payload } = await jwtVerify(token, keySet, verifyOptions).catch(() => {
      throw new Unauthorized("invalid access token")
    })
    if (typeof payload.sub !== "string") throw new Unauthorized("invalid access token")
    return payload.sub
  }
  return authenticate
}

/** From the environment the harness sets: BENCH_DATABASE_URL and BENCH_JWKS (the gateway's key set, as JSON). */
export const makeUserMe = () => {
  const databaseUrl = process.env.BENCH_DATABASE_URL
  const jwksText = process.env.BENCH_JWKS
  if (databaseUrl === undefined || jwksText === undefined)
    throw new Error("BENCH_DATABASE_URL and BENCH_JWKS are needed")
  const authenticate = makeAuthenticate(jwksText)
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 })
  /** The encoded User, or undefined when there is no such row. */
  const userById = async (id: string) => {
    const result = await pool.query<UserRow>(USER_BY_ID, [id])
    const row = result.rows[0]
    return row === undefined ? undefined : userJson(row)
  }
  return { authenticate, userById }
}
