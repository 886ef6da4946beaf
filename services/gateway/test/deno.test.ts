// The typed client under Deno: the real gateway process, driven by test/deno/client-flow.ts run with Deno's own binary.

import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { makeLectern } from "@lectern/client"
import { Email, UserId } from "@lectern/domain"
import { startGatewayProcess } from "@lectern/testkit/GatewayProcess"
import { Data, Effect, Schema } from "effect"
import { FLOW_PASSWORD } from "./deno/account.ts"

const denoBinary = fileURLToPath(new URL("../../../node_modules/.bin/deno", import.meta.url))
const flowDir = fileURLToPath(new URL("./deno/", import.meta.url))

class DenoFlowFailed extends Data.TaggedError("DenoFlowFailed")<{ readonly message: string }> {}

const FlowLine = Schema.parseJson(Schema.Struct({ ok: Schema.Literal(true), email: Email, userId: UserId }))

/**
 * Runs the flow script in Deno against `gatewayUrl` and returns its stdout. Deno gets nothing it could download:
 * npm packages come from the repo's node_modules (deno.json says "manual"), `--cached-only` forbids fetching
 * anything else, and its cache lives in a throwaway DENO_DIR. `--check` type-checks the script and the workspace
 * sources it imports (client, contracts, domain) with Deno's TypeScript before running them.
 */
const runDenoFlow = (gatewayUrl: string) =>
  Effect.gen(function* () {
    const gateway = new URL(gatewayUrl)
    const denoDir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "lectern-deno-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    let stderr = ""
    // One callback owns the child from spawn to exit, so no output or exit can slip past before a listener exists.
    return yield* Effect.async<string, DenoFlowFailed>((resume) => {
      const child = spawn(
        denoBinary,
        [
          "run",
          "--no-prompt",
          "--no-lock",
          "--cached-only",
          "--check",
          `--config=${join(flowDir, "deno.json")}`,
          `--allow-net=${gateway.host}`,
          // msgpackr (loaded by @effect/rpc's serialization module) reads this one variable when it is imported.
          "--allow-env=MSGPACKR_NATIVE_ACCELERATION_DISABLED",
          join(flowDir, "client-flow.ts"),
          gatewayUrl
        ],
        {
          cwd: flowDir,
          env: {
            ...process.env,
            DENO_DIR: denoDir,
            DENO_NO_UPDATE_CHECK: "1",
            NO_COLOR: "1",
            // Deno's fetch honours HTTP(S)_PROXY; the gateway is local and must be reached directly.
            NO_PROXY: [gateway.hostname, process.env.NO_PROXY ?? process.env.no_proxy].filter(Boolean).join(",")
          },
          stdio: ["ignore", "pipe", "pipe"]
        }
      )
      let stdout = ""
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString()
      })
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString()
      })
      child.once("error", (error) => resume(Effect.fail(new DenoFlowFailed({ message: `spawn: ${error.message}` }))))
      child.once("close", (code, signal) =>
        resume(
          code === 0
            ? Effect.succeed(stdout)
            : Effect.fail(
                new DenoFlowFailed({
                  message: `deno exited with ${code ?? signal}\nstdout:\n${stdout}\nstderr:\n${stderr}`
                })
              )
        )
      )
      // Runs when the deadline interrupts the wait.
      return Effect.sync(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
      })
    }).pipe(
      Effect.timeoutFail({
        duration: "90 seconds",
        onTimeout: () => new DenoFlowFailed({ message: `deno did not finish within 90 seconds\nstderr:\n${stderr}` })
      })
    )
  }).pipe(Effect.scoped)

describe("the typed client under Deno", () => {
  it.scoped(
    "registers, verifies, logs in and reads user.me against the real gateway",
    () =>
      Effect.gen(function* () {
        const gateway = yield* startGatewayProcess()
        const stdout = yield* runDenoFlow(gateway.url)
        const lines = stdout.split("\n").filter((line) => line.trim() !== "")
        expect(lines).toHaveLength(1)
        const flow = yield* Schema.decodeUnknown(FlowLine)(lines[0])
        expect(flow.email).toMatch(/^deno\.[0-9a-f-]{36}@example\.com$/)
        expect(flow.userId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)

        // The gateway itself agrees, seen from Node: it mailed that address, and the account Deno made logs in.
        let accessToken: string | undefined
        const lectern = yield* makeLectern({ baseUrl: gateway.url, accessToken: () => accessToken })
        const mails = yield* lectern.auth.dev.outbox({ to: flow.email })
        expect(mails.map((mail) => mail.to)).toEqual([flow.email])
        const session = yield* lectern.auth.session.login({ email: flow.email, password: FLOW_PASSWORD })
        accessToken = session.accessToken
        const me = yield* lectern.auth.user.me()
        expect({ id: me.id, email: me.email, emailVerified: me.emailVerified }).toEqual({
          id: flow.userId,
          email: flow.email,
          emailVerified: true
        })
      }),
    180_000
  )
})
