// Test users without the auth service: an id and a role with an access token signed by the platform's issuer.
import { type Role, UserId } from "@lectern/domain"
import { AccessTokenIssuer } from "@lectern/platform/AccessTokens"
import { Effect } from "effect"

export interface TestUser {
  readonly id: UserId
  readonly role: Role
  readonly token: string
  /** For public calls, which send no token by themselves: `client.course.get(ref, user.headers)`. */
  readonly headers: { readonly headers: { readonly authorization: string } }
}

/** A new user with `role` and a valid access token (services know users only by the id in their token). */
export const userWith = (role: Role) =>
  Effect.gen(function* () {
    const issuer = yield* AccessTokenIssuer
    const id = UserId.make(crypto.randomUUID())
    const { token } = yield* issuer.issue({ id, role, sessionId: crypto.randomUUID() })
    return { id, role, token, headers: { headers: { authorization: `Bearer ${token}` } } } satisfies TestUser
  })
