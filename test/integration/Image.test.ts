/**
 * Images in and out of the engine: export/asTarball (OCI layout + manifest.json) read by `docker load` and by
 * `import`, docker-save archives imported, publish to the local registry checked with `docker pull` and `docker run`.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as TarStream from "tar-stream"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SessionInfo } from "../../src/Engine/Engine.js"
import { registry } from "../support/docker.js"
import { openSession, query } from "../support/session.js"

let session: SessionInfo
let close: () => Promise<void>
const work = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-image-test-"))
const dockerConfig = path.join(work, "docker-config")
const createdImages: Array<string> = []
const suffix = randomBytes(4).toString("hex")

const docker = (...args: Array<string>): string => execFileSync("docker", args, { encoding: "utf8" })

beforeAll(async () => {
  // A credential helper that does not exist means no credentials (not a crash); `auths` entries are used as given.
  fs.mkdirSync(dockerConfig, { recursive: true })
  fs.writeFileSync(
    path.join(dockerConfig, "config.json"),
    JSON.stringify({ credsStore: "dirk-test-missing-helper", auths: { [registry]: { auth: Buffer.from("user:pass").toString("base64") } } })
  )
  process.env.DOCKER_CONFIG = dockerConfig
  ;({ session, close } = await openSession(work))
})
afterAll(async () => {
  await close?.()
  for (const image of createdImages) {
    try {
      execFileSync("docker", ["rmi", "-f", image], { stdio: "ignore" })
    } catch {
      // already gone (the same image under another name)
    }
  }
  fs.rmSync(work, { recursive: true, force: true })
})

const base = `container { from(address: "dirk.local/busybox:latest") { withNewFile(path: "/hello.txt", contents: "hello image") { withEnvVariable(name: "GREETING", value: "hi") { withWorkdir(path: "/srv") { withEntrypoint(args: ["cat"]) { withDefaultArgs(args: ["/hello.txt"]) { withLabel(name: "org.test", value: "yes") { withExposedPort(port: 8080) {`
const closeBase = "} } } } } } } } }"

describe("images", () => {
  it("export writes a tarball that docker load reads, with the container's config", async () => {
    const r = await query(session, `{ ${base} export(path: "out/image.tar") ${closeBase} }`)
    expect(r.errors).toBeUndefined()
    const written = r.data.container.from.withNewFile.withEnvVariable.withWorkdir.withEntrypoint.withDefaultArgs.withLabel.withExposedPort.export
    expect(written).toBe(path.join(work, "out/image.tar"))
    const listing = execFileSync("tar", ["-tf", written], { encoding: "utf8" }).split("\n")
    expect(listing).toEqual(expect.arrayContaining(["oci-layout", "index.json", "manifest.json"]))
    const loaded = docker("load", "-i", written)
    const id = /Loaded image ID: (sha256:[0-9a-f]+)/.exec(loaded)?.[1]
    expect(id, loaded).toBeDefined()
    createdImages.push(id!)
    expect(docker("run", "--rm", id!)).toBe("hello image")
    const config = JSON.parse(docker("image", "inspect", id!, "--format", "{{json .Config}}"))
    expect(config.Env).toContain("GREETING=hi")
    expect(config.WorkingDir).toBe("/srv")
    expect(config.Labels).toEqual({ "org.test": "yes" })
    expect(config.ExposedPorts).toEqual({ "8080/tcp": {} })
  })

  it("asTarball → import: the file and the config come back", async () => {
    const tar = await query(session, `{ ${base} asTarball { id } ${closeBase} }`)
    expect(tar.errors).toBeUndefined()
    const fileId = tar.data.container.from.withNewFile.withEnvVariable.withWorkdir.withEntrypoint.withDefaultArgs.withLabel.withExposedPort.asTarball.id
    const r = await query(session, `{ container { import(source: "${fileId}") { withExec(args: ["sh", "-c", "cat /hello.txt; echo; echo $GREETING; pwd"]) { stdout } envVariable(name: "GREETING") entrypoint defaultArgs workdir label(name: "org.test") exposedPorts { port protocol } } } }`)
    expect(r.errors).toBeUndefined()
    expect(r.data.container.import).toEqual({
      withExec: { stdout: "hello image\nhi\n/srv\n" },
      envVariable: "hi",
      entrypoint: ["cat"],
      defaultArgs: ["/hello.txt"],
      workdir: "/srv",
      label: "yes",
      exposedPorts: [{ port: 8080, protocol: "TCP" }]
    })
    const size = await query(session, `{ loadFileFromID(id: "${fileId}") { size name } }`)
    expect(size.data.loadFileFromID.name).toBe("image.tar")
    expect(size.data.loadFileFromID.size).toBeGreaterThan(1000)
  })

  it("imports a docker save archive (Docker Hub style) and an uncompressed, Docker-media-type tarball", async () => {
    docker("save", "-o", path.join(work, "busybox-save.tar"), "dirk.local/busybox:latest")
    const r = await query(session, `{ host { file(path: "busybox-save.tar") { id } } }`)
    const saved = await query(session, `{ container { import(source: "${r.data.host.file.id}", tag: "latest") { withExec(args: ["echo", "from save"]) { stdout } } } }`)
    expect(saved.errors).toBeUndefined()
    expect(saved.data.container.import.withExec.stdout).toBe("from save\n")

    const tar = await query(session, `{ ${base} asTarball(forcedCompression: Uncompressed, mediaTypes: DockerMediaTypes) { id } ${closeBase} }`)
    expect(tar.errors).toBeUndefined()
    const fileId = tar.data.container.from.withNewFile.withEnvVariable.withWorkdir.withEntrypoint.withDefaultArgs.withLabel.withExposedPort.asTarball.id
    const back = await query(session, `{ container { import(source: "${fileId}") { withExec(args: ["cat", "/hello.txt"]) { stdout } } } }`)
    expect(back.errors).toBeUndefined()
    expect(back.data.container.import.withExec.stdout).toBe("hello image")
  })

  it("publishes to a registry: docker pull by digest and docker run see the file and the config", async () => {
    const name = `${registry}/dirk-test-publish-${suffix}:v1`
    const r = await query(session, `{ ${base} publish(address: "${name}") ${closeBase} }`)
    expect(r.errors).toBeUndefined()
    const ref = r.data.container.from.withNewFile.withEnvVariable.withWorkdir.withEntrypoint.withDefaultArgs.withLabel.withExposedPort.publish as string
    expect(ref).toMatch(new RegExp(`^${name.replace(/[.]/g, "\\.")}@sha256:[0-9a-f]{64}$`))
    const byDigest = `${registry}/dirk-test-publish-${suffix}@${ref.split("@")[1]}`
    createdImages.push(byDigest)
    docker("pull", byDigest)
    expect(docker("run", "--rm", byDigest)).toBe("hello image")
    expect(docker("run", "--rm", "--entrypoint", "sh", byDigest, "-c", "echo $GREETING; pwd")).toBe("hi\n/srv\n")
    const config = JSON.parse(docker("image", "inspect", byDigest, "--format", "{{json .Config}}"))
    expect(config.Labels).toEqual({ "org.test": "yes" })
    expect(config.ExposedPorts).toEqual({ "8080/tcp": {} })
    expect(config.Entrypoint).toEqual(["cat"])

    // `from` pulls it back through the engine (DOCKER_CONFIG has a missing credential helper and an auths entry).
    const pulled = await query(session, `{ container { from(address: "${registry}/dirk-test-publish-${suffix}:v1") { withExec(args: ["cat", "/hello.txt"]) { stdout } } } }`)
    expect(pulled.errors).toBeUndefined()
    expect(pulled.data.container.from.withExec.stdout).toBe("hello image")
    createdImages.push(`${registry}/dirk-test-publish-${suffix}:v1`)
  })

  it("a registry that refuses, or nothing listening: the message says why", async () => {
    const down = await query(session, `{ container { from(address: "dirk.local/busybox:latest") { publish(address: "127.0.0.1:1/nothing:latest") } } }`)
    expect(down.errors?.[0]?.message).toMatch(/publish 127\.0\.0\.1:1\/nothing:latest: cannot reach registry 127\.0\.0\.1:1/)
    const bad = await query(session, `{ container { from(address: "dirk.local/busybox:latest") { publish(address: "${registry}/Bad_Name") } } }`)
    expect(bad.errors?.[0]?.message).toMatch(/invalid address/)
    // The registry answers 500 with an error body for a name longer than it accepts: its code and message are shown.
    const refused = await query(session, `{ container { from(address: "dirk.local/busybox:latest") { publish(address: "${registry}/${"a".repeat(300)}") } } }`)
    expect(refused.errors?.[0]?.message).toMatch(/registry 127\.0\.0\.1:5000 refused .*: 500 UNKNOWN: unknown error/)
    const variants = await query(session, `{ container { from(address: "dirk.local/busybox:latest") { publish(address: "${registry}/x", forcedCompression: Zstd) } } }`)
    expect(variants.errors?.[0]?.message).toMatch(/Zstd is not supported yet/)
  })

  it("an archive entry that escapes is refused", async () => {
    const p = TarStream.pack()
    p.entry({ name: "../escape.txt" }, "nope")
    p.entry({ name: "index.json" }, "{}")
    p.finalize()
    const chunks: Array<Buffer> = []
    for await (const c of p) chunks.push(c as Buffer)
    fs.writeFileSync(path.join(work, "evil.tar"), Buffer.concat(chunks))
    const r = await query(session, `{ host { file(path: "evil.tar") { id } } }`)
    const imp = await query(session, `{ container { import(source: "${r.data.host.file.id}") { id } } }`)
    expect(imp.errors?.[0]?.message).toMatch(/unsafe entry name/)
    expect(fs.existsSync(path.join(work, "..", "escape.txt"))).toBe(false)
  })
})
