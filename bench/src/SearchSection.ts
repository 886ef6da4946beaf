// Bench 4: `course.search` (words + a category, first page) through the gateway, uncached and cached, ÷ the same statements on bare node:http and on Express 5.
import { CategoryId } from "@lectern/domain"
import pg from "pg"
import { createBenchDatabase } from "./BenchDatabase.ts"
import { type BenchGateway, startGateway } from "./Gateway.ts"
import { expectSameAnswers, post, WrongAnswer } from "./Load.ts"
import type { Child } from "./Processes.ts"
import { type Comparison, compare, measured } from "./Report.ts"
import { alternateLoad } from "./Rounds.ts"
import { seedSearchCatalog } from "./SearchSeed.ts"
import { type CapturedStatement, captureSearchStatements } from "./SearchSql.ts"
import type { BenchSettings } from "./Settings.ts"
import { captureRequest } from "./StockClient.ts"
import { startServerScript } from "./UserMeSection.ts"

const GATEWAY = "gateway course.search"
const CACHED = "gateway course.search cached"
const RAW = "node:http+pg search"
const EXPRESS = "express 5+pg search"
type Server = typeof GATEWAY | typeof CACHED | typeof RAW | typeof EXPRESS

/** The words searched for, inside the "Programming" tree (its sub-categories included). */
const QUERY = "python"
const ROOT_CATEGORY = "Programming"

const oneLine = (text: string) => text.replace(/\s+/g, " ").trim()

interface PlanNode {
  readonly "Node Type"?: string
  readonly "Relation Name"?: string
  readonly "Index Name"?: string
  readonly Plans?: ReadonlyArray<PlanNode>
}

/** The scans of a plan tree, e.g. `Bitmap Index Scan courses_search`, outermost first. */
const scansOf = (node: PlanNode): ReadonlyArray<string> => [
  ...(node["Node Type"]?.includes("Scan") === true
    ? [`${node["Node Type"]} ${node["Index Name"] ?? node["Relation Name"] ?? ""}`.trim()]
    : []),
  ...(node.Plans ?? []).flatMap(scansOf)
]

/** How Postgres runs a captured statement (EXPLAIN ANALYZE): its scans and execution time. */
const explain = async (databaseUrl: string, statement: CapturedStatement) => {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const result = await client.query<{ "QUERY PLAN": ReadonlyArray<{ Plan: PlanNode; "Execution Time": number }> }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${statement.text}`,
      [...statement.params]
    )
    const plan = result.rows[0]?.["QUERY PLAN"][0]
    if (plan === undefined) return "no plan"
    return `${scansOf(plan.Plan).join(", ")}; ${plan["Execution Time"].toFixed(1)} ms`
  } finally {
    await client.end()
  }
}

export const runSearch = async (context: {
  readonly settings: BenchSettings
  readonly log: (line: string) => void
}): Promise<ReadonlyArray<Comparison>> => {
  const { settings, log } = context
  const database = await createBenchDatabase(settings.postgresUrl)
  const gateways: Array<BenchGateway> = []
  const children: Array<Child> = []
  try {
    log(`  bench database ${database.name}; starting the gateway with CATALOG_CACHE_TTL=0 (cache off)`)
    const uncached = await startGateway({
      databaseUrl: database.url,
      profileDir: settings.profileDir,
      root: undefined,
      profileName: "gateway-search",
      env: { CATALOG_CACHE_TTL: "0" }
    })
    gateways.push(uncached)
    const seedStarted = Date.now()
    const catalog = await seedSearchCatalog(database.url, settings.searchCourses)
    log(`  seeded ${catalog.courses} published courses in ${Date.now() - seedStarted} ms (one INSERT … SELECT)`)
    log("  starting a second gateway with the catalog cache on (CATALOG_CACHE_TTL default, 60 s)")
    const cached = await startGateway({
      databaseUrl: database.url,
      profileDir: settings.profileDir,
      root: undefined,
      profileName: "gateway-search-cached"
    })
    gateways.push(cached)

    const rootId = catalog.roots.get(ROOT_CATEGORY)
    if (rootId === undefined) throw new Error(`no ${ROOT_CATEGORY} category in the bench catalog`)
    const payload = { q: QUERY, categoryId: CategoryId.make(rootId) }
    const request = await captureRequest(undefined, (lectern) => lectern.catalog.course.search(payload))
    log(`  request body (captured from the stock RpcClient, ${request.contentType}): ${request.body.trim()}`)
    const statements = await captureSearchStatements(database.url, payload)
    log(`  the catalog's page statement (captured from Catalog.search): ${oneLine(statements.page.text)}`)
    log(`    parameters ${JSON.stringify(statements.page.params)}`)
    log(`  plan of the page statement: ${await explain(database.url, statements.page)}`)
    if (statements.total === null) {
      log("  (no count statement: the page statement carries the total)")
    } else {
      log(`  the catalog's count statement: ${oneLine(statements.total.text)}`)
      log(`    parameters ${JSON.stringify(statements.total.params)}`)
      log(`  plan of the count statement: ${await explain(database.url, statements.total)}`)
    }

    const env = {
      BENCH_DATABASE_URL: database.url,
      BENCH_SEARCH_SQL: JSON.stringify(statements),
      BENCH_SEARCH_SAMPLE: request.body
    }
    const raw = await startServerScript(RAW, "search-raw.ts", env, settings.profileDir)
    children.push(raw.child)
    const express = await startServerScript(EXPRESS, "search-express.ts", env, settings.profileDir)
    children.push(express.child)
    const catalogUrl = (gateway: BenchGateway) => `${gateway.url}/rpc/catalog`
    const urls = new Map<Server, string>([
      [GATEWAY, catalogUrl(uncached)],
      [CACHED, catalogUrl(cached)],
      [RAW, raw.url],
      [EXPRESS, express.url]
    ])
    const pids = new Map<Server, number | undefined>([
      [GATEWAY, uncached.child.process.pid],
      [CACHED, cached.child.process.pid],
      [RAW, raw.child.process.pid],
      [EXPRESS, express.child.process.pid]
    ])

    // Every server must send the very same bytes (the cached gateway twice: its miss, then its hit).
    const expected = await post(catalogUrl(uncached), request.contentType, request.body)
    if (expected.status !== 200 || !expected.text.includes('"exit":{"_tag":"Success"')) {
      throw new WrongAnswer(`the gateway answered course.search with ${expected.status} ${expected.text}`)
    }
    const total = /"total":(\d+)/.exec(expected.text)?.[1]
    log(`  answer: ${expected.text.length} bytes, 20 of ${total ?? "?"} matching courses`)
    await expectSameAnswers([...urls, [CACHED, catalogUrl(cached)] as const], request, expected.text)

    const runs = await alternateLoad<Server>({
      servers: [...urls.keys()],
      urls,
      pids,
      request,
      expected: expected.text,
      connections: settings.searchConnections,
      settings,
      log
    })
    const of = (server: Server) => measured(server, runs.get(server) ?? [])
    const connections = settings.searchConnections
    const shape = `course.search {q, categoryId} over ${catalog.courses} published courses, first page of 20`
    return [
      compare({
        bench: "course.search ÷ node:http",
        description: `${shape}, catalog cache off ÷ bare node:http + pg running the catalog's own statements`,
        connections,
        candidate: of(GATEWAY),
        baseline: of(RAW),
        target: 0.6,
        p99Limit: 3
      }),
      compare({
        bench: "course.search ÷ express",
        description: `${shape}, catalog cache off ÷ Express 5 (express.json, header/trace middlewares) + pg`,
        connections,
        candidate: of(GATEWAY),
        baseline: of(EXPRESS),
        target: 1.0
      }),
      compare({
        bench: "cached course.search ÷ node:http",
        description: `${shape}, the same query repeated with the catalog cache on ÷ the uncached node:http baseline`,
        connections,
        candidate: of(CACHED),
        baseline: of(RAW),
        target: 1.0
      })
    ]
  } finally {
    await Promise.all(children.map((child) => child.stop()))
    await Promise.all(gateways.map((gateway) => gateway.stop()))
    await database.drop().catch((error: unknown) => log(`  could not drop ${database.name}: ${String(error)}`))
  }
}
