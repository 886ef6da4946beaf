// Server entry: renders the document with a per-request CSP nonce; its default export has fetch(Request) → Response.
import { createHandler, StartServer } from "@solidjs/start/server"
import { contentSecurityPolicy, newNonce } from "./server/security.ts"

export default createHandler(
  () => (
    <StartServer
      document={({ assets, children, scripts }) => (
        <html lang="en">
          <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
            {assets}
          </head>
          <body>
            <div id="app">{children}</div>
            {scripts}
          </body>
        </html>
      )}
    />
  ),
  (event) => {
    const nonce = newNonce()
    event.response.headers.set("content-security-policy", contentSecurityPolicy(nonce))
    // The browser then sends Origin on same-origin POSTs (server functions), which the CSRF check reads.
    event.response.headers.set("referrer-policy", "same-origin")
    // The whole page renders before the first byte: a 404 status or a refreshed session cookie found while
    // loading data still reaches the response headers.
    return { nonce, mode: "async" }
  }
)
