// The authentication middlewares RPCs carry — Authentication (a caller required) and Viewer (a caller if any) — and what they provide.
import { RpcMiddleware } from "@effect/rpc"
import { type Role, Unauthorized, type UserId } from "@lectern/domain"
import { Context, type Option } from "effect"

export interface AuthenticatedUser {
  readonly id: UserId
  readonly role: Role
  /** The access token's `jti`. */
  readonly tokenId: string
  /** The login session (refresh-token family) the token belongs to; logout revokes it. */
  readonly sessionId: string
  /** The access token's `iat` in seconds. */
  readonly issuedAt: number
}

export class CurrentUser extends Context.Tag("@lectern/CurrentUser")<CurrentUser, AuthenticatedUser>() {}

/** Verifies `Authorization: Bearer <access token>` and provides CurrentUser; fails with Unauthorized. */
export class Authentication extends RpcMiddleware.Tag<Authentication>()("@lectern/Authentication", {
  provides: CurrentUser,
  failure: Unauthorized,
  requiredForClient: true
}) {}

/** The caller of a public RPC: `None` for an anonymous call, the verified user when a token was sent. */
export class CurrentViewer extends Context.Tag("@lectern/CurrentViewer")<
  CurrentViewer,
  Option.Option<AuthenticatedUser>
>() {}

/**
 * For public RPCs that show more to some callers (an owner sees their draft). No `Authorization` header: an
 * anonymous viewer. A header with a token that does not verify (expired, revoked, forged): Unauthorized, like
 * Authentication — a client holding a stale token is told to refresh it, rather than silently getting the public
 * view and taking it for theirs. The typed client sends its token on these calls too (`requiredForClient`).
 */
export class Viewer extends RpcMiddleware.Tag<Viewer>()("@lectern/Viewer", {
  provides: CurrentViewer,
  failure: Unauthorized,
  requiredForClient: true
}) {}
