/**
 * Test support: runs the real `dirk` CLI (bin/dirk.js, bundled by the global setup) as a child process.
 */
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
export const dirkBin = path.join(repoRoot, "bin/dirk.js")

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** The pid of the engine holding `stateDir`, if one does. */
export const daemonPid = (stateDir: string): number | undefined => {
  try {
    const pid = Number(fs.readFileSync(path.join(stateDir, "engine.lock", "owner"), "utf8").split(" ")[0])
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined
  } catch {
    return undefined
  }
}

/** Whether process `pid` runs (a zombie, dead but not reaped yet, does not). */
export const alive = (pid: number): boolean => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return false
  }
}

/** Stops the engine daemon of `stateDir` (SIGTERM) and waits until it is gone (it removes its sessions' containers). */
export const stopDaemon = async (stateDir: string): Promise<void> => {
  const pid = daemonPid(stateDir)
  if (pid === undefined) return
  try {
    process.kill(pid, "SIGTERM")
  } catch {
    return
  }
  for (let i = 0; i < 300 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50))
}

/**
 * Removes the images an engine of `stateDir` kept for its persistent cache (a state dir about to be deleted: what
 * `dirk engine prune --all` would do).
 */
export const removeCachedImages = (stateDir: string): void => {
  const ids = execFileSync("docker", ["images", "-a", "-q", "--no-trunc", "--filter", `label=dirk.state=${stateDir}`], { encoding: "utf8" })
    .split("\n").filter((l) => l !== "")
  // children first (newest first), a few passes for parents
  for (let pass = 0; pass < 3 && ids.length > 0; pass++) {
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
 * Runs `dirk ...args` with a fresh state dir (its engine daemon, started on the fly, is stopped afterwards), or with
 * `stateDir` (left as it is, its engine running); `onStderr` may act on the child (e.g. send SIGINT).
 */
export const dirk = (
  args: ReadonlyArray<string>,
  options: {
    cwd?: string
    input?: string
    env?: Record<string, string>
    timeoutMs?: number
    stateDir?: string
    onStderr?: (text: string, child: ReturnType<typeof spawn>) => void
    onSpawn?: (child: ReturnType<typeof spawn>) => void
  } = {}
): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const own = options.stateDir === undefined
    const stateDir = options.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "dirk-cli-state-"))
    const child = spawn(process.execPath, [dirkBin, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, DIRK_STATE_DIR: stateDir, NO_COLOR: "1", ...options.env },
      stdio: ["pipe", "pipe", "pipe"]
    })
    options.onSpawn?.(child)
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")))
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8")
      options.onStderr?.(stderr, child)
    })
    child.stdin.end(options.input ?? "")
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`dirk ${args.join(" ")} timed out; stderr:\n${stderr.slice(-2000)}`))
    }, options.timeoutMs ?? 300_000)
    child.on("error", reject)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      // the engine daemon this call started in its state dir: stop it (as `dirk engine stop --force` would), then
      // remove the dir
      if (!own) return resolve({ code, signal, stdout, stderr })
      void stopDaemon(stateDir).then(() => {
        removeCachedImages(stateDir)
        fs.rmSync(stateDir, { recursive: true, force: true })
        resolve({ code, signal, stdout, stderr })
      })
    })
  })

/**
 * Fresh state dirs for one test file: `fresh()` makes one; `cleanup()` (for `afterAll`) stops their engines, removes
 * the images their caches kept, and deletes them.
 */
export const stateDirs = (prefix: string) => {
  const dirs: Array<string> = []
  return {
    fresh: (other?: string): string => {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), other ?? prefix))
      dirs.push(d)
      return d
    },
    cleanup: async (): Promise<void> => {
      for (const d of dirs) {
        await stopDaemon(d)
        removeCachedImages(d)
        fs.rmSync(d, { recursive: true, force: true })
      }
    }
  }
}
