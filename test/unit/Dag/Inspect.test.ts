import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as FileActions from "../../../src/Dag/internal/FileActions.js"
import * as Walk from "../../../src/Dag/internal/Walk.js"
import * as Inspect from "../../../src/Dag/Inspect.js"

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "dirk-inspect-"))

const write = (root: string, files: Record<string, readonly [string, number]>, order: ReadonlyArray<string>) => {
  for (const rel of order) {
    const [contents, mode] = files[rel]!
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
    fs.writeFileSync(path.join(root, rel), contents)
    fs.chmodSync(path.join(root, rel), mode)
  }
  fs.chmodSync(root, 0o755)
}

const name = fc.stringMatching(/^[a-z]{1,4}$/)
const tree = fc.dictionary(
  fc.array(name, { minLength: 1, maxLength: 3 }).map((xs) => xs.join("/") + ".f"),
  fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom(0o644, 0o755, 0o600)),
  { minKeys: 1, maxKeys: 6 }
)

describe("Inspect", () => {
  it.prop("equal content gives equal digests, whatever the write order", [tree], ([files]) => {
    const [a, b] = [tmp(), tmp()]
    const names = Object.keys(files)
    write(a, files, names)
    write(b, files, [...names].reverse())
    const [da, db] = [Effect.runSync(Inspect.treeDigest(a)), Effect.runSync(Inspect.treeDigest(b))]
    fs.rmSync(a, { recursive: true })
    fs.rmSync(b, { recursive: true })
    assert.match(da, /^sha256:[0-9a-f]{64}$/)
    assert.strictEqual(da, db)
  })

  it.prop("one file's mode changes the digest", [tree], ([files]) => {
    const [a, b] = [tmp(), tmp()]
    const names = Object.keys(files)
    write(a, files, names)
    write(b, files, names)
    const first = path.join(b, names[0]!)
    fs.chmodSync(first, (fs.statSync(first).mode & 0o777) ^ 0o100)
    const [da, db] = [Effect.runSync(Inspect.treeDigest(a)), Effect.runSync(Inspect.treeDigest(b))]
    fs.rmSync(a, { recursive: true })
    fs.rmSync(b, { recursive: true })
    assert.notStrictEqual(da, db)
  })

  it.effect("glob fails on an invalid pattern and lists matches in walk order", () =>
    Effect.gen(function*() {
      const root = tmp()
      write(root, { "a.md": ["", 0o644], "b/c.md": ["", 0o644], "b/d.txt": ["", 0o644] }, ["a.md", "b/c.md", "b/d.txt"])
      assert.deepStrictEqual(yield* Inspect.glob(root, "**/*.md"), ["a.md", "b/c.md"])
      const err = yield* Effect.flip(Inspect.glob(root, "[a"))
      assert.strictEqual(err.reason, "InvalidInput")
      fs.rmSync(root, { recursive: true })
    }))

  it.effect("symlink, timestamps and replace actions stay inside the root", () =>
    Effect.gen(function*() {
      const root = tmp()
      const outside = tmp()
      yield* FileActions.apply(root, { _tag: "Symlink", path: "out", target: outside }, undefined)
      yield* FileActions.apply(root, { _tag: "Mkfile", path: "out/f.txt", contents: "x y x", mode: 0o640 }, undefined)
      assert.deepStrictEqual(fs.readdirSync(outside), [])
      yield* FileActions.apply(root, { _tag: "Replace", path: "out/f.txt", search: "x", replacement: "z", all: true }, undefined)
      assert.strictEqual(fs.readFileSync(path.join(root, outside, "f.txt"), "utf8"), "z y z")
      assert.strictEqual(fs.statSync(path.join(root, outside, "f.txt")).mode & 0o777, 0o640)
      yield* FileActions.apply(root, { _tag: "Timestamps", path: "", mtime: 1000 }, undefined)
      assert.strictEqual(fs.statSync(path.join(root, outside, "f.txt")).mtimeMs, 1_000_000)
      assert.strictEqual(fs.lstatSync(path.join(root, "out")).mtimeMs, 1_000_000)
      fs.rmSync(root, { recursive: true })
      fs.rmSync(outside, { recursive: true })
    }))

  it.effect("changedEntries keeps new and changed entries with their parents", () =>
    Effect.gen(function*() {
      const [lower, upper] = [tmp(), tmp()]
      write(lower, { "a": ["1", 0o644], "d/b": ["2", 0o644], "d/c": ["3", 0o644] }, ["a", "d/b", "d/c"])
      write(upper, { "a": ["1", 0o644], "d/b": ["2", 0o755], "d/c": ["3", 0o644], "n": ["4", 0o644] }, ["a", "d/b", "d/c", "n"])
      const entries = yield* Walk.collect(upper)
      assert.deepStrictEqual(Walk.changedEntries(lower, entries).map((e) => e.rel), ["d", "d/b", "n"])
      fs.rmSync(lower, { recursive: true })
      fs.rmSync(upper, { recursive: true })
    }))
})
