import { afterAll, assert, describe, it, layer } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Queue } from "effect"
import { FastCheck as fc } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { Readable } from "node:stream"
import * as TarStream from "tar-stream"
import { HostSync } from "../../../src/Dag/HostSync.js"
import * as Tar from "../../../src/Dag/internal/Tar.js"
import * as Op from "../../../src/Dag/Op.js"
import { exitCodeAllowed, Solver } from "../../../src/Dag/Solver.js"
import { Snapshots } from "../../../src/Dag/Snapshots.js"
import {
  type ArchivePut,
  ContainerError,
  type ImageConfig,
  type RunResult,
  type RunSpec
} from "../../../src/Runtime/ContainerRuntime.js"
import { dagLayer, listTree, tempDir, withDag, writeTree } from "./_support.js"

const config: ImageConfig = { env: [], entrypoint: [], cmd: [], workdir: "", user: "", labels: {}, exposedPorts: [] }
const resolved = (ref: string) => ({ imageId: `sha256:img-${ref}`, config })
const result = (over: Partial<RunResult> = {}): RunResult => ({
  exitCode: 0,
  stdout: Buffer.from(""),
  stderr: Buffer.from(""),
  imageId: "sha256:committed",
  ...over
})
const meta = (args: ReadonlyArray<string>, over: Partial<Op.ExecMeta> = {}): Op.ExecMeta => ({
  args,
  env: [],
  workdir: "",
  user: "",
  stdin: "",
  redirectStdout: "",
  redirectStderr: "",
  expect: "SUCCESS",
  tmpfs: [],
  ...over
})
const busybox = Op.image("busybox")
const dirMount = (target: string, source: Op.Op, readOnly = false, sourcePath = ""): Op.ExecMount => ({
  target,
  source,
  sourcePath,
  kind: "dir",
  readOnly
})
const copyAll = (source: Op.Op, sourcePath = "", dest = "/"): Extract<Op.FileAction, { _tag: "Copy" }> => ({
  _tag: "Copy",
  source,
  sourcePath,
  dest,
  include: [],
  exclude: []
})
const baseFake = { resolveImage: (ref: string) => Effect.succeed(resolved(ref)) }

interface TarEntry {
  readonly name: string
  readonly type: string
  readonly mode: number
  readonly data: string
}

const readTar = (stream: Readable): Promise<Array<TarEntry>> =>
  new Promise((resolve, reject) => {
    const out: Array<TarEntry> = []
    const ex = TarStream.extract()
    ex.on("entry", (header, body, next) => {
      const chunks: Array<Buffer> = []
      body.on("data", (c) => {
        chunks.push(c as Buffer)
      })
      body.on("end", () => {
        out.push({
          // a directory's name may end in "/" (GNU tar and dirk's packer write it so): compare without it
          name: header.type === "directory" ? header.name.replace(/\/$/, "") : header.name,
          type: header.type ?? "file",
          mode: (header.mode ?? 0) & 0o7777,
          data: Buffer.concat(chunks).toString()
        })
        next()
      })
    })
    ex.on("finish", () => resolve(out))
    ex.on("error", reject)
    stream.on("error", reject)
    stream.pipe(ex)
  })

const readPuts = (puts: ReadonlyArray<ArchivePut>) =>
  Effect.promise(() => Promise.all(puts.map(async (p) => ({ path: p.path, entries: await readTar(p.tar()) }))))

describe("exitCodeAllowed", () => {
  it("follows the table", () => {
    for (let code = 0; code <= 255; code++) {
      const normal = code <= 127 || code >= 192
      assert.strictEqual(exitCodeAllowed("SUCCESS", code), code === 0, `SUCCESS ${code}`)
      assert.strictEqual(exitCodeAllowed("FAILURE", code), normal && code !== 0, `FAILURE ${code}`)
      assert.strictEqual(exitCodeAllowed("ANY", code), normal, `ANY ${code}`)
    }
    assert.isFalse(exitCodeAllowed("ANY", -1))
    assert.isFalse(exitCodeAllowed("ANY", 256))
  })
})

describe("Solver", () => {
  it.scoped("concurrent requests for one digest run once, and an interrupted caller does not cancel the run", () =>
    Effect.gen(function*() {
      let resolves = 0
      let runs = 0
      const started = yield* Deferred.make<void>()
      const gate = yield* Deferred.make<void>()
      const fake = {
        resolveImage: (ref: string) =>
          Effect.sync(() => resolves++).pipe(
            Effect.zipRight(Deferred.succeed(started, undefined)),
            Effect.zipRight(Deferred.await(gate)),
            Effect.as(resolved(ref))
          ),
        run: () => Effect.sync(() => runs++).pipe(Effect.as(result({ stdout: Buffer.from("hi") })))
      }
      const out = yield* withDag(fake, Effect.gen(function*() {
        const solver = yield* Solver
        const e = Op.exec(busybox, [], meta(["echo", "hi"]))
        const impatient = yield* Effect.fork(solver.exec(e))
        const waiting = yield* Effect.fork(
          Effect.all([solver.exec(e), solver.exec(e), solver.image(busybox)], { concurrency: "unbounded" })
        )
        yield* Deferred.await(started)
        for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
        yield* Fiber.interrupt(impatient)
        yield* Deferred.succeed(gate, undefined)
        const all = yield* Fiber.join(waiting)
        const later = yield* solver.exec(e)
        return { all, later }
      }))
      assert.strictEqual(resolves, 1)
      assert.strictEqual(runs, 1)
      assert.strictEqual(out.all[0].stdout, "hi")
      assert.strictEqual(out.all[2], "sha256:img-busybox")
      assert.deepStrictEqual(out.later, out.all[0])
    }))

  it.scopedLive("when every caller of an unfinished run is interrupted, the run is interrupted (and a later call runs anew)", () =>
    Effect.gen(function*() {
      let runs = 0
      let interrupted = 0
      const started = yield* Deferred.make<void>()
      const fake = {
        ...baseFake,
        run: () =>
          Effect.sync(() => runs++).pipe(
            Effect.zipRight(Deferred.succeed(started, undefined)),
            Effect.zipRight(Effect.never),
            Effect.onInterrupt(() => Effect.sync(() => interrupted++))
          )
      }
      yield* withDag(fake, Effect.gen(function*() {
        const solver = yield* Solver
        const e = Op.exec(busybox, [], meta(["sleep", "1000"]))
        const a = yield* Effect.fork(solver.exec(e))
        const b = yield* Effect.fork(solver.exec(e))
        yield* Deferred.await(started)
        yield* Fiber.interrupt(a)
        for (let i = 0; i < 10; i++) yield* Effect.yieldNow()
        assert.strictEqual(interrupted, 0, "one caller is still waiting")
        yield* Fiber.interrupt(b)
        for (let i = 0; i < 50 && interrupted === 0; i++) yield* Effect.sleep("1 millis")
        assert.strictEqual(interrupted, 1)
        const c = yield* Effect.fork(solver.exec(e))
        for (let i = 0; i < 50 && runs < 2; i++) yield* Effect.sleep("1 millis")
        yield* Fiber.interrupt(c)
      }))
      assert.strictEqual(runs, 2)
    }))

  it.scoped("evaluates independent inputs in parallel", () =>
    Effect.gen(function*() {
      let started = 0
      const bothStarted = yield* Deferred.make<void>()
      const fake = {
        ...baseFake,
        run: (spec: RunSpec) =>
          Effect.gen(function*() {
            started++
            if (started === 2) yield* Deferred.succeed(bothStarted, undefined)
            // each exec only finishes once the other one has started too
            yield* Deferred.await(bothStarted)
            fs.writeFileSync(path.join(spec.binds[0]!.source, `${spec.args[1]}.txt`), spec.args[1]!)
            return result()
          })
      }
      const listing = yield* withDag(fake, Effect.gen(function*() {
        const solver = yield* Solver
        const out = (name: string) => {
          const e = Op.exec(busybox, [dirMount("/out", Op.emptyDir)], meta(["write", name]))
          return Op.execOutput(e, "/out")
        }
        const merged = Op.dirFile(Op.emptyDir, [copyAll(out("a")), copyAll(out("b"))])
        return listTree(yield* solver.snapshot(merged))
      }), { DIRK_MAX_PARALLEL: "4" })
      assert.deepStrictEqual(listing, ["a.txt", "b.txt"])
    }), 20_000)

  it.scoped("execs take a slot from a bounded pool", () =>
    Effect.gen(function*() {
      let active = 0
      let peak = 0
      const fake = {
        ...baseFake,
        run: () =>
          Effect.gen(function*() {
            active++
            peak = Math.max(peak, active)
            for (let i = 0; i < 20; i++) yield* Effect.yieldNow()
            active--
            return result()
          })
      }
      yield* withDag(fake, Effect.gen(function*() {
        const solver = yield* Solver
        yield* Effect.forEach(["a", "b", "c"], (n) => solver.exec(Op.exec(busybox, [], meta(["run", n]))), {
          concurrency: "unbounded"
        })
      }), { DIRK_MAX_PARALLEL: "1" })
      assert.strictEqual(peak, 1)
    }))

  it.scoped("failures are not cached", () =>
    Effect.gen(function*() {
      let runs = 0
      let resolves = 0
      const fake = {
        resolveImage: (ref: string) =>
          Effect.suspend(() =>
            ++resolves === 1
              ? Effect.fail(new ContainerError({ reason: "DaemonUnavailable", detail: "daemon down" }))
              : Effect.succeed(resolved(ref))
          ),
        run: () => Effect.sync(() => result({ exitCode: ++runs === 1 ? 1 : 0, stderr: Buffer.from("  boom\n") }))
      }
      const out = yield* withDag(fake, Effect.gen(function*() {
        const solver = yield* Solver
        const e = Op.exec(busybox, [], meta(["flaky"]))
        const first = yield* Effect.exit(solver.exec(e))
        const second = yield* Effect.exit(solver.exec(e))
        const third = yield* Effect.exit(solver.exec(e))
        return { first, second, third }
      }))
      assert.isTrue(Exit.isFailure(out.first))
      if (Exit.isFailure(out.first)) assert.include(String(out.first.cause), "daemon down")
      assert.isTrue(Exit.isFailure(out.second))
      if (Exit.isFailure(out.second)) assert.include(String(out.second.cause), "exit code: 1")
      assert.isTrue(Exit.isSuccess(out.third))
      assert.strictEqual(runs, 2)
      assert.strictEqual(resolves, 2)
    }))

  it.scoped("passes the exec's spec to the runtime", () =>
    Effect.gen(function*() {
      const specs: Array<RunSpec> = []
      const src = yield* tempDir()
      writeTree(src, { "f.txt": "x" })
      const fake = {
        ...baseFake,
        run: (spec: RunSpec) => Effect.sync(() => specs.push(spec)).pipe(Effect.as(result()))
      }
      const noCommand = yield* withDag(fake, Effect.gen(function*() {
        const solver = yield* Solver
        const sync = yield* HostSync
        const imported = yield* sync.importDirectory(src)
        const local = Op.local(src, imported.contentDigest, imported.snapshot)
        yield* solver.exec(Op.exec(busybox, [
          { target: "/src", source: local, sourcePath: "", kind: "dir", readOnly: true },
          { target: "/f", source: local, sourcePath: "f.txt", kind: "file", readOnly: true }
        ], meta(["ls"], { env: [["A", "1"]], stdin: "in", tmpfs: ["/tmp"], user: "nobody" })))
        yield* solver.exec(Op.exec(busybox, [], meta(["ls"], { env: [["PATH", "/bin"]], workdir: "/w" })))
        return yield* Effect.flip(solver.exec(Op.exec(busybox, [], meta([]))))
      }))
      const [a, b] = specs
      assert.deepStrictEqual(a!.env, ["A=1", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
      assert.strictEqual(a!.workdir, "/")
      assert.strictEqual(a!.image, "sha256:img-busybox")
      assert.strictEqual(a!.user, "nobody")
      assert.strictEqual(a!.stdin, "in")
      assert.deepStrictEqual(a!.tmpfs, ["/tmp"])
      assert.isTrue(a!.commit)
      assert.deepStrictEqual(a!.binds.map((x) => [x.target, x.readOnly]), [["/src", true], ["/f", true]])
      assert.strictEqual(fs.readFileSync(a!.binds[1]!.source, "utf8"), "x")
      assert.deepStrictEqual(b!.env, ["PATH=/bin"])
      assert.strictEqual(b!.workdir, "/w")
      assert.strictEqual(noCommand._tag, "DagError")
      if (noCommand._tag === "DagError") assert.strictEqual(noCommand.reason, "NoCommand")
      assert.strictEqual(noCommand.message, "no command has been set")
      assert.strictEqual(specs.length, 2)
    }))

  it.scoped("maps a missing image to ImageNotFound naming the image", () =>
    Effect.gen(function*() {
      const fake = {
        resolveImage: (ref: string) =>
          Effect.fail(new ContainerError({ reason: "ImageNotFound", detail: `image not found: ${ref}`, image: ref }))
      }
      const error = yield* withDag(fake, Effect.flip(Effect.flatMap(Solver, (s) => s.image(Op.image("nope:1")))))
      assert.strictEqual(error._tag, "DagError")
      if (error._tag === "DagError") assert.strictEqual(error.reason, "ImageNotFound")
      assert.include(error.message, "nope:1")
    }))

  it.scoped("applies directory file actions without touching the inputs", () =>
    Effect.gen(function*() {
      const src = yield* tempDir()
      writeTree(src, { "a.txt": "A", "sub/b.txt": "B", "sub/c.log": "C", "skip/x": "X" })
      const out = yield* withDag({}, Effect.gen(function*() {
        const solver = yield* Solver
        const sync = yield* HostSync
        const imported = yield* sync.importDirectory(src)
        const local = Op.local(src, imported.contentDigest, imported.snapshot)
        yield* sync.materialize(imported.contentDigest)
        const before = listTree(imported.snapshot)
        const op = Op.dirFile(Op.emptyDir, [
          { _tag: "Mkfile", path: "/x/y/new.txt", contents: "new", mode: 0o600 },
          { _tag: "Mkdir", path: "/d/e", mode: 0o700 },
          { _tag: "Copy", source: local, sourcePath: "/", dest: "/copy", include: [], exclude: ["skip", "**/*.log"] },
          { ...copyAll(local, "sub/b.txt", "/single.txt"), mode: 0o640 },
          { _tag: "Copy", source: local, sourcePath: "", dest: "/all", include: [], exclude: [] },
          { _tag: "Rm", path: "/all/skip" },
          { _tag: "Rm", path: "/not/there" }
        ])
        const dir = yield* solver.snapshot(op)
        const again = yield* solver.snapshot(op)
        const empty = yield* solver.snapshot(Op.emptyDir)
        const missing = yield* Effect.flip(
          solver.snapshot(Op.dirFile(Op.emptyDir, [copyAll(local, "nope")]))
        )
        return { dir, again, empty, before, after: listTree(imported.snapshot), missing }
      }))
      assert.strictEqual(out.again, out.dir)
      assert.deepStrictEqual(listTree(out.dir), [
        "all/",
        "all/a.txt",
        "all/sub/",
        "all/sub/b.txt",
        "all/sub/c.log",
        "copy/",
        "copy/a.txt",
        "copy/sub/",
        "copy/sub/b.txt",
        "d/",
        "d/e/",
        "single.txt",
        "x/",
        "x/y/",
        "x/y/new.txt"
      ])
      const mode = (p: string) => fs.statSync(path.join(out.dir, p)).mode & 0o777
      assert.strictEqual(mode("x/y/new.txt"), 0o600)
      assert.strictEqual(mode("d/e"), 0o700)
      assert.strictEqual(mode("single.txt"), 0o640)
      assert.strictEqual(fs.readFileSync(path.join(out.dir, "x/y/new.txt"), "utf8"), "new")
      assert.deepStrictEqual(listTree(out.empty), [])
      assert.deepStrictEqual(out.after, out.before)
      assert.strictEqual(out.missing.message, "no such file or directory: nope")
    }))

  it.scoped("writable mounts become output snapshots; read-only inputs stay untouched", () =>
    Effect.gen(function*() {
      const src = yield* tempDir()
      writeTree(src, { "in.txt": "in" })
      const fake = {
        ...baseFake,
        run: (spec: RunSpec) =>
          Effect.sync(() => {
            const work = spec.binds.find((b) => b.target === "/work")!
            assert.isFalse(work.readOnly)
            fs.writeFileSync(path.join(work.source, "out.txt"), "out")
            fs.rmSync(path.join(work.source, "in.txt"))
            return result()
          })
      }
      const out = yield* withDag(fake, Effect.gen(function*() {
        const solver = yield* Solver
        const sync = yield* HostSync
        const imported = yield* sync.importDirectory(src)
        const local = Op.local(src, imported.contentDigest, imported.snapshot)
        const e = Op.exec(busybox, [dirMount("/work", local)], meta(["build"]))
        const output = yield* solver.snapshot(Op.execOutput(e, "/work"))
        const rootfs = yield* solver.image(Op.execOutput(e, "rootfs"))
        const sub = yield* Effect.flip(solver.snapshot(Op.subdir(Op.execOutput(e, "/work"), "out.txt")))
        return { output, rootfs, input: imported.snapshot, sub }
      }))
      assert.deepStrictEqual(listTree(out.output), ["out.txt"])
      assert.deepStrictEqual(listTree(out.input), ["in.txt"])
      assert.strictEqual(out.rootfs, "sha256:committed")
      assert.strictEqual(out.sub.message, "not a directory: out.txt")
    }))

  it.scoped("redirected output goes into the committed image", () =>
    Effect.gen(function*() {
      const puts: Array<{ image: string; puts: ReadonlyArray<ArchivePut> }> = []
      const fake = {
        ...baseFake,
        run: () => Effect.succeed(result({ stdout: Buffer.from("out\n"), stderr: Buffer.from("err\n") })),
        putArchives: (image: string, p: ReadonlyArray<ArchivePut>) =>
          Effect.sync(() => puts.push({ image, puts: p })).pipe(Effect.as("sha256:redirected"))
      }
      const out = yield* withDag(fake, Effect.gen(function*() {
        const solver = yield* Solver
        const redirects = { workdir: "/w", redirectStdout: "o.txt", redirectStderr: "/abs/e.txt" }
        const e = Op.exec(busybox, [], meta(["x"], redirects))
        return { outcome: yield* solver.exec(e), image: yield* solver.image(Op.execOutput(e, "rootfs")) }
      }))
      assert.deepStrictEqual(out.outcome, { exitCode: 0, stdout: "", stderr: "" })
      assert.strictEqual(out.image, "sha256:redirected")
      assert.strictEqual(puts[0]!.image, "sha256:committed")
      const tars = yield* readPuts(puts[0]!.puts)
      assert.deepStrictEqual(tars, [{
        path: "/",
        entries: [
          { name: "w/o.txt", type: "file", mode: 0o644, data: "out\n" },
          { name: "abs/e.txt", type: "file", mode: 0o644, data: "err\n" }
        ]
      }])
    }))

  it.scoped("applies file actions to images through archives", () =>
    Effect.gen(function*() {
      const src = yield* tempDir()
      writeTree(src, { "a.txt": "A", "sub/b.txt": "B", "sub/c.log": "C" })
      fs.chmodSync(path.join(src, "a.txt"), 0o644)
      fs.chmodSync(path.join(src, "sub"), 0o755)
      fs.chmodSync(path.join(src, "sub/b.txt"), 0o644)
      let seen: { image: string; puts: ReadonlyArray<ArchivePut> } | undefined
      const runs: Array<RunSpec> = []
      const fake = {
        ...baseFake,
        putArchives: (image: string, puts: ReadonlyArray<ArchivePut>) =>
          Effect.sync(() => (seen = { image, puts })).pipe(Effect.as("sha256:new")),
        // Removals run `rm -rf` in the image; an image without rm (exit 127) is an error naming the path.
        run: (spec: RunSpec) =>
          Effect.sync(() => {
            runs.push(spec)
            return spec.image === "sha256:img-busybox"
              ? { exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), imageId: "sha256:removed" }
              : { exitCode: 127, stdout: Buffer.alloc(0), stderr: Buffer.from("rm: not found"), imageId: "sha256:x" }
          })
      }
      const out = yield* withDag(fake, Effect.gen(function*() {
        const solver = yield* Solver
        const sync = yield* HostSync
        const imported = yield* sync.importDirectory(src)
        const local = Op.local(src, imported.contentDigest, imported.snapshot)
        const id = yield* solver.image(Op.imageFile(busybox, [
          { _tag: "Mkfile", path: "/etc/conf", contents: "c", mode: 0o600 },
          { _tag: "Mkdir", path: "/data", mode: 0o700 },
          { _tag: "Copy", source: local, sourcePath: "", dest: "/app", include: [], exclude: ["**/*.log"] },
          { _tag: "Copy", source: local, sourcePath: "a.txt", dest: "/bin/a", include: [], exclude: [], mode: 0o755 }
        ]))
        const removed = yield* solver.image(Op.imageFile(busybox, [{ _tag: "Rm", path: "/etc" }]))
        const rm = yield* Effect.flip(solver.image(Op.imageFile(Op.image("no-rm"), [{ _tag: "Rm", path: "/etc" }])))
        return { id, removed, rm }
      }))
      assert.strictEqual(out.id, "sha256:new")
      assert.strictEqual(seen!.image, "sha256:img-busybox")
      const tars = yield* readPuts(seen!.puts)
      assert.deepStrictEqual(tars.map((t) => t.path), ["/", "/", "/", "/"])
      assert.deepStrictEqual(tars[0]!.entries, [{ name: "etc/conf", type: "file", mode: 0o600, data: "c" }])
      assert.deepStrictEqual(tars[1]!.entries, [{ name: "data", type: "directory", mode: 0o700, data: "" }])
      assert.deepStrictEqual(tars[2]!.entries.map((e) => [e.name, e.type, e.mode, e.data]), [
        ["app/a.txt", "file", 0o644, "A"],
        ["app/sub", "directory", 0o755, ""],
        ["app/sub/b.txt", "file", 0o644, "B"]
      ])
      assert.deepStrictEqual(tars[3]!.entries, [{ name: "bin/a", type: "file", mode: 0o755, data: "A" }])
      assert.strictEqual(out.removed, "sha256:removed")
      assert.deepStrictEqual(runs[0]!.args, ["rm", "-rf", "--", "/etc"])
      assert.strictEqual(runs[0]!.commit, true)
      assert.strictEqual(out.rm._tag, "DagError")
      if (out.rm._tag === "DagError") assert.strictEqual(out.rm.reason, "InvalidInput")
      assert.include(out.rm.message, "/etc")
    }))

  it.scoped("a whole host tree goes into an image streamed from the host files, without a snapshot copy", () =>
    Effect.gen(function*() {
      const src = yield* tempDir()
      writeTree(src, { "a.txt": "A", "sub/b.txt": "B" })
      fs.chmodSync(path.join(src, "a.txt"), 0o640)
      fs.chmodSync(path.join(src, "sub"), 0o755)
      fs.chmodSync(path.join(src, "sub/b.txt"), 0o644)
      const seen: Array<ReadonlyArray<ArchivePut>> = []
      const fake = {
        ...baseFake,
        putArchives: (_image: string, puts: ReadonlyArray<ArchivePut>) =>
          Effect.sync(() => `sha256:new${seen.push(puts)}`)
      }
      const out = yield* withDag(fake, Effect.gen(function*() {
        const solver = yield* Solver
        const sync = yield* HostSync
        const snapshots = yield* Snapshots
        const imported = yield* sync.importDirectory(src)
        const local = Op.local(src, imported.contentDigest, imported.snapshot)
        const copy = (dest: string): Op.FileAction => ({ _tag: "Copy", source: local, sourcePath: "", dest, include: [], exclude: [] })
        const id = yield* solver.image(Op.imageFile(busybox, [copy("/app")]))
        const tar = yield* readPuts(seen[0]!)
        const copied = yield* snapshots.exists(imported.contentDigest)
        // changed on the host after it was hashed: an error naming the entry, not an image of other content
        fs.writeFileSync(path.join(src, "a.txt"), "changed")
        const changed = yield* Effect.flip(solver.image(Op.imageFile(busybox, [copy("/other")])))
        return { id, tar, copied, changed }
      }))
      assert.strictEqual(out.id, "sha256:new1")
      assert.isFalse(out.copied)
      assert.deepStrictEqual(out.tar[0]!.entries.map((e) => [e.name, e.type, e.mode, e.data]), [
        ["app/a.txt", "file", 0o640, "A"],
        ["app/sub", "directory", 0o755, ""],
        ["app/sub/b.txt", "file", 0o644, "B"]
      ])
      assert.include(out.changed.message, "a.txt")
      assert.include(out.changed.message, "read it again")
    }))

  it.scoped("extracts a path of an image into a snapshot holding its basename", () =>
    Effect.gen(function*() {
      const requested: Array<string> = []
      const fake = {
        ...baseFake,
        getArchive: <A, E>(image: string, p: string, use: (tar: Readable) => Effect.Effect<A, E>) =>
          Effect.suspend((): Effect.Effect<A, E | ContainerError> => {
            requested.push(`${image}:${p}`)
            return p === "/missing"
              ? Effect.fail(new ContainerError({ reason: "PathNotFound", detail: `no such path in image: ${p}` }))
              : use(Tar.pack([
                { type: "dir", name: "app", mode: 0o755, mtime: new Date(0) },
                { type: "file", name: "app/f.txt", mode: 0o640, mtime: new Date(0), data: Buffer.from("F") },
                { type: "symlink", name: "app/abs", linkname: "/bin/sh", mtime: new Date(0) }
              ]))
          })
      }
      const out = yield* withDag(fake, Effect.gen(function*() {
        const solver = yield* Solver
        const extracted = Op.extract(busybox, "/srv/app")
        const snap = yield* solver.snapshot(extracted)
        const dir = yield* solver.snapshot(Op.subdir(extracted, "app"))
        const missing = yield* Effect.flip(solver.snapshot(Op.extract(busybox, "/missing")))
        const notThere = yield* Effect.flip(solver.snapshot(Op.subdir(extracted, "nope")))
        return { snap, dir, missing, notThere }
      }))
      assert.deepStrictEqual(requested, ["sha256:img-busybox:/srv/app", "sha256:img-busybox:/missing"])
      assert.deepStrictEqual(listTree(out.snap), ["app/", "app/abs", "app/f.txt"])
      assert.strictEqual(out.dir, path.join(out.snap, "app"))
      assert.strictEqual(fs.readlinkSync(path.join(out.dir, "abs")), "/bin/sh")
      assert.strictEqual(fs.statSync(path.join(out.dir, "f.txt")).mode & 0o777, 0o640)
      assert.strictEqual(out.missing.message, "no such path in image: /missing")
      assert.strictEqual(out.notThere.message, "no such file or directory: nope")
    }))

  it.scoped("publishes progress events", () =>
    Effect.gen(function*() {
      const events = yield* withDag(baseFake, Effect.scoped(Effect.gen(function*() {
        const solver = yield* Solver
        const queue = yield* solver.subscribe
        yield* solver.image(busybox)
        yield* solver.image(busybox)
        return yield* Queue.takeAll(queue)
      })))
      const list = [...events].filter((e) => e.digest === busybox.digest)
      assert.deepStrictEqual(list.map((e) => [e.phase, e.cached, e.description]), [
        ["start", false, "from busybox"],
        ["end", false, "from busybox"],
        ["end", true, "from busybox"]
      ])
    }))
})

const propState = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-state-prop-"))
afterAll(() => fs.rmSync(propState, { recursive: true, force: true }))

const exitFake = {
  ...baseFake,
  run: (spec: RunSpec) =>
    Effect.succeed(result({
      exitCode: Number(spec.args[1]),
      stdout: Buffer.from("  out\n"),
      stderr: Buffer.from("\nerr  ")
    }))
}

layer(dagLayer(propState, exitFake))("Solver exit codes", (it) => {
  it.effect.prop(
    "an exit code not allowed by expect is an ExecError",
    [fc.integer({ min: 0, max: 255 }), fc.constantFrom("SUCCESS" as const, "FAILURE" as const, "ANY" as const)],
    ([code, expect]) =>
      Effect.gen(function*() {
        const solver = yield* Solver
        const args = ["exit", String(code)]
        const exit = yield* Effect.exit(solver.exec(Op.exec(busybox, [], meta(args, { expect }))))
        if (exitCodeAllowed(expect, code)) {
          assert.deepStrictEqual(exit, Exit.succeed({ exitCode: code, stdout: "  out\n", stderr: "\nerr  " }))
        } else {
          assert.isTrue(Exit.isFailure(exit))
          if (Exit.isFailure(exit)) {
            const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
            assert.strictEqual(error?._tag, "ExecError")
            if (error?._tag === "ExecError") {
              assert.deepStrictEqual(error.cmd, args)
              assert.strictEqual(error.exitCode, code)
              assert.strictEqual(error.stdout, "out")
              assert.strictEqual(error.stderr, "err")
            }
          }
        }
      }),
    { fastCheck: { numRuns: 300 } }
  )
})
