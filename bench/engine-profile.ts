/**
 * Where the engine's time goes (not a benchmark: a profile, like filepath-profile.ts). Runs the engine daemon under
 * `node --cpu-prof` and sends it, one workload after the other (each timed by a fetch client through `dirk run`):
 *
 *   1. the fully cached 10-step pipeline of bench/cached-pipeline.ts, from new sessions (one query each, as
 *      `dirk query` sends it);
 *   2. the same query repeated in one session;
 *   3. cold execs (`echo <unique>`), as in bench/cold-exec.ts;
 *   4. host.directory(tree).id of an unchanged 10k-file tree from new sessions, as in bench/resync.ts;
 *   5. then `digest` of it.
 *
 * For each it prints the daemon's CPU time per query (samples between the workload's first request and its last
 * answer), by dirk's src function and by package, next to the query's wall time.
 *
 *   npx tsx bench/engine-profile.ts      (or: npm run bench:engine-profile)
 *
 * Env: DIRK_BENCH_REPS (default 10 per workload; the repeated query runs 10× that).
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { generate } from "./filepath.js"
import { profileByOrigin } from "./profile.js"
import {
  chain, dirkBin, Engine, ensureReady, fmtMs, image, isMain, loadavg, median, out,
  runMain, spread, steps
} from "./support.js"

const reps = Number(process.env.DIRK_BENCH_REPS ?? 10)

interface Workload {
  readonly name: string
  readonly ms: Array<number>
  readonly windows: Array<readonly [number, number]>
}

export const main = async () => {
  await ensureReady()
  const engine = await Engine.fresh()
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-bench-engine-profile-"))
  try {
    out(`engine-profile: ${reps} queries per workload; load average ${loadavg()}`)
    const tree = path.join(tmp, "tree")
    fs.mkdirSync(tree)
    generate(tree)
    const pipeline = `{ ${chain(steps(10), "stdout")} }`
    const exec = (arg: string) => `{ container { from(address: "${image}") { withExec(args: ["echo", "${arg}"]) { stdout } } } }`
    const dirId = `{ host { directory(path: ${JSON.stringify(tree)}) { id } } }`
    const dirDigest = `{ host { directory(path: ${JSON.stringify(tree)}) { digest } } }`

    const profDir = path.join(tmp, "prof")
    const daemon = spawn(process.execPath, ["--cpu-prof", "--cpu-prof-interval", "250", "--cpu-prof-dir", profDir, dirkBin, "engine", "serve"], {
      env: engine.env,
      stdio: "ignore"
    })
    const exited = new Promise<void>((resolve) => daemon.once("exit", () => resolve()))
    const workloads: Array<Workload> = []
    try {
      for (let i = 0; i < 200 && (await engine.dirk(["engine", "status"], { allowFail: true })).code !== 0; i++) {
        await new Promise((r) => setTimeout(r, 100))
      }
      // warm-ups: execute the pipeline, read the tree (and copy it into a snapshot for digest)
      await engine.session([{ name: "p", query: pipeline }, { name: "e", query: exec("warm-%nonce%") }])
      await engine.session([{ name: "i", query: dirId }, { name: "d", query: dirDigest }])
      await engine.session([{ name: "i", query: dirId }, { name: "d", query: dirDigest }])

      const perSession = async (name: string, query: string, n: number) => {
        const w: Workload = { name, ms: [], windows: [] }
        for (let i = 0; i < n; i++) {
          const s = await engine.session([{ name: "q", query }])
          w.ms.push(s.steps.q!.ms[0]!)
          w.windows.push([s.steps.q!.startUs!, s.steps.q!.endUs!])
        }
        workloads.push(w)
      }
      const inOneSession = async (name: string, query: string, n: number) => {
        const s = await engine.session([{ name: "warm", query: query.replace("%rep%", "warm") }, { name: "q", query, reps: n }])
        workloads.push({ name, ms: [...s.steps.q!.ms], windows: [[s.steps.q!.startUs!, s.steps.q!.endUs!]] })
      }
      await perSession("cached 10-step pipeline, first query of a new session", pipeline, reps)
      await inOneSession("cached 10-step pipeline, repeated in one session", pipeline, reps * 10)
      await inOneSession("cold exec (echo <unique>), in one session", exec("cold-%nonce%-%rep%"), reps)
      await perSession("host.directory(unchanged 10k-file tree).id, new session", dirId, reps)
      await perSession("host.directory(unchanged 10k-file tree).digest, new session", dirDigest, Math.ceil(reps / 2))
    } finally {
      await engine.dirk(["engine", "stop", "--force"], { allowFail: true })
      await exited
    }
    const files = fs.readdirSync(profDir).filter((f) => f.endsWith(".cpuprofile")).map((f) => path.join(profDir, f))
    const inAny = (windows: ReadonlyArray<readonly [number, number]>) => {
      // profileByOrigin takes one window: add up the workload's windows one by one
      const totals = new Map<string, number>()
      for (const w of windows) {
        for (const [k, ms] of profileByOrigin(files, { bySrcFile: true, byFunction: true, window: w })) totals.set(k, (totals.get(k) ?? 0) + ms)
      }
      return [...totals].sort((a, b) => b[1] - a[1])
    }
    const byPackage = (windows: ReadonlyArray<readonly [number, number]>) => {
      const totals = new Map<string, number>()
      for (const w of windows) for (const [k, ms] of profileByOrigin(files, { window: w })) totals.set(k, (totals.get(k) ?? 0) + ms)
      return [...totals].sort((a, b) => b[1] - a[1])
    }
    for (const w of workloads) {
      const n = w.ms.length
      const rows = inAny(w.windows).filter(([k]) => k !== "(idle)" && k !== "(program)")
      const busy = rows.reduce((a, [, ms]) => a + ms, 0)
      out("")
      out(`${w.name}: wall ${spread(w.ms)}; the daemon's CPU ${fmtMs(busy / n)} per query`)
      for (const [k, ms] of rows.slice(0, 12)) out(`  ${fmtMs(ms / n).padStart(8)}  ${k}`)
      const pk = byPackage(w.windows).filter(([k]) => k !== "(idle)" && k !== "(program)")
      out(`  by package: ${pk.slice(0, 6).map(([k, ms]) => `${k} ${fmtMs(ms / n)}`).join(", ")}`)
    }
    out("")
    out(`(median wall times: ${workloads.map((w) => `${fmtMs(median(w.ms))}`).join(", ")})`)
  } finally {
    await engine.close()
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

if (isMain(import.meta.url)) runMain(main)
