import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { wildcardMatchesSync } from "../../../src/Dag/internal/FileActions.js"
import * as Wildcard from "../../../src/Dag/Wildcard.js"

const name = fc.constantFrom("a", "b", "x.txt", "y.log", "c.txt")
const relPath = fc.array(name, { minLength: 1, maxLength: 3 }).map((s) => s.join("/"))
const segment = fc.constantFrom("a", "*", "?", "*.txt", "[ab]", "[^a]*", "x.*", "b")
const pattern = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join("/"))

describe("Wildcard", () => {
  it("splits at the first segment with wildcards", () => {
    assert.isUndefined(Wildcard.split("a/b.txt"))
    assert.isUndefined(Wildcard.split("a/\\*.txt"), "an escaped * is no wildcard")
    assert.deepStrictEqual(Wildcard.split("a/b/*.txt"), { literal: "a/b", pattern: "*.txt" })
    assert.deepStrictEqual(Wildcard.split("/*/c"), { literal: "", pattern: "*/c" })
    assert.deepStrictEqual(Wildcard.split("a/[bc]/d"), { literal: "a", pattern: "[bc]/d" })
  })

  it("matches as Go's filepath.Match", () => {
    const m = Wildcard.matches
    assert.isTrue(m("*.txt", "a.txt"))
    assert.isFalse(m("*.txt", "d/a.txt"), "* does not cross /")
    assert.isTrue(m("*/*.txt", "d/a.txt"))
    assert.isTrue(m("?.txt", "a.txt"))
    assert.isFalse(m("?.txt", "ab.txt"))
    assert.isTrue(m("[a-c].txt", "b.txt"))
    assert.isTrue(m("[^a-c].txt", "d.txt"))
    assert.isFalse(m("[^a-c].txt", "b.txt"))
    assert.isTrue(m("[!a].txt", "!.txt"), "Go's classes negate with ^ only")
    assert.isTrue(m("\\*.txt", "*.txt"))
    assert.isFalse(m("\\*.txt", "a.txt"))
    assert.isTrue(m("{a,b}", "{a,b}"), "no alternatives")
    assert.isTrue(m("**", "ab"), "** is *")
    assert.isFalse(m("**", "a/b"))
    assert.isFalse(m("[a", "[a"), "malformed: matches nothing")
    assert.isFalse(m("[]a]", "]"))
    assert.isFalse(m("[-]", "-"))
    assert.isTrue(m("[\\-]", "-"))
  })

  it("finds the matches in a snapshot, a matched directory whole", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-wildcard-"))
    try {
      for (const f of ["a.txt", "b.txt", "c.md", "d/a.txt", "d/e/f.txt", "t.txt/inner.txt"]) {
        fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true })
        fs.writeFileSync(path.join(root, f), "")
      }
      fs.symlinkSync("d", path.join(root, "link"))
      const find = (p: string) => wildcardMatchesSync(root, Wildcard.split(p)!)
      assert.deepStrictEqual(find("*.txt"), ["a.txt", "b.txt", "t.txt"])
      assert.deepStrictEqual(find("d/*.txt"), ["d/a.txt"])
      assert.deepStrictEqual(find("*/*.txt"), ["d/a.txt", "t.txt/inner.txt"])
      assert.deepStrictEqual(find("link/*.txt"), ["link/a.txt"], "the literal directory is resolved inside the root")
      assert.deepStrictEqual(find("missing/*.txt"), [])
      assert.deepStrictEqual(find("*.none"), [])
    } finally {
      fs.rmSync(root, { recursive: true, force: true })
    }
  })

  it.prop(
    "select: every match matches, none is below another, and every matching path is covered",
    [pattern, fc.uniqueArray(relPath, { maxLength: 10 })],
    ([pat, paths]) => {
      // parents before children, as a walk lists them
      const all = [...new Set(paths.flatMap((p) => p.split("/").map((_, i, s) => s.slice(0, i + 1).join("/"))))].sort()
      const sel = Wildcard.select(pat, all)
      for (const s of sel) {
        assert.isTrue(Wildcard.matches(pat, s))
        assert.isFalse(sel.some((o) => s.startsWith(o + "/")))
      }
      for (const p of all) {
        if (Wildcard.matches(pat, p)) assert.isTrue(sel.some((s) => p === s || p.startsWith(s + "/")))
      }
    }
  )

  it.prop("a path without wildcards matches itself only", [relPath, relPath], ([p, q]) => {
    assert.isUndefined(Wildcard.split(p))
    assert.strictEqual(Wildcard.matches(p, q), p === q)
  })
})
