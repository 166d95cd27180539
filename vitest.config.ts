import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    // engines started by tests keep no spare module runner (a container warming up per engine) unless a test asks
    env: { DIRK_MODULE_SPARE: "0" },
    globalSetup: ["test/support/globalSetup.ts"]
  }
})
