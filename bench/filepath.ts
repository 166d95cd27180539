/**
 * Benchmark (issue 3 point 7): the file path of a 200 MB, 10k-file directory from the host into a container and
 * back, through dirk (Dagger's client via `dirk run`) against plain `docker cp` both ways, in the same run.
 *
 *   npx tsx bench/filepath.ts            (or: npm run bench:filepath)
 *
 * Env: DIRK_BENCH_MB (default 200), DIRK_BENCH_FILES (default 10000), DIRK_BENCH_ROUNDS (default 3),
 * DIRK_BENCH_KEEP=1 keeps the temp dir.
 * See bench/README.md for what is measured and why.
 */
import { execFile, spawn } from "node:child_process"
import { createCipheriv, createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import { removeCachedImages, stopEngineAt } from "./support.js"

const run = promisify(execFile)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const image = process.env.DIRK_BENCH_IMAGE ?? "dirk.local/busybox:latest"
const totalBytes = Number(process.env.DIRK_BENCH_MB ?? 200) * 1024 * 1024
const fileCount = Number(process.env.DIRK_BENCH_FILES ?? 10_000)
const out = (s: string) => process.stdout.write(s + "\n")

/** A deterministic byte stream: AES-128-CTR over zeros with a fixed key. */
const prng = (seed: number) => {
  const key = createHash("sha256").update(`dirk-bench-${seed}`).digest().subarray(0, 16)
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16))
  return (n: number): Buffer => cipher.update(Buffer.alloc(n))
}

/**
 * Writes the input tree: 4 large files holding half the bytes, the rest spread over `fileCount - 4` small files of
 * varying size (0 to ~2× the mean) in nested directories (up to 4 levels).
 */
export const generate = (dir: string) => {
  const bytes = prng(1)
  const sizes = prng(2)
  const large = 4
  const largeSize = Math.floor(totalBytes / 2 / large)
  let written = 0
  for (let i = 0; i < large; i++) {
    const p = path.join(dir, "large", `blob-${i}.bin`)
    fs.mkdirSync(path.dirname(p), { recursive: true })
    const fd = fs.openSync(p, "w")
    for (let left = largeSize; left > 0; left -= 1 << 20) fs.writeSync(fd, bytes(Math.min(left, 1 << 20)))
    fs.closeSync(fd)
    written += largeSize
  }
  const small = fileCount - large
  const mean = Math.floor((totalBytes - written) / small)
  let budget = totalBytes - written
  for (let i = 0; i < small; i++) {
    const r = sizes(4).readUInt32LE(0) / 0xffffffff
    const size = i === small - 1 ? Math.max(0, budget) : Math.min(budget, Math.floor(r * 2 * mean))
    budget -= size
    const depth = i % 5
    const parts = [`d${i % 10}`, `e${Math.floor(i / 10) % 10}`, `f${Math.floor(i / 100) % 10}`, `g${Math.floor(i / 1000) % 10}`]
    const p = path.join(dir, ...parts.slice(0, depth), `file-${i}.${i % 3 === 0 ? "txt" : "dat"}`)
    fs.mkdirSync(path.dirname(p), { recursive: true })
    fs.writeFileSync(p, bytes(size))
  }
}

/** Counts the files of a tree and digests it: sorted paths with sizes and content hashes (symlinks by target). */
export const digestTree = (dir: string) => {
  const lines: Array<string> = []
  let files = 0
  let bytes = 0
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel === "" ? e.name : `${rel}/${e.name}`
      const abs = path.join(dir, r)
      if (e.isDirectory()) {
        lines.push(`d ${r}`)
        walk(r)
      } else if (e.isSymbolicLink()) {
        lines.push(`l ${r} ${fs.readlinkSync(abs)}`)
      } else {
        const data = fs.readFileSync(abs)
        files++
        bytes += data.length
        lines.push(`f ${r} ${data.length} ${createHash("sha256").update(data).digest("hex")}`)
      }
    }
  }
  walk("")
  lines.sort()
  return { files, bytes, digest: createHash("sha256").update(lines.join("\n")).digest("hex") }
}

const time = async <A>(f: () => Promise<A>): Promise<[A, number]> => {
  const t = performance.now()
  const a = await f()
  return [a, performance.now() - t]
}

/** Runs `dirk run -- node bench/filepath-client.mjs` with a fresh state dir; returns the client's phase times. */
const runDirk = (src: string, dest: string, stateDir: string) =>
  new Promise<{ from: number; in: number; out: number }>((resolve, reject) => {
    const child = spawn(process.execPath, [
      path.join(root, "bin/dirk.js"),
      "run",
      "--",
      process.execPath,
      path.join(root, "bench/filepath-client.mjs")
    ], {
      cwd: root,
      env: { ...process.env, DIRK_STATE_DIR: stateDir, DIRK_BENCH_SRC: src, DIRK_BENCH_OUT: dest, DIRK_BENCH_IMAGE: image, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")))
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")))
    child.on("error", reject)
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`dirk run exited ${code}:\n${stderr.slice(-4000)}`))
      try {
        resolve(JSON.parse(stdout.trim().split("\n").pop() ?? ""))
      } catch (e) {
        reject(new Error(`dirk run printed no timings: ${stdout.slice(-2000)}\n${stderr.slice(-2000)}`))
      }
    })
  })

const docker = (...args: Array<string>) => run("docker", args, { maxBuffer: 16 * 1024 * 1024 }).then((r) => r.stdout.trim())

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`.padStart(9)

const median = (xs: ReadonlyArray<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

interface Round {
  readonly dirk: { readonly in: number; readonly out: number; readonly from: number; readonly total: number }
  readonly docker: { readonly in: number; readonly out: number; readonly cpIn: number; readonly start: number }
}

const main = async () => {
  if (!fs.existsSync(path.join(root, "dist/dirk.mjs"))) {
    out("building dist/dirk.mjs (npm run build) ...")
    await run(process.execPath, [path.join(root, "scripts/build.mjs")], { cwd: root })
  }
  await docker("image", "inspect", image).catch(() => {
    throw new Error(`image ${image} is missing: run bash scripts/setup.sh`)
  })
  const rounds = Math.max(1, Number(process.env.DIRK_BENCH_ROUNDS ?? 3))
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-bench-"))
  const containers: Array<string> = []
  const states: Array<string> = []
  try {
    const src = path.join(tmp, "src")
    fs.mkdirSync(src)
    const [, genMs] = await time(async () => generate(src))
    const input = digestTree(src)
    out(`input: ${input.files} files, ${(input.bytes / 1048576).toFixed(1)} MiB, generated in ${fmt(genMs)}`)
    let ok = true
    const check = (name: string, dir: string) => {
      const r = digestTree(dir)
      const same = r.files === input.files && r.bytes === input.bytes && r.digest === input.digest
      if (!same) {
        ok = false
        out(`${name} export: ${r.files} files, digest ${r.digest.slice(0, 16)}… DIFFERS from the input`)
      }
      fs.rmSync(dir, { recursive: true, force: true })
    }

    // dirk: host → container (withDirectory + exec) → export, through Dagger's client and `dirk run`, on a fresh
    // state dir (no cache); its engine is stopped and its images removed after the round
    const dirkSide = async (i: number): Promise<Round["dirk"]> => {
      const state = path.join(tmp, `state-${i}`)
      states.push(state)
      const dest = path.join(tmp, `dirk-out-${i}`)
      const [phases, total] = await time(() => runDirk(src, dest, state))
      check(`dirk (round ${i})`, dest)
      await stopEngineAt(state)
      removeCachedImages(state)
      return { in: phases.in, out: phases.out, from: phases.from, total }
    }
    // docker: create, cp in, start (the same `true`), cp out
    const dockerSide = async (i: number): Promise<Round["docker"]> => {
      const dest = path.join(tmp, `docker-out-${i}`)
      fs.mkdirSync(dest)
      const [container, createMs] = await time(() => docker("create", "--label", "dirk.bench=1", image, "true"))
      containers.push(container)
      const [, cpIn] = await time(() => docker("cp", `${src}/.`, `${container}:/data`))
      const [, start] = await time(() => docker("start", "-a", container))
      const [, cpOut] = await time(() => docker("cp", `${container}:/data/.`, dest))
      check(`docker (round ${i})`, dest)
      await docker("rm", "-f", container)
      return { in: createMs + cpIn + start, out: cpOut, cpIn, start }
    }

    // The machine's disk speed drifts from minute to minute: the sides alternate (dirk first in odd rounds, docker
    // first in even ones), each after a `sync` (neither pays for the other's flush), and the medians are compared.
    out("")
    out("round   dirk in    out      docker in  out      both ways")
    const done: Array<Round> = []
    for (let i = 1; i <= rounds; i++) {
      let d: Round["dirk"] | undefined
      let k: Round["docker"] | undefined
      for (const side of i % 2 === 1 ? ["dirk", "docker"] : ["docker", "dirk"]) {
        await run("sync")
        if (side === "dirk") d = await dirkSide(i)
        else k = await dockerSide(i)
      }
      done.push({ dirk: d!, docker: k! })
      out(`${String(i).padEnd(6)}${fmt(d!.in)}${fmt(d!.out)}  ${fmt(k!.in)}${fmt(k!.out)}    ${((d!.in + d!.out) / (k!.in + k!.out)).toFixed(2)}x`)
    }

    const m = (f: (r: Round) => number) => median(done.map(f))
    const dirkIn = m((r) => r.dirk.in)
    const dirkOut = m((r) => r.dirk.out)
    const dirkBoth = m((r) => r.dirk.in + r.dirk.out)
    const dockerIn = m((r) => r.docker.in)
    const dockerOut = m((r) => r.docker.out)
    const dockerBoth = m((r) => r.docker.in + r.docker.out)
    out("")
    out(`medians of ${rounds} round(s)        dirk     docker    dirk/docker`)
    out(`into the container        ${fmt(dirkIn)}  ${fmt(dockerIn)}    ${(dirkIn / dockerIn).toFixed(2)}x`)
    out(`back to the host          ${fmt(dirkOut)}  ${fmt(dockerOut)}    ${(dirkOut / dockerOut).toFixed(2)}x`)
    out(`both ways                 ${fmt(dirkBoth)}  ${fmt(dockerBoth)}    ${(dirkBoth / dockerBoth).toFixed(2)}x`)
    out("")
    out(`dirk details: image from ${fmt(m((r) => r.dirk.from))}, whole \`dirk run\` (engine start, session, client) ${fmt(m((r) => r.dirk.total))}`)
    out(`docker details: cp in ${fmt(m((r) => r.docker.cpIn))}, start ${fmt(m((r) => r.docker.start))}, cp out ${fmt(dockerOut)}`)
    out("")
    out(`exports: ${ok ? `all ${2 * rounds} equal the input (${input.files} files, digest ${input.digest.slice(0, 16)}…)` : "SOME DIFFER from the input"}`)
    out(`target: both ways <= 2x docker: ${dirkBoth / dockerBoth <= 2 ? "met" : "NOT met"}`)
    if (!ok) process.exitCode = 1
  } finally {
    for (const c of containers) await docker("rm", "-f", c).catch(() => undefined)
    // the engine daemons `dirk run` started on the fly, and the images they kept for their cache
    for (const state of states) {
      await stopEngineAt(state)
      removeCachedImages(state)
    }
    if (process.env.DIRK_BENCH_KEEP !== "1") fs.rmSync(tmp, { recursive: true, force: true })
    else out(`kept ${tmp}`)
  }
}

if (process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exitCode = 1
  })
}
