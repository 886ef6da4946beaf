// Named prepared statements for every parameterised query on real Postgres: parse and plan once per connection.
import { createHash } from "node:crypto"
import type pg from "pg"

const names = new Map<string, string>()
const MAX_NAMES = 2_000

/** A stable statement name per SQL text (the text decides the plan, so equal texts share one). */
const statementName = (text: string) => {
  let name = names.get(text)
  if (name === undefined) {
    name = `l_${createHash("sha1").update(text).digest("base64url")}`
    if (names.size < MAX_NAMES) names.set(text, name)
  }
  return name
}

type QueryCallback = (error: Error | null, result: pg.QueryResult) => void

/**
 * Makes `client.query(text, values, callback)` — the form @effect/sql-pg uses for statements with parameters — send
 * a named statement, which the driver prepares on first use per connection and then only binds and executes.
 * Queries without parameters (DDL, multi-statement migrations) keep the simple protocol.
 */
export const prepareStatements = (client: pg.PoolClient) => {
  const query = client.query.bind(client)
  const prepared = (...args: Array<unknown>) => {
    const [text, values, callback] = args
    if (typeof text === "string" && Array.isArray(values) && values.length > 0 && typeof callback === "function") {
      const done: QueryCallback = (error, result) => callback(error, result)
      return query({ name: statementName(text), text, values }, done)
    }
    return Reflect.apply(query, client, args)
  }
  Object.defineProperty(client, "query", { value: prepared, configurable: true, writable: true })
}
