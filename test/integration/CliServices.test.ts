/**
 * Services through the real CLI: `dirk call … up --ports` and `dirk core container … as-service up` forward a host
 * port until Ctrl-C, and leave nothing running; a port already taken is an error naming it and what to do; a module
 * function returns a service and binds one, under the same hostname from the module and the CLI.
 */
import { execFileSync } from "node:child_process"
import * as http from "node:http"
import * as net from "node:net"
import { afterAll, describe, expect, it } from "vitest"
import { dirk, stateDirs } from "../support/cli.js"

const dirs = stateDirs("dirk-cli-services-")
const stateDir = dirs.fresh()
afterAll(() => dirs.cleanup())

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })

const get = (port: number, path = "/") =>
  new Promise<string>((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path }, (res) => {
      let body = ""
      res.on("data", (c: Buffer) => (body += c.toString("utf8")))
      res.on("end", () => resolve(body))
    }).on("error", reject)
  })

/** Containers and networks of this file's engine that services left. */
const leftoversNow = () => ({
  containers: execFileSync("docker", ["ps", "-a", "-q", "--filter", `label=dirk.state=${stateDir}`, "--filter", "label=dirk.service"], { encoding: "utf8" }).trim(),
  networks: execFileSync("docker", ["network", "ls", "-q", "--filter", `label=dirk.state=${stateDir}`], { encoding: "utf8" }).trim()
})

/**
 * What services left once the engine is done ending the session: the CLI exits at Ctrl-C at once, and the engine
 * ends its session when the connection closes (stops the containers, removes the network), within seconds.
 */
const leftovers = async () => {
  const deadline = Date.now() + 20_000
  let left = leftoversNow()
  while ((left.containers !== "" || left.networks !== "") && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200))
    left = leftoversNow()
  }
  return left
}

/** Runs `dirk …args` (an `up`), fetches from the host port once it forwards, then sends SIGINT. */
const upAndFetch = async (args: ReadonlyArray<string>, port: number) => {
  let fetched: Promise<string> | undefined
  const r = await dirk(args, {
    stateDir,
    timeoutMs: 240_000,
    onStderr: (text, child) => {
      if (fetched === undefined && text.includes(`up: 127.0.0.1:${port} → `)) {
        fetched = get(port).finally(() => child.kill("SIGINT"))
      }
    }
  })
  expect(fetched, r.stderr).toBeDefined()
  return { r, body: await fetched! }
}

describe("up", () => {
  it("dirk call … up --ports forwards a host port to a module's service until Ctrl-C, then nothing is left", async () => {
    const port = await freePort()
    const { body, r } = await upAndFetch(
      ["call", "-m", "test/fixtures/modules/web", "server", "--text", "served by up", "up", "--ports", `${port}:80`],
      port
    )
    expect(body).toBe("served by up")
    expect(r.code).toBe(130)
    expect(await leftovers()).toEqual({ containers: "", networks: "" })
    await expect(get(port)).rejects.toThrow()
  })

  it("dirk core container from … as-service up forwards too", async () => {
    const port = await freePort()
    const { body, r } = await upAndFetch(
      [
        "core", "container", "from", "--address", "dirk.local/busybox:latest",
        "with-new-file", "--path", "/srv/index.html", "--contents", "core up",
        "with-exposed-port", "--port", "80",
        "as-service", "--args", "httpd,-f,-p,80,-h,/srv",
        "up", "--ports", `${port}:80`
      ],
      port
    )
    expect(body).toBe("core up")
    expect(r.code).toBe(130)
    expect(await leftovers()).toEqual({ containers: "", networks: "" })
  })

  it("a host port already taken: the port and what to do", async () => {
    const taken = net.createServer()
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve))
    const port = (taken.address() as net.AddressInfo).port
    try {
      const r = await dirk(["call", "-m", "test/fixtures/modules/web", "server", "--text", "x", "up", "--ports", `${port}:80`], {
        stateDir,
        timeoutMs: 240_000
      })
      expect(r.code).not.toBe(0)
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`)
      expect(r.stderr).toContain(`--ports <free port>:80`)
      expect(r.stderr).toContain("--random")
    } finally {
      taken.close()
    }
    expect(await leftovers()).toEqual({ containers: "", networks: "" })
  })

  it("a malformed --ports value is an error naming it", async () => {
    const r = await dirk(["call", "-m", "test/fixtures/modules/web", "server", "--text", "x", "up", "--ports", "80:http"], { stateDir })
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain(`invalid port forward "80:http"`)
  })
})

describe("services in modules", () => {
  it("a Service argument given as tcp://host:port reaches a server of this machine from the module's exec", async () => {
    const text = `host server ${Date.now()}`
    const server = http.createServer((_req, res) => res.writeHead(200, { "content-length": Buffer.byteLength(text) }).end(text))
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const port = (server.address() as net.AddressInfo).port
    try {
      const r = await dirk(["call", "-m", "test/fixtures/modules/web", "fetch-from", "--svc", `tcp://localhost:${port}`, "--port", String(port)], { stateDir })
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout.trim()).toBe(text)
      const bad = await dirk(["call", "-m", "test/fixtures/modules/web", "fetch-from", "--svc", "localhost:80"], { stateDir })
      expect(bad.code).not.toBe(0)
      expect(bad.stderr).toContain(`invalid service "localhost:80"`)
    } finally {
      server.close()
    }
  })

  it("a module function binds the service it makes: the same hostname from the module's exec and from the CLI", async () => {
    const text = `module ${Date.now()}`
    const fetched = await dirk(["call", "-m", "test/fixtures/modules/web", "fetch", "--text", text], { stateDir })
    expect(fetched.code, fetched.stderr).toBe(0)
    const [a, b, host] = fetched.stdout.trim().split("|")
    expect([a, b]).toEqual([text, text])
    const h1 = await dirk(["call", "-m", "test/fixtures/modules/web", "hostname", "--text", text], { stateDir })
    const h2 = await dirk(["call", "-m", "test/fixtures/modules/web", "server", "--text", text, "hostname"], { stateDir })
    expect(h1.stdout.trim()).toBe(host)
    expect(h2.stdout.trim()).toBe(host)
    expect(host).toMatch(/^[a-z2-7]{13}$/)
  })
})
