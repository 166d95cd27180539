import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import * as Glob from "../../../src/Dag/Glob.js"

const name = fc.stringMatching(/^[a-z0-9._-]{1,6}$/).filter((s) => s !== "." && s !== "..")
const relPath = fc.array(name, { minLength: 1, maxLength: 4 }).map((xs) => xs.join("/"))
const escape = (s: string) => s.replace(/[*?[\]{}\\,]/g, "\\$&")

describe("Glob", () => {
  it("matches within one segment", () => {
    assert.isTrue(Glob.matches("*.md", "a.md"))
    assert.isFalse(Glob.matches("*.md", "sub/a.md"))
    assert.isTrue(Glob.matches("sub/?.md", "sub/a.md"))
    assert.isTrue(Glob.matches("[ab].txt", "b.txt"))
    assert.isFalse(Glob.matches("[!ab].txt", "b.txt"))
    assert.isTrue(Glob.matches("{a,b/c}.txt", "b/c.txt"))
    assert.isTrue(Glob.matches(".*", ".hidden"))
  })

  it("** matches zero or more directories", () => {
    assert.isTrue(Glob.matches("**/*.md", "a.md"))
    assert.isTrue(Glob.matches("**/*.md", "x/y/a.md"))
    assert.isTrue(Glob.matches("a/**/b", "a/b"))
    assert.isTrue(Glob.matches("a/**/b", "a/x/y/b"))
    assert.isTrue(Glob.matches("a/**", "a"))
    assert.isTrue(Glob.matches("a/**", "a/b/c"))
    assert.isFalse(Glob.matches("a/**", "ab"))
    assert.isTrue(Glob.matches("**", "any/thing"))
  })

  it("rejects invalid patterns", () => {
    for (const p of ["[", "a/[b", "{a,b", "a\\", "[]", ""]) {
      assert.isTrue(Either.isLeft(Glob.compile(p)), p)
    }
  })

  it.prop("an escaped path matches itself", [relPath], ([p]) => Glob.matches(escape(p), p))
  it.prop("** matches every path", [relPath], ([p]) => Glob.matches("**", p))
  it.prop("**/x matches x under any prefix", [relPath, relPath], ([prefix, p]) => {
    assert.isTrue(Glob.matches("**/" + escape(p), p))
    assert.isTrue(Glob.matches("**/" + escape(p), prefix + "/" + p))
  })
  it.prop("* never crosses a /", [name, name], ([a, b]) => !Glob.matches("*", a + "/" + b))
})
