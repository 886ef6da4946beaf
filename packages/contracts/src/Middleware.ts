// The authentication middleware every authenticated RPC carries, and the CurrentUser it provides to handlers.
import { RpcMiddleware } from "@effect/rpc"
import { type Role, Unauthorized, type UserId } from "@lectern/domain"
import { Context } from "effect"

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
