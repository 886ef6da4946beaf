// AuthRepo: the SQL of the auth schema and nothing else; SqlError dies here, rows become domain values.
import { SqlClient } from "@effect/sql"
import { Auth } from "@lectern/contracts"
import type { CreatorApplicationId, Email, Role, UserId } from "@lectern/domain"
import { dieOnSqlError, transactionDieOnSqlError } from "@lectern/platform/Database"
import { DateTime, Effect, Option } from "effect"

export interface UserRow {
  readonly id: UserId
  readonly email: Email
  readonly passwordHash: string
  readonly name: string
  readonly bio: string | null
  readonly avatarUrl: string | null
  readonly country: string | null
  readonly website: string | null
  readonly role: Role
  readonly emailVerifiedAt: Date | null
  readonly bannedAt: Date | null
  readonly bannedReason: string | null
  readonly deactivatedAt: Date | null
  readonly createdAt: Date
}

/**
 * Rows come from our own constrained tables, so constructing skips re-validation (it was ~8% of a `user.me`);
 * the RPC layer still encodes every value through the contract's Schema on the way out.
 */
export const toUser = (row: UserRow) =>
  new Auth.User(
    {
      id: row.id,
      email: row.email,
      name: row.name,
      bio: row.bio,
      avatarUrl: row.avatarUrl,
      country: row.country,
      website: row.website,
      role: row.role,
      emailVerified: row.emailVerifiedAt !== null,
      banned: row.bannedAt !== null,
      bannedReason: row.bannedReason,
      createdAt: DateTime.unsafeFromDate(row.createdAt)
    },
    true
  )

interface ApplicationRow {
  readonly id: CreatorApplicationId
  readonly userId: UserId
  readonly bio: string
  readonly portfolioUrl: string | null
  readonly experienceYears: number
  readonly topics: ReadonlyArray<string>
  readonly status: Auth.CreatorApplicationStatus
  readonly reviewerId: UserId | null
  readonly reviewerNotes: string | null
  readonly createdAt: Date
  readonly decidedAt: Date | null
}

export const toApplication = (row: ApplicationRow) =>
  new Auth.CreatorApplication(
    {
      ...row,
      topics: [...row.topics],
      createdAt: DateTime.unsafeFromDate(row.createdAt),
      decidedAt: row.decidedAt === null ? null : DateTime.unsafeFromDate(row.decidedAt)
    },
    true
  )

export type CodePurpose = "verify_email" | "reset_password"

export interface CodeRow {
  readonly codeHash: string
  readonly expiresAt: Date
  readonly attempts: number
}

export interface RefreshRow {
  readonly tokenHash: string
  readonly familyId: string
  readonly userId: UserId
  readonly familyExpiresAt: Date
  readonly usedAt: Date | null
  readonly revokedAt: Date | null
}

export interface LoginAttempt {
  readonly userId: UserId | null
  readonly email: string
  readonly ip: string | null
  readonly success: boolean
}

export interface UserListFilter {
  readonly q?: string | undefined
  readonly role?: Role | undefined
  readonly banned?: boolean | undefined
  readonly after?: { readonly createdAt: Date; readonly id: string } | undefined
  readonly limit: number
}

export interface ProfilePatch {
  readonly name?: string | undefined
  readonly bio?: string | null | undefined
  readonly avatarUrl?: string | null | undefined
  readonly country?: string | null | undefined
  readonly website?: string | null | undefined
}

const USER_COLUMNS = `id, email, password_hash, name, bio, avatar_url, country, website, role,
  email_verified_at, banned_at, banned_reason, deactivated_at, created_at`

export class AuthRepo extends Effect.Service<AuthRepo>()("@lectern/auth/AuthRepo", {
  effect: Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const users = sql.unsafe.bind(sql)
    const one = <A>(rows: ReadonlyArray<A>) => Option.fromNullable(rows[0])

    const userById = (id: UserId) =>
      users<UserRow>(`SELECT ${USER_COLUMNS} FROM auth.users WHERE id = $1`, [id]).pipe(Effect.map(one))

    /** The users with these ids, in no particular order (unknown ids have none). */
    const usersByIds = (ids: ReadonlyArray<UserId>) =>
      ids.length === 0
        ? Effect.succeed<ReadonlyArray<UserRow>>([])
        : users<UserRow>(`SELECT ${USER_COLUMNS} FROM auth.users WHERE id = ANY($1::uuid[])`, [ids])

    const userByEmail = (email: Email) =>
      users<UserRow>(`SELECT ${USER_COLUMNS} FROM auth.users WHERE email = $1`, [email]).pipe(Effect.map(one))

    /** Inserts a user unless the email exists; `None` means the email was taken. */
    const insertUser = (user: {
      readonly id: UserId
      readonly email: Email
      readonly passwordHash: string
      readonly name: string
      readonly role: Role
      readonly emailVerified: boolean
    }) =>
      users<UserRow>(
        `INSERT INTO auth.users (id, email, password_hash, name, role, email_verified_at)
         VALUES ($1, $2, $3, $4, $5, CASE WHEN $6::boolean THEN now() END)
         ON CONFLICT (email) DO NOTHING RETURNING ${USER_COLUMNS}`,
        [user.id, user.email, user.passwordHash, user.name, user.role, user.emailVerified]
      ).pipe(Effect.map(one))

    const updateProfile = (id: UserId, patch: ProfilePatch) => {
      const fields = Object.entries(patch).filter(([, value]) => value !== undefined)
      if (fields.length === 0) return userById(id)
      return sql<UserRow>`UPDATE auth.users SET ${sql.update(Object.fromEntries(fields))}, updated_at = now()
        WHERE id = ${id} RETURNING ${sql.literal(USER_COLUMNS)}`.pipe(Effect.map(one))
    }

    const setPasswordHash = (id: UserId, passwordHash: string) =>
      sql`UPDATE auth.users SET password_hash = ${passwordHash}, updated_at = now() WHERE id = ${id}`

    const markEmailVerified = (id: UserId) =>
      sql`UPDATE auth.users SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now()
        WHERE id = ${id}`

    const setRole = (id: UserId, role: Role) =>
      sql<UserRow>`UPDATE auth.users SET role = ${role}, updated_at = now()
        WHERE id = ${id} RETURNING ${sql.literal(USER_COLUMNS)}`.pipe(Effect.map(one))

    const setBanned = (id: UserId, banned: boolean, reason: string) =>
      (banned
        ? sql<UserRow>`UPDATE auth.users SET banned_at = coalesce(banned_at, now()), banned_reason = ${reason},
            updated_at = now() WHERE id = ${id} RETURNING ${sql.literal(USER_COLUMNS)}`
        : sql<UserRow>`UPDATE auth.users SET banned_at = NULL, banned_reason = NULL, updated_at = now()
            WHERE id = ${id} RETURNING ${sql.literal(USER_COLUMNS)}`
      ).pipe(Effect.map(one))

    const deactivate = (id: UserId) =>
      sql`UPDATE auth.users SET deactivated_at = coalesce(deactivated_at, now()), updated_at = now() WHERE id = ${id}`

    const listUsers = (filter: UserListFilter) => {
      const conditions = [
        filter.q === undefined
          ? undefined
          : sql`(email ILIKE ${`%${escapeLike(filter.q)}%`} OR name ILIKE ${`%${escapeLike(filter.q)}%`})`,
        filter.role === undefined ? undefined : sql`role = ${filter.role}`,
        filter.banned === undefined ? undefined : filter.banned ? sql`banned_at IS NOT NULL` : sql`banned_at IS NULL`,
        filter.after === undefined ? undefined : sql`(created_at, id) < (${filter.after.createdAt}, ${filter.after.id})`
      ].filter((condition) => condition !== undefined)
      return sql<UserRow>`SELECT ${sql.literal(USER_COLUMNS)} FROM auth.users WHERE ${sql.and(conditions)}
        ORDER BY created_at DESC, id DESC LIMIT ${filter.limit + 1}`
    }

    const countAdmins = sql<{ count: number }>`SELECT count(*)::int AS count FROM auth.users WHERE role = 'admin'`.pipe(
      Effect.map((rows) => rows[0]?.count ?? 0)
    )

    // ------------------------------------------------------------ one-time codes

    const upsertCode = (userId: UserId, purpose: CodePurpose, codeHash: string, expiresAt: Date) =>
      sql`INSERT INTO auth.email_codes (user_id, purpose, code_hash, expires_at)
        VALUES (${userId}, ${purpose}, ${codeHash}, ${expiresAt})
        ON CONFLICT (user_id, purpose) DO UPDATE
        SET code_hash = excluded.code_hash, expires_at = excluded.expires_at, attempts = 0, created_at = now()`

    /** Locks the code row for the rest of the transaction, so concurrent guesses count one by one. */
    const codeForUpdate = (userId: UserId, purpose: CodePurpose) =>
      sql<CodeRow>`SELECT code_hash, expires_at, attempts FROM auth.email_codes
        WHERE user_id = ${userId} AND purpose = ${purpose} FOR UPDATE`.pipe(Effect.map(one))

    const countCodeAttempt = (userId: UserId, purpose: CodePurpose) =>
      sql`UPDATE auth.email_codes SET attempts = attempts + 1 WHERE user_id = ${userId} AND purpose = ${purpose}`

    const deleteCode = (userId: UserId, purpose: CodePurpose) =>
      sql`DELETE FROM auth.email_codes WHERE user_id = ${userId} AND purpose = ${purpose}`

    // ------------------------------------------------------------ refresh tokens

    /** With `attempt`, the successful login that opened the session is recorded in the same statement. */
    const insertRefreshToken = (
      token: {
        readonly tokenHash: string
        readonly familyId: string
        readonly userId: UserId
        readonly familyExpiresAt: Date
      },
      attempt?: LoginAttempt
    ) =>
      attempt === undefined
        ? sql`INSERT INTO auth.refresh_tokens ${sql.insert(token)}`
        : sql`WITH attempt AS (INSERT INTO auth.login_attempts ${sql.insert({ ...attempt })})
            INSERT INTO auth.refresh_tokens ${sql.insert(token)}`

    const refreshTokenForUpdate = (tokenHash: string) =>
      sql<RefreshRow>`SELECT token_hash, family_id, user_id, family_expires_at, used_at, revoked_at
        FROM auth.refresh_tokens WHERE token_hash = ${tokenHash} FOR UPDATE`.pipe(Effect.map(one))

    const markRefreshTokenUsed = (tokenHash: string) =>
      sql`UPDATE auth.refresh_tokens SET used_at = now() WHERE token_hash = ${tokenHash}`

    const revokeFamily = (familyId: string) =>
      sql`UPDATE auth.refresh_tokens SET revoked_at = now() WHERE family_id = ${familyId} AND revoked_at IS NULL`

    const revokeAllRefreshTokens = (userId: UserId) =>
      sql`UPDATE auth.refresh_tokens SET revoked_at = now() WHERE user_id = ${userId} AND revoked_at IS NULL`

    // ------------------------------------------------------------ login attempts

    const recordLoginAttempt = (attempt: LoginAttempt) =>
      sql`INSERT INTO auth.login_attempts ${sql.insert({ ...attempt })}`

    const recentFailures = (userId: UserId, since: Date) =>
      sql<{ count: number }>`SELECT count(*)::int AS count FROM auth.login_attempts
        WHERE user_id = ${userId} AND NOT success AND attempted_at > ${since}`.pipe(
        Effect.map((rows) => rows[0]?.count ?? 0)
      )

    // ------------------------------------------------------------ creator applications

    const APPLICATION_COLUMNS = sql.literal(`id, user_id, bio, portfolio_url, experience_years, topics, status,
      reviewer_id, reviewer_notes, created_at, decided_at`)

    /** `None` when the user already has a pending application (the partial unique index decides, race-free). */
    const insertApplication = (application: {
      readonly id: CreatorApplicationId
      readonly userId: UserId
      readonly bio: string
      readonly portfolioUrl: string | null
      readonly experienceYears: number
      readonly topics: ReadonlyArray<string>
    }) =>
      sql<ApplicationRow>`INSERT INTO auth.creator_applications
        (id, user_id, bio, portfolio_url, experience_years, topics)
        VALUES (${application.id}, ${application.userId}, ${application.bio}, ${application.portfolioUrl},
          ${application.experienceYears}, ARRAY(SELECT jsonb_array_elements_text(${JSON.stringify(application.topics)}::jsonb)))
        ON CONFLICT (user_id) WHERE status = 'pending' DO NOTHING
        RETURNING ${APPLICATION_COLUMNS}`.pipe(Effect.map(one))

    const latestApplication = (userId: UserId) =>
      sql<ApplicationRow>`SELECT ${APPLICATION_COLUMNS} FROM auth.creator_applications
        WHERE user_id = ${userId} ORDER BY created_at DESC LIMIT 1`.pipe(Effect.map(one))

    const applicationForUpdate = (id: CreatorApplicationId) =>
      sql<ApplicationRow>`SELECT ${APPLICATION_COLUMNS} FROM auth.creator_applications
        WHERE id = ${id} FOR UPDATE`.pipe(Effect.map(one))

    const decideApplication = (decision: {
      readonly id: CreatorApplicationId
      readonly status: "approved" | "rejected"
      readonly reviewerId: UserId
      readonly reviewerNotes: string
    }) =>
      sql<ApplicationRow>`UPDATE auth.creator_applications
        SET status = ${decision.status}, reviewer_id = ${decision.reviewerId},
            reviewer_notes = ${decision.reviewerNotes}, decided_at = now()
        WHERE id = ${decision.id} RETURNING ${APPLICATION_COLUMNS}`.pipe(Effect.map(one))

    const listApplications = (filter: {
      readonly status?: Auth.CreatorApplicationStatus | undefined
      readonly after?: { readonly createdAt: Date; readonly id: string } | undefined
      readonly limit: number
    }) => {
      const conditions = [
        filter.status === undefined ? undefined : sql`status = ${filter.status}`,
        filter.after === undefined ? undefined : sql`(created_at, id) < (${filter.after.createdAt}, ${filter.after.id})`
      ].filter((condition) => condition !== undefined)
      return sql<ApplicationRow>`SELECT ${APPLICATION_COLUMNS} FROM auth.creator_applications
        WHERE ${sql.and(conditions)} ORDER BY created_at DESC, id DESC LIMIT ${filter.limit + 1}`
    }

    return {
      withTransaction: transactionDieOnSqlError(sql),
      userById: dieOnSqlError(userById),
      usersByIds: dieOnSqlError(usersByIds),
      userByEmail: dieOnSqlError(userByEmail),
      insertUser: dieOnSqlError(insertUser),
      updateProfile: dieOnSqlError(updateProfile),
      setPasswordHash: dieOnSqlError(setPasswordHash),
      markEmailVerified: dieOnSqlError(markEmailVerified),
      setRole: dieOnSqlError(setRole),
      setBanned: dieOnSqlError(setBanned),
      deactivate: dieOnSqlError(deactivate),
      listUsers: dieOnSqlError(listUsers),
      countAdmins: Effect.orDie(countAdmins),
      upsertCode: dieOnSqlError(upsertCode),
      codeForUpdate: dieOnSqlError(codeForUpdate),
      countCodeAttempt: dieOnSqlError(countCodeAttempt),
      deleteCode: dieOnSqlError(deleteCode),
      insertRefreshToken: dieOnSqlError(insertRefreshToken),
      refreshTokenForUpdate: dieOnSqlError(refreshTokenForUpdate),
      markRefreshTokenUsed: dieOnSqlError(markRefreshTokenUsed),
      revokeFamily: dieOnSqlError(revokeFamily),
      revokeAllRefreshTokens: dieOnSqlError(revokeAllRefreshTokens),
      recordLoginAttempt: dieOnSqlError(recordLoginAttempt),
      recentFailures: dieOnSqlError(recentFailures),
      insertApplication: dieOnSqlError(insertApplication),
      latestApplication: dieOnSqlError(latestApplication),
      applicationForUpdate: dieOnSqlError(applicationForUpdate),
      decideApplication: dieOnSqlError(decideApplication),
      listApplications: dieOnSqlError(listApplications)
    }
  })
}) {}

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`)
