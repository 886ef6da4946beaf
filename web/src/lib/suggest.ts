// The search box's type-ahead: a few course titles matching what was typed, from catalog's search.

/** One suggestion: where it leads and what it shows. */
export interface Suggestion {
  readonly slug: string
  readonly title: string
}

/** At most this many suggestions a request. */
export const SUGGESTION_LIMIT = 6

/** Course titles matching `q` (two characters at least), best match first; none when the search fails. */
export const suggestCourses = async (q: string): Promise<ReadonlyArray<Suggestion>> => {
  "use server"
  const text = q.trim().slice(0, 200)
  if (text.length < 2) return []
  const { search } = await import("../server/catalog.ts")
  const page = await search({ q: text, limit: SUGGESTION_LIMIT })
  return page.ok ? page.value.items.map((course) => ({ slug: course.slug, title: course.title })) : []
}
