// Services through Dagger's own npm client, unchanged, against dirk (through `dirk run`): asService + withExposedPort
// + withServiceBinding (a busybox httpd fetched by a client exec), endpoint/hostname/ports, withHostname, start/stop,
// sync, host.tunnel (the client's host reaches a service), host.service (a container reaches a server this script
// runs on the host), a service that binds another, and a bad alias. Prints one JSON object;
// test/integration/CompatService.test.ts checks it.
import { connect } from "@dagger.io/dagger"
import { randomBytes } from "node:crypto"
import * as http from "node:http"
import { step } from "./step.mjs"

const nonce = randomBytes(6).toString("hex")
const fetchCmd = (host, port = 80) => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc ${host} ${port} | sed '1,/^\\r$/d'`

const hostText = `from the host ${nonce}`
const server = http.createServer((_req, res) => res.writeHead(200, { "content-length": Buffer.byteLength(hostText) }).end(hostText))
await new Promise((r) => server.listen(0, "127.0.0.1", r))
const hostPort = server.address().port

await connect(async (client) => {
  const r = {}
  const busybox = () => client.container().from("dirk.local/busybox:latest")
  const httpd = (text, port = 80) =>
    busybox().withNewFile("/srv/index.html", text).withExposedPort(port).asService({ args: ["httpd", "-f", "-p", String(port), "-h", "/srv"] })
  const svc = httpd(`web ${nonce}`)

  await step(r, "binding", () =>
    busybox().withServiceBinding("web", svc).withExec(["sh", "-c", fetchCmd("web")]).stdout())
  await step(r, "hostname", () => svc.hostname())
  await step(r, "endpoint", async () => ({
    plain: await svc.endpoint(),
    port: await svc.endpoint({ port: 8080 }),
    url: await svc.endpoint({ scheme: "http" })
  }))
  await step(r, "ports", async () => Promise.all((await svc.ports()).map(async (p) => [await p.port(), await p.protocol()])))
  await step(r, "byHostname", async () => {
    const host = await svc.hostname()
    return busybox().withServiceBinding("web", svc).withExec(["sh", "-c", fetchCmd(host)]).stdout()
  })
  await step(r, "withHostname", async () => {
    const named = httpd(`named ${nonce}`).withHostname("myweb")
    return {
      hostname: await named.hostname(),
      fetched: await busybox().withServiceBinding("alias", named).withExec(["sh", "-c", `${fetchCmd("alias")}; echo; ${fetchCmd("myweb")}`]).stdout()
    }
  })
  await step(r, "sync", async () => (await svc.sync()) !== undefined)
  await step(r, "startStop", async () => {
    const s = httpd(`started ${nonce}`)
    const started = await s.start()
    const tunnel = client.host().tunnel(started)
    const url = await tunnel.endpoint({ scheme: "http" })
    const body = await (await fetch(url.replace("localhost", "127.0.0.1"))).text()
    await tunnel.stop()
    await s.stop({ kill: true })
    return { body, sameId: (await started.id()) === (await s.id()), url: /^http:\/\/localhost:\d+$/.test(url) }
  })
  await step(r, "tunnelNative", async () => {
    const t = client.host().tunnel(httpd(`native ${nonce}`, 18093), { native: true })
    const endpoint = await t.endpoint()
    const body = await (await fetch(`http://127.0.0.1:18093/`)).text()
    await t.stop()
    return { endpoint, body }
  })
  await step(r, "hostService", async () => {
    const hs = client.host().service([{ frontend: 8000, backend: hostPort }])
    return busybox().withServiceBinding("myhost", hs).withExec(["sh", "-c", fetchCmd("myhost", 8000)]).stdout()
  })
  await step(r, "serviceBindsService", async () => {
    const back = httpd(`back ${nonce}`)
    const front = busybox().withServiceBinding("back", back).withExposedPort(8080)
      .asService({ args: ["sh", "-c", `mkdir -p /srv && ${fetchCmd("back")} > /srv/index.html && httpd -f -p 8080 -h /srv`] })
    return busybox().withServiceBinding("front", front).withExec(["sh", "-c", fetchCmd("front", 8080)]).stdout()
  })
  await step(r, "registryService", async () => {
    const registry = client.container().from("dirk.local/registry:2").withExposedPort(5000).asService()
    const address = `${await registry.hostname()}:5000/dirk-services:${nonce}`
    const ref = await busybox().withNewFile("/marker", nonce).publish(address, { registryService: registry })
    const pulled = client.container().from(address, { registryService: registry })
    return {
      published: ref.startsWith(`${address}@sha256:`),
      marker: await pulled.file("/marker").contents(),
      imageRef: (await pulled.imageRef()) === ref
    }
  })
  await step(r, "badAlias", () => busybox().withServiceBinding("not a hostname", svc).withExec(["true"]).sync())
  await step(r, "exitingService", () =>
    busybox().withExposedPort(80).asService({ args: ["sh", "-c", "echo about to fail; exit 7"] }).start())
  process.stdout.write(JSON.stringify(r))
})
server.close()
