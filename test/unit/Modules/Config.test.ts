import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Config from "../../../src/Modules/Config.js"

const parse = (value: unknown) => Config.parse(typeof value === "string" ? value : JSON.stringify(value), "/m/dagger.json")

const errorOf = (value: unknown): string => {
  const r = parse(value)
  assert.isTrue(Either.isLeft(r))
  return Either.isLeft(r) ? r.left.message : ""
}

describe("Config.parse", () => {
  it("reads name, sdk (string or object) and source", () => {
    const a = parse({ name: "greeter", sdk: "typescript" })
    assert.deepStrictEqual(Either.map(a, (c) => [c.name, c.sdk, c.source]), Either.right(["greeter", "typescript", "."]))
    const b = parse({ name: "my-mod", sdk: { source: "typescript" }, source: ".dagger", engineVersion: "v0.21.8" })
    assert.deepStrictEqual(Either.map(b, (c) => [c.name, c.sdk, c.source, c.engineVersion]), Either.right(["my-mod", "typescript", ".dagger", "v0.21.8"]))
  })

  it("allows a module without sdk", () => {
    assert.deepStrictEqual(Either.map(parse({ name: "x" }), (c) => c.sdk), Either.right(undefined))
  })

  it("reads dependencies and flags", () => {
    const c = parse({ name: "x", sdk: "typescript", dependencies: [{ name: "lib", source: "../lib" }], disableDefaultFunctionCaching: true })
    assert.deepStrictEqual(
      Either.map(c, (x) => [x.dependencies, x.disableDefaultFunctionCaching]),
      Either.right([[{ name: "lib", source: "../lib", pin: undefined }], true])
    )
  })

  it("names the file in every error", () => {
    for (const bad of ["{", [], { sdk: "typescript" }, { name: "" }, { name: "a b" }, { name: "x", sdk: "go" }, { name: "x", sdk: 3 }, { name: "x", source: "../up" }, { name: "x", source: "/abs" }]) {
      assert.include(errorOf(bad), "/m/dagger.json: ")
    }
    assert.include(errorOf("{"), "invalid JSON")
    assert.include(errorOf({ sdk: "typescript" }), "\"name\" is required")
    assert.include(errorOf({ name: "x", sdk: "go" }), "unsupported sdk \"go\"")
  })
})

describe("Config.read", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-config-test-"))

  it.effect("finds dagger.json by directory (relative to the workdir) or by file", () =>
    Effect.gen(function*() {
      const dir = path.join(tmp, "mod")
      fs.mkdirSync(path.join(dir, "src"), { recursive: true })
      fs.writeFileSync(path.join(dir, "dagger.json"), JSON.stringify({ name: "mod", sdk: "typescript" }))
      const a = yield* Config.read("mod", tmp)
      assert.strictEqual(a.dir, dir)
      assert.strictEqual(a.sourceDir, dir)
      const b = yield* Config.read(path.join(dir, "dagger.json"), "/")
      assert.strictEqual(b.config.name, "mod")
    }))

  it.effect("names the path of a missing directory or dagger.json", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(Config.read("nope", tmp))
      assert.include(missing.message, path.join(tmp, "nope"))
      const empty = path.join(tmp, "empty")
      fs.mkdirSync(empty, { recursive: true })
      const noConfig = yield* Effect.flip(Config.read(empty, "/"))
      assert.include(noConfig.message, path.join(empty, "dagger.json"))
    }))

  it.effect("names a missing source directory", () =>
    Effect.gen(function*() {
      const dir = path.join(tmp, "nosrc")
      fs.mkdirSync(dir, { recursive: true })
      fs.writeFileSync(path.join(dir, "dagger.json"), JSON.stringify({ name: "nosrc", sdk: "typescript", source: ".dagger" }))
      const e = yield* Effect.flip(Config.read(dir, "/"))
      assert.include(e.message, path.join(dir, ".dagger"))
    }))
})
