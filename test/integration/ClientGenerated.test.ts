/**
 * The generated client matches the engine's schema: CI fails when a change to the core API is not followed by
 * `npx tsx scripts/gen-client.ts`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Schema from "../../src/Client/Schema.js"
import { repoRoot } from "../support/cli.js"

const generatedDir = path.join(repoRoot, "src/Client/generated")

describe("generated client", () => {
  it.live("is what the generator writes from the engine's schema now", () =>
    Effect.gen(function*() {
      const files = yield* Schema.generateFromEngine
      assert.isAbove(files.length, 10)
      const stale = Schema.compare(generatedDir, files)
      assert.deepStrictEqual(stale, [], `stale generated files: ${stale.join(", ")}; run \`npx tsx scripts/gen-client.ts\``)

      // and the check does catch a difference: a copy with one changed file and one extra file
      const copy = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-gen-check-"))
      try {
        for (const f of files) fs.writeFileSync(path.join(copy, f.path), f.contents)
        fs.appendFileSync(path.join(copy, "Container.ts"), "// edited by hand\n")
        fs.writeFileSync(path.join(copy, "Gone.ts"), "")
        assert.deepStrictEqual([...Schema.compare(copy, files)].sort(), ["Container.ts", "Gone.ts"])
      } finally {
        fs.rmSync(copy, { recursive: true, force: true })
      }
    }))
})
