/**
 * The persistent cache: results outlive the session and the engine, hits are verified, failures are not kept, and a
 * killed engine leaves no half-written entry (real Docker, the real CLI and daemon).
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { daemonPid, dirk, stateDirs } from "../support/cli.js"

const dirs = stateDirs("dirk-cache-test-")
const freshState = dirs.fresh

afterAll(dirs.cleanup)

const docker = (...args: Array<string>) => execFileSync("docker", args, { encoding: "utf8" }).trim()

/** An exec whose output differs on every run (so a repeated value proves a cache hit). */
const stamped = (tag: string) =>
  `{ container { from(address: "dirk.local/busybox:latest") { withExec(args: ["sh", "-c", "echo ${tag} $(cat /proc/sys/kernel/random/uuid)"]) { stdout } } } }`

const run = async (stateDir: string, doc: string, args: ReadonlyArray<string> = []) => {
  const r = await dirk(["query", ...args], { stateDir, input: doc })
  expect(r.code, r.stderr).toBe(0)
  return { out: JSON.parse(r.stdout).data.container.from.withExec.stdout as string, stderr: r.stderr }
}

const entries = (stateDir: string, kind: string): Array<string> => {
  try {
    return fs.readdirSync(path.join(stateDir, "cache", kind))
  } catch {
    return []
  }
}

describe("the persistent cache", () => {
  it("an exec's result survives the session and a restart of the engine (shown as cached)", async () => {
    const stateDir = freshState()
    const tag = `restart-${process.pid}`
    const first = await run(stateDir, stamped(tag))
    expect(first.out).toMatch(new RegExp(`^${tag} [0-9a-f-]{36}\\n$`))
    expect(first.stderr).toMatch(/✔ exec sh -c/)
    const again = await run(stateDir, stamped(tag))
    expect(again.out).toBe(first.out)
    expect((await dirk(["engine", "stop"], { stateDir })).code).toBe(0)
    expect(daemonPid(stateDir)).toBeUndefined()
    const restarted = await run(stateDir, stamped(tag))
    expect(restarted.out).toBe(first.out)
    expect(restarted.stderr).toMatch(/● exec sh -c .* cached/)
    expect(entries(stateDir, "exec").length).toBeGreaterThan(0)
  })

  it("a hit is verified: when its image is gone the exec runs again", async () => {
    const stateDir = freshState()
    const tag = `verify-${process.pid}`
    const first = await run(stateDir, stamped(tag))
    expect((await dirk(["engine", "stop"], { stateDir })).code).toBe(0)
    const [file] = entries(stateDir, "exec")
    const entry = JSON.parse(fs.readFileSync(path.join(stateDir, "cache", "exec", file!), "utf8")) as { images: Array<string> }
    for (const id of entry.images) docker("rmi", "-f", id)
    const again = await run(stateDir, stamped(tag))
    expect(again.out).not.toBe(first.out)
    expect(again.out).toMatch(new RegExp(`^${tag} `))
  })

  it("failures are never cached", async () => {
    const stateDir = freshState()
    const doc = `{ container { from(address: "dirk.local/busybox:latest") { withExec(args: ["sh", "-c", "cat /proc/sys/kernel/random/uuid >&2; exit 3"]) { stdout } } } }`
    const errs: Array<string> = []
    for (let i = 0; i < 2; i++) {
      const r = await dirk(["query", "-q"], { stateDir, input: doc })
      expect(r.code).toBe(1)
      errs.push(JSON.parse(r.stdout).errors[0].extensions.stderr)
    }
    expect(errs[0]).not.toBe(errs[1])
    expect(entries(stateDir, "exec")).toEqual([])
  })

  it("kill -9 of the engine during an exec: no entry for it, and the next engine removes its container", async () => {
    const stateDir = freshState()
    expect((await dirk(["engine", "start"], { stateDir })).code).toBe(0)
    const pid = daemonPid(stateDir)!
    let killed = false
    const r = await dirk(["query"], {
      stateDir,
      input: `{ container { from(address: "dirk.local/busybox:latest") { withExec(args: ["sleep", "139"]) { stdout } } } }`,
      onStderr: (text) => {
        if (!killed && /▶ exec sleep 139/.test(text)) {
          killed = true
          setTimeout(() => process.kill(pid, "SIGKILL"), 1000)
        }
      }
    })
    expect(killed, r.stderr).toBe(true)
    expect(r.code).not.toBe(0)
    expect(docker("ps", "-a", "--filter", `label=dirk.pid=${pid}`, "--format", "{{.Command}}")).toContain("sleep 139")
    const cacheDir = path.join(stateDir, "cache")
    const written = fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir, { recursive: true }).map(String) : []
    // no result entry (the step's input record for --explain-cache, `site/`, is written when it starts)
    expect(written.filter((f) => (f.endsWith(".json") && !f.startsWith("site/")) || f.endsWith(".tmp"))).toEqual([])
    // the next engine takes over the dead one's lock and removes what it left
    const next = await run(stateDir, stamped(`after-kill-${process.pid}`))
    expect(next.out).toContain("after-kill")
    expect(docker("ps", "-a", "--filter", `label=dirk.pid=${pid}`, "--format", "{{.Command}}")).toBe("")
  })

  it("module registration is kept across engines", async () => {
    const stateDir = freshState()
    const first = await dirk(["functions", "-m", "test/fixtures/modules/greeter"], { stateDir })
    expect(first.code, first.stderr).toBe(0)
    expect(first.stderr).toContain("register module greeter")
    expect(entries(stateDir, "module").length).toBe(1)
    expect((await dirk(["engine", "stop"], { stateDir })).code).toBe(0)
    const second = await dirk(["functions", "-m", "test/fixtures/modules/greeter"], { stateDir })
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toBe(first.stdout)
    expect(second.stderr).not.toContain("register module greeter")
  })

  it("withExec(noCache: true) always runs, and what builds on it runs again; others stay cached", async () => {
    const stateDir = freshState()
    const doc = (noCache: boolean) => `{ container { from(address: "dirk.local/busybox:latest") {
      withExec(args: ["sh", "-c", "cat /proc/sys/kernel/random/uuid > /x"], noCache: ${noCache}) { withExec(args: ["cat", "/x"]) { stdout } } } } }`
    const out = async (noCache: boolean) => {
      const r = await dirk(["query", "-q"], { stateDir, input: doc(noCache) })
      expect(r.code, r.stderr).toBe(0)
      return JSON.parse(r.stdout).data.container.from.withExec.withExec.stdout as string
    }
    const [a, b] = [await out(true), await out(true)]
    expect(a).not.toBe(b)
    const [c, d] = [await out(false), await out(false)]
    expect(c).toBe(d)
  })

  it("--explain-cache says why each op that ran missed: first run, then which input changed", async () => {
    const stateDir = freshState()
    const src = freshState("dirk-explain-src-")
    fs.writeFileSync(path.join(src, "a.txt"), "one")
    const mod = path.join(src, "mod")
    fs.mkdirSync(path.join(mod, "src"), { recursive: true })
    const explainRun = async () => {
      const idq = await dirk(["query", "-q"], { stateDir, input: `{ host { directory(path: "${src}", exclude: ["mod"]) { id } } }` })
      const id = JSON.parse(idq.stdout).data.host.directory.id as string
      const r = await dirk(["query", "--explain-cache"], {
        stateDir,
        input: `{ container { from(address: "dirk.local/busybox:latest") { withMountedDirectory(path: "/src", source: "${id}") {
          withExec(args: ["cat", "/src/a.txt"]) { withEnvVariable(name: "STAGE", value: "two") { withExec(args: ["echo", "done"]) { stdout } } } } } } }`
      })
      expect(r.code, r.stderr).toBe(0)
      return r.stderr
    }
    const first = await explainRun()
    expect(first).toMatch(/✔ exec cat \/src\/a\.txt .*\(ran: first run of this step\)/)
    const second = await explainRun()
    expect(second).not.toMatch(/✔ exec/)
    fs.writeFileSync(path.join(src, "a.txt"), "two")
    const third = await explainRun()
    expect(third).toMatch(/✔ exec cat \/src\/a\.txt .*\(ran: mount \/src changed \([0-9a-f]{12} → [0-9a-f]{12}\)\)/)
    expect(third).toMatch(/✔ exec echo done .*\(ran: its container changed/)
    // without the flag, no explanations
    const plain = await dirk(["query"], { stateDir, input: `{ container { from(address: "dirk.local/busybox:latest") { withExec(args: ["echo", "${process.pid}-plain"]) { stdout } } } }` })
    expect(plain.stderr).not.toContain("(ran:")
  })
})
