// nginx as the static-file baseline: the Debian package's binary on loopback, with a config generated in a temp dir.
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { freePort } from "../Processes.ts"
import { processTree } from "./ProcessTree.ts"

export const NGINX_BINARY = "/usr/sbin/nginx"
export const NGINX_MISSING = "nginx not installed (apt-get install -y nginx)"

export const nginxInstalled = () => existsSync(NGINX_BINARY)

export class NginxDidNotStart extends Error {
  override readonly name = "NginxDidNotStart"
}

/**
 * The whole config: one worker process (Lectern serves from one Node process; the kernel does the copying with
 * sendfile either way), in the foreground, no access log, keep-alive connections that are never closed for having
 * served too many requests, and every path it writes inside `dir`. Files under `root` are served as they are.
 */
export const nginxConfig = (options: {
  readonly dir: string
  readonly root: string
  readonly port: number
  /** Set when running as root: the worker must read files only root may read (temp dirs are 0700). */
  readonly user: string | undefined
}) =>
  [
    ...(options.user === undefined ? [] : [`user ${options.user};`]),
    "worker_processes 1;",
    "daemon off;",
    `pid ${join(options.dir, "nginx.pid")};`,
    `error_log ${join(options.dir, "error.log")} warn;`,
    "events { worker_connections 1024; }",
    "http {",
    "  access_log off;",
    "  sendfile on;",
    "  tcp_nopush on;",
    "  keepalive_requests 1000000;",
    "  keepalive_timeout 65;",
    "  default_type application/octet-stream;",
    "  types { video/mp2t ts; }",
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(
      (kind) => `  ${kind}_temp_path ${join(options.dir, `${kind}-temp`)};`
    ),
    "  server {",
    `    listen 127.0.0.1:${options.port};`,
    `    root ${options.root};`,
    "    location / { }",
    "  }",
    "}",
    ""
  ].join("\n")

export interface RunningNginx {
  readonly origin: string
  /** Master and workers. */
  readonly pids: () => ReadonlyArray<number>
  readonly config: string
  readonly stop: () => Promise<void>
}

/** Starts nginx serving `root` on a free loopback port; resolves once `probePath` answers 200. */
export const startNginx = async (root: string, probePath: string): Promise<RunningNginx> => {
  const dir = mkdtempSync(join(tmpdir(), "lectern-bench-nginx-"))
  const port = await freePort()
  const user = process.getuid?.() === 0 ? "root" : undefined
  const config = nginxConfig({ dir, root, port, user })
  const configFile = join(dir, "nginx.conf")
  writeFileSync(configFile, config)
  const child = spawn(NGINX_BINARY, ["-p", dir, "-c", configFile, "-e", join(dir, "error.log")], {
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8192)
  }
  child.stdout.on("data", keep)
  child.stderr.on("data", keep)
  const killOnExit = () => child.kill("SIGKILL")
  process.once("exit", killOnExit)
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const errorLog = () => {
    try {
      return readFileSync(join(dir, "error.log"), "utf8").slice(-4096)
    } catch {
      return ""
    }
  }
  const stop = async () => {
    process.off("exit", killOnExit)
    if (child.exitCode === null && child.signalCode === null) {
      // SIGQUIT: a graceful stop of master and workers.
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000)
      child.kill("SIGQUIT")
      await exited
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  }
  const origin = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 10_000
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new NginxDidNotStart(`nginx exited (${child.exitCode}): ${output}${errorLog()}`)
    }
    const status = await fetch(`${origin}${probePath}`).then(
      async (response) => {
        await response.arrayBuffer()
        return response.status
      },
      () => 0
    )
    if (status === 200) break
    if (Date.now() > deadline) {
      const log = errorLog()
      await stop()
      throw new NginxDidNotStart(`nginx did not serve ${probePath} (last status ${status}): ${output}${log}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const pid = child.pid
  return { origin, pids: () => (pid === undefined ? [] : processTree(pid)), config, stop }
}
