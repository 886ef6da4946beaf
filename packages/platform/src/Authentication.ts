// The server side of the Authentication and Viewer RPC middlewares: Bearer token in, CurrentUser/CurrentViewer out.
import { Authentication, Viewer } from "@lectern/contracts"
import { Unauthorized } from "@lectern/domain"
import { Effect, Layer, Option } from "effect"
import { AccessTokenVerifier } from "./AccessTokens.ts"

const missing = new Unauthorized({ message: "missing bearer token" })

/** Reads `Authorization: Bearer <token>`; anything else is Unauthorized. */
export const bearerToken = (authorization: string | undefined): string | undefined => {
  if (authorization === undefined || authorization.length < 8) return undefined
  const scheme = authorization.slice(0, 7)
  if (scheme.toLowerCase() !== "bearer ") return undefined
  const token = authorization.slice(7).trim()
  return token.length > 0 ? token : undefined
}

export const layerAuthentication = Layer.effect(
  Authentication,
  Effect.gen(function* () {
    const verifier = yield* AccessTokenVerifier
    return Authentication.of(({ headers }) => {
      const token = bearerToken(headers.authorization)
      return token === undefined ? Effect.fail(missing) : verifier.verify(token)
    })
  })
)

const anonymous = Effect.succeed(Option.none())

/**
 * Viewer: no bearer token is an anonymous viewer (`None`); a token is verified exactly as Authentication does, and
 * one that fails (expired, revoked, forged) fails the call with Unauthorized so the client refreshes it.
 */
export const layerViewer = Layer.effect(
  Viewer,
  Effect.gen(function* () {
    const verifier = yield* AccessTokenVerifier
    return Viewer.of(({ headers }) => {
      const token = bearerToken(headers.authorization)
      return token === undefined ? anonymous : Effect.map(verifier.verify(token), Option.some)
    })
  })
)
