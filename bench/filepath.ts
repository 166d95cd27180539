/**
 * Benchmark (issue 3 point 7): the file path of a 200 MB, 10k-file directory from the host into a container and
 * back, through dirk (Dagger's client via `dirk run`) against plain `docker cp` both ways, in the same run.
 *
 *   npx tsx bench/filepath.ts            (or: npm run bench:filepath)
 *
 * Env: DIRK_BENCH_MB (default 200), DIRK_BENCH_FILES (default 10000), DIRK_BENCH_KEEP=1 keeps the temp dir.
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

const main = async () => {
  if (!fs.existsSync(path.join(root, "dist/dirk.mjs"))) {
    out("building dist/dirk.mjs (npm run build) ...")
    await run(process.execPath, [path.join(root, "scripts/build.mjs")], { cwd: root })
  }
  await docker("image", "inspect", image).catch(() => {
    throw new Error(`image ${image} is missing: run bash scripts/setup.sh`)
  })
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-bench-"))
  let container: string | undefined
  try {
    const src = path.join(tmp, "src")
    fs.mkdirSync(src)
    const [, genMs] = await time(async () => generate(src))
    const input = digestTree(src)
    out(`input: ${input.files} files, ${(input.bytes / 1048576).toFixed(1)} MiB, generated in ${fmt(genMs)}`)
    // the tree just written is flushed to disk first, so that neither side pays for that flush
    await run("sync")

    // dirk: host → container (withDirectory + exec) → export, through Dagger's client and `dirk run`
    const dirkOut = path.join(tmp, "dirk-out")
    const [phases, dirkTotal] = await time(() => runDirk(src, dirkOut, path.join(tmp, "state")))
    const dirkResult = digestTree(dirkOut)

    // docker: create, cp in, start (the same `true`), cp out (after dirk's writes are flushed too)
    await run("sync")
    const dockerOut = path.join(tmp, "docker-out")
    fs.mkdirSync(dockerOut)
    const [, createMs] = await time(async () => {
      container = await docker("create", "--label", "dirk.bench=1", image, "true")
    })
    const [, cpInMs] = await time(() => docker("cp", `${src}/.`, `${container}:/data`))
    const [, startMs] = await time(() => docker("start", "-a", container!))
    const [, cpOutMs] = await time(() => docker("cp", `${container}:/data/.`, dockerOut))
    const dockerResult = digestTree(dockerOut)

    const dockerIn = createMs + cpInMs + startMs
    const dirkIn = phases.in
    out("")
    out("phase                          dirk     docker    dirk/docker")
    out(`into the container        ${fmt(dirkIn)}  ${fmt(dockerIn)}    ${(dirkIn / dockerIn).toFixed(2)}x`)
    out(`back to the host          ${fmt(phases.out)}  ${fmt(cpOutMs)}    ${(phases.out / cpOutMs).toFixed(2)}x`)
    out(`both ways                 ${fmt(dirkIn + phases.out)}  ${fmt(dockerIn + cpOutMs)}    ${((dirkIn + phases.out) / (dockerIn + cpOutMs)).toFixed(2)}x`)
    out("")
    out(`dirk details: image from ${fmt(phases.from)}, whole \`dirk run\` (engine start, session, client) ${fmt(dirkTotal)}`)
    out(`docker details: create ${fmt(createMs)}, cp in ${fmt(cpInMs)}, start ${fmt(startMs)}, cp out ${fmt(cpOutMs)}`)
    out("")
    let ok = true
    for (const [name, r] of [["dirk", dirkResult], ["docker", dockerResult]] as const) {
      const same = r.files === input.files && r.bytes === input.bytes && r.digest === input.digest
      ok &&= same
      out(`${name} export: ${r.files} files, digest ${r.digest.slice(0, 16)}… ${same ? "= input" : "DIFFERS from the input"}`)
    }
    out(`target: both ways <= 2x docker: ${(dirkIn + phases.out) / (dockerIn + cpOutMs) <= 2 ? "met" : "NOT met"}`)
    if (!ok) process.exitCode = 1
  } finally {
    if (container !== undefined) await docker("rm", "-f", container).catch(() => undefined)
    // the engine daemon `dirk run` started on the fly, and the images it kept for its cache
    await stopEngineAt(path.join(tmp, "state"))
    removeCachedImages(path.join(tmp, "state"))
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
