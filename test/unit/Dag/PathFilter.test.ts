import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as PathFilter from "../../../src/Dag/PathFilter.js"

const name = fc.constantFrom("a", "b", "c", "x.log", "node_modules", ".git")
const relPath = fc.array(name, { minLength: 1, maxLength: 5 }).map((s) => s.join("/"))
const patternSegment = fc.constantFrom("a", "b", "x.log", "*", "?", "**", "*.log", "node_modules", "[ab]", ".g*")
const pattern = fc.array(patternSegment, { minLength: 1, maxLength: 4 }).map((s) => s.join("/"))
const patternList = fc.array(fc.tuple(fc.boolean(), pattern).map(([neg, p]) => (neg ? "!" + p : p)), { maxLength: 4 })

describe("PathFilter", () => {
  it("matches like .dockerignore patterns", () => {
    const m = PathFilter.matches
    assert.isTrue(m("node_modules", "node_modules"))
    assert.isTrue(m("node_modules", "node_modules/x/y.js"))
    assert.isTrue(m("node_modules/", "node_modules/x"))
    assert.isTrue(m("/node_modules", "node_modules"))
    assert.isFalse(m("node_modules", "a/node_modules"))
    assert.isTrue(m("**/node_modules", "a/b/node_modules/c"))
    assert.isTrue(m("**/node_modules", "node_modules"))
    assert.isTrue(m("*.log", "x.log"))
    assert.isFalse(m("*.log", "a/x.log"))
    assert.isTrue(m("**/*.log", "a/b/x.log"))
    assert.isTrue(m("**/*.log", "x.log"))
    assert.isTrue(m("a/*/c", "a/b/c"))
    assert.isFalse(m("a/*/c", "a/b/b/c"))
    assert.isTrue(m("a/**/c", "a/c"))
    assert.isTrue(m("a/**/c", "a/b/b/c"))
    assert.isTrue(m("a/**", "a/b"))
    assert.isFalse(m("a/**", "a"))
    assert.isTrue(m("file?.txt", "file1.txt"))
    assert.isFalse(m("file?.txt", "file10.txt"))
    assert.isTrue(m("[ab].txt", "b.txt"))
    assert.isFalse(m("[!ab].txt", "b.txt"))
    assert.isTrue(m(".git*", ".gitignore"))
    assert.isTrue(m("\\*", "*"))
    assert.isFalse(m("\\*", "a"))
  })

  it("decides include, exclude and negation", () => {
    const f = PathFilter.make({ include: ["src", "package.*"], exclude: ["**/*.log", "src/gen", "!src/gen/keep"] })
    assert.strictEqual(f.decide("src", true), "keep")
    assert.strictEqual(f.decide("src/a.ts", false), "keep")
    assert.strictEqual(f.decide("src/a.log", false), "skip")
    assert.strictEqual(f.decide("package.json", false), "keep")
    assert.strictEqual(f.decide("README.md", false), "skip")
    assert.strictEqual(f.decide("docs", true), "skip")
    assert.strictEqual(f.decide("src/gen", true), "descend")
    assert.strictEqual(f.decide("src/gen/x.ts", false), "skip")
    assert.strictEqual(f.decide("src/gen/keep", false), "keep")
    const g = PathFilter.make({ include: ["a/b/*.txt"] })
    assert.strictEqual(g.decide("a", true), "descend")
    assert.strictEqual(g.decide("a/b", true), "descend")
    assert.strictEqual(g.decide("a/b/x.txt", false), "keep")
    assert.strictEqual(g.decide("a/c", true), "skip")
    const only = PathFilter.make({ include: ["!node_modules"] })
    assert.strictEqual(only.decide("src", true), "keep")
    assert.strictEqual(only.decide("node_modules", true), "skip")
  })

  it.prop("without patterns everything is kept", [relPath, fc.boolean()], ([p, dir]) => {
    assert.strictEqual(PathFilter.all.decide(p, dir), "keep")
  })

  it.prop("exclude wins over include", [relPath, patternList, pattern, fc.boolean()], ([p, include, ex, dir]) => {
    if (!PathFilter.matches(ex, p)) return
    assert.notStrictEqual(PathFilter.make({ include: [...include, ex], exclude: [ex] }).decide(p, dir), "keep")
  })

  it.prop("a pattern that matches a path matches every descendant", [pattern, relPath, relPath], ([pat, p, rest]) => {
    if (PathFilter.matches(pat, p)) assert.isTrue(PathFilter.matches(pat, `${p}/${rest}`))
  })

  it.prop("**/name matches name at any depth", [relPath, name, relPath], ([prefix, n, suffix]) => {
    assert.isTrue(PathFilter.matches(`**/${n}`, n))
    assert.isTrue(PathFilter.matches(`**/${n}`, `${prefix}/${n}`))
    assert.isTrue(PathFilter.matches(`**/${n}`, `${prefix}/${n}/${suffix}`))
  })

  it.prop(
    "a skipped directory has no kept descendant (pruning is sound)",
    [patternList, patternList, relPath, relPath, fc.boolean()],
    ([include, exclude, dir, rest, isDir]) => {
      const f = PathFilter.make({ include, exclude })
      if (f.decide(dir, true) !== "skip") return
      assert.notStrictEqual(f.decide(`${dir}/${rest}`, isDir), "keep")
    },
    { fastCheck: { numRuns: 2000 } }
  )

  it.prop(
    "a kept path with include patterns has an ancestor-or-self matched by an include",
    [patternList, relPath],
    ([include, p]) => {
      const positives = include.filter((s) => !s.startsWith("!"))
      if (positives.length === 0) return
      if (PathFilter.make({ include }).decide(p, false) === "keep") {
        assert.isTrue(positives.some((pat) => PathFilter.matches(pat, p)))
      }
    }
  )
})
