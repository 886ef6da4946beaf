// Listens on PORT with the HTTP edge: the one way every Lectern process (gateway or a service alone) serves.
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { Config, Effect } from "effect"
import { type EdgeOptions, EdgeSettings, makeEdge } from "./HttpEdge.ts"

export const ServeSettings = Config.all({
  port: Config.integer("PORT").pipe(
    Config.validate({
      message: "PORT must be 0–65535 (0 picks a free port)",
      validation: (port) => port >= 0 && port <= 65535
    }),
    Config.withDefault(3000)
  ),
  host: Config.string("HOST").pipe(Config.withDefault("0.0.0.0"))
})

export interface Listening {
  readonly url: string
  readonly port: number
}

/** Starts the server for the lifetime of the scope; resolves once it listens. Port 0 picks a free port. */
export const serve = (
  options: Pick<EdgeOptions, "rpc" | "readiness" | "jwks" | "http" | "fallback" | "forwardingSecret">
) =>
  Effect.gen(function* () {
    const settings = yield* ServeSettings
    const edgeSettings = yield* EdgeSettings
    const listener = yield* makeEdge({ ...options, ...edgeSettings })
    // No whole-request deadline (a video upload may take hours); a socket idle for two minutes is closed instead.
    const server = createServer({ keepAlive: true, keepAliveTimeout: 65_000, requestTimeout: 0 }, listener)
    server.timeout = 120_000
    // Connections stay open between requests (clients and load balancers reuse them); close them on shutdown.
    server.keepAliveTimeout = 65_000
    server.headersTimeout = 66_000
    const address = yield* Effect.acquireRelease(
      Effect.async<AddressInfo, Error>((resume) => {
        server.once("error", (error) => resume(Effect.fail(error)))
        server.listen(settings.port, settings.host, () => {
          const address = server.address()
          resume(
            address !== null && typeof address === "object"
              ? Effect.succeed(address)
              : Effect.fail(new Error("the server has no TCP address"))
          )
        })
      }),
      () =>
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
        })
    ).pipe(Effect.orDie)
    const host = settings.host === "0.0.0.0" || settings.host === "::" ? "localhost" : settings.host
    const url = `http://${host}:${address.port}`
    return { url, port: address.port } satisfies Listening
  })
