/**
 * `dirk init` and `dirk develop` end to end: a new module runs at once, type-checks after develop, and bad input is
 * refused with an error naming the problem.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { dirk, repoRoot, stateDirs } from "../support/cli.js"

const states = stateDirs("dirk-init-state-")
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-init-"))
afterAll(async () => {
  await states.cleanup()
  fs.rmSync(scratch, { recursive: true, force: true })
})

/** `tsc --noEmit -p DIR` (the repository's TypeScript): its exit code and output. */
const tsc = (dir: string): { readonly code: number | null; readonly output: string } => {
  const r = spawnSync(process.execPath, [path.join(repoRoot, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", dir], {
    cwd: dir,
    encoding: "utf8"
  })
  return { code: r.status, output: r.stdout + r.stderr }
}

const typeChecks = (dir: string) => {
  const r = tsc(dir)
  expect(r.code, r.output).toBe(0)
}

describe("dirk init", () => {
  it("creates a TypeScript module that runs at once and type-checks", async () => {
    const state = states.fresh()
    const dir = path.join(scratch, "x")
    const init = await dirk(["init", dir, "--sdk", "typescript", "--name", "my-mod"], { stateDir: state })
    expect(init.code, init.stderr).toBe(0)
    const config = JSON.parse(fs.readFileSync(path.join(dir, "dagger.json"), "utf8"))
    expect(config).toEqual({ name: "my-mod", engineVersion: "v0.21.8", sdk: { source: "typescript" }, source: "." })
    expect(JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).type).toBe("module")
    expect(fs.readFileSync(path.join(dir, "src/index.ts"), "utf8")).toContain("export class MyMod")
    expect(fs.readFileSync(path.join(dir, "tsconfig.json"), "utf8")).toContain("experimentalDecorators")

    const r = await dirk(["call", "-m", dir, "container-echo", "--string-arg", "hi", "stdout"], { stateDir: state })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe("hi\n")
    const data = path.join(scratch, "data")
    fs.mkdirSync(data)
    fs.writeFileSync(path.join(data, "notes.txt"), "one\nTODO two\nthree\n")
    const grep = await dirk(["call", "-q", "-m", dir, "grep-dir", "--directory-arg", data, "--pattern", "TODO"], { stateDir: state })
    expect(grep.code, grep.stderr).toBe(0)
    expect(grep.stdout.trim()).toBe("./notes.txt:TODO two")

    // what init generated lets tsc resolve the SDK; a type error in the module is found
    typeChecks(dir)
    fs.appendFileSync(path.join(dir, "src/index.ts"), "\nexport const wrong: number = \"x\"\n")
    expect(tsc(dir).output).toMatch(/src\/index\.ts\(\d+,\d+\): error TS2322/)
  })

  it("picks .dagger as the source in a directory with files, and takes the directory's name", async () => {
    const dir = path.join(scratch, "project-one")
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, "README.md"), "hello\n")
    const r = await dirk(["init", "--sdk", "typescript"], { cwd: dir, stateDir: states.fresh() })
    expect(r.code, r.stderr).toBe(0)
    const config = JSON.parse(fs.readFileSync(path.join(dir, "dagger.json"), "utf8"))
    expect(config.name).toBe("project-one")
    expect(config.source).toBe(".dagger")
    expect(fs.readFileSync(path.join(dir, ".dagger/src/index.ts"), "utf8")).toContain("export class ProjectOne")
  })

  it("without --sdk writes dagger.json only; develop --sdk adds the code later", async () => {
    const state = states.fresh()
    const dir = path.join(scratch, "bare")
    const r = await dirk(["init", dir], { stateDir: state })
    expect(r.code, r.stderr).toBe(0)
    expect(fs.readdirSync(dir)).toEqual(["dagger.json"])
    expect(JSON.parse(fs.readFileSync(path.join(dir, "dagger.json"), "utf8"))).toEqual({ name: "bare", engineVersion: "v0.21.8" })
    const plain = await dirk(["develop", "-m", dir], { stateDir: state })
    expect(plain.code).toBe(1)
    expect(plain.stderr).toContain("has no SDK: give one with dirk develop --sdk typescript")
    const dev = await dirk(["develop", "-m", dir, "--sdk", "typescript"], { stateDir: state })
    expect(dev.code, dev.stderr).toBe(0)
    expect(JSON.parse(fs.readFileSync(path.join(dir, "dagger.json"), "utf8")).sdk).toEqual({ source: "typescript" })
    expect(fs.readFileSync(path.join(dir, "src/index.ts"), "utf8")).toContain("export class Bare")
    typeChecks(dir)
  })

  it("refuses to overwrite a module, and bad names and SDKs", async () => {
    const state = states.fresh()
    const dir = path.join(scratch, "twice")
    expect((await dirk(["init", dir], { stateDir: state })).code).toBe(0)
    const again = await dirk(["init", dir, "--sdk", "typescript"], { stateDir: state })
    expect(again.code).toBe(1)
    expect(again.stderr).toContain(`${path.join(dir, "dagger.json")} exists already`)
    expect(fs.readdirSync(dir)).toEqual(["dagger.json"])

    const badName = await dirk(["init", path.join(scratch, "9lives")], { stateDir: state })
    expect(badName.code).toBe(1)
    expect(badName.stderr).toContain(`invalid module name "9lives" (the directory's name)`)
    const badSdk = await dirk(["init", path.join(scratch, "gomod"), "--sdk", "go"], { stateDir: state })
    expect(badSdk.code).toBe(1)
    expect(badSdk.stderr).toContain(`unsupported SDK "go" (supported: typescript, effect)`)
    expect(fs.existsSync(path.join(scratch, "gomod"))).toBe(false)
  })
})

describe("dirk develop", () => {
  it("links the SDK and the module's npm dependencies so that tsc type-checks the code", async () => {
    const state = states.fresh()
    const dir = path.join(scratch, "withdeps")
    expect((await dirk(["init", dir, "--sdk", "typescript"], { stateDir: state })).code).toBe(0)
    // a local npm package as a dependency (no registry needed), used with its types
    const lib = path.join(scratch, "shout-lib")
    fs.mkdirSync(lib)
    fs.writeFileSync(path.join(lib, "package.json"), JSON.stringify({ name: "shout-lib", version: "1.0.0", type: "module", main: "index.js", types: "index.d.ts" }))
    fs.writeFileSync(path.join(lib, "index.js"), "export const shout = (s) => s.toUpperCase()\n")
    fs.writeFileSync(path.join(lib, "index.d.ts"), "export declare const shout: (s: string) => string\n")
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"))
    pkg.dependencies["shout-lib"] = "file:../shout-lib"
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2))
    fs.writeFileSync(
      path.join(dir, "src/index.ts"),
      [
        "import { func, object } from \"@dagger.io/dagger\"",
        "import { shout } from \"shout-lib\"",
        "@object()",
        "export class Withdeps {",
        "  @func()",
        "  loud(s: string): string {",
        "    return shout(s)",
        "  }",
        "}",
        ""
      ].join("\n")
    )
    fs.rmSync(path.join(dir, "node_modules"), { recursive: true, force: true })
    expect(tsc(dir).output).toContain("Cannot find module '@dagger.io/dagger'")

    const dev = await dirk(["develop"], { cwd: path.join(dir, "src"), stateDir: state })
    expect(dev.code, dev.stderr).toBe(0)
    expect(dev.stderr).toContain("npm dependencies: shout-lib")
    typeChecks(dir)
    const r = await dirk(["call", "-q", "-m", dir, "loud", "--s", "hey"], { stateDir: state })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe("HEY")
  })

  it("writes the declarations of the module's dependencies so that code using dag.<dep>() type-checks", async () => {
    const state = states.fresh()
    for (const m of ["lib", "base"]) {
      fs.cpSync(path.join(repoRoot, "test/fixtures/modules/deps", m), path.join(scratch, "deps", m), { recursive: true })
    }
    const dir = path.join(scratch, "consumer")
    expect((await dirk(["init", dir, "--sdk", "typescript"], { stateDir: state })).code).toBe(0)
    const installed = await dirk(["install", path.join(scratch, "deps/lib")], { cwd: dir, stateDir: state })
    expect(installed.code, installed.stderr).toBe(0)
    fs.writeFileSync(
      path.join(dir, "src/index.ts"),
      [
        "import { dag, func, object, LibFormatter } from \"@dagger.io/dagger\"",
        "@object()",
        "export class Consumer {",
        "  @func()",
        "  async loud(s: string): Promise<string> {",
        "    return dag.lib().shout(s, { suffix: \"?\" })",
        "  }",
        "  @func()",
        "  formatter(prefix: string): LibFormatter {",
        "    return dag.lib().formatter(prefix)",
        "  }",
        "}",
        ""
      ].join("\n")
    )
    expect(tsc(dir).output).toContain("LibFormatter")

    const dev = await dirk(["develop"], { cwd: dir, stateDir: state })
    expect(dev.code, dev.stderr).toBe(0)
    expect(dev.stderr).toContain("wrote src/dependencies.gen.d.ts")
    const declared = fs.readFileSync(path.join(dir, "src/dependencies.gen.d.ts"), "utf8")
    expect(declared).toContain("export class LibFormatter")
    expect(declared).toContain("lib(): Lib")
    typeChecks(dir)
    // a wrong use is a type error now, not an unknown name
    fs.appendFileSync(path.join(dir, "src/index.ts"), "export const wrong = (): Promise<number> => dag.lib().shout(\"x\")\n")
    expect(tsc(dir).output).toMatch(/Type 'Promise<string>' is not assignable to type 'Promise<number>'/)
    // and the code runs as it type-checks
    fs.writeFileSync(path.join(dir, "src/index.ts"), fs.readFileSync(path.join(dir, "src/index.ts"), "utf8").split("export const wrong")[0]!)
    const r = await dirk(["call", "-q", "-m", dir, "loud", "--s", "hey"], { stateDir: state })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^HEY/)

    // without dependencies the file goes
    expect((await dirk(["uninstall", "lib"], { cwd: dir, stateDir: state })).code).toBe(0)
    const again = await dirk(["develop"], { cwd: dir, stateDir: state })
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).toContain("removed src/dependencies.gen.d.ts")
    expect(fs.existsSync(path.join(dir, "src/dependencies.gen.d.ts"))).toBe(false)
  })
})
