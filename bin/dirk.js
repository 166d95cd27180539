#!/usr/bin/env node
// The dirk CLI. The bundle is built by `npm run build` (scripts/build.mjs).
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

const bundle = new URL("../dist/dirk.mjs", import.meta.url)
if (!existsSync(fileURLToPath(bundle))) {
  process.stderr.write("dirk: the CLI is not built yet: run `npm run build` in " + fileURLToPath(new URL("..", import.meta.url)) + "\n")
  process.exit(1)
}
await import(bundle.href)
