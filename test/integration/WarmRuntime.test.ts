/**
 * Warm module runtimes (real Docker): a call that kills its runner is reported and the next call gets a new one;
 * idle runners stop; the engine's end removes them; the engine's spare runner takes the first module that needs a
 * runner (also one with npm dependencies), and a new spare follows.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { dirk, stateDirs, stopDaemon } from "../support/cli.js"

const states = stateDirs("dirk-warm-state-")
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-warm-test-"))

afterAll(async () => {
  await states.cleanup()
  fs.rmSync(scratch, { recursive: true, force: true })
})

const runners = (stateDir: string, module = "quitter"): Array<string> =>
  execFileSync("docker", ["ps", "-q", "--filter", `label=dirk.module=${module}`, "--filter", `label=dirk.state=${stateDir}`], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l !== "")

/** Whether the newest spare runner of the engine listens (it warms up first). */
const spareReady = (stateDir: string): boolean => {
  const spares = runners(stateDir, "(spare)")
  if (spares.length === 0) return false
  try {
    execFileSync("docker", ["exec", spares[0]!, "test", "-f", "/run/dirk/ready"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
}

const waitFor = async (what: string, ok: () => boolean, ms = 120_000) => {
  const deadline = Date.now() + ms
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((res) => setTimeout(res, 250))
  }
}

const module = path.join(scratch, "quitter")
fs.mkdirSync(path.join(module, "src"), { recursive: true })
fs.writeFileSync(path.join(module, "dagger.json"), JSON.stringify({ name: "quitter", sdk: "typescript" }))
fs.writeFileSync(path.join(module, "package.json"), JSON.stringify({ type: "module" }))
fs.writeFileSync(
  path.join(module, "src/index.ts"),
  [
    "import { object, func } from \"@dagger.io/dagger\"",
    "let calls = 0",
    "@object()",
    "export class Quitter {",
    "  @func({ cache: \"never\" })",
    "  count(): number {",
    "    return ++calls",
    "  }",
    "  @func({ cache: \"never\" })",
    "  quit(): string {",
    "    console.error(\"leaving now\")",
    "    process.exit(3)",
    "  }",
    "}",
    ""
  ].join("\n")
)

describe("warm module runtimes", () => {
  it("reports a call that ends its runner, starts another, and stops them with the engine", async () => {
    const stateDir = states.fresh()
    const first = await dirk(["call", "-q", "-m", module, "count"], { stateDir })
    expect(first.code, first.stderr).toBe(0)
    // the same runner serves the next call (its module state is still there)
    const second = await dirk(["call", "-q", "-m", module, "count"], { stateDir })
    expect(second.stdout).toBe("2")
    expect(runners(stateDir)).toHaveLength(1)

    const quit = await dirk(["call", "-q", "-m", module, "quit"], { stateDir })
    expect(quit.code).toBe(1)
    expect(quit.stderr).toContain("exited during the call")
    expect(quit.stderr).toContain("leaving now")

    const again = await dirk(["call", "-q", "-m", module, "count"], { stateDir })
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toBe("1")

    await stopDaemon(stateDir)
    expect(runners(stateDir)).toEqual([])
  }, 300_000)

  it("gives the spare runner to the first module that needs one, and starts another", async () => {
    const stateDir = states.fresh()
    const env = { DIRK_MODULE_SPARE: "1" }
    expect((await dirk(["engine", "start"], { stateDir, env })).code).toBe(0)
    await waitFor("the spare runner", () => spareReady(stateDir))
    expect(runners(stateDir, "(spare)")).toHaveLength(1)
    // it warms up on idle CPU only, and serves at full weight once given to a module
    const [spare] = runners(stateDir, "(spare)")
    const cpuShares = (id: string) =>
      Number(execFileSync("docker", ["inspect", "-f", "{{.HostConfig.CpuShares}}", id], { encoding: "utf8" }).trim())
    expect(cpuShares(spare!)).toBe(2)

    const first = await dirk(["call", "-q", "-m", module, "count"], { stateDir, env })
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toBe("1")
    // no runner was started for the module: the spare serves it, and keeps its state between calls
    expect(runners(stateDir)).toEqual([])
    expect(cpuShares(spare!)).toBe(1024)
    expect((await dirk(["call", "-q", "-m", module, "count"], { stateDir, env })).stdout).toBe("2")
    // a new spare follows, and takes the next module: one with npm dependencies (a local package, no registry)
    await waitFor("a second spare runner", () => runners(stateDir, "(spare)").length === 2 && spareReady(stateDir))
    const lib = path.join(scratch, "upper-lib")
    fs.mkdirSync(lib, { recursive: true })
    fs.writeFileSync(path.join(lib, "package.json"), JSON.stringify({ name: "upper-lib", version: "1.0.0", type: "module", main: "index.js" }))
    fs.writeFileSync(path.join(lib, "index.js"), "export const upper = (s) => s.toUpperCase()\n")
    const withDeps = path.join(scratch, "loud")
    fs.mkdirSync(path.join(withDeps, "src"), { recursive: true })
    fs.writeFileSync(path.join(withDeps, "dagger.json"), JSON.stringify({ name: "loud", sdk: "typescript" }))
    fs.writeFileSync(path.join(withDeps, "package.json"), JSON.stringify({ type: "module", dependencies: { "upper-lib": "file:../upper-lib" } }))
    fs.writeFileSync(
      path.join(withDeps, "src/index.ts"),
      [
        "import { func, object } from \"@dagger.io/dagger\"",
        "// @ts-ignore: no types",
        "import { upper } from \"upper-lib\"",
        "@object()",
        "export class Loud {",
        "  @func()",
        "  shout(s: string): string {",
        "    return upper(s) + \" from \" + process.cwd()",
        "  }",
        "}",
        ""
      ].join("\n")
    )
    const loud = await dirk(["call", "-q", "-m", withDeps, "shout", "--s", "hey"], { stateDir, env })
    expect(loud.code, loud.stderr).toBe(0)
    // the module runs in its own directory, as on a runner started for it
    expect(loud.stdout).toBe("HEY from /src/loud")
    expect(runners(stateDir, "loud")).toEqual([])

    await stopDaemon(stateDir)
    expect(runners(stateDir, "(spare)")).toEqual([])
  }, 300_000)

  it("stops a runner that stays idle", async () => {
    const stateDir = states.fresh()
    const r = await dirk(["call", "-q", "-m", module, "count"], { stateDir, env: { DIRK_MODULE_IDLE: "2" } })
    expect(r.code, r.stderr).toBe(0)
    const deadline = Date.now() + 30_000
    while (runners(stateDir).length > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 500))
    expect(runners(stateDir)).toEqual([])
  }, 300_000)
})
