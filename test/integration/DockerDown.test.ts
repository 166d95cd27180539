/**
 * Docker unreachable, at the start or in the middle of a run: an error that says so, the session fails cleanly, and
 * no cache entry is written (the engine talks to the real Docker through a proxy socket the test can cut).
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { dirk, stateDirs } from "../support/cli.js"

const dirs = stateDirs("dirk-dockerdown-")
const freshDir = dirs.fresh

afterAll(dirs.cleanup)

/** A unix socket that forwards to Docker's until `cut()`, which closes it and every connection through it. */
const dockerProxy = async (socketPath: string) => {
  const conns = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect("/var/run/docker.sock")
    conns.add(client)
    conns.add(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    const done = () => {
      client.destroy()
      upstream.destroy()
      conns.delete(client)
      conns.delete(upstream)
    }
    client.on("error", done)
    upstream.on("error", done)
    client.on("close", done)
    upstream.on("close", done)
  })
  await new Promise<void>((r) => server.listen(socketPath, r))
  return {
    cut: () =>
      new Promise<void>((r) => {
        server.close(() => r())
        for (const c of conns) c.destroy()
      })
  }
}

describe("Docker unreachable", () => {
  it("at the start: the error says Docker cannot be reached, and where", async () => {
    const stateDir = freshDir("dirk-nodocker-state-")
    const host = `unix://${stateDir}/no-docker.sock`
    const r = await dirk(["--engine", "embedded", "query"], {
      stateDir,
      input: `{ container { from(address: "dirk.local/busybox:latest") { withExec(args: ["true"]) { stdout } } } }`,
      env: { DOCKER_HOST: host }
    })
    expect(r.code).toBe(1)
    expect(r.stdout + r.stderr).toMatch(/Docker/i)
    expect(r.stdout + r.stderr).toContain(host.replace("unix://", ""))
  })

  it("in the middle of an exec: the call fails saying so, the engine goes on, no cache entry is written", async () => {
    const stateDir = freshDir("dirk-dockerdown-state-")
    const sock = path.join(freshDir("dirk-docker-proxy-"), "docker.sock")
    const proxy = await dockerProxy(sock)
    let cut = false
    const r = await dirk(["query"], {
      stateDir,
      env: { DOCKER_HOST: `unix://${sock}` },
      input: `{ container { from(address: "dirk.local/busybox:latest") { withExec(args: ["sleep", "149"]) { stdout } } } }`,
      onStderr: (text) => {
        if (!cut && /▶ exec sleep 149/.test(text)) {
          cut = true
          setTimeout(() => void proxy.cut(), 1000)
        }
      }
    })
    expect(cut, r.stderr).toBe(true)
    expect(r.code).toBe(1)
    const body = JSON.parse(r.stdout) as { errors: Array<{ message: string }> }
    expect(body.errors[0]!.message).toContain(`cannot reach the Docker daemon at unix://${sock}`)
    const written = fs.existsSync(path.join(stateDir, "cache", "exec")) ? fs.readdirSync(path.join(stateDir, "cache", "exec")) : []
    expect(written).toEqual([])
    // the engine itself is still there and answers
    const status = await dirk(["engine", "status", "--json"], { stateDir })
    expect(status.code, status.stderr).toBe(0)
    expect(JSON.parse(status.stdout).sessions).toEqual([])
    // the container the engine could not remove (Docker was unreachable for it): the next engine would; here, now
    const left = execFileSync("docker", ["ps", "-aq", "--filter", "label=dirk.engine", "--filter", `label=dirk.state=${stateDir}`], { encoding: "utf8" }).trim()
    if (left !== "") execFileSync("docker", ["rm", "-f", ...left.split("\n")], { stdio: "ignore" })
  })
})
