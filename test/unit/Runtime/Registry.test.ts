import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Readable } from "node:stream"
import * as TarStream from "tar-stream"
import * as OciLayout from "../../../src/Runtime/OciLayout.js"
import * as Registry from "../../../src/Runtime/Registry.js"

const withDockerConfig = <A>(config: unknown, f: () => A): A => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-docker-config-"))
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config))
  const before = process.env.DOCKER_CONFIG
  process.env.DOCKER_CONFIG = dir
  try {
    return f()
  } finally {
    if (before === undefined) delete process.env.DOCKER_CONFIG
    else process.env.DOCKER_CONFIG = before
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const tarOf = async (entries: ReadonlyArray<readonly [string, string]>): Promise<Readable> => {
  const p = TarStream.pack()
  for (const [name, data] of entries) p.entry({ name }, data)
  p.finalize()
  const chunks: Array<Buffer> = []
  for await (const c of p) chunks.push(c as Buffer)
  return Readable.from([Buffer.concat(chunks)])
}

describe("Registry", () => {
  it("parses and normalizes references as Docker does", () => {
    assert.deepStrictEqual(Registry.parseReference("busybox"), { domain: "docker.io", repository: "library/busybox", tag: undefined, digest: undefined })
    assert.deepStrictEqual(Registry.parseReference("127.0.0.1:5000/a/b:v1"), { domain: "127.0.0.1:5000", repository: "a/b", tag: "v1", digest: undefined })
    assert.deepStrictEqual(Registry.parseReference("localhost/x@sha256:" + "a".repeat(64)), {
      domain: "localhost",
      repository: "x",
      tag: undefined,
      digest: "sha256:" + "a".repeat(64)
    })
    assert.strictEqual(Registry.parseReference("user/app")?.repository, "user/app")
    assert.isUndefined(Registry.parseReference("127.0.0.1:5000/Bad_Name"))
    assert.isUndefined(Registry.parseReference(""))
  })

  it("pins an image address to its registry digest (imageRef), by repository", () => {
    const d = "sha256:" + "ab".repeat(32)
    const e = "sha256:" + "cd".repeat(32)
    assert.strictEqual(Registry.pinnedReference("alpine:3.20", [`alpine@${d}`]), `docker.io/library/alpine:3.20@${d}`)
    assert.strictEqual(
      Registry.pinnedReference("127.0.0.1:5000/app", [`other.io/app@${e}`, `127.0.0.1:5000/app@${d}`]),
      `127.0.0.1:5000/app:latest@${d}`
    )
    assert.strictEqual(Registry.pinnedReference("dirk.local/busybox", []), "dirk.local/busybox:latest")
    assert.strictEqual(Registry.pinnedReference(`alpine@${e}`, [`alpine@${d}`]), `docker.io/library/alpine@${e}`)
    assert.isUndefined(Registry.pinnedReference("Not Valid", []))
  })

  it("reads credentials from auths; a missing credential helper means none from it", () => {
    const auth = Buffer.from("me:secret").toString("base64")
    withDockerConfig({ credsStore: "dirk-no-such-helper", auths: { "127.0.0.1:5000": { auth } } }, () => {
      assert.deepStrictEqual(Registry.credentialsFor("127.0.0.1:5000"), { username: "me", password: "secret" })
      assert.isUndefined(Registry.credentialsFor("other.example:5000"))
    })
    withDockerConfig({ auths: { "https://index.docker.io/v1/": { username: "hub", password: "pw" } } }, () => {
      assert.deepStrictEqual(Registry.credentialsFor("docker.io"), { username: "hub", password: "pw" })
    })
    withDockerConfig({ credHelpers: { "r.example": "dirk-no-such-helper" } }, () => {
      assert.isUndefined(Registry.credentialsFor("r.example"))
    })
  })
})

describe("OciLayout", () => {
  it("refuses archive entries that escape, and writes nothing outside", async () => {
    for (const name of ["../escape.txt", "/abs.txt", "a/../../escape.txt"]) {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-extract-"))
      const dir = path.join(root, "in")
      fs.mkdirSync(dir)
      const error = await OciLayout.extract(await tarOf([[name, "x"]]), dir).then(() => undefined, (e: Error) => e)
      assert.match(String(error?.message), /unsafe entry name/)
      assert.deepStrictEqual(fs.readdirSync(root), ["in"])
      fs.rmSync(root, { recursive: true, force: true })
    }
  })

  it("reads a docker archive and an OCI layout, and says when it is neither", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-read-"))
    await OciLayout.extract(await tarOf([
      ["manifest.json", JSON.stringify([{ Config: "c.json", RepoTags: ["x:v1"], Layers: ["l/layer.tar"] }])],
      ["c.json", JSON.stringify({ config: { Env: ["A=1"], Entrypoint: ["sh"], WorkingDir: "/w" } })],
      ["l/layer.tar", ""]
    ]), dir)
    const image = OciLayout.read(dir, "v1")
    assert.deepStrictEqual(image.layerPaths, ["l/layer.tar"])
    assert.deepStrictEqual(OciLayout.runConfig(image.configBytes), {
      env: ["A=1"], entrypoint: ["sh"], cmd: [], workdir: "/w", user: "", labels: {}, exposedPorts: []
    })
    assert.throws(() => OciLayout.read(dir, "v2"), /no image tagged "v2"/)
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-read-"))
    assert.throws(() => OciLayout.read(empty, ""), /not an image archive/)
    fs.rmSync(dir, { recursive: true, force: true })
    fs.rmSync(empty, { recursive: true, force: true })
  })
})
