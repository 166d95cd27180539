import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Readable } from "node:stream"
import * as TarStream from "tar-stream"
import * as Tar from "../../../src/Dag/internal/Tar.js"
import * as TarHeader from "../../../src/Dag/internal/TarHeader.js"

interface Read {
  readonly name: string
  readonly type: string
  readonly mode: number
  readonly uid: number
  readonly gid: number
  readonly mtime: number
  readonly linkname: string | null
  readonly data: Buffer
}

/** Reads an archive with tar-stream (an independent reader: ustar and pax). */
const readAll = (stream: Readable): Promise<Array<Read>> =>
  new Promise((resolve, reject) => {
    const out: Array<Read> = []
    const ex = TarStream.extract()
    ex.on("entry", (h, body, next) => {
      const chunks: Array<Buffer> = []
      body.on("data", (c) => {
        chunks.push(c as Buffer)
      })
      body.on("end", () => {
        // tar-stream applies pax `path`, `linkpath` and `size` itself and leaves the other records in `pax`
        const pax = (h as { pax?: Record<string, string> }).pax ?? {}
        const num = (key: string, fallback: number) => (pax[key] !== undefined ? Number(pax[key]) : fallback)
        out.push({
          name: h.type === "directory" ? h.name.replace(/\/$/, "") : h.name,
          type: h.type ?? "file",
          mode: (h.mode ?? 0) & 0o7777,
          uid: num("uid", h.uid ?? 0),
          gid: num("gid", h.gid ?? 0),
          mtime: num("mtime", Math.floor((h.mtime?.getTime() ?? 0) / 1000)),
          linkname: h.linkname ?? null,
          data: Buffer.concat(chunks)
        })
        next()
      })
    })
    ex.on("finish", () => resolve(out))
    ex.on("error", reject)
    stream.on("error", reject)
    stream.pipe(ex)
  })

const segment = fc.oneof(
  fc.stringMatching(/^[a-z0-9._-]{1,12}$/),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).map((s) => s.replace(/[/\0]/g, "x"))
).filter((s) => s !== "." && s !== "..")
const name = fc.array(segment, { minLength: 1, maxLength: 8 }).map((xs) => xs.join("/"))
const id = fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0o7777777, max: 4294967294 }))
const mtime = fc.integer({ min: 0, max: 2 ** 34 })

const item = fc.oneof(
  fc.record({
    type: fc.constant("file" as const),
    name,
    mode: fc.integer({ min: 0, max: 0o7777 }),
    uid: id,
    gid: id,
    mtime,
    data: fc.uint8Array({ maxLength: 1500 }).map((a) => Buffer.from(a))
  }),
  fc.record({ type: fc.constant("dir" as const), name, mode: fc.integer({ min: 0, max: 0o7777 }), uid: id, gid: id, mtime }),
  fc.record({
    type: fc.constant("symlink" as const),
    name,
    uid: id,
    gid: id,
    mtime,
    linkname: fc.oneof(name, name.map((n) => "/" + n), fc.constant("../up"))
  })
)

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const toItem = (x: any): Tar.Item => ({ ...x, mtime: new Date(x.mtime * 1000) })

describe("Tar.pack and TarHeader", () => {
  it.effect.prop("what pack writes, tar-stream reads back field for field (long names, big ids via pax)", [
    fc.array(item, { maxLength: 12 })
  ], ([items]) =>
    Effect.promise(async () => {
      const read = await readAll(Tar.pack(items.map(toItem)))
      assert.strictEqual(read.length, items.length)
      items.forEach((x, i) => {
        const r = read[i]!
        assert.strictEqual(r.name, x.name)
        assert.strictEqual(r.type, x.type === "dir" ? "directory" : x.type)
        if (x.type !== "symlink") assert.strictEqual(r.mode, x.mode)
        assert.strictEqual(r.uid, x.uid)
        assert.strictEqual(r.gid, x.gid)
        assert.strictEqual(r.mtime, x.mtime)
        if (x.type === "symlink") assert.strictEqual(r.linkname, x.linkname)
        assert.isTrue(r.data.equals(x.type === "file" ? x.data : Buffer.alloc(0)))
      })
    }))

  it.prop("lastPerName: each name once, the last item of it, in the order names first appear", [
    fc.array(fc.tuple(fc.constantFrom("a", "b", "a/", "c", "b/x"), fc.integer({ min: 0, max: 0o777 })), { maxLength: 12 })
  ], ([pairs]) => {
    const items: Array<Tar.Item> = pairs.map(([name, mode]) => ({ type: "dir", name, mode, mtime: new Date(0) }))
    const out = Tar.lastPerName(items)
    const key = (n: string) => n.replace(/\/+$/, "")
    const keys = out.map((i) => key(i.name))
    assert.strictEqual(new Set(keys).size, keys.length)
    assert.deepStrictEqual(keys, [...new Set(items.map((i) => key(i.name)))])
    for (const item of out) assert.strictEqual(item, items.filter((i) => key(i.name) === key(item.name)).at(-1))
  })

  it.effect.prop("layerInfo gives the exact length of what pack writes, and its names in order", [
    fc.array(item, { maxLength: 12 })
  ], ([items]) =>
    Effect.promise(async () => {
      const xs = items.map(toItem)
      let length = 0
      for await (const chunk of Tar.pack(xs)) length += (chunk as Buffer).length
      const info = Tar.layerInfo(xs)
      assert.strictEqual(info.size, length)
      assert.deepStrictEqual(info.names, items.map((x) => x.name))
    }))

  it("a pax record's length counts itself", () => {
    for (const v of ["", "x", "a".repeat(90), "a".repeat(95), "a".repeat(995)]) {
      const rec = TarHeader.paxRecord("path", v)
      const len = Number(rec.slice(0, rec.indexOf(" ")))
      assert.strictEqual(Buffer.byteLength(rec), len)
    }
  })

  it("every header block has a valid checksum", () => {
    const b = TarHeader.encode({ type: "file", name: "a".repeat(200), mode: 0o644, uid: 1, gid: 2, size: 3, mtime: 4 })
    assert.strictEqual(b.length % TarHeader.BLOCK, 0)
    for (let off = 0; off < b.length; off += TarHeader.BLOCK) {
      const block = b.subarray(off, off + TarHeader.BLOCK)
      if (block[156] !== "x".charCodeAt(0) && block[156] !== "0".charCodeAt(0)) continue
      let sum = 0
      for (let i = 0; i < TarHeader.BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!
      assert.strictEqual(parseInt(block.subarray(148, 154).toString("ascii"), 8), sum)
    }
  })

  it.effect("files on disk are streamed, and GNU tar unpacks them with modes and long names", () =>
    Effect.gen(function*() {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-tar-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(root, { recursive: true, force: true })))
      const src = path.join(root, "big.bin")
      const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0x61)
      fs.writeFileSync(src, big)
      const long = "d".repeat(120) + "/" + "f".repeat(120)
      const out = path.join(root, "out")
      fs.mkdirSync(out)
      yield* Tar.extractTo(Tar.pack([
        { type: "dir", name: "d".repeat(120), mode: 0o750, mtime: new Date(0) },
        { type: "file", name: long, mode: 0o604, mtime: new Date(0), data: Buffer.from("L") },
        { type: "file", name: "big.bin", mode: 0o640, mtime: new Date(0), abs: src, size: big.length },
        { type: "symlink", name: "abs", linkname: "/etc/passwd", mtime: new Date(0) },
        { type: "file", name: "owned", mode: 0o600, mtime: new Date(0), data: Buffer.from("o"), uid: 3000000, gid: 7 }
      ]), out)
      // ids beyond ustar's 7 octal digits travel in a pax header (the tests run as root, so owners are kept)
      assert.deepStrictEqual([fs.statSync(path.join(out, "owned")).uid, fs.statSync(path.join(out, "owned")).gid], [3000000, 7])
      assert.strictEqual(fs.readFileSync(path.join(out, long), "utf8"), "L")
      assert.strictEqual(fs.statSync(path.join(out, long)).mode & 0o7777, 0o604)
      assert.strictEqual(fs.statSync(path.join(out, "d".repeat(120))).mode & 0o7777, 0o750)
      assert.isTrue(fs.readFileSync(path.join(out, "big.bin")).equals(big))
      assert.strictEqual(fs.readlinkSync(path.join(out, "abs")), "/etc/passwd")
    }).pipe(Effect.scoped))

  it.effect("a file that shrank while being archived fails the stream, naming it", () =>
    Effect.gen(function*() {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-tar-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(root, { recursive: true, force: true })))
      const src = path.join(root, "f")
      fs.writeFileSync(src, "short")
      const err = yield* Effect.flip(Effect.tryPromise(() =>
        readAll(Tar.pack([{ type: "file", name: "f", mode: 0o644, mtime: new Date(0), abs: src, size: 100 }]))
      ))
      assert.include(String(err.cause), src)
    }).pipe(Effect.scoped))

  it.effect("an archive GNU tar refuses fails the unpack with tar's message", () =>
    Effect.gen(function*() {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-tar-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(root, { recursive: true, force: true })))
      const err = yield* Effect.flip(Tar.extractTo(Readable.from([Buffer.alloc(1024, 0x41)]), root))
      assert.include(err.message, "tar")
    }).pipe(Effect.scoped))
})
