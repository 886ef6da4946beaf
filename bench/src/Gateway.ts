// The candidate: the real gateway (`services/gateway/src/main.ts`) as a child process on the bench database.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type Child, freePort, startChild, waitForHttp } from "./Processes.ts"

export const repoRoot = new URL("../../", import.meta.url).pathname

/** Bench traffic all comes from 127.0.0.1, so per-IP and per-account limits would measure the limiter, not login. */
const LIMITS_OFF = "1000000000"

export interface BenchGateway {
  readonly child: Child
  readonly url: string
  readonly rpcUrl: string
  /** The gateway's public key set, as served at /.well-known/jwks.json. */
  readonly jwks: unknown
  readonly stop: () => Promise<void>
}

/** The arguments that make a child write `<name>.cpuprofile` into `dir` when it exits. */
export const profileArgs = (dir: string | undefined, name: string): ReadonlyArray<string> =>
  dir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`]

export const startGateway = async (options: {
  readonly databaseUrl: string
  readonly profileDir: string | undefined
  readonly root: string | undefined
  readonly profileName?: string
  /** More environment for this gateway (e.g. CATALOG_CACHE_TTL). */
  readonly env?: Readonly<Record<string, string>>
  /** The port to listen on; default a free one. */
  readonly port?: number
}): Promise<BenchGateway> => {
  const root = options.root ?? repoRoot
  // With LOG_LEVEL=warn it never logs where it listens, so it gets a port instead of picking one.
  const port = options.port ?? (await freePort())
  const dataDir = mkdtempSync(join(tmpdir(), "lectern-bench-"))
  const child = startChild({
    name: options.profileName ?? "gateway",
    script: join(root, "services/gateway/src/main.ts"),
    cwd: root,
    nodeArgs: profileArgs(options.profileDir, options.profileName ?? "gateway"),
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: options.databaseUrl,
      LECTERN_DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      ACCESS_LOG: "false",
      AUTH_LOGIN_IP_PER_MINUTE: LIMITS_OFF,
      AUTH_LOGIN_FAILURES_PER_HOUR: LIMITS_OFF,
      AUTH_REGISTRATIONS_PER_IP_PER_HOUR: LIMITS_OFF,
      ...options.env
    },
    // The bench measures the embedded cache and dev outbox, and no exporter (so no span export work).
    unset: [
      "REDIS_URL",
      "SMTP_URL",
      "OTEL_EXPORTER_OTLP_ENDPOINT",
      "AUTH_SIGNING_KEYS",
      "AUTH_JWKS_URL",
      "NODE_OPTIONS"
    ]
  })
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    await child.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
  try {
    await waitForHttp(child, `${url}/ready`, 60_000)
    const response = await fetch(`${url}/.well-known/jwks.json`)
    if (!response.ok) throw new Error(`the gateway's JWKS answered ${response.status}`)
    const jwks: unknown = await response.json()
    return { child, url, rpcUrl: `${url}/rpc/auth`, jwks, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
