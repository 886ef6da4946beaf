// Integration-test databases: a fresh Postgres database per test file on the machine's server, dropped afterwards.
import { layerEmbedded, layerPostgres } from "@lectern/platform/Database"
import { Config, Effect, Layer, Redacted } from "effect"
import pg from "pg"

/** Where integration tests find Postgres; the machine's server by default. */
export const testPostgresUrl = Config.string("TEST_DATABASE_URL").pipe(
  Config.withDefault("postgres://postgres@127.0.0.1:5432/postgres")
)

const adminQuery = (url: string, text: string) =>
  Effect.acquireUseRelease(
    Effect.tryPromise(async () => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      return client
    }),
    (client) => Effect.tryPromise(() => client.query(text)),
    (client) => Effect.promise(() => client.end())
  )

/**
 * A new, empty database on the real Postgres for one test file, dropped when the layer is released.
 * Fails loudly when Postgres does not answer: integration tests never skip.
 */
export const layerFreshPostgres = Layer.unwrapScoped(
  Effect.gen(function* () {
    const url = yield* testPostgresUrl
    const name = `lectern_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
    yield* Effect.acquireRelease(adminQuery(url, `CREATE DATABASE ${name}`), () =>
      adminQuery(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).pipe(Effect.ignore)
    )
    const dbUrl = new URL(url)
    dbUrl.pathname = `/${name}`
    return layerPostgres({ url: Redacted.make(dbUrl.toString()), maxConnections: 5 })
  }).pipe(Effect.orDie)
)

/** An in-memory PGlite for unit tests: the same SQL, no server. */
export const layerMemoryDatabase = layerEmbedded({ dataDir: undefined })
