/**
 * GC of the cache: a storage budget, least recently used first, in the background too, never what a live session
 * holds; `dirk engine prune` with and without a running engine (real Docker, the real CLI and daemon).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { dirk, stateDirs } from "../support/cli.js"

const dirs = stateDirs("dirk-gc-test-")
const freshState = dirs.fresh

afterAll(dirs.cleanup)

/** An exec writing `kb` KiB of random bytes into the rootfs (so its entry holds about that much). */
const writer = (name: string, kb: number) =>
  `{ container { from(address: "dirk.local/busybox:latest") { withExec(args: ["sh", "-c", "head -c ${kb * 1024} /dev/urandom > /${name}; echo ${name}"]) { stdout } } } }`

const query = async (stateDir: string, doc: string, env: Record<string, string> = {}) => {
  const r = await dirk(["query"], { stateDir, input: doc, env })
  expect(r.code, r.stderr).toBe(0)
  return r.stderr
}

const cached = (stderr: string) => /● exec sh -c .* cached/.test(stderr)

const status = async (stateDir: string) => {
  const r = await dirk(["engine", "status", "--json"], { stateDir })
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as { cache: { entries: Record<string, number>; bytes: number; keepStorage: number } }
}

describe("GC", () => {
  it("status counts the cache; prune keeps the budget, least recently used first", async () => {
    const stateDir = freshState()
    await query(stateDir, writer("one", 1024))
    await query(stateDir, writer("two", 2048))
    await query(stateDir, writer("three", 1024))
    expect(cached(await query(stateDir, writer("one", 1024)))).toBe(true) // "one" is now the most recently used
    const before = await status(stateDir)
    expect(before.cache.entries.exec).toBe(3)
    expect(before.cache.bytes).toBeGreaterThanOrEqual(4 * 1024 * 1024)
    expect(before.cache.keepStorage).toBeGreaterThanOrEqual(1024 ** 3)
    const text = await dirk(["engine", "status"], { stateDir })
    expect(text.stdout).toMatch(/cache: +[\d.]+ MiB of [\d.]+ GiB; 3 exec/)

    const pruned = await dirk(["engine", "prune", "--keep-storage", "2600KiB"], { stateDir })
    expect(pruned.code, pruned.stderr).toBe(0)
    expect(pruned.stdout).toMatch(/^removed 1 cache item\(s\), freed 2\.\d MiB; the cache holds 2\.\d MiB\n$/)
    expect(cached(await query(stateDir, writer("one", 1024)))).toBe(true)
    expect(cached(await query(stateDir, writer("three", 1024)))).toBe(true)
    expect(cached(await query(stateDir, writer("two", 2048)))).toBe(false)
  })

  it("never removes what a live session may hold", async () => {
    const stateDir = freshState()
    await query(stateDir, writer("held", 512))
    await query(stateDir, writer("free", 512))
    // a session that uses "held", then stays open while prune --all runs
    let pruneOut: Awaited<ReturnType<typeof dirk>> | undefined
    const doc = `{ a: container { from(address: "dirk.local/busybox:latest") { withExec(args: ["sh", "-c", "head -c ${512 * 1024} /dev/urandom > /held; echo held"]) { stdout } } }
      b: container { from(address: "dirk.local/busybox:latest") { withExec(args: ["sleep", "4"]) { stdout } } } }`
    const r = await dirk(["query"], {
      stateDir,
      input: doc,
      onStderr: (text) => {
        if (pruneOut === undefined && /▶ exec sleep 4/.test(text)) {
          pruneOut = { code: -1, signal: null, stdout: "", stderr: "" }
          void dirk(["engine", "prune", "--all"], { stateDir }).then((p) => (pruneOut = p))
        }
      }
    })
    expect(r.code, r.stderr).toBe(0)
    await new Promise((res) => setTimeout(res, 500))
    expect(pruneOut?.code, pruneOut?.stderr).toBe(0)
    expect(cached(await query(stateDir, writer("held", 512)))).toBe(true)
    expect(cached(await query(stateDir, writer("free", 512)))).toBe(false)
  })

  it("runs in the background with the engine's budget (DIRK_KEEP_STORAGE, DIRK_GC_INTERVAL)", async () => {
    const stateDir = freshState()
    const env = { DIRK_KEEP_STORAGE: "1", DIRK_GC_INTERVAL: "1" }
    await query(stateDir, writer("bg", 256), env)
    const until = Date.now() + 10_000
    let left = -1
    while (Date.now() < until) {
      left = (await status(stateDir)).cache.entries.exec ?? 0
      if (left === 0) break
      await new Promise((res) => setTimeout(res, 500))
    }
    expect(left).toBe(0)
    expect(fs.readdirSync(path.join(stateDir, "snapshots"))).toEqual([])
  })

  it("prune works without a running engine, and --all empties the cache", async () => {
    const stateDir = freshState()
    await query(stateDir, writer("solo", 256))
    expect((await dirk(["engine", "stop"], { stateDir })).code).toBe(0)
    const r = await dirk(["engine", "prune", "--all"], { stateDir })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^removed 1 cache item\(s\), freed [\d.]+ KiB; the cache holds 0 B\n$/)
    expect(fs.readdirSync(path.join(stateDir, "cache", "exec"))).toEqual([])
    const bad = await dirk(["engine", "prune", "--keep-storage", "lots"], { stateDir })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain(`--keep-storage: "lots" is not a size`)
  })
})
