/**
 * What a dead engine left in Docker (kill -9, a crash) is removed by the next engine that starts.
 */
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { daemonPid, dirk, stateDirs } from "../support/cli.js"

const docker = (...args: Array<string>) => execFileSync("docker", args, { encoding: "utf8" }).trim()

const dirs = stateDirs("dirk-orphans-")
afterAll(() => dirs.cleanup())

describe("orphans", () => {
  it("removes the service containers and the session network of an engine killed with -9", async () => {
    const stateDir = dirs.fresh()
    let killed: number | undefined
    await dirk([
      "core", "container", "from", "--address", "dirk.local/busybox:latest",
      "with-exposed-port", "--port", "80", "as-service", "--args", "httpd,-f,-p,80", "up", "--ports", "80:80", "--random"
    ], {
      stateDir,
      timeoutMs: 120_000,
      onStderr: (text, child) => {
        if (killed === undefined && text.includes("up: 127.0.0.1:")) {
          killed = daemonPid(stateDir)!
          process.kill(killed, "SIGKILL")
          child.kill("SIGKILL")
        }
      }
    })
    expect(killed).toBeDefined()
    const left = () => ({
      containers: docker("ps", "-a", "-q", "--filter", `label=dirk.state=${stateDir}`, "--filter", "label=dirk.service"),
      networks: docker("network", "ls", "-q", "--filter", `label=dirk.state=${stateDir}`)
    })
    // the engine died with its service running: both are still there
    const before = left()
    expect(before.containers).not.toBe("")
    expect(before.networks).not.toBe("")
    const r = await dirk(["query"], { input: "{ version }", stateDir })
    expect(r.code, r.stderr).toBe(0)
    expect(left()).toEqual({ containers: "", networks: "" })
  })

  it("removes containers of an engine whose process is gone when the next engine starts", async () => {
    // a process that has exited: its pid is dead
    const gone = spawn(process.execPath, ["-e", "0"])
    const pid = await new Promise<number>((resolve) => gone.on("exit", () => resolve(gone.pid!)))
    const host = execFileSync("hostname", { encoding: "utf8" }).trim()
    const id = docker(
      "create",
      "--label", "dirk.engine=1",
      "--label", "dirk.owner=dirk-orphan-test",
      "--label", `dirk.pid=${pid}`,
      "--label", `dirk.host=${host}`,
      "dirk.local/busybox:latest", "sleep", "300"
    )
    docker("start", id)
    const r = await dirk(["query"], { input: "{ version }" })
    expect(r.code, r.stderr).toBe(0)
    expect(docker("ps", "-a", "-q", "--no-trunc", "--filter", "label=dirk.owner=dirk-orphan-test")).toBe("")
  })

  it("leaves the objects of a live engine alone", async () => {
    const id = docker(
      "create",
      "--label", "dirk.engine=1",
      "--label", "dirk.owner=dirk-live-test",
      "--label", `dirk.pid=${process.pid}`,
      "--label", `dirk.host=${execFileSync("hostname", { encoding: "utf8" }).trim()}`,
      "dirk.local/busybox:latest", "true"
    )
    try {
      const r = await dirk(["query"], { input: "{ version }" })
      expect(r.code, r.stderr).toBe(0)
      expect(docker("ps", "-a", "-q", "--no-trunc", "--filter", "label=dirk.owner=dirk-live-test")).toBe(id)
    } finally {
      docker("rm", "-f", id)
    }
  })

  it("keeps the cached images of another state dir that still exists; removes those of a state dir that is gone", async () => {
    const gone = spawn(process.execPath, ["-e", "0"])
    const pid = await new Promise<number>((resolve) => gone.on("exit", () => resolve(gone.pid!)))
    const host = execFileSync("hostname", { encoding: "utf8" }).trim()
    const live = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-other-state-"))
    fs.writeFileSync(path.join(live, "dirk-state.json"), JSON.stringify({ format: 1 }))
    const missing = path.join(os.tmpdir(), `dirk-deleted-state-${process.pid}`)
    const build = (state: string, tag: string) => {
      const ctx = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-orphan-img-"))
      fs.writeFileSync(path.join(ctx, "Dockerfile"), `FROM dirk.local/busybox:latest\nRUN echo ${tag} > /tag\n`)
      const labels = ["dirk.engine=1", "dirk.owner=dirk-orphan-images", `dirk.pid=${pid}`, `dirk.host=${host}`, `dirk.state=${state}`]
      const id = execFileSync("docker", ["build", "-q", ...labels.flatMap((l) => ["--label", l]), ctx], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim()
      fs.rmSync(ctx, { recursive: true, force: true })
      return id
    }
    const kept = build(live, `live-${process.pid}`)
    const dropped = build(missing, `gone-${process.pid}`)
    try {
      const r = await dirk(["query"], { input: "{ version }" })
      expect(r.code, r.stderr).toBe(0)
      const ids = docker("images", "-q", "--no-trunc", "--filter", "label=dirk.owner=dirk-orphan-images").split("\n")
      expect(ids).toContain(kept)
      expect(ids).not.toContain(dropped)
    } finally {
      execFileSync("docker", ["rmi", "-f", kept, dropped], { stdio: "ignore" })
      fs.rmSync(live, { recursive: true, force: true })
    }
  })
})
