// What both course.search baselines share: the catalog's own statements, the same parameters, the same reply bytes.
//
// The statements come from the harness (BENCH_SEARCH_SQL), which captured them from the real Catalog service; the
// parameters are built from the payload here the way the catalog builds them, for the one query shape the bench
// sends (words + categoryId, relevance order, first page), and checked against the captured ones at start.
import pg from "pg"

export interface CapturedStatement {
  readonly text: string
  readonly params: ReadonlyArray<unknown>
}

export interface SearchStatements {
  readonly page: CapturedStatement
  /** Null when the page statement carries the total in a `total` column. */
  readonly total: CapturedStatement | null
}

/** The catalog's `searchTerms` (services/catalog/src/Catalog.ts): letters and digits, lower-cased, 8 words of 50. */
export const searchTerms = (q: string): ReadonlyArray<string> =>
  (
    q
      .normalize("NFKC")
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  )
    .slice(0, 8)
    .map((term) => term.slice(0, 50))

/** The catalog's cursor fingerprint (Catalog.ts `fingerprint`): FNV-1a over the JSON of the filters and sort. */
const fingerprint = (parts: unknown) => {
  let hash = 0x811c9dc5
  for (const char of JSON.stringify(parts)) {
    hash ^= char.codePointAt(0) ?? 0
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash.toString(36)
}

export interface SearchQuery {
  readonly terms: ReadonlyArray<string>
  readonly categoryId: string
  readonly limit: number
}

/** Each word twice (english and simple dictionaries), the last one as a prefix — the catalog's `textQuery`. */
const textParams = (terms: ReadonlyArray<string>) =>
  terms.flatMap((term, index) => {
    const lexeme = index === terms.length - 1 ? `${term}:*` : term
    return [lexeme, lexeme]
  })

/** The parameters of the page statement: rank (select list), text match, category, rank (order), limit + 1. */
export const pageParams = (query: SearchQuery) => {
  const text = textParams(query.terms)
  return [...text, ...text, query.categoryId, ...text, query.limit + 1]
}

export const totalParams = (query: SearchQuery) => [...textParams(query.terms), query.categoryId]

/** A row of the catalog's page statement, whose columns carry the card's field names (CARD_COLUMNS_AS_FIELDS). */
interface CardRow {
  readonly id: string
  readonly slug: string
  readonly ownerId: string
  readonly title: string
  readonly subtitle: string | null
  readonly categoryId: string
  readonly level: string
  readonly language: string
  readonly priceAmount: number
  readonly priceCurrency: string
  readonly discountKind: "percent" | "amount" | null
  readonly discountValue: number | null
  readonly discountEndsAt: Date | null
  readonly tags: ReadonlyArray<string>
  readonly status: string
  readonly ratingAverage: number
  readonly ratingCount: number
  readonly enrollmentCount: number
  readonly lessonCount: number
  readonly durationSeconds: number
  readonly publishedAt: Date | null
  readonly sortKey: string
  readonly total?: number
}

const discountJson = (row: CardRow) => {
  if (row.discountKind === null || row.discountValue === null || row.discountEndsAt === null) return null
  const endsAt = row.discountEndsAt.toISOString()
  return row.discountKind === "percent"
    ? { kind: "percent", percent: row.discountValue, endsAt }
    : { kind: "amount", amount: row.discountValue, endsAt }
}

/** The `CourseCard` Schema's encoded form, fields in its order, so the bytes equal the gateway's. */
const cardJson = (row: CardRow) => ({
  id: row.id,
  slug: row.slug,
  ownerId: row.ownerId,
  title: row.title,
  subtitle: row.subtitle,
  categoryId: row.categoryId,
  level: row.level,
  language: row.language,
  price: { amount: row.priceAmount, currency: row.priceCurrency },
  discount: discountJson(row),
  tags: row.tags,
  status: row.status,
  ratingAverage: row.ratingCount === 0 ? null : row.ratingAverage,
  ratingCount: row.ratingCount,
  enrollmentCount: row.enrollmentCount,
  lessonCount: row.lessonCount,
  durationSeconds: row.durationSeconds,
  publishedAt: row.publishedAt === null ? null : row.publishedAt.toISOString()
})

export interface SearchRequest {
  readonly id: string
  readonly query: SearchQuery
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A `course.search` Request message of the bench's shape (q + categoryId), or undefined. */
export const searchRequestOf = (message: unknown): SearchRequest | undefined => {
  if (!isRecord(message) || message.tag !== "course.search" || typeof message.id !== "string") return undefined
  const payload = message.payload
  if (!isRecord(payload)) return undefined
  const { q, categoryId, limit } = payload
  if (typeof q !== "string" || q.length > 200 || typeof categoryId !== "string" || !UUID.test(categoryId)) {
    return undefined
  }
  if (limit !== undefined && (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > 100)) {
    return undefined
  }
  const terms = searchTerms(q)
  if (terms.length === 0) return undefined
  return { id: message.id, query: { terms, categoryId, limit: limit ?? 20 } }
}

/** The stock RpcClient's NDJSON framing of one successful Exit. */
export const successLine = (requestId: string, value: unknown) =>
  `${JSON.stringify({ _tag: "Exit", requestId, exit: { _tag: "Success", value } })}\n`

const sameParams = (a: ReadonlyArray<unknown>, b: ReadonlyArray<unknown>) => JSON.stringify(a) === JSON.stringify(b)

/** From the environment the harness sets: BENCH_DATABASE_URL, BENCH_SEARCH_SQL (the captured statements, JSON). */
export const makeSearch = () => {
  const databaseUrl = process.env.BENCH_DATABASE_URL
  const statementsText = process.env.BENCH_SEARCH_SQL
  const sampleText = process.env.BENCH_SEARCH_SAMPLE
  if (databaseUrl === undefined || statementsText === undefined || sampleText === undefined) {
    throw new Error("BENCH_DATABASE_URL, BENCH_SEARCH_SQL and BENCH_SEARCH_SAMPLE are needed")
  }
  const statements: SearchStatements = JSON.parse(statementsText)
  // The parameters built here for the bench's request must be the very ones the catalog bound.
  const sample = searchRequestOf(JSON.parse(sampleText))
  if (sample === undefined) throw new Error(`BENCH_SEARCH_SAMPLE is not a search of the bench's shape: ${sampleText}`)
  const totalStatement = statements.total
  if (
    !sameParams(pageParams(sample.query), statements.page.params) ||
    (totalStatement !== null && !sameParams(totalParams(sample.query), totalStatement.params))
  ) {
    throw new Error(
      `parameters differ from the catalog's: ${JSON.stringify([pageParams(sample.query), totalParams(sample.query)])}` +
        ` vs ${JSON.stringify([statements.page.params, totalStatement?.params])}`
    )
  }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 })
  // Unnamed statements by default, as a typical pg server sends them (planned with the actual parameters each time);
  // BENCH_SEARCH_PREPARED=1 names them like the gateway's platform does (Postgres may then use a generic plan).
  const prepared = process.env.BENCH_SEARCH_PREPARED === "1"
  const run = <R extends pg.QueryResultRow>(name: string, text: string, values: Array<unknown>) =>
    prepared ? pool.query<R>({ name, text, values }) : pool.query<R>(text, values)

  /** The page and the total: from one statement, or from two run side by side, as the catalog does. */
  const pageAndTotal = async (query: SearchQuery) => {
    if (totalStatement === null) {
      const page = await run<CardRow>("search_page", statements.page.text, pageParams(query))
      return { rows: page.rows, total: page.rows[0]?.total ?? 0 }
    }
    const [page, total] = await Promise.all([
      run<CardRow>("search_page", statements.page.text, pageParams(query)),
      run<{ total: number }>("search_total", totalStatement.text, totalParams(query))
    ])
    return { rows: page.rows, total: total.rows[0]?.total ?? 0 }
  }

  /** The first page, as the catalog's `course.search` answers it. */
  const search = async (query: SearchQuery) => {
    const page = await pageAndTotal(query)
    const items = page.rows.slice(0, query.limit)
    const last = items[items.length - 1]
    const filters = fingerprint([{ terms: query.terms, categoryId: query.categoryId, price: "any" }, "relevance"])
    return {
      items: items.map(cardJson),
      nextCursor:
        page.rows.length > query.limit && last !== undefined
          ? Buffer.from(JSON.stringify([1, "relevance", last.sortKey, last.id, filters])).toString("base64url")
          : null,
      total: page.total
    }
  }
  return { search }
}
