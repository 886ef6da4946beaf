// Runs each service's SQL migrations in that service's own Postgres schema, once, under an advisory lock.

import { readdirSync, readFileSync } from "node:fs"
import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

export interface Migration {
  readonly id: number
  readonly name: string
  readonly sql: string
}

export interface ServiceMigrations {
  /** The Postgres schema the service owns (`auth`, `catalog`, …). */
  readonly schema: string
  readonly migrations: ReadonlyArray<Migration>
}

const MIGRATION_FILE = /^(\d+)_([\w-]+)\.sql$/

/** Reads `NNNN_name.sql` files (already loaded as text) into ordered migrations. */
export const fromFiles = (files: Record<string, string>): ReadonlyArray<Migration> =>
  Object.entries(files)
    .flatMap(([file, sql]) => {
      const match = MIGRATION_FILE.exec(file.split("/").pop() ?? "")
      return match ? [{ id: Number(match[1]), name: match[2] ?? file, sql }] : []
    })
    .sort((a, b) => a.id - b.id)

const SCHEMA_NAME = /^[a-z][a-z0-9_]*$/

/**
 * Applies the migrations not yet recorded in `<schema>.schema_migrations`, in one transaction holding a
 * transaction-scoped advisory lock, so replicas starting together apply each migration exactly once.
 */
export const migrate = ({ migrations, schema }: ServiceMigrations) =>
  Effect.gen(function* () {
    if (!SCHEMA_NAME.test(schema)) return yield* Effect.dieMessage(`invalid schema name: ${schema}`)
    const sql = yield* SqlClient.SqlClient
    const applied = yield* sql.withTransaction(
      Effect.gen(function* () {
        yield* sql`SELECT pg_advisory_xact_lock(hashtext(${`lectern.migrate.${schema}`}))`
        yield* sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
        yield* sql.unsafe(
          `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
             id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`
        )
        const done = yield* sql.unsafe<{ id: number }>(`SELECT id FROM ${schema}.schema_migrations`)
        const doneIds = new Set(done.map((row) => row.id))
        const pending = migrations.filter((migration) => !doneIds.has(migration.id))
        for (const migration of pending) {
          yield* sql.unsafe(migration.sql)
          yield* sql.unsafe(`INSERT INTO ${schema}.schema_migrations (id, name) VALUES ($1, $2)`, [
            migration.id,
            migration.name
          ])
        }
        return pending.map((migration) => migration.name)
      })
    )
    if (applied.length > 0) yield* Effect.logInfo("migrations applied").pipe(Effect.annotateLogs({ schema, applied }))
  }).pipe(Effect.orDie, Effect.withSpan("Migrator.migrate", { attributes: { schema } }))

/** Loads every `NNNN_name.sql` in a folder (a service passes `new URL("../migrations/", import.meta.url)`). */
export const loadMigrations = (folder: URL): ReadonlyArray<Migration> =>
  fromFiles(
    Object.fromEntries(
      readdirSync(folder)
        .filter((file) => file.endsWith(".sql"))
        .map((file) => [file, readFileSync(new URL(file, folder), "utf8")])
    )
  )
