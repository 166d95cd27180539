/**
 * The engine daemon: started on the fly, shared, sessions tied to their client's connection, versions checked, one
 * engine per state dir (real Docker, the real CLI bundle).
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { alive, daemonPid, dirk, stateDirs } from "../support/cli.js"

const dirs = stateDirs("dirk-daemon-test-")
const freshState = dirs.fresh

afterAll(dirs.cleanup)

const echo = (word: string) =>
  `{ container { from(address: "dirk.local/busybox:latest") { withExec(args: ["echo", "${word}"]) { stdout } } } }`

const containersRunning = (marker: string): number =>
  execFileSync("docker", ["ps", "-a", "--filter", "label=dirk.engine", "--format", "{{.Command}}"], { encoding: "utf8" })
    .split("\n").filter((l) => l.includes(marker)).length

const waitFor = async (what: string, ok: () => boolean, ms: number) => {
  const until = Date.now() + ms
  while (!ok()) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms: ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe("the engine daemon", () => {
  it("starts on the fly, serves later calls from the same process, and reports status", async () => {
    const stateDir = freshState()
    const first = await dirk(["query", "-q"], { stateDir, input: echo("one") })
    expect(first.code, first.stderr).toBe(0)
    expect(JSON.parse(first.stdout).data.container.from.withExec.stdout).toBe("one\n")
    const pid = daemonPid(stateDir)
    expect(pid).toBeDefined()
    const second = await dirk(["query", "-q"], { stateDir, input: echo("two") })
    expect(second.code, second.stderr).toBe(0)
    expect(daemonPid(stateDir)).toBe(pid)
    const status = await dirk(["engine", "status", "--json"], { stateDir })
    expect(status.code, status.stderr).toBe(0)
    const st = JSON.parse(status.stdout)
    expect(st.pid).toBe(pid)
    expect(st.stateDir).toBe(stateDir)
    expect(st.sessions).toEqual([])
    const text = await dirk(["engine", "status"], { stateDir })
    expect(text.stdout).toContain(`pid ${pid}`)
    expect(text.stdout).toContain(`unix://${stateDir}/engine.sock`)
  })

  it("two CLIs starting at once end up on one engine", async () => {
    const stateDir = freshState()
    const [a, b] = await Promise.all([
      dirk(["query", "-q"], { stateDir, input: echo("a") }),
      dirk(["query", "-q"], { stateDir, input: echo("b") })
    ])
    expect(a.code, a.stderr).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    const log = fs.readFileSync(path.join(stateDir, "engine.log"), "utf8")
    expect(log.match(/listening on/g)?.length, log).toBe(1)
    const pid = daemonPid(stateDir)!
    const serving = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" })
      .split("\n").filter((l) => l.includes("engine serve") && alive(Number(l.trim().split(" ")[0])))
    // other tests' daemons may run too: ours is among them, and no second one holds this state dir
    expect(serving.some((l) => l.trim().startsWith(String(pid)))).toBe(true)
  })

  it("ends a session whose client is killed: its running container is gone within 5 s, the engine stays", async () => {
    const stateDir = freshState()
    expect((await dirk(["engine", "start"], { stateDir })).code).toBe(0)
    const pid = daemonPid(stateDir)
    let sent = false
    const r = await dirk(["query"], {
      stateDir,
      input: `{ container { from(address: "dirk.local/busybox:latest") { withExec(args: ["sleep", "131"]) { stdout } } } }`,
      onStderr: (text, child) => {
        if (!sent && /▶ exec sleep 131/.test(text)) {
          sent = true
          setTimeout(() => child.kill("SIGKILL"), 1500)
        }
      }
    })
    expect(sent, r.stderr).toBe(true)
    expect(r.signal).toBe("SIGKILL")
    await waitFor("the container of the killed client's exec is removed", () => containersRunning("sleep 131") === 0, 5000)
    expect(daemonPid(stateDir)).toBe(pid)
    const st = JSON.parse((await dirk(["engine", "status", "--json"], { stateDir })).stdout)
    expect(st.sessions).toEqual([])
  })

  it("Ctrl-C ends the call with 130 and the engine removes its container", async () => {
    const stateDir = freshState()
    let sent = false
    const r = await dirk(["query"], {
      stateDir,
      input: `{ container { from(address: "dirk.local/busybox:latest") { withExec(args: ["sleep", "133"]) { stdout } } } }`,
      onStderr: (text, child) => {
        if (!sent && /▶ exec sleep 133/.test(text)) {
          sent = true
          setTimeout(() => child.kill("SIGINT"), 1000)
        }
      }
    })
    expect(r.code).toBe(130)
    await waitFor("the container of the interrupted exec is removed", () => containersRunning("sleep 133") === 0, 5000)
  })

  it("refuses to stop while a session is open, unless --force; stop waits until the engine is gone", async () => {
    const stateDir = freshState()
    let stopped: Awaited<ReturnType<typeof dirk>> | undefined
    let forced: Awaited<ReturnType<typeof dirk>> | undefined
    const r = await dirk(["query"], {
      stateDir,
      input: `{ container { from(address: "dirk.local/busybox:latest") { withExec(args: ["sleep", "137"]) { stdout } } } }`,
      onStderr: (text) => {
        if (stopped === undefined && /▶ exec sleep 137/.test(text)) {
          stopped = { code: -1, signal: null, stdout: "", stderr: "" }
          void dirk(["engine", "stop"], { stateDir }).then(async (s) => {
            stopped = s
            forced = await dirk(["engine", "stop", "--force"], { stateDir })
          })
        }
      }
    })
    expect(r.code).not.toBe(0)
    await waitFor("stop --force returned", () => forced !== undefined, 20_000)
    expect(stopped!.code).toBe(1)
    expect(stopped!.stderr).toMatch(/1 open session/)
    expect(stopped!.stderr).toContain("--force")
    expect(forced!.code, forced!.stderr).toBe(0)
    expect(daemonPid(stateDir)).toBeUndefined()
    await waitFor("the container is removed", () => containersRunning("sleep 137") === 0, 5000)
  })

  it("one engine per state dir: a second one is refused, naming the first", async () => {
    const stateDir = freshState()
    expect((await dirk(["engine", "start"], { stateDir })).code).toBe(0)
    const pid = daemonPid(stateDir)
    const second = await dirk(["engine", "serve", "--listen", `unix://${stateDir}/other.sock`], { stateDir })
    expect(second.code).toBe(1)
    expect(second.stderr).toContain(`another dirk engine (pid ${pid}) uses the state directory ${stateDir}`)
    const embedded = await dirk(["--engine", "embedded", "query", "-q"], { stateDir, input: echo("x") })
    expect(embedded.code).toBe(1)
    expect(embedded.stderr).toContain(`another dirk engine (pid ${pid})`)
  })

  it("refuses a state dir that is not dirk's, and touches nothing in it", async () => {
    const stateDir = freshState()
    fs.writeFileSync(path.join(stateDir, "precious.txt"), "keep me")
    const r = await dirk(["--engine", "embedded", "query", "-q"], { stateDir, input: echo("x") })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`${stateDir} is not a dirk state directory (it holds precious.txt`)
    expect(fs.readdirSync(stateDir)).toEqual(["precious.txt"])
    const d = await dirk(["query", "-q"], { stateDir, input: echo("x") })
    expect(d.code).toBe(1)
    expect(d.stderr).toContain("is not a dirk state directory")
    expect(fs.readFileSync(path.join(stateDir, "precious.txt"), "utf8")).toBe("keep me")
  })

  it("--engine embedded needs no daemon; a bad --engine value is an error naming it", async () => {
    const stateDir = freshState()
    const r = await dirk(["--engine", "embedded", "query", "-q"], { stateDir, input: echo("in-process") })
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).data.container.from.withExec.stdout).toBe("in-process\n")
    expect(fs.existsSync(path.join(stateDir, "engine.sock"))).toBe(false)
    expect(daemonPid(stateDir)).toBeUndefined()
    const bad = await dirk(["--engine", "http://x", "query"], { stateDir, input: echo("x") })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain(`engine address "http://x": expected unix:///path/to/engine.sock, tcp://host:port or embedded`)
    const none = await dirk(["query"], { stateDir, input: echo("x"), env: { DIRK_ENGINE: `unix://${stateDir}/nobody.sock` } })
    expect(none.code).toBe(1)
    expect(none.stderr).toContain(`no engine answers at unix://${stateDir}/nobody.sock`)
  })

  it("an engine of another protocol version: a clear message; never replaced while busy", async () => {
    const stateDir = freshState()
    const sock = path.join(stateDir, "old.sock")
    const server = http.createServer((req, res) => {
      const body = req.url === "/version"
        ? { version: "9.9.9", protocol: 999, pid: 4242, stateDir }
        : req.url === "/status"
        ? { version: "9.9.9", protocol: 999, pid: 4242, stateDir, startedAt: "", sessions: [{ id: "s", workdir: "/w", openedAt: "" }], cache: {} }
        : { error: "no" }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body))
    })
    await new Promise<void>((r) => server.listen(sock, r))
    try {
      const r = await dirk(["query"], { stateDir, input: echo("x"), env: { DIRK_ENGINE: `unix://${sock}` } })
      expect(r.code).toBe(1)
      expect(r.stderr).toContain(`the engine at unix://${sock} (pid 4242) is dirk 9.9.9 (protocol 999), this CLI is dirk 0.1.0 (protocol 1)`)
    } finally {
      server.close()
    }
  })

  it("serves on tcp:// (loopback only): commands reach it with DIRK_ENGINE; other hosts are refused", async () => {
    const stateDir = freshState()
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (probe.address() as net.AddressInfo).port
        probe.close(() => resolve(p))
      })
    })
    const address = `tcp://127.0.0.1:${port}`
    const serving = dirk(["engine", "serve", "--listen", address], { stateDir })
    const env = { DIRK_ENGINE: address }
    await waitFor("the tcp engine answers", () => daemonPid(stateDir) !== undefined, 10_000)
    for (let i = 0; i < 50; i++) {
      const s = await dirk(["engine", "status"], { stateDir, env })
      if (s.code === 0) break
      await new Promise((r) => setTimeout(r, 100))
    }
    const q = await dirk(["query", "-q"], { stateDir, env, input: echo("over-tcp") })
    expect(q.code, q.stderr).toBe(0)
    expect(JSON.parse(q.stdout).data.container.from.withExec.stdout).toBe("over-tcp\n")
    expect((await dirk(["engine", "stop"], { stateDir, env })).code).toBe(0)
    expect((await serving).code).toBe(0)
    const open = await dirk(["engine", "serve", "--listen", "tcp://0.0.0.0:1"], { stateDir })
    expect(open.code).toBe(1)
    expect(open.stderr).toContain("listens on this host only")
  })
})
