// Test runner configuration: every workspace's test/ folder, one run.
import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: [
      "packages/*/test/**/*.test.ts",
      "services/*/test/**/*.test.ts",
      "bench/test/**/*.test.ts",
      "web/test/**/*.test.ts"
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: ["default", "./scripts/summary-reporter.ts"]
  }
})
