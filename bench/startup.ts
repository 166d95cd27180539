/**
 * Benchmark (issue 4 point 7, last item): the CLI's start-up, `node bin/dirk.js --version`, median of 20 runs (after
 * 3 warm-ups), target ≤ 150 ms, with `node -e 0` alongside as the floor.
 *
 *   npx tsx bench/startup.ts            (or: npm run bench:startup)
 *
 * Env: DIRK_BENCH_REPS (default 20). Alongside: `dirk --help`, which loads the whole CLI as every other command does,
 * the cost of loading dockerode alone, and CPU profiles of both commands (self time by package, through the source
 * maps of dist/).
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { profileByOrigin } from "./profile.js"
import { dirkBin, ensureReady, fmtMs, isMain, loadavg, median, out, printTable, runMain, spawnTimed, spread } from "./support.js"

const reps = Number(process.env.DIRK_BENCH_REPS ?? 20)

const sample = async (cmd: string, args: ReadonlyArray<string>, expect?: RegExp): Promise<Array<number>> => {
  const ms: Array<number> = []
  for (let i = 0; i < reps + 3; i++) {
    const r = await spawnTimed(cmd, args)
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}: ${r.stderr.slice(-1000)}`)
    if (expect !== undefined && !expect.test(r.stdout)) throw new Error(`${args.join(" ")} printed ${JSON.stringify(r.stdout)}`)
    if (i >= 3) ms.push(r.ms)
  }
  return ms
}

/** CPU profiles of `dirk ...args`: self time by origin, averaged over the runs. */
const profile = (runs: number, args: ReadonlyArray<string>): Array<[string, number]> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-bench-prof-"))
  try {
    for (let i = 0; i < runs; i++) {
      spawnSync(process.execPath, ["--cpu-prof", "--cpu-prof-interval", "200", "--cpu-prof-dir", dir, dirkBin, ...args], { stdio: "ignore" })
    }
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).map((f) => path.join(dir, f))
    return profileByOrigin(files).map(([k, ms]) => [k, ms / files.length])
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

export const main = async () => {
  await ensureReady([])
  out(`startup: ${reps} runs each after 3 warm-ups; load average ${loadavg()}`)
  const floor = await sample(process.execPath, ["-e", "0"])
  const version = await sample(process.execPath, [dirkBin, "--version"], /\d+\.\d+\.\d+/)
  // what every other command loads before it does anything: the whole CLI (its help needs all of it)
  const help = await sample(process.execPath, [dirkBin, "--help"], /dirk/)
  const externals = await sample(process.execPath, ["-e", "require('dockerode'); require('tar-stream')"])
  printTable("dirk --version start-up (floor: node -e 0)", "node -e 0", [
    { name: "dirk --version (node bin/dirk.js)", floor: median(floor), dirk: median(version), target: { kind: "abs", max: 150 } }
  ])
  out("")
  out(`node -e 0:            ${spread(floor)}`)
  out(`dirk --version:       ${spread(version)}`)
  out(`dirk --help:          ${spread(help)} (loads the whole CLI, as every other command does before its first request)`)
  out(`require dockerode + tar-stream alone: ${spread(externals)} (${fmtMs(median(externals) - median(floor))} over the floor)`)
  for (const args of [["--version"], ["--help"]]) {
    out("")
    out(`CPU profile of dirk ${args.join(" ")} (self time by origin, mean of 5 runs; the profile starts after Node's bootstrap):`)
    const rows = profile(5, args)
    const total = rows.reduce((a, [, ms]) => a + ms, 0)
    for (const [k, ms] of rows.slice(0, 12)) out(`  ${fmtMs(ms).padStart(8)}  ${k}`)
    out(`  ${fmtMs(total).padStart(8)}  total profiled`)
  }
}

if (isMain(import.meta.url)) runMain(main)
