/**
 * Issue 3 point 6 (behaviours from public bug reports on Dagger and BuildKit): the cases the other suites leave out.
 * The main assertions live in CompatContainer/CompatDirectory (Dagger's client) and ContainerFields (the session);
 * here: the edges of the exit-code ranges, and writes into an existing directory through withFile, withDirectory
 * and a Directory (not only Container.withNewFile).
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SessionInfo } from "../../src/Engine/Engine.js"
import { openSession, query } from "../support/session.js"

let session: SessionInfo
let close: () => Promise<void>

beforeAll(async () => {
  ;({ session, close } = await openSession())
})
afterAll(async () => {
  await close?.()
})

const base = `container { from(address: "dirk.local/busybox:latest")`
const ok = async (q: string) => {
  const r = await query(session, q)
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined()
  return r.data
}

describe("exit codes at the edges of the ranges", () => {
  const exec = (code: number, expect: string) =>
    query(session, `{ ${base} { withExec(args: ["sh", "-c", "exit ${code}"], expect: ${expect}) { exitCode } } } }`)

  it("127 and 192 are accepted under ANY and FAILURE; 128 and 191 are errors under both", async () => {
    for (const expectArg of ["ANY", "FAILURE"]) {
      for (const code of [127, 192]) {
        const r = await exec(code, expectArg)
        expect(r.errors, `${code} under ${expectArg}`).toBeUndefined()
        expect(r.data.container.from.withExec.exitCode).toBe(code)
      }
      for (const code of [128, 191]) {
        const r = await exec(code, expectArg)
        expect(r.errors?.[0]?.message, `${code} under ${expectArg}`).toMatch(new RegExp(`exit code: ${code}`))
        expect(r.errors?.[0]?.extensions).toMatchObject({ _type: "EXEC_ERROR", exitCode: code })
      }
    }
  })

  it("a non-zero code under SUCCESS is an error; 0 under ANY is accepted", async () => {
    expect((await exec(1, "SUCCESS")).errors?.[0]?.message).toMatch(/exit code: 1/)
    expect((await exec(0, "ANY")).data.container.from.withExec.exitCode).toBe(0)
  })
})

describe("writing into an existing directory keeps its owner and mode", () => {
  it("Container.withFile and withDirectory into /o keep /o at 1234:4321 0750", async () => {
    const src = await ok(`{ directory { withNewFile(path: "f.txt", contents: "F") { id file(path: "f.txt") { id } } } }`)
    const dir = src.directory.withNewFile.id
    const file = src.directory.withNewFile.file.id
    const d = await ok(`{ ${base} { withExec(args: ["sh", "-c", "mkdir -p /o && chown 1234:4321 /o && chmod 0750 /o"]) {
      withFile(path: "/o/new.txt", source: "${file}") { a: withExec(args: ["stat", "-c", "%u:%g %a", "/o"]) { stdout } }
      withDirectory(path: "/o", source: "${dir}") { b: withExec(args: ["stat", "-c", "%u:%g %a", "/o"]) { stdout } } } } } }`)
    const c = d.container.from.withExec
    expect(c.withFile.a.stdout).toBe("1234:4321 750\n")
    expect(c.withDirectory.b.stdout).toBe("1234:4321 750\n")
  })

  it("Directory.withNewFile, withFile and withDirectory into a 0700 directory keep it 0700", async () => {
    const d = await ok(`{ directory { withNewDirectory(path: "o", permissions: 448) {
      withNewFile(path: "o/n.txt", contents: "n") { a: stat(path: "o") { permissions }
        withDirectory(path: "o", source: "${(await ok(`{ directory { withNewFile(path: "x.txt", contents: "x") { id } } }`)).directory.withNewFile.id}") {
          b: stat(path: "o") { permissions } entries(path: "o") } } } } }`)
    const w = d.directory.withNewDirectory.withNewFile
    expect(w.a.permissions).toBe(0o700)
    expect(w.withDirectory.b.permissions).toBe(0o700)
    expect(w.withDirectory.entries).toEqual(["n.txt", "x.txt"])
  })
})

describe("reading an image's files shows the image, not what Docker adds to its containers", () => {
  const image = `dirk.local/behaviours-init-${process.pid}:latest`
  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-init-"))
    fs.writeFileSync(path.join(dir, "hosts"), "10.1.2.3 own-host\n")
    fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM dirk.local/busybox:latest\nCOPY hosts /etc/hosts\n")
    execFileSync("docker", ["build", "-q", "-t", image, dir], { stdio: "ignore" })
    fs.rmSync(dir, { recursive: true, force: true })
  })
  afterAll(() => {
    execFileSync("docker", ["rmi", "-f", image], { stdio: "ignore" })
  })

  it("the image's own /etc/hosts (not the container's empty one); no .dockerenv, hostname or resolv.conf", async () => {
    const d = await ok(`{ container { from(address: "${image}") {
      hosts: file(path: "/etc/hosts") { contents }
      etc: directory(path: "/etc") { entries }
      root: rootfs { entries }
    } } }`)
    expect(d.container.from.hosts.contents).toBe("10.1.2.3 own-host\n")
    expect(d.container.from.etc.entries).toEqual(["group", "hosts", "nsswitch.conf", "passwd"])
    expect(d.container.from.root.entries).not.toContain(".dockerenv")
    const scratch = await ok(`{ container { rootfs { entries } } }`)
    expect(scratch.container.rootfs.entries).toEqual([])
    const missing = await query(session, `{ ${base} { file(path: "/etc/hostname") { contents } } } }`)
    expect(missing.errors?.[0]?.message).toContain("/etc/hostname")
  })

  it("exporting a container's directory to a new host path (streamed) and to an existing one (through a snapshot) write the same tree", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-export-etc-"))
    try {
      const fresh = path.join(out, "fresh")
      const existing = path.join(out, "existing")
      fs.mkdirSync(existing)
      const chain = `container { from(address: "${image}") { withExec(args: ["sh", "-c", "mkdir -p /etc/app && echo x > /etc/app/f && chmod 640 /etc/app/f && rm /etc/group"]) { directory(path: "/etc") {`
      await ok(`{ ${chain} export(path: "${fresh}") } } } } }`)
      await ok(`{ ${chain} export(path: "${existing}") } } } } }`)
      const list = (d: string) => fs.readdirSync(d, { recursive: true }).map(String).sort()
      expect(list(fresh)).toEqual(["app", "app/f", "hosts", "nsswitch.conf", "passwd"])
      expect(list(existing)).toEqual(list(fresh))
      expect(fs.readFileSync(path.join(fresh, "hosts"), "utf8")).toBe("10.1.2.3 own-host\n")
      expect(fs.statSync(path.join(fresh, "app/f")).mode & 0o777).toBe(0o640)
      expect(fs.statSync(path.join(existing, "app/f")).mode & 0o777).toBe(0o640)
    } finally {
      fs.rmSync(out, { recursive: true, force: true })
    }
  })
})

describe("a host directory copied in, then an exec (the files go into the exec's own container)", () => {
  it("the exec sees the files, a later exec and the copy alone see them too, and a host change is a new copy", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-fused-"))
    try {
      fs.mkdirSync(path.join(dir, "sub"))
      fs.writeFileSync(path.join(dir, "a.txt"), "A\n")
      fs.writeFileSync(path.join(dir, "sub/b.txt"), "B\n")
      fs.chmodSync(path.join(dir, "sub/b.txt"), 0o600)
      const withData = (tag: string) =>
        `${base} { withDirectory(path: "/data", source: $dir) { withExec(args: ["sh", "-c", "echo ${tag} > /data/exec.txt; cat /data/a.txt /data/sub/b.txt; stat -c %a /data/sub/b.txt"])`
      const id = async () => ((await ok(`{ host { directory(path: ${JSON.stringify(dir)}) { id } } }`)) as any).host.directory.id as string
      const run = async (q: string) => {
        const r = await query(session, q.split("$dir").join(JSON.stringify(await id())))
        expect(r.errors, JSON.stringify(r.errors)).toBeUndefined()
        return r.data as any
      }
      // image entries of the cache: a copy made as an image of its own is one
      const images = () => {
        const d = path.join(process.env.DIRK_STATE_DIR!, "cache", "image")
        return fs.existsSync(d) ? fs.readdirSync(d).length : 0
      }
      const before = images()
      const first = await run(`{ ${withData("one")} { stdout directory(path: "/data") { entries } } } } } }`)
      expect(first.container.from.withDirectory.withExec.stdout).toBe("A\nB\n600\n")
      expect(images()).toBe(before)
      // an exec with a secret variable (run another way) over the same copy
      const secret = ((await ok(`{ setSecret(name: "fused", plaintext: "hush") { id } }`)) as any).setSecret.id as string
      const withSecret = await run(`{ ${base} { withDirectory(path: "/data", source: $dir) { withSecretVariable(name: "S", secret: ${JSON.stringify(secret)}) { withExec(args: ["sh", "-c", "cat /data/a.txt; echo $S; echo $S | wc -c"]) { stdout } } } } } }`)
      expect(withSecret.container.from.withDirectory.withSecretVariable.withExec.stdout).toBe("A\n***\n5\n")
      expect(images()).toBe(before)
      expect(first.container.from.withDirectory.withExec.directory.entries).toEqual(["a.txt", "exec.txt", "sub/"])
      // the copy alone (made now, on its own), and another exec over it: the first exec's file is not there
      const alone = await run(`{ ${base} { withDirectory(path: "/data", source: $dir) { directory(path: "/data") { entries } withExec(args: ["ls", "/data"]) { stdout } } } } }`)
      expect(alone.container.from.withDirectory.directory.entries).toEqual(["a.txt", "sub/"])
      expect(alone.container.from.withDirectory.withExec.stdout).toBe("a.txt\nsub\n")
      expect(images()).toBe(before + 1)
      // a changed host file: a new copy and a new run
      fs.writeFileSync(path.join(dir, "a.txt"), "A2\n")
      const changed = await run(`{ ${withData("two")} { stdout } } } } }`)
      expect(changed.container.from.withDirectory.withExec.stdout).toBe("A2\nB\n600\n")
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
