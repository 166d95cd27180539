import { afterAll, assert, describe, it } from "@effect/vitest"
import { Effect, Exit, FastCheck as fc } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as DockerBuild from "../../../src/Dag/internal/DockerBuild.js"
import * as Op from "../../../src/Dag/Op.js"

const context = Op.local("/host/app", "sha256:content", "/snapshots/app")
const build = (o: Partial<Parameters<typeof Op.dockerBuild>[0]> = {}) =>
  Op.dockerBuild({ context, dockerfile: "Dockerfile", buildArgs: [], target: "", ...o })

const arg = fc.tuple(fc.constantFrom("A", "B", "C", "D"), fc.string({ maxLength: 4 }))

describe("Op.dockerBuild", () => {
  it("is an image op that reads its context", () => {
    const op = build()
    assert.strictEqual(Op.kindOf(op), "image")
    assert.deepStrictEqual(Op.inputs(op), [context])
    assert.strictEqual(Op.describe(build({ dockerfile: "a/Dockerfile", target: "dev" })), "docker build a/Dockerfile --target dev")
  })

  it.prop("build arguments: the order does not matter, the last value of a name counts", [fc.array(arg, { maxLength: 6 })], ([args]) => {
    const shuffled = [...new Map(args).entries()].reverse()
    assert.strictEqual(build({ buildArgs: args }).digest, build({ buildArgs: shuffled }).digest)
  })

  it("each input changes the digest", () => {
    const digests = [
      build(),
      build({ dockerfile: "other.Dockerfile" }),
      build({ target: "dev" }),
      build({ buildArgs: [["A", "1"]] }),
      build({ buildArgs: [["A", "2"]] }),
      build({ context: Op.local("/host/app", "sha256:other", "/snapshots/other") }),
      build({ secrets: [{ name: "token", handle: "hmac-sha256:1" }] }),
      build({ secrets: [{ name: "token", handle: "hmac-sha256:2" }] }),
      build({ secrets: [{ name: "other", handle: "hmac-sha256:1" }] })
    ].map((op) => op.digest)
    assert.strictEqual(new Set(digests).size, digests.length)
    // the host path is provenance only: the same content elsewhere is the same build
    assert.strictEqual(build({ context: Op.local("/elsewhere", "sha256:content", "/snapshots/x") }).digest, build().digest)
  })
})

it.prop(
  "secrets: the order does not matter, the last handle of a name counts; none is the same as no list",
  [fc.array(fc.tuple(fc.constantFrom("a", "b", "c"), fc.constantFrom("h1", "h2", "h3")), { maxLength: 6 })],
  ([pairs]) => {
    const secrets = pairs.map(([name, handle]) => ({ name, handle }))
    const canonical = [...new Map(pairs).entries()].reverse().map(([name, handle]) => ({ name, handle }))
    assert.strictEqual(build({ secrets }).digest, build({ secrets: canonical }).digest)
    if (secrets.length === 0) assert.strictEqual(build({ secrets }).digest, build().digest)
  }
)

describe("DockerBuild.context", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-docker-build-"))
  fs.mkdirSync(path.join(root, "sub/dir"), { recursive: true })
  fs.writeFileSync(path.join(root, "Dockerfile"), "FROM scratch\n")
  fs.writeFileSync(path.join(root, "sub/App.Dockerfile"), "FROM scratch\n")
  fs.symlinkSync("sub/App.Dockerfile", path.join(root, "link"))
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

  const failure = (dockerfile: string) =>
    Effect.map(Effect.exit(DockerBuild.context(root, dockerfile)), (exit) => {
      if (Exit.isSuccess(exit)) throw new Error(`expected ${dockerfile} to fail`)
      return exit.cause._tag === "Fail" ? exit.cause.error.message : String(exit.cause)
    })

  it.effect("packs the whole directory and keeps the Dockerfile's relative path", () =>
    Effect.gen(function*() {
      const ctx = yield* DockerBuild.context(root, "/sub/./App.Dockerfile")
      assert.strictEqual(ctx.dockerfile, "sub/App.Dockerfile")
      assert.deepStrictEqual(ctx.items.map((i) => `${i.type} ${i.name}`), [
        "file Dockerfile",
        "symlink link",
        "dir sub",
        "file sub/App.Dockerfile",
        "dir sub/dir"
      ])
      assert.strictEqual((yield* DockerBuild.context(root, "link")).dockerfile, "link")
    }))

  it.effect("names a missing or unusable Dockerfile", () =>
    Effect.gen(function*() {
      assert.strictEqual(
        yield* failure("nope/Dockerfile"),
        "dockerBuild: Dockerfile \"nope/Dockerfile\" not found in the directory (no such file)"
      )
      assert.strictEqual(yield* failure("sub/dir"), "dockerBuild: Dockerfile \"sub/dir\" not found in the directory (not a file)")
      assert.strictEqual(yield* failure("../Dockerfile"), "path ../Dockerfile points outside the directory")
      assert.strictEqual(yield* failure("."), "dockerBuild: the dockerfile path \".\" names no file")
    }))
})
