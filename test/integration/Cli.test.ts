/**
 * The `dirk` CLI end to end: the example module on the example project, help, output rules, errors, Ctrl-C.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { dirk, repoRoot } from "../support/cli.js"

const ci = ["-m", "examples/ci"]
const lib = "examples/greeter-lib"

describe("dirk call on the example", () => {
  it("lists functions with their descriptions", async () => {
    const r = await dirk(["functions", ...ci])
    expect(r.code, r.stderr).toBe(0)
    for (const name of ["build", "env", "lint", "test"]) expect(r.stdout).toMatch(new RegExp(`^${name}\\s+\\S`, "m"))
    expect(r.stdout).toContain("Runs the library's tests")
  })

  it("runs the project's tests in a container and prints their output, with progress on stderr", async () => {
    const r = await dirk(["call", ...ci, "test", "--source", lib])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^# pass 5$/m)
    expect(r.stdout).toMatch(/^# fail 0$/m)
    expect(r.stderr).toMatch(/exec node --test/)
    expect(r.stdout).not.toContain("dirk │")
  })

  it("exports a returned Directory with -o", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-cli-out-"))
    const dest = path.join(out, "nested", "dist")
    const r = await dirk(["call", ...ci, "build", "--source", lib, "-o", dest])
    expect(r.code, r.stderr).toBe(0)
    expect(fs.readdirSync(dest).sort()).toEqual(["index.js", "manifest.json"])
    expect(JSON.parse(fs.readFileSync(path.join(dest, "manifest.json"), "utf8")).name).toBe("greeter-lib")
    expect(r.stderr).toContain(`Saved to "${dest}".`)
    fs.rmSync(out, { recursive: true, force: true })
  })

  it("chains into the returned object's functions, and prints a Container as Type@digest", async () => {
    const entries = await dirk(["call", ...ci, "build", "--source", lib, "entries"])
    expect(entries.code, entries.stderr).toBe(0)
    expect(entries.stdout.trim().split("\n")).toEqual(["index.js", "manifest.json"])
    const ctr = await dirk(["call", ...ci, "env", "--source", lib])
    expect(ctr.code, ctr.stderr).toBe(0)
    expect(ctr.stdout.trim()).toMatch(/^Container@sha256:[0-9a-f]{12}$/)
  })

  it("shows help at each level", async () => {
    const top = await dirk(["call", ...ci, "--help"])
    expect(top.code).toBe(0)
    for (const name of ["build", "env", "lint", "test"]) expect(top.stdout).toContain(name)
    // the hints repeat -m DIR, so that they work as printed
    expect(top.stdout).toContain(`Run "dirk call ${ci.join(" ")} <function> --help"`)
    const fn = await dirk(["call", ...ci, "lint", "--help"])
    expect(fn.code).toBe(0)
    expect(fn.stdout).toContain(`dirk call ${ci.join(" ")} lint [flags]`)
    expect(fn.stdout).toContain("--source")
    expect(fn.stdout).toContain("--strict")
  })

  it("fails with the exit code, the command and the tail of stderr when an exec in a function fails", async () => {
    const r = await dirk(["call", "-m", "test/fixtures/modules/greeter", "fail", "--code", "4"])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/exit code:? 4/)
    expect(r.stderr).toContain("echo out; echo err >&2; exit 4")
    expect(r.stderr).toContain("err")
  })

  it("names a missing module directory", async () => {
    const r = await dirk(["call", "-m", "examples/no-such-module", "test"])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain(path.join(repoRoot, "examples/no-such-module"))
  })

  it("removes its containers and exits 130 on Ctrl-C", async () => {
    let sent = false
    const r = await dirk(["call", "-m", "test/fixtures/modules/sleeper", "nap", "--seconds", "117"], {
      onStderr: (text, child) => {
        if (!sent && /▶ exec sleep 117/.test(text)) {
          sent = true
          setTimeout(() => child.kill("SIGINT"), 1000)
        }
      }
    })
    expect(sent, r.stderr).toBe(true)
    expect(r.code).toBe(130)
    const left = execFileSync("docker", ["ps", "-a", "--filter", "label=dirk.engine", "--format", "{{.Command}}"], { encoding: "utf8" })
    expect(left).not.toContain("sleep 117")
  })
})

describe("dirk query", () => {
  it("sends a document from stdin and prints the JSON", async () => {
    const r = await dirk(["query"], { input: "{ directory { withNewFile(path: \"a\", contents: \"b\") { entries } } }" })
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ data: { directory: { withNewFile: { entries: ["a"] } } } })
  })

  it("exits 143 on SIGTERM during a running exec, its container removed", async () => {
    let sent = false
    const doc = `{ container { from(address: "dirk.local/busybox:latest") { withExec(args: ["sleep", "119"]) { stdout } } } }`
    const r = await dirk(["query"], {
      input: doc,
      onStderr: (text, child) => {
        if (!sent && /▶ exec sleep 119/.test(text)) {
          sent = true
          setTimeout(() => child.kill("SIGTERM"), 1000)
        }
      }
    })
    expect(sent, r.stderr).toBe(true)
    expect(r.code).toBe(143)
    const left = execFileSync("docker", ["ps", "-a", "--filter", "label=dirk.engine", "--format", "{{.Command}}"], { encoding: "utf8" })
    expect(left).not.toContain("sleep 119")
  })

  it("prints GraphQL errors and exits non-zero", async () => {
    const r = await dirk(["query"], { input: "{ nope }" })
    expect(r.code).not.toBe(0)
    expect(JSON.parse(r.stdout).errors[0].message).toContain("Cannot query field \"nope\"")
  })
})
