/**
 * The Docker runtime against the real daemon (images from scripts/images.sh; `bash scripts/setup.sh` prepares all).
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Option, Schedule } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { ContainerError, ContainerRuntime, type RunSpec } from "../../src/Runtime/ContainerRuntime.js"
import * as Docker from "../../src/Runtime/Docker.js"
import * as Support from "../support/docker.js"
import * as Tar from "../support/tar.js"
import * as DagTar from "../../src/Dag/internal/Tar.js"
import type { ArchivePut } from "../../src/Runtime/ContainerRuntime.js"

const owner = Support.testOwner("runtime")

const spec = (args: ReadonlyArray<string>, extra: Partial<RunSpec> = {}): RunSpec => ({
  image: Support.busyboxImage,
  args,
  env: ["PATH=/usr/local/bin:/usr/bin:/bin"],
  workdir: "",
  user: "",
  binds: [],
  commit: false,
  ...extra
})

const text = (buffer: Buffer) => buffer.toString("utf8")

const file = (name: string, contents: string): DagTar.Item => ({ type: "file", name, mode: 0o644, mtime: new Date(0), data: Buffer.from(contents) })

/** An archive put that tells its size and names, so that the runtime can add it as a layer. */
const layerPut = (items: ReadonlyArray<DagTar.Item>): ArchivePut => ({ path: "/", tar: () => DagTar.pack(items), layer: DagTar.layerInfo(items) })

const tempDir = Effect.acquireRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "dirk-runtime-test-"))),
  (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
)

const failure = <A>(exit: Exit.Exit<A, ContainerError>): ContainerError => {
  assert.isTrue(Exit.isFailure(exit), "expected a failure")
  const error = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
  const pretty = Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""
  assert.isTrue(Option.isSome(error), `expected a ContainerError, got ${pretty}`)
  return Option.getOrThrow(error)
}

// Live services: these tests wait on real time (Docker), not on the TestClock.
// Archives of any size become layers here (the engine's default keeps small ones in containers: tested below).
layer(Support.layerRuntime(owner, undefined, { layerMinBytes: 0 }), { timeout: "120 seconds", excludeTestServices: true })("Docker runtime", (it) => {
  describe("resolveImage", () => {
    it.effect("uses an image of the local store as is", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const resolved = yield* runtime.resolveImage(Support.busyboxImage)
        assert.match(resolved.imageId, /^sha256:[0-9a-f]{64}$/)
        assert.isTrue(resolved.config.env.some((e) => e.startsWith("PATH=")))
        assert.deepStrictEqual(resolved.config.cmd, ["sh"])
        assert.deepStrictEqual(resolved.config.entrypoint, [])
      }))

    it.effect("pulls an image missing locally from the registry", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const { docker } = yield* Docker.DockerClient
        const repo = `${Support.registry}/dirk-runtime-test`
        const ref = `${repo}:${owner}`
        // Push a fresh tag, then drop it locally so that resolveImage must pull it.
        const untag = Effect.promise(() => docker.getImage(ref).remove().catch(() => undefined))
        yield* Effect.gen(function*() {
          yield* Effect.promise(() => docker.getImage(Support.busyboxImage).tag({ repo, tag: owner }))
          const pushed = yield* Effect.promise(() => docker.getImage(ref).push({ authconfig: {} }))
          yield* Support.followProgress(docker, pushed)
          yield* untag
          const resolved = yield* runtime.resolveImage(ref)
          const local = yield* runtime.resolveImage(Support.busyboxImage)
          assert.strictEqual(resolved.imageId, local.imageId)
        }).pipe(Effect.ensuring(untag))
      }))

    it.effect("fails with ImageNotFound naming a missing image", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const ref = `${Support.registry}/dirk-does-not-exist:nope`
        const error = failure(yield* Effect.exit(runtime.resolveImage(ref)))
        assert.strictEqual(error.reason, "ImageNotFound")
        assert.include(error.message, ref)
        assert.include(error.message, "manifest unknown")
      }))

    it.effect("fails with DaemonUnavailable when the daemon cannot be reached", () =>
      Effect.gen(function*() {
        const client = yield* Docker.makeClient("unix:///tmp/dirk-no-such-docker.sock")
        const error = yield* Effect.flip(Effect.scoped(Effect.gen(function*() {
          const runtime = yield* Docker.make({ owner: `${owner}-nodaemon` })
          return yield* runtime.resolveImage(Support.busyboxImage)
        })).pipe(Effect.provideService(Docker.DockerClient, client)))
        assert.strictEqual(error.reason, "DaemonUnavailable")
        assert.include(error.message, "/tmp/dirk-no-such-docker.sock")
        assert.include(error.message, "is dockerd running")
      }))
  })

  describe("run", () => {
    it.effect("keeps stdout and stderr apart and reports the exit code", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const seen: Array<string> = []
        const result = yield* runtime.run(spec(["sh", "-c", "echo out; echo err >&2; echo more; exit 3"], {
          onOutput: (stream, chunk) => seen.push(`${stream}:${text(chunk)}`)
        }))
        assert.strictEqual(result.exitCode, 3)
        assert.strictEqual(text(result.stdout), "out\nmore\n")
        assert.strictEqual(text(result.stderr), "err\n")
        assert.isUndefined(result.imageId)
        assert.isTrue(seen.some((s) => s.startsWith("stderr:err")))
      }))

    it.effect("applies env, workdir and user, and no entrypoint", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const result = yield* runtime.run(spec(["sh", "-c", "echo $GREETING; pwd; id -u"], {
          env: ["PATH=/bin", "GREETING=hello"],
          workdir: "/tmp/work",
          user: "65534"
        }))
        assert.strictEqual(text(result.stdout), "hello\n/tmp/work\n65534\n")
      }))

    it.effect("writes stdin and closes it", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const result = yield* runtime.run(spec(["sh", "-c", "cat; echo done"], { stdin: "hello\nworld\n" }))
        assert.strictEqual(result.exitCode, 0)
        assert.strictEqual(text(result.stdout), "hello\nworld\ndone\n")
      }))

    it.effect("reports a missing executable as exit code 127 with the daemon's message", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const result = yield* runtime.run(spec(["no-such-binary", "x"]))
        assert.strictEqual(result.exitCode, 127)
        assert.include(text(result.stderr), "executable file not found")
      }))

    it.scoped("mounts binds read-only and read-write", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const input = yield* tempDir
        const output = yield* tempDir
        fs.writeFileSync(path.join(input, "a.txt"), "from host\n")
        const result = yield* runtime.run(spec([
          "sh",
          "-c",
          "cat /in/a.txt; echo written > /out/b.txt; " +
          "if touch /in/c 2>/dev/null; then echo writable; else echo read-only; fi"
        ], {
          binds: [
            { source: input, target: "/in", readOnly: true },
            { source: output, target: "/out", readOnly: false }
          ]
        }))
        assert.strictEqual(result.exitCode, 0, text(result.stderr))
        assert.strictEqual(text(result.stdout), "from host\nread-only\n")
        assert.strictEqual(fs.readFileSync(path.join(output, "b.txt"), "utf8"), "written\n")
        assert.isFalse(fs.existsSync(path.join(input, "c")))
      }))

    it.effect("has no network by default, and mounts tmpfs", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const script = "ls /sys/class/net; echo x > /scratch/f; grep -c ' /scratch tmpfs' /proc/mounts"
        const result = yield* runtime.run(spec(["sh", "-c", script], {
          tmpfs: ["/scratch"],
          commit: true
        }))
        assert.strictEqual(result.exitCode, 0, text(result.stderr))
        assert.strictEqual(text(result.stdout), "lo\n1\n")
        const after = yield* runtime.run(spec(["sh", "-c", "ls -A /scratch 2>/dev/null | wc -l"], {
          image: result.imageId ?? ""
        }))
        assert.strictEqual(text(after.stdout).trim(), "0")
      }))

    it.effect("commits to a labelled image whose files later runs see", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const { docker } = yield* Docker.DockerClient
        const first = yield* runtime.run(spec(["sh", "-c", "echo committed > /made.txt"], { commit: true }))
        assert.strictEqual(first.exitCode, 0)
        const imageId = first.imageId ?? ""
        assert.match(imageId, /^sha256:/)
        const info = yield* Effect.promise(() => docker.getImage(imageId).inspect())
        assert.strictEqual(info.Config.Labels?.[Docker.labelEngine], "1")
        assert.strictEqual(info.Config.Labels?.[Docker.labelOwner], owner)
        const second = yield* runtime.run(spec(["cat", "/made.txt"], { image: imageId }))
        assert.strictEqual(text(second.stdout), "committed\n")
      }))

    it.effect("runs in parallel without mixing outputs", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const results = yield* Effect.forEach(
          [0, 1, 2, 3, 4, 5, 6, 7],
          (i) => runtime.run(spec(["sh", "-c", `echo out-${i}; echo err-${i} >&2; exit ${i}`])),
          { concurrency: 8 }
        )
        results.forEach((result, i) => {
          assert.strictEqual(result.exitCode, i)
          assert.strictEqual(text(result.stdout), `out-${i}\n`)
          assert.strictEqual(text(result.stderr), `err-${i}\n`)
        })
      }))

    it.effect("removes the container when interrupted", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const marker = `sleep-${Date.now()}`
        const fiber = yield* Effect.fork(runtime.run(spec(["sleep", "600"], { labels: { "dirk.test": marker } })))
        const running = yield* Support.ownedContainers(owner).pipe(
          Effect.map((cs) => cs.filter((c) => c.Labels["dirk.test"] === marker && c.State === "running").length),
          Effect.filterOrFail((n) => n > 0, () => new Error("the container is not running yet")),
          Effect.retry(Schedule.spaced("100 millis")),
          Effect.timeout("30 seconds")
        )
        assert.strictEqual(running, 1)
        yield* Fiber.interrupt(fiber)
        const left = yield* Support.ownedContainers(owner).pipe(
          Effect.map((cs) => cs.filter((c) => c.Labels["dirk.test"] === marker))
        )
        assert.deepStrictEqual(left, [])
      }))
  })

  describe("archives", () => {
    it.effect("putArchives creates the target directory and commits; a run reads the file", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const imageId = yield* runtime.putArchives(Support.busyboxImage, [
          { path: "/data/sub", tar: () => Tar.pack({ "hello.txt": "hello archive\n", "dir/": "" }) },
          { path: "/tmp", tar: () => Tar.pack({ "t.txt": "in tmp\n" }) }
        ])
        const script = "cat /data/sub/hello.txt /tmp/t.txt; stat -c %a /tmp; test -d /data/sub/dir && echo dir"
        const result = yield* runtime.run(spec(["sh", "-c", script], {
          image: imageId
        }))
        assert.strictEqual(result.exitCode, 0, text(result.stderr))
        assert.strictEqual(text(result.stdout), "hello archive\nin tmp\n1777\ndir\n")
        // The image's own config survives the commit.
        const resolved = yield* runtime.resolveImage(imageId)
        assert.deepStrictEqual(resolved.config.cmd, ["sh"])
      }))

    it.effect("scratch is empty; archives go in and come out of it", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const scratch = yield* runtime.scratchImage
        assert.strictEqual(yield* runtime.scratchImage, scratch)
        const { docker } = yield* Docker.DockerClient
        const info = yield* Effect.promise(() => docker.getImage(scratch).inspect())
        assert.strictEqual(info.Size, 0)
        // Reading "/" also shows what Docker adds to every container (/.dockerenv, /etc/hosts, mount points).
        const root = yield* runtime.getArchive(scratch, "/", Tar.unpack)
        assert.isFalse(Object.keys(root).some((name) => /bin|usr|f\.txt/.test(name)))
        const withFile = yield* runtime.putArchives(scratch, [{ path: "/", tar: () => Tar.pack({ "f.txt": "x" }) }])
        const files = yield* runtime.getArchive(withFile, "/f.txt", Tar.unpack)
        assert.deepStrictEqual(files, { "f.txt": "x" })
      }))

    it.effect("archives with their sizes become one new layer (loaded, not committed) that keeps the image's parents as they are", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const { docker } = yield* Docker.DockerClient
        const base = yield* Effect.promise(() => docker.getImage(Support.busyboxImage).inspect())
        const imageId = yield* runtime.putArchives(Support.busyboxImage, [
          layerPut([file("tmp/a.txt", "in tmp\n"), file("new/deep/b.txt", "deep\n")]),
          layerPut([file("tmp/c.txt", "second\n")])
        ])
        const info = yield* Effect.promise(() => docker.getImage(imageId).inspect())
        // loaded: one layer more than the base, no parent image (a commit has the base as parent)
        assert.strictEqual(info.RootFS.Layers?.length, (base.RootFS.Layers?.length ?? 0) + 1)
        assert.strictEqual(info.Parent, "")
        assert.strictEqual(info.Config.Labels?.["dirk.engine"], "1")
        assert.deepStrictEqual(info.Config.Cmd, ["sh"])
        const script = "cat /tmp/a.txt /tmp/c.txt /new/deep/b.txt; stat -c '%a %u %g' /tmp /new /new/deep; ls /bin/sh"
        const result = yield* runtime.run(spec(["sh", "-c", script], { image: imageId }))
        assert.strictEqual(result.exitCode, 0, text(result.stderr))
        assert.strictEqual(text(result.stdout), "in tmp\nsecond\ndeep\n1777 0 0\n755 0 0\n755 0 0\n/bin/sh\n")
      }))

    it.effect("a parent that is a symlink in the image is followed (the archive goes into a container then)", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const { docker } = yield* Docker.DockerClient
        const linked = yield* runtime.putArchives(Support.busyboxImage, [
          layerPut([{ type: "symlink", name: "lnk", linkname: "/tmp", mtime: new Date(0) }, file("keep/x", "x\n")])
        ])
        const through = yield* runtime.putArchives(linked, [layerPut([file("lnk/f.txt", "through\n")])])
        // it went through a container: committed, with the image it was put into as parent
        const info = yield* Effect.promise(() => docker.getImage(through).inspect())
        assert.strictEqual(info.Parent, linked)
        const a = yield* runtime.run(spec(["sh", "-c", "readlink /lnk; cat /tmp/f.txt /keep/x"], { image: through }))
        assert.strictEqual(text(a.stdout), "/tmp\nthrough\nx\n", text(a.stderr))
      }))

    it.effect("a parent owned by a large uid/gid keeps its owner in the new layer (PAX records)", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const { docker } = yield* Docker.DockerClient
        const dir = (name: string, id: number): DagTar.Item => ({ type: "dir", name, mode: 0o750, mtime: new Date(0), uid: id, gid: id })
        const owned = yield* runtime.putArchives(Support.busyboxImage, [layerPut([dir("big", 300000), dir("huge", 3000000)])])
        const added = yield* runtime.putArchives(owned, [layerPut([file("big/new", "n\n"), file("huge/new", "n\n")])])
        assert.strictEqual((yield* Effect.promise(() => docker.getImage(added).inspect())).Parent, "")
        const r = yield* runtime.run(spec(["stat", "-c", "%a %u:%g %n", "/big", "/huge", "/huge/new"], { image: added }))
        assert.strictEqual(text(r.stdout), "750 300000:300000 /big\n750 3000000:3000000 /huge\n644 0:0 /huge/new\n", text(r.stderr))
      }))

    it.effect("a path listed twice goes in through a container (the last wins); the next archive is a layer again", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const { docker } = yield* Docker.DockerClient
        const twice = yield* runtime.putArchives(Support.busyboxImage, [
          layerPut([{ type: "dir", name: "dup", mode: 0o755, mtime: new Date(0) }, file("dup", "the file\n")])
        ])
        const base = yield* Effect.promise(() => docker.getImage(Support.busyboxImage).inspect())
        assert.strictEqual((yield* Effect.promise(() => docker.getImage(twice).inspect())).Parent, base.Id)
        const r = yield* runtime.run(spec(["cat", "/dup"], { image: twice }))
        assert.strictEqual(text(r.stdout), "the file\n", text(r.stderr))
        const next = yield* runtime.putArchives(twice, [layerPut([file("after.txt", "a\n")])])
        assert.strictEqual((yield* Effect.promise(() => docker.getImage(next).inspect())).Parent, "")
      }))

    it.scoped("a host file that changed while being read fails the layer and leaves no image", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const { docker } = yield* Docker.DockerClient
        const dir = yield* tempDir
        const abs = path.join(dir, "f.bin")
        fs.writeFileSync(abs, "short")
        const items: Array<DagTar.Item> = [{ type: "file", name: "f.bin", mode: 0o644, mtime: new Date(0), abs, size: 4096 }]
        const before = yield* Effect.promise(() => docker.listImages({ all: true }))
        const error = failure(yield* Effect.exit(runtime.putArchives(Support.busyboxImage, [layerPut(items)])))
        assert.include(error.message, "changed")
        const after = yield* Effect.promise(() => docker.listImages({ all: true }))
        assert.strictEqual(after.length, before.length)
      }))

    it.effect("getArchive reads a file as a tar whose entry is its basename", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const files = yield* runtime.getArchive(Support.busyboxImage, "/etc/passwd", Tar.unpack)
        assert.deepStrictEqual(Object.keys(files), ["passwd"])
        assert.include(files["passwd"], "root:x:0:0")
      }))

    it.effect("getArchive of a missing path fails with PathNotFound naming it", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const error = yield* Effect.flip(runtime.getArchive(Support.busyboxImage, "/no/such/file", Tar.unpack))
        assert.instanceOf(error, ContainerError)
        if (!(error instanceof ContainerError)) return
        assert.strictEqual(error.reason, "PathNotFound")
        assert.include(error.message, "/no/such/file")
      }))
  })

  describe("cleanup", () => {
    it.effect("removes the containers and images of one owner, and no others", () =>
      Effect.gen(function*() {
        const { docker } = yield* Docker.DockerClient
        const other = Support.testOwner("cleanup")
        const committed = yield* Effect.scoped(Effect.gen(function*() {
          const runtime = yield* Docker.make({ owner: other })
          const first = yield* runtime.run(spec(["sh", "-c", "echo 1 > /one"], { commit: true }))
          const second = yield* runtime.run(
            spec(["sh", "-c", "echo 2 > /two"], { image: first.imageId ?? "", commit: true })
          )
          // A container left behind, as after a crash.
          yield* Effect.promise(() =>
            docker.createContainer({
              Image: Support.busyboxImage,
              Cmd: ["true"],
              Labels: { [Docker.labelEngine]: "1", [Docker.labelOwner]: other }
            })
          )
          // the runs' own containers go in the background after each success: only the crash's one stays
          const left = yield* Support.ownedContainers(other).pipe(
            Effect.map((cs) => cs.length),
            Effect.filterOrFail((n) => n === 1, (n) => new Error(`${n} containers left`)),
            Effect.retry(Schedule.spaced("100 millis")),
            Effect.timeout("20 seconds")
          )
          assert.strictEqual(left, 1)
          assert.strictEqual((yield* Support.ownedImages(other)).length, 2)
          yield* runtime.cleanup(other)
          return [first.imageId, second.imageId]
        }))
        assert.strictEqual(committed.length, 2)
        assert.deepStrictEqual(yield* Support.ownedContainers(other), [])
        assert.deepStrictEqual(yield* Support.ownedImages(other), [])
        // This file's own runtime still works (its objects were not touched).
        const runtime = yield* ContainerRuntime
        const result = yield* runtime.run(spec(["true"]))
        assert.strictEqual(result.exitCode, 0)
      }))
  })
})

describe("Docker.parseHost", () => {
  it("reads unix and tcp addresses", () => {
    assert.deepStrictEqual(Docker.parseHost("unix:///run/docker.sock"), Option.some({ socketPath: "/run/docker.sock" }))
    assert.deepStrictEqual(
      Docker.parseHost("tcp://10.0.0.1:2375"),
      Option.some({ host: "10.0.0.1", port: 2375, protocol: "http" as const })
    )
    assert.isTrue(Option.isNone(Docker.parseHost("ssh://me@host")))
  })
})

// The engine's default: small archives go into containers (as quick for a few files), and a fused exec makes one layer.
layer(Support.layerRuntime(`${owner}-small`, undefined, { layerMinBytes: 1 << 20 }), { timeout: "120 seconds", excludeTestServices: true })(
  "Docker runtime, default layer threshold",
  (it) => {
    it.effect("archives under the threshold are committed from a container; a fused exec adds one layer, over it a layer", () =>
      Effect.gen(function*() {
        const runtime = yield* ContainerRuntime
        const { docker } = yield* Docker.DockerClient
        const base = yield* Effect.promise(() => docker.getImage(Support.busyboxImage).inspect())
        const layers = (base.RootFS.Layers ?? []).length
        const small = yield* runtime.putArchives(Support.busyboxImage, [layerPut([file("s.txt", "small\n")])])
        const smallInfo = yield* Effect.promise(() => docker.getImage(small).inspect())
        assert.strictEqual(smallInfo.Parent, base.Id)
        const fused = yield* runtime.run(spec(["cat", "/f.txt"], { archives: [layerPut([file("f.txt", "fused\n")])], commit: true }))
        assert.strictEqual(text(fused.stdout), "fused\n", text(fused.stderr))
        const fusedInfo = yield* Effect.promise(() => docker.getImage(fused.imageId!).inspect())
        assert.strictEqual((fusedInfo.RootFS.Layers ?? []).length, layers + 1)
        // 2 MiB: over the threshold, loaded as a layer
        const big = yield* runtime.putArchives(Support.busyboxImage, [
          layerPut([{ type: "file", name: "big.bin", mode: 0o644, mtime: new Date(0), data: Buffer.alloc(2 << 20, 1) }])
        ])
        assert.strictEqual((yield* Effect.promise(() => docker.getImage(big).inspect())).Parent, "")
      }))
  }
)
