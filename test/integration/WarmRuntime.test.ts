/**
 * Warm module runtimes (real Docker): a call that kills its runner is reported and the next call gets a new one;
 * idle runners stop; the engine's end removes them.
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

const runners = (stateDir: string): Array<string> =>
  execFileSync("docker", ["ps", "-q", "--filter", "label=dirk.module=quitter", "--filter", `label=dirk.state=${stateDir}`], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l !== "")

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

  it("stops a runner that stays idle", async () => {
    const stateDir = states.fresh()
    const r = await dirk(["call", "-q", "-m", module, "count"], { stateDir, env: { DIRK_MODULE_IDLE: "2" } })
    expect(r.code, r.stderr).toBe(0)
    const deadline = Date.now() + 30_000
    while (runners(stateDir).length > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 500))
    expect(runners(stateDir)).toEqual([])
  }, 300_000)
})
