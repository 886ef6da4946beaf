// The Database port: an @effect/sql SqlClient on real Postgres (DATABASE_URL) or on embedded PGlite served over a loopback socket.

import { mkdirSync } from "node:fs"
import { join } from "node:path"
import * as Reactivity from "@effect/experimental/Reactivity"
import type { SqlClient } from "@effect/sql"
import { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import { Config, Effect, Layer, Option, Redacted, String as Str } from "effect"
import pg from "pg"
import { prepareStatements } from "./PreparedStatements.ts"

/** Column and result names: camelCase in TypeScript, snake_case in SQL. */
/** Column names are few and repeat on every row: convert each once (a bounded memo), not per row and key. */
const memoized = (convert: (name: string) => string) => {
  const known = new Map<string, string>()
  return (name: string) => {
    let converted = known.get(name)
    if (converted === undefined) {
      converted = convert(name)
      if (known.size < 10_000) known.set(name, converted)
    }
    return converted
  }
}

const naming = {
  transformQueryNames: memoized(Str.camelToSnake),
  transformResultNames: memoized(Str.snakeToCamel)
} as const

/**
 * Real Postgres. `maxConnections` bounds the pool of this process. Parameterised statements are prepared once per
 * connection (named statements), so Postgres parses and plans the hot queries once instead of on every call.
 */
export const layerPostgres = (options: { readonly url: Redacted.Redacted; readonly maxConnections?: number }) =>
  PgClient.layerFromPool({
    acquire: Effect.acquireRelease(
      Effect.sync(() => {
        const pool = new pg.Pool({
          connectionString: Redacted.value(options.url),
          max: options.maxConnections ?? 10,
          application_name: "lectern"
        })
        pool.on("error", () => {})
        pool.on("connect", prepareStatements)
        return pool
      }),
      (pool) => Effect.tryPromise(() => pool.end()).pipe(Effect.ignore)
    ),
    ...naming
  }).pipe(Layer.orDie)

/**
 * Embedded PGlite, persisted under `dataDir` (or in memory when undefined), reached through pglite-socket
 * on a loopback port so the same `pg` driver and SQL run against it. PGlite is one connection: pool of one.
 */
export const layerEmbedded = (options: { readonly dataDir: string | undefined }) =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const dataDir = options.dataDir === undefined ? undefined : join(options.dataDir, "pgdata")
      if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true })
      const db = yield* Effect.acquireRelease(
        Effect.tryPromise(() => PGlite.create(dataDir === undefined ? {} : { dataDir })),
        (db) => Effect.tryPromise(() => db.close()).pipe(Effect.ignore)
      )
      const server = yield* Effect.acquireRelease(
        Effect.tryPromise(async () => {
          const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 4 })
          await server.start()
          return server
        }),
        (server) => Effect.tryPromise(() => server.stop()).pipe(Effect.ignore)
      )
      const [host, port] = server.getServerConn().split(":")
      yield* Effect.logDebug("embedded PGlite ready").pipe(Effect.annotateLogs({ dataDir: dataDir ?? "memory" }))
      return PgClient.layer({
        host: host ?? "127.0.0.1",
        port: Number(port),
        username: "postgres",
        database: "postgres",
        maxConnections: 1,
        ...naming
      }).pipe(Layer.provide(Reactivity.layer), Layer.orDie)
    }).pipe(Effect.orDie)
  )

/** The configured Database: `DATABASE_URL` selects Postgres; otherwise embedded PGlite under `LECTERN_DATA_DIR`. */
export const layerFromConfig = Layer.unwrapEffect(
  Effect.gen(function* () {
    const url = yield* Config.option(Config.redacted("DATABASE_URL"))
    const maxConnections = yield* Config.integer("DATABASE_POOL_SIZE").pipe(Config.withDefault(10))
    const dataDir = yield* Config.string("LECTERN_DATA_DIR").pipe(Config.withDefault(".lectern"))
    return Option.match(url, {
      onSome: (url) => layerPostgres({ url, maxConnections }),
      onNone: () => layerEmbedded({ dataDir })
    })
  })
)

export type Database = SqlClient.SqlClient

/** Repos talk SQL and nothing else: a failed statement is a defect, so no client ever sees SQL or a driver error. */
export const dieOnSqlError =
  <Args extends ReadonlyArray<unknown>, A, E, R>(f: (...args: Args) => Effect.Effect<A, E, R>) =>
  (...args: Args) =>
    Effect.orDie(f(...args))

/** A transaction whose commit or rollback failure is a defect too; the domain's own errors pass through. */
export const transactionDieOnSqlError =
  (sql: SqlClient.SqlClient) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    sql.withTransaction(effect).pipe(
      Effect.catchIf(
        (error): error is SqlError => error instanceof SqlError,
        (error) => Effect.die(error)
      )
    )
