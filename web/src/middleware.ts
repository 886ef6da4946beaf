// Request middleware of the web app: refuses cross-site writes (CSRF) before any server function runs.
import { createMiddleware } from "@solidjs/start/middleware"
import { isCrossSiteWrite } from "./server/security.ts"

export default createMiddleware({
  onRequest: (event) => {
    if (isCrossSiteWrite(event.request, process.env.PUBLIC_URL)) {
      return new Response("cross-site request refused", { status: 403, headers: { "content-type": "text/plain" } })
    }
  }
})
