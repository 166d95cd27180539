import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Naming from "../../../src/Cli/Naming.js"

describe("Naming", () => {
  it("kebab", () => {
    assert.strictEqual(Naming.kebab("withExec"), "with-exec")
    assert.strictEqual(Naming.kebab("dockerConfig"), "docker-config")
    assert.strictEqual(Naming.kebab("a"), "a")
    assert.strictEqual(Naming.kebab("readFile"), "read-file")
    assert.strictEqual(Naming.kebab("HTTPServer"), "http-server")
    assert.strictEqual(Naming.kebab("sha256Sum"), "sha256-sum")
    assert.strictEqual(Naming.kebab("with-exec"), "with-exec")
  })

  it("lowerCamel and pascal", () => {
    assert.strictEqual(Naming.lowerCamel("with-exec"), "withExec")
    assert.strictEqual(Naming.lowerCamel("my_mod"), "myMod")
    assert.strictEqual(Naming.lowerCamel("ci"), "ci")
    assert.strictEqual(Naming.pascal("my-mod"), "MyMod")
  })

  // Two one-letter words in a row are ambiguous in camelCase ("aBC"), as in Dagger's strcase; words after the
  // first have two letters or more.
  const words = fc.tuple(
    fc.stringMatching(/^[a-z]{1,8}$/),
    fc.array(fc.stringMatching(/^[a-z]{2,8}$/), { maxLength: 4 })
  ).map(([first, rest]) => [first, ...rest])
  const camel = (ws: ReadonlyArray<string>) => ws.map((w, i) => i === 0 ? w : w[0]!.toUpperCase() + w.slice(1)).join("")

  it.prop("camelCase → kebab-case → camelCase round trips", [words], ([ws]) => {
    const name = camel(ws)
    assert.strictEqual(Naming.kebab(name), ws.join("-"))
    assert.strictEqual(Naming.lowerCamel(Naming.kebab(name)), name)
  })

  it.prop("kebab-case → camelCase → kebab-case round trips", [words], ([ws]) => {
    const flag = ws.join("-")
    assert.strictEqual(Naming.kebab(Naming.lowerCamel(flag)), flag)
  })
})
