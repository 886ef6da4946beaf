// AuthRpcs: accounts, sessions, passwords, roles and creator applications — the public contract of the auth service.
import { Rpc, RpcGroup } from "@effect/rpc"
import {
  CreatorApplicationId,
  Cursor,
  Email,
  Forbidden,
  InvalidCursor,
  InvalidInput,
  NotAvailable,
  NotFound,
  Role,
  ServiceUnavailable,
  UserId
} from "@lectern/domain"
import { Schema } from "effect"
import { Authentication } from "./Middleware.ts"

// ---------------------------------------------------------------- schemas

/** A password as typed; strength rules are the server's (WeakPassword), the cap only bounds the work. */
export const Password = Schema.String.pipe(Schema.maxLength(1024, { message: () => "password is too long" }))

export const VerificationCode = Schema.String.pipe(Schema.pattern(/^\d{6}$/, { message: () => "a code is six digits" }))

const Name = Schema.Trim.pipe(Schema.minLength(1), Schema.maxLength(100))
const Bio = Schema.String.pipe(Schema.maxLength(2000))
const HttpUrl = Schema.String.pipe(
  Schema.maxLength(2048),
  Schema.pattern(/^https?:\/\/[^\s]+$/, { message: () => "an http(s) URL" })
)
const CountryCode = Schema.String.pipe(Schema.pattern(/^[A-Z]{2}$/, { message: () => "an ISO 3166-1 alpha-2 code" }))

export class User extends Schema.Class<User>("User")({
  id: UserId,
  email: Email,
  name: Schema.String,
  bio: Schema.NullOr(Schema.String),
  avatarUrl: Schema.NullOr(Schema.String),
  country: Schema.NullOr(Schema.String),
  website: Schema.NullOr(Schema.String),
  role: Role,
  emailVerified: Schema.Boolean,
  banned: Schema.Boolean,
  bannedReason: Schema.NullOr(Schema.String),
  createdAt: Schema.DateTimeUtc
}) {}

export class Session extends Schema.Class<Session>("Session")({
  accessToken: Schema.String,
  refreshToken: Schema.String,
  accessExpiresAt: Schema.DateTimeUtc,
  user: User
}) {}

export const UserPage = Schema.Struct({ items: Schema.Array(User), nextCursor: Schema.NullOr(Cursor) })

export const CreatorApplicationStatus = Schema.Literal("pending", "approved", "rejected")
export type CreatorApplicationStatus = typeof CreatorApplicationStatus.Type

export class CreatorApplication extends Schema.Class<CreatorApplication>("CreatorApplication")({
  id: CreatorApplicationId,
  userId: UserId,
  bio: Schema.String,
  portfolioUrl: Schema.NullOr(Schema.String),
  experienceYears: Schema.Int,
  topics: Schema.Array(Schema.String),
  status: CreatorApplicationStatus,
  reviewerId: Schema.NullOr(UserId),
  reviewerNotes: Schema.NullOr(Schema.String),
  createdAt: Schema.DateTimeUtc,
  decidedAt: Schema.NullOr(Schema.DateTimeUtc)
}) {}

export const CreatorApplicationPage = Schema.Struct({
  items: Schema.Array(CreatorApplication),
  nextCursor: Schema.NullOr(Cursor)
})

export class OutboxMail extends Schema.Class<OutboxMail>("OutboxMail")({
  id: Schema.String,
  to: Schema.String,
  subject: Schema.String,
  text: Schema.String,
  sentAt: Schema.DateTimeUtc
}) {}

// ---------------------------------------------------------------- errors

export class EmailTaken extends Schema.TaggedError<EmailTaken>()("EmailTaken", { email: Schema.String }) {}

export class WeakPassword extends Schema.TaggedError<WeakPassword>()("WeakPassword", {
  reason: Schema.Literal("too_short", "too_long", "common")
}) {}

export class InvalidCode extends Schema.TaggedError<InvalidCode>()("InvalidCode", { message: Schema.String }) {}

export class InvalidCredentials extends Schema.TaggedError<InvalidCredentials>()("InvalidCredentials", {}) {}

export class EmailNotVerified extends Schema.TaggedError<EmailNotVerified>()("EmailNotVerified", {}) {}

export class AccountDisabled extends Schema.TaggedError<AccountDisabled>()("AccountDisabled", {
  reason: Schema.Literal("banned", "deactivated")
}) {}

export class TooManyAttempts extends Schema.TaggedError<TooManyAttempts>()("TooManyAttempts", {
  retryAfterSeconds: Schema.Int
}) {}

export class InvalidRefreshToken extends Schema.TaggedError<InvalidRefreshToken>()("InvalidRefreshToken", {}) {}

export class ApplicationPending extends Schema.TaggedError<ApplicationPending>()("ApplicationPending", {}) {}

export class AlreadyDecided extends Schema.TaggedError<AlreadyDecided>()("AlreadyDecided", {}) {}

// ---------------------------------------------------------------- RPCs

/** Calls anyone may make. */
export class AuthPublicRpcs extends RpcGroup.make(
  Rpc.make("user.register", {
    payload: { email: Email, password: Password, name: Name },
    success: Schema.Struct({ userId: UserId }),
    error: Schema.Union(InvalidInput, EmailTaken, WeakPassword, TooManyAttempts)
  }),
  Rpc.make("user.verifyEmail", {
    payload: { email: Email, code: VerificationCode },
    success: Session,
    error: Schema.Union(InvalidInput, InvalidCode, TooManyAttempts)
  }),
  Rpc.make("user.resendVerification", {
    payload: { email: Email },
    error: Schema.Union(InvalidInput, TooManyAttempts)
  }),
  Rpc.make("session.login", {
    payload: { email: Email, password: Password },
    success: Session,
    error: Schema.Union(
      InvalidInput,
      InvalidCredentials,
      EmailNotVerified,
      AccountDisabled,
      TooManyAttempts,
      ServiceUnavailable
    )
  }),
  Rpc.make("session.refresh", {
    payload: { refreshToken: Schema.String.pipe(Schema.maxLength(256)) },
    success: Session,
    error: Schema.Union(InvalidInput, InvalidRefreshToken, AccountDisabled)
  }),
  Rpc.make("session.logout", {
    payload: { refreshToken: Schema.String.pipe(Schema.maxLength(256)) },
    error: InvalidInput
  }),
  Rpc.make("password.requestReset", {
    payload: { email: Email },
    error: Schema.Union(InvalidInput, TooManyAttempts)
  }),
  Rpc.make("password.reset", {
    payload: { email: Email, code: VerificationCode, newPassword: Password },
    error: Schema.Union(InvalidInput, InvalidCode, WeakPassword, TooManyAttempts)
  }),
  Rpc.make("dev.outbox", {
    payload: { to: Schema.optional(Schema.String) },
    success: Schema.Array(OutboxMail),
    error: Schema.Union(InvalidInput, NotAvailable)
  })
) {}

/** Calls that need a valid access token (the Authentication middleware provides CurrentUser). */
export class AuthUserRpcs extends RpcGroup.make(
  Rpc.make("session.logoutAll", { error: InvalidInput }),
  Rpc.make("user.me", { success: User, error: Schema.Union(InvalidInput, NotFound) }),
  Rpc.make("user.updateProfile", {
    payload: {
      name: Schema.optional(Name),
      bio: Schema.optional(Schema.NullOr(Bio)),
      avatarUrl: Schema.optional(Schema.NullOr(HttpUrl)),
      country: Schema.optional(Schema.NullOr(CountryCode)),
      website: Schema.optional(Schema.NullOr(HttpUrl))
    },
    success: User,
    error: Schema.Union(InvalidInput, NotFound)
  }),
  Rpc.make("user.deactivate", {
    payload: { password: Password },
    error: Schema.Union(InvalidInput, InvalidCredentials)
  }),
  Rpc.make("user.setRole", {
    payload: { userId: UserId, role: Role },
    success: User,
    error: Schema.Union(InvalidInput, Forbidden, NotFound)
  }),
  Rpc.make("user.setBanned", {
    payload: { userId: UserId, banned: Schema.Boolean, reason: Schema.String.pipe(Schema.maxLength(1000)) },
    success: User,
    error: Schema.Union(InvalidInput, Forbidden, NotFound)
  }),
  Rpc.make("user.list", {
    payload: {
      q: Schema.optional(Schema.String.pipe(Schema.maxLength(200))),
      role: Schema.optional(Role),
      banned: Schema.optional(Schema.Boolean),
      cursor: Schema.optional(Cursor),
      limit: Schema.optional(Schema.Int.pipe(Schema.between(1, 100)))
    },
    success: UserPage,
    error: Schema.Union(InvalidInput, Forbidden, InvalidCursor)
  }),
  /** Admins: the users with these ids (at most 100), in the order asked; ids of no user are left out. */
  Rpc.make("user.getMany", {
    payload: { ids: Schema.Array(UserId).pipe(Schema.minItems(1), Schema.maxItems(100)) },
    success: Schema.Array(User),
    error: Schema.Union(InvalidInput, Forbidden)
  }),
  Rpc.make("creator.apply", {
    payload: {
      bio: Schema.Trim.pipe(Schema.minLength(20), Schema.maxLength(5000)),
      portfolioUrl: Schema.optional(HttpUrl),
      experienceYears: Schema.Int.pipe(Schema.between(0, 80)),
      topics: Schema.Array(Schema.Trim.pipe(Schema.minLength(1), Schema.maxLength(60))).pipe(
        Schema.minItems(1),
        Schema.maxItems(20)
      )
    },
    success: CreatorApplication,
    error: Schema.Union(InvalidInput, Forbidden, ApplicationPending, EmailNotVerified)
  }),
  Rpc.make("creator.myApplication", {
    success: Schema.NullOr(CreatorApplication),
    error: InvalidInput
  }),
  Rpc.make("creator.applications", {
    payload: {
      status: Schema.optional(CreatorApplicationStatus),
      cursor: Schema.optional(Cursor),
      limit: Schema.optional(Schema.Int.pipe(Schema.between(1, 100)))
    },
    success: CreatorApplicationPage,
    error: Schema.Union(InvalidInput, Forbidden, InvalidCursor)
  }),
  Rpc.make("creator.decide", {
    payload: {
      applicationId: CreatorApplicationId,
      approve: Schema.Boolean,
      reviewerNotes: Schema.String.pipe(Schema.maxLength(5000))
    },
    success: CreatorApplication,
    error: Schema.Union(InvalidInput, Forbidden, NotFound, AlreadyDecided)
  })
).middleware(Authentication) {}

/** The whole auth service: `client.user.register(...)`, `client.session.login(...)`, … */
export class AuthRpcs extends AuthPublicRpcs.merge(AuthUserRpcs) {}
