/**
 * Services (issue 6, points 5–8) through an in-process session over the real Docker daemon: a busybox httpd bound into
 * a client exec, health checks, one container per service digest, stable hostnames, services that bind services,
 * start/stop, host.service (a server of the test on the host) and host.tunnel, cleanup when the session ends, and
 * the errors for bad input.
 */
import Dockerode from "dockerode"
import { randomBytes } from "node:crypto"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SessionInfo } from "../../src/Engine/Engine.js"
import { query, startEngine } from "../support/session.js"

const docker = new Dockerode()
let engine: Awaited<ReturnType<typeof startEngine>>
let session: SessionInfo

beforeAll(async () => {
  process.env.DIRK_SERVICE_GRACE = "1"
  process.env.DIRK_SERVICE_TIMEOUT = "8"
  engine = await startEngine()
  session = await engine.openSession()
})
afterAll(async () => {
  await engine?.close()
})

/** A nonce, so that each test's execs run (instead of coming from another run's cache). */
const nonce = () => randomBytes(6).toString("hex")

const ok = async (q: string, s: SessionInfo = session) => {
  const r = await query(s, q)
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined()
  return r.data
}
const fails = async (q: string, s: SessionInfo = session) => {
  const r = await query(s, q)
  expect(r.errors, "expected an error").toBeDefined()
  return r.errors![0]!.message
}

/** A busybox httpd serving `text` at / on port 80, as a service (chain text to put after `container`). */
const httpd = (text: string, port = 80) =>
  `from(address: "dirk.local/busybox:latest") {
    withNewFile(path: "/srv/index.html", contents: ${JSON.stringify(text)}) {
      withExposedPort(port: ${port}) {
        asService(args: ["httpd", "-f", "-p", "${port}", "-h", "/srv"])`

/** A shell command that fetches http://host:port/ with nc (plain HTTP/1.0) and prints the body. */
const fetchCmd = (host: string, port = 80) =>
  `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc ${host} ${port} | sed '1,/^\\r$/d'`

const serviceContainers = async (hostname: string) =>
  docker.listContainers({ all: true, filters: { label: [`dirk.service=${hostname}`] } })

describe("binding a service into an exec", () => {
  it("a client exec fetches from a busybox httpd bound under an alias", async () => {
    const text = `hello ${nonce()}`
    const d = await ok(`{ container { ${httpd(text)} { id hostname } } } } } }`)
    const svc = d.container.from.withNewFile.withExposedPort.asService
    const r = await ok(`{ container { from(address: "dirk.local/busybox:latest") {
      withServiceBinding(alias: "web", service: "${svc.id}") {
        withExec(args: ["sh", "-c", ${JSON.stringify(fetchCmd("web") + "; echo; " + fetchCmd(svc.hostname))}]) { stdout } } } } }`)
    expect(r.container.from.withServiceBinding.withExec.stdout).toBe(`${text}\n${text}`)
  })

  it("the hostname is derived from the service's digest: the same ID has the same hostname in another session", async () => {
    const text = `stable ${nonce()}`
    const a = await ok(`{ container { ${httpd(text)} { hostname endpoint(scheme: "http") } } } } } }`)
    const other = await engine.openSession()
    const b = await ok(`{ container { ${httpd(text)} { hostname } } } } } }`, other)
    const c = await ok(`{ container { ${httpd(text + "!")} { hostname } } } } } }`)
    const svc = a.container.from.withNewFile.withExposedPort.asService
    expect(svc.hostname).toMatch(/^[a-z2-7]{13}$/)
    expect(b.container.from.withNewFile.withExposedPort.asService.hostname).toBe(svc.hostname)
    expect(c.container.from.withNewFile.withExposedPort.asService.hostname).not.toBe(svc.hostname)
    expect(svc.endpoint).toBe(`http://${svc.hostname}:80`)
  })

  it("the same service bound from two execs at once runs as one container", async () => {
    const text = `shared ${nonce()}`
    const d = await ok(`{ container { ${httpd(text)} { id hostname } } } } } }`)
    const svc = d.container.from.withNewFile.withExposedPort.asService
    const exec = (n: number) => `e${n}: container { from(address: "dirk.local/busybox:latest") {
      withServiceBinding(alias: "web${n}", service: "${svc.id}") {
        withExec(args: ["sh", "-c", ${JSON.stringify(`sleep 1; ${fetchCmd(`web${n}`)}; echo; echo ${n}`)}]) { stdout } } } }`
    const seen = new Set<string>()
    const watch = setInterval(() => {
      void serviceContainers(svc.hostname).then((cs) => cs.forEach((c) => seen.add(c.Id)))
    }, 100)
    const r = await ok(`{ ${exec(1)} ${exec(2)} }`)
    clearInterval(watch)
    expect(r.e1.from.withServiceBinding.withExec.stdout).toBe(`${text}\n1\n`)
    expect(r.e2.from.withServiceBinding.withExec.stdout).toBe(`${text}\n2\n`)
    expect(seen.size).toBe(1)
  })

  it("a service stops once nothing uses it (after the grace period)", async () => {
    const d = await ok(`{ container { ${httpd(`idle ${nonce()}`)} { id hostname } } } } } }`)
    const svc = d.container.from.withNewFile.withExposedPort.asService
    await ok(`{ container { from(address: "dirk.local/busybox:latest") { withServiceBinding(alias: "web", service: "${svc.id}") {
      withExec(args: ["sh", "-c", ${JSON.stringify(fetchCmd("web"))}]) { stdout } } } } }`)
    const deadline = Date.now() + 15_000
    while ((await serviceContainers(svc.hostname)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
    expect(await serviceContainers(svc.hostname)).toEqual([])
  })

  it("consecutive execs within the grace period share one run of the service", async () => {
    const d = await ok(`{ container { ${httpd(`reused ${nonce()}`)} { id hostname } } } } } }`)
    const svc = d.container.from.withNewFile.withExposedPort.asService
    const ids: Array<string> = []
    for (const n of [1, 2]) {
      await ok(`{ container { from(address: "dirk.local/busybox:latest") { withServiceBinding(alias: "web", service: "${svc.id}") {
        withExec(args: ["sh", "-c", ${JSON.stringify(`${fetchCmd("web")}; echo ${n}`)}]) { stdout } } } } }`)
      ids.push(...(await serviceContainers(svc.hostname)).map((c) => c.Id))
    }
    expect(ids).toHaveLength(2)
    expect(ids[0]).toBe(ids[1])
  })

  it("an exec without bindings keeps no network; one with bindings is on the session's network", async () => {
    const d = await ok(`{ container { ${httpd(`net ${nonce()}`)} { id } } } } } }`)
    const id = d.container.from.withNewFile.withExposedPort.asService.id
    const ifaces = "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ' '"
    const r = await ok(`{ plain: container { from(address: "dirk.local/busybox:latest") { withExec(args: ["sh", "-c", ${JSON.stringify(`${ifaces}; echo ${nonce()}`)}]) { stdout } } }
      bound: container { from(address: "dirk.local/busybox:latest") { withServiceBinding(alias: "web", service: "${id}") {
        withExec(args: ["sh", "-c", ${JSON.stringify(`${ifaces}; echo ${nonce()}`)}]) { stdout } } } } }`)
    expect(r.plain.from.withExec.stdout).toMatch(/^lo [0-9a-f]{12}\n$/)
    expect(r.bound.from.withServiceBinding.withExec.stdout).toMatch(/^eth0 lo [0-9a-f]{12}\n$/)
  })

  it("binding is part of the exec's cache key: another service makes the exec run again", async () => {
    const n = nonce()
    const run = async (text: string) => {
      const d = await ok(`{ container { ${httpd(text)} { id } } } } } }`)
      const id = d.container.from.withNewFile.withExposedPort.asService.id
      const r = await ok(`{ container { from(address: "dirk.local/busybox:latest") { withServiceBinding(alias: "web", service: "${id}") {
        withExec(args: ["sh", "-c", ${JSON.stringify(fetchCmd("web") + `; echo; echo ${n}`)}]) { stdout } } } } }`)
      return r.container.from.withServiceBinding.withExec.stdout
    }
    expect(await run("first")).toBe(`first\n${n}\n`)
    expect(await run("second")).toBe(`second\n${n}\n`)
  })
})

describe("services reach each other", () => {
  it("a service that binds another service, used by a client exec", async () => {
    const text = `backend ${nonce()}`
    const back = await ok(`{ container { ${httpd(text)} { id } } } } } }`)
    const backId = back.container.from.withNewFile.withExposedPort.asService.id
    // the front service fetches from the back one at start and serves what it got
    const front = await ok(`{ container { from(address: "dirk.local/busybox:latest") {
      withServiceBinding(alias: "back", service: "${backId}") { withExposedPort(port: 8080) {
        asService(args: ["sh", "-c", ${JSON.stringify(`mkdir -p /srv && ${fetchCmd("back")} > /srv/index.html && httpd -f -p 8080 -h /srv`)}]) { id } } } } } }`)
    const frontId = front.container.from.withServiceBinding.withExposedPort.asService.id
    const r = await ok(`{ container { from(address: "dirk.local/busybox:latest") { withServiceBinding(alias: "front", service: "${frontId}") {
      withExec(args: ["sh", "-c", ${JSON.stringify(fetchCmd("front", 8080))}]) { stdout } } } } }`)
    expect(r.container.from.withServiceBinding.withExec.stdout).toBe(text)
  })

  it("two services bound into one exec reach each other by hostname", async () => {
    const a = await ok(`{ container { ${httpd(`A ${nonce()}`)} { id hostname } } } } } }`)
    const svcA = a.container.from.withNewFile.withExposedPort.asService
    const b = await ok(`{ container { from(address: "dirk.local/busybox:latest") { withExposedPort(port: 81) {
      asService(args: ["sh", "-c", ${JSON.stringify(`mkdir -p /srv && until ${fetchCmd(svcA.hostname)} > /srv/index.html && [ -s /srv/index.html ]; do sleep 0.2; done; httpd -f -p 81 -h /srv`)}]) {
        id } } } } }`)
    const svcB = b.container.from.withExposedPort.asService
    const r = await ok(`{ container { from(address: "dirk.local/busybox:latest") {
      withServiceBinding(alias: "a", service: "${svcA.id}") { withServiceBinding(alias: "b", service: "${svcB.id}") {
        withExec(args: ["sh", "-c", ${JSON.stringify(fetchCmd("b", 81))}]) { stdout } } } } } }`)
    expect(r.container.from.withServiceBinding.withServiceBinding.withExec.stdout).toMatch(/^A /)
  })
})

describe("start, stop, and the session's end", () => {
  it("start runs the service until stop; stop removes its container", async () => {
    const d = await ok(`{ container { ${httpd(`started ${nonce()}`)} { id hostname } } } } } }`)
    const svc = d.container.from.withNewFile.withExposedPort.asService
    const started = await ok(`{ loadServiceFromID(id: "${svc.id}") { start } }`)
    expect(started.loadServiceFromID.start).toBe(svc.id)
    const running = await serviceContainers(svc.hostname)
    expect(running.map((c) => c.State)).toEqual(["running"])
    // the session's network, labelled like every object of the engine
    const nets = Object.keys(running[0]!.NetworkSettings.Networks)
    expect(nets).toHaveLength(1)
    const net = await docker.getNetwork(nets[0]!).inspect()
    expect(net.Labels?.["dirk.engine"]).toBe("1")
    expect(net.Labels?.["dirk.session"]).toBe(session.id)
    await ok(`{ loadServiceFromID(id: "${svc.id}") { stop(kill: true) } }`)
    // stopped at once; removed right after
    expect((await serviceContainers(svc.hostname)).map((c) => c.State)).not.toContain("running")
    const deadline = Date.now() + 10_000
    while ((await serviceContainers(svc.hostname)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(await serviceContainers(svc.hostname)).toEqual([])
  })

  it("the session's end stops its services and removes its network", async () => {
    const { session: s, close } = await engine.openClosable()
    const d = await ok(`{ container { ${httpd(`ending ${nonce()}`)} { start hostname } } } } } }`, s)
    const hostname = d.container.from.withNewFile.withExposedPort.asService.hostname
    const running = await serviceContainers(hostname)
    expect(running).toHaveLength(1)
    const net = Object.keys(running[0]!.NetworkSettings.Networks)[0]!
    await close()
    const deadline = Date.now() + 10_000
    while ((await serviceContainers(hostname)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
    expect(await serviceContainers(hostname)).toEqual([])
    expect((await docker.listNetworks({ filters: { name: [net] } })).filter((n) => n.Name === net)).toEqual([])
  })
})

describe("the client's host", () => {
  it("host.service: a container reaches a server the test runs on the host", async () => {
    const text = `from the host ${nonce()}`
    const server = http.createServer((_req, res) => res.writeHead(200, { "content-length": Buffer.byteLength(text) }).end(text))
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    const port = (server.address() as AddressInfo).port
    try {
      const d = await ok(`{ host { service(ports: [{ frontend: 8000, backend: ${port} }]) { id hostname endpoint } } }`)
      const svc = d.host.service
      expect(svc.endpoint).toBe(`${svc.hostname}:8000`)
      const r = await ok(`{ container { from(address: "dirk.local/busybox:latest") { withServiceBinding(alias: "myhost", service: "${svc.id}") {
        withExec(args: ["sh", "-c", ${JSON.stringify(`${fetchCmd("myhost", 8000)}; echo; ${fetchCmd(svc.hostname, 8000)}`)}]) { stdout } } } } }`)
      expect(r.container.from.withServiceBinding.withExec.stdout).toBe(`${text}\n${text}`)
    } finally {
      server.close()
    }
  })

  it("host.tunnel: the host reaches a service on a loopback port", async () => {
    const text = `tunnelled ${nonce()}`
    const d = await ok(`{ container { ${httpd(text)} { id } } } } } }`)
    const id = d.container.from.withNewFile.withExposedPort.asService.id
    const t = await ok(`{ host { tunnel(service: "${id}") { id endpoint(scheme: "http") hostname ports { port } } } }`)
    expect(t.host.tunnel.hostname).toBe("localhost")
    expect(t.host.tunnel.endpoint).toMatch(/^http:\/\/localhost:\d+$/)
    const body = await (await fetch(t.host.tunnel.endpoint.replace("localhost", "127.0.0.1"))).text()
    expect(body).toBe(text)
    await ok(`{ loadServiceFromID(id: "${t.host.tunnel.id}") { stop } }`)
    await expect(fetch(t.host.tunnel.endpoint.replace("localhost", "127.0.0.1"))).rejects.toThrow()
  })
})

describe("bad input", () => {
  it("a service whose command exits: its exit code and the tail of its output", async () => {
    const d = await ok(`{ container { from(address: "dirk.local/busybox:latest") { withExposedPort(port: 80) {
      asService(args: ["sh", "-c", "echo starting up; echo cannot bind >&2; exit 3"]) { id } } } } }`)
    const id = d.container.from.withExposedPort.asService.id
    const message = await fails(`{ container { from(address: "dirk.local/busybox:latest") { withServiceBinding(alias: "web", service: "${id}") {
      withExec(args: ["echo", "${nonce()}"]) { stdout } } } } }`)
    expect(message).toMatch(/exited with code 3/)
    expect(message).toMatch(/starting up/)
    expect(message).toMatch(/cannot bind/)
  })

  it("a service whose port never opens: the health check times out with its output", async () => {
    const d = await ok(`{ container { from(address: "dirk.local/busybox:latest") { withExposedPort(port: 80) {
      asService(args: ["sh", "-c", "echo waiting forever; sleep 600"]) { id } } } } }`)
    const id = d.container.from.withExposedPort.asService.id
    const message = await fails(`{ loadServiceFromID(id: "${id}") { start } }`)
    expect(message).toMatch(/port 80\/tcp did not accept connections within 8 s/)
    expect(message).toMatch(/waiting forever/)
  })

  it("a binding alias that is not a valid hostname is an error naming it", async () => {
    const d = await ok(`{ container { ${httpd("x")} { id } } } } } }`)
    const id = d.container.from.withNewFile.withExposedPort.asService.id
    const message = await fails(`{ container { withServiceBinding(alias: "bad_alias!", service: "${id}") { id } } }`)
    expect(message).toMatch(/alias "bad_alias!" is not a valid hostname/)
  })
})

describe("a service with secrets", () => {
  it("reads a secret variable and a mounted secret; its output in an error shows *** instead of the value", async () => {
    const value = `s3cr3t-${nonce()}`
    const md5 = (await import("node:crypto")).createHash("md5").update(value).digest("hex")
    const secret = (await ok(`{ setSecret(name: "svc-token", plaintext: ${JSON.stringify(value)}) { id } }`)).setSecret.id as string
    const script = "mkdir -p /srv && { printf %s \"$TOKEN\" | md5sum; md5sum < /run/secrets/token; } | cut -d' ' -f1 > /srv/index.html && " +
      "exec httpd -f -p 80 -h /srv"
    const d = await ok(`{ container { from(address: "dirk.local/busybox:latest") {
      withSecretVariable(name: "TOKEN", secret: "${secret}") { withMountedSecret(path: "/run/secrets/token", source: "${secret}") {
        withExposedPort(port: 80) { asService(args: ["sh", "-c", ${JSON.stringify(script)}]) { id } } } } } } }`)
    const svc = d.container.from.withSecretVariable.withMountedSecret.withExposedPort.asService
    const r = await ok(`{ container { from(address: "dirk.local/busybox:latest") {
      withServiceBinding(alias: "vault", service: "${svc.id}") {
        withEnvVariable(name: "N", value: "${nonce()}") { withExec(args: ["sh", "-c", ${JSON.stringify(fetchCmd("vault"))}]) { stdout } } } } } }`)
    expect(r.container.from.withServiceBinding.withEnvVariable.withExec.stdout).toBe(`${md5}\n${md5}\n`)
    expect(JSON.stringify(d)).not.toContain(value)

    // a service that prints its secret and exits: the error quotes its output, scrubbed
    const bad = await ok(`{ container { from(address: "dirk.local/busybox:latest") {
      withSecretVariable(name: "TOKEN", secret: "${secret}") {
        withExposedPort(port: 80) { asService(args: ["sh", "-c", "echo token is $TOKEN; exit 3"]) { id } } } } } }`)
    const message = await fails(`{ container { from(address: "dirk.local/busybox:latest") {
      withServiceBinding(alias: "bad", service: "${bad.container.from.withSecretVariable.withExposedPort.asService.id}") {
        withExec(args: ["true"]) { stdout } } } } }`)
    expect(message).toContain("exited with code 3")
    expect(message).toContain("token is ***")
    expect(message).not.toContain(value)
  })
})
