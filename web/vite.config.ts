// Vite config of the web app: SolidStart alone (no nitro); `vite build` emits dist/server/entry-server.js and dist/client.
import { solidStart } from "@solidjs/start/config"
import { defineConfig } from "vite"

export default defineConfig({
  plugins: [solidStart({ middleware: "./src/middleware.ts" })],
  // The server bundle imports effect and @effect/* from node_modules at run time; the workspace packages it calls
  // (@lectern/client, contracts, domain) are TypeScript sources, so they are bundled.
  ssr: { noExternal: [/^@lectern\//] }
})
