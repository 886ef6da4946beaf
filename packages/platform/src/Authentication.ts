// The server side of the Authentication RPC middleware: Bearer token in, CurrentUser out, Unauthorized otherwise.
import { Authentication } from "@lectern/contracts"
import { Unauthorized } from "@lectern/domain"
import { Effect, Layer } from "effect"
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
