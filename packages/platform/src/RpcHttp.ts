// A lean node:http server for an RpcGroup: the stock RpcClient's HTTP wire format, one fiber per call and nothing else.
//
// Why: the stock `RpcServer` HTTP protocol builds a scope, a mailbox, a client record, a Deferred-backed fiber and a
// merged runtime for every POST, which leaves it at 0.13–0.20× raw node:http (see /work/shared/PERFORMANCE.md). Here
// everything that does not depend on the request is built once: per RPC a decoder, encoders, the middleware chain
// and a runtime carrying the handler's context; a call is one `Runtime.runFork` on that runtime, and a successful
// reply is encoded by a precompiled encoder (below). `bench/src/rpc-overhead.ts` measured, on a shared 2-core box,
// 0.55–0.81× raw node:http for this (0.43–0.48× with tracing on) against 0.09–0.11× for the stock server.
//
// The contract, for callers that are not the stock client:
// - POST only (else 405). `Content-Type` picks the framing: `*ndjson*` → one message per line, answered as NDJSON;
//   other `*json*` → one message or an array of them, answered as a JSON array; anything else → 415.
// - Bodies over `maxBodyBytes` → 413. A body that is not JSON, holds no messages, or holds a message that is not an
//   object with a known `_tag`, or a `Request` without a usable `id` → 400. All of these answer `{ error, traceId }`.
// - Otherwise HTTP 200 and one `Exit` per `Request`, once every request of the body is done (they run concurrently).
//   Missing `traceId`/`spanId`/`sampled`/`headers` are fine. An unknown `tag` is answered for that request alone with
//   a Die `Unknown request tag: <tag>`. A payload its Schema rejects fails with `InvalidInput` when the RPC's error
//   schema accepts it, and dies with the same readable message otherwise. A handler defect is logged with its trace
//   id and reaches the client only as the Die `Internal error (trace id <id>)`.
// - `Ping` is answered with `Pong`; `Ack` and `Eof` are ignored; `Interrupt` interrupts a request of the same body.
// - Every response carries `x-trace-id`. A client that disconnects interrupts its pending calls.
import { randomBytes } from "node:crypto"
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http"
import { Headers } from "@effect/platform"
import { Rpc, type RpcGroup, RpcSchema } from "@effect/rpc"
import { InvalidInput } from "@lectern/domain"
import {
  Cause,
  Context,
  Data,
  Effect,
  Either,
  Exit,
  type Fiber,
  FiberId,
  identity,
  Option,
  ParseResult,
  Runtime,
  Schema,
  SchemaAST,
  Scope,
  Tracer
} from "effect"
import { CLIENT_IP_HEADER } from "./ClientIp.ts"

/** How much of an oversized body is read (and discarded) before the 413 is sent anyway, and for how long. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024
const DRAIN_TIMEOUT_MS = 10_000

export interface RpcHttpOptions {
  /** The largest request body accepted, in bytes; larger ones get HTTP 413. Default 1 MiB. */
  readonly maxBodyBytes?: number | undefined
  /**
   * Wraps every call in a `<spanPrefix>.<tag>` span whose parent is the caller's span (from the request's `traceId`,
   * `spanId`, `sampled`). Default false: no span work at all, which is what a process without an exporter wants.
   */
  readonly tracing?: boolean | undefined
  /** Default `RpcServer`, the stock server's span names. */
  readonly spanPrefix?: string | undefined
  /**
   * The most messages one body may carry (default 128); more gets HTTP 400. The stock client sends one per POST;
   * the cap keeps one small body from starting thousands of calls at once.
   */
  readonly maxMessagesPerBody?: number | undefined
}

/** What an in-process caller gets back: what the HTTP answer's status and body would have been. */
export interface RpcHttpAnswer {
  readonly status: number
  readonly body: string
}

export interface RpcHttpHandler {
  /** Answers one HTTP request; never throws, always answers (unless the client went away). */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void
  /**
   * Answers one request body handed over in memory by a caller in this process (the gateway's own web app), as
   * `handle` would answer it over HTTP with these request headers and an NDJSON body — without the socket, the HTTP
   * parsing and the body size check. The headers are the ones the edge would have set (the client address among
   * them); a message's own headers merge over them as usual. Never rejects.
   */
  readonly call: (body: string, headers: IncomingHttpHeaders) => Promise<RpcHttpAnswer>
}

/** Where one body's answer goes: an HTTP response, or a caller in this process. */
interface Exchange {
  readonly headers: IncomingHttpHeaders
  readonly reply: (status: number, format: Format, traceId: string, body: string) => void
  readonly replyError: (status: number, error: string) => void
  /** Calls `f` if the caller goes away before the answer (HTTP only). */
  readonly onAbandoned: (f: () => void) => void
}

type ExitEncoded = Schema.ExitEncoded<unknown, unknown, unknown>

interface MiddlewareOptions {
  readonly clientId: number
  readonly rpc: Rpc.AnyWithProps
  readonly payload: unknown
  readonly headers: Headers.Headers
  readonly next?: Effect.Effect<unknown, unknown>
}

/**
 * How a middleware implementation is called. `RpcMiddleware` types `next`/the result of a wrap as an opaque
 * `SuccessValue`; at run time it is the handler's value, which is all this adapter relies on.
 */
type MiddlewareFn = (options: MiddlewareOptions) => Effect.Effect<unknown, unknown>

interface CompiledMiddleware {
  readonly run: MiddlewareFn
  readonly wrap: boolean
  readonly optional: boolean
  readonly provides: Context.Tag<unknown, unknown> | undefined
}

type HandlerResult = ReturnType<Rpc.Handler<string>["handler"]>

/** Effects are Streams too in Effect 3, so the test is for an Effect. */
const isEffectResult = (
  value: HandlerResult
): value is Extract<HandlerResult, { readonly [Effect.EffectTypeId]: unknown }> => Effect.isEffect(value)

/** Everything about one RPC that does not depend on the request, built once. */
interface Route {
  readonly rpc: Rpc.AnyWithProps
  readonly spanName: string
  readonly runtime: Runtime.Runtime<never>
  readonly handler: Rpc.Handler<string>["handler"]
  readonly middlewares: ReadonlyArray<CompiledMiddleware>
  readonly decodePayload: (input: unknown) => Effect.Effect<unknown, ParseResult.ParseError>
  readonly encodeSuccess: (value: unknown) => Effect.Effect<unknown, ParseResult.ParseError>
  readonly encodeExit: (exit: Exit.Exit<unknown, unknown>) => Effect.Effect<ExitEncoded, ParseResult.ParseError>
  readonly acceptsInvalidInput: boolean
}

/** One `Request` message of a body, while it runs. */
interface Call {
  readonly requestId: string
  /** The caller's trace id when it sent a usable one; else the span's (tracing on) or a generated one. */
  traceId: string
  fiber: Fiber.RuntimeFiber<string> | undefined
}

/** Marks a payload its Schema rejected, so it is answered as bad input rather than as a handler defect. */
class PayloadRejected extends Data.TaggedError("PayloadRejected")<{ readonly message: string }> {}

type Format = "ndjson" | "json"

const defaultMaxBodyBytes = 1024 * 1024
const defaultMaxMessagesPerBody = 128
const traceIdPattern = /^[0-9a-fA-F]{32}$/
const spanIdPattern = /^[0-9a-fA-F]{16}$/
const maxRequestIdLength = 64
const maxEchoedLength = 100
const maxInvalidInputMessageLength = 2000

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

/** The stock RpcGroup type only promises `Rpc.Any`; every Rpc made by `Rpc.make` carries these props. */
const hasProps = (rpc: Rpc.Any): rpc is Rpc.Any & Rpc.AnyWithProps => "payloadSchema" in rpc && "middlewares" in rpc

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text)

const formatOf = (contentType: string | undefined): Format | undefined => {
  if (contentType === undefined) return undefined
  const lower = contentType.toLowerCase()
  if (lower.includes("ndjson")) return "ndjson"
  if (lower.includes("json")) return "json"
  return undefined
}

const contentTypes: Record<Format, string> = { ndjson: "application/ndjson", json: "application/json" }

/** Throws on anything that is not JSON; the caller turns that into a 400. */
const parseBody = (body: string, format: Format): ReadonlyArray<unknown> => {
  if (format === "json") {
    if (body.trim() === "") return []
    const value: unknown = JSON.parse(body)
    return Array.isArray(value) ? value : [value]
  }
  const firstNewline = body.indexOf("\n")
  // One line, the stock client's case: no splitting.
  if (firstNewline === -1 || firstNewline === body.length - 1) {
    return body.trim() === "" ? [] : [JSON.parse(body)]
  }
  const messages: Array<unknown> = []
  let start = 0
  while (start < body.length) {
    const newline = body.indexOf("\n", start)
    const end = newline === -1 ? body.length : newline
    const line = body.slice(start, end)
    if (line.trim() !== "") messages.push(JSON.parse(line))
    start = end + 1
  }
  return messages
}

/** A request id as the stock client sends it (a bigint as a string); numbers are accepted and echoed as strings. */
const requestIdOf = (id: unknown): string | undefined => {
  if (typeof id === "string") return id.length > 0 && id.length <= maxRequestIdLength ? id : undefined
  if (typeof id === "number" && Number.isSafeInteger(id)) return String(id)
  return undefined
}

/** A header only the HTTP edge sets: a message naming it would choose its own rate-limit bucket. */
const edgeOnly = (name: string) => name.toLowerCase() === CLIENT_IP_HEADER

/**
 * The message's own headers (`[name, value]` pairs, or a record), merged over the HTTP request's — except the
 * client address, which stays the edge's.
 */
const headersOf = (base: Headers.Headers, input: unknown): Headers.Headers => {
  if (Array.isArray(input)) {
    if (input.length === 0) return base
    const pairs: Array<readonly [string, string]> = []
    for (const pair of input) {
      if (Array.isArray(pair) && pair.length === 2 && typeof pair[0] === "string" && typeof pair[1] === "string") {
        if (!edgeOnly(pair[0])) pairs.push([pair[0], pair[1]])
      }
    }
    return pairs.length === 0 ? base : Headers.merge(base, Headers.fromInput(pairs))
  }
  if (isRecord(input)) {
    const record: Record<string, string> = {}
    for (const [name, value] of Object.entries(input)) {
      if (typeof value === "string" && !edgeOnly(name)) record[name] = value
    }
    return Headers.merge(base, Headers.fromInput(record))
  }
  return base
}

const formatParseError = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  const text = issues
    .map((issue) => (issue.path.length === 0 ? issue.message : `${issue.path.map(String).join(".")}: ${issue.message}`))
    .join("; ")
  return clip(text, maxInvalidInputMessageLength)
}

const exitLine = (requestId: string, exit: ExitEncoded) =>
  `{"_tag":"Exit","requestId":${JSON.stringify(requestId)},"exit":${JSON.stringify(exit)}}`

const dieLine = (requestId: string, defect: string) =>
  exitLine(requestId, { _tag: "Failure", cause: { _tag: "Die", defect } })

const interruptedLine = (requestId: string) =>
  exitLine(requestId, { _tag: "Failure", cause: { _tag: "Interrupt", fiberId: { _tag: "None" } } })

const pongLine = `{"_tag":"Pong"}`

// ---------------------------------------------------------------- fast success encoder
//
// Encoding the reply is most of the per-call CPU (a 20-item list of Schema.Class values: ~17 µs of ~32 µs), and
// almost all of it is ParseResult's generic machinery, not the checks. For the shapes replies are made of — structs,
// classes, arrays, primitives, literals, refinements of them — a closure tree built once per schema does the same
// checks and builds the same output. Anything else (unions of structs, records, suspends, declarations such as a
// class's instance check, options annotations…) is handed to ParseResult for that node. Whenever the fast path
// rejects a value or meets something asynchronous, the value is encoded again by `Schema.encodeUnknown`, so failures
// (and their messages) are exactly the stock ones; only the successful result is computed differently.

const rejected: unique symbol = Symbol("RpcHttp/rejected")

interface FastNode {
  /** The encoded value, or `rejected`. */
  readonly encode: (input: unknown) => unknown
  /** Valid values are returned as they are, so decoding and encoding are the same check. */
  readonly identity: boolean
}

const check = (accepts: (input: unknown) => boolean): FastNode => ({
  encode: (input) => (accepts(input) ? input : rejected),
  identity: true
})

const delegated = (ast: SchemaAST.AST): FastNode => {
  const encode = ParseResult.encodeUnknownEither(Schema.make<unknown, unknown, never>(ast))
  return {
    encode: (input) => {
      const result = encode(input)
      return Either.isRight(result) ? result.right : rejected
    },
    identity: false
  }
}

const compileFast = (ast: SchemaAST.AST): FastNode => {
  if (Option.isSome(SchemaAST.getParseOptionsAnnotation(ast))) return delegated(ast)
  switch (ast._tag) {
    case "StringKeyword":
      return check((input) => typeof input === "string")
    case "NumberKeyword":
      return check((input) => typeof input === "number")
    case "BooleanKeyword":
      return check((input) => typeof input === "boolean")
    case "UndefinedKeyword":
      return check((input) => input === undefined)
    case "UnknownKeyword":
    case "AnyKeyword":
    case "VoidKeyword":
      return check(() => true)
    case "Literal": {
      const literal = ast.literal
      return check((input) => input === literal)
    }
    case "Refinement": {
      // ParseResult encodes a refinement by decoding its type side, then encoding what is under the filters; for
      // an identity base both are the base check followed by every filter, innermost first.
      const filters: Array<SchemaAST.Refinement> = []
      let base: SchemaAST.AST = ast
      while (base._tag === "Refinement") {
        filters.unshift(base)
        base = base.from
      }
      const baseNode = compileFast(base)
      if (!baseNode.identity) return delegated(ast)
      return check(
        (input) =>
          baseNode.encode(input) !== rejected &&
          filters.every((refinement) =>
            Option.isNone(refinement.filter(input, SchemaAST.defaultParseOption, refinement))
          )
      )
    }
    case "Union": {
      const members = ast.types.map(compileFast)
      if (!members.every((member) => member.identity)) return delegated(ast)
      return check((input) => members.some((member) => member.encode(input) !== rejected))
    }
    case "TupleType": {
      const rest = ast.rest[0]
      if (ast.elements.length !== 0 || ast.rest.length !== 1 || rest === undefined) return delegated(ast)
      const item = compileFast(rest.type)
      return {
        encode: (input) => {
          if (!Array.isArray(input)) return rejected
          const output: Array<unknown> = new Array(input.length)
          for (let i = 0; i < input.length; i++) {
            const value = item.encode(input[i])
            if (value === rejected) return rejected
            output[i] = value
          }
          return output
        },
        identity: false
      }
    }
    case "TypeLiteral": {
      if (ast.indexSignatures.length !== 0 || ast.propertySignatures.length === 0) return delegated(ast)
      const properties = ast.propertySignatures.map((signature) => ({
        name: signature.name,
        optional: signature.isOptional,
        node: compileFast(signature.type)
      }))
      return {
        encode: (input) => {
          if (typeof input !== "object" || input === null || Array.isArray(input)) return rejected
          const output: Record<PropertyKey, unknown> = {}
          for (const property of properties) {
            const present = Object.hasOwn(input, property.name)
            if (!present && property.optional) continue
            const value = property.node.encode(Reflect.get(input, property.name))
            if (value === rejected) return rejected
            output[property.name] = value
          }
          return output
        },
        identity: false
      }
    }
    case "Transformation": {
      const transformation = ast.transformation
      if (transformation._tag !== "FinalTransformation") return delegated(ast)
      const typeSide = compileFast(ast.to)
      const encodedSide = compileFast(ast.from)
      return {
        encode: (input) => {
          const value = typeSide.encode(input)
          if (value === rejected) return rejected
          const transformed = transformation.encode(value, SchemaAST.defaultParseOption, ast, input)
          if (!Either.isEither(transformed) || Either.isLeft(transformed)) return rejected
          return encodedSide.encode(transformed.right)
        },
        identity: false
      }
    }
    default:
      return delegated(ast)
  }
}

/**
 * `Schema.encodeUnknown(schema)` with a fast path for the successful case (see above). Exported for the test that
 * checks it agrees with `Schema.encodeUnknown` on generated values.
 */
export const makeFastEncoder = <A, I>(
  schema: Schema.Schema<A, I, never>
): ((value: unknown) => Effect.Effect<unknown, ParseResult.ParseError>) => {
  const fast = compileFast(schema.ast)
  const full = Schema.encodeUnknown(schema)
  return (value) => {
    let encoded: unknown
    try {
      encoded = fast.encode(value)
    } catch {
      encoded = rejected
    }
    return encoded === rejected ? full(value) : Effect.succeed(encoded)
  }
}

/**
 * Builds the handler for `group`. Needs what `group.toLayer(...)` and the group's middleware layers provide, and
 * dies here (not at the first request) when a handler or a middleware implementation is missing, or when the group
 * has a streaming RPC, which this adapter does not serve yet.
 */
export const makeRpcHttpHandler = <Rpcs extends Rpc.Any>(
  group: RpcGroup.RpcGroup<Rpcs>,
  options: RpcHttpOptions = {}
): Effect.Effect<RpcHttpHandler, never, Rpc.ToHandler<Rpcs> | Rpc.Middleware<Rpcs> | Rpc.Context<Rpcs>> =>
  Effect.gen(function* () {
    const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes
    const maxMessagesPerBody = options.maxMessagesPerBody ?? defaultMaxMessagesPerBody
    const tracing = options.tracing ?? false
    const spanPrefix = options.spanPrefix ?? "RpcServer"
    const captured = yield* Effect.runtime<Rpc.ToHandler<Rpcs> | Rpc.Middleware<Rpcs> | Rpc.Context<Rpcs>>()
    // A span or scope around the construction must not become every call's parent span or finalizer scope.
    const serverContext = Context.omit(Tracer.ParentSpan, Scope.Scope)(captured.context)

    const routes = new Map<string, Route>()
    for (const rpc of group.requests.values()) {
      if (!hasProps(rpc)) return yield* Effect.dieMessage(`RpcHttp: ${rpc._tag} is not an Rpc made by Rpc.make`)
      if (RpcSchema.isStreamSchema(rpc.successSchema)) {
        return yield* Effect.dieMessage(`RpcHttp: ${rpc._tag} is a streaming RPC; streams are not served over RpcHttp`)
      }
      const entry = Context.getOption(captured.context, Context.GenericTag<never, Rpc.Handler<string>>(rpc.key))
      if (Option.isNone(entry)) {
        return yield* Effect.dieMessage(`RpcHttp: no handler for ${rpc._tag}; provide the group's toLayer(...)`)
      }
      const middlewares: Array<CompiledMiddleware> = []
      for (const tag of rpc.middlewares) {
        const run = Context.getOption(captured.context, Context.GenericTag<never, MiddlewareFn>(tag.key))
        if (Option.isNone(run)) {
          return yield* Effect.dieMessage(`RpcHttp: no implementation of middleware ${tag.key} (used by ${rpc._tag})`)
        }
        middlewares.push({ run: run.value, wrap: tag.wrap, optional: tag.optional, provides: tag.provides })
      }
      const exitSchema = Schema.make<Exit.Exit<unknown, unknown>, ExitEncoded, never>(Rpc.exitSchema(rpc).ast)
      const payloadSchema = Schema.make<unknown, unknown, never>(rpc.payloadSchema.ast)
      routes.set(rpc._tag, {
        rpc,
        spanName: `${spanPrefix}.${rpc._tag}`,
        // Like the stock server: the handler layer's context, overridden by the server's.
        runtime: Runtime.make({
          context: Context.merge(entry.value.context, serverContext),
          fiberRefs: captured.fiberRefs,
          runtimeFlags: Runtime.defaultRuntime.runtimeFlags
        }),
        handler: entry.value.handler,
        middlewares,
        decodePayload: Schema.decodeUnknown(payloadSchema, { errors: "all" }),
        encodeSuccess: makeFastEncoder(Schema.make<unknown, unknown, never>(rpc.successSchema.ast)),
        encodeExit: Schema.encode(exitSchema),
        acceptsInvalidInput: Either.isRight(
          ParseResult.encodeEither(exitSchema)(Exit.fail(new InvalidInput({ message: "probe" })))
        )
      })
    }

    const traceIdPrefix = randomBytes(8).toString("hex")
    let traceCounter = 0
    const nextTraceId = () => traceIdPrefix + (++traceCounter).toString(16).padStart(16, "0")
    let nextClientId = 0

    const runHandler = (route: Route, payload: unknown, headers: Headers.Headers, clientId: number) => {
      // Suspended so a handler that does work when called still runs after its middleware (and a throw is a defect).
      let effect: Effect.Effect<unknown, unknown> = Effect.suspend((): Effect.Effect<unknown, unknown> => {
        const result = route.handler(payload, { clientId, headers })
        const wrapper = Rpc.isWrapper(result) ? result : undefined
        const value: HandlerResult = wrapper === undefined ? result : wrapper.value
        if (!isEffectResult(value)) return Effect.dieMessage(`RpcHttp: ${route.rpc._tag} returned a stream`)
        return wrapper?.uninterruptible === true ? Effect.uninterruptible(value) : value
      })
      // The stock server's order and semantics (RpcServer.applyMiddleware): the last middleware is the outermost.
      for (const middleware of route.middlewares) {
        const middlewareOptions = { clientId, rpc: route.rpc, payload, headers }
        const provides = middleware.provides
        if (middleware.wrap) {
          effect = middleware.run({ ...middlewareOptions, next: effect })
        } else if (middleware.optional) {
          const previous = effect
          effect = Effect.matchEffect(middleware.run(middlewareOptions), {
            onFailure: () => previous,
            onSuccess: (value) => (provides === undefined ? previous : Effect.provideService(previous, provides, value))
          })
        } else {
          effect =
            provides === undefined
              ? Effect.zipRight(middleware.run(middlewareOptions), effect)
              : Effect.provideServiceEffect(effect, provides, middleware.run(middlewareOptions))
        }
      }
      return effect
    }

    const internalError = (route: Route, call: Call, cause: Cause.Cause<unknown>) =>
      Effect.logError("RPC call failed with a defect", cause).pipe(
        Effect.annotateLogs({ traceId: call.traceId, rpc: route.rpc._tag, requestId: call.requestId }),
        Effect.as(dieLine(call.requestId, `Internal error (trace id ${call.traceId})`))
      )

    const lineOf = <A>(
      route: Route,
      call: Call,
      encode: Effect.Effect<A, ParseResult.ParseError>,
      toExit: (encoded: A) => ExitEncoded
    ) =>
      Effect.matchCauseEffect(encode, {
        onFailure: (cause) => internalError(route, call, cause),
        onSuccess: (encoded) => {
          try {
            return Effect.succeed(exitLine(call.requestId, toExit(encoded)))
          } catch (error) {
            return internalError(route, call, Cause.die(error))
          }
        }
      })

    // A success is encoded with the success schema alone: what the Exit schema would produce, for less work.
    const succeeded = (route: Route, call: Call, value: unknown) =>
      lineOf(route, call, route.encodeSuccess(value), (encoded): ExitEncoded => ({ _tag: "Success", value: encoded }))

    const encodeReply = (route: Route, call: Call, exit: Exit.Exit<unknown, unknown>) =>
      lineOf(route, call, route.encodeExit(exit), identity)

    const failed = (route: Route, call: Call, cause: Cause.Cause<unknown>): Effect.Effect<string> => {
      const failure = Cause.failureOption(cause)
      if (Option.isSome(failure) && failure.value instanceof PayloadRejected) {
        const message = failure.value.message
        return route.acceptsInvalidInput
          ? encodeReply(route, call, Exit.fail(new InvalidInput({ message })))
          : Effect.succeed(dieLine(call.requestId, message))
      }
      if (Cause.isDie(cause)) return internalError(route, call, cause)
      return encodeReply(route, call, Exit.failCause(cause))
    }

    /** One fiber's work: decode, middleware, handler, then the encoded `Exit` line (never fails). */
    const callEffect = (
      route: Route,
      call: Call,
      request: Readonly<Record<string, unknown>>,
      headers: Headers.Headers,
      clientId: number
    ) => {
      const run = Effect.flatMap(
        Effect.mapError(
          route.decodePayload(request.payload),
          (error) => new PayloadRejected({ message: formatParseError(error) })
        ),
        (payload) => runHandler(route, payload, headers, clientId)
      )
      const answer = {
        onSuccess: (value: unknown) => succeeded(route, call, value),
        onFailure: (cause: Cause.Cause<unknown>) => failed(route, call, cause)
      }
      if (!tracing) return Effect.matchCauseEffect(run, answer)
      const traceId = request.traceId
      const spanId = request.spanId
      const parent =
        typeof traceId === "string" &&
        traceIdPattern.test(traceId) &&
        typeof spanId === "string" &&
        spanIdPattern.test(spanId)
          ? Tracer.externalSpan({ traceId, spanId, sampled: request.sampled !== false })
          : undefined
      const traced = Effect.useSpan(
        route.spanName,
        {
          ...(parent === undefined ? { root: true } : { parent }),
          kind: "server",
          captureStackTrace: false,
          attributes: { requestId: call.requestId }
        },
        (span) => {
          call.traceId = span.traceId
          return Effect.withParentSpan(run, span)
        }
      )
      return Effect.matchCauseEffect(traced, answer)
    }

    /** For bugs of this module only; it logs through the server's runtime like a handler defect. */
    const logBug = (error: unknown, traceId: string) =>
      Runtime.runFork(
        captured,
        Effect.logError("RpcHttp failed to answer a request", Cause.die(error)).pipe(Effect.annotateLogs({ traceId }))
      )

    const reply = (res: ServerResponse, status: number, format: Format, traceId: string, body: string) => {
      if (res.writableEnded || res.destroyed) return
      try {
        res.writeHead(status, { "content-type": contentTypes[format], "x-trace-id": traceId })
        res.end(body)
      } catch (error) {
        logBug(error, traceId)
        res.destroy()
      }
    }

    const replyError = (res: ServerResponse, status: number, error: string, extraHeaders?: Record<string, string>) => {
      if (res.writableEnded || res.destroyed) return
      const traceId = nextTraceId()
      res.writeHead(status, { "content-type": "application/json", "x-trace-id": traceId, ...extraHeaders })
      res.end(JSON.stringify({ error, traceId }))
    }

    const dispatch = (exchange: Exchange, format: Format, body: string) => {
      const replyError = exchange.replyError
      let messages: ReadonlyArray<unknown>
      try {
        messages = parseBody(body, format)
      } catch {
        return replyError(400, format === "ndjson" ? "Body is not NDJSON" : "Body is not JSON")
      }
      if (messages.length === 0) return replyError(400, "Body holds no messages")
      if (messages.length > maxMessagesPerBody) {
        return replyError(400, `Body holds more than ${maxMessagesPerBody} messages`)
      }

      // Validate every message before running any, so a bad body runs nothing.
      const requests: Array<Readonly<Record<string, unknown>>> = []
      const interrupts: Array<string> = []
      let pongs = 0
      for (const message of messages) {
        if (!isRecord(message)) return replyError(400, "Each message must be a JSON object")
        switch (message._tag) {
          case "Request": {
            if (requestIdOf(message.id) === undefined) {
              return replyError(400, `A Request needs an id: a string of at most ${maxRequestIdLength} characters`)
            }
            requests.push(message)
            break
          }
          case "Ping":
            pongs++
            break
          case "Interrupt": {
            const requestId = requestIdOf(message.requestId)
            if (requestId !== undefined) interrupts.push(requestId)
            break
          }
          case "Ack":
          case "Eof":
            break
          default:
            return replyError(400, `Unknown message type: ${clip(String(message._tag), maxEchoedLength)}`)
        }
      }

      const lines: Array<string> = []
      for (let i = 0; i < pongs; i++) lines.push(pongLine)
      const calls: Array<Call> = []
      let pending = requests.length
      const finish = () => {
        const body = format === "ndjson" ? `${lines.join("\n")}\n` : `[${lines.join(",")}]`
        exchange.reply(200, format, calls[0]?.traceId ?? nextTraceId(), body)
      }
      if (pending === 0) return finish()
      // A call may settle synchronously inside runFork; the last one to settle answers.
      const settle = (line: string) => {
        lines.push(line)
        if (--pending === 0) finish()
      }

      let baseHeaders: Headers.Headers | undefined
      // Like the stock server: one client id per HTTP request, shared by its messages.
      const clientId = nextClientId++
      for (const request of requests) {
        const requestId = requestIdOf(request.id) ?? ""
        const given = request.traceId
        const call: Call = {
          requestId,
          traceId: typeof given === "string" && traceIdPattern.test(given) ? given : nextTraceId(),
          fiber: undefined
        }
        calls.push(call)
        const tag = request.tag
        const route = typeof tag === "string" ? routes.get(tag) : undefined
        if (route === undefined) {
          settle(dieLine(requestId, `Unknown request tag: ${clip(String(tag), maxEchoedLength)}`))
          continue
        }
        baseHeaders ??= Headers.fromInput(exchange.headers)
        const fiber = Runtime.runFork(
          route.runtime,
          callEffect(route, call, request, headersOf(baseHeaders, request.headers), clientId)
        )
        call.fiber = fiber
        // The call's effect never fails; a failed fiber was interrupted (Interrupt message or client gone).
        fiber.addObserver((exit) => settle(exit._tag === "Success" ? exit.value : interruptedLine(requestId)))
      }
      if (pending === 0) return

      for (const requestId of interrupts) {
        for (const call of calls) if (call.requestId === requestId) call.fiber?.unsafeInterruptAsFork(FiberId.none)
      }
      exchange.onAbandoned(() => {
        if (pending === 0) return
        for (const call of calls) call.fiber?.unsafeInterruptAsFork(FiberId.none)
      })
    }

    const httpExchange = (req: IncomingMessage, res: ServerResponse): Exchange => ({
      headers: req.headers,
      reply: (status, format, traceId, body) => reply(res, status, format, traceId, body),
      replyError: (status, error) => replyError(res, status, error),
      onAbandoned: (f) => res.once("close", f)
    })

    const rejectTooLarge = (req: IncomingMessage, res: ServerResponse) => {
      // The 413 is sent once the client has finished sending (read and discarded, up to a bound): answering earlier
      // makes Node close the socket while the client still writes, and the client sees a reset instead of the 413.
      let drained = 0
      const answer = () => {
        clearTimeout(deadline)
        if (!res.headersSent) replyError(res, 413, `Body exceeds ${maxBodyBytes} bytes`, { connection: "close" })
      }
      const deadline = setTimeout(answer, DRAIN_TIMEOUT_MS)
      req.on("data", (chunk: Buffer) => {
        drained += chunk.length
        if (drained > DRAIN_LIMIT_BYTES) answer()
      })
      req.once("end", answer)
      req.once("error", answer)
      req.resume()
    }

    const handle = (req: IncomingMessage, res: ServerResponse): void => {
      if (req.method !== "POST") {
        replyError(res, 405, "RPC calls are POST requests", { allow: "POST" })
        return
      }
      const format = formatOf(req.headers["content-type"])
      if (format === undefined) {
        replyError(res, 415, "Content-Type must be application/ndjson or application/json")
        return
      }
      const declared = req.headers["content-length"]
      if (declared !== undefined && Number(declared) > maxBodyBytes) {
        rejectTooLarge(req, res)
        return
      }
      const chunks: Array<Buffer> = []
      let size = 0
      let rejected = false
      req.on("data", (chunk: Buffer) => {
        if (rejected) return
        size += chunk.length
        if (size > maxBodyBytes) {
          rejected = true
          chunks.length = 0
          rejectTooLarge(req, res)
          return
        }
        chunks.push(chunk)
      })
      req.on("end", () => {
        if (rejected) return
        const body =
          chunks.length === 1 ? (chunks[0]?.toString("utf8") ?? "") : Buffer.concat(chunks, size).toString("utf8")
        try {
          dispatch(httpExchange(req, res), format, body)
        } catch (error) {
          const traceId = nextTraceId()
          logBug(error, traceId)
          if (!res.headersSent && !res.destroyed) {
            res.writeHead(500, { "content-type": "application/json", "x-trace-id": traceId })
            res.end(JSON.stringify({ error: `Internal error (trace id ${traceId})`, traceId }))
          }
        }
      })
      req.on("error", () => {
        // The client went away mid-body; there is no one to answer.
        rejected = true
      })
    }

    const call: RpcHttpHandler["call"] = (body, headers) =>
      new Promise((resolve) => {
        const answer = (status: number, text: string) => resolve({ status, body: text })
        const exchange: Exchange = {
          headers,
          reply: (status, _format, _traceId, text) => answer(status, text),
          replyError: (status, error) => answer(status, JSON.stringify({ error, traceId: nextTraceId() })),
          onAbandoned: () => {}
        }
        try {
          dispatch(exchange, "ndjson", body)
        } catch (error) {
          const traceId = nextTraceId()
          logBug(error, traceId)
          answer(500, JSON.stringify({ error: `Internal error (trace id ${traceId})`, traceId }))
        }
      })

    return { handle, call }
  })
