/**
 * Test support for the compatibility suite (test/integration/Compat*.test.ts): runs one script of test/compat with
 * Dagger's own npm client through `dirk run` and returns the JSON document it printed (one per script, a key per
 * step; a failed step holds `{ error }`, plus `execError` for Dagger's ExecError).
 */
import { execFileSync } from "node:child_process"
import * as path from "node:path"
import { dirk, repoRoot } from "./cli.js"

export type Steps = Record<string, any>

/** `dirk run -- node test/compat/<script> ...args`; fails with dirk's stderr when it exits non-zero or prints no JSON. */
export const runCompat = async (
  script: string,
  args: ReadonlyArray<string> = [],
  env: Record<string, string> = {}
): Promise<Steps> => {
  const r = await dirk(["run", "--", process.execPath, path.join(repoRoot, "test/compat", script), ...args], { env })
  if (r.code !== 0) throw new Error(`dirk run ${script} exited with ${r.code ?? r.signal}; stderr:\n${r.stderr.slice(-4000)}`)
  try {
    return JSON.parse(r.stdout) as Steps
  } catch {
    throw new Error(`${script} printed no JSON document; stdout:\n${r.stdout.slice(-2000)}\nstderr:\n${r.stderr.slice(-2000)}`)
  }
}

/** Node's `process.arch` as Go (and so Dagger) names it. */
const goArch: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x", ia32: "386" }

/** The engine's platform as Dagger names it (`linux/amd64`, `linux/arm64`, …). */
export const nativePlatform = (): string => `linux/${goArch[process.arch] ?? process.arch}`

/** Runs docker with `args`, returns its stdout. */
export const docker = (...args: Array<string>): string => execFileSync("docker", args, { encoding: "utf8" })
