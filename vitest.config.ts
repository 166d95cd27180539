import * as path from "node:path"
import { defineConfig } from "vitest/config"

export default defineConfig({
  // examples import the package by its published name
  resolve: { alias: { "dirk/client": path.resolve(__dirname, "src/Client/index.ts") } },
  test: {
    include: ["test/**/*.test.ts", "examples/effect*/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    // engines started by tests keep no spare module runner (a container warming up per engine) unless a test asks
    env: { DIRK_MODULE_SPARE: "0" },
    globalSetup: ["test/support/globalSetup.ts"]
  }
})
