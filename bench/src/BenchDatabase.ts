// A throwaway Postgres database for one bench run: `lectern_bench_<random>`, dropped at the end.
import { randomBytes } from "node:crypto"
import pg from "pg"

export interface BenchDatabase {
  readonly name: string
  readonly url: string
  readonly drop: () => Promise<void>
}

const withAdmin = async <A>(adminUrl: string, f: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    return await f(client)
  } finally {
    await client.end()
  }
}

/** `adminUrl`: a database on the server that may CREATE DATABASE (e.g. `postgres://postgres@127.0.0.1:5432/postgres`). */
export const createBenchDatabase = async (adminUrl: string): Promise<BenchDatabase> => {
  // Only [a-z0-9_], so the name needs no quoting beyond the double quotes.
  const name = `lectern_bench_${randomBytes(6).toString("hex")}`
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE "${name}"`))
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    // FORCE: a server that did not stop cleanly may still hold connections.
    drop: () =>
      withAdmin(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {})
  }
}
