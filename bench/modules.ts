/**
 * Benchmark (issue 5 point 4): module loads and calls through the CLI, on the example module `examples/ci` (a copy
 * of it, so that the edits stay out of the repository), against the targets:
 *
 * - cold `dirk functions` (a module this engine never registered; the engine running, its spare runner warm) ≤ 3 s;
 * - warm `dirk functions` (registration cached) ≤ 0.5 s;
 * - a one-line edit of the module, then `dirk call` (registration again, the function runs) ≤ 3 s;
 * - a cached `dirk call` (the function's result cached: no container) ≤ 0.3 s.
 *
 * Each time is the whole CLI process, spawn to exit. Alongside (not targets): the first command on an engine that
 * has just started (the spare still warming), and the floors: `docker run` of the Node image with `node -e 0`, and
 * `dirk --version`.
 *
 *   npx tsx bench/modules.ts            (or: npm run bench:modules)
 *
 * Env: DIRK_BENCH_REPS (default 5).
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { dirkBin, Engine, ensureReady, isMain, loadavg, median, out, printTable, root, runMain, spawnTimed, spread } from "./support.js"

const reps = Number(process.env.DIRK_BENCH_REPS ?? 5)
const nodeImage = process.env.DIRK_NODE_IMAGE ?? "dirk.local/node:20"
const library = path.join(root, "examples/greeter-lib")

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits until the newest spare module runner of the engine at `stateDir` is listening (it warms up first). */
const waitForSpare = async (stateDir: string): Promise<number> => {
  const t = performance.now()
  for (;;) {
    const ids = execFileSync("docker", ["ps", "-q", "--filter", `label=dirk.state=${stateDir}`, "--filter", "label=dirk.module=(spare)"], { encoding: "utf8" })
      .split("\n").filter((l) => l !== "")
    // `docker ps` lists the newest first: the ones before it were given to modules
    if (ids.length > 0) {
      try {
        execFileSync("docker", ["exec", ids[0]!, "test", "-f", "/run/dirk/ready"], { stdio: "ignore" })
        return performance.now() - t
      } catch {
        // still warming
      }
    }
    if (performance.now() - t > 180_000) throw new Error("the engine's spare module runner was not ready after 180 s")
    await sleep(100)
  }
}

const expectIn = (what: string, text: string, needle: string) => {
  if (!text.includes(needle)) throw new Error(`${what}: expected ${JSON.stringify(needle)} in its output, got:\n${text.slice(-2000)}`)
}

export const main = async () => {
  await ensureReady([nodeImage])
  out(`modules: ${reps} runs of each warm case; load average ${loadavg()}`)

  // floors
  const dockerFloor: Array<number> = []
  for (let i = 0; i < 3; i++) dockerFloor.push((await spawnTimed("docker", ["run", "--rm", "--network", "none", nodeImage, "node", "-e", "0"])).ms)
  const versionFloor: Array<number> = []
  for (let i = 0; i < 5; i++) versionFloor.push((await spawnTimed(process.execPath, [dirkBin, "--version"])).ms)

  // the first command on an engine that has just started (the CLI starts it): not a target, for the record
  const first = await Engine.fresh()
  let firstMs: number
  try {
    const mod = path.join(first.work, "ci")
    fs.cpSync(path.join(root, "examples/ci"), mod, { recursive: true })
    const r = await first.dirk(["functions", "-m", mod])
    expectIn("dirk functions", r.stdout, "test")
    firstMs = r.ms
  } finally {
    await first.close()
  }

  const engine = await Engine.fresh()
  try {
    const mod = path.join(engine.work, "ci")
    fs.cpSync(path.join(root, "examples/ci"), mod, { recursive: true })
    const index = path.join(mod, "src/index.ts")
    await engine.dirk(["engine", "start"])
    const spareMs = await waitForSpare(engine.dir)

    const cold = await engine.dirk(["functions", "-m", mod])
    expectIn("cold dirk functions", cold.stdout, "test")

    const warm: Array<number> = []
    for (let i = 0; i < reps; i++) {
      const r = await engine.dirk(["functions", "-m", mod])
      expectIn("warm dirk functions", r.stdout, "test")
      warm.push(r.ms)
    }

    const call = ["call", "-m", mod, "test", "--source", library]
    const edit: Array<number> = []
    const cached: Array<number> = []
    for (let i = 0; i < reps; i++) {
      // a user edits between calls: the engine has had the time to warm its next spare
      await waitForSpare(engine.dir)
      fs.appendFileSync(index, `// edit ${i + 1}\n`)
      const r = await engine.dirk(call)
      expectIn("dirk call after an edit", r.stdout, "# pass")
      edit.push(r.ms)
      const c = await engine.dirk(call)
      expectIn("cached dirk call", c.stdout, "# pass")
      cached.push(c.ms)
    }

    printTable("module loads and calls (examples/ci; floors in parentheses)", "floor", [
      { name: "cold dirk functions (first registration)", floor: median(dockerFloor), dirk: cold.ms, target: { kind: "abs", max: 3000 } },
      { name: "warm dirk functions", floor: median(versionFloor), dirk: median(warm), target: { kind: "abs", max: 500 } },
      { name: "one-line edit, then dirk call", floor: median(dockerFloor), dirk: median(edit), target: { kind: "abs", max: 3000 } },
      { name: "cached dirk call (no container)", floor: median(versionFloor), dirk: median(cached), target: { kind: "abs", max: 300 } }
    ])
    out("")
    out(`docker run --rm ${nodeImage} node -e 0: ${spread(dockerFloor)}`)
    out(`dirk --version:                           ${spread(versionFloor)}`)
    out(`warm dirk functions:                      ${spread(warm)}`)
    out(`one-line edit, then dirk call:            ${spread(edit)}`)
    out(`cached dirk call:                         ${spread(cached)}`)
    out(`the engine's spare runner was ready ${(spareMs / 1000).toFixed(1)} s after \`dirk engine start\` returned`)
    out(`first command on a just-started engine (the CLI starts it; its spare still warming): dirk functions ${(firstMs / 1000).toFixed(2)} s`)
  } finally {
    await engine.close()
  }
}

if (isMain(import.meta.url)) runMain(main)
