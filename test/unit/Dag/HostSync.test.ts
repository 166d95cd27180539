import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { HostSync } from "../../../src/Dag/HostSync.js"
import * as Hashing from "../../../src/Dag/internal/Hashing.js"
import * as Walk from "../../../src/Dag/internal/Walk.js"
import * as PathFilter from "../../../src/Dag/PathFilter.js"
import { Snapshots } from "../../../src/Dag/Snapshots.js"
import { listTree, tempDir, withDag, writeTree } from "./_support.js"

const tree = {
  "a.txt": "hello",
  "src/main.ts": "export {}",
  "src/gen/out.log": "log",
  "node_modules/dep/index.js": "x",
  "empty/": null
}

describe("HostSync", () => {
  it.scoped("equal content at two paths has one digest and one snapshot", () =>
    Effect.gen(function*() {
      const [one, two] = [yield* tempDir(), yield* tempDir()]
      writeTree(one, tree)
      writeTree(two, tree)
      fs.symlinkSync("a.txt", path.join(one, "link"))
      fs.symlinkSync("a.txt", path.join(two, "link"))
      const [a, b] = yield* withDag({}, Effect.gen(function*() {
        const sync = yield* HostSync
        const both = [yield* sync.importDirectory(one), yield* sync.importDirectory(two)] as const
        yield* sync.materialize(both[0].contentDigest)
        return both
      }))
      assert.strictEqual(a.contentDigest, b.contentDigest)
      assert.strictEqual(a.snapshot, b.snapshot)
      assert.match(a.contentDigest, /^sha256:[0-9a-f]{64}$/)
      assert.isTrue(a.snapshot.endsWith(a.contentDigest.slice(7)))
      assert.deepStrictEqual(listTree(a.snapshot), listTree(one))
      assert.strictEqual(fs.readlinkSync(path.join(a.snapshot, "link")), "a.txt")
      assert.strictEqual(fs.readFileSync(path.join(a.snapshot, "src/main.ts"), "utf8"), "export {}")
    }))

  it.scoped("the digest changes when a byte, a mode, a name or a link target changes", () =>
    Effect.gen(function*() {
      const variants: Array<(dir: string) => void> = [
        () => {},
        (d) => fs.writeFileSync(path.join(d, "a.txt"), "hellp"),
        (d) => fs.chmodSync(path.join(d, "a.txt"), 0o755),
        (d) => fs.renameSync(path.join(d, "a.txt"), path.join(d, "b.txt")),
        (d) => fs.chmodSync(path.join(d, "empty"), 0o700),
        (d) => fs.rmdirSync(path.join(d, "empty")),
        (d) => fs.symlinkSync("a.txt", path.join(d, "l")),
        (d) => fs.symlinkSync("b.txt", path.join(d, "l"))
      ]
      const dirs: Array<string> = []
      for (const change of variants) {
        const d = yield* tempDir()
        writeTree(d, tree)
        fs.chmodSync(path.join(d, "a.txt"), 0o644)
        fs.chmodSync(path.join(d, "empty"), 0o755)
        change(d)
        dirs.push(d)
      }
      const digests = yield* withDag({}, Effect.gen(function*() {
        const sync = yield* HostSync
        return yield* Effect.forEach(dirs, (d) => Effect.map(sync.importDirectory(d), (r) => r.contentDigest))
      }))
      assert.strictEqual(new Set(digests).size, digests.length)
    }))

  it.scoped("applies include and exclude filters, keeping parents of included entries", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir()
      writeTree(dir, tree)
      const [excluded, included] = yield* withDag({}, Effect.gen(function*() {
        const sync = yield* HostSync
        const both = [
          yield* sync.importDirectory(dir, { exclude: ["node_modules", "**/*.log"] }),
          yield* sync.importDirectory(dir, { include: ["src/**/*.ts"] })
        ] as const
        yield* Effect.forEach(both, (i) => sync.materialize(i.contentDigest))
        return both
      }))
      assert.deepStrictEqual(listTree(excluded.snapshot), ["a.txt", "empty/", "src/", "src/gen/", "src/main.ts"])
      assert.deepStrictEqual(listTree(included.snapshot), ["src/", "src/main.ts"])
      assert.notStrictEqual(excluded.contentDigest, included.contentDigest)
    }))

  it.scoped("never walks an excluded subtree", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir()
      writeTree(dir, tree)
      const base = PathFilter.make({ exclude: ["node_modules"] })
      const asked: Array<string> = []
      const spy: PathFilter.PathFilter = {
        ...base,
        decide: (p, isDir) => {
          asked.push(p)
          return base.decide(p, isDir)
        }
      }
      const entries = yield* Walk.collect(dir, spy)
      assert.include(asked, "node_modules")
      assert.isFalse(asked.some((p) => p.startsWith("node_modules/")))
      assert.isFalse(entries.some((e) => e.rel.startsWith("node_modules")))
    }))

  it.scoped("imports a file under its basename", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir()
      writeTree(dir, { "one/f.txt": "same", "two/f.txt": "same", "three/g.txt": "same" })
      fs.chmodSync(path.join(dir, "one/f.txt"), 0o600)
      fs.chmodSync(path.join(dir, "two/f.txt"), 0o600)
      const [a, b, c] = yield* withDag({}, Effect.gen(function*() {
        const sync = yield* HostSync
        const files = ["one/f.txt", "two/f.txt", "three/g.txt"]
        const imported = yield* Effect.forEach(files, (p) => sync.importFile(path.join(dir, p)))
        yield* sync.materialize(imported[0]!.contentDigest)
        return imported
      }))
      assert.strictEqual(a!.name, "f.txt")
      assert.strictEqual(a!.contentDigest, b!.contentDigest)
      assert.notStrictEqual(a!.contentDigest, c!.contentDigest)
      assert.deepStrictEqual(listTree(a!.snapshot), ["f.txt"])
      assert.strictEqual(fs.statSync(path.join(a!.snapshot, "f.txt")).mode & 0o777, 0o600)
    }))

  it.scoped("hashes on import and copies only when the content is first needed; a changed host tree is an error", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir()
      const other = yield* tempDir()
      writeTree(dir, tree)
      const out = yield* withDag({}, Effect.gen(function*() {
        const sync = yield* HostSync
        const snapshots = yield* Snapshots
        const imported = yield* sync.importDirectory(dir)
        const existsAfterImport = yield* snapshots.exists(imported.contentDigest)
        const live = yield* sync.liveEntries(imported.contentDigest)
        const made = yield* sync.materialize(imported.contentDigest)
        const liveAfter = yield* sync.liveEntries(imported.contentDigest)
        // a second tree, changed on the host after it was hashed
        writeTree(other, { "f.txt": "one" })
        const changed = yield* sync.importDirectory(other)
        fs.writeFileSync(path.join(other, "f.txt"), "two!")
        const streamErr = yield* Effect.flip(sync.liveEntries(changed.contentDigest))
        const again = yield* sync.importDirectory(other)
        fs.rmSync(path.join(other, "f.txt"))
        const copyErr = yield* Effect.flip(sync.materialize(again.contentDigest))
        const leftovers = fs.readdirSync(path.join(snapshots.stateDir, "tmp"))
        const neverImported = yield* Effect.flip(sync.materialize("sha256:" + "0".repeat(64)))
        return { imported, existsAfterImport, live, made, liveAfter, streamErr, copyErr, leftovers, neverImported }
      }))
      assert.isFalse(out.existsAfterImport)
      assert.deepStrictEqual(out.live?.map((e) => e.rel), ["a.txt", "empty", "node_modules", "node_modules/dep", "node_modules/dep/index.js", "src", "src/gen", "src/gen/out.log", "src/main.ts"])
      assert.strictEqual(out.made, out.imported.snapshot)
      assert.deepStrictEqual(listTree(out.made), listTree(dir))
      assert.isUndefined(out.liveAfter)
      assert.include(out.streamErr.message, "changed on the host since it was read (f.txt")
      assert.include(out.copyErr.message, "f.txt")
      assert.deepStrictEqual(out.leftovers, [])
      assert.strictEqual(out.neverImported.reason, "PathNotFound")
    }))

  it.scoped("names the missing path", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir()
      const missing = path.join(dir, "nope")
      const [d, f] = yield* withDag({}, Effect.gen(function*() {
        const sync = yield* HostSync
        const d = yield* Effect.flip(sync.importDirectory(missing))
        return [d, yield* Effect.flip(sync.importFile(missing))] as const
      }))
      assert.strictEqual(d.reason, "PathNotFound")
      assert.strictEqual(d.message, `no such directory on the host: ${missing}`)
      assert.strictEqual(f.message, `no such file on the host: ${missing}`)
    }))
})

describe("Snapshots", () => {
  it.scoped("create fills once, concurrent creates of one key are safe, failures leave nothing", () =>
    Effect.gen(function*() {
      const result = yield* withDag({}, Effect.gen(function*() {
        const snapshots = yield* Snapshots
        let fills = 0
        const fill = (dir: string) =>
          Effect.gen(function*() {
            fills++
            yield* Effect.yieldNow()
            fs.writeFileSync(path.join(dir, "x"), "1")
          })
        const paths = yield* Effect.all(Array.from({ length: 5 }, () => snapshots.create("k1", fill)), {
          concurrency: "unbounded"
        })
        const again = yield* snapshots.create("k1", fill)
        const failed = yield* Effect.flip(snapshots.create("k2", () => Effect.fail("boom" as const)))
        const leftovers = fs.readdirSync(path.join(snapshots.stateDir, "tmp"))
        return { paths, again, failed, fills, exists2: yield* snapshots.exists("k2"), leftovers, root: snapshots.root }
      }))
      assert.strictEqual(new Set(result.paths).size, 1)
      assert.strictEqual(result.again, result.paths[0])
      assert.isAtMost(result.fills, 5)
      assert.strictEqual(result.failed, "boom")
      assert.isFalse(result.exists2)
      assert.deepStrictEqual(result.leftovers, [])
    }))
})

describe("HostSync: incremental", () => {
  it.scoped("a second copy of a changed tree links the unchanged files to the first one and copies the changed one", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir()
      writeTree(dir, { "a.txt": "same", "sub/b.txt": "same too", "c.txt": "before" })
      const [first, second] = yield* withDag({}, Effect.gen(function*() {
        const sync = yield* HostSync
        const one = yield* sync.importDirectory(dir)
        yield* sync.materialize(one.contentDigest)
        fs.writeFileSync(path.join(dir, "c.txt"), "after!")
        const two = yield* sync.importDirectory(dir)
        yield* sync.materialize(two.contentDigest)
        return [one, two] as const
      }))
      assert.notStrictEqual(first.contentDigest, second.contentDigest)
      const ino = (root: string, rel: string) => fs.statSync(path.join(root, rel)).ino
      assert.strictEqual(ino(second.snapshot, "a.txt"), ino(first.snapshot, "a.txt"))
      assert.strictEqual(ino(second.snapshot, "sub/b.txt"), ino(first.snapshot, "sub/b.txt"))
      assert.notStrictEqual(ino(second.snapshot, "c.txt"), ino(first.snapshot, "c.txt"))
      assert.strictEqual(fs.readFileSync(path.join(second.snapshot, "c.txt"), "utf8"), "after!")
      assert.strictEqual(fs.readFileSync(path.join(first.snapshot, "c.txt"), "utf8"), "before")
      assert.deepStrictEqual(listTree(second.snapshot), listTree(dir))
    }))
})

describe("Hashing", () => {
  it.scoped("reuses a file's hash while its size, mtime, inode and change time stay (no read)", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir()
      writeTree(dir, { "f.txt": "content" })
      const hasher = yield* Hashing.make()
      const entries = yield* Walk.collect(dir)
      const [first] = yield* hasher.hashFiles(entries)
      assert.strictEqual(first, createHash("sha256").update("content").digest("hex"))
      // the same stat, but the file is gone: served from the cache, so not read
      fs.rmSync(path.join(dir, "f.txt"))
      const [again] = yield* hasher.hashFiles(entries)
      assert.strictEqual(again, first)
      // another inode (or size, mtime, ctime): read again, and a missing file is an error naming it
      const moved = entries.map((e) => ({ ...e, ino: (e.ino ?? 0) + 1 }))
      const err = yield* Effect.flip(hasher.hashFiles(moved))
      assert.strictEqual(err.path, path.join(dir, "f.txt"))
    }))

  it.scoped("hashes many bytes in worker threads, with the same hashes as on this thread", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir()
      const files: Record<string, string> = {}
      for (let i = 0; i < 40; i++) files[`d${i % 4}/f${i}.bin`] = `${i}`.repeat(600_000)
      writeTree(dir, files)
      const hasher = yield* Hashing.make()
      const entries = yield* Walk.collect(dir)
      const parallel = yield* hasher.hashFiles(entries)
      const buf = Buffer.allocUnsafe(1 << 20)
      const serial = entries.map((e) => (e.type === "file" ? Hashing.hashFileSync(e.abs, e.size, buf) : undefined))
      assert.deepStrictEqual(parallel, serial)
      assert.strictEqual(parallel.filter((h) => h !== undefined).length, 40)
    }))
})
