// The embedded database keeps its data under LECTERN_DATA_DIR: what one process wrote, the next one reads.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { layerEmbedded } from "@lectern/platform/Database"
import { migrate } from "@lectern/platform/Migrator"
import { Effect } from "effect"

const migrations = [{ id: 1, name: "notes", sql: "CREATE TABLE persisted.notes (body text NOT NULL);" }]

describe("embedded PGlite", () => {
  it.live(
    "survives a restart: a second start on the same data directory sees the first one's rows and migrations",
    () =>
      Effect.gen(function* () {
        const dataDir = mkdtempSync(join(tmpdir(), "lectern-pglite-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dataDir, { recursive: true, force: true })))
        const write = Effect.gen(function* () {
          yield* migrate({ schema: "persisted", migrations })
          const sql = yield* SqlClient.SqlClient
          yield* sql`INSERT INTO persisted.notes (body) VALUES ('kept across restarts')`
        })
        const read = Effect.gen(function* () {
          yield* migrate({ schema: "persisted", migrations })
          const sql = yield* SqlClient.SqlClient
          const rows = yield* sql<{ body: string }>`SELECT body FROM persisted.notes`
          const applied = yield* sql<{ id: number }>`SELECT id FROM persisted.schema_migrations`
          return { bodies: rows.map((row) => row.body), applied: applied.map((row) => row.id) }
        })
        // Each run builds and releases its own layer: the second is a new PGlite on the same files.
        yield* write.pipe(Effect.provide(layerEmbedded({ dataDir })))
        const seen = yield* read.pipe(Effect.provide(layerEmbedded({ dataDir })))
        expect(seen).toEqual({ bodies: ["kept across restarts"], applied: [1] })
      }).pipe(Effect.scoped),
    60_000
  )
})
