// Bench 1: `session.login` through the gateway ÷ bare argon2id verifies of the same hash at the same concurrency,
// and ÷ a bare node:http login doing the same work, which shows what this machine allows beside the hash.

import { Schema } from "effect"
import pg from "pg"
import { type BenchGateway, profileArgs } from "./Gateway.ts"
import { load, WrongAnswer } from "./Load.ts"
import { type Child, firstMessage, startChild } from "./Processes.ts"
import { type Comparison, compare, measured, type Run, Run as RunSchema } from "./Report.ts"
import { alternate } from "./Rounds.ts"
import type { BenchSettings } from "./Settings.ts"
import { captureRequest, type SignedUp } from "./StockClient.ts"
import { startServerScript } from "./UserMeSection.ts"

const GATEWAY = "gateway session.login"
const ARGON2 = "argon2id verify"
const RAW = "node:http login"
type Server = typeof GATEWAY | typeof ARGON2 | typeof RAW

const isSuccess = (body: string) => body.includes('"exit":{"_tag":"Success"')

/** The hash the gateway stored at sign-up: the baseline verifies exactly what a login verifies. */
const storedHash = async (databaseUrl: string, userId: string) => {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const result = await client.query<{ password_hash: string }>("SELECT password_hash FROM auth.users WHERE id = $1", [
      userId
    ])
    const hash = result.rows[0]?.password_hash
    if (hash === undefined) throw new Error(`no user ${userId} in the bench database`)
    return hash
  } finally {
    await client.end()
  }
}

const decodeReply = Schema.decodeUnknownOption(
  Schema.Union(Schema.Struct({ run: RunSchema }), Schema.Struct({ error: Schema.String }))
)

/** Asks the argon2 child for one closed-loop run and waits for its answer. */
const verifyRun = (child: Child, work: { hash: string; password: string; concurrency: number; seconds: number }) =>
  new Promise<Run>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the argon2 child exited (${code}):\n${child.output()}`))
    child.process.once("exit", onExit)
    child.process.once("message", (message: unknown) => {
      child.process.off("exit", onExit)
      const reply = decodeReply(message)
      if (reply._tag === "None") return reject(new Error(`the argon2 child said ${JSON.stringify(message)}`))
      if ("error" in reply.value) return reject(new Error(`the argon2 child failed: ${reply.value.error}`))
      resolve(reply.value.run)
    })
    child.process.send(work)
  })

export const runLogin = async (context: {
  readonly settings: BenchSettings
  readonly gateway: BenchGateway
  readonly databaseUrl: string
  readonly user: SignedUp
  readonly log: (line: string) => void
}): Promise<ReadonlyArray<Comparison>> => {
  const { settings, gateway, user, log } = context
  const request = await captureRequest(undefined, (lectern) =>
    lectern.auth.session.login({ email: user.email, password: user.password })
  )
  const hash = await storedHash(context.databaseUrl, user.userId)
  log(`  argon2 parameters of the stored hash: ${hash.split("$").slice(1, 4).join(" ")}`)

  const once = await fetch(gateway.rpcUrl, {
    method: "POST",
    headers: { "content-type": request.contentType },
    body: request.body
  })
  const text = await once.text()
  if (once.status !== 200 || !isSuccess(text)) throw new WrongAnswer(`a login answered ${once.status} ${text}`)

  const raw = await startServerScript(
    RAW,
    "login-raw.ts",
    { BENCH_DATABASE_URL: context.databaseUrl },
    settings.profileDir
  )
  const argon2 = startChild({
    name: ARGON2,
    script: new URL("./servers/argon2-verify.ts", import.meta.url).pathname,
    nodeArgs: profileArgs(settings.profileDir, "argon2-verify")
  })
  try {
    await firstMessage(argon2, 30_000)
    const runs = await alternate<Server>({
      servers: [GATEWAY, RAW, ARGON2],
      rounds: settings.rounds,
      durationSeconds: settings.durationSeconds,
      warmupSeconds: settings.warmupSeconds,
      log,
      run: (server, seconds) =>
        server === ARGON2
          ? verifyRun(argon2, { hash, password: user.password, concurrency: settings.loginConnections, seconds })
          : load({
              url: server === RAW ? raw.url : gateway.rpcUrl,
              body: request.body,
              headers: { "content-type": request.contentType },
              connections: settings.loginConnections,
              seconds,
              expect: { verify: isSuccess },
              serverPid: (server === RAW ? raw.child : gateway.child).process.pid
            })
    })
    return [
      compare({
        bench: "session.login ÷ argon2",
        description:
          "session.login RPC over HTTP (limits, user read, argon2id verify, 2 inserts, JWT sign) ÷ bare argon2id verify " +
          "(@node-rs/argon2, same stored hash) in a closed loop at the same concurrency, in its own process",
        connections: settings.loginConnections,
        candidate: measured(GATEWAY, runs.get(GATEWAY) ?? []),
        baseline: measured(ARGON2, runs.get(ARGON2) ?? []),
        target: 0.9
      }),
      compare({
        bench: "session.login ÷ node:http login",
        description:
          "session.login RPC over HTTP ÷ bare node:http + pg + @node-rs/argon2 + jose doing the same login " +
          "(same statements, one verify, an EdDSA token) with no framework, limits or Schema",
        connections: settings.loginConnections,
        candidate: measured(GATEWAY, runs.get(GATEWAY) ?? []),
        baseline: measured(RAW, runs.get(RAW) ?? []),
        target: null
      }),
      compare({
        bench: "node:http login ÷ argon2",
        description:
          "the bare node:http login ÷ bare argon2id verifies: the ceiling this machine puts on any server's login " +
          "rate against the hash alone (Postgres, HTTP and the load generator share the same cores)",
        connections: settings.loginConnections,
        candidate: measured(RAW, runs.get(RAW) ?? []),
        baseline: measured(ARGON2, runs.get(ARGON2) ?? []),
        target: null
      })
    ]
  } finally {
    await Promise.all([argon2.stop(), raw.child.stop()])
  }
}
