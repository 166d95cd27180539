/**
 * No secret value leaks: pipelines with known values (test/compat/leak.mjs, through Dagger's npm client and `dirk run`:
 * secret variables, mounted secrets, a cache volume, output, a failed exec, a redirect, export, asTarball, publish, a
 * directory of the rootfs, an http download and a git repository fetched with credentials, Dockerfile builds that
 * mount one), then every byte the engine wrote is scanned for the values (raw, base64, base64url):
 * its state directory (cache index, snapshots, its log), the images it committed (`docker save`, configs and layers),
 * the exported and published images, what it printed and every ID it returned. Mounted secrets' files are gone from
 * /dev/shm after the session.
 */
import { execFileSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dirk, repoRoot, stateDirs, stopDaemon } from "../support/cli.js"
import { docker, type Steps } from "../support/compat.js"
import { registry } from "../support/docker.js"
import { basicAuth, makeRepo, startGitHttpServer, startHttpServer, type TestRepo } from "../support/sources.js"

const states = stateDirs("dirk-secret-leak-state-")
const value = `leak-one-${randomBytes(10).toString("hex")}`
const multi = `-----BEGIN KEY-----\n${randomBytes(24).toString("hex")}\n-----END KEY-----\n`
const envValue = `leak-env-${randomBytes(10).toString("hex")}`
const ref = `${registry}/dirk-secret-leak-${randomBytes(4).toString("hex")}:v1`
let stateDir: string
let scratch: string
let out: Steps
let printed = ""
let shmBefore: Set<string>
let repo: TestRepo
let gitServer: Awaited<ReturnType<typeof startGitHttpServer>>
let fileServer: Awaited<ReturnType<typeof startHttpServer>>

/** Every form of a value that would give it away. */
const needles = (): Array<Buffer> =>
  [value, multi, multi.trim(), multi.split("\n")[1]!, envValue, `x-access-token:${value}`].flatMap((v) => [
    Buffer.from(v),
    Buffer.from(Buffer.from(v).toString("base64").replace(/=+$/, "")),
    Buffer.from(Buffer.from(v).toString("base64url"))
  ])

/** The needles found in `bytes`, by their text. */
const found = (bytes: Buffer): Array<string> => needles().filter((n) => bytes.includes(n)).map((n) => n.toString())

/** Every regular file under `dir`, recursively (symlinks not followed). */
const files = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? files(p) : e.isFile() ? [p] : []
  })

const shm = (): Set<string> => new Set(fs.readdirSync("/dev/shm").filter((n) => n.startsWith("dirk-secrets-")))

beforeAll(async () => {
  stateDir = states.fresh()
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-secret-leak-"))
  shmBefore = shm()
  repo = makeRepo()
  gitServer = await startGitHttpServer(repo.base, [basicAuth("x-access-token", value)])
  fileServer = await startHttpServer({ "/private.txt": { body: "private\n", authorization: `Bearer ${value}` } })
  // the engine starts without the values in its environment
  expect((await dirk(["run", "--", "true"], { stateDir })).code).toBe(0)
  const r = await dirk(["run", "--", process.execPath, path.join(repoRoot, "test/compat/leak.mjs"), scratch, ref], {
    stateDir,
    env: {
      DIRK_LEAK_VALUE: value,
      DIRK_LEAK_MULTI: multi,
      DIRK_LEAK_ENV: envValue,
      DIRK_LEAK_HTTP: fileServer.url(""),
      DIRK_LEAK_GIT: gitServer.url("repo.git")
    }
  })
  printed = r.stdout + r.stderr
  if (r.code !== 0) throw new Error(`leak.mjs exited with ${r.code}: ${r.stderr.slice(-4000)}`)
  out = JSON.parse(r.stdout) as Steps
  // the cache survives the engine: what it keeps is what is scanned
  await stopDaemon(stateDir)
})

afterAll(async () => {
  await states.cleanup()
  await gitServer?.close()
  await fileServer?.close()
  repo?.cleanup()
  fs.rmSync(scratch, { recursive: true, force: true })
  try {
    execFileSync("docker", ["rmi", "-f", ref], { stdio: "ignore" })
  } catch {
    // not pulled
  }
  // the pipelines' cache volume (cache volumes outlive engines by design)
  const volumes = docker("volume", "ls", "-q", "--filter", "label=dirk.cache=leak-cache").split("\n").filter((v) => v !== "")
  if (volumes.length > 0) execFileSync("docker", ["volume", "rm", "-f", ...volumes], { stdio: "ignore" })
})

describe("secret values leak nowhere", () => {
  it("the pipelines ran, used the values, and their output is scrubbed", () => {
    expect(out.stdout).toBe("*** *** ***\n***")
    expect(out.stderr).toBe("***")
    expect(out.redirected).toBe("***\n***")
    expect(out.failed.execError).toMatchObject({ exitCode: 5, stdout: "***", stderr: "***" })
    expect(out.envVariables).toEqual([["PATH", expect.any(String)], ["PLAIN", "not a secret"]])
    expect(out.publish).toMatch(/@sha256:[0-9a-f]{64}$/)
    expect(out.afterStdout).toContain("ONE=***")
    expect(out.afterStdout).toMatch(/-r--r--r-- +1 1000 +1000 .*\/etc\/one.txt/)
    expect(out.stubContents).toBe("")
    expect(out.withoutMounts).toBe("ONE=\n")
    expect(out.ids.length).toBe(8)
    // the sources that want credentials were fetched with them
    expect(out.httpContents).toBe("private\n")
    expect(out.gitReadme).toBe("two\n")
    expect(out.buildLen).toBe(`${value.length}\n`)
    expect(out.buildFailed.error).toContain("exit code: 4")
    expect(out.buildFailed.error).toContain("***")
    expect(files(path.join(scratch, "git-tree")).some((f) => f.endsWith(`${path.sep}.git${path.sep}config`))).toBe(true)
  })

  it("not in any ID it returned (base64-decoded too) nor in anything dirk or the client printed", () => {
    for (const id of out.ids as Array<string>) {
      expect(found(Buffer.from(id))).toEqual([])
      expect(found(Buffer.from(id.replace(/^dirk1\./, ""), "base64url"))).toEqual([])
    }
    expect(found(Buffer.from(printed))).toEqual([])
  })

  it("not in any file of the engine's state directory (cache index, snapshots, log, key)", () => {
    const all = files(stateDir)
    expect(all.some((f) => f.endsWith("engine.log"))).toBe(true)
    expect(all.some((f) => f.includes(`${path.sep}cache${path.sep}exec${path.sep}`))).toBe(true)
    const leaks = all.flatMap((f) => found(fs.readFileSync(f)).map((n) => `${f}: ${n}`))
    expect(leaks).toEqual([])
  })

  it("not in any image the engine committed and kept (docker save: configs and layers)", () => {
    const images = docker("images", "-a", "-q", "--no-trunc", "--filter", `label=dirk.state=${stateDir}`).split("\n").filter((l) => l !== "")
    expect(images.length).toBeGreaterThanOrEqual(3)
    const tar = path.join(scratch, "committed.tar")
    execFileSync("docker", ["save", "-o", tar, ...images])
    expect(found(fs.readFileSync(tar))).toEqual([])
    // nor in their configs' Env as Docker reports it (secret variables are left without a value)
    for (const image of images) {
      const env = JSON.parse(docker("image", "inspect", "--format", "{{json .Config.Env}}", image)) as Array<string> | null
      for (const kv of env ?? []) expect(kv.startsWith("ONE=") || kv.startsWith("FROM_ENV=") || kv.startsWith("KEYED=") ? kv.endsWith("=") : true).toBe(true)
    }
  })

  it("not in the git tree exported with its .git (the credentials went to git by its environment)", () => {
    const leaks = files(path.join(scratch, "git-tree")).flatMap((f) => found(fs.readFileSync(f)).map((n) => `${f}: ${n}`))
    expect(leaks).toEqual([])
  })

  it("not in the exported image, the tarball, the exported rootfs or the published image", () => {
    expect(found(fs.readFileSync(path.join(scratch, "image.tar")))).toEqual([])
    expect(found(fs.readFileSync(path.join(scratch, "tarball.tar")))).toEqual([])
    const rootfs = files(path.join(scratch, "rootfs"))
    expect(rootfs).toContain(path.join(scratch, "rootfs", "made.txt"))
    expect(rootfs.flatMap((f) => found(fs.readFileSync(f)))).toEqual([])
    docker("pull", "-q", ref)
    const pulled = path.join(scratch, "published.tar")
    execFileSync("docker", ["save", "-o", pulled, ref])
    expect(found(fs.readFileSync(pulled))).toEqual([])
  })

  it("the mounted secrets' files are gone once the execs ended", () => {
    const left = [...shm()].filter((n) => !shmBefore.has(n))
    expect(left).toEqual([])
  })
})
