// The edge's client address over real HTTP: the socket's, X-Forwarded-For's last hop only with trustProxy, and an
// address forwarded by the in-process web app only with the process's secret — spoofed headers are ignored.
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Rpc, RpcClient, RpcGroup } from "@effect/rpc"
import { describe, expect, it } from "@effect/vitest"
import { asCaller, layerProtocol } from "@lectern/client"
import { CLIENT_IP_HEADER, FORWARDED_CLIENT_HEADER, FORWARDING_SECRET_HEADER } from "@lectern/platform/ClientIp"
import { makeEdge, makeInProcessRpc } from "@lectern/platform/HttpEdge"
import { makeRpcHttpHandler } from "@lectern/platform/RpcHttp"
import { Effect, Schema } from "effect"

class WhereRpcs extends RpcGroup.make(Rpc.make("whereFrom", { success: Schema.String })) {}

const WhereLive = WhereRpcs.toLayer({
  whereFrom: (_, { headers }) => Effect.succeed(headers[CLIENT_IP_HEADER] ?? "none")
})

const SECRET = "the process's forwarding secret, 32 random bytes in real life"

/** An edge on 127.0.0.1 serving the group at /rpc/where and, for every other path, echoing the headers it got. */
const serveEdge = (options: { readonly forwardingSecret?: string; readonly trustProxy?: boolean }) =>
  Effect.gen(function* () {
    const where = yield* makeRpcHttpHandler(WhereRpcs).pipe(Effect.provide(WhereLive))
    const listener = yield* makeEdge({
      rpc: { where },
      readiness: [],
      corsOrigins: [],
      trustProxy: options.trustProxy ?? false,
      accessLog: false,
      forwardingSecret: options.forwardingSecret,
      fallback: (req, res) => {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify(req.headers))
      }
    })
    const server = createServer(listener)
    yield* Effect.acquireRelease(
      Effect.async<void>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.void))
      }),
      () =>
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
        })
    )
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

/** `whereFrom` posted by hand: HTTP headers, and headers inside the RPC message itself. */
const whereFrom = (
  url: string,
  headers: Record<string, string>,
  messageHeaders: ReadonlyArray<[string, string]> = []
) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}/rpc/where`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/ndjson" },
      body: `${JSON.stringify({ _tag: "Request", id: "1", tag: "whereFrom", payload: {}, headers: messageHeaders })}\n`
    })
    const reply = JSON.parse((await response.text()).trim()) as { exit: { value: string } }
    return reply.exit.value
  })

const echoedHeaders = (url: string, headers: Record<string, string>) =>
  Effect.promise(() => fetch(`${url}/a/page`, { headers }).then((r) => r.json() as Promise<Record<string, string>>))

const spoofs = {
  [CLIENT_IP_HEADER]: "198.51.100.1",
  [FORWARDED_CLIENT_HEADER]: "198.51.100.2",
  "x-forwarded-for": "198.51.100.3"
}

describe("HttpEdge client address", () => {
  it.scoped("is the socket's; client-set address headers, in HTTP or in the RPC message, are ignored", () =>
    Effect.gen(function* () {
      const url = yield* serveEdge({ forwardingSecret: SECRET })
      expect(yield* whereFrom(url, {})).toBe("127.0.0.1")
      expect(yield* whereFrom(url, spoofs, [[CLIENT_IP_HEADER, "198.51.100.4"]])).toBe("127.0.0.1")
      expect(yield* whereFrom(url, {}, [["X-Lectern-Client-IP", "198.51.100.4"]])).toBe("127.0.0.1")
    })
  )

  it.scoped("a forwarded address with a wrong, empty or differently long secret is ignored", () =>
    Effect.gen(function* () {
      const url = yield* serveEdge({ forwardingSecret: SECRET })
      for (const secret of ["", "wrong", `${SECRET}x`, SECRET.slice(0, -1)]) {
        expect(yield* whereFrom(url, { ...spoofs, [FORWARDING_SECRET_HEADER]: secret })).toBe("127.0.0.1")
      }
    })
  )

  it.scoped("with the secret, the forwarded address is the client's; not an IP address, it is ignored", () =>
    Effect.gen(function* () {
      const url = yield* serveEdge({ forwardingSecret: SECRET })
      const forwarded = (address: string) => ({
        [FORWARDED_CLIENT_HEADER]: address,
        [FORWARDING_SECRET_HEADER]: SECRET
      })
      expect(yield* whereFrom(url, forwarded("203.0.113.9"))).toBe("203.0.113.9")
      expect(yield* whereFrom(url, forwarded("2001:db8::7"))).toBe("2001:db8::7")
      expect(yield* whereFrom(url, forwarded("203.0.113.9, 10.0.0.1"))).toBe("127.0.0.1")
      expect(yield* whereFrom(url, forwarded("localhost"))).toBe("127.0.0.1")
    })
  )

  it.scoped("an edge without a secret takes no forwarded address, whatever secret is sent", () =>
    Effect.gen(function* () {
      const url = yield* serveEdge({})
      const headers = { [FORWARDED_CLIENT_HEADER]: "203.0.113.9", [FORWARDING_SECRET_HEADER]: "" }
      expect(yield* whereFrom(url, headers)).toBe("127.0.0.1")
      expect(yield* whereFrom(url, { ...headers, [FORWARDING_SECRET_HEADER]: SECRET })).toBe("127.0.0.1")
    })
  )

  it.scoped("X-Forwarded-For's last hop only with trustProxy; the forwarded address still wins with the secret", () =>
    Effect.gen(function* () {
      const url = yield* serveEdge({ forwardingSecret: SECRET, trustProxy: true })
      expect(yield* whereFrom(url, { "x-forwarded-for": "198.51.100.3, 203.0.113.5" })).toBe("203.0.113.5")
      expect(
        yield* whereFrom(url, {
          "x-forwarded-for": "203.0.113.5",
          [FORWARDED_CLIENT_HEADER]: "203.0.113.9",
          [FORWARDING_SECRET_HEADER]: SECRET
        })
      ).toBe("203.0.113.9")
    })
  )

  it.scoped("the web app behind the edge sees the edge's address and never the secret", () =>
    Effect.gen(function* () {
      const url = yield* serveEdge({ forwardingSecret: SECRET })
      const seen = yield* echoedHeaders(url, { ...spoofs, [FORWARDING_SECRET_HEADER]: SECRET })
      expect(seen[CLIENT_IP_HEADER]).toBe("198.51.100.2")
      expect(seen[FORWARDING_SECRET_HEADER]).toBeUndefined()
      expect(seen[FORWARDED_CLIENT_HEADER]).toBeUndefined()
      const plain = yield* echoedHeaders(url, spoofs)
      expect(plain[CLIENT_IP_HEADER]).toBe("127.0.0.1")
    })
  )

  it.scoped("@lectern/client's forwarding option sends the address and secret the edge accepts", () =>
    Effect.gen(function* () {
      const url = yield* serveEdge({ forwardingSecret: SECRET })
      const forwarded = yield* RpcClient.make(WhereRpcs).pipe(
        Effect.provide(layerProtocol(url, "where", { clientAddress: "203.0.113.77", secret: SECRET }))
      )
      expect(yield* forwarded.whereFrom()).toBe("203.0.113.77")
      const guessed = yield* RpcClient.make(WhereRpcs).pipe(
        Effect.provide(layerProtocol(url, "where", { clientAddress: "203.0.113.77", secret: "a guess" }))
      )
      expect(yield* guessed.whereFrom()).toBe("127.0.0.1")
      // One client for many callers: each call forwards its own caller's address.
      const shared = yield* RpcClient.make(WhereRpcs).pipe(Effect.provide(layerProtocol(url, "where")))
      const addresses = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"]
      const seen = yield* Effect.forEach(
        [...addresses, ...addresses],
        (clientAddress) => shared.whereFrom().pipe(asCaller({ forwarding: { clientAddress, secret: SECRET } })),
        { concurrency: "unbounded" }
      )
      expect(seen).toEqual([...addresses, ...addresses])
      expect(yield* shared.whereFrom()).toBe("127.0.0.1")
    })
  )
})

describe("HttpEdge in-process RPC (the gateway's own web app)", () => {
  const inProcess = (forwardingSecret?: string) =>
    Effect.map(makeRpcHttpHandler(WhereRpcs).pipe(Effect.provide(WhereLive)), (where) =>
      makeInProcessRpc({ rpc: { where }, forwardingSecret })
    )
  const body = (messageHeaders: ReadonlyArray<[string, string]> = []) =>
    `${JSON.stringify({ _tag: "Request", id: "1", tag: "whereFrom", payload: {}, headers: messageHeaders })}\n`
  const whereFromInProcess = (
    call: ReturnType<typeof makeInProcessRpc>,
    headers: Record<string, string>,
    messageHeaders: ReadonlyArray<[string, string]> = []
  ) =>
    Effect.promise(async () => {
      const answer = await call("where", body(messageHeaders), headers)
      expect(answer.status).toBe(200)
      return (JSON.parse(answer.body.trim()) as { exit: { value: string } }).exit.value
    })

  it.effect("takes the client address as the edge does: forwarded with the secret only, never from the message", () =>
    Effect.gen(function* () {
      const call = yield* inProcess(SECRET)
      expect(yield* whereFromInProcess(call, {})).toBe("127.0.0.1")
      expect(yield* whereFromInProcess(call, spoofs, [[CLIENT_IP_HEADER, "198.51.100.4"]])).toBe("127.0.0.1")
      const forwarded = { [FORWARDED_CLIENT_HEADER]: "203.0.113.9", [FORWARDING_SECRET_HEADER]: SECRET }
      expect(yield* whereFromInProcess(call, forwarded)).toBe("203.0.113.9")
      expect(yield* whereFromInProcess(call, { ...forwarded, [FORWARDING_SECRET_HEADER]: "a guess" })).toBe("127.0.0.1")
      expect(yield* whereFromInProcess(call, { ...forwarded, [FORWARDED_CLIENT_HEADER]: "localhost" })).toBe(
        "127.0.0.1"
      )
      // Without a secret configured, nothing forwarded counts.
      expect(yield* whereFromInProcess(yield* inProcess(), forwarded)).toBe("127.0.0.1")
    })
  )

  it.effect("answers what HTTP would: 404 for an unknown service, 400 for a body that is not NDJSON", () =>
    Effect.gen(function* () {
      const call = yield* inProcess(SECRET)
      const unknown = yield* Effect.promise(() => call("nowhere", body(), {}))
      expect(unknown.status).toBe(404)
      expect(JSON.parse(unknown.body)).toMatchObject({ error: "no service at /rpc/nowhere" })
      const inherited = yield* Effect.promise(() => call("toString", body(), {}))
      expect(inherited.status).toBe(404)
      const garbage = yield* Effect.promise(() => call("where", "{not json\n", {}))
      expect(garbage.status).toBe(400)
      expect(JSON.parse(garbage.body)).toMatchObject({ error: "Body is not NDJSON" })
    })
  )

  it.scoped("the lean client over the in-process transport gets the same answers as over HTTP", () =>
    Effect.gen(function* () {
      const url = yield* serveEdge({ forwardingSecret: SECRET })
      const call = yield* inProcess(SECRET)
      const answers = yield* Effect.forEach(
        [
          { headers: {}, messageHeaders: [] as Array<[string, string]> },
          {
            headers: { [FORWARDED_CLIENT_HEADER]: "203.0.113.9", [FORWARDING_SECRET_HEADER]: SECRET },
            messageHeaders: []
          },
          { headers: spoofs, messageHeaders: [[CLIENT_IP_HEADER, "198.51.100.4"]] as Array<[string, string]> }
        ],
        ({ headers, messageHeaders }) =>
          Effect.all([whereFrom(url, headers, messageHeaders), whereFromInProcess(call, headers, messageHeaders)])
      )
      for (const [overHttp, inMemory] of answers) expect(inMemory).toBe(overHttp)
    })
  )
})
