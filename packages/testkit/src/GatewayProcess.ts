// Starts the real gateway as a child process (as `npm start` would) on a free port, and collects everything it logs.
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Data, Effect } from "effect"

export class GatewayDidNotStart extends Data.TaggedError("GatewayDidNotStart")<{ readonly output: string }> {}

export interface GatewayProcess {
  readonly url: string
  /** Every line the process wrote to stdout and stderr so far. */
  readonly output: () => string
}

const repoRoot = new URL("../../../", import.meta.url).pathname

/**
 * Runs `node services/gateway/src/main.ts` with PORT=0 and a fresh data directory (embedded defaults unless `env`
 * says otherwise), waits for its "listening" log line, and stops it (SIGTERM) when the scope closes.
 */
export const startGatewayProcess = (env: Record<string, string> = {}) =>
  Effect.gen(function* () {
    const dataDir = mkdtempSync(join(tmpdir(), "lectern-e2e-"))
    let output = ""
    const child = yield* Effect.acquireRelease(
      Effect.sync(() =>
        spawn(process.execPath, [join(repoRoot, "services/gateway/src/main.ts")], {
          cwd: repoRoot,
          env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LECTERN_DATA_DIR: dataDir, ...env },
          stdio: ["ignore", "pipe", "pipe"]
        })
      ),
      (child) => stop(child).pipe(Effect.ensuring(Effect.sync(() => rmSync(dataDir, { recursive: true, force: true }))))
    )
    const url = yield* Effect.async<string, GatewayDidNotStart>((resume) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        const match = /listening on (http:\/\/[^\s"]+)/.exec(output)
        if (match?.[1]) resume(Effect.succeed(match[1]))
      }
      child.stdout?.on("data", onData)
      child.stderr?.on("data", onData)
      child.once("exit", () => resume(Effect.fail(new GatewayDidNotStart({ output }))))
    }).pipe(Effect.timeoutFail({ duration: "60 seconds", onTimeout: () => new GatewayDidNotStart({ output }) }))
    return { url, output: () => output } satisfies GatewayProcess
  })

const stop = (child: ChildProcess) =>
  Effect.async<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
    child.once("exit", () => {
      clearTimeout(timer)
      resume(Effect.void)
    })
    child.kill("SIGTERM")
  })

/**
 * The gateway as `npm start` runs it, with the web app: `web/dist` built first when stale (one build at a time,
 * web/scripts/ensure-build.ts), then `startGatewayProcess(env)`.
 */
export const startGatewayWithWebApp = (env: Record<string, string> = {}) =>
  Effect.sync(() => {
    const build = spawnSync(process.execPath, ["web/scripts/ensure-build.ts"], { cwd: repoRoot, encoding: "utf8" })
    if (build.status !== 0) throw new Error(`web build failed:\n${build.stdout}${build.stderr}`)
  }).pipe(Effect.zipRight(startGatewayProcess(env)))
