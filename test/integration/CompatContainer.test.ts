/**
 * Container through Dagger's own npm client (`@dagger.io/dagger`, unchanged) via `dirk run`: test/compat/container.mjs
 * prints what each step returned, and each `it` checks one field or behaviour against Dagger's value. The image `from`
 * merges with is built here by Docker (env, labels, ports, entrypoint, cmd, workdir, user) and removed afterwards.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { nativePlatform, runCompat, type Steps } from "../support/compat.js"
import { registry } from "../support/docker.js"

const nonce = randomBytes(4).toString("hex")
const configured = `dirk.local/compat-from:${nonce}`
const registryImage = `${registry}/busybox:latest`
const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
let out: Steps
let registryDigest: string

beforeAll(async () => {
  const context = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-compat-from-"))
  fs.writeFileSync(
    path.join(context, "Dockerfile"),
    [
      "FROM dirk.local/busybox:latest",
      "ENV SHARED=from-image IMAGE_ONLY=yes",
      `LABEL shared.label=from-image image.label=yes dirk.test.compat=${nonce}`,
      "EXPOSE 8080/tcp 9000/udp",
      "WORKDIR /srv",
      "USER 1000:1000",
      "ENTRYPOINT [\"echo\", \"image-entrypoint\"]",
      "CMD [\"image-cmd\"]",
      ""
    ].join("\n")
  )
  execFileSync("docker", ["build", "-q", "-t", configured, context], { env: { ...process.env, DOCKER_BUILDKIT: "0" }, stdio: "ignore" })
  fs.rmSync(context, { recursive: true, force: true })
  // the manifest digest the registry serves for the tag: Dagger's imageRef pins it
  const head = await fetch(`http://${registry}/v2/busybox/manifests/latest`, {
    method: "HEAD",
    headers: {
      accept: [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json"
      ].join(", ")
    }
  })
  registryDigest = head.headers.get("docker-content-digest") ?? `(no digest: HTTP ${head.status})`
  out = await runCompat("container.mjs", [configured, registryImage])
})

afterAll(() => {
  try {
    execFileSync("docker", ["rmi", "-f", configured], { stdio: "ignore" })
  } catch {
    // not built
  }
})

const line = (...l: Array<string>) => l.join("\n") + "\n"
const kind = (t: string) => t.replace(/_TYPE$/, "")
const execError = (exitCode: number, cmd: Array<string>) =>
  expect.objectContaining({
    execError: expect.objectContaining({ exitCode, cmd, message: expect.stringMatching(new RegExp(`exit code: ${exitCode}$`)) })
  })

describe("Container.from and the image config, through Dagger's client", () => {
  it("from: the image's env, cmd and no entrypoint, workdir or user", () => {
    expect(out.fromBusybox).toEqual({
      env: [["PATH", PATH]],
      labels: [],
      ports: [],
      entrypoint: [],
      defaultArgs: ["sh"],
      workdir: "",
      user: ""
    })
  })

  it("from merges env in place (image wins), labels and exposed ports (descriptions kept); replaces entrypoint, cmd, workdir, user", () => {
    const m = out.fromMerge
    expect(m.env).toEqual([["SHARED", "from-image"], ["MINE", "kept"], ["PATH", PATH], ["IMAGE_ONLY", "yes"]])
    expect([...m.labels].sort()).toEqual([
      ["dirk.test.compat", nonce],
      ["image.label", "yes"],
      ["mine.label", "kept"],
      ["shared.label", "from-image"]
    ])
    expect([...m.ports].sort((a: any, b: any) => a.port - b.port)).toEqual([
      { port: 7000, protocol: "TCP", description: "mine", skip: false },
      { port: 8080, protocol: "TCP", description: "web", skip: false },
      { port: 9000, protocol: "UDP", description: null, skip: false }
    ])
    expect({ entrypoint: m.entrypoint, defaultArgs: m.defaultArgs, workdir: m.workdir, user: m.user }).toEqual({
      entrypoint: ["echo", "image-entrypoint"],
      defaultArgs: ["image-cmd"],
      workdir: "/srv",
      user: "1000:1000"
    })
  })

  it("from: the merged entrypoint and cmd run with useEntrypoint", () => {
    expect(out.fromMerge.run).toBe("image-entrypoint image-cmd\n")
  })

  it("from replaces workdir, user and entrypoint with the image's, even when empty", () => {
    expect(out.fromReplacesWithEmpty).toEqual({ workdir: "", user: "", entrypoint: [], defaultArgs: ["sh"] })
  })

  it("from replaces the rootfs", () => {
    expect(out.fromAgainReplacesRootfs).toBe(false)
  })

  it("from a missing image: an error naming it", () => {
    expect(out.missingImage.error).toContain("dirk.local/no-such-image:1")
  })

  it("platform: the engine's native platform", () => {
    expect(out.platform).toBe(nativePlatform())
    expect(out.scratchPlatform).toBe(nativePlatform())
  })

  it("imageRef directly after from: the address pinned to the registry's manifest digest", () => {
    expect(registryDigest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(out.imageRef).toBe(`${registryImage}@${registryDigest}`)
  })

  it("imageRef after an exec: an error", () => {
    expect(out.imageRefAfterExec.error).toMatch(
      /imageRef is only valid directly after from\(\)|can only be retrieved immediately after the 'Container.From' call/
    )
  })
})

describe("Container.withExec, through Dagger's client", () => {
  it("stdout of an exec", () => {
    expect(out.exec).toBe("hello\n")
  })

  it("stderr of an exec", () => {
    expect(out.stderr).toBe("err\n")
  })

  it("a failing exec: ExecError with cmd, exitCode, trimmed stdout and stderr, `exit code: N`", () => {
    expect(out.execError.execError).toEqual({
      exitCode: 7,
      stdout: "partial",
      stderr: "failing",
      cmd: ["sh", "-c", "echo partial; echo failing >&2; exit 7"],
      message: expect.stringMatching(/exit code: 7$/)
    })
  })

  it("exitCode: 0 on success", () => {
    expect(out.exitCodeZero).toBe(0)
  })

  it("expect FAILURE accepts 2 and 254", () => {
    expect(out.exit2Failure).toBe(2)
    expect(out.exit254Failure).toBe(254)
  })

  it("expect ANY accepts 0, 192 and 254", () => {
    expect(out.exit0Any).toBe(0)
    expect(out.exit192Any).toBe(192)
    expect(out.exit254Any).toBe(254)
  })

  it("expect FAILURE refuses 0: ExecError with exitCode 0", () => {
    expect(out.exit0Failure).toEqual(execError(0, ["sh", "-c", "exit 0"]))
  })

  it("expect ANY refuses 128, 130 and 191 (signals): ExecError with the exit code", () => {
    expect(out.exit128Any).toEqual(execError(128, ["sh", "-c", "exit 128"]))
    expect(out.exit130Any).toEqual(execError(130, ["sh", "-c", "exit 130"]))
    expect(out.exit191Any).toEqual(execError(191, ["sh", "-c", "exit 191"]))
  })

  it("an accepted failure keeps stdout, stderr and exitCode readable", () => {
    expect(out.failureOutputs).toEqual({ stdout: "kept\n", stderr: "also\n", exitCode: 3 })
  })

  it("stdin is written to the process", () => {
    expect(out.stdin).toBe("from stdin")
  })

  it("redirectStdout (relative to the workdir) writes the file; stderr is still captured", () => {
    expect(out.redirectStdout).toEqual({ file: "to-file\n", stderr: "to-stderr\n" })
  })

  it("redirectStderr writes the file; stdout is still captured", () => {
    expect(out.redirectStderr).toEqual({ file: "to-file\n", stdout: "to-stdout\n" })
  })

  it("redirectStdin: a file of the container (relative to the workdir, in a mount, through a symlink) is the stdin", () => {
    expect(out.redirectStdin).toBe("from a file\n")
    expect(out.redirectStdinMount).toBe("from a mount\n")
    expect(out.redirectStdinLink.trim()).toBe("15")
    expect(out.redirectStdinSecret).toBe("with a secret\n")
    expect(out.redirectStdinDevNull.trim()).toBe("0")
  })

  it("redirectStdin: a missing file is an error naming it; with stdin too, an error", () => {
    expect(out.redirectStdinMissing.error).toContain("redirectStdin: /nope.txt: no such file in the container")
    expect(out.redirectStdinBoth.error).toContain("withExec: give stdin or redirectStdin, not both")
  })

  it("noInit: accepted, and the command runs as PID 1", () => {
    expect(out.noInit).toBe("1\n")
  })

  it("the entrypoint runs only with useEntrypoint", () => {
    expect(out.useEntrypoint).toEqual({ without: "plain\n", with: "EP x\n" })
  })

  it("empty args run the default args; with none set: `no command has been set`", () => {
    expect(out.emptyArgsRunDefaultArgs).toBe("defaults\n")
    expect(out.emptyArgsNothingSet.error).toContain("no command has been set")
  })

  it("stdout without an exec: `no command has been set`", () => {
    expect(out.stdoutWithoutExec.error).toContain("no command has been set")
  })

  it("combinedOutput interleaves stdout and stderr in arrival order", () => {
    expect(out.combinedOutput).toBe("1\n2\n3\n4\n")
  })

  it("3 MiB of stdout comes back byte for byte, on success and failure", () => {
    expect(out.bigStdout).toEqual({ length: 3 * 1024 * 1024, line: "3071".padStart(1023, "0"), same: true })
    expect(out.bigStdoutError).toEqual({ exitCode: 3, stdoutLength: 3 * 1024 * 1024 - 1 })
  })

  it("an exec without env or workdir gets the default PATH, / and root", () => {
    expect(out.execEnvDefaults).toBe(line(PATH, "/", "0"))
  })
})

describe("Container expand: ${VAR} and $VAR from the container's env, through Dagger's client", () => {
  it("withExec args", () => {
    expect(out.expandExec).toEqual({ on: "one-two\n", off: "${A}-$B\n" })
  })

  it("withEnvVariable value", () => {
    expect(out.expandEnvVariable).toEqual({ on: "one/two", off: "${A}/$B" })
  })

  it("withWorkdir path", () => {
    expect(out.expandWorkdir).toBe("/w/one")
  })

  it("withNewFile and file: the path, never the contents", () => {
    expect(out.expandNewFile).toEqual({ contents: "${B}", viaExpand: "${B}" })
  })

  it("paths of withDirectory, withFile, withMounted*, withSymlink, directory, exists, without*", () => {
    expect(out.expandPaths).toEqual({
      directory: ["a.txt", "sub/"],
      file: "A",
      mounts: ["/m/one", "/t/two"],
      exists: true,
      link: "/d/one\n",
      withoutFile: false,
      withoutDirectory: false,
      withoutMount: ["/t/two"]
    })
  })
})

describe("Container config fields, through Dagger's client", () => {
  it("envVariables: in order, replaced in place", () => {
    expect(out.envVariables).toEqual([["PATH", PATH], ["A", "3"], ["B", "2"]])
  })

  it("envVariable: the value, null when unset", () => {
    expect(out.envVariable).toEqual({ set: "one", missing: null })
  })

  it("withoutEnvVariable removes it from the list, the field and the exec", () => {
    expect(out.withoutEnvVariable).toEqual({ names: ["PATH", "B"], value: null, exec: "unset\n" })
  })

  it("execs see the env", () => {
    expect(out.envInExec).toBe("one two\n")
  })

  it("EnvVariable: each has its own id, and loadEnvVariableFromID gives it back", () => {
    expect(out.envVariableIds).toEqual({ ids: 3, distinct: 3, loaded: [["PATH", PATH], ["A", "one"], ["B", "two"]] })
  })

  it("labels (by name), label, withoutLabel", () => {
    expect(out.labels).toEqual({ all: [["a.label", "first"], ["z.label", "last"]], one: "first", missing: null, without: ["a.label"] })
  })

  it("Label: each has its own id, and loadLabelFromID gives it back", () => {
    expect(out.labelIds).toEqual({ ids: 2, distinct: 2, loaded: [["x", "1"], ["y", "2"]] })
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

  it("Port: each has its own id, and loadPortFromID gives it back", () => {
    expect(out.portIds).toEqual({ ids: 2, distinct: 2, loaded: [[80, "TCP", "http"], [53, "UDP", null]] })
  })

  it("withEntrypoint clears the default args unless keepDefaultArgs", () => {
    expect(out.entrypointClearsDefaultArgs).toEqual({ cleared: [], kept: ["a", "b"], imageCmd: [], entrypoint: ["ep", "x"] })
  })

  it("withoutEntrypoint (keepDefaultArgs), withoutDefaultArgs, withoutUser, withoutWorkdir", () => {
    expect(out.withouts).toEqual({
      withoutEntrypoint: [[], []],
      keepDefaultArgs: ["-c", "x"],
      withoutDefaultArgs: [],
      withoutUser: "",
      withoutWorkdir: ""
    })
  })

  it("withUser and user: execs run as that user (name or uid:gid)", () => {
    expect(out.withUser).toEqual({ user: "nobody", exec: "nobody\n", numeric: "uid=1234 gid=5678 groups=5678\n" })
  })

  it("withWorkdir is relative to the current one; execs run there (created when missing)", () => {
    expect(out.withWorkdir).toEqual({ workdir: "/a/b", pwd: "/a/b\n" })
  })
})

describe("Container files, through Dagger's client", () => {
  it("withNewFile: contents, default mode 0644, permissions", () => {
    expect(out.withNewFile).toEqual({ contents: "new contents", modes: line("644", "750") })
    expect(out.withNewFileRelative).toBe("r")
  })

  it("withFile keeps the file's mode unless permissions", () => {
    expect(out.withFile).toEqual({ contents: "A", modes: line("644", "600") })
  })

  it("withDirectory, with include and exclude", () => {
    expect(out.withDirectory).toEqual({ src: "B", include: ["sub", "sub/b.txt"], exclude: ["a.txt"] })
  })

  it("withFiles puts each file under its name, with permissions", () => {
    expect(out.withFiles).toBe("AB600\n")
  })

  it("withoutFile, withoutFiles, withoutDirectory; a missing path is no error", () => {
    expect(out.removals).toEqual({ entries: ["keep"], f1: false })
  })

  it("a file deleted by a later exec (parent replaced) does not come back in directory(path)", () => {
    expect(out.deletedParentReplaced).toBe(line("/copy", "/copy/p", "/copy/p/c"))
  })

  it("a file deleted by a later exec (parent kept) does not come back in directory(path)", () => {
    expect(out.deletedParentKept).toEqual({
      copied: line("/copy", "/copy/p", "/copy/p/b"),
      glob: ["p", "p/b"],
      intoDirectory: ["x", "x/p", "x/p/b"]
    })
  })

  it("withSymlink; directory and file through a symlink to a directory", () => {
    expect(out.symlink).toEqual({ readlink: "/data\n", dirEntries: ["f.txt"], file: "hello" })
  })

  it("exists, with expectedType and doNotFollowSymlinks", () => {
    expect(out.exists).toEqual([true, true, false, true, false])
  })

  it("stat", () => {
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

  it("directory(path) and file(path), also relative to the workdir", () => {
    expect(out.containerFileAndDirectory).toEqual({ entries: ["one", "two"], file: "2\n", relative: "1\n" })
  })

  it("file of a missing path: an error naming it", () => {
    expect(out.fileMissing.error).toContain("/nope.txt")
  })
})

describe("Container mounts, through Dagger's client", () => {
  it("withMountedFile, mounts, withoutMount", () => {
    expect(out.mountedFile).toEqual({ contents: "A", mounts: ["/etc/app.conf"], withoutMount: "1\n" })
  })

  it("withMountedTemp: a tmpfs", () => {
    expect(out.mountedTemp).toBe("tmpfs tmpfs\nx\n")
  })

  it("withMountedDirectory: writable, its changes kept as the mount's contents, not in the rootfs; the source unchanged", () => {
    expect(out.mountedDirectory).toEqual({
      ls: "a.txt\nsub\n",
      mounts: ["/m"],
      changesKept: ["new.txt", "sub/"],
      sourceUnchanged: ["a.txt", "sub/"],
      notInRootfs: "0\n"
    })
  })

  it("withMountedDirectory readOnly: readable, writing fails", () => {
    expect(out.mountedDirectoryReadOnly.read).toBe("A")
    expect(out.mountedDirectoryReadOnly.write).toEqual({ exitCode: 1, stderr: expect.stringContaining("Read-only file system") })
  })
})

describe("Container identity, through Dagger's client", () => {
  it("id and loadContainerFromID", () => {
    expect(out.byId).toBe("by id\n")
  })

  it("sync runs the execs and returns the container", () => {
    expect(out.sync).toBe("synced\n")
    expect(out.syncError).toBe(5)
  })
})
