/**
 * Shared pieces of the issue 4 benchmarks (bench/*.ts): a fresh engine state dir per run (stopped and removed at
 * the end, with the images it kept), the `dirk` CLI as a child process, sessions driven by bench/session-client.mjs,
 * medians, and the result table every benchmark prints.
 */
import { execFile, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"

export const run = promisify(execFile)
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
export const image = process.env.DIRK_BENCH_IMAGE ?? "dirk.local/busybox:latest"
export const out = (s: string) => process.stdout.write(s + "\n")
export const dirkBin = path.join(root, "bin/dirk.js")

/** Whether `metaUrl` is the module node was started with (a benchmark run directly, not imported). */
export const isMain = (metaUrl: string): boolean =>
  process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fileURLToPath(metaUrl)

/** Runs a benchmark's main: a failure (a wrong result, a broken setup) prints its message and exits 1. */
export const runMain = (main: () => Promise<void>) =>
  main().catch((e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`)
    process.exitCode = 1
  })

export const median = (xs: ReadonlyArray<number>): number => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export const fmtMs = (ms: number): string =>
  Number.isNaN(ms) ? "—" : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`

/** Min / median / max of a sample, for the detail lines. */
export const spread = (xs: ReadonlyArray<number>): string =>
  `median ${fmtMs(median(xs))} (min ${fmtMs(Math.min(...xs))}, max ${fmtMs(Math.max(...xs))}, n=${xs.length})`

export const time = async <A>(f: () => Promise<A>): Promise<[A, number]> => {
  const t = performance.now()
  const a = await f()
  return [a, performance.now() - t]
}

export const loadavg = (): string => os.loadavg().map((l) => l.toFixed(2)).join(" ")

/** Builds the CLI bundle when it is missing; fails when the benchmark image is missing. */
export const ensureReady = async (images: ReadonlyArray<string> = [image]): Promise<void> => {
  if (!fs.existsSync(path.join(root, "dist/dirk.mjs"))) {
    out("building dist/dirk.mjs (npm run build) ...")
    await run(process.execPath, [path.join(root, "scripts/build.mjs")], { cwd: root })
  }
  for (const i of images) {
    await run("docker", ["image", "inspect", i]).catch(() => {
      throw new Error(`image ${i} is missing: run bash scripts/setup.sh`)
    })
  }
}

export interface CliRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  /** Wall time from spawn to exit. */
  readonly ms: number
}

/** Runs `node bin/dirk.js ...args` (or any command with `cmd`) and times it from spawn to exit. */
export const spawnTimed = (
  cmd: string,
  args: ReadonlyArray<string>,
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}
): Promise<CliRun> =>
  new Promise((resolve, reject) => {
    const t = performance.now()
    const child = spawn(cmd, args, {
      cwd: options.cwd ?? root,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString("utf8")))
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString("utf8")))
    if (options.input !== undefined) child.stdin!.end(options.input)
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr, ms: performance.now() - t }))
  })

/** What `bench/session-client.mjs` prints. */
export interface SessionResult {
  readonly nonce: string
  readonly steps: Record<string, {
    readonly ms: ReadonlyArray<number>
    readonly data: any
    readonly startUs?: number
    readonly endUs?: number
    readonly spans?: ReadonlyArray<readonly [number, number]>
  }>
}

export interface PlanStep {
  readonly name: string
  readonly query: string
  readonly reps?: number
  readonly concurrent?: boolean
  readonly save?: string
}

/**
 * One engine state dir (fresh, temporary) and what runs on it: the CLI, sessions of bench/session-client.mjs. The
 * engine daemon is started on the fly by the first command; `close` stops it, removes the images it kept for its
 * cache (label `dirk.state=<dir>`) and the dir.
 */
export class Engine {
  /** `dir` is the state dir; `work` (beside it) holds the plans and timelines of the runs. */
  private constructor(readonly dir: string, readonly work: string, readonly extraEnv: Record<string, string>) {}

  static async fresh(extraEnv: Record<string, string> = {}): Promise<Engine> {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-bench-engine-"))
    fs.mkdirSync(path.join(base, "state"))
    fs.mkdirSync(path.join(base, "work"))
    return new Engine(path.join(base, "state"), path.join(base, "work"), extraEnv)
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, DIRK_STATE_DIR: this.dir, NO_COLOR: "1", ...this.extraEnv }
  }

  /** `dirk ...args`, timed; fails on a non-zero exit unless `allowFail`. */
  async dirk(args: ReadonlyArray<string>, options: { input?: string; allowFail?: boolean; env?: Record<string, string> } = {}): Promise<CliRun> {
    const r = await spawnTimed(process.execPath, [dirkBin, ...args], {
      env: { ...this.env, ...options.env },
      ...(options.input !== undefined ? { input: options.input } : {})
    })
    if (r.code !== 0 && options.allowFail !== true) {
      throw new Error(`dirk ${args.join(" ")} exited ${r.code}:\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-1000)}`)
    }
    return r
  }

  /** Runs `plan` in a new session (`dirk run -- node bench/session-client.mjs`); `ms` is the whole `dirk run`. */
  async session(plan: ReadonlyArray<PlanStep>, env: Record<string, string> = {}): Promise<SessionResult & { readonly ms: number }> {
    const planFile = path.join(this.work, `plan-${process.pid}-${Math.random().toString(36).slice(2)}.json`)
    fs.writeFileSync(planFile, JSON.stringify(plan))
    try {
      const r = await this.dirk(["run", "--", process.execPath, path.join(root, "bench/session-client.mjs")], {
        env: { DIRK_BENCH_PLAN: planFile, ...env }
      })
      const line = r.stdout.trim().split("\n").pop() ?? ""
      try {
        return { ...(JSON.parse(line) as SessionResult), ms: r.ms }
      } catch {
        throw new Error(`the session client printed no result:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`)
      }
    } finally {
      fs.rmSync(planFile, { force: true })
    }
  }

  /** Stops the daemon (`dirk engine stop --force`; SIGTERM to its pid if that fails) and waits until it is gone. */
  stop(): Promise<void> {
    return stopEngineAt(this.dir, this.env)
  }

  /** Stops the daemon, removes the images it kept for its cache, and the state dir. */
  async close(): Promise<void> {
    await this.stop()
    removeCachedImages(this.dir)
    fs.rmSync(path.dirname(this.dir), { recursive: true, force: true })
  }
}

/** The pid of the engine daemon holding `stateDir` (from its lock), if one runs. */
const daemonPid = (stateDir: string): number | undefined => {
  try {
    const pid = Number(fs.readFileSync(path.join(stateDir, "engine.lock", "owner"), "utf8").split(" ")[0])
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined
  } catch {
    return undefined
  }
}

/**
 * Stops the engine daemon of `stateDir` (`dirk engine stop --force`; SIGTERM to its pid if that fails) and waits until
 * it is gone.
 */
export const stopEngineAt = async (stateDir: string, env: NodeJS.ProcessEnv = { ...process.env, DIRK_STATE_DIR: stateDir }): Promise<void> => {
  const pid = daemonPid(stateDir)
  if (pid === undefined) return
  await spawnTimed(process.execPath, [dirkBin, "engine", "stop", "--force"], { env: { ...env, DIRK_STATE_DIR: stateDir } })
  if (alive(pid)) {
    try {
      process.kill(pid, "SIGTERM")
    } catch {
      // gone
    }
  }
  for (let i = 0; i < 600 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50))
}

const alive = (pid: number): boolean => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return false
  }
}

/** Removes the images an engine of `stateDir` kept for its persistent cache (as test/support/cli.ts does). */
export const removeCachedImages = (stateDir: string): void => {
  const ids = execFileSync("docker", ["images", "-a", "-q", "--no-trunc", "--filter", `label=dirk.state=${stateDir}`], { encoding: "utf8" })
    .split("\n").filter((l) => l !== "")
  for (let pass = 0; pass < 5 && ids.length > 0; pass++) {
    for (const id of [...ids]) {
      try {
        execFileSync("docker", ["rmi", "-f", id], { stdio: "ignore" })
        ids.splice(ids.indexOf(id), 1)
      } catch {
        // a parent of another: next pass
      }
    }
  }
}

/**
 * A docker client that builds with BuildKit: `docker` when it has buildx, else Docker 20.10's own client
 * (`/usr/bin/docker` of Debian's docker.io, whose `docker build` speaks BuildKit itself with DOCKER_BUILDKIT=1).
 */
export const buildkitClient = async (): Promise<{ readonly cmd: string; readonly env: NodeJS.ProcessEnv; readonly what: string }> => {
  const env = { ...process.env, DOCKER_BUILDKIT: "1" }
  const buildx = await run("docker", ["buildx", "version"]).then((r) => r.stdout.trim(), () => undefined)
  if (buildx !== undefined) return { cmd: "docker", env, what: `docker build (${buildx})` }
  for (const cmd of ["/usr/bin/docker", "docker"]) {
    const v = await run(cmd, ["version", "--format", "{{.Client.Version}}"]).then((r) => r.stdout.trim(), () => undefined)
    if (v !== undefined && Number(v.split(".")[0]) < 23) return { cmd, env, what: `DOCKER_BUILDKIT=1 ${cmd} build (client ${v})` }
  }
  throw new Error("no docker client builds with BuildKit here: install the buildx plugin, or Docker 20.10's client")
}

/** One line of a result table. `anchor` undefined: an absolute target (`floor` shown in its place, if any). */
export interface Row {
  readonly name: string
  readonly anchor?: number
  readonly floor?: number
  readonly dirk: number
  /** `ratio`: dirk/anchor ≤ max; `abs`: dirk ≤ max ms. */
  readonly target: { readonly kind: "ratio" | "abs"; readonly max: number }
}

export const met = (r: Row): boolean =>
  r.target.kind === "ratio" ? r.dirk / r.anchor! <= r.target.max : r.dirk <= r.target.max

/**
 * Prints a result table (anchor measured in the same run, dirk, the ratio, the target, met or not), and appends the
 * rows to $DIRK_BENCH_SUMMARY (JSON lines) for `bench/all.ts`.
 */
export const printTable = (title: string, anchorName: string, rows: ReadonlyArray<Row>): void => {
  const w = Math.max(40, ...rows.map((r) => r.name.length + 2))
  out("")
  out(`${title}`)
  out(`${"case".padEnd(w)}${anchorName.padStart(12)}${"dirk".padStart(11)}${"ratio".padStart(9)}   ${"target".padEnd(10)}`)
  for (const r of rows) {
    const anchor = r.anchor !== undefined ? fmtMs(r.anchor) : r.floor !== undefined ? `(${fmtMs(r.floor)})` : "—"
    const ratio = r.anchor !== undefined ? `${(r.dirk / r.anchor).toFixed(2)}x` : "—"
    const target = r.target.kind === "ratio" ? `<= ${r.target.max}x` : `<= ${fmtMs(r.target.max)}`
    out(`${r.name.padEnd(w)}${anchor.padStart(12)}${fmtMs(r.dirk).padStart(11)}${ratio.padStart(9)}   ${target.padEnd(10)} ${met(r) ? "met" : "NOT met"}`)
  }
  const summary = process.env.DIRK_BENCH_SUMMARY
  if (summary !== undefined) {
    for (const r of rows) fs.appendFileSync(summary, JSON.stringify({ title, anchorName, ...r }) + "\n")
  }
}

/** The 10 steps of the pipeline benchmarks: each appends its number to /steps and prints the file. */
export const steps = (n: number, last?: string): ReadonlyArray<string> =>
  Array.from({ length: n }, (_, i) =>
    `echo ${i + 1} >> /steps && cat /steps${i === n - 1 && last !== undefined ? ` && ${last}` : ""}`)

/** `container.from(image)` then `withExec(["sh", "-c", step])` per step, as the inside of a GraphQL selection. */
export const chain = (cmds: ReadonlyArray<string>, leaf: string, prefix = `container { from(address: "${image}")`): string => {
  let open = prefix
  let close = "}".repeat(prefix.split("{").length - 1)
  for (const c of cmds) {
    open += ` { withExec(args: ["sh", "-c", ${JSON.stringify(c)}])`
    close += " }"
  }
  return `${open} { ${leaf} } ${close}`
}

export const dockerfile = (from: string, cmds: ReadonlyArray<string>, copy?: string): string =>
  [`FROM ${from}`, ...(copy !== undefined ? [copy] : []), ...cmds.map((c) => `RUN ${c}`)].join("\n") + "\n"

interface TimelineEvent {
  readonly t: number
  readonly what: string
}

/**
 * Runs `dirk ...args` with bench/cli-timeline.cjs preloaded and splits its wall time into phases (ms), from the
 * HTTP requests it makes: Node's bootstrap, loading the CLI (until its first request, `GET /version` to the engine),
 * the engine handshake and `POST /session`, then each session request, printing, closing the session, and exiting.
 */
export const cliTimeline = async (
  engine: Engine,
  args: ReadonlyArray<string>,
  input?: string,
  nodeOptions = ""
): Promise<Array<[string, number]>> => {
  const file = path.join(engine.work, `timeline-${Math.random().toString(36).slice(2)}.json`)
  const r = await engine.dirk(args, {
    ...(input !== undefined ? { input } : {}),
    env: { DIRK_BENCH_TIMELINE: file, NODE_OPTIONS: `--require ${path.join(root, "bench/cli-timeline.cjs")} ${nodeOptions}`.trim() }
  })
  const ev = JSON.parse(fs.readFileSync(file, "utf8")) as ReadonlyArray<TimelineEvent>
  fs.rmSync(file, { force: true })
  const at = (re: RegExp, from = 0): number => {
    const e = ev.slice(from).find((x) => re.test(x.what))
    return e === undefined ? NaN : e.t
  }
  const preload = at(/^preload/)
  const version = at(/start GET \/version/)
  const session = at(/response POST \/session/)
  const queries = ev.filter((e) => /^undici (start|done) POST .*\/query/.test(e.what))
  const qStart = queries[0]?.t ?? NaN
  const qEnd = queries.filter((e) => e.what.startsWith("undici done")).pop()?.t ?? NaN
  const printed = at(/^stdout first write/)
  const closed = at(/closed POST \/session/)
  const exit = at(/^exit/)
  const phases: Array<[string, number]> = [
    ["node bootstrap (to the first line of JS)", preload],
    ["loading the CLI (to its first request)", version - preload],
    ["engine handshake + POST /session", session - version],
    ["session open → first query sent", qStart - session],
    [`the session's requests (${queries.length / 2})`, qEnd - qStart]
  ]
  if (!Number.isNaN(printed) && printed > qEnd) {
    phases.push(["last response → output printed", printed - qEnd], ["output printed → session closed", closed - printed])
  } else {
    phases.push(["last response → session closed", closed - qEnd])
  }
  phases.push(["session closed → process exit", exit - closed], ["process exit → reaped by the parent", r.ms - exit])
  return phases
}

/** The medians of several `cliTimeline`s, phase by phase. */
export const medianPhases = (runs: ReadonlyArray<ReadonlyArray<[string, number]>>): Array<[string, number]> =>
  runs[0]!.map(([name], i) => [name, median(runs.map((r) => r[i]![1]))])

export const printPhases = (title: string, phases: ReadonlyArray<[string, number]>): void => {
  out(title)
  for (const [name, ms] of phases) out(`  ${fmtMs(ms).padStart(8)}  ${name}`)
  out(`  ${fmtMs(phases.reduce((a, [, ms]) => a + ms, 0)).padStart(8)}  total`)
}

/** Now on the clock of CPU profiles' timestamps (CLOCK_MONOTONIC, µs), the same in every process of this host. */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n)
