/**
 * Benchmark (issue 4 point 7, last item): the CLI's start-up, `node bin/dirk.js --version`, median of 20 runs (after
 * 3 warm-ups), target ≤ 150 ms, with `node -e 0` alongside as the floor.
 *
 *   npx tsx bench/startup.ts            (or: npm run bench:startup)
 *
 * Env: DIRK_BENCH_REPS (default 20). Where the time goes: the cost of loading the CLI's external packages alone
 * (dockerode, tar-stream) and a CPU profile of `--version` (self time by package, through the bundle's source map).
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import { SourceMap } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { dirkBin, ensureReady, fmtMs, isMain, loadavg, median, out, printTable, root, runMain, spawnTimed, spread } from "./support.js"

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

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly url: string; readonly functionName: string; readonly lineNumber: number; readonly columnNumber: number }
  readonly children?: ReadonlyArray<number>
}

/** Where a frame's code comes from: a package (bundled or not), dirk's src, or a part of Node. */
const origin = (frame: ProfileNode["callFrame"], bundle: string, map: SourceMap): string | undefined => {
  const pkg = (p: string) => {
    const rest = p.split("node_modules/").pop()!
    return rest.split("/").slice(0, rest.startsWith("@") ? 2 : 1).join("/")
  }
  if (frame.url.endsWith(bundle)) {
    const e = map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string }
    const src = e.originalSource ?? ""
    return src.includes("node_modules/") ? `${pkg(src)} (bundled)` : src.includes("/src/") ? "dirk's src (bundled)" : "bundle glue"
  }
  if (frame.url.includes("node_modules/")) return `${pkg(frame.url)} (external)`
  return undefined
}

const internal = (frame: ProfileNode["callFrame"]): string => {
  const u = frame.url
  if (u === "") return frame.functionName.startsWith("(") ? frame.functionName : `native ${frame.functionName}`
  if (u.includes("modules/esm")) return "node ESM loader (compiles and links dist/dirk.mjs)"
  if (u.includes("modules/cjs")) return "node CJS loader"
  return "node internals (bootstrap, other)"
}

/** CPU profiles of `--version`: self time by origin (innermost frame that is a package or dirk's code). */
const profile = (runs: number): Array<[string, number]> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-bench-prof-"))
  try {
    const bundle = path.join(root, "dist/dirk.mjs")
    const map = new SourceMap(JSON.parse(fs.readFileSync(bundle + ".map", "utf8")))
    const totals = new Map<string, number>()
    for (let i = 0; i < runs; i++) {
      spawnSync(process.execPath, ["--cpu-prof", "--cpu-prof-interval", "200", "--cpu-prof-dir", dir, dirkBin, "--version"], { stdio: "ignore" })
    }
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))
    for (const f of files) {
      const p = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as {
        nodes: ReadonlyArray<ProfileNode>
        samples: ReadonlyArray<number>
        timeDeltas: ReadonlyArray<number>
      }
      const byId = new Map(p.nodes.map((n) => [n.id, n]))
      const parent = new Map<number, number>()
      for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
      const memo = new Map<number, string>()
      const classify = (id: number): string => {
        const hit = memo.get(id)
        if (hit !== undefined) return hit
        let cur: number | undefined = id
        let found: string | undefined
        while (cur !== undefined && found === undefined) {
          found = origin(byId.get(cur)!.callFrame, bundle, map)
          cur = parent.get(cur)
        }
        const k = found ?? internal(byId.get(id)!.callFrame)
        memo.set(id, k)
        return k
      }
      for (let i = 0; i < p.samples.length; i++) {
        const k = classify(p.samples[i]!)
        totals.set(k, (totals.get(k) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000 / files.length)
      }
    }
    return [...totals].sort((a, b) => b[1] - a[1])
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

export const main = async () => {
  await ensureReady([])
  out(`startup: ${reps} runs each after 3 warm-ups; load average ${loadavg()}`)
  const floor = await sample(process.execPath, ["-e", "0"])
  const version = await sample(process.execPath, [dirkBin, "--version"], /\d+\.\d+\.\d+/)
  const externals = await sample(process.execPath, ["-e", "require('dockerode'); require('tar-stream')"])
  printTable("dirk --version start-up (floor: node -e 0)", "node -e 0", [
    { name: "dirk --version (node bin/dirk.js)", floor: median(floor), dirk: median(version), target: { kind: "abs", max: 150 } }
  ])
  out("")
  out(`node -e 0:            ${spread(floor)}`)
  out(`dirk --version:       ${spread(version)}`)
  out(`require dockerode + tar-stream alone: ${spread(externals)} (${fmtMs(median(externals) - median(floor))} over the floor)`)
  out(`bundle: dist/dirk.mjs ${(fs.statSync(path.join(root, "dist/dirk.mjs")).size / 1048576).toFixed(1)} MiB`)
  out("")
  out("CPU profile of dirk --version (self time by origin, mean of 5 runs; the profile starts after Node's bootstrap):")
  const rows = profile(5)
  const total = rows.reduce((a, [, ms]) => a + ms, 0)
  for (const [k, ms] of rows.slice(0, 14)) out(`  ${fmtMs(ms).padStart(8)}  ${k}`)
  out(`  ${fmtMs(total).padStart(8)}  total profiled`)
}

if (isMain(import.meta.url)) runMain(main)
