// Auth: the business rules of accounts, sessions, passwords, roles and creator applications, as one Effect.Service.
import { type AuthenticatedUser, Auth as Contract } from "@lectern/contracts"
import {
  type CreatorApplicationId,
  Cursor,
  type Email,
  Forbidden,
  hasRole,
  InvalidCursor,
  NotFound,
  type Role,
  ServiceUnavailable,
  UserId
} from "@lectern/domain"
import { AccessTokenIssuer, TokenRevocations } from "@lectern/platform/AccessTokens"
import { Mailer } from "@lectern/platform/Mailer"
import { RateLimiter } from "@lectern/platform/RateLimiter"
import { Config, DateTime, Duration, Effect, Option, Schema } from "effect"
import { hashEmailCode, newEmailCode, newRefreshToken, sameHash, sha256 } from "./Codes.ts"
import { hashPassword, makeDecoyHash, passwordWeakness, verifyPassword } from "./Passwords.ts"
import { AuthRepo, type CodePurpose, type LoginAttempt, toApplication, toUser, type UserRow } from "./Repo.ts"

/** Limits and lifetimes; every one has a default and an environment variable. */
export const AuthSettings = Config.all({
  refreshTtl: Config.duration("AUTH_REFRESH_TTL").pipe(Config.withDefault(Duration.days(30))),
  codeTtl: Config.duration("AUTH_CODE_TTL").pipe(Config.withDefault(Duration.minutes(10))),
  codeAttempts: Config.integer("AUTH_CODE_ATTEMPTS").pipe(Config.withDefault(5)),
  loginFailuresPerHour: Config.integer("AUTH_LOGIN_FAILURES_PER_HOUR").pipe(Config.withDefault(100)),
  loginAttemptsPerIpPerMinute: Config.integer("AUTH_LOGIN_IP_PER_MINUTE").pipe(Config.withDefault(60)),
  mailsPerAddressPerHour: Config.integer("AUTH_MAILS_PER_ADDRESS_PER_HOUR").pipe(Config.withDefault(5)),
  registrationsPerIpPerHour: Config.integer("AUTH_REGISTRATIONS_PER_IP_PER_HOUR").pipe(Config.withDefault(30))
})

/** Who is calling, as far as auth cares: the client address the gateway saw (absent in-process). */
export interface CallContext {
  readonly ip: string | undefined
}

const decodeCursor = Schema.decodeUnknownOption(
  Schema.compose(Schema.StringFromBase64Url, Schema.parseJson(Schema.Tuple(Schema.String, Schema.String)))
)
const encodeCursor = (row: { readonly createdAt: Date; readonly id: string }) =>
  Cursor.make(
    btoa(JSON.stringify([row.createdAt.toISOString(), row.id]))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "")
  )

const parseCursor = (cursor: string | undefined) => {
  if (cursor === undefined) return Effect.succeed(undefined)
  const decoded = decodeCursor(cursor)
  if (Option.isNone(decoded)) return Effect.fail(new InvalidCursor({ message: "malformed cursor" }))
  const [createdAt, id] = decoded.value
  const date = new Date(createdAt)
  if (Number.isNaN(date.getTime()) || !Schema.is(UserId)(id)) {
    return Effect.fail(new InvalidCursor({ message: "malformed cursor" }))
  }
  return Effect.succeed({ createdAt: date, id })
}

const requireRole = (user: AuthenticatedUser, role: Role) =>
  hasRole(user.role, role) ? Effect.void : Effect.fail(new Forbidden({ message: `this needs the ${role} role` }))

const tooMany = (retryAfterMs: number) =>
  new Contract.TooManyAttempts({ retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) })

export class Auth extends Effect.Service<Auth>()("@lectern/auth/Auth", {
  effect: Effect.gen(function* () {
    const repo = yield* AuthRepo
    const mailer = yield* Mailer
    const limiter = yield* RateLimiter
    const issuer = yield* AccessTokenIssuer
    const revocations = yield* TokenRevocations
    const settings = yield* AuthSettings
    const decoyHash = yield* makeDecoyHash

    /** Rate limits that guard abuse but must not lock anyone out when the limiter is down: fail open, logged. */
    const limitOrOpen = (key: string, limit: number, window: Duration.DurationInput) =>
      limiter.consume(key, limit, window).pipe(
        Effect.catchTag("CacheUnavailable", (error) =>
          Effect.logError("rate limiter unavailable; allowing", error).pipe(
            Effect.as({ allowed: true, count: 0, retryAfterMs: 0 })
          )
        ),
        Effect.flatMap((decision) => (decision.allowed ? Effect.void : Effect.fail(tooMany(decision.retryAfterMs))))
      )

    const checkPassword = (password: string) => {
      const weakness = passwordWeakness(password)
      return weakness === undefined ? Effect.void : Effect.fail(new Contract.WeakPassword({ reason: weakness }))
    }

    const sendCode = (user: UserRow, purpose: CodePurpose) =>
      Effect.gen(function* () {
        const code = newEmailCode()
        const expiresAt = new Date(Date.now() + Duration.toMillis(settings.codeTtl))
        yield* repo.upsertCode(user.id, purpose, hashEmailCode(user.id, code), expiresAt)
        const minutes = Math.round(Duration.toMinutes(settings.codeTtl))
        const mail =
          purpose === "verify_email"
            ? {
                subject: "Your Lectern verification code",
                text: `Hello ${user.name},\n\nyour verification code is ${code}. It expires in ${minutes} minutes.\n`
              }
            : {
                subject: "Reset your Lectern password",
                text: `Hello ${user.name},\n\nyour password reset code is ${code}. It expires in ${minutes} minutes.\nIf you did not ask for it, ignore this mail.\n`
              }
        yield* mailer
          .send({ to: user.email, ...mail })
          .pipe(Effect.catchAll((error) => Effect.logError("could not send a code by mail", error.cause)))
      })

    /**
     * Checks a code in one transaction that always commits: a wrong guess is counted, the fifth burns the code, and
     * a right one is consumed. The verdict is returned, not failed, so the counting is never rolled back.
     */
    const consumeCode = (email: Email, code: string, purpose: CodePurpose) =>
      repo
        .withTransaction(
          Effect.gen(function* () {
            const user = yield* repo.userByEmail(email)
            if (Option.isNone(user)) return { _tag: "wrong" as const }
            const row = yield* repo.codeForUpdate(user.value.id, purpose)
            if (Option.isNone(row)) return { _tag: "wrong" as const }
            if (row.value.expiresAt.getTime() < Date.now() || row.value.attempts >= settings.codeAttempts) {
              yield* repo.deleteCode(user.value.id, purpose)
              return { _tag: "spent" as const }
            }
            if (!sameHash(row.value.codeHash, hashEmailCode(user.value.id, code))) {
              yield* repo.countCodeAttempt(user.value.id, purpose)
              return { _tag: "wrong" as const }
            }
            yield* repo.deleteCode(user.value.id, purpose)
            return { _tag: "ok" as const, user: user.value }
          })
        )
        .pipe(
          Effect.flatMap((verdict) =>
            verdict._tag === "ok"
              ? Effect.succeed(verdict.user)
              : Effect.fail(
                  new Contract.InvalidCode({
                    message:
                      verdict._tag === "spent"
                        ? "the code has expired or was tried too often; ask for a new one"
                        : "the code is wrong or has expired"
                  })
                )
          )
        )

    const openSession = (
      user: UserRow,
      familyId: string = crypto.randomUUID(),
      familyExpiresAt?: Date,
      loginAttempt?: LoginAttempt
    ) =>
      Effect.gen(function* () {
        const refreshToken = newRefreshToken()
        yield* repo.insertRefreshToken(
          {
            tokenHash: sha256(refreshToken),
            familyId,
            userId: user.id,
            familyExpiresAt: familyExpiresAt ?? new Date(Date.now() + Duration.toMillis(settings.refreshTtl))
          },
          loginAttempt
        )
        const access = yield* issuer.issue({ id: user.id, role: user.role, sessionId: familyId })
        return new Contract.Session(
          {
            accessToken: access.token,
            refreshToken,
            accessExpiresAt: DateTime.unsafeFromDate(access.expiresAt),
            user: toUser(user)
          },
          true
        )
      })

    /** Ends every session of a user: refresh tokens in the database, access tokens through the shared cache. */
    const endAllSessions = (userId: UserId) =>
      Effect.zipRight(repo.revokeAllRefreshTokens(userId), revocations.revokeUser(userId))

    const disabledReason = (user: UserRow) =>
      user.bannedAt !== null ? "banned" : user.deactivatedAt !== null ? "deactivated" : undefined

    const userOrNotFound = (id: UserId) =>
      repo
        .userById(id)
        .pipe(
          Effect.flatMap(
            Option.match({ onNone: () => Effect.fail(new NotFound({ entity: "user", id })), onSome: Effect.succeed })
          )
        )

    const register = Effect.fn("Auth.register")(function* (
      input: { readonly email: Email; readonly password: string; readonly name: string },
      call: CallContext
    ) {
      yield* checkPassword(input.password)
      if (call.ip !== undefined) {
        yield* limitOrOpen(`auth:register:ip:${call.ip}`, settings.registrationsPerIpPerHour, "1 hour")
      }
      const existing = yield* repo.userByEmail(input.email)
      if (Option.isSome(existing)) return yield* Effect.fail(new Contract.EmailTaken({ email: input.email }))
      const passwordHash = yield* hashPassword(input.password)
      const inserted = yield* repo.insertUser({
        id: UserId.make(crypto.randomUUID()),
        email: input.email,
        passwordHash,
        name: input.name,
        role: "learner",
        emailVerified: false
      })
      if (Option.isNone(inserted)) return yield* Effect.fail(new Contract.EmailTaken({ email: input.email }))
      yield* sendCode(inserted.value, "verify_email")
      return { userId: inserted.value.id }
    })

    const verifyEmail = Effect.fn("Auth.verifyEmail")(function* (input: {
      readonly email: Email
      readonly code: string
    }) {
      const user = yield* consumeCode(input.email, input.code, "verify_email")
      yield* repo.markEmailVerified(user.id)
      const verified = yield* userOrNotFound(user.id).pipe(Effect.orDie)
      return yield* openSession(verified)
    })

    const resendVerification = Effect.fn("Auth.resendVerification")(function* (input: { readonly email: Email }) {
      yield* limitOrOpen(`auth:mail:${input.email}`, settings.mailsPerAddressPerHour, "1 hour")
      const user = yield* repo.userByEmail(input.email)
      if (Option.isSome(user) && user.value.emailVerifiedAt === null && disabledReason(user.value) === undefined) {
        yield* sendCode(user.value, "verify_email")
      }
    })

    const login = Effect.fn("Auth.login")(function* (
      input: { readonly email: Email; readonly password: string },
      call: CallContext
    ) {
      // Brute-force guards fail closed: when the limiter cannot answer, nobody logs in (and it is logged).
      const unavailable = (error: unknown) =>
        Effect.logError("rate limiter unavailable; refusing logins", error).pipe(
          Effect.zipRight(Effect.fail(new ServiceUnavailable({ message: "login is unavailable; try again shortly" })))
        )
      if (call.ip !== undefined) {
        const burst = yield* limiter
          .consume(`auth:login:ip:${call.ip}`, settings.loginAttemptsPerIpPerMinute, "1 minute")
          .pipe(Effect.catchTag("CacheUnavailable", unavailable))
        if (!burst.allowed) return yield* Effect.fail(tooMany(burst.retryAfterMs))
      }
      const failuresKey = `auth:login:failures:${input.email}`
      const failures = yield* limiter.peek(failuresKey, "1 hour").pipe(Effect.catchTag("CacheUnavailable", unavailable))
      if (failures >= settings.loginFailuresPerHour) {
        return yield* Effect.fail(new Contract.TooManyAttempts({ retryAfterSeconds: 60 }))
      }
      const found = yield* repo.userByEmail(input.email)
      const passwordOk = yield* verifyPassword(
        Option.match(found, { onNone: () => decoyHash, onSome: (user) => user.passwordHash }),
        input.password
      )
      const user = Option.getOrUndefined(found)
      const attempt: LoginAttempt = {
        userId: user?.id ?? null,
        email: input.email,
        ip: call.ip ?? null,
        success: passwordOk && user !== undefined
      }
      if (user === undefined || !passwordOk) {
        yield* repo.recordLoginAttempt(attempt)
        yield* limiter
          .consume(failuresKey, Number.MAX_SAFE_INTEGER, "1 hour")
          .pipe(Effect.catchTag("CacheUnavailable", unavailable))
        return yield* Effect.fail(new Contract.InvalidCredentials())
      }
      const disabled = disabledReason(user)
      if (disabled !== undefined || user.emailVerifiedAt === null) {
        // The password was right, but no session opens: not a successful login.
        yield* repo.recordLoginAttempt({ ...attempt, success: false })
        return yield* Effect.fail(
          disabled !== undefined ? new Contract.AccountDisabled({ reason: disabled }) : new Contract.EmailNotVerified()
        )
      }
      // The attempt is recorded by the statement that opens the session: one round trip per login.
      return yield* openSession(user, undefined, undefined, attempt)
    })

    /** Rotation: each refresh token works once; presenting a used one revokes its whole family. */
    const refresh = Effect.fn("Auth.refresh")(function* (input: { readonly refreshToken: string }) {
      const invalid = new Contract.InvalidRefreshToken()
      const outcome = yield* repo.withTransaction(
        Effect.gen(function* () {
          const row = yield* repo.refreshTokenForUpdate(sha256(input.refreshToken))
          if (Option.isNone(row)) return yield* Effect.fail(invalid)
          const token = row.value
          if (token.usedAt !== null || token.revokedAt !== null) {
            yield* repo.revokeFamily(token.familyId)
            return { _tag: "reused" as const, userId: token.userId }
          }
          if (token.familyExpiresAt.getTime() <= Date.now()) return yield* Effect.fail(invalid)
          const user = yield* userOrNotFound(token.userId).pipe(Effect.orDie)
          const disabled = disabledReason(user)
          if (disabled !== undefined) {
            yield* repo.revokeFamily(token.familyId)
            return yield* Effect.fail(new Contract.AccountDisabled({ reason: disabled }))
          }
          yield* repo.markRefreshTokenUsed(token.tokenHash)
          return { _tag: "rotated" as const, session: yield* openSession(user, token.familyId, token.familyExpiresAt) }
        })
      )
      if (outcome._tag === "reused") {
        yield* Effect.logWarning("a used refresh token was presented; its family is revoked").pipe(
          Effect.annotateLogs({ userId: outcome.userId })
        )
        return yield* Effect.fail(invalid)
      }
      return outcome.session
    })

    /** Ends one session: its refresh family, and the access tokens issued within it. */
    const logout = Effect.fn("Auth.logout")(function* (input: { readonly refreshToken: string }) {
      const row = yield* repo.refreshTokenForUpdate(sha256(input.refreshToken))
      if (Option.isNone(row)) return
      yield* repo.revokeFamily(row.value.familyId)
      yield* revocations.revokeSession(row.value.familyId)
    })

    const logoutAll = Effect.fn("Auth.logoutAll")(function* (user: AuthenticatedUser) {
      yield* endAllSessions(user.id)
    })

    /** A user's display name, for other services that print it (certificates); None for no such user. */
    const displayName = (id: UserId) =>
      Effect.map(
        repo.userById(id),
        Option.map((user) => user.name)
      )

    /** Display names of the users with these ids, in one query; unknown ids are left out. */
    const displayNames = (ids: ReadonlyArray<UserId>) =>
      Effect.map(
        repo.usersByIds([...new Set(ids)]),
        (rows): ReadonlyMap<UserId, string> => new Map(rows.map((row) => [row.id, row.name]))
      )

    // The hottest read: a plain span, not Effect.fn, which captures a stack trace on every call.
    const me = (user: AuthenticatedUser) => userOrNotFound(user.id).pipe(Effect.map(toUser), Effect.withSpan("Auth.me"))

    const updateProfile = Effect.fn("Auth.updateProfile")(function* (
      user: AuthenticatedUser,
      patch: Parameters<typeof repo.updateProfile>[1]
    ) {
      const updated = yield* repo.updateProfile(user.id, patch)
      if (Option.isNone(updated)) return yield* Effect.fail(new NotFound({ entity: "user", id: user.id }))
      return toUser(updated.value)
    })

    const requestPasswordReset = Effect.fn("Auth.requestPasswordReset")(function* (input: { readonly email: Email }) {
      yield* limitOrOpen(`auth:mail:${input.email}`, settings.mailsPerAddressPerHour, "1 hour")
      const user = yield* repo.userByEmail(input.email)
      if (Option.isSome(user) && disabledReason(user.value) === undefined) yield* sendCode(user.value, "reset_password")
    })

    const resetPassword = Effect.fn("Auth.resetPassword")(function* (input: {
      readonly email: Email
      readonly code: string
      readonly newPassword: string
    }) {
      yield* checkPassword(input.newPassword)
      const user = yield* consumeCode(input.email, input.code, "reset_password")
      yield* repo.setPasswordHash(user.id, yield* hashPassword(input.newPassword))
      // A reset proves the mailbox, so it also verifies the email.
      yield* repo.markEmailVerified(user.id)
      yield* endAllSessions(user.id)
    })

    const deactivate = Effect.fn("Auth.deactivate")(function* (
      user: AuthenticatedUser,
      input: { readonly password: string }
    ) {
      const row = yield* userOrNotFound(user.id).pipe(Effect.orDie)
      if (!(yield* verifyPassword(row.passwordHash, input.password))) {
        return yield* Effect.fail(new Contract.InvalidCredentials())
      }
      yield* repo.deactivate(user.id)
      yield* endAllSessions(user.id)
    })

    const setRole = Effect.fn("Auth.setRole")(function* (
      admin: AuthenticatedUser,
      input: { readonly userId: UserId; readonly role: Role }
    ) {
      yield* requireRole(admin, "admin")
      const updated = yield* repo.setRole(input.userId, input.role)
      if (Option.isNone(updated)) return yield* Effect.fail(new NotFound({ entity: "user", id: input.userId }))
      // Outstanding tokens carry the old role: end them so a demotion takes effect now (refresh gives the new role).
      yield* revocations.revokeUser(input.userId)
      return toUser(updated.value)
    })

    const setBanned = Effect.fn("Auth.setBanned")(function* (
      admin: AuthenticatedUser,
      input: { readonly userId: UserId; readonly banned: boolean; readonly reason: string }
    ) {
      yield* requireRole(admin, "admin")
      if (input.userId === admin.id)
        return yield* Effect.fail(new Forbidden({ message: "admins cannot ban themselves" }))
      const updated = yield* repo.setBanned(input.userId, input.banned, input.reason)
      if (Option.isNone(updated)) return yield* Effect.fail(new NotFound({ entity: "user", id: input.userId }))
      if (input.banned) yield* endAllSessions(input.userId)
      return toUser(updated.value)
    })

    const listUsers = Effect.fn("Auth.listUsers")(function* (
      admin: AuthenticatedUser,
      input: {
        readonly q?: string | undefined
        readonly role?: Role | undefined
        readonly banned?: boolean | undefined
        readonly cursor?: Cursor | undefined
        readonly limit?: number | undefined
      }
    ) {
      yield* requireRole(admin, "admin")
      const limit = input.limit ?? 50
      const after = yield* parseCursor(input.cursor)
      const rows = yield* repo.listUsers({ q: input.q, role: input.role, banned: input.banned, after, limit })
      const items = rows.slice(0, limit)
      const last = items[items.length - 1]
      return { items: items.map(toUser), nextCursor: rows.length > limit && last ? encodeCursor(last) : null }
    })

    /** Admins: the users with these ids, in the order asked, unknown ids left out. */
    const getUsers = Effect.fn("Auth.getUsers")(function* (
      admin: AuthenticatedUser,
      input: { readonly ids: ReadonlyArray<UserId> }
    ) {
      yield* requireRole(admin, "admin")
      const rows = new Map((yield* repo.usersByIds([...new Set(input.ids)])).map((row) => [row.id, row]))
      return [...new Set(input.ids)].flatMap((id) => {
        const row = rows.get(id)
        return row === undefined ? [] : [toUser(row)]
      })
    })

    const applyAsCreator = Effect.fn("Auth.applyAsCreator")(function* (
      user: AuthenticatedUser,
      input: {
        readonly bio: string
        readonly portfolioUrl?: string | undefined
        readonly experienceYears: number
        readonly topics: ReadonlyArray<string>
      }
    ) {
      const row = yield* userOrNotFound(user.id).pipe(Effect.orDie)
      if (row.emailVerifiedAt === null) return yield* Effect.fail(new Contract.EmailNotVerified())
      if (row.role !== "learner")
        return yield* Effect.fail(new Forbidden({ message: "only learners apply to become creators" }))
      const inserted = yield* repo.insertApplication({
        id: crypto.randomUUID() as CreatorApplicationId,
        userId: user.id,
        bio: input.bio,
        portfolioUrl: input.portfolioUrl ?? null,
        experienceYears: input.experienceYears,
        topics: input.topics
      })
      if (Option.isNone(inserted)) return yield* Effect.fail(new Contract.ApplicationPending())
      return toApplication(inserted.value)
    })

    const myApplication = Effect.fn("Auth.myApplication")(function* (user: AuthenticatedUser) {
      const latest = yield* repo.latestApplication(user.id)
      return Option.match(latest, { onNone: () => null, onSome: toApplication })
    })

    const listApplications = Effect.fn("Auth.listApplications")(function* (
      admin: AuthenticatedUser,
      input: {
        readonly status?: Contract.CreatorApplicationStatus | undefined
        readonly cursor?: Cursor | undefined
        readonly limit?: number | undefined
      }
    ) {
      yield* requireRole(admin, "admin")
      const limit = input.limit ?? 50
      const after = yield* parseCursor(input.cursor)
      const rows = yield* repo.listApplications({ status: input.status, after, limit })
      const items = rows.slice(0, limit)
      const last = items[items.length - 1]
      return { items: items.map(toApplication), nextCursor: rows.length > limit && last ? encodeCursor(last) : null }
    })

    /** Approval makes the applicant a creator in the same transaction as the decision. */
    const decideApplication = Effect.fn("Auth.decideApplication")(function* (
      admin: AuthenticatedUser,
      input: { readonly applicationId: CreatorApplicationId; readonly approve: boolean; readonly reviewerNotes: string }
    ) {
      yield* requireRole(admin, "admin")
      return yield* repo.withTransaction(
        Effect.gen(function* () {
          const application = yield* repo.applicationForUpdate(input.applicationId)
          if (Option.isNone(application)) {
            return yield* Effect.fail(new NotFound({ entity: "creator application", id: input.applicationId }))
          }
          if (application.value.status !== "pending") return yield* Effect.fail(new Contract.AlreadyDecided())
          const decided = yield* repo.decideApplication({
            id: input.applicationId,
            status: input.approve ? "approved" : "rejected",
            reviewerId: admin.id,
            reviewerNotes: input.reviewerNotes
          })
          if (input.approve) {
            const applicant = yield* userOrNotFound(application.value.userId).pipe(Effect.orDie)
            if (applicant.role === "learner") yield* repo.setRole(applicant.id, "creator")
          }
          return toApplication(Option.getOrThrow(decided))
        })
      )
    })

    /**
     * A verified user with at least `role` (seeds, bootstrap): created when the address is new; an existing user is
     * verified and raised to `role`, never lowered, and keeps their password.
     */
    const ensureUser = Effect.fn("Auth.ensureUser")(function* (input: {
      readonly email: Email
      readonly password: string
      readonly name: string
      readonly role: Role
    }) {
      yield* checkPassword(input.password)
      const existing = yield* repo.userByEmail(input.email)
      if (Option.isSome(existing)) {
        const user = existing.value
        yield* repo.markEmailVerified(user.id)
        const current = hasRole(user.role, input.role)
          ? yield* repo.userById(user.id)
          : yield* repo.setRole(user.id, input.role)
        return toUser(Option.getOrThrow(current))
      }
      const inserted = yield* repo.insertUser({
        id: UserId.make(crypto.randomUUID()),
        email: input.email,
        passwordHash: yield* hashPassword(input.password),
        name: input.name,
        role: input.role,
        emailVerified: true
      })
      return toUser(Option.getOrThrow(inserted))
    })

    /** The first admin, from the CLI or LECTERN_ADMIN_EMAIL/PASSWORD: created verified, or an existing user promoted. */
    const ensureAdmin = Effect.fn("Auth.ensureAdmin")(function* (input: {
      readonly email: Email
      readonly password: string
      readonly name: string
    }) {
      return yield* ensureUser({ ...input, role: "admin" })
    })

    return {
      displayName,
      displayNames,
      getUsers,
      register,
      verifyEmail,
      resendVerification,
      login,
      refresh,
      logout,
      logoutAll,
      me,
      updateProfile,
      requestPasswordReset,
      resetPassword,
      deactivate,
      setRole,
      setBanned,
      listUsers,
      applyAsCreator,
      myApplication,
      listApplications,
      decideApplication,
      ensureUser,
      ensureAdmin,
      countAdmins: repo.countAdmins
    }
  })
}) {}
