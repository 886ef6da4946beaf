// Builds the web app when web/dist is missing or older than what goes into it; `npm start` (prestart) and the e2e
// test run it, so one command always serves the current pages.
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const webDir = fileURLToPath(new URL("..", import.meta.url))
const repoRoot = join(webDir, "..")

/** Written last by a successful build; the gateway serves web/dist only when it is there (services/gateway/src/WebApp.ts). */
const completeMark = join(webDir, "dist", ".complete")

/** What the build reads: the app, its config, and the workspace packages its server bundle includes. */
const inputs = [
  join(webDir, "src"),
  join(webDir, "public"),
  join(webDir, "vite.config.ts"),
  join(webDir, "package.json"),
  join(repoRoot, "package-lock.json"),
  join(repoRoot, "packages", "client", "src"),
  join(repoRoot, "packages", "contracts", "src"),
  join(repoRoot, "packages", "domain", "src")
]

const newestChange = (path: string): number => {
  if (!existsSync(path)) return 0
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  return readdirSync(path).reduce((newest, name) => Math.max(newest, newestChange(join(path, name))), stat.mtimeMs)
}

/** Why a build is needed, or undefined when web/dist is current. */
export const staleReason = (): string | undefined => {
  if (!existsSync(completeMark)) return "web/dist has no complete build"
  const built = statSync(completeMark).mtimeMs
  const changed = inputs.find((input) => newestChange(input) > built)
  return changed === undefined ? undefined : `${changed} changed since the last build`
}

export interface BuildResult {
  readonly built: boolean
  readonly output: string
}

/** Held while one process builds: two tests (or a test and `npm start`) starting at once must not both write dist. */
const buildLock = join(webDir, ".build.lock")
const LOCK_WAIT_MS = 5 * 60_000
/** A lock older than this was left by a build that died. */
const LOCK_STALE_MS = 10 * 60_000

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)

const withBuildLock = <A>(body: () => A): A => {
  const deadline = Date.now() + LOCK_WAIT_MS
  for (;;) {
    try {
      mkdirSync(buildLock)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
      const age = Date.now() - (existsSync(buildLock) ? statSync(buildLock).mtimeMs : Date.now())
      if (age > LOCK_STALE_MS) rmSync(buildLock, { recursive: true, force: true })
      else if (Date.now() > deadline) throw new Error(`another web build has held ${buildLock} for too long`)
      else sleepSync(250)
    }
  }
  try {
    return body()
  } finally {
    rmSync(buildLock, { recursive: true, force: true })
  }
}

/** Runs `vite build` in web/ when needed (one build at a time); throws with vite's output when the build fails. */
export const ensureWebBuild = (options: { readonly quiet?: boolean; readonly force?: boolean } = {}): BuildResult => {
  if (!options.force && staleReason() === undefined) return { built: false, output: "" }
  return withBuildLock(() => buildNow(options))
}

const buildNow = (options: { readonly quiet?: boolean; readonly force?: boolean }): BuildResult => {
  // Checked again under the lock: the build another process just finished may be current.
  const reason = options.force ? "asked to" : staleReason()
  if (reason === undefined) return { built: false, output: "" }
  if (!options.quiet) console.log(`building the web app (${reason})…`)
  rmSync(completeMark, { force: true })
  // Vite 8 sits in web/node_modules while the root keeps vitest's Vite; either place works.
  const vite = [webDir, repoRoot]
    .map((dir) => join(dir, "node_modules", "vite", "bin", "vite.js"))
    .find((path) => existsSync(path))
  if (vite === undefined) throw new Error("vite is not installed: run npm install")
  const result = spawnSync(process.execPath, [vite, "build"], {
    cwd: webDir,
    encoding: "utf8",
    stdio: options.quiet ? "pipe" : "inherit",
    env: { ...process.env, NODE_ENV: "production" }
  })
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`
  if (result.status !== 0) throw new Error(`vite build failed (exit ${result.status}):\n${output}`)
  writeFileSync(completeMark, `${new Date().toISOString()}\n`)
  return { built: true, output }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureWebBuild({ force: process.argv.includes("--force") })
