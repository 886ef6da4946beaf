// Bench 2: `user.me` through the gateway ÷ the same work on bare node:http and on Express 5, same token, same row.
import { type BenchGateway, profileArgs } from "./Gateway.ts"
import { expectSameAnswers, post, WrongAnswer } from "./Load.ts"
import { type Child, firstMessage, startChild } from "./Processes.ts"
import { type Comparison, compare, measured } from "./Report.ts"
import { alternateLoad } from "./Rounds.ts"
import type { BenchSettings } from "./Settings.ts"
import { captureRequest } from "./StockClient.ts"

const GATEWAY = "gateway user.me"
const PATCHED = "patched gateway user.me"
const RAW = "node:http+jose+pg"
const EXPRESS = "express 5+jose+pg"
type Server = typeof GATEWAY | typeof PATCHED | typeof RAW | typeof EXPRESS

/** One of our baseline servers, as a child process; resolves with the URL it reported. */
export const startServerScript = async (
  name: string,
  script: string,
  env: Record<string, string>,
  profileDir: string | undefined
) => {
  const child = startChild({
    name,
    script: new URL(`./servers/${script}`, import.meta.url).pathname,
    env,
    nodeArgs: profileArgs(profileDir, script.replace(/\.ts$/, ""))
  })
  const message = await firstMessage(child, 30_000)
  const url: unknown = typeof message === "object" && message !== null ? Reflect.get(message, "url") : undefined
  if (typeof url !== "string") throw new Error(`${name} reported no url: ${JSON.stringify(message)}`)
  return { child, url }
}

export const runUserMe = async (context: {
  readonly settings: BenchSettings
  readonly gateway: BenchGateway
  /** A second gateway (BENCH_GATEWAY_ROOT) measured in the same rounds, on the same database and keys. */
  readonly patched: BenchGateway | undefined
  readonly databaseUrl: string
  readonly accessToken: string
  readonly log: (line: string) => void
}): Promise<ReadonlyArray<Comparison>> => {
  const { settings, gateway, patched, log } = context
  const request = await captureRequest(context.accessToken, (lectern) => lectern.auth.user.me())
  log(`  request body (captured from the stock RpcClient, ${request.contentType}): ${request.body.trim()}`)
  const children: Array<Child> = []
  try {
    const env = { BENCH_DATABASE_URL: context.databaseUrl, BENCH_JWKS: JSON.stringify(gateway.jwks) }
    const raw = await startServerScript(RAW, "user-me-raw.ts", env, settings.profileDir)
    children.push(raw.child)
    const express = await startServerScript(EXPRESS, "user-me-express.ts", env, settings.profileDir)
    children.push(express.child)
    const urls = new Map<Server, string>([
      [GATEWAY, gateway.rpcUrl],
      [RAW, raw.url],
      [EXPRESS, express.url]
    ])
    const pids = new Map<Server, number | undefined>([
      [GATEWAY, gateway.child.process.pid],
      [RAW, raw.child.process.pid],
      [EXPRESS, express.child.process.pid]
    ])
    if (patched !== undefined) {
      urls.set(PATCHED, patched.rpcUrl)
      pids.set(PATCHED, patched.child.process.pid)
    }
    const servers = [...urls.keys()]

    // The speeds only compare if the answers do: every server must send the very same bytes, a success.
    const expected = await post(gateway.rpcUrl, request.contentType, request.body)
    if (expected.status !== 200 || !expected.text.includes('"exit":{"_tag":"Success"')) {
      throw new WrongAnswer(`the gateway answered user.me with ${expected.status} ${expected.text}`)
    }
    await expectSameAnswers(urls, request, expected.text)

    const runs = await alternateLoad<Server>({
      servers: servers,
      urls,
      pids,
      request,
      expected: expected.text,
      connections: settings.connections,
      settings,
      log
    })
    const of = (server: Server) => measured(server, runs.get(server) ?? [])
    const against = (candidate: Server, label: string) => [
      compare({
        bench: `${label} ÷ node:http`,
        description: "user.me RPC over HTTP (JWT check + one row by id) ÷ bare node:http + jose + pg doing the same",
        connections: settings.connections,
        candidate: of(candidate),
        baseline: of(RAW),
        target: 0.5
      }),
      compare({
        bench: `${label} ÷ express`,
        description: "user.me RPC over HTTP ÷ Express 5 (express.json, header/trace/auth middlewares) + jose + pg",
        connections: settings.connections,
        candidate: of(candidate),
        baseline: of(EXPRESS),
        target: 1.0
      })
    ]
    if (patched === undefined) return against(GATEWAY, "user.me")
    return [
      ...against(GATEWAY, "user.me"),
      ...against(PATCHED, "patched user.me"),
      compare({
        bench: "patched ÷ gateway",
        description: "user.me on the BENCH_GATEWAY_ROOT gateway ÷ on this tree's gateway, same rounds",
        connections: settings.connections,
        candidate: of(PATCHED),
        baseline: of(GATEWAY),
        target: null
      })
    ]
  } finally {
    await Promise.all(children.map((child) => child.stop()))
  }
}
