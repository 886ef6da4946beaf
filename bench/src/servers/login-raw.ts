// Baseline for session.login: bare node:http doing a login's work — user by email, argon2id verify, the attempt and
// refresh-token insert, an EdDSA access token — with no framework, to show what the machine allows beside the hash.
import { createHash, randomBytes } from "node:crypto"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { verify } from "@node-rs/argon2"
import { generateKeyPair, SignJWT } from "jose"
import pg from "pg"
import { reportReady } from "../Processes.ts"
import { failureLine, successLine, type UserRow, userJson } from "./UserMeBaseline.ts"

const databaseUrl = process.env.BENCH_DATABASE_URL
if (databaseUrl === undefined) throw new Error("BENCH_DATABASE_URL is needed")
const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 })
const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519" })

/** The gateway's statements (AuthRepo.userByEmail, AuthRepo.insertRefreshToken with the attempt). */
const USER_BY_EMAIL = `SELECT id, email, password_hash, name, bio, avatar_url, country, website, role,
  email_verified_at, banned_at, banned_reason, deactivated_at, created_at FROM auth.users WHERE email = $1`
const OPEN_SESSION = `WITH attempt AS (INSERT INTO auth.login_attempts (user_id, email, ip, success)
  VALUES ($1, $2, $3, true)) INSERT INTO auth.refresh_tokens (token_hash, family_id, user_id, family_expires_at)
  VALUES ($4, $5, $1, $6)`
const ACCESS_TTL_SECONDS = 900
const REFRESH_TTL_MS = 30 * 24 * 3600 * 1000

const sha256 = (text: string) => createHash("sha256").update(text).digest("base64url")

const login = async (email: string, password: string, ip: string | undefined) => {
  const row = (await pool.query<UserRow & { password_hash: string }>(USER_BY_EMAIL, [email])).rows[0]
  if (row === undefined || !(await verify(row.password_hash, password.normalize("NFC")))) return undefined
  const refreshToken = randomBytes(32).toString("base64url")
  const familyId = crypto.randomUUID()
  await pool.query(OPEN_SESSION, [
    row.id,
    email,
    ip ?? null,
    sha256(refreshToken),
    familyId,
    new Date(Date.now() + REFRESH_TTL_MS)
  ])
  const issuedAt = Math.floor(Date.now() / 1000)
  const accessToken = await new SignJWT({ role: row.role, sid: familyId })
    .setProtectedHeader({ alg: "EdDSA", typ: "at+jwt", kid: "bench" })
    .setSubject(row.id)
    .setIssuer("lectern")
    .setAudience("lectern")
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ACCESS_TTL_SECONDS)
    .setJti(crypto.randomUUID())
    .sign(privateKey)
  return {
    accessToken,
    refreshToken,
    accessExpiresAt: new Date((issuedAt + ACCESS_TTL_SECONDS) * 1000).toISOString(),
    user: userJson(row)
  }
}

const reply = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { "content-type": "application/ndjson", "content-length": Buffer.byteLength(body) })
  res.end(body)
}

const answer = async (body: string, ip: string | undefined) => {
  const message: unknown = JSON.parse(body)
  const id: unknown = Reflect.get(Object(message), "id")
  const payload: unknown = Reflect.get(Object(message), "payload")
  const email: unknown = Reflect.get(Object(payload), "email")
  const password: unknown = Reflect.get(Object(payload), "password")
  if (typeof id !== "string" || typeof email !== "string" || typeof password !== "string") {
    return { status: 400, body: "bad request\n" }
  }
  const session = await login(email.normalize("NFC").toLowerCase(), password, ip)
  return { status: 200, body: session ? successLine(id, session) : failureLine(id, "InvalidCredentials") }
}

const handle = (req: IncomingMessage, res: ServerResponse) => {
  if (req.method !== "POST" || req.url !== "/rpc/auth") return reply(res, 404, "not found\n")
  const chunks: Array<Buffer> = []
  req.on("data", (chunk: Buffer) => chunks.push(chunk))
  req.on("end", () => {
    answer(Buffer.concat(chunks).toString("utf8"), req.socket.remoteAddress).then(
      (result) => reply(res, result.status, result.body),
      () => reply(res, 500, "internal error\n")
    )
  })
}

const server = createServer({ keepAlive: true, keepAliveTimeout: 65_000 }, handle)
server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  if (typeof address !== "object" || address === null) throw new Error("no TCP address")
  reportReady({ url: `http://127.0.0.1:${address.port}/rpc/auth` })
})
