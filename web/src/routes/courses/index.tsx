// Browse and search: filters in the URL (q with type-ahead, category, level, language, price, rating, sort), cursor pages.
import { Title } from "@solidjs/meta"
import { A, createAsync, type RouteDefinition, useSearchParams } from "@solidjs/router"
import { For, Show } from "solid-js"
import CourseList from "../../components/CourseList.tsx"
import Loaded from "../../components/Loaded.tsx"
import SearchBox from "../../components/SearchBox.tsx"
import { getCategories, type SearchParams, searchCourses } from "../../lib/catalog.ts"
import { formatLanguage, LEVELS, plural } from "../../lib/format.ts"
import { loadedValue } from "../../lib/outcome.ts"

const PAGE_SIZE = 12
const LANGUAGES = ["en", "es", "fr", "de", "pt", "it", "ja", "zh"]
const SORTS: ReadonlyArray<readonly [string, string]> = [
  ["", "Best match"],
  ["newest", "Newest"],
  ["popular", "Most learners"],
  ["rating", "Highest rated"]
]
/** Minimum average ratings offered (the URL's `rating`, catalog's `minRating`). */
const RATINGS: ReadonlyArray<readonly [string, string]> = [
  ["", "Any rating"],
  ["4.5", "4.5 stars and up"],
  ["4", "4 stars and up"],
  ["3", "3 stars and up"]
]
const PRICES: ReadonlyArray<readonly [string, string]> = [
  ["", "Any price"],
  ["free", "Free"],
  ["paid", "Paid"]
]

type Filters = Omit<SearchParams, "limit">

const FILTER_NAMES = ["q", "category", "level", "language", "price", "rating", "sort"] as const

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value)

/** The URL of these filters with another cursor (or none: the first page). */
const pageHref = (filters: Filters, cursor: string | undefined) => {
  const query = new URLSearchParams()
  for (const name of FILTER_NAMES) {
    const value = filters[name]
    if (value) query.set(name, value)
  }
  if (cursor) query.set("cursor", cursor)
  const text = query.toString()
  return text ? `/courses?${text}` : "/courses"
}

export const route = {
  preload({ location }) {
    const query = new URLSearchParams(location.search)
    void getCategories()
    void searchCourses({ ...Object.fromEntries(query), limit: PAGE_SIZE })
  }
} satisfies RouteDefinition

export default function Browse() {
  const [params] = useSearchParams()
  const filters = (): Filters => ({
    q: single(params.q),
    category: single(params.category),
    level: single(params.level),
    language: single(params.language),
    price: single(params.price),
    rating: single(params.rating),
    sort: single(params.sort),
    cursor: single(params.cursor)
  })
  const results = createAsync(() => searchCourses({ ...filters(), limit: PAGE_SIZE }))
  const categories = createAsync(() => getCategories())
  return (
    <>
      <Title>{filters().q ? `“${filters().q}” — Lectern courses` : "Browse courses — Lectern"}</Title>
      <h1>{filters().q ? `Courses matching “${filters().q}”` : "Browse courses"}</h1>
      <div class="browse">
        <search aria-label="Course filters">
          <form method="get" action="/courses" class="filters">
            <SearchBox id="filter-q" label="Search" value={filters().q} />
            <div>
              <label for="filter-category">Category</label>
              <select id="filter-category" name="category">
                <option value="">All categories</option>
                <For each={loadedValue(categories()) ?? []}>
                  {(category) => (
                    <option value={category.slug} selected={filters().category === category.slug}>
                      {`${"— ".repeat(category.depth)}${category.name}`}
                    </option>
                  )}
                </For>
              </select>
            </div>
            <div>
              <label for="filter-level">Level</label>
              <select id="filter-level" name="level">
                <option value="">Any level</option>
                <For each={LEVELS}>
                  {([value, label]) => (
                    <option value={value} selected={filters().level === value}>
                      {label}
                    </option>
                  )}
                </For>
              </select>
            </div>
            <div>
              <label for="filter-language">Language</label>
              <select id="filter-language" name="language">
                <option value="">Any language</option>
                <For each={LANGUAGES}>
                  {(tag) => (
                    <option value={tag} selected={filters().language === tag}>
                      {formatLanguage(tag)}
                    </option>
                  )}
                </For>
              </select>
            </div>
            <fieldset>
              <legend>Price</legend>
              <For each={PRICES}>
                {([value, label]) => (
                  <label class="choice">
                    <input type="radio" name="price" value={value} checked={(filters().price ?? "") === value} />{" "}
                    {label}
                  </label>
                )}
              </For>
            </fieldset>
            <div>
              <label for="filter-rating">Rating</label>
              <select id="filter-rating" name="rating">
                <For each={RATINGS}>
                  {([value, label]) => (
                    <option value={value} selected={(filters().rating ?? "") === value}>
                      {label}
                    </option>
                  )}
                </For>
              </select>
            </div>
            <div>
              <label for="filter-sort">Sort by</label>
              <select id="filter-sort" name="sort">
                <For each={SORTS}>
                  {([value, label]) => (
                    <option value={value} selected={(filters().sort ?? "") === value}>
                      {label}
                    </option>
                  )}
                </For>
              </select>
            </div>
            <button type="submit" class="button">
              Apply filters
            </button>
          </form>
        </search>
        <section aria-labelledby="results-title">
          <h2 id="results-title" class="visually-hidden">
            Results
          </h2>
          <Loaded outcome={results()} loading="Searching…">
            {(page) => (
              <>
                <p class="results-summary" role="status" data-testid="results-summary">
                  {plural(page.total, "course")} found
                </p>
                <CourseList courses={page.items} empty="No course matches these filters." label="Courses" />
                <nav class="pager" aria-label="Pages">
                  <Show when={filters().cursor}>
                    <A href={pageHref(filters(), undefined)}>First page</A>
                  </Show>
                  <Show when={page.nextCursor}>
                    {(cursor) => (
                      <A href={pageHref(filters(), cursor())} rel="next">
                        Next page
                      </A>
                    )}
                  </Show>
                </nav>
              </>
            )}
          </Loaded>
        </section>
      </div>
    </>
  )
}
