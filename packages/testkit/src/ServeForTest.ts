// Serves RPC groups (and plain HTTP routes) on a free loopback port for tests that go over real HTTP.
import type { HttpRoute } from "@lectern/platform/HttpEdge"
import { platformReadiness } from "@lectern/platform/Platform"
import type { RpcHttpHandler } from "@lectern/platform/RpcHttp"
import { serve } from "@lectern/platform/Serve"
import { ConfigProvider, Effect } from "effect"

/** Listens on 127.0.0.1 with a free port, without access logs, for the scope's lifetime; answers the base URL. */
export const serveForTest = (options: {
  readonly rpc: Readonly<Record<string, RpcHttpHandler>>
  readonly http?: ReadonlyArray<HttpRoute>
}) =>
  Effect.gen(function* () {
    const listening = yield* serve({ ...options, readiness: yield* platformReadiness }).pipe(
      Effect.withConfigProvider(
        ConfigProvider.fromMap(
          new Map([
            ["PORT", "0"],
            ["HOST", "127.0.0.1"],
            ["ACCESS_LOG", "false"]
          ])
        )
      )
    )
    return listening.url
  })
