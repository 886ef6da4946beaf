// The page frame: skip link, header with the main navigation and the account menu, main landmark, footer.
import { A, createAsync } from "@solidjs/router"
import { onMount, type ParentProps, Show, Suspense } from "solid-js"
import { getViewer, logout } from "../lib/account.ts"
import SearchBox from "./SearchBox.tsx"

export default function Layout(props: ParentProps) {
  const viewer = createAsync(() => getViewer())
  // Browser tests wait for this before they type, so every handler is attached.
  onMount(() => {
    document.body.dataset.hydrated = "true"
  })
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="site-header">
        <A href="/" class="brand" end>
          Lectern
        </A>
        <nav aria-label="Main">
          <ul class="nav-list">
            <li>
              <A href="/courses">Browse courses</A>
            </li>
            <Suspense>
              <Show when={viewer()}>
                {(user) => (
                  <>
                    <li>
                      <A href="/studio">{user().role === "learner" ? "Teach on Lectern" : "Studio"}</A>
                    </li>
                    <Show when={user().role === "admin"}>
                      <li>
                        <A href="/admin">Admin</A>
                      </li>
                    </Show>
                  </>
                )}
              </Show>
            </Suspense>
          </ul>
        </nav>
        <search class="header-search" aria-label="Courses">
          <form method="get" action="/courses">
            <SearchBox id="site-search" label="Find a course" labelHidden placeholder="Find a course" />
            <button type="submit" class="button button-small">
              Search
            </button>
          </form>
        </search>
        <nav aria-label="Account" class="account-nav">
          <Suspense>
            <Show
              when={viewer()}
              fallback={
                <ul class="nav-list">
                  <li>
                    <A href="/login">Sign in</A>
                  </li>
                  <li>
                    <A href="/register" class="button button-small">
                      Create account
                    </A>
                  </li>
                </ul>
              }
            >
              {(user) => (
                <ul class="nav-list">
                  <li>
                    <A href="/learn">My learning</A>
                  </li>
                  <li>
                    <A href="/account">Account</A>
                  </li>
                  <li class="viewer-name">
                    <span class="visually-hidden">Signed in as </span>
                    <span data-testid="viewer-name">{user().name}</span>
                  </li>
                  <li>
                    <form action={logout} method="post">
                      <button type="submit" class="link-button">
                        Sign out
                      </button>
                    </form>
                  </li>
                </ul>
              )}
            </Show>
          </Suspense>
        </nav>
      </header>
      <main id="main" tabindex="-1">
        {props.children}
      </main>
      <footer class="site-footer">
        <p>
          Lectern — open-source learning. <A href="/dev/mailbox">Dev mailbox</A>
        </p>
      </footer>
    </>
  )
}
