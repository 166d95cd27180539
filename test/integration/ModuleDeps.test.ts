/**
 * Module dependencies end to end (real Docker, Dagger's TypeScript SDK in the module runtime): local and git
 * dependencies, typed bindings (`dag.lib()`), dependency types as results and arguments, namespacing, what a
 * module's client sees, cycles, and `dirk install` / `uninstall` / `update`.
 *
 * Fixtures: test/fixtures/modules/deps/{app → lib → base, cycle-a ⇄ cycle-b}.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SessionInfo } from "../../src/Engine/Engine.js"
import { dirk, stateDirs } from "../support/cli.js"
import { busyboxImage } from "../support/docker.js"
import { openSession, query } from "../support/session.js"
import { git, startGitDaemon } from "../support/sources.js"

const fixtures = path.resolve(__dirname, "../fixtures/modules/deps")
const greeter = path.resolve(__dirname, "../fixtures/modules/greeter")
const nodeImage = process.env.DIRK_NODE_IMAGE ?? "dirk.local/node:20"

let session: SessionInfo
let close: () => Promise<void>
let scratch: string
let daemon: Awaited<ReturnType<typeof startGitDaemon>>
let gitBase: string
const states = stateDirs("dirk-deps-state-")

const ok = async (q: string) => {
  const r = await query(session, q)
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined()
  return r.data as any
}

const errorOf = async (q: string): Promise<string> => {
  const r = await query(session, q)
  expect(r.errors, "expected an error").toBeDefined()
  return r.errors!.map((e) => e.message).join("\n")
}

/** Copies a fixture module into the scratch dir (with a new dagger.json when given). */
const copyModule = (from: string, to: string, config?: Record<string, unknown>): string => {
  const dir = path.join(scratch, to)
  fs.cpSync(from, dir, { recursive: true })
  if (config !== undefined) fs.writeFileSync(path.join(dir, "dagger.json"), JSON.stringify(config, null, 2))
  return dir
}

/** A bare repo `mods.git` holding lib/ and base/ (tag v1), served by git daemon. */
const makeModsRepo = () => {
  const work = path.join(gitBase, "work")
  fs.mkdirSync(work, { recursive: true })
  git(work, "init", "-q")
  fs.cpSync(path.join(fixtures, "lib"), path.join(work, "lib"), { recursive: true })
  fs.cpSync(path.join(fixtures, "base"), path.join(work, "base"), { recursive: true })
  // a module whose defaultPath arguments read the repository (its context directory)
  fs.writeFileSync(path.join(work, "README.md"), "mods\n")
  fs.mkdirSync(path.join(work, "ctx/src"), { recursive: true })
  fs.writeFileSync(path.join(work, "ctx/dagger.json"), JSON.stringify({ name: "ctx", sdk: { source: "typescript" } }))
  fs.writeFileSync(path.join(work, "ctx/package.json"), JSON.stringify({ type: "module" }))
  fs.writeFileSync(
    path.join(work, "ctx/src/index.ts"),
    [
      "import { Directory, argument, func, object } from \"@dagger.io/dagger\"",
      "@object()",
      "export class Ctx {",
      "  @func()",
      "  async root(@argument({ defaultPath: \"/\" }) dir: Directory): Promise<string[]> {",
      "    return dir.entries()",
      "  }",
      "  @func()",
      "  async here(@argument({ defaultPath: \".\" }) dir: Directory): Promise<string[]> {",
      "    return dir.entries()",
      "  }",
      "}",
      ""
    ].join("\n")
  )
  git(work, "add", ".")
  git(work, "commit", "-q", "-m", "modules")
  git(work, "tag", "v1")
  const v1 = git(work, "rev-parse", "HEAD")
  const bare = path.join(gitBase, "mods.git")
  git(gitBase, "clone", "-q", "--bare", work, bare)
  git(work, "remote", "add", "origin", bare)
  return { work, v1 }
}

let mods: { work: string; v1: string }

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-deps-test-"))
  gitBase = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-deps-git-"))
  mods = makeModsRepo()
  daemon = await startGitDaemon(gitBase)
  ;({ session, close } = await openSession(fixtures, [busyboxImage, nodeImage]))
  // the outer client has another module too: the dependency's client must not see it
  const r = await query(session, `{ g: moduleSource(refString: ${JSON.stringify(greeter)}) { asModule { serve } } a: moduleSource(refString: "app") { asModule { serve } } }`)
  if (r.errors !== undefined) throw new Error(`serving the fixtures failed: ${JSON.stringify(r.errors)}`)
}, 600_000)

afterAll(async () => {
  await close?.()
  await daemon?.close()
  await states.cleanup()
  fs.rmSync(scratch, { recursive: true, force: true })
  fs.rmSync(gitBase, { recursive: true, force: true })
})

describe("local dependencies", () => {
  it("calls a dependency through dag.<dep>() with required and optional arguments", async () => {
    expect((await ok(`{ app { shout(text: "hi") } }`)).app.shout).toBe("HI! HI?")
  }, 300_000)

  it("chains a dependency's object inside the module, returns it, and takes it as an argument", async () => {
    expect((await ok(`{ app { formatted(text: "x") } }`)).app.formatted).toBe("> x")
    const chained = await ok(`{ app { formatter(prefix: "P") { prefix format(text: "y") } } }`)
    expect(chained.app.formatter).toEqual({ prefix: "P", format: "Py" })
    const id = (await ok(`{ lib { formatter(prefix: "Q") { id } } }`)).lib.formatter.id
    const used = await ok(`{ app { useFormatter(formatter: ${JSON.stringify(id)}, text: "z") } }`)
    expect(used.app.useFormatter).toBe("Q|Qz")
  }, 300_000)

  it("reaches a dependency's dependency through it, and core objects through it", async () => {
    expect((await ok(`{ app { greet(name: "bob") } }`)).app.greet).toBe("hello, bob")
    const echo = await ok(`{ app { echo(address: "${busyboxImage}", text: "yo") { stdout } } }`)
    expect(echo.app.echo.stdout).toBe("yo\n")
  }, 300_000)

  it("namespaces dependency types and gives a module's client its dependencies only", async () => {
    const types = await ok(`{ __schema { types { name } } }`)
    const names = types.__schema.types.map((t: { name: string }) => t.name)
    expect(names).toContain("LibFormatter")
    expect(names).not.toContain("Formatter")
    // app's client: core + lib, and app itself (its objects' IDs load there, as with Dagger's self-calls); not base
    // (lib's dependency), not the caller's greeter
    expect((await ok(`{ app { roots } }`)).app.roots).toBe("app,lib")
  }, 300_000)

  it("names a dependency cycle", async () => {
    const message = await errorOf(`{ moduleSource(refString: "cycle-a") { asModule { serve } } }`)
    expect(message).toContain("dependency cycle: cycle-a")
    expect(message).toContain("cycle-b")
    expect(message).toMatch(/cycle-a \(.*\) -> cycle-b \(.*\) -> cycle-a/)
  })

  it("names a missing dependency and the dagger.json declaring it", async () => {
    const dir = copyModule(path.join(fixtures, "app"), "broken", {
      name: "app",
      sdk: { source: "typescript" },
      dependencies: [{ name: "lib", source: "../nope" }]
    })
    const message = await errorOf(`{ moduleSource(refString: ${JSON.stringify(dir)}) { asModule { serve } } }`)
    expect(message).toContain(path.join(dir, "dagger.json"))
    expect(message).toContain(path.join(scratch, "nope"))
  })
})

describe("git dependencies", () => {
  it("loads a dependency from a git source (a subdirectory at a tag), with its own local dependency", async () => {
    const dir = copyModule(path.join(fixtures, "app"), "from-git", {
      name: "app",
      sdk: { source: "typescript" },
      dependencies: [{ name: "lib", source: `${daemon.url("mods.git")}/lib@v1` }]
    })
    // a session of its own: this app and its lib differ from the ones served in the shared session
    const other = await openSession(dir, [busyboxImage, nodeImage])
    try {
      const r1 = await query(other.session, `{ moduleSource(refString: ".") { asModule { serve } } }`)
      expect(r1.errors, JSON.stringify(r1.errors)).toBeUndefined()
      const r2 = await query(other.session, `{ app { greet(name: "git") formatted(text: "g") } }`)
      expect(r2.errors, JSON.stringify(r2.errors)).toBeUndefined()
      expect((r2.data as any).app).toEqual({ greet: "hello, git", formatted: "> g" })
    } finally {
      await other.close()
    }
  }, 300_000)

  it("gives a module loaded from git its repository as context directory (defaultPath)", async () => {
    const other = await openSession(scratch, [busyboxImage, nodeImage])
    try {
      const r1 = await query(other.session, `{ moduleSource(refString: ${JSON.stringify(`${daemon.url("mods.git")}/ctx@v1`)}) { asModule { serve } } }`)
      expect(r1.errors, JSON.stringify(r1.errors)).toBeUndefined()
      const r2 = await query(other.session, `{ ctx { root here } }`)
      expect(r2.errors, JSON.stringify(r2.errors)).toBeUndefined()
      expect((r2.data as any).ctx.root).toEqual(["README.md", "base/", "ctx/", "lib/"])
      expect((r2.data as any).ctx.here).toEqual(["dagger.json", "package.json", "src/"])
    } finally {
      await other.close()
    }
  }, 300_000)

  it("names a git source whose version does not exist", async () => {
    const dir = copyModule(path.join(fixtures, "app"), "bad-version", {
      name: "app",
      sdk: { source: "typescript" },
      dependencies: [{ name: "lib", source: `${daemon.url("mods.git")}/lib@v9` }]
    })
    const message = await errorOf(`{ moduleSource(refString: ${JSON.stringify(dir)}) { asModule { serve } } }`)
    expect(message).toContain("no tag or branch named v9")
    expect(message).toContain("mods.git/lib")
  })
})

describe("dirk install, uninstall, update", () => {
  it("adds, pins, updates and removes dependencies in dagger.json, keeping its other keys", async () => {
    const dir = copyModule(path.join(fixtures, "app"), "installing", {
      name: "app",
      engineVersion: "v0.21.8",
      sdk: { source: "typescript" },
      include: ["src/**"]
    })
    const stateDir = states.fresh()
    const read = () => JSON.parse(fs.readFileSync(path.join(dir, "dagger.json"), "utf8"))

    const local = await dirk(["install", "-m", dir, path.join(fixtures, "lib")], { stateDir })
    expect(local.code, local.stderr).toBe(0)
    expect(local.stdout).toContain("installed lib")
    expect(read().dependencies).toEqual([{ name: "lib", source: path.relative(dir, path.join(fixtures, "lib")) }])
    expect(read().include).toEqual(["src/**"])

    const remote = await dirk(["install", "-m", dir, `${daemon.url("mods.git")}/lib@v1`, "-n", "glib"], { stateDir })
    expect(remote.code, remote.stderr).toBe(0)
    expect(read().dependencies[0]).toEqual({ name: "glib", source: `${daemon.url("mods.git")}/lib@v1`, pin: mods.v1 })

    // the tag moves: update re-resolves it
    fs.writeFileSync(path.join(mods.work, "lib", "NOTE"), "moved\n")
    git(mods.work, "add", ".")
    git(mods.work, "commit", "-q", "-m", "move")
    git(mods.work, "tag", "-f", "v1")
    git(mods.work, "push", "-q", "-f", "origin", "main", "v1")
    const v1b = git(mods.work, "rev-parse", "HEAD")
    const updated = await dirk(["update", "-m", dir, "glib"], { stateDir })
    expect(updated.code, updated.stderr).toBe(0)
    expect(updated.stdout).toContain(`glib: ${mods.v1.slice(0, 12)} -> ${v1b.slice(0, 12)}`)
    expect(read().dependencies[0].pin).toBe(v1b)

    const removed = await dirk(["uninstall", "-m", dir, "glib"], { stateDir })
    expect(removed.code, removed.stderr).toBe(0)
    expect(read().dependencies.map((d: { name: string }) => d.name)).toEqual(["lib"])

    const missing = await dirk(["uninstall", "-m", dir, "nothing"], { stateDir })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain("has no dependency nothing (it has: lib)")

    const notModule = await dirk(["install", "-m", dir, scratch], { stateDir })
    expect(notModule.code).toBe(1)
    expect(notModule.stderr).toContain("no dagger.json")

    // the installed dependency works from the CLI
    const called = await dirk(["call", "-m", dir, "shout", "--text", "ok"], { stateDir, timeoutMs: 300_000 })
    expect(called.code, called.stderr).toBe(0)
    expect(called.stdout).toBe("OK! OK?")
  }, 600_000)

  it("reports a cycle from the CLI with exit code 1", async () => {
    const r = await dirk(["functions", "-m", path.join(fixtures, "cycle-b")], { stateDir: states.fresh() })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain("dependency cycle: cycle-b")
  }, 120_000)
})
