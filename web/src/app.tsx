// The app shell: the router over the file routes under src/routes, inside the layout with its navigation.
import { MetaProvider, Title } from "@solidjs/meta"
import { Router } from "@solidjs/router"
import { FileRoutes } from "@solidjs/start/router"
import { Suspense } from "solid-js"
import Layout from "./components/Layout.tsx"
import "./app.css"

export default function App() {
  return (
    <Router
      root={(props) => (
        <MetaProvider>
          <Title>Lectern</Title>
          <Layout>
            <Suspense fallback={<p class="loading">Loading…</p>}>{props.children}</Suspense>
          </Layout>
        </MetaProvider>
      )}
    >
      <FileRoutes />
    </Router>
  )
}
