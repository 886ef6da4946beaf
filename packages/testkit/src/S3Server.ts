// A fake S3 (s3rver) on loopback for tests: buckets in a fresh temporary directory, removed when the scope closes.
//
// s3rver runs in a child Node.js process started with OpenSSL's legacy provider: its ListObjectsV2 continuation
// tokens are DES-encrypted, and OpenSSL 3 offers DES only there (in-process, every truncated listing fails).
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtemp, rm } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Context, Effect, Layer, type Scope } from "effect"

export interface S3ServerService {
  /** `http://127.0.0.1:<port>`; buckets are addressed by path (forcePathStyle). */
  readonly endpoint: string
  readonly region: string
  /** s3rver checks signatures against this one key pair. */
  readonly accessKeyId: string
  readonly secretAccessKey: string
}

export class S3Server extends Context.Tag("@lectern/testkit/S3Server")<S3Server, S3ServerService>() {}

/** Runs in the child: starts s3rver, prints its port, and exits when the parent closes stdin (or dies). */
const childScript = `
const [modulePath, directory] = process.argv.slice(1)
const S3rver = require(modulePath)
const server = new S3rver({ address: "127.0.0.1", port: 0, directory, silent: true, vhostBuckets: false })
server.run().then(
  ({ port }) => process.stdout.write(JSON.stringify({ port }) + "\\n"),
  (error) => { console.error(error); process.exit(1) }
)
process.stdin.on("end", () => process.exit(0))
process.stdin.resume()
`

const portOf = (child: ChildProcess) =>
  Effect.async<number, Error>((resume) => {
    let output = ""
    let errors = ""
    const onData = (data: Buffer) => {
      output += data.toString()
      const line = output.split("\n")[0]
      if (output.includes("\n") && line !== undefined) resume(Effect.try(() => Number(JSON.parse(line).port)))
    }
    const onError = (data: Buffer) => {
      errors += data.toString()
    }
    const onExit = (code: number | null) => resume(Effect.fail(new Error(`s3rver exited (${code}): ${errors}`)))
    child.stdout?.on("data", onData)
    child.stderr?.on("data", onError)
    child.once("exit", onExit)
    return Effect.sync(() => {
      child.stdout?.off("data", onData)
      child.stderr?.off("data", onError)
      child.off("exit", onExit)
    })
  })

const stop = (child: ChildProcess) =>
  Effect.async<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
    child.kill()
  })

/** Starts s3rver on a free loopback port; the scope closing stops it and removes its directory. */
export const startS3Server = (): Effect.Effect<S3ServerService, never, Scope.Scope> =>
  Effect.gen(function* () {
    const directory = yield* Effect.acquireRelease(
      Effect.promise(() => mkdtemp(join(tmpdir(), "lectern-s3rver-"))),
      (directory) => Effect.promise(() => rm(directory, { recursive: true, force: true }))
    )
    const modulePath = createRequire(import.meta.url).resolve("s3rver")
    const child = yield* Effect.acquireRelease(
      Effect.sync(() =>
        spawn(process.execPath, ["--openssl-legacy-provider", "-e", childScript, modulePath, directory], {
          stdio: ["pipe", "pipe", "pipe"]
        })
      ),
      stop
    )
    const port = yield* portOf(child).pipe(Effect.timeout("20 seconds"), Effect.orDie)
    return {
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      accessKeyId: "S3RVER",
      secretAccessKey: "S3RVER"
    }
  })

export const layerS3Server: Layer.Layer<S3Server> = Layer.scoped(S3Server, startS3Server())
