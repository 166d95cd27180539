/**
 * Generates the typed client (`src/Client/generated/`) from the engine's own schema: starts an engine in this
 * process (a throwaway state dir), introspects its session, writes the files. `--check` writes nothing and exits 1
 * when the files on disk differ (CI runs it through test/integration/ClientGenerated.test.ts).
 *
 *   npx tsx scripts/gen-client.ts [--check]
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Schema from "../src/Client/Schema.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const outDir = path.join(root, "src/Client/generated")
const check = process.argv.includes("--check")

const files = await Effect.runPromise(Schema.generateFromEngine)
const stale = Schema.compare(outDir, files)
if (check) {
  if (stale.length > 0) {
    process.stderr.write(`the generated client is stale (${stale.join(", ")}): run \`npx tsx scripts/gen-client.ts\`\n`)
    process.exit(1)
  }
  process.stdout.write(`the generated client matches the engine's schema (${files.length} files)\n`)
} else {
  fs.mkdirSync(outDir, { recursive: true })
  for (const f of fs.readdirSync(outDir)) {
    if (!files.some((g) => g.path === f)) fs.rmSync(path.join(outDir, f))
  }
  for (const f of files) fs.writeFileSync(path.join(outDir, f.path), f.contents)
  process.stdout.write(`wrote ${files.length} files to ${path.relative(root, outDir)}${stale.length > 0 ? ` (changed: ${stale.join(", ")})` : " (unchanged)"}\n`)
}
