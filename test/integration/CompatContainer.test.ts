/**
 * Container fields through Dagger's own npm client (`@dagger.io/dagger`, unchanged) via `dirk run`:
 * test/compat/container.mjs prints what each step returned.
 */
import Dockerode from "dockerode"
import { randomBytes } from "node:crypto"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dirk, repoRoot } from "../support/cli.js"

const prefix = `compat-${randomBytes(4).toString("hex")}`
let out: Record<string, any>

beforeAll(async () => {
  const r = await dirk(["run", "--", process.execPath, path.join(repoRoot, "test/compat/container.mjs")], {
    env: { DIRK_COMPAT_CACHE_PREFIX: prefix }
  })
  expect(r.code, r.stderr).toBe(0)
  out = JSON.parse(r.stdout)
})

afterAll(async () => {
  // Cache volumes outlive engines: remove this run's.
  const docker = new Dockerode()
  const { Volumes } = await docker.listVolumes({ filters: { label: ["dirk.volume=1"] } })
  for (const v of Volumes ?? []) {
    if (v.Labels?.["dirk.cache"]?.startsWith(prefix)) await docker.getVolume(v.Name).remove({ force: true }).catch(() => undefined)
  }
})

const kind = (t: string) => t.replace(/_TYPE$/, "")

describe("Container through Dagger's client", () => {
  it("envVariables: in order, replaced in place, each a loadable object", () => {
    expect(out.envVariables[0][0]).toBe("PATH")
    expect(out.envVariables.slice(1)).toEqual([["A", "3"], ["B", "2"]])
  })

  it("labels, label, withoutLabel", () => {
    expect(out.labels).toEqual({ all: [["a.label", "first"], ["z.label", "last"]], one: "first", missing: null, without: ["a.label"] })
  })

  it("exposedPorts with protocol, description and the health check flag; withoutExposedPort", () => {
    expect(out.exposedPorts).toEqual({
      both: [
        { port: 8080, protocol: "TCP", description: "web", skip: false },
        { port: 53, protocol: "UDP", description: null, skip: true }
      ],
      without: [{ port: 53, protocol: "UDP", description: null, skip: true }]
    })
  })

  it("withoutEntrypoint, withoutDefaultArgs, withoutUser, withoutWorkdir", () => {
    expect(out.withouts).toEqual({
      withoutEntrypoint: [[], []],
      keepDefaultArgs: ["-c", "x"],
      withoutDefaultArgs: [],
      withoutUser: "",
      withoutWorkdir: ""
    })
  })

  it("withFiles, withoutFile(s), withoutDirectory", () => {
    expect(out.withFiles).toBe("AB600\n")
    expect(out.removals).toEqual({ entries: ["keep"], f1: false })
  })

  it("a file deleted by a later exec does not come back when directory(path) is copied elsewhere", () => {
    expect(out.deletedStaysDeleted).toBe("/copy\n/copy/p\n/copy/p/c\n")
  })

  it("withSymlink; directory and file through a symlink to a directory", () => {
    expect(out.symlink).toEqual({ readlink: "/data\n", dirEntries: ["f.txt"], file: "hello" })
  })

  it("exists and stat", () => {
    expect(out.exists).toEqual([true, true, false, true, false])
    expect({ ...out.stat, fileType: kind(out.stat.fileType), link: kind(out.stat.link) }).toEqual({
      name: "f.txt",
      size: 5,
      permissions: 0o640,
      fileType: "REGULAR",
      link: "SYMLINK"
    })
  })

  it("writing a file into an existing directory keeps its owner and mode", () => {
    expect(out.ownerAndMode).toBe("1234:4321 750\n")
  })

  it("rootfs and withRootfs", () => {
    expect(out.rootfs).toEqual({ marker: "m", withRootfs: "m" })
  })

  it("withMountedFile, mounts, withoutMount, withMountedTemp", () => {
    expect(out.mountedFile).toEqual({ contents: "A", mounts: ["/etc/app.conf"], withoutMount: "1\n" })
    expect(out.mountedTemp).toBe("tmpfs tmpfs\nx\n")
  })

  it("cacheVolume and withMountedCache: persistence, source, owner, LOCKED, PRIVATE", () => {
    expect(out.cache).toEqual({ first: "1000:1001\nseed", second: "one\ntwo\n" })
    expect(out.cacheLocked).toEqual(["alone\n", "alone\n"])
    expect(out.cachePrivate).toEqual(["alone\n", "alone\n"])
  })

  it("combinedOutput interleaves stdout and stderr in arrival order", () => {
    expect(out.combinedOutput).toBe("1\n2\n3\n4\n")
  })

  it("withExec does not run the entrypoint unless useEntrypoint", () => {
    expect(out.noEntrypoint).toEqual(["plain\n", "EP x\n"])
  })

  it("exit codes: 254 under ANY and FAILURE; 0 under FAILURE and 130 under ANY are errors", () => {
    expect(out.exit254Any).toBe(254)
    expect(out.exit254Failure).toBe(254)
    expect(out.exit0Failure.execError).toMatchObject({ exitCode: 0 })
    expect(out.exit130Any.execError).toMatchObject({ exitCode: 130 })
  })

  it("3 MiB of stdout comes back byte for byte, on success and failure", () => {
    expect(out.bigStdout).toEqual({ length: 3 * 1024 * 1024, line: "3071".padStart(1023, "0"), same: true })
    expect(out.bigStdoutError.execError).toMatchObject({ exitCode: 3, stdout: 3 * 1024 * 1024 - 1 })
  })
})
