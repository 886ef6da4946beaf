// @lectern/client: typed clients for every Lectern service, over HTTP or in-process, with the bearer-token middleware.
import { FetchHttpClient } from "@effect/platform"
import type { Rpc, RpcGroup } from "@effect/rpc"
import { RpcClient, RpcMiddleware, RpcSerialization, RpcTest } from "@effect/rpc"
import { Auth, Authentication, Catalog, EventsAdmin, Learning, Media, Viewer } from "@lectern/contracts"
import { Effect, Layer, type Scope } from "effect"

/** Where the access token comes from: a fixed string, or a function read before every call (e.g. after refresh). */
export type AccessTokenSource = string | (() => string | undefined) | undefined

const readToken = (source: AccessTokenSource) => (typeof source === "function" ? source() : source)

const withBearer =
  (accessToken: AccessTokenSource): RpcMiddleware.RpcMiddlewareClient =>
  ({ request }) => {
    const token = readToken(accessToken)
    return Effect.succeed(
      token === undefined ? request : { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } }
    )
  }

/**
 * Adds `Authorization: Bearer <token>` when a token is known, to every call that carries the Authentication
 * middleware and to every public call that carries Viewer (which shows the caller more, e.g. their own drafts).
 */
export const layerAuthenticationClient = (accessToken: AccessTokenSource) =>
  Layer.merge(
    RpcMiddleware.layerClient(Authentication, withBearer(accessToken)),
    RpcMiddleware.layerClient(Viewer, withBearer(accessToken))
  )

export interface LecternClientOptions {
  /** The gateway's origin, e.g. `http://localhost:3000`. */
  readonly baseUrl: string
  readonly accessToken?: AccessTokenSource
}

/** The HTTP protocol for one domain: NDJSON over POST to `<baseUrl>/rpc/<domain>`. */
export const layerProtocol = (baseUrl: string, domain: string) =>
  RpcClient.layerProtocolHttp({ url: new URL(`/rpc/${domain}`, baseUrl).toString() }).pipe(
    Layer.provide([FetchHttpClient.layer, RpcSerialization.layerNdjson])
  )

const makeDomainClient = <Rpcs extends Rpc.Any>(
  group: RpcGroup.RpcGroup<Rpcs>,
  domain: string,
  options: LecternClientOptions
) =>
  RpcClient.make(group).pipe(
    Effect.provide(Layer.merge(layerProtocol(options.baseUrl, domain), layerAuthenticationClient(options.accessToken)))
  )

/** Typed clients for every service: `const lectern = yield* makeLectern({ baseUrl }); yield* lectern.auth.user.me()`. */
export const makeLectern = (options: LecternClientOptions) =>
  Effect.gen(function* () {
    const auth = yield* makeDomainClient(Auth.AuthRpcs, "auth", options)
    const catalog = yield* makeDomainClient(Catalog.CatalogRpcs, "catalog", options)
    const events = yield* makeDomainClient(EventsAdmin.EventsAdminRpcs, "events", options)
    const media = yield* makeDomainClient(Media.MediaRpcs, "media", options)
    const learning = yield* makeDomainClient(Learning.LearningRpcs, "learning", options)
    return { auth, catalog, events, media, learning }
  })

export type LecternClient = Effect.Effect.Success<ReturnType<typeof makeLectern>>
export type AuthClient = LecternClient["auth"]

export type { Scope }

/**
 * An in-process client for one group (tests, embedded composition): the same Schemas and middleware run, with no
 * HTTP in between. Needs the group's handlers and server middleware in its context.
 */
export const makeInProcessClient = <Rpcs extends Rpc.Any>(
  group: RpcGroup.RpcGroup<Rpcs>,
  accessToken: AccessTokenSource
) => RpcTest.makeClient(group).pipe(Effect.provide(layerAuthenticationClient(accessToken)))
