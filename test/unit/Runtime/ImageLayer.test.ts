import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import { createHash } from "node:crypto"
import { Readable } from "node:stream"
import * as TarStream from "tar-stream"
import * as Tar from "../../../src/Dag/internal/Tar.js"
import * as ImageLayer from "../../../src/Runtime/internal/imageLayer.js"

/** The entries of an archive: name, type, and content. */
const entries = (stream: Readable): Promise<Array<{ name: string; type: string; mode: number; uid: number; data: Buffer }>> =>
  new Promise((resolve, reject) => {
    const out: Array<{ name: string; type: string; mode: number; uid: number; data: Buffer }> = []
    const ex = TarStream.extract()
    ex.on("entry", (h, body, next) => {
      const chunks: Array<Buffer> = []
      body.on("data", (c) => chunks.push(c as Buffer))
      body.on("end", () => {
        out.push({ name: h.name, type: h.type ?? "file", mode: h.mode ?? 0, uid: h.uid ?? 0, data: Buffer.concat(chunks) })
        next()
      })
    })
    ex.on("finish", () => resolve(out))
    ex.on("error", reject)
    stream.on("error", reject)
    stream.pipe(ex)
  })

const segment = fc.stringMatching(/^[a-z]{1,3}$/)
const names = fc.uniqueArray(fc.array(segment, { minLength: 1, maxLength: 4 }).map((xs) => xs.join("/")), { maxLength: 10 })

const part = (items: ReadonlyArray<Tar.Item>): ImageLayer.Part => ({ tar: () => Tar.pack(items), size: Tar.layerInfo(items).size })
const file = (name: string, text: string): Tar.Item => ({ type: "file", name, mode: 0o644, mtime: new Date(0), data: Buffer.from(text) })

const base: ImageLayer.BaseImage = {
  architecture: "amd64",
  os: "linux",
  config: { Cmd: ["sh"], Labels: { from: "base" } },
  diffIds: ["sha256:" + "a".repeat(64), "sha256:" + "b".repeat(64)]
}

describe("ImageLayer", () => {
  it.prop("parentsOf: every proper parent of a name, none of the names, each once, parents first", [names], ([ns]) => {
    const parents = ImageLayer.parentsOf(ns)
    const expected = new Set(ns.flatMap((n) => {
      const segs = n.split("/")
      return segs.slice(1).map((_, i) => segs.slice(0, i + 1).join("/"))
    }).filter((p) => !ns.includes(p)))
    assert.deepStrictEqual(new Set(parents), expected)
    assert.strictEqual(parents.length, expected.size)
    parents.forEach((p, i) => {
      const parent = p.split("/").slice(0, -1).join("/")
      if (parents.includes(parent)) assert.isBelow(parents.indexOf(parent), i)
    })
  })

  it.effect("dirEntries: owners beyond 6 octal digits go in PAX records", () =>
    Effect.promise(async () => {
      const head = await ImageLayer.dirEntries([
        { name: "big", mode: 0o755, uid: 300000, gid: 3000000, mtime: new Date(0) },
        { name: "small", mode: 0o755, uid: 0o777777, gid: 5, mtime: new Date(0) }
      ])
      const pack = TarStream.extract()
      const seen: Array<{ name: string; uid: number; gid: number; pax: Record<string, string> | null }> = []
      pack.on("entry", (h, stream, next) => {
        seen.push({ name: h.name, uid: h.uid ?? 0, gid: h.gid ?? 0, pax: (h.pax ?? null) as Record<string, string> | null })
        stream.resume()
        stream.on("end", next)
      })
      await new Promise<void>((resolve, reject) => {
        pack.on("finish", resolve)
        pack.on("error", reject)
        pack.end(Buffer.concat([head, Buffer.alloc(1024)]))
      })
      assert.strictEqual(seen[0]!.pax?.uid, "300000")
      assert.strictEqual(seen[0]!.pax?.gid, "3000000")
      assert.strictEqual(seen[1]!.pax, null)
      assert.strictEqual(seen[1]!.uid, 0o777777)
    }))

  it.effect("loadArchive: one layer (the parents, then each part without its end), its diff id in the config, a manifest over the base's layers", () =>
    Effect.promise(async () => {
      const head = await ImageLayer.dirEntries([{ name: "usr", mode: 0o1750, uid: 7, gid: 8, mtime: new Date(1000) }])
      const parts = [part([file("usr/a", "A")]), part([file("usr/b", "B"), { type: "dir", name: "d", mode: 0o700, mtime: new Date(0) }])]
      let config: Buffer | undefined
      const outer = await entries(ImageLayer.loadArchive(base, head, parts, { "dirk.engine": "1" }, (c) => {
        config = c
      }))
      assert.deepStrictEqual(outer.map((e) => e.name), ["layer.tar", "config.json", "manifest.json"])
      const layer = outer[0]!.data
      assert.strictEqual(layer.length, ImageLayer.layerSize(head, parts))
      const inner = await entries(Readable.from([layer]))
      assert.deepStrictEqual(inner.map((e) => [e.name, e.type]), [["usr/", "directory"], ["usr/a", "file"], ["usr/b", "file"], ["d/", "directory"]])
      assert.strictEqual(inner[0]!.mode & 0o7777, 0o1750)
      assert.strictEqual(inner[0]!.uid, 7)
      assert.strictEqual(inner[2]!.data.toString(), "B")
      assert.isTrue(config !== undefined && config.equals(outer[1]!.data))
      const parsed = JSON.parse(outer[1]!.data.toString()) as { rootfs: { diff_ids: Array<string> }; config: { Cmd: Array<string>; Labels: Record<string, string> } }
      assert.deepStrictEqual(parsed.rootfs.diff_ids, [...base.diffIds, "sha256:" + createHash("sha256").update(layer).digest("hex")])
      assert.deepStrictEqual(parsed.config.Cmd, ["sh"])
      assert.deepStrictEqual(parsed.config.Labels, { from: "base", "dirk.engine": "1" })
      const manifest = JSON.parse(outer[2]!.data.toString()) as Array<{ Config: string; Layers: Array<string> }>
      assert.strictEqual(manifest[0]!.Config, "config.json")
      assert.strictEqual(manifest[0]!.Layers.length, 3)
      assert.strictEqual(manifest[0]!.Layers[2], "layer.tar")
    }))

  it.effect("loadArchive fails when a part is not the length it announced (its files changed)", () =>
    Effect.promise(async () => {
      const items = [file("a", "A")]
      const wrong: ImageLayer.Part = { tar: () => Tar.pack(items), size: Tar.layerInfo(items).size + 512 }
      const error = await entries(ImageLayer.loadArchive(base, Buffer.alloc(0), [wrong], {}, () => {})).then(() => undefined, (e: unknown) => e)
      assert.include(String(error), "announced")
    }))
})
