/**
 * A full disk: GC first, then a clear error. The state dir lives on a small tmpfs the test mounts (the tests run as
 * root); host trees are copied into its snapshot store until it is full.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dirk, stopDaemon } from "../support/cli.js"

const MiB = 1024 * 1024
let mount: string
let stateDir: string
let hostRoot: string

beforeAll(() => {
  mount = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-small-disk-"))
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=40m", "tmpfs", mount])
  stateDir = path.join(mount, "state")
  hostRoot = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-disk-host-"))
})

afterAll(async () => {
  await stopDaemon(stateDir)
  // what the engine's containers bound from the state dir may take Docker a moment to let go of on a busy machine
  for (let i = 0; ; i++) {
    try {
      execFileSync("umount", [mount], { stdio: "pipe" })
      break
    } catch (e) {
      if (i >= 60) throw e
      await new Promise((r) => setTimeout(r, 500))
    }
  }
  fs.rmSync(mount, { recursive: true, force: true })
  fs.rmSync(hostRoot, { recursive: true, force: true })
})

/** A host tree of `mib` MiB of random bytes. */
const tree = (name: string, mib: number): string => {
  const dir = path.join(hostRoot, name)
  fs.mkdirSync(dir)
  for (let i = 0; i < mib; i++) fs.writeFileSync(path.join(dir, `part-${i}.bin`), randomBytes(MiB))
  return dir
}

/** Reads a host tree as a directory (its entries need it copied into the snapshot store). */
const read = (dir: string) => dirk(["query"], { stateDir, input: `{ host { directory(path: "${dir}") { entries } } }` })

describe("a full disk", () => {
  it("runs GC and tries again; when even that is not enough, the error says so", async () => {
    const a = tree("a", 14)
    const b = tree("b", 14)
    expect((await read(a)).code).toBe(0)
    expect((await read(b)).code).toBe(0)
    expect(fs.readdirSync(path.join(stateDir, "snapshots")).length).toBe(2)

    // 14 MiB more do not fit next to 28: the least recently used trees go, and the copy is made
    const c = tree("c", 14)
    const r = await read(c)
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).data.host.directory.entries).toHaveLength(14)
    expect(fs.readFileSync(path.join(stateDir, "engine.log"), "utf8")).toContain("no space left on device; collecting garbage, then trying again")
    // the least recently used tree went (half of the cache), the new one came
    expect(fs.readdirSync(path.join(stateDir, "snapshots")).length).toBe(2)

    // more than the disk holds: a clear error, and nothing half-written left behind
    const huge = tree("huge", 45)
    const h = await read(huge)
    expect(h.code).toBe(1)
    const message = JSON.parse(h.stdout).errors[0].message as string
    expect(message).toContain("no space left on device, even after GC freed")
    expect(message).toContain("free disk space or lower the engine's --keep-storage")
    expect(fs.readdirSync(path.join(stateDir, "tmp"))).toEqual([])
  })
})
