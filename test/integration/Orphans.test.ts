/**
 * What a dead engine left in Docker (kill -9, a crash) is removed by the next engine that starts.
 */
import { execFileSync, spawn } from "node:child_process"
import { describe, expect, it } from "vitest"
import { dirk } from "../support/cli.js"

const docker = (...args: Array<string>) => execFileSync("docker", args, { encoding: "utf8" }).trim()

describe("orphans", () => {
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
})
