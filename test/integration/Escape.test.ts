/**
 * Paths that escape (issue 3, "Bad input"): `..` in paths, absolute and relative symlinks in a tree being written to
 * or exported, tar entries with `..` or absolute names in an imported image's layer. Nothing is ever written outside
 * the target: a `Directory` or a container's rootfs (where `..` stops at the root and symlinks resolve inside it, as
 * in Dagger) or the export destination on the host. Through an in-process session whose client workdir is a temp dir.
 */
import { createHash, randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as TarStream from "tar-stream"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SessionInfo } from "../../src/Engine/Engine.js"
import { openSession, query } from "../support/session.js"

let session: SessionInfo
let close: () => Promise<void>
/** The client's workdir; every test works below it, and checks that nothing appeared next to its targets. */
let work: string
/** A unique marker: files named with it must never appear on the host outside a target. */
const mark = `dirk-escape-${randomBytes(4).toString("hex")}`

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-escape-"))
  ;({ session, close } = await openSession(work))
})
afterAll(async () => {
  await close?.()
  fs.rmSync(work, { recursive: true, force: true })
})

const base = `container { from(address: "dirk.local/busybox:latest")`
const balance = (q: string) => q + "}".repeat(Math.max(0, (q.match(/{/g) ?? []).length - (q.match(/}/g) ?? []).length))
const ok = async (q: string) => {
  const r = await query(session, balance(q))
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined()
  return r.data
}
/** The last object of a single-path selection (`a { b { c } }` → data.a.b). */
const leaf = (d: any): any => {
  let cur = d
  for (;;) {
    const keys = Object.keys(cur ?? {})
    if (keys.length !== 1 || typeof cur[keys[0]!] !== "object" || cur[keys[0]!] === null) return cur
    const next = cur[keys[0]!]
    if (Array.isArray(next)) return cur
    cur = next
  }
}

/** Every file name under `dir` (recursive, not following symlinks), relative. */
const tree = (dir: string): Array<string> =>
  (fs.readdirSync(dir, { recursive: true }) as Array<string>).map(String).sort()

/** No file whose name contains the marker exists on the host in `dirs` (not recursive) or at `/`, `/etc`, `/tmp`. */
const noneOutside = (...dirs: ReadonlyArray<string>) => {
  for (const d of [...dirs, "/", "/etc", "/tmp", os.tmpdir()]) {
    const hits = fs.existsSync(d) ? fs.readdirSync(d).filter((n) => n.includes(mark)) : []
    expect(hits, `written outside the target in ${d}`).toEqual([])
  }
}

describe("paths with .. stay inside the target", () => {
  it("Directory: withNewFile, withFile, withDirectory, withNewDirectory clamp .. at the directory's root", async () => {
    const s = leaf(await ok(`{ directory { withNewFile(path: "s.txt", contents: "S") { id } } }`)).id
    const file = leaf(await ok(`{ directory { withNewFile(path: "s.txt", contents: "S") { file(path: "s.txt") { id } } } }`)).id
    const q = `{ directory {
      withNewFile(path: "../${mark}-a", contents: "A") {
      withNewFile(path: "sub/../../../${mark}-b", contents: "B") {
      withFile(path: "a/../../${mark}-c", source: "${file}") {
      withDirectory(path: "../../", source: "${s}") {
      withDirectory(path: "x/../../../y", source: "${s}") {
      withNewDirectory(path: "../../${mark}-d") {
      glob(pattern: "**")
      export(path: "out") } } } } } } } }`
    const r = leaf(await ok(q))
    expect(r.glob.sort()).toEqual([`${mark}-a`, `${mark}-b`, `${mark}-c`, `${mark}-d`, "s.txt", "y", "y/s.txt"].sort())
    expect(tree(path.join(work, "out"))).toEqual(r.glob.sort())
    noneOutside(work, path.dirname(work))
  })

  it("Container: withNewFile, withFile, withDirectory clamp .. at the rootfs root (also from a workdir)", async () => {
    const file = leaf(await ok(`{ directory { withNewFile(path: "f.txt", contents: "F") { file(path: "f.txt") { id } } } }`)).id
    const dir = leaf(await ok(`{ directory { withNewFile(path: "d.txt", contents: "D") { id } } }`)).id
    const r = leaf(await ok(`{ ${base} { withWorkdir(path: "/w/x") {
      withNewFile(path: "../../../../${mark}-a", contents: "A") {
      withFile(path: "a/../../../../../${mark}-b", source: "${file}") {
      withDirectory(path: "../../../../", source: "${dir}") {
      withNewFile(path: "/../../${mark}-c", contents: "C") {
      withExec(args: ["sh", "-c", "ls / | grep -e ${mark} -e d.txt; cat /${mark}-a /${mark}-b /${mark}-c /d.txt"]) { stdout } } } } } } } }`))
    expect(r.stdout).toBe(`d.txt\n${mark}-a\n${mark}-b\n${mark}-c\nAFCD`)
    noneOutside(work)
  })
})

describe("symlinks in a tree never lead outside it", () => {
  it("Directory: writes through an absolute and a relative symlink land inside; export keeps the links verbatim", async () => {
    const outside = path.join(work, `${mark}-outside`)
    const r = leaf(await ok(`{ directory {
      withSymlink(target: "/etc", linkName: "sys") {
      withSymlink(target: "../../x", linkName: "up") {
      withSymlink(target: "${outside}", linkName: "abs") {
      withNewFile(path: "sys/${mark}-passwd", contents: "p") {
      withNewFile(path: "up/${mark}-up", contents: "u") {
      withNewFile(path: "abs/${mark}-abs", contents: "a") {
      glob(pattern: "**")
      export(path: "links") } } } } } } } }`))
    // the symlinks resolve with the directory as root: /etc → etc/, ../../x → x/, the absolute path below the root
    expect(r.glob).toContain(`etc/${mark}-passwd`)
    expect(r.glob).toContain(`x/${mark}-up`)
    expect(fs.existsSync(outside)).toBe(false)
    expect(fs.existsSync(`/etc/${mark}-passwd`)).toBe(false)
    const dest = path.join(work, "links")
    expect(fs.readlinkSync(path.join(dest, "up"))).toBe("../../x")
    expect(fs.readFileSync(path.join(dest, "x", `${mark}-up`), "utf8")).toBe("u")
    expect(fs.readlinkSync(path.join(dest, "sys"))).toBe("/etc")
    noneOutside(work, path.dirname(work))
    // `etc` → `/etc` resolves to itself with the directory as root: a loop, an error naming the path
    const loop = await query(session, `{ directory { withSymlink(target: "/etc", linkName: "etc") {
      withNewFile(path: "etc/${mark}", contents: "p") { entries } } } }`)
    expect(loop.errors?.[0]?.message).toMatch(new RegExp(`etc/${mark}: too many levels of symbolic links`))
    expect(fs.existsSync(`/etc/${mark}`)).toBe(false)
  })

  it("Directory.export over a destination whose links point outside replaces or refuses them, never writes through", async () => {
    const dest = path.join(work, "prelinked")
    const outsideDir = path.join(work, "prelink-target-dir")
    const outsideFile = path.join(work, "prelink-target-file")
    fs.mkdirSync(dest)
    fs.mkdirSync(outsideDir)
    fs.writeFileSync(outsideFile, "original")
    fs.symlinkSync(outsideFile, path.join(dest, "f.txt"))
    fs.symlinkSync(outsideDir, path.join(dest, "sub"))
    // a file over a symlink to a file: the link is replaced
    await ok(`{ directory { withNewFile(path: "f.txt", contents: "new") { export(path: "prelinked") } } }`)
    expect(fs.readFileSync(outsideFile, "utf8")).toBe("original")
    expect(fs.lstatSync(path.join(dest, "f.txt")).isSymbolicLink()).toBe(false)
    expect(fs.readFileSync(path.join(dest, "f.txt"), "utf8")).toBe("new")
    // a directory over a symlink to a directory: an error naming the destination, nothing written through it
    const r = await query(session, `{ directory { withNewFile(path: "sub/${mark}-in", contents: "x") { export(path: "prelinked") } } }`)
    expect(r.errors?.[0]?.message).toMatch(/cannot export to .*prelinked/)
    expect(fs.readdirSync(outsideDir)).toEqual([])
    // a single file exported onto a symlink replaces the link
    const f = leaf(await ok(`{ directory { withNewFile(path: "g.txt", contents: "G") { file(path: "g.txt") { export(path: "prelinked/f.txt") } } } }`))
    expect(f.export).toBe(path.join(dest, "f.txt"))
    expect(fs.readFileSync(outsideFile, "utf8")).toBe("original")
  })

  it("Container: an absolute symlink resolves in the rootfs; its directory exports with the link verbatim", async () => {
    const r = leaf(await ok(`{ ${base} {
      withSymlink(target: "/etc", linkName: "/data/etc") {
      withSymlink(target: "../../../../tmp", linkName: "/data/up") {
      withNewFile(path: "/data/etc/${mark}", contents: "e") {
      withNewFile(path: "/data/up/${mark}", contents: "t") {
      withExec(args: ["sh", "-c", "cat /etc/${mark} /tmp/${mark}"]) { stdout
      directory(path: "/data") { export(path: "from-container") entries } } } } } } } }`))
    expect(r.stdout).toBe("et")
    const dest = path.join(work, "from-container")
    expect(fs.readlinkSync(path.join(dest, "etc"))).toBe("/etc")
    expect(fs.readlinkSync(path.join(dest, "up"))).toBe("../../../../tmp")
    noneOutside(work)
    // copied into a Directory, a write through the absolute link stays inside that directory
    const copied = leaf(await ok(`{ ${base} { withSymlink(target: "/etc", linkName: "/data/conf") {
      directory(path: "/data") { withNewFile(path: "conf/${mark}-copy", contents: "c") { glob(pattern: "**") export(path: "copied") } } } } }`))
    expect(copied.glob).toContain(`etc/${mark}-copy`)
    expect(fs.readlinkSync(path.join(work, "copied", "conf"))).toBe("/etc")
    noneOutside(work)
  })
})

/** A docker archive (`docker save` layout) with one layer made of `entries`. */
interface LayerEntry {
  readonly name: string
  readonly body?: string
  readonly type?: "file" | "directory" | "symlink"
  readonly linkname?: string
  readonly mode?: number
}
const dockerArchive = async (entries: ReadonlyArray<LayerEntry>): Promise<Buffer> => {
  const collect = async (p: TarStream.Pack) => {
    const chunks: Array<Buffer> = []
    for await (const c of p) chunks.push(c as Buffer)
    return Buffer.concat(chunks)
  }
  const layer = TarStream.pack()
  for (const { body, ...header } of entries) layer.entry({ ...header, mode: header.mode ?? 0o644 }, body ?? "")
  layer.finalize()
  const layerBytes = await collect(layer)
  const diffId = "sha256:" + createHash("sha256").update(layerBytes).digest("hex")
  const config = Buffer.from(JSON.stringify({
    architecture: "amd64",
    os: "linux",
    config: { Cmd: ["sh"] },
    rootfs: { type: "layers", diff_ids: [diffId] }
  }))
  const outer = TarStream.pack()
  outer.entry({ name: "layer.tar" }, layerBytes)
  outer.entry({ name: "config.json" }, config)
  outer.entry({ name: "manifest.json" }, JSON.stringify([{ Config: "config.json", RepoTags: null, Layers: ["layer.tar"] }]))
  outer.finalize()
  return collect(outer)
}

describe("image layers with escaping entries", () => {
  it("Container.import: an absolute entry name lands inside the rootfs; the container exports back", async () => {
    fs.writeFileSync(path.join(work, "abs.tar"), await dockerArchive([
      { name: "ok.txt", body: "ok" },
      { name: `/abs/${mark}`, body: "abs" },
      { name: "link", type: "symlink", linkname: "/etc" }
    ]))
    const f = leaf(await ok(`{ host { file(path: "abs.tar") { id } } }`)).id
    const r = leaf(await ok(`{ container { import(source: "${f}") {
      ok: file(path: "/ok.txt") { contents } abs: file(path: "/abs/${mark}") { contents }
      link: stat(path: "/link", doNotFollowSymlinks: true) { fileType }
      export(path: "abs-export.tar")
      directory(path: "/abs") { export(path: "abs-dir") } } } }`))
    expect([r.ok.contents, r.abs.contents, r.link.fileType]).toEqual(["ok", "abs", "SYMLINK"])
    expect(r.export).toBe(path.join(work, "abs-export.tar"))
    expect(fs.statSync(path.join(work, "abs-export.tar")).size).toBeGreaterThan(0)
    expect(tree(path.join(work, "abs-dir"))).toEqual([mark])
    expect(fs.existsSync(`/abs/${mark}`)).toBe(false)
    noneOutside(work)
  })

  it("Container.import: layer entries with .. stop at the rootfs root; a write through a symlink to /etc stays in it", async () => {
    // as Docker and containerd apply layers (and Dagger with them): `..` is clamped at the root, symlinks resolve
    // inside the rootfs
    fs.writeFileSync(path.join(work, "dotdot.tar"), await dockerArchive([
      { name: "ok.txt", body: "ok" },
      { name: `../${mark}`, body: "up" },
      { name: `a/../../../${mark}-2`, body: "up2" }
    ]))
    fs.writeFileSync(path.join(work, "through.tar"), await dockerArchive([
      { name: "etc/", type: "directory", mode: 0o755 },
      { name: "link", type: "symlink", linkname: "/etc" },
      { name: `link/${mark}`, body: "through" }
    ]))
    const files = async (name: string) => {
      const f = leaf(await ok(`{ host { file(path: "${name}") { id } } }`)).id
      const r = leaf(await ok(`{ container { import(source: "${f}") { rootfs { glob(pattern: "**") } } } }`))
      return (r.glob as Array<string>).filter((p) => p.includes(mark) || p === "ok.txt")
    }
    expect(await files("dotdot.tar")).toEqual([mark, `${mark}-2`, "ok.txt"])
    expect(await files("through.tar")).toEqual([`etc/${mark}`])
    expect(fs.existsSync(`/etc/${mark}`)).toBe(false)
    noneOutside(work, path.dirname(work), "/etc")
  })
})

describe("host paths with .. (the client's own paths, as in Dagger)", () => {
  it("File.export and Directory.export resolve .. against the client's workdir", async () => {
    const sub = path.join(work, "nested", "cwd")
    fs.mkdirSync(sub, { recursive: true })
    const s = await startNested(sub)
    try {
      const r = await query(s, `{ directory { withNewFile(path: "f.txt", contents: "F") {
        file(path: "f.txt") { export(path: "../f-up.txt") }
        export(path: "../../d-up") } } }`)
      expect(r.errors, JSON.stringify(r.errors)).toBeUndefined()
      expect(r.data.directory.withNewFile.file.export).toBe(path.join(work, "nested", "f-up.txt"))
      expect(r.data.directory.withNewFile.export).toBe(path.join(work, "d-up"))
      expect(fs.readFileSync(path.join(work, "nested", "f-up.txt"), "utf8")).toBe("F")
      expect(tree(path.join(work, "d-up"))).toEqual(["f.txt"])
    } finally {
      await s.close()
    }
  })
})

/** A second session whose client workdir is `dir` (same engine process layout as the main one). */
const startNested = async (dir: string) => {
  const o = await openSession(dir)
  return Object.assign(o.session, { close: o.close })
}
