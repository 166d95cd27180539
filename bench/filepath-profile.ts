/**
 * Where the time of bench/filepath.ts goes on dirk's side: the same pipeline as GraphQL queries to an in-process
 * session, one step per query, each building on the (memoized) result of the previous one.
 *
 *   npx tsx bench/filepath-profile.ts    (DIRK_BENCH_MB / DIRK_BENCH_FILES as in filepath.ts)
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { openSession, query } from "../test/support/session.js"
import { digestTree, generate } from "./filepath.js"

const image = process.env.DIRK_BENCH_IMAGE ?? "dirk.local/busybox:latest"
const out = (s: string) => process.stdout.write(s + "\n")

const main = async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-bench-profile-"))
  const src = path.join(tmp, "src")
  fs.mkdirSync(src)
  generate(src)
  const { session, close } = await openSession(tmp, [image])
  try {
    const step = async (name: string, q: string) => {
      const t = performance.now()
      const r = await query(session, q)
      const ms = performance.now() - t
      if (r.errors !== undefined) throw new Error(`${name}: ${JSON.stringify(r.errors)}`)
      out(`${name.padEnd(58)} ${(ms / 1000).toFixed(2).padStart(6)} s`)
      return r.data
    }
    const ctr = `container { from(address: "${image}")`
    await step("from (image resolve)", `{ ${ctr} { id } } }`)
    await step("host.directory: hash + copy into a snapshot (digest)", `{ host { directory(path: "src") { digest } } }`)
    const dir = `host { directory(path: "src") { id } }`
    const id = (await query(session, `{ ${dir} }`)).data.host.directory.id
    await step("withDirectory: tar of the snapshot → putArchive → commit", `{ ${ctr} { withDirectory(path: "/data", source: "${id}") { sync } } } }`)
    await step("withExec([\"true\"]) on top", `{ ${ctr} { withDirectory(path: "/data", source: "${id}") { withExec(args: ["true"]) { sync } } } } }`)
    const exec = `${ctr} { withDirectory(path: "/data", source: "${id}") { withExec(args: ["true"]) { directory(path: "/data")`
    await step("directory(\"/data\"): getArchive → untar into a snapshot (entries)", `{ ${exec} { entries } } } } } }`)
    await step("  then its digest (hash of the snapshot)", `{ ${exec} { digest } } } } } }`)
    await step("export: snapshot → host (copy)", `{ ${exec} { export(path: "out") } } } } } }`)
    const r = digestTree(path.join(tmp, "out"))
    out(`exported ${r.files} files (equal to the input: ${r.digest === digestTree(src).digest})`)
  } finally {
    await close()
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`profile failed: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exitCode = 1
})
