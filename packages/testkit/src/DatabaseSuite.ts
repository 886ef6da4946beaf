// Contract suite for the Database port and the Migrator: run against real Postgres and embedded PGlite alike.
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { migrate } from "@lectern/platform/Migrator"
import { Effect, type Layer } from "effect"

const migrations = [
  { id: 1, name: "create_notes", sql: "CREATE TABLE suite.notes (id serial PRIMARY KEY, body text NOT NULL);" },
  {
    id: 2,
    name: "add_author",
    sql: "ALTER TABLE suite.notes ADD COLUMN author_name text; CREATE INDEX notes_author ON suite.notes (author_name);"
  }
]

export const databaseSuite = (name: string, layer: Layer.Layer<SqlClient.SqlClient>) =>
  describe(`Database port: ${name}`, () => {
    it.layer(layer, { timeout: 60_000 })((it) => {
      it.effect("migrates into the service's own schema, once, even when replicas race", () =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          yield* Effect.all([migrate({ schema: "suite", migrations }), migrate({ schema: "suite", migrations })], {
            concurrency: "unbounded"
          })
          yield* migrate({ schema: "suite", migrations })
          const applied = yield* sql<{ id: number }>`SELECT id FROM suite.schema_migrations ORDER BY id`
          expect(applied.map((row) => row.id)).toEqual([1, 2])
        })
      )

      it.effect("maps camelCase to snake_case both ways", () =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          yield* sql`INSERT INTO suite.notes ${sql.insert({ body: "hello", authorName: "Ada" })}`
          const rows = yield* sql<{ body: string; authorName: string }>`SELECT body, author_name FROM suite.notes`
          expect(rows).toEqual([{ body: "hello", authorName: "Ada" }])
        })
      )

      it.effect("rolls a failed transaction back", () =>
        Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const failed = yield* sql
            .withTransaction(
              Effect.gen(function* () {
                yield* sql`INSERT INTO suite.notes ${sql.insert({ body: "lost", authorName: "x" })}`
                return yield* Effect.fail("boom" as const)
              })
            )
            .pipe(Effect.flip)
          expect(failed).toBe("boom")
          const rows = yield* sql`SELECT 1 FROM suite.notes WHERE body = 'lost'`
          expect(rows).toHaveLength(0)
        })
      )
    })
  })
