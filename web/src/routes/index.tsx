// Home: what Lectern is, a search box, the most popular and the newest published courses, and the categories.
import { Title } from "@solidjs/meta"
import { A, createAsync, type RouteDefinition, useSearchParams } from "@solidjs/router"
import { For, Show } from "solid-js"
import CourseList from "../components/CourseList.tsx"
import Loaded from "../components/Loaded.tsx"
import { getCategories, searchCourses } from "../lib/catalog.ts"
import { loadedValue } from "../lib/outcome.ts"

const POPULAR = { sort: "popular", limit: 6 } as const
const NEWEST = { sort: "newest", limit: 6 } as const

export const route = {
  preload() {
    void searchCourses(POPULAR)
    void searchCourses(NEWEST)
    void getCategories()
  }
} satisfies RouteDefinition

export default function Home() {
  const [params] = useSearchParams()
  const popular = createAsync(() => searchCourses(POPULAR))
  const newest = createAsync(() => searchCourses(NEWEST))
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
      <section aria-labelledby="popular" class="shelf">
        <h2 id="popular">Popular courses</h2>
        <Loaded outcome={popular()} loading="Loading courses…">
          {(page) => <CourseList courses={page.items} empty="No published courses yet." />}
        </Loaded>
      </section>
      <section aria-labelledby="newest" class="shelf">
        <h2 id="newest">New courses</h2>
        <Loaded outcome={newest()} loading="Loading courses…">
          {(page) => <CourseList courses={page.items} empty="No published courses yet." />}
        </Loaded>
      </section>
      <Show when={loadedValue(categories())?.filter((category) => category.courseCount > 0)}>
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
