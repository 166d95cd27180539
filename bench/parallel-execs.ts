/**
 * Benchmark (issue 4 point 7, fifth item): 8 independent 1-second execs (`sleep 1` with distinct args), all
 * requested at once in one query with aliases, against the same 8 containers run in parallel through the Docker API
 * (create + start + wait + remove each, network none); target ≤ 1.1×.
 *
 *   npx tsx bench/parallel-execs.ts      (or: npm run bench:parallel-execs)
 *
 * dirk's number is the query's wall time inside the session (a fetch client via `dirk run`), with the engine's
 * defaults (DIRK_MAX_PARALLEL unset: the CPU count), and again on an engine with DIRK_MAX_PARALLEL=8.
 * Env: DIRK_BENCH_REPS (default 5).
 */
import Docker from "dockerode"
import * as os from "node:os"
import { Engine, ensureReady, image, isMain, loadavg, median, out, printTable, runMain, spread } from "./support.js"

const reps = Number(process.env.DIRK_BENCH_REPS ?? 5)
const width = 8
const docker = new Docker()

const cmd = (tag: string) => `sleep 1; echo ${tag}`

const dockerOne = async (tag: string) => {
  const c = await docker.createContainer({ Image: image, Cmd: ["sh", "-c", cmd(tag)], HostConfig: { NetworkMode: "none" }, Labels: { "dirk.bench": "1" } })
  try {
    await c.start()
    const w = (await c.wait()) as { StatusCode: number }
    if (w.StatusCode !== 0) throw new Error(`docker: sleep exited ${w.StatusCode}`)
  } finally {
    await c.remove({ force: true, v: true })
  }
}

const dockerWide = async (tag: string): Promise<number> => {
  const t = performance.now()
  await Promise.all(Array.from({ length: width }, (_, i) => dockerOne(`${tag}-${i}`)))
  return performance.now() - t
}

const query = (tag: string) =>
  "{ " + Array.from({ length: width }, (_, i) =>
    `a${i}: container { from(address: "${image}") { withExec(args: ["sh", "-c", ${JSON.stringify(cmd(`${tag}-${i}`))}]) { stdout } } }`)
    .join(" ") + " }"

/** The 8 execs `reps` times on `engine`, each query with new args; checks every output of the last one. */
const dirkWide = async (engine: Engine): Promise<Array<number>> => {
  const s = await engine.session([
    { name: "warm", query: query("warm-%nonce%") },
    { name: "wide", query: query("wide-%nonce%-%rep%"), reps }
  ])
  const data = s.steps.wide!.data as Record<string, { from: { withExec: { stdout: string } } }>
  for (let i = 0; i < width; i++) {
    const got = data[`a${i}`]!.from.withExec.stdout
    if (got !== `wide-${s.nonce}-${reps - 1}-${i}\n`) throw new Error(`a${i} printed ${JSON.stringify(got)}`)
  }
  return [...s.steps.wide!.ms]
}

export const main = async () => {
  await ensureReady()
  const byDefault = await Engine.fresh()
  const wide = await Engine.fresh({ DIRK_MAX_PARALLEL: String(width) })
  try {
    out(`parallel-execs: ${width} × sleep 1, ${reps} repetitions after a warm-up; ${os.availableParallelism()} CPUs; load average ${loadavg()}`)
    const nonce = Math.random().toString(36).slice(2)
    await dockerWide(`warm-${nonce}`)
    const dockerMs: Array<number> = []
    for (let i = 0; i < Math.ceil(reps / 2); i++) dockerMs.push(await dockerWide(`d-${nonce}-${i}`))
    const dirkMs = await dirkWide(byDefault)
    const dirk8Ms = await dirkWide(wide)
    for (let i = Math.ceil(reps / 2); i < reps; i++) dockerMs.push(await dockerWide(`d-${nonce}-${i}`))

    printTable(`${width} independent 1-second execs in one query vs ${width} parallel Docker API runs`, "Docker API", [
      { name: `${width} × sleep 1, engine defaults`, anchor: median(dockerMs), dirk: median(dirkMs), target: { kind: "ratio", max: 1.1 } },
      { name: `${width} × sleep 1, DIRK_MAX_PARALLEL=${width}`, anchor: median(dockerMs), dirk: median(dirk8Ms), target: { kind: "ratio", max: 1.1 } }
    ])
    out("")
    out(`docker, ${width} in parallel:               ${spread(dockerMs)}`)
    out(`dirk, defaults (DIRK_MAX_PARALLEL = ${os.availableParallelism()}):  ${spread(dirkMs)}`)
    out(`dirk, DIRK_MAX_PARALLEL=${width}:              ${spread(dirk8Ms)}`)
  } finally {
    await byDefault.close()
    await wide.close()
  }
}

if (isMain(import.meta.url)) runMain(main)
