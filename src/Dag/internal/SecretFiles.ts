/**
 * Where mounted secrets' files are written for an exec: a private directory per exec on a tmpfs when the host has
 * one (`/dev/shm`), so that no value reaches a disk; named after the engine's pid, so that what a dead engine left
 * (a crash during an exec) is removed by the next one.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const prefix = "dirk-secrets-"

/**
 * The directory the per-exec directories go in.
 *
 * @category getters
 */
export const root = (): string => {
  try {
    fs.accessSync("/dev/shm", fs.constants.W_OK)
    return "/dev/shm"
  } catch {
    return os.tmpdir()
  }
}

/**
 * The prefix of this process's per-exec directories (for `mkdtemp`).
 *
 * @category getters
 */
export const dirPrefix = (dir: string = root()): string => path.join(dir, `${prefix}${process.pid}-`)

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * Removes the per-exec directories of processes that are gone; returns their names.
 *
 * @category combinators
 */
export const sweep = (dir: string = root()): ReadonlyArray<string> => {
  const removed: Array<string> = []
  let names: Array<string>
  try {
    names = fs.readdirSync(dir)
  } catch {
    return removed
  }
  for (const name of names) {
    const m = new RegExp(`^${prefix}(\\d+)-`).exec(name)
    if (m === null || alive(Number(m[1]))) continue
    fs.rmSync(path.join(dir, name), { recursive: true, force: true })
    removed.push(name)
  }
  return removed
}
