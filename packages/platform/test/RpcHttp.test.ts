// RpcHttp end to end (stock RpcClient over NDJSON and JSON, raw bad input, side by side with the stock RpcServer) and its fast encoder.
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { FetchHttpClient, HttpRouter, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Rpc, RpcClient, RpcGroup, RpcSerialization, RpcServer } from "@effect/rpc"
import { describe, expect, it, layer } from "@effect/vitest"
import { InvalidInput, Unauthorized } from "@lectern/domain"
import { makeFastEncoder, makeRpcHttpHandler, type RpcHttpOptions } from "@lectern/platform/RpcHttp"
import {
  Arbitrary,
  Cause,
  Context,
  Data,
  Effect,
  Either,
  Exit,
  FastCheck,
  Fiber,
  HashMap,
  Layer,
  Logger,
  Option,
  ParseResult,
  Schedule,
  Schema,
  Stream
} from "effect"
import {
  ada,
  FixtureRpcs,
  FixtureServerLive,
  goodToken,
  Item,
  ItemExists,
  layerFixtureAuthClient,
  leakedSql
} from "./fixtures/RpcFixtures.ts"

// ---------------------------------------------------------------- servers

interface LogEntry {
  readonly level: string
  readonly message: unknown
  readonly annotations: Readonly<Record<string, unknown>>
  readonly cause: string
}

interface Urls {
  readonly lean: string
  readonly leanTraced: string
  readonly leanSmall: string
  readonly stockNdjson: string
  readonly stockJson: string
  /** What the lean servers logged. */
  readonly logs: ReadonlyArray<LogEntry>
}

class Servers extends Context.Tag("test/RpcHttp/Servers")<Servers, Urls>() {}

const smallLimit = 1024

const listen = (handle: Parameters<typeof createServer>[1]) =>
  Effect.acquireRelease(
    Effect.async<ReturnType<typeof createServer>>((resume) => {
      const server = createServer(handle)
      server.once("error", (error) => resume(Effect.die(error)))
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(
    Effect.map((server) => {
      const address = server.address()
      if (address === null || typeof address === "string") throw new Error("expected a TCP address")
      return `http://127.0.0.1:${(address satisfies AddressInfo).port}/rpc`
    })
  )

const leanServer = (options?: RpcHttpOptions) =>
  Effect.flatMap(makeRpcHttpHandler(FixtureRpcs, options), (handler) => listen(handler.handle))

const stockServer = (serialization: Layer.Layer<RpcSerialization.RpcSerialization>) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(
      HttpRouter.Default.serve().pipe(
        Layer.provide(RpcServer.layer(FixtureRpcs)),
        Layer.provide(RpcServer.layerProtocolHttp({ path: "/rpc" })),
        Layer.provide([FixtureServerLive, serialization]),
        Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
      )
    )
    return `${HttpServer.formatAddress(Context.get(context, HttpServer.HttpServer).address)}/rpc`
  })

const ServersLive = Layer.scoped(
  Servers,
  Effect.gen(function* () {
    const logs: Array<LogEntry> = []
    const capture = Logger.make<unknown, void>(({ logLevel, message, annotations, cause }) => {
      logs.push({
        level: logLevel.label,
        message,
        annotations: Object.fromEntries(HashMap.toEntries(annotations)),
        cause: Cause.pretty(cause)
      })
    })
    const lean = yield* Effect.all({
      lean: leanServer(),
      leanTraced: leanServer({ tracing: true }),
      leanSmall: leanServer({ maxBodyBytes: smallLimit })
    }).pipe(Effect.provide(Layer.merge(FixtureServerLive, Logger.replace(Logger.defaultLogger, capture))))
    return {
      ...lean,
      stockNdjson: yield* stockServer(RpcSerialization.layerNdjson),
      stockJson: yield* stockServer(RpcSerialization.layerJson),
      logs
    }
  })
)

// ---------------------------------------------------------------- clients

/** `token: undefined` sends no Authorization header. */
const makeClient = (
  url: string,
  serialization: Layer.Layer<RpcSerialization.RpcSerialization>,
  options: { readonly token: string | undefined } = { token: goodToken }
) =>
  RpcClient.make(FixtureRpcs).pipe(
    Effect.provide(
      Layer.merge(
        RpcClient.layerProtocolHttp({ url }).pipe(Layer.provide([FetchHttpClient.layer, serialization])),
        layerFixtureAuthClient(options.token)
      )
    )
  )

type Outcome = { readonly success: unknown } | { readonly failure: unknown } | { readonly defect: unknown }

const outcome = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(
    Effect.exit(effect),
    (exit): Outcome =>
      Exit.isSuccess(exit)
        ? { success: exit.value }
        : Option.match(Cause.failureOption(exit.cause), {
            onSome: (failure) => ({ failure }),
            onNone: () => ({ defect: Cause.squash(exit.cause) })
          })
  )

/** The well-formed calls whose outcomes the lean and the stock server must agree on. */
const wellFormedCalls = (url: string, serialization: Layer.Layer<RpcSerialization.RpcSerialization>) =>
  Effect.gen(function* () {
    const client = yield* makeClient(url, serialization)
    const anonymous = yield* makeClient(url, serialization, { token: undefined })
    const wrongToken = yield* makeClient(url, serialization, { token: "stolen" })
    return {
      echo: yield* outcome(client.echo({ text: "héllo ✓" })),
      created: yield* outcome(client.item.create({ title: "Lamp", price: 12.5 })),
      taken: yield* outcome(client.item.create({ title: "taken", price: 1 })),
      whoami: yield* outcome(client.user.whoami()),
      whoamiAnonymous: yield* outcome(anonymous.user.whoami()),
      whoamiWrongToken: yield* outcome(wrongToken.user.whoami()),
      // greet's middleware is server-only (no client half), so the caller sets the header itself.
      greet: yield* outcome(client.greet(undefined, { headers: { authorization: `Bearer ${goodToken}` } })),
      greetAnonymous: yield* outcome(anonymous.greet()),
      audit: yield* outcome(client.audit.trail({ note: "n1" }))
    }
  })

// ---------------------------------------------------------------- raw HTTP

class FetchFailed extends Data.TaggedError("FetchFailed")<{ readonly cause: unknown }> {}

interface RawResponse {
  readonly status: number
  readonly contentType: string | null
  readonly traceId: string | null
  readonly text: string
}

const post = (
  url: string,
  body: BodyInit,
  init: {
    readonly contentType?: string
    readonly method?: string
    readonly headers?: Readonly<Record<string, string>>
  } = {}
) =>
  Effect.tryPromise({
    try: async (signal): Promise<RawResponse> => {
      const response = await fetch(url, {
        method: init.method ?? "POST",
        headers: { ...init.headers, "content-type": init.contentType ?? "application/ndjson" },
        signal,
        ...(init.method === "GET" ? {} : { body, duplex: "half" })
      })
      return {
        status: response.status,
        contentType: response.headers.get("content-type"),
        traceId: response.headers.get("x-trace-id"),
        text: await response.text()
      }
    },
    catch: (cause) => new FetchFailed({ cause })
  })

const ndjson = (...messages: ReadonlyArray<unknown>) =>
  messages.map((message) => `${JSON.stringify(message)}\n`).join("")

const lines = (text: string): ReadonlyArray<unknown> =>
  text
    .split("\n")
    .filter((line) => line !== "")
    .map((line): unknown => JSON.parse(line))

const parseJson = (text: string): unknown => JSON.parse(text)

const request = (id: string, tag: string, payload: unknown, extra: Readonly<Record<string, unknown>> = {}) => ({
  _tag: "Request",
  id,
  tag,
  payload,
  headers: [],
  traceId: "0af7651916cd43dd8448eb211c80319c",
  spanId: "b7ad6b7169203331",
  sampled: true,
  ...extra
})

const traceIdShape = /^[0-9a-f]{32}$/

const decodeItemCreateExit = Schema.decodeUnknownSync(Rpc.exitSchema(FixtureRpcs.requests.get("item.create")!))

// ---------------------------------------------------------------- tests

const serializations = [
  ["NDJSON", RpcSerialization.layerNdjson, "stockNdjson"],
  ["JSON", RpcSerialization.layerJson, "stockJson"]
] as const

layer(ServersLive, { excludeTestServices: true })("RpcHttp", (it) => {
  for (const [name, serialization, stockKey] of serializations) {
    describe(`the stock RpcClient over ${name}`, () => {
      it.scoped("gets typed successes, typed failures, middleware failures and provided services", () =>
        Effect.gen(function* () {
          const { lean } = yield* Servers
          const calls = yield* wellFormedCalls(lean, serialization)
          expect(calls.echo).toStrictEqual({ success: { text: "héllo ✓", length: 7 } })
          expect(calls.created).toStrictEqual({ success: new Item({ id: "item-Lamp", title: "Lamp", price: 12.5 }) })
          expect("failure" in calls.taken && calls.taken.failure).toBeInstanceOf(ItemExists)
          expect(calls.taken).toStrictEqual({ failure: new ItemExists({ title: "taken" }) })
          expect(calls.whoami).toStrictEqual({ success: ada })
          expect("failure" in calls.whoamiAnonymous && calls.whoamiAnonymous.failure).toBeInstanceOf(Unauthorized)
          expect("failure" in calls.whoamiWrongToken && calls.whoamiWrongToken.failure).toBeInstanceOf(Unauthorized)
          expect(calls.greet).toStrictEqual({ success: "Hello, Ada" })
          expect(calls.greetAnonymous).toStrictEqual({ success: "Hello, guest" })
          expect(calls.audit).toStrictEqual({ success: ["Audit wrapped audit.trail", "handler n1"] })
        })
      )

      it.scoped("gives the same outcomes as the stock RpcServer", () =>
        Effect.gen(function* () {
          const servers = yield* Servers
          const lean = yield* wellFormedCalls(servers.lean, serialization)
          const stock = yield* wellFormedCalls(servers[stockKey], serialization)
          expect(lean).toStrictEqual(stock)
        })
      )

      it.scoped("answers a defect with a trace id only, and logs the real cause under that id", () =>
        Effect.gen(function* () {
          const { lean, logs } = yield* Servers
          const client = yield* makeClient(lean, serialization)
          const result = yield* outcome(client.report.crash())
          if (!("defect" in result)) return expect.fail(`expected a defect, got ${JSON.stringify(result)}`)
          const text = String(result.defect)
          expect(text).toMatch(/^Internal error \(trace id [0-9a-f]{32}\)$/)
          expect(text).not.toContain("secrets")
          const traceId = text.slice("Internal error (trace id ".length, -1)
          const logged = logs.find((entry) => entry.annotations.traceId === traceId)
          expect(logged?.level).toBe("ERROR")
          expect(logged?.annotations.rpc).toBe("report.crash")
          expect(logged?.cause).toContain(leakedSql)
        })
      )

      it.scoped("runs concurrent calls concurrently", () =>
        Effect.gen(function* () {
          const { lean } = yield* Servers
          const client = yield* makeClient(lean, serialization)
          const echoes = yield* Effect.all(
            Array.from({ length: 24 }, (_, i) => client.echo({ text: `m${i}` })),
            { concurrency: "unbounded" }
          )
          expect(echoes.map((echo) => echo.text)).toStrictEqual(Array.from({ length: 24 }, (_, i) => `m${i}`))
          // A waiter that only the next call can release: sequential handling would never answer it.
          const key = `concurrent-${name}`
          const waiter = yield* Effect.fork(client.gate.wait({ key }))
          yield* client.gate
            .status({ key })
            .pipe(
              Effect.repeat({ schedule: Schedule.spaced("5 millis"), until: (status) => status === "waiting" }),
              Effect.timeout("10 seconds")
            )
          expect(yield* client.gate.open({ key })).toBe(`opened ${key}`)
          expect(yield* Fiber.join(waiter)).toBe(`passed ${key}`)
        })
      )
    })
  }

  describe("bad input over raw HTTP", () => {
    it.effect("a body that is not JSON gets 400 with an error and a trace id", () =>
      Effect.gen(function* () {
        const { lean } = yield* Servers
        for (const contentType of ["application/ndjson", "application/json"]) {
          const response = yield* post(lean, "{not json", { contentType })
          expect(response.status).toBe(400)
          expect(response.contentType).toBe("application/json")
          const body = parseJson(response.text)
          expect(body).toStrictEqual({ error: expect.stringContaining("not"), traceId: response.traceId })
          expect(response.traceId).toMatch(traceIdShape)
        }
      })
    )

    it.effect("a request without traceId, spanId, sampled or headers is answered", () =>
      Effect.gen(function* () {
        const { lean } = yield* Servers
        const response = yield* post(lean, ndjson({ _tag: "Request", id: "7", tag: "echo", payload: { text: "hi" } }))
        expect(response.status).toBe(200)
        expect(response.contentType).toBe("application/ndjson")
        expect(response.traceId).toMatch(traceIdShape)
        expect(lines(response.text)).toStrictEqual([
          { _tag: "Exit", requestId: "7", exit: { _tag: "Success", value: { text: "hi", length: 2 } } }
        ])
      })
    )

    it.effect("the caller's trace id is the response's x-trace-id", () =>
      Effect.gen(function* () {
        const { lean } = yield* Servers
        const response = yield* post(lean, ndjson(request("1", "echo", { text: "x" })))
        expect(response.traceId).toBe("0af7651916cd43dd8448eb211c80319c")
      })
    )

    it.effect("a request without a usable id, or a message of unknown type, gets 400", () =>
      Effect.gen(function* () {
        const { lean } = yield* Servers
        const bodies = [
          ndjson({ _tag: "Request", tag: "echo", payload: { text: "hi" } }),
          ndjson({ _tag: "Request", id: { nested: true }, tag: "echo", payload: { text: "hi" } }),
          ndjson({ _tag: "Request", id: "", tag: "echo", payload: { text: "hi" } }),
          ndjson({ _tag: "Bogus" }),
          ndjson(42),
          ndjson(request("1", "echo", { text: "a" }), ["not", "an", "object"]),
          "\n\n"
        ]
        for (const body of bodies) {
          const response = yield* post(lean, body)
          expect(response.status, body).toBe(400)
          expect(parseJson(response.text)).toStrictEqual({ error: expect.any(String), traceId: response.traceId })
        }
      })
    )

    it.effect("an unknown tag is answered for that request with a Die, beside the other requests", () =>
      Effect.gen(function* () {
        const { lean } = yield* Servers
        const response = yield* post(
          lean,
          ndjson(request("9", "nope", {}), request("10", "echo", { text: "ok" }), { ...request("11", "x", {}), tag: 5 })
        )
        expect(response.status).toBe(200)
        const answers = lines(response.text)
        expect(answers).toHaveLength(3)
        expect(answers).toContainEqual({
          _tag: "Exit",
          requestId: "9",
          exit: { _tag: "Failure", cause: { _tag: "Die", defect: "Unknown request tag: nope" } }
        })
        expect(answers).toContainEqual({
          _tag: "Exit",
          requestId: "11",
          exit: { _tag: "Failure", cause: { _tag: "Die", defect: "Unknown request tag: 5" } }
        })
        expect(answers).toContainEqual({
          _tag: "Exit",
          requestId: "10",
          exit: { _tag: "Success", value: { text: "ok", length: 2 } }
        })
      })
    )

    it.effect("a payload its Schema rejects fails with a typed InvalidInput naming the fields", () =>
      Effect.gen(function* () {
        const { lean } = yield* Servers
        const response = yield* post(lean, ndjson(request("3", "item.create", { title: "", price: -1 })))
        expect(response.status).toBe(200)
        const [answer] = lines(response.text)
        if (typeof answer !== "object" || answer === null || !("exit" in answer)) return expect.fail(response.text)
        const exit = decodeItemCreateExit(answer.exit)
        if (Exit.isSuccess(exit)) return expect.fail("expected a failure")
        const failure = Cause.failureOption(exit.cause)
        if (Option.isNone(failure)) return expect.fail("expected a typed failure")
        expect(failure.value).toBeInstanceOf(InvalidInput)
        expect(failure.value.message).toContain("title: Expected a string at least 1 character(s) long")
        expect(failure.value.message).toContain("price: Expected a non-negative number, actual -1")
      })
    )

    it.effect(
      "a payload its Schema rejects dies with the readable message when InvalidInput is not in the contract",
      () =>
        Effect.gen(function* () {
          const { lean } = yield* Servers
          const response = yield* post(lean, ndjson(request("4", "echo", { text: 5 })))
          expect(lines(response.text)).toStrictEqual([
            {
              _tag: "Exit",
              requestId: "4",
              exit: { _tag: "Failure", cause: { _tag: "Die", defect: "text: Expected string, actual 5" } }
            }
          ])
        })
    )

    it.effect("a body over the limit gets 413, by Content-Length or while streaming", () =>
      Effect.gen(function* () {
        const { lean, leanSmall } = yield* Servers
        const declared = yield* post(lean, ndjson(request("1", "echo", { text: "x".repeat(2 * 1024 * 1024) })))
        expect(declared.status).toBe(413)
        expect(parseJson(declared.text)).toStrictEqual({
          error: expect.stringContaining("1048576"),
          traceId: declared.traceId
        })

        const chunk = new TextEncoder().encode("x".repeat(512))
        let sent = 0
        const streamed = yield* post(
          leanSmall,
          new ReadableStream<Uint8Array>({
            pull(controller) {
              // Bounded, so a server that never stops reading fails the test instead of hanging it.
              if (sent++ < 64) controller.enqueue(chunk)
              else controller.close()
            }
          })
        )
        expect(streamed.status).toBe(413)
        expect(parseJson(streamed.text)).toStrictEqual({
          error: expect.stringContaining(String(smallLimit)),
          traceId: streamed.traceId
        })
        // The server is still fine afterwards.
        const after = yield* post(leanSmall, ndjson(request("2", "echo", { text: "still here" })))
        expect(after.status).toBe(200)
      })
    )

    it.effect("more messages than maxMessagesPerBody gets 400, and runs none of them", () =>
      Effect.gen(function* () {
        const { lean } = yield* Servers
        const tooMany = Array.from({ length: 129 }, (_, i) => request(String(i), "gate.open", { key: "never-opened" }))
        const response = yield* post(lean, ndjson(...tooMany))
        expect(response.status).toBe(400)
        expect(parseJson(response.text)).toStrictEqual({
          error: expect.stringContaining("128"),
          traceId: response.traceId
        })
        const status = yield* post(lean, ndjson(request("1", "gate.status", { key: "never-opened" })))
        expect(lines(status.text)).toStrictEqual([
          { _tag: "Exit", requestId: "1", exit: { _tag: "Success", value: "absent" } }
        ])
      })
    )

    it.effect("HTTP request headers reach the middleware; the message's own headers override them", () =>
      Effect.gen(function* () {
        const { lean } = yield* Servers
        const fromHttp = yield* post(lean, ndjson(request("1", "user.whoami", undefined)), {
          headers: { authorization: `Bearer ${goodToken}` }
        })
        expect(lines(fromHttp.text)).toStrictEqual([
          { _tag: "Exit", requestId: "1", exit: { _tag: "Success", value: ada } }
        ])
        const overridden = yield* post(
          lean,
          ndjson(request("2", "user.whoami", undefined, { headers: [["Authorization", "Bearer stolen"]] })),
          { headers: { authorization: `Bearer ${goodToken}` } }
        )
        expect(lines(overridden.text)).toStrictEqual([
          {
            _tag: "Exit",
            requestId: "2",
            exit: {
              _tag: "Failure",
              cause: {
                _tag: "Fail",
                error: { _tag: "Unauthorized", message: "a valid bearer token is required" }
              }
            }
          }
        ])
      })
    )

    it.effect("a wrong method or content type gets 405 or 415", () =>
      Effect.gen(function* () {
        const { lean } = yield* Servers
        expect((yield* post(lean, "", { method: "GET" })).status).toBe(405)
        expect(
          (yield* post(lean, ndjson(request("1", "echo", { text: "x" })), { contentType: "text/plain" })).status
        ).toBe(415)
      })
    )

    it.effect("JSON takes one message or an array, and answers an array", () =>
      Effect.gen(function* () {
        const { lean } = yield* Servers
        const one = yield* post(lean, JSON.stringify(request("1", "echo", { text: "a" })), {
          contentType: "application/json"
        })
        expect(one.contentType).toBe("application/json")
        expect(parseJson(one.text)).toStrictEqual([
          { _tag: "Exit", requestId: "1", exit: { _tag: "Success", value: { text: "a", length: 1 } } }
        ])
        const two = yield* post(
          lean,
          JSON.stringify([request("1", "echo", { text: "a" }), request("2", "echo", { text: "bb" })]),
          { contentType: "application/json" }
        )
        expect(parseJson(two.text)).toEqual(
          expect.arrayContaining([
            { _tag: "Exit", requestId: "1", exit: { _tag: "Success", value: { text: "a", length: 1 } } },
            { _tag: "Exit", requestId: "2", exit: { _tag: "Success", value: { text: "bb", length: 2 } } }
          ])
        )
      })
    )

    it.effect("requests of one body run concurrently", () =>
      Effect.gen(function* () {
        const { lean } = yield* Servers
        // The first waits for a gate only the second opens.
        const response = yield* post(
          lean,
          ndjson(request("1", "gate.wait", { key: "one-body" }), request("2", "gate.open", { key: "one-body" }))
        )
        expect(lines(response.text)).toEqual(
          expect.arrayContaining([
            { _tag: "Exit", requestId: "1", exit: { _tag: "Success", value: "passed one-body" } },
            { _tag: "Exit", requestId: "2", exit: { _tag: "Success", value: "opened one-body" } }
          ])
        )
      })
    )

    it.effect("Ping gets Pong, Ack and Eof are ignored, Interrupt interrupts a request of the same body", () =>
      Effect.gen(function* () {
        const { lean } = yield* Servers
        const response = yield* post(
          lean,
          ndjson(
            { _tag: "Ping" },
            { _tag: "Ack", requestId: "1" },
            request("1", "gate.wait", { key: "interrupted-in-body" }),
            { _tag: "Interrupt", requestId: "1" },
            { _tag: "Eof" }
          )
        )
        expect(response.status).toBe(200)
        expect(lines(response.text)).toStrictEqual([
          { _tag: "Pong" },
          {
            _tag: "Exit",
            requestId: "1",
            exit: { _tag: "Failure", cause: { _tag: "Interrupt", fiberId: { _tag: "None" } } }
          }
        ])
      })
    )

    it.scoped("a client that disconnects interrupts its pending call", () =>
      Effect.gen(function* () {
        const { lean } = yield* Servers
        const client = yield* makeClient(lean, RpcSerialization.layerNdjson)
        const key = "abandoned"
        const waiting = yield* Effect.fork(post(lean, ndjson(request("1", "gate.wait", { key }))))
        const statusBecomes = (expected: string) =>
          client.gate
            .status({ key })
            .pipe(
              Effect.repeat({ schedule: Schedule.spaced("5 millis"), until: (status) => status === expected }),
              Effect.timeout("10 seconds")
            )
        yield* statusBecomes("waiting")
        yield* Fiber.interrupt(waiting)
        yield* statusBecomes("interrupted")
        expect(yield* client.gate.status({ key })).toBe("interrupted")
      })
    )
  })

  describe("tracing", () => {
    it.effect("off: handlers run without an RPC span", () =>
      Effect.gen(function* () {
        const { lean } = yield* Servers
        const response = yield* post(lean, ndjson(request("1", "trace.current", undefined)))
        expect(lines(response.text)).toStrictEqual([
          { _tag: "Exit", requestId: "1", exit: { _tag: "Success", value: null } }
        ])
      })
    )

    it.effect("on: each call is a RpcServer.<tag> span under the caller's span", () =>
      Effect.gen(function* () {
        const { leanTraced } = yield* Servers
        const response = yield* post(leanTraced, ndjson(request("1", "trace.current", undefined)))
        expect(response.traceId).toBe("0af7651916cd43dd8448eb211c80319c")
        expect(lines(response.text)).toStrictEqual([
          {
            _tag: "Exit",
            requestId: "1",
            exit: {
              _tag: "Success",
              value: {
                name: "RpcServer.trace.current",
                traceId: "0af7651916cd43dd8448eb211c80319c",
                parentSpanId: "b7ad6b7169203331"
              }
            }
          }
        ])
      })
    )

    it.effect("on, without a caller span: a root span whose trace id is the response's", () =>
      Effect.gen(function* () {
        const { leanTraced } = yield* Servers
        const response = yield* post(leanTraced, ndjson({ _tag: "Request", id: "1", tag: "trace.current" }))
        const [answer] = lines(response.text)
        expect(answer).toStrictEqual({
          _tag: "Exit",
          requestId: "1",
          exit: {
            _tag: "Success",
            value: { name: "RpcServer.trace.current", traceId: response.traceId, parentSpanId: null }
          }
        })
      })
    )

    it.scoped("on: the stock client still gets typed results", () =>
      Effect.gen(function* () {
        const { leanTraced } = yield* Servers
        const client = yield* makeClient(leanTraced, RpcSerialization.layerNdjson)
        expect(yield* client.user.whoami()).toStrictEqual(ada)
        expect(yield* Effect.flip(client.item.create({ title: "taken", price: 0 }))).toBeInstanceOf(ItemExists)
      })
    )
  })
})

describe("construction", () => {
  class StreamRpcs extends RpcGroup.make(Rpc.make("ticks", { success: Schema.Number, stream: true })) {}

  layer(StreamRpcs.toLayer({ ticks: () => Stream.make(1, 2, 3) }))((it) => {
    it.effect("fails loudly on a streaming RPC", () =>
      Effect.gen(function* () {
        const exit = yield* Effect.exit(makeRpcHttpHandler(StreamRpcs))
        expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain("ticks is a streaming RPC")
      })
    )
  })
})

// ---------------------------------------------------------------- the fast success encoder

class Author extends Schema.Class<Author>("Author")({
  id: Schema.String.pipe(Schema.brand("AuthorId")),
  name: Schema.Trim.pipe(Schema.minLength(1), Schema.maxLength(40)),
  karma: Schema.Int.pipe(Schema.nonNegative())
}) {}

class Lesson extends Schema.Class<Lesson>("Lesson")({
  id: Schema.String,
  title: Schema.String.pipe(Schema.minLength(1)),
  minutes: Schema.Number,
  free: Schema.Boolean,
  kind: Schema.Literal("video", "quiz", "text"),
  summary: Schema.NullOr(Schema.String),
  note: Schema.optional(Schema.String),
  tags: Schema.Array(Schema.String),
  author: Author,
  publishedAt: Schema.DateTimeUtc,
  updatedAt: Schema.optional(Schema.Date)
}) {}

interface Category {
  readonly name: string
  readonly children: ReadonlyArray<Category>
}
const Category: Schema.Schema<Category> = Schema.Struct({
  name: Schema.String,
  children: Schema.Array(Schema.suspend(() => Category))
})

const Level = { Beginner: "beginner", Expert: "expert" } as const

const checkAgreement = <A, I>(schema: Schema.Schema<A, I>) =>
  Effect.gen(function* () {
    const fast = makeFastEncoder(schema)
    const full = Schema.encodeUnknown(schema)
    const values: ReadonlyArray<unknown> = FastCheck.sample(Arbitrary.make(schema), { numRuns: 60, seed: 42 })
    for (const value of [...values, ...values.slice(0, 5).flatMap((value) => mutations(value))]) {
      const expected = yield* Effect.either(full(value))
      const actual = yield* Effect.either(fast(value))
      if (Either.isLeft(expected)) {
        if (Either.isRight(actual)) return expect.fail(`accepted what Schema rejects: ${String(value)}`)
        expect(ParseResult.TreeFormatter.formatErrorSync(actual.left)).toBe(
          ParseResult.TreeFormatter.formatErrorSync(expected.left)
        )
      } else {
        if (Either.isLeft(actual)) return expect.fail(`rejected what Schema accepts: ${String(value)}`)
        // Same values and the same key order: the same bytes on the wire.
        expect(JSON.stringify(actual.right)).toBe(JSON.stringify(expected.right))
        expect(actual.right).toStrictEqual(expected.right)
      }
    }
  })

/** Every shape a reply is made of, and the ones the fast path hands back to ParseResult. */
const encoderCases: ReadonlyArray<readonly [string, Effect.Effect<void>]> = [
  ["a list of classes", checkAgreement(Schema.Array(Lesson))],
  [
    "a struct of primitives, literals and unions",
    checkAgreement(
      Schema.Struct({
        a: Schema.String,
        b: Schema.NullOr(Schema.Number),
        c: Schema.Literal(1, "x", true),
        name: Schema.String.pipe(Schema.minLength(2), Schema.maxLength(10)),
        count: Schema.Int.pipe(Schema.between(0, 100)),
        d: Schema.UndefinedOr(Schema.Boolean)
      })
    )
  ],
  [
    "a tagged union of structs",
    checkAgreement(
      Schema.Union(
        Schema.TaggedStruct("A", { a: Schema.Number }),
        Schema.TaggedStruct("B", { b: Schema.Array(Schema.String) })
      )
    )
  ],
  ["a record", checkAgreement(Schema.Record({ key: Schema.String, value: Schema.Number }))],
  [
    "a struct with defaults and renamed keys",
    checkAgreement(
      Schema.Struct({
        x: Schema.optionalWith(Schema.Number, { default: () => 1 }),
        y: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("why"))
      })
    )
  ],
  [
    "a struct that preserves excess keys",
    checkAgreement(Schema.Struct({ a: Schema.Number }).annotations({ parseOptions: { onExcessProperty: "preserve" } }))
  ],
  [
    "transformations",
    checkAgreement(
      Schema.Struct({
        big: Schema.BigInt,
        option: Schema.Option(Schema.Number),
        fromString: Schema.NumberFromString,
        level: Schema.Enums(Level)
      })
    )
  ],
  [
    "a tuple and a non-empty array",
    checkAgreement(
      Schema.Struct({ pair: Schema.Tuple(Schema.String, Schema.Number), some: Schema.NonEmptyArray(Schema.Number) })
    )
  ],
  ["a recursive schema", checkAgreement(Category)],
  [
    "void, unknown and template literals",
    checkAgreement(
      Schema.Struct({ v: Schema.Void, u: Schema.Unknown, l: Schema.TemplateLiteral("user-", Schema.Number) })
    )
  ]
]

const wrongScalars: ReadonlyArray<unknown> = [42, -1, 1.5, "", "x", " padded ", "x".repeat(50), null, undefined, true]

/** Values the generator will not produce: wrong types, broken refinements, extra keys, bad elements, nested. */
const mutations = (value: unknown, depth = 0): ReadonlyArray<unknown> => {
  const out: Array<unknown> = [...wrongScalars, [], Symbol.for("wrong")]
  if (depth > 1) return out
  if (Array.isArray(value)) {
    out.push([...value, 42])
    if (value.length > 0) for (const bad of mutations(value[0], depth + 1)) out.push([bad, ...value.slice(1)])
  } else if (typeof value === "object" && value !== null) {
    // Keeps the prototype, so a class instance stays one (with fields its constructor would have refused).
    const withField = (key: string, field: unknown): unknown =>
      Object.assign(Object.create(Object.getPrototypeOf(value)), value, { [key]: field })
    const withoutField = (key: string): unknown => {
      const copy = Object.assign(Object.create(Object.getPrototypeOf(value)), value)
      Reflect.deleteProperty(copy, key)
      return copy
    }
    out.push(withField("extra", "secret"))
    for (const [key, field] of Object.entries(value)) {
      out.push(withoutField(key))
      for (const bad of mutations(field, depth + 1)) out.push(withField(key, bad))
    }
  }
  return out
}

describe("makeFastEncoder", () => {
  for (const [name, agreement] of encoderCases) {
    it.effect(`agrees with Schema.encodeUnknown on ${name}`, () => agreement)
  }
})
