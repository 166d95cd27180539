/**
 * Test support: runs the real `dirk` CLI (bin/dirk.js, bundled by the global setup) as a child process.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

export const repoRoot = path.resolve(__dirname, "../..")
export const dirkBin = path.join(repoRoot, "bin/dirk.js")

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs `dirk ...args` with a fresh state dir; `onSpawn` may act on the child (e.g. send SIGINT).
 */
export const dirk = (
  args: ReadonlyArray<string>,
  options: { cwd?: string; input?: string; env?: Record<string, string>; timeoutMs?: number; onStderr?: (text: string, child: ReturnType<typeof spawn>) => void } = {}
): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-cli-state-"))
    const child = spawn(process.execPath, [dirkBin, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, DIRK_STATE_DIR: stateDir, NO_COLOR: "1", ...options.env },
      stdio: ["pipe", "pipe", "pipe"]
    })
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
      fs.rmSync(stateDir, { recursive: true, force: true })
      resolve({ code, signal, stdout, stderr })
    })
  })
