// Baseline for session.login: bare argon2id verifies (@node-rs/argon2) in a closed loop at a given concurrency.
import { verify } from "@node-rs/argon2"
import { reportReady } from "../Processes.ts"
import { percentile, type Run } from "../Report.ts"

export interface VerifyLoad {
  /** A hash made with the gateway's parameters (the bench user's own, read from the database). */
  readonly hash: string
  readonly password: string
  readonly concurrency: number
  readonly seconds: number
}

const isVerifyLoad = (u: unknown): u is VerifyLoad =>
  typeof u === "object" &&
  u !== null &&
  typeof Reflect.get(u, "hash") === "string" &&
  typeof Reflect.get(u, "password") === "string" &&
  typeof Reflect.get(u, "concurrency") === "number" &&
  typeof Reflect.get(u, "seconds") === "number"

/** `concurrency` loops, each starting its next verify when the last ends, until `seconds` pass; then drains. */
const verifyLoop = async (load: VerifyLoad): Promise<Run> => {
  const latencies: Array<number> = []
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  const deadline = started + load.seconds * 1000
  let wrong = 0
  const worker = async () => {
    while (performance.now() < deadline) {
      const before = performance.now()
      // What Passwords.verifyPassword does with the password before verifying.
      if (!(await verify(load.hash, load.password.normalize("NFC")))) wrong++
      latencies.push(performance.now() - before)
    }
  }
  await Promise.all(Array.from({ length: load.concurrency }, worker))
  if (wrong > 0) throw new Error(`${wrong} verifies said the password was wrong`)
  const elapsedSeconds = (performance.now() - started) / 1000
  // Process-wide (getrusage): the libuv threads doing the hashing are counted.
  const cpu = process.cpuUsage(cpuBefore)
  return {
    requestsPerSecond: latencies.length / elapsedSeconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / latencies.length
  }
}

process.on("message", (message: unknown) => {
  if (!isVerifyLoad(message)) return
  verifyLoop(message).then(
    (run) => process.send?.({ run }),
    (error: unknown) => process.send?.({ error: String(error) })
  )
})
reportReady({ ready: true })
