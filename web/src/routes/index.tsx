// Home: what Lectern is, a search box, the most popular and the newest published courses, and the categories.
import { Title } from "@solidjs/meta"
import { A, createAsync, type RouteDefinition, useSearchParams } from "@solidjs/router"
import { For, type JSX, Show } from "solid-js"
import CourseCard from "../components/CourseCard.tsx"
import { getCategories, type SearchPage, searchCourses } from "../lib/catalog.ts"
import { loadedValue, type Outcome } from "../lib/outcome.ts"

const FEATURED = { sort: "popular", limit: 6 } as const
const RECENT = { sort: "newest", limit: 6 } as const

export const route = {
  preload() {
    void searchCourses(FEATURED)
    void searchCourses(RECENT)
    void getCategories()
  }
} satisfies RouteDefinition

function CourseShelf(props: {
  readonly id: string
  readonly title: string
  readonly page: Outcome<SearchPage> | undefined
}) {
  return (
    <section aria-labelledby={props.id} class="shelf">
      <h2 id={props.id}>{props.title}</h2>
      <Show when={props.page} fallback={<p class="loading">Loading courses…</p>}>
        {(page) => <ShelfBody page={page()} />}
      </Show>
    </section>
  )
}

function ShelfBody(props: { readonly page: Outcome<SearchPage> }): JSX.Element {
  return (
    <Show when={loadedValue(props.page)} fallback={<p class="form-error">Courses could not be loaded.</p>}>
      {(page) => (
        <Show when={page().items.length > 0} fallback={<p class="empty">No published courses yet.</p>}>
          <ul class="course-grid">
            <For each={page().items}>
              {(course) => (
                <li>
                  <CourseCard course={course} />
                </li>
              )}
            </For>
          </ul>
        </Show>
      )}
    </Show>
  )
}

export default function Home() {
  const [params] = useSearchParams()
  const featured = createAsync(() => searchCourses(FEATURED))
  const recent = createAsync(() => searchCourses(RECENT))
  const categories = createAsync(() => getCategories())
  return (
    <>
      <Title>Lectern — learn from real courses</Title>
      <Show when={params.welcome}>
        <p class="notice" role="status">
          Your email is verified and you are signed in. Welcome!
        </p>
      </Show>
      <section class="hero" aria-labelledby="hero-title">
        <h1 id="hero-title">Learn from courses made by people who do the work</h1>
        <search>
          <form action="/courses" method="get" class="search-form">
            <label for="home-search">Search courses</label>
            <div class="search-row">
              <input id="home-search" name="q" type="search" placeholder="TypeScript, design, data…" />
              <button type="submit" class="button">
                Search
              </button>
            </div>
          </form>
        </search>
      </section>
      <CourseShelf id="featured" title="Popular courses" page={featured()} />
      <CourseShelf id="recent" title="New courses" page={recent()} />
      <Show when={loadedValue(categories())}>
        {(list) => (
          <section aria-labelledby="categories" class="shelf">
            <h2 id="categories">Categories</h2>
            <ul class="chips">
              <For each={list()}>
                {(category) => (
                  <li>
                    <A href={`/courses?category=${encodeURIComponent(category.slug)}`}>{category.name}</A>
                  </li>
                )}
              </For>
            </ul>
          </section>
        )}
      </Show>
    </>
  )
}
