import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import * as path from "node:path"
import * as ContextPath from "../../../src/Modules/ContextPath.js"

const segment = fc.constantFrom("a", "b", "src", "..", ".", "data")
const rel = fc.array(segment, { minLength: 1, maxLength: 5 }).map((xs) => xs.join("/"))

describe("ContextPath", () => {
  it("finds the git work tree above dagger.json, else dagger.json's directory", () => {
    const gits = new Set(["/repo/.git"])
    assert.strictEqual(ContextPath.contextDir("/repo/ci/mod", (p) => gits.has(p)), "/repo")
    assert.strictEqual(ContextPath.contextDir("/repo", (p) => gits.has(p)), "/repo")
    assert.strictEqual(ContextPath.contextDir("/other/mod", (p) => gits.has(p)), "/other/mod")
  })

  it("resolves /x against the context directory and ./x against dagger.json's directory", () => {
    assert.deepStrictEqual(ContextPath.resolve("/repo", "/repo/ci", "/data"), Either.right("/repo/data"))
    assert.deepStrictEqual(ContextPath.resolve("/repo", "/repo/ci", "./local"), Either.right("/repo/ci/local"))
    assert.deepStrictEqual(ContextPath.resolve("/repo", "/repo/ci", "local"), Either.right("/repo/ci/local"))
    assert.deepStrictEqual(ContextPath.resolve("/repo", "/repo/ci", ".."), Either.right("/repo"))
    assert.deepStrictEqual(ContextPath.resolve("/repo", "/repo/ci", "/"), Either.right("/repo"))
    assert.deepStrictEqual(
      ContextPath.resolve("/repo", "/repo/ci", "../../etc"),
      Either.left("/etc is outside the module's context directory /repo")
    )
    // a leading / never escapes: it is rooted at the context directory
    assert.deepStrictEqual(ContextPath.resolve("/repo", "/repo/ci", "/../etc"), Either.left("/etc is outside the module's context directory /repo"))
  })

  it.prop("a resolved path is always inside the context directory", [rel, rel, fc.boolean()], ([sub, p, rooted]) => {
    const context = "/ctx"
    const moduleDir = path.join(context, sub.replace(/\.\.?(\/|$)/g, "m$1"))
    const r = ContextPath.resolve(context, moduleDir, rooted ? `/${p}` : p)
    if (Either.isRight(r)) assert.isTrue(ContextPath.isWithin(context, r.right), r.right)
    else assert.include(r.left, "is outside the module's context directory /ctx")
  })

  it.prop("with dagger.json at the context directory, /x and ./x name the same path", [rel], ([p]) => {
    assert.deepStrictEqual(ContextPath.resolve("/ctx", "/ctx", `/${p}`), ContextPath.resolve("/ctx", "/ctx", `./${p}`))
  })

  it.prop("/x does not depend on where dagger.json is", [rel, rel], ([sub, p]) => {
    const moduleDir = path.join("/ctx", sub.replace(/\.\.?(\/|$)/g, "m$1"))
    assert.deepStrictEqual(ContextPath.resolve("/ctx", moduleDir, `/${p}`), ContextPath.resolve("/ctx", "/ctx", `/${p}`))
  })
})
