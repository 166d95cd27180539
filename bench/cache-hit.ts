/**
 * Benchmark (issue 4 point 7, sixth item): the engine-side cost of a cache hit, target ≤ 2 ms median per op.
 *
 *   npx tsx bench/cache-hit.ts           (or: npm run bench:cache-hit)
 *
 * A 50-step chain container.from(busybox).withExec(step 1)…withExec(step 50).stdout is run once (executing it), then
 * asked again, fully cached: the query's wall time inside a session (a fetch client via `dirk run`) divided by its
 * 51 ops (from + 50 execs). Headline: the first query of a new session of the same engine (what a new `dirk` command
 * gets). Alongside: the same query repeated in one session, a single cached exec repeated, and the chain after an
 * engine restart (hits come from the persistent cache index, each checked against Docker, not from the memo).
 * Env: DIRK_BENCH_REPS (default 7).
 */
import { chain, Engine, ensureReady, fmtMs, image, isMain, loadavg, median, out, printTable, runMain, spread, steps } from "./support.js"

const reps = Number(process.env.DIRK_BENCH_REPS ?? 7)
const length = 50
const ops = length + 1

export const main = async () => {
  await ensureReady()
  const engine = await Engine.fresh()
  try {
    out(`cache-hit: a ${length}-step chain (${ops} ops), ${reps} repetitions after warm-ups; load average ${loadavg()}`)
    const cmds = steps(length)
    const expected = cmds.map((_, i) => `${i + 1}\n`).join("")
    const q = `{ ${chain(cmds, "stdout")} }`
    const check = (data: any) => {
      let v = data.container.from
      for (let i = 0; i < length; i++) v = v.withExec
      if (v.stdout !== expected) throw new Error(`the chain printed ${JSON.stringify(v.stdout).slice(0, 200)}`)
    }
    const single = `{ container { from(address: "${image}") { withExec(args: ["sh", "-c", "echo single"]) { stdout } } } }`
    const cold = await engine.session([{ name: "q", query: q }, { name: "single", query: single }])
    check(cold.steps.q!.data)
    await engine.session([{ name: "q", query: q }])

    const firstMs: Array<number> = []
    const againMs: Array<number> = []
    const singleMs: Array<number> = []
    for (let i = 0; i < reps; i++) {
      const s = await engine.session([{ name: "q", query: q, reps: 4 }, { name: "single", query: single, reps: 10 }])
      check(s.steps.q!.data)
      firstMs.push(s.steps.q!.ms[0]!)
      againMs.push(...s.steps.q!.ms.slice(1))
      singleMs.push(...s.steps.single!.ms.slice(1))
    }
    // after a restart: the memo is empty, hits come from the cache index
    const restartMs: Array<number> = []
    for (let i = 0; i < 3; i++) {
      await engine.stop()
      await engine.dirk(["engine", "start"])
      const s = await engine.session([{ name: "q", query: q, reps: 2 }])
      check(s.steps.q!.data)
      restartMs.push(s.steps.q!.ms[0]!)
    }

    printTable("cache hit: engine-side time per op (query time in the session / ops)", "anchor", [
      { name: `${length}-step cached chain, new session, per op`, dirk: median(firstMs) / ops, target: { kind: "abs", max: 2 } }
    ])
    out("")
    out(`first run (executes the ${length} steps): ${fmtMs(cold.steps.q!.ms[0]!)}`)
    out(`chain, first query of a new session:  ${spread(firstMs)} → ${fmtMs(median(firstMs) / ops)} per op`)
    out(`chain, repeated in the same session:  ${spread(againMs)} → ${fmtMs(median(againMs) / ops)} per op`)
    out(`chain, after an engine restart (cache index): ${spread(restartMs)} → ${fmtMs(median(restartMs) / ops)} per op`)
    out(`one cached exec (2 ops), repeated in a session: ${spread(singleMs)}`)
  } finally {
    await engine.close()
  }
}

if (isMain(import.meta.url)) runMain(main)
