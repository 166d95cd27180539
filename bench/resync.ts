/**
 * Benchmark (issue 4 point 7, fourth item): re-sync of an unchanged 10k-file host directory, i.e. host.directory(path)
 * of a tree the engine has read before, in a new session of the same engine, then its `digest`, against a bare
 * metadata walk of the tree in Node (readdir + lstat, recursively); target ≤ 1.2×.
 *
 *   npx tsx bench/resync.ts              (or: npm run bench:resync)
 *
 * The tree is bench/filepath.ts's (200 MiB in 10,000 files; DIRK_BENCH_MB / DIRK_BENCH_FILES). dirk's number is the
 * query's wall time inside the session (a fetch client via `dirk run`, one new session per repetition, after two
 * warm-up sessions), the anchor a synchronous readdir + lstat walk in this process, warm. Alongside: the same walk
 * that also reads and sha256-hashes every file (what a content digest without a stat cache costs), and `entries`.
 * Env: DIRK_BENCH_REPS (default 7).
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { generate } from "./filepath.js"
import { Engine, ensureReady, fmtMs, isMain, loadavg, median, out, printTable, runMain, spread } from "./support.js"

const reps = Number(process.env.DIRK_BENCH_REPS ?? 7)

/** readdir + lstat of every entry, recursively: the metadata a re-sync needs to see that nothing changed. */
const metadataWalk = (dir: string): number => {
  let n = 0
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name)
    const st = fs.lstatSync(p)
    n++
    if (st.isDirectory()) n += metadataWalk(p)
  }
  return n
}

/** The same walk, also reading and hashing every file's bytes (sorted names, as a content digest needs). */
const hashingWalk = (root: string): string => {
  const h = createHash("sha256")
  const buf = Buffer.allocUnsafe(1 << 20)
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name)
      const st = fs.lstatSync(p)
      h.update(`${name}\0${st.mode}\0`)
      if (st.isDirectory()) walk(p)
      else if (st.isFile()) {
        const fh = createHash("sha256")
        const fd = fs.openSync(p, "r")
        for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) fh.update(buf.subarray(0, n))
        fs.closeSync(fd)
        h.update(fh.digest())
      }
    }
  }
  walk(root)
  return h.digest("hex")
}

const timeSync = (f: () => unknown): number => {
  const t = performance.now()
  f()
  return performance.now() - t
}

export const main = async () => {
  await ensureReady([])
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-bench-resync-"))
  const engine = await Engine.fresh()
  try {
    const tree = path.join(tmp, "tree")
    fs.mkdirSync(tree)
    generate(tree)
    const entries = metadataWalk(tree)
    out(`resync: ${entries} entries (files and directories); ${reps} repetitions after warm-ups; load average ${loadavg()}`)
    const q = `{ host { directory(path: ${JSON.stringify(tree)}) { digest } } }`
    const qe = `{ host { directory(path: ${JSON.stringify(tree)}) { entries } } }`
    const qi = `{ host { directory(path: ${JSON.stringify(tree)}) { id } } }`
    // warm-ups: the first session reads the tree for the first time
    const warm = await engine.session([{ name: "q", query: q }, { name: "e", query: qe }])
    const digest = warm.steps.q!.data.host.directory.digest as string
    await engine.session([{ name: "q", query: q }])
    for (let i = 0; i < 3; i++) metadataWalk(tree)
    hashingWalk(tree)

    const walkMs: Array<number> = []
    const hashMs: Array<number> = []
    const dirkMs: Array<number> = []
    const againMs: Array<number> = []
    const entriesMs: Array<number> = []
    const idMs: Array<number> = []
    for (let i = 0; i < reps; i++) {
      walkMs.push(timeSync(() => metadataWalk(tree)))
            // each variant is the first query of its own new session
      const s = await engine.session([{ name: "q", query: q, reps: 2 }])
      if (s.steps.q!.data.host.directory.digest !== digest) throw new Error("the digest of the unchanged tree changed")
      const e = await engine.session([{ name: "e", query: qe }])
      const top = (e.steps.e!.data.host.directory.entries as ReadonlyArray<string>).length
      if (top !== fs.readdirSync(tree).length) throw new Error(`entries: ${top} names, the tree's top has ${fs.readdirSync(tree).length}`)
      const id = await engine.session([{ name: "i", query: qi }])
      dirkMs.push(s.steps.q!.ms[0]!)
      againMs.push(s.steps.q!.ms[1]!)
      entriesMs.push(e.steps.e!.ms[0]!)
      idMs.push(id.steps.i!.ms[0]!)
      if (i < 3) hashMs.push(timeSync(() => hashingWalk(tree)))
    }
    printTable("re-sync of an unchanged 10k-file directory (new session) vs a Node metadata walk", "Node walk", [
      { name: "host.directory(path).digest, unchanged", anchor: median(walkMs), dirk: median(dirkMs), target: { kind: "ratio", max: 1.2 } },
      { name: "host.directory(path).entries, unchanged", anchor: median(walkMs), dirk: median(entriesMs), target: { kind: "ratio", max: 1.2 } }
    ])
    out("")
    out(`Node readdir + lstat walk:          ${spread(walkMs)}`)
    out(`dirk, first query of the session:   ${spread(dirkMs)}`)
    out(`dirk, the same query again:         ${spread(againMs)}`)
    out(`dirk, entries (own session):        ${spread(entriesMs)}`)
    out(`dirk, id alone (own session):        ${spread(idMs)}`)
    out(`for scale: a Node walk that also reads and sha256-hashes every file: ${spread(hashMs)}`)
    out(`  so host.directory alone (${fmtMs(median(idMs))}, the first query of a session) is ${fmtMs(median(idMs) - median(walkMs))} over the bare walk; digest adds ${fmtMs(median(dirkMs) - median(idMs))} on top of it, entries ${fmtMs(median(entriesMs) - median(idMs))}`)
  } finally {
    await engine.close()
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

if (isMain(import.meta.url)) runMain(main)
