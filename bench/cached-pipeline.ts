/**
 * Benchmark (issue 4 point 7, first item): a fully cached 10-step pipeline through the CLI against BuildKit building
 * the equivalent Dockerfile, fully cached; target ≤ 1.0×, and the engine's own share ≤ 30 ms.
 *
 *   npx tsx bench/cached-pipeline.ts     (or: npm run bench:cached-pipeline)
 *
 * dirk: `dirk query` of container.from(busybox).withExec(step 1)…withExec(step 10).stdout, after a first run that
 * executed it (the daemon stays up, as it does for a user). BuildKit: `docker build` of FROM busybox + the same 10
 * RUN lines, after a first build. The engine's share is the query's wall time inside a new session, timed by a fetch
 * client (bench/session-client.mjs via `dirk run`): the first query of each session, as `dirk query` sends it.
 * Env: DIRK_BENCH_REPS (default 7).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import {
  buildkitClient, chain, cliTimeline, dockerfile, Engine, ensureReady, fmtMs, image, isMain, loadavg, median, medianPhases, out, printPhases, printTable, run,
  runMain, spawnTimed, spread, steps
} from "./support.js"

const reps = Number(process.env.DIRK_BENCH_REPS ?? 7)
const tag = "dirk-bench/cached-pipeline:latest"

export const main = async () => {
  await ensureReady()
  const bk = await buildkitClient()
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-bench-pipeline-"))
  const engine = await Engine.fresh()
  try {
    out(`cached-pipeline: ${reps} repetitions after warm-ups; anchor ${bk.what}; load average ${loadavg()}`)
    const cmds = steps(10)
    const expected = cmds.map((_, i) => `${i + 1}\n`).join("")
    fs.writeFileSync(path.join(tmp, "Dockerfile"), dockerfile(image, cmds))
    const query = `{ ${chain(cmds, "stdout")} }`
    const build = async () => {
      const r = await spawnTimed(bk.cmd, ["build", "-q", "-t", tag, tmp], { env: bk.env })
      if (r.code !== 0) throw new Error(`docker build exited ${r.code}: ${r.stderr.slice(-2000)}`)
      return r
    }
    const dirkQuery = async () => {
      const r = await engine.dirk(["query", "-q"], { input: query })
      const got = JSON.parse(r.stdout).data.container.from
      let v = got
      for (let i = 0; i < 10; i++) v = v.withExec
      if (v.stdout !== expected) throw new Error(`dirk printed ${JSON.stringify(v.stdout)}, expected ${JSON.stringify(expected)}`)
      return r
    }

    // warm-ups: the first of each executes the steps; the second is already cached
    const [first] = [await build(), await build()]
    const [cold] = [await dirkQuery(), await dirkQuery()]
    const bkMs: Array<number> = []
    const dirkMs: Array<number> = []
    for (let i = 0; i < reps; i++) {
      const b = await build()
      if (b.stdout.trim() !== first.stdout.trim()) throw new Error(`the cached build gave another image: ${b.stdout} vs ${first.stdout}`)
      bkMs.push(b.ms)
      dirkMs.push((await dirkQuery()).ms)
    }
    const built = await run("docker", ["run", "--rm", "--network", "none", tag, "cat", "/steps"])
    if (built.stdout !== expected) throw new Error(`the built image holds ${JSON.stringify(built.stdout)} in /steps`)

    // the engine's share: the query in new sessions of the same engine (first of each session, then repeated)
    const firstMs: Array<number> = []
    const againMs: Array<number> = []
    for (let i = 0; i < reps; i++) {
      const s = await engine.session([{ name: "q", query, reps: 5 }])
      firstMs.push(s.steps.q!.ms[0]!)
      againMs.push(...s.steps.q!.ms.slice(1))
    }
    // where the CLI's time goes: its HTTP requests on a timeline
    const timelines: Array<Array<[string, number]>> = []
    for (let i = 0; i < reps; i++) timelines.push(await cliTimeline(engine, ["query", "-q"], query))
    // after an engine restart: the persistent cache index instead of the in-memory memo
    const restartMs: Array<number> = []
    const restartCliMs: Array<number> = []
    for (let i = 0; i < 2; i++) {
      await engine.stop()
      await engine.dirk(["engine", "start"])
      const s = await engine.session([{ name: "q", query, reps: 1 }])
      restartMs.push(s.steps.q!.ms[0]!)
      await engine.stop()
      await engine.dirk(["engine", "start"])
      restartCliMs.push((await dirkQuery()).ms)
    }

    printTable("fully cached 10-step pipeline (CLI) vs BuildKit (docker build, cached)", "BuildKit", [
      { name: "10 steps, cached: dirk query vs docker build", anchor: median(bkMs), dirk: median(dirkMs), target: { kind: "ratio", max: 1.0 } },
      { name: "engine's share: the query in a new session", dirk: median(firstMs), target: { kind: "abs", max: 30 } }
    ])
    out("")
    out(`docker build (cached):            ${spread(bkMs)}`)
    out(`dirk query (cached):              ${spread(dirkMs)}; first run (executes the 10 steps, starts the daemon) ${fmtMs(cold.ms)}`)
    out(`query in a new session:           ${spread(firstMs)}; repeated in the same session ${spread(againMs)}`)
    printPhases("dirk query, phase by phase (medians; bench/cli-timeline.cjs preloaded):", medianPhases(timelines))
    out(`after an engine restart (persistent cache index, no memo): query in the session ${restartMs.map(fmtMs).join(", ")}; dirk query ${restartCliMs.map(fmtMs).join(", ")}`)
  } finally {
    await engine.close()
    await run("docker", ["rmi", tag]).catch(() => undefined)
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

if (isMain(import.meta.url)) runMain(main)
