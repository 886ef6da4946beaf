// @lectern/client: typed clients for every Lectern service, over HTTP or in-process, with the bearer-token middleware.
import { FetchHttpClient, HttpClient, HttpClientRequest } from "@effect/platform"
import type { Rpc, RpcGroup } from "@effect/rpc"
import { RpcClient, RpcMiddleware, RpcSerialization, RpcTest } from "@effect/rpc"
import { Auth, Authentication, Catalog, EventsAdmin, Learning, Media, Viewer } from "@lectern/contracts"
import { Effect, FiberRef, Layer, type Scope } from "effect"

/** Where the access token comes from: a fixed string, or a function read before every call (e.g. after refresh). */
export type AccessTokenSource = string | (() => string | undefined) | undefined

const readToken = (source: AccessTokenSource) => (typeof source === "function" ? source() : source)

/**
 * Who the calls inside `asCaller(caller)(effect)` are made for, on a client shared by many callers at once (the web
 * app's server keeps one client per process: building one costs milliseconds of CPU). Read from the calling fiber,
 * so concurrent callers never see each other's token or address.
 */
export interface Caller {
  readonly accessToken?: string | undefined
  readonly forwarding?: Forwarding | undefined
}

const currentCaller = FiberRef.unsafeMake<Caller>({})

/** The caller the calling fiber runs as (`asCaller`); empty outside one. */
export const callerOf: Effect.Effect<Caller> = FiberRef.get(currentCaller)

/** Runs `effect`'s calls as `caller`; a client's own `accessToken` or `forwarding` option, when set, still wins. */
export const asCaller =
  (caller: Caller) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.locally(effect, currentCaller, caller)

const withBearer =
  (accessToken: AccessTokenSource): RpcMiddleware.RpcMiddlewareClient =>
  ({ request }) =>
    Effect.map(FiberRef.get(currentCaller), (caller) => {
      const token = readToken(accessToken) ?? caller.accessToken
      return token === undefined
        ? request
        : { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } }
    })

/**
 * Adds `Authorization: Bearer <token>` when a token is known, to every call that carries the Authentication
 * middleware and to every public call that carries Viewer (which shows the caller more, e.g. their own drafts).
 */
export const layerAuthenticationClient = (accessToken: AccessTokenSource) =>
  Layer.merge(
    RpcMiddleware.layerClient(Authentication, withBearer(accessToken)),
    RpcMiddleware.layerClient(Viewer, withBearer(accessToken))
  )

/**
 * Whose request a call is made for, when the caller is the gateway's own web app: the browser's address and the
 * gateway's per-process secret (`forwardingSecret()`). The gateway's edge takes the address only with that secret,
 * so its per-address rate limits see the browser rather than the web app's loopback connection.
 */
export interface Forwarding {
  readonly clientAddress: string
  readonly secret: string
}

/** The headers a forwarded call carries (the edge reads them: packages/platform/src/ClientIp.ts). */
export const FORWARDED_CLIENT_HEADER = "x-lectern-forwarded-client"
export const FORWARDING_SECRET_HEADER = "x-lectern-forwarding-secret"

// On globalThis under a registered symbol: the web app's server bundle carries its own copy of this module.
const SECRET_KEY = Symbol.for("@lectern/client/forwarding-secret")
const secretHolder = globalThis as { [SECRET_KEY]?: string | undefined }

/** Set by the gateway at start, before its web app serves: the secret its edge accepts forwarded addresses with. */
export const setForwardingSecret = (secret: string | undefined) => {
  secretHolder[SECRET_KEY] = secret
}

/** The secret the gateway hosting this process's web app set; undefined anywhere else (e.g. `vite dev`). */
export const forwardingSecret = (): string | undefined => secretHolder[SECRET_KEY]

/**
 * Hands one RPC body to the services without HTTP: `domain` as in `/rpc/<domain>`, the NDJSON body and the headers
 * the HTTP request would carry; answers what the HTTP answer's status and body would be.
 */
export type RpcTransport = (
  domain: string,
  body: string,
  headers: Readonly<Record<string, string>>
) => Promise<{ readonly status: number; readonly body: string }>

const TRANSPORT_KEY = Symbol.for("@lectern/client/in-process-transport")
const transportHolder = globalThis as { [TRANSPORT_KEY]?: RpcTransport | undefined }

/**
 * Set by the gateway at start, before its web app serves: its RPC handlers, in memory, so that the web app's server
 * functions (same process) skip the loopback socket and HTTP on both ends.
 */
export const setInProcessTransport = (transport: RpcTransport | undefined) => {
  transportHolder[TRANSPORT_KEY] = transport
}

/** The transport the gateway hosting this process's web app set; undefined anywhere else (e.g. `vite dev`). */
export const inProcessTransport = (): RpcTransport | undefined => transportHolder[TRANSPORT_KEY]

export interface LecternClientOptions {
  /** The gateway's origin, e.g. `http://localhost:3000`. */
  readonly baseUrl: string
  readonly accessToken?: AccessTokenSource
  /** Only for the gateway's own web app: the browser this call is made for. */
  readonly forwarding?: Forwarding | undefined
  /**
   * The HTTP client the calls go through; default the platform's `fetch`. A Node server calling often may pass
   * `NodeHttpClient.layer` from `@effect/platform-node` (node:http with keep-alive, cheaper per call than undici's
   * fetch).
   */
  readonly httpClient?: Layer.Layer<HttpClient.HttpClient> | undefined
}

const withForwarding = (request: HttpClientRequest.HttpClientRequest, forwarding: Forwarding | undefined) =>
  forwarding === undefined
    ? request
    : HttpClientRequest.setHeaders(request, {
        [FORWARDED_CLIENT_HEADER]: forwarding.clientAddress,
        [FORWARDING_SECRET_HEADER]: forwarding.secret
      })

/**
 * The HTTP protocol for one domain: NDJSON over POST to `<baseUrl>/rpc/<domain>`, with the forwarding headers on
 * every HTTP request when given here, or by the calling fiber's `asCaller`.
 */
export const layerProtocol = (
  baseUrl: string,
  domain: string,
  forwarding?: Forwarding,
  httpClient: Layer.Layer<HttpClient.HttpClient> = FetchHttpClient.layer
) =>
  RpcClient.layerProtocolHttp({
    url: new URL(`/rpc/${domain}`, baseUrl).toString(),
    transformClient:
      forwarding === undefined
        ? HttpClient.mapRequestEffect((request) =>
            Effect.map(FiberRef.get(currentCaller), (caller) => withForwarding(request, caller.forwarding))
          )
        : HttpClient.mapRequest((request) => withForwarding(request, forwarding))
  }).pipe(Layer.provide([httpClient, RpcSerialization.layerNdjson]))

const makeDomainClient = <Rpcs extends Rpc.Any>(
  group: RpcGroup.RpcGroup<Rpcs>,
  domain: string,
  options: LecternClientOptions
) =>
  RpcClient.make(group).pipe(
    Effect.provide(
      Layer.merge(
        layerProtocol(options.baseUrl, domain, options.forwarding, options.httpClient),
        layerAuthenticationClient(options.accessToken)
      )
    )
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
