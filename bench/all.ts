/**
 * Runs the issue 4 benchmarks one after the other (each in its own process, each printing its table), then prints
 * all their rows in one table. Exits 1 when one of them found a wrong result (or could not run); a slow result is
 * only reported.
 *
 *   npm run bench                        (all of them)
 *   npm run bench -- startup cache-hit   (some; also `engine-profile`, and `filepath` (issue 3's), which "all" leaves out)
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fmtMs, loadavg, met, out, root, type Row } from "./support.js"

const all = ["startup", "cached-pipeline", "cached-context", "cold-exec", "resync", "parallel-execs", "cache-hit", "modules"]
const known = [...all, "engine-profile", "filepath"]

const main = () => {
  const names = process.argv.slice(2)
  const unknown = names.filter((n) => !known.includes(n))
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark(s): ${unknown.join(", ")}; known: ${known.join(", ")}\n`)
    process.exitCode = 2
    return
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-bench-all-"))
  const summary = path.join(tmp, "rows.jsonl")
  const failed: Array<string> = []
  const started = performance.now()
  out(`dirk benchmarks: ${os.availableParallelism()} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; load average ${loadavg()}`)
  try {
    for (const name of names.length > 0 ? names : all) {
      out("")
      out(`━━ ${name} ━━`)
      const r = spawnSync(process.execPath, [path.join(root, "node_modules/tsx/dist/cli.mjs"), path.join(root, "bench", `${name}.ts`)], {
        cwd: root,
        stdio: "inherit",
        env: { ...process.env, DIRK_BENCH_SUMMARY: summary }
      })
      if (r.status !== 0) failed.push(name)
    }
    const rows = fs.existsSync(summary)
      ? fs.readFileSync(summary, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Row & { title: string; anchorName: string })
      : []
    out("")
    out(`━━ summary (${fmtMs(performance.now() - started)}; load average now ${loadavg()}) ━━`)
    const w = Math.max(...rows.map((r) => r.name.length), 10) + 2
    out(`${"case".padEnd(w)}${"anchor".padStart(12)}${"dirk".padStart(11)}${"ratio".padStart(9)}   ${"target".padEnd(10)}`)
    for (const r of rows) {
      const anchor = r.anchor !== undefined ? fmtMs(r.anchor) : r.floor !== undefined ? `(${fmtMs(r.floor)})` : "—"
      const ratio = r.anchor !== undefined ? `${(r.dirk / r.anchor).toFixed(2)}x` : "—"
      const target = r.target.kind === "ratio" ? `<= ${r.target.max}x` : `<= ${fmtMs(r.target.max)}`
      out(`${r.name.padEnd(w)}${anchor.padStart(12)}${fmtMs(r.dirk).padStart(11)}${ratio.padStart(9)}   ${target.padEnd(10)} ${met(r) ? "met" : "NOT met"}`)
    }
    if (failed.length > 0) {
      out(`FAILED (wrong result or broken run): ${failed.join(", ")}`)
      process.exitCode = 1
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

main()
