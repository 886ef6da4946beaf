// Renders a component inside an in-memory router, for components that link (<A>) or navigate (useNavigate).
import { createMemoryHistory, MemoryRouter, Route, type RouteSectionProps } from "@solidjs/router"
import { render } from "@solidjs/testing-library"
import type { JSX } from "solid-js"

/**
 * Renders `ui` as the page at `path`; any other path shows "Page <path>", so a test can see where the component
 * navigated (`history.get()` or the text).
 */
export const renderRouted = (ui: () => JSX.Element, path = "/") => {
  const history = createMemoryHistory()
  history.set({ value: path, scroll: false, replace: true })
  const result = render(() => (
    <MemoryRouter history={history}>
      <Route path={path} component={ui} />
      <Route path="*other" component={(props: RouteSectionProps) => <p>{`Page ${props.location.pathname}`}</p>} />
    </MemoryRouter>
  ))
  return { ...result, history }
}
