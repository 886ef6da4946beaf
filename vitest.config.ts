// Test runner configuration: every workspace's test/ folder in one run, as two projects — "node" (services,
// packages, bench and the web app's Chromium journeys) and "components" (the web app's Solid components in jsdom).
import solid from "vite-plugin-solid"
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default", "./scripts/summary-reporter.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          include: [
            "packages/*/test/**/*.test.ts",
            "services/*/test/**/*.test.ts",
            "bench/test/**/*.test.ts",
            "web/test/**/*.test.ts"
          ]
        }
      },
      {
        extends: true,
        plugins: [solid()],
        // solid-js and @solidjs/router resolve to their browser builds (reactive, with the DOM renderer), not the
        // server ones Node would pick.
        resolve: { conditions: ["browser", "development"] },
        test: {
          name: "components",
          environment: "jsdom",
          include: ["web/test/components/**/*.test.tsx"],
          setupFiles: ["web/test/components/setup.ts"],
          // Run through Vite (not Node's own import) so their solid-js imports get the conditions above too.
          server: { deps: { inline: [/solid-js/, /@solidjs\/testing-library/, /@solidjs\/router/] } }
        }
      }
    ]
  }
})
