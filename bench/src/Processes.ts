// Servers under test as child processes (node from process.execPath), so none shares an event loop with autocannon.
import { type ChildProcess, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { createServer } from "node:net"

export interface Child {
  readonly name: string
  readonly process: ChildProcess
  /** The last lines it wrote, for error messages. */
  readonly output: () => string
  /** SIGTERM, then SIGKILL after a grace period; resolves once it exited. */
  readonly stop: () => Promise<void>
}

const OUTPUT_KEPT = 16_384
const STOP_GRACE_MS = 10_000

const running = new Set<ChildProcess>()

// A harness that dies must not leave servers behind: kill what is still running on the way out.
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL")
})

export const startChild = (options: {
  readonly name: string
  readonly script: string
  readonly args?: ReadonlyArray<string>
  readonly nodeArgs?: ReadonlyArray<string>
  readonly env?: Readonly<Record<string, string>>
  /** Variables of this process's environment the child must not inherit. */
  readonly unset?: ReadonlyArray<string>
  readonly cwd?: string
}): Child => {
  const env = { ...process.env, ...options.env }
  for (const name of options.unset ?? []) delete env[name]
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script, ...(options.args ?? [])], {
    cwd: options.cwd ?? process.cwd(),
    env,
    // An IPC channel: our own servers exit when it closes, so they cannot outlive the harness.
    stdio: ["ignore", "pipe", "pipe", "ipc"]
  })
  running.add(child)
  let output = ""
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_KEPT)
  }
  child.stdout?.on("data", keep)
  child.stderr?.on("data", keep)
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve()
    child.once("exit", () => {
      running.delete(child)
      resolve()
    })
  })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS)
    child.kill("SIGTERM")
    await exited
    clearTimeout(timer)
  }
  return { name: options.name, process: child, output: () => output, stop }
}

export class ChildDidNotStart extends Error {
  override readonly name = "ChildDidNotStart"
}

/** The first message the child sends over IPC (our servers send `{ url }` once they listen). */
export const firstMessage = (child: Child, timeoutMs: number) =>
  new Promise<unknown>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new ChildDidNotStart(`${child.name} sent nothing in ${timeoutMs} ms:\n${child.output()}`)),
      timeoutMs
    )
    child.process.once("message", (message) => {
      clearTimeout(timer)
      resolve(message)
    })
    child.process.once("exit", (code) => {
      clearTimeout(timer)
      reject(new ChildDidNotStart(`${child.name} exited (${code}) before it was ready:\n${child.output()}`))
    })
  })

/** Polls `url` until it answers 200, the child exits, or the deadline passes. */
export const waitForHttp = async (child: Child, url: string, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.process.exitCode !== null) {
      throw new ChildDidNotStart(`${child.name} exited (${child.process.exitCode}):\n${child.output()}`)
    }
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false
    )
    if (ok) return
    if (Date.now() > deadline) throw new ChildDidNotStart(`${child.name} did not answer ${url}:\n${child.output()}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** A port that was free a moment ago, for a child that cannot report the one it picked. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() =>
        typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))
      )
    })
  })

/**
 * For our own server scripts: report where we listen, and exit when the harness goes away. A SIGTERM exits
 * normally, so a `--cpu-prof` profile gets written.
 */
export const reportReady = (message: Readonly<Record<string, unknown>>) => {
  process.once("SIGTERM", () => process.exit(0))
  if (process.send === undefined) {
    console.log(JSON.stringify(message))
    return
  }
  process.send(message)
  process.once("disconnect", () => process.exit(0))
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times; 100 on every mainstream kernel build. */
const CLOCK_TICKS_PER_SECOND = 100

/**
 * User + system CPU seconds a process has used so far, all threads included (Linux /proc). Undefined where there
 * is no /proc or the process is gone.
 */
export const processCpuSeconds = (pid: number | undefined): number | undefined => {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const user = Number(fields[11])
    const system = Number(fields[12])
    return Number.isFinite(user) && Number.isFinite(system) ? (user + system) / CLOCK_TICKS_PER_SECOND : undefined
  } catch {
    return undefined
  }
}
