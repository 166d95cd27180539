/**
 * Container fields (issue 3, §2.2 of the reference) through an in-process session: config lists and their IDs,
 * files and removals, exists/stat, mounts (file, cache, tmpfs), combinedOutput, rootfs, and the exec behaviours that
 * public bug reports on Dagger and BuildKit are about.
 */
import Dockerode from "dockerode"
import { randomBytes } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SessionInfo } from "../../src/Engine/Engine.js"
import { openSession, query } from "../support/session.js"

let session: SessionInfo
let close: () => Promise<void>

beforeAll(async () => {
  ;({ session, close } = await openSession())
})
const run = `test-${randomBytes(4).toString("hex")}`
afterAll(async () => {
  await close?.()
  // Cache volumes outlive engines: remove this run's.
  const docker = new Dockerode()
  const { Volumes } = await docker.listVolumes({ filters: { label: ["dirk.volume=1"] } })
  for (const v of Volumes ?? []) {
    if (v.Labels?.["dirk.cache"]?.startsWith(run)) await docker.getVolume(v.Name).remove({ force: true }).catch(() => undefined)
  }
})

const base = `container { from(address: "dirk.local/busybox:latest")`
/** `base` opens one brace more than it closes: queries using it are closed here. */
const balance = (q: string) => q + "}".repeat(Math.max(0, (q.match(/{/g) ?? []).length - (q.match(/}/g) ?? []).length))
const ok = async (q: string) => {
  const r = await query(session, balance(q))
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined()
  return r.data
}
const fails = async (q: string) => {
  const r = await query(session, balance(q))
  expect(r.errors, "expected an error").toBeDefined()
  return r.errors![0]!.message
}
const key = () => `${run}-${randomBytes(6).toString("hex")}`

describe("Container config fields", () => {
  it("lists env variables in order, each loadable by node(id)", async () => {
    const d = await ok(`{ ${base} { withEnvVariable(name: "A", value: "1") { withEnvVariable(name: "B", value: "2") {
      withEnvVariable(name: "A", value: "3") { envVariables { name value id } } } } } } }`)
    const vars = d.container.from.withEnvVariable.withEnvVariable.withEnvVariable.envVariables
    const names = vars.map((v: { name: string }) => v.name)
    expect(names.slice(-2)).toEqual(["A", "B"])
    expect(names[0]).toBe("PATH")
    expect(vars.find((v: { name: string }) => v.name === "A").value).toBe("3")
    const last = vars[vars.length - 1]
    const n = await ok(`{ node(id: "${last.id}") { ... on EnvVariable { name value } } }`)
    expect(n.node).toEqual({ name: "B", value: "2" })
  })

  it("sets, reads, lists (sorted) and removes labels", async () => {
    const d = await ok(`{ container { withLabel(name: "z", value: "last") { withLabel(name: "a", value: "first") {
      label(name: "a") missing: label(name: "nope") labels { name value id }
      withoutLabel(name: "z") { labels { name } } } } } }`)
    const c = d.container.withLabel.withLabel
    expect(c.label).toBe("first")
    expect(c.missing).toBeNull()
    expect(c.labels.map((l: { name: string; value: string }) => [l.name, l.value])).toEqual([["a", "first"], ["z", "last"]])
    expect(c.withoutLabel.labels).toEqual([{ name: "a" }])
    const n = await ok(`{ node(id: "${c.labels[1].id}") { ... on Label { name value } } }`)
    expect(n.node).toEqual({ name: "z", value: "last" })
  })

  it("exposes and unexposes ports", async () => {
    const d = await ok(`{ container { withExposedPort(port: 8080, description: "web") {
      withExposedPort(port: 53, protocol: UDP, experimentalSkipHealthcheck: true) {
        exposedPorts { port protocol description experimentalSkipHealthcheck id }
        withoutExposedPort(port: 8080) { exposedPorts { port protocol } } } } } }`)
    const c = d.container.withExposedPort.withExposedPort
    expect(c.exposedPorts.map(({ id: _, ...p }: { id: string }) => p)).toEqual([
      { port: 8080, protocol: "TCP", description: "web", experimentalSkipHealthcheck: false },
      { port: 53, protocol: "UDP", description: null, experimentalSkipHealthcheck: true }
    ])
    expect(c.withoutExposedPort.exposedPorts).toEqual([{ port: 53, protocol: "UDP" }])
    const n = await ok(`{ node(id: "${c.exposedPorts[0].id}") { ... on Port { port description } } }`)
    expect(n.node).toEqual({ port: 8080, description: "web" })
  })

  it("clears entrypoint, default args, user and workdir", async () => {
    const d = await ok(`{ container { withEntrypoint(args: ["sh"]) { withDefaultArgs(args: ["-c", "x"]) { withUser(name: "1000") {
      withWorkdir(path: "/w") {
        a: withoutEntrypoint { entrypoint defaultArgs }
        b: withoutEntrypoint(keepDefaultArgs: true) { entrypoint defaultArgs }
        withoutDefaultArgs { defaultArgs entrypoint }
        withoutUser { user }
        withoutWorkdir { workdir } } } } } } }`)
    const c = d.container.withEntrypoint.withDefaultArgs.withUser.withWorkdir
    expect(c.a).toEqual({ entrypoint: [], defaultArgs: [] })
    expect(c.b).toEqual({ entrypoint: [], defaultArgs: ["-c", "x"] })
    expect(c.withoutDefaultArgs).toEqual({ defaultArgs: [], entrypoint: ["sh"] })
    expect(c.withoutUser.user).toBe("")
    expect(c.withoutWorkdir.workdir).toBe("")
  })
})

describe("Container filesystem fields", () => {
  it("withFiles copies files into a directory with permissions", async () => {
    const d = await ok(`{ ${base} { withFiles(path: "/dst", sources: [], permissions: 384) { id } } }`)
    expect(d).toBeDefined()
    const ids = await ok(`{ directory { withNewFile(path: "a.txt", contents: "A") { a: file(path: "a.txt") { id } } }
      d2: directory { withNewFile(path: "sub/b.txt", contents: "B") { b: file(path: "sub/b.txt") { id } } } }`)
    const a = ids.directory.withNewFile.a.id
    const b = ids.d2.withNewFile.b.id
    const r = await ok(`{ ${base} { withFiles(path: "/dst", sources: ["${a}", "${b}"], permissions: 384) {
      withExec(args: ["sh", "-c", "cat /dst/a.txt /dst/b.txt; stat -c %a /dst/a.txt"]) { stdout } } } }`)
    expect(r.container.from.withFiles.withExec.stdout).toBe("AB600\n")
  })

  it("removes files and directories (as an exec of rm), and a removed file stays removed when copied out", async () => {
    const d = await ok(`{ ${base} { withExec(args: ["sh", "-c", "mkdir -p /d/sub && echo 1 > /d/keep && echo 2 > /d/gone && echo 3 > /d/sub/x && echo 4 > /f1 && echo 5 > /f2"]) {
      withoutFile(path: "/d/gone") { withoutFiles(paths: ["/f1", "/f2"]) { withoutDirectory(path: "/d/sub") {
        withExec(args: ["sh", "-c", "ls /d; ls /f1 /f2 2>&1 | wc -l"]) { stdout }
        directory(path: "/d") { entries } } } } } } }`)
    const c = d.container.from.withExec.withoutFile.withoutFiles.withoutDirectory
    expect(c.withExec.stdout).toBe("keep\n2\n")
    expect(c.directory.entries).toEqual(["keep"])
  })

  it("a file deleted by a later exec does not come back in directory(path) copied elsewhere", async () => {
    const d = await ok(`{ ${base} { withExec(args: ["sh", "-c", "mkdir -p /app/p && echo a > /app/p/a && echo b > /app/p/b"]) {
      withExec(args: ["sh", "-c", "rm /app/p/a && rm -rf /app/p && mkdir /app/p && echo c > /app/p/c"]) {
        directory(path: "/app") { id } } } } }`)
    const dir = d.container.from.withExec.withExec.directory.id
    const copied = await ok(`{ ${base} { withDirectory(path: "/copy", source: "${dir}") { withExec(args: ["sh", "-c", "find /copy | sort"]) { stdout } } } }`)
    expect(copied.container.from.withDirectory.withExec.stdout).toBe("/copy\n/copy/p\n/copy/p/c\n")
    const other = await ok(`{ directory { withDirectory(path: "x", source: "${dir}") { glob(pattern: "**") } } }`)
    expect(other.directory.withDirectory.glob.sort()).toEqual(["x", "x/p", "x/p/c"])
  })

  it("an image without rm gives a clear error for removals", async () => {
    const msg = await fails(`{ container { withNewFile(path: "/a", contents: "x") { withoutFile(path: "/a") { rootfs { entries } } } } }`)
    expect(msg).toMatch(/cannot remove \/a: .*rm/)
  })

  it("withSymlink, exists and stat", async () => {
    const d = await ok(`{ ${base} { withNewFile(path: "/data/f.txt", contents: "hello", permissions: 416) {
      withSymlink(target: "/data", linkName: "/link") { withSymlink(target: "f.txt", linkName: "/data/rel") {
        e1: exists(path: "/data/f.txt")
        e2: exists(path: "/data/f.txt", expectedType: REGULAR_TYPE)
        e3: exists(path: "/data/f.txt", expectedType: DIRECTORY_TYPE)
        e4: exists(path: "/link", expectedType: DIRECTORY_TYPE)
        e5: exists(path: "/link", expectedType: SYMLINK_TYPE, doNotFollowSymlinks: true)
        e6: exists(path: "/nope")
        e7: exists(path: "/link/rel", expectedType: REGULAR_TYPE)
        s1: stat(path: "/data/f.txt") { name size permissions fileType }
        s2: stat(path: "/link") { fileType }
        s3: stat(path: "/link", doNotFollowSymlinks: true) { fileType }
        s4: stat(path: "/data") { name fileType permissions }
        withExec(args: ["readlink", "/link"]) { stdout }
        linkDir: directory(path: "/link") { entries }
        linkFile: file(path: "/link/f.txt") { contents }
      } } } } }`)
    const c = d.container.from.withNewFile.withSymlink.withSymlink
    // FileType serializes as REGULAR or its alias REGULAR_TYPE (the Stat type decides): compare the kind.
    for (const s of [c.s1, c.s2, c.s3, c.s4]) s.fileType = s.fileType.replace(/_TYPE$/, "")
    expect([c.e1, c.e2, c.e3, c.e4, c.e5, c.e6, c.e7]).toEqual([true, true, false, true, true, false, true])
    expect(c.s1).toEqual({ name: "f.txt", size: 5, permissions: 0o640, fileType: "REGULAR" })
    expect(c.s2.fileType).toBe("DIRECTORY")
    expect(c.s3.fileType).toBe("SYMLINK")
    expect(c.s4).toEqual({ name: "data", fileType: "DIRECTORY", permissions: 0o755 })
    expect(c.withExec.stdout).toBe("/data\n")
    expect(c.linkDir.entries).toEqual(["f.txt", "rel"])
    expect(c.linkFile.contents).toBe("hello")
  })

  it("directory() of a file or of a missing path is a clear error", async () => {
    expect(await fails(`{ ${base} { directory(path: "/etc/passwd") { entries } } }`)).toMatch(/not a directory.*\/etc\/passwd|\/etc\/passwd.*not a directory/)
    expect(await fails(`{ ${base} { directory(path: "/nope") { entries } } }`)).toMatch(/\/nope/)
  })

  it("stat of a missing path is an error", async () => {
    expect(await fails(`{ ${base} { stat(path: "/nope") { name } } }`)).toMatch(/no such file or directory/)
  })

  it("writing a file into an existing directory keeps the directory's owner and mode", async () => {
    const d = await ok(`{ ${base} { withExec(args: ["sh", "-c", "mkdir -p /o && chown 1234:4321 /o && chmod 0750 /o"]) {
      withNewFile(path: "/o/new.txt", contents: "n") { withExec(args: ["stat", "-c", "%u:%g %a", "/o"]) { stdout } } } } }`)
    expect(d.container.from.withExec.withNewFile.withExec.stdout).toBe("1234:4321 750\n")
  })

  it("rootfs and withRootfs", async () => {
    const d = await ok(`{ ${base} { withNewFile(path: "/marker", contents: "m") { rootfs { file(path: "marker") { contents } id } } } }`)
    expect(d.container.from.withNewFile.rootfs.file.contents).toBe("m")
    const id = d.container.from.withNewFile.rootfs.id
    const r = await ok(`{ container { withRootfs(directory: "${id}") { withExec(args: ["cat", "/marker"]) { stdout } } } }`)
    expect(r.container.withRootfs.withExec.stdout).toBe("m")
  })
})

describe("Container mounts", () => {
  it("mounts a file, and unmounts", async () => {
    const f = await ok(`{ directory { withNewFile(path: "x/conf.txt", contents: "conf") { file(path: "x/conf.txt") { id } } } }`)
    const id = f.directory.withNewFile.file.id
    const d = await ok(`{ ${base} { withMountedFile(path: "/etc/app.conf", source: "${id}") {
      withExec(args: ["cat", "/etc/app.conf"]) { stdout } mounts
      withoutMount(path: "/etc/app.conf") { mounts withExec(args: ["sh", "-c", "test -e /etc/app.conf; echo $?"]) { stdout } } } } }`)
    const c = d.container.from.withMountedFile
    expect(c.withExec.stdout).toBe("conf")
    expect(c.mounts).toEqual(["/etc/app.conf"])
    expect(c.withoutMount.mounts).toEqual([])
    expect(c.withoutMount.withExec.stdout).toBe("1\n")
  })

  it("mounts a tmpfs with a size", async () => {
    const d = await ok(`{ ${base} { withMountedTemp(path: "/scratch", size: 1048576) {
      withExec(args: ["sh", "-c", "grep ' /scratch ' /proc/mounts | cut -d' ' -f1,3; echo x > /scratch/f; cat /scratch/f"]) { stdout rootfs { entries } } } } }`)
    expect(d.container.from.withMountedTemp.withExec.stdout).toBe("tmpfs tmpfs\nx\n")
  })

  it("cache volumes persist across execs (SHARED), with source and owner", async () => {
    const k = key()
    const src = await ok(`{ directory { withNewFile(path: "seed.txt", contents: "seed") { id } } }`)
    const seed = src.directory.withNewFile.id
    const d1 = await ok(`{ cacheVolume(key: "${k}") { id } }`)
    const cache = d1.cacheVolume.id
    const a = await ok(`{ ${base} { withMountedCache(path: "/cache", cache: "${cache}", source: "${seed}", owner: "1000:1001") {
      withExec(args: ["sh", "-c", "stat -c '%u:%g' /cache; cat /cache/seed.txt; echo one >> /cache/log"]) { stdout } } } }`)
    expect(a.container.from.withMountedCache.withExec.stdout).toBe("1000:1001\nseed")
    const b = await ok(`{ ${base} { withMountedCache(path: "/cache", cache: "${cache}", source: "${seed}", owner: "1000:1001") {
      withExec(args: ["sh", "-c", "echo two >> /cache/log; cat /cache/log"]) { stdout } } } }`)
    expect(b.container.from.withMountedCache.withExec.stdout).toBe("one\ntwo\n")
  })

  it("LOCKED runs one exec at a time; PRIVATE execs do not share a volume concurrently; SHARED ones do", async () => {
    const k = key()
    const ids = await ok(`{ locked: cacheVolume(key: "${k}-l") { id } private: cacheVolume(key: "${k}-p") { id }
      shared: cacheVolume(key: "${k}-s") { id } }`)
    // mkdir is atomic: a second exec in the same volume at the same time finds the marker.
    const script = "if mkdir /c/busy 2>/dev/null; then sleep 2; rmdir /c/busy; echo alone; else echo overlap; sleep 2; fi"
    const go = (sharing: string, id: string, i: number) =>
      ok(`{ ${base} { withMountedCache(path: "/c", cache: "${id}", sharing: ${sharing}) { withEnvVariable(name: "I", value: "${i}") {
        withExec(args: ["sh", "-c", ${JSON.stringify(script)}]) { stdout } } } } }`)
        .then((d) => d.container.from.withMountedCache.withEnvVariable.withExec.stdout)
    expect(await Promise.all([1, 2].map((i) => go("LOCKED", ids.locked.id, i)))).toEqual(["alone\n", "alone\n"])
    expect(await Promise.all([1, 2].map((i) => go("PRIVATE", ids.private.id, i)))).toEqual(["alone\n", "alone\n"])
    expect((await Promise.all([1, 2].map((i) => go("SHARED", ids.shared.id, i)))).sort()).toEqual(["alone\n", "overlap\n"])
  })

  it("an owner name on a cache mount resolves in the container's /etc/passwd; an unknown one is an error naming it", async () => {
    const mount = async (owner: string) =>
      `withMountedCache(path: "/c", cache: "${(await ok(`{ cacheVolume(key: "${key()}") { id } }`)).cacheVolume.id}", owner: "${owner}")`
    const d = await ok(`{ ${base} { ${await mount("nobody")} { withExec(args: ["stat", "-c", "%U", "/c"]) { stdout } } } }`)
    expect(d.container.from.withMountedCache.withExec.stdout).toBe("nobody\n")
    const msg = await fails(`{ ${base} { ${await mount("nobodyx")} { withExec(args: ["true"]) { stdout } } } }`)
    expect(msg).toContain(`owner "nobodyx": no such user "nobodyx" in /etc/passwd`)
  })
})

describe("Container exec behaviours", () => {
  it("combinedOutput interleaves stdout and stderr in arrival order", async () => {
    const d = await ok(`{ ${base} { withExec(args: ["sh", "-c", "echo 1; sleep 0.2; echo 2 >&2; sleep 0.2; echo 3; sleep 0.2; echo 4 >&2"]) { combinedOutput stdout stderr } } }`)
    expect(d.container.from.withExec).toEqual({ combinedOutput: "1\n2\n3\n4\n", stdout: "1\n3\n", stderr: "2\n4\n" })
  })

  it("withExec does not run the entrypoint unless useEntrypoint", async () => {
    const d = await ok(`{ ${base} { withEntrypoint(args: ["echo", "EP"]) {
      a: withExec(args: ["echo", "plain"]) { stdout }
      b: withExec(args: ["x"], useEntrypoint: true) { stdout } } } }`)
    expect(d.container.from.withEntrypoint.a.stdout).toBe("plain\n")
    expect(d.container.from.withEntrypoint.b.stdout).toBe("EP x\n")
  })

  it("exit codes: 254 under ANY and FAILURE, 0 under FAILURE fails, 128-191 never", async () => {
    const exec = (code: number, expect: string) => `{ ${base} { withExec(args: ["sh", "-c", "exit ${code}"], expect: ${expect}) { exitCode } } }`
    expect((await ok(exec(254, "ANY"))).container.from.withExec.exitCode).toBe(254)
    expect((await ok(exec(254, "FAILURE"))).container.from.withExec.exitCode).toBe(254)
    expect(await fails(exec(0, "FAILURE"))).toMatch(/exit code: 0/)
    expect(await fails(exec(130, "ANY"))).toMatch(/exit code: 130/)
    expect(await fails(exec(191, "FAILURE"))).toMatch(/exit code: 191/)
  })

  it("3 MiB of stdout comes back byte for byte, on success and on failure", async () => {
    const script = "i=0; while [ $i -lt 3072 ]; do printf '%01023d\\n' $i; i=$((i+1)); done"
    const d = await ok(`{ ${base} { withExec(args: ["sh", "-c", ${JSON.stringify(script)}]) { stdout } } }`)
    const out: string = d.container.from.withExec.stdout
    expect(out.length).toBe(3 * 1024 * 1024)
    expect(out.split("\n")[3071]).toBe("3071".padStart(1023, "0"))
    const r = await query(session, balance(`{ ${base} { withExec(args: ["sh", "-c", ${JSON.stringify(script + "; exit 3")}]) { stdout } } }`))
    const ext = r.errors?.[0]?.extensions as { stdout: string; exitCode: number }
    expect(ext.exitCode).toBe(3)
    expect(ext.stdout.length).toBe(3 * 1024 * 1024 - 1) // the error's streams are trimmed, as Dagger does
    const f = await query(session, balance(`{ ${base} { withExec(args: ["sh", "-c", ${JSON.stringify(script + "; exit 3")}], expect: FAILURE) { stdout } } }`))
    expect(f.data.container.from.withExec.stdout).toBe(out)
  })
})
