/**
 * `dirk call` over the types of module functions (the `kitchen` fixture in a git work tree): enums, lists, objects
 * chained and printed as Type@digest, constructor flags, defaultPath, errors, flag-like argument names (#7032),
 * suggestions for unknown names, `-o` for scalars, and a Default-policy result kept across an engine restart.
 * One engine (one state dir) serves every call.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dirk, stateDirs } from "../support/cli.js"
import { kitchenRepo } from "../support/kitchen.js"

// these modules are served by the engine's spare runner when it is ready (WarmPool.ts)
process.env.DIRK_MODULE_SPARE = "1"

const states = stateDirs("dirk-cli-types-state-")
let scratch: string
let mod: string
let stateDir: string

const call = (args: ReadonlyArray<string>) => dirk(["call", "-q", "-m", mod, ...args], { stateDir })

const out = async (args: ReadonlyArray<string>): Promise<string> => {
  const r = await call(args)
  expect(r.code, r.stderr).toBe(0)
  return r.stdout
}

const err = async (args: ReadonlyArray<string>): Promise<string> => {
  const r = await call(args)
  expect(r.code, r.stdout).toBe(1)
  return r.stderr
}

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-cli-types-"))
  ;({ mod } = kitchenRepo(scratch))
  stateDir = states.fresh()
})

afterAll(async () => {
  await states.cleanup()
  fs.rmSync(scratch, { recursive: true, force: true })
})

describe("dirk call: types", () => {
  it("enums by member name in any case; an enum result by its GraphQL name; lists one per line or --json", async () => {
    expect(await out(["level", "--level=HIGH"])).toBe("k:high")
    expect(await out(["level", "--level", "very-high"])).toBe("k:very-high")
    expect(await out(["loudest"])).toBe("VERY_HIGH")
    expect(await out(["levels", "--levels", "low,HIGH", "--levels", "VERY_HIGH"])).toBe("low!\nhigh!\nvery-high!")
    expect(JSON.parse(await out(["levels", "--levels", "low", "--json"]))).toEqual(["low!"])
    expect(await err(["level", "--level", "mid"])).toContain(`flag --level: invalid value "mid", expected one of: LOW, HIGH, VERY_HIGH`)
  })

  it("constructor flags before the function; objects chained, or printed as Type@digest", async () => {
    expect(await out(["--prefix", "p", "level"])).toBe("p:low")
    expect(await out(["dog", "--nick", "rex", "bark", "--level", "high"])).toBe("woof (high)")
    expect(await out(["dog", "--nick", "rex", "nick"])).toBe("rex")
    expect((await out(["dog", "--nick", "rex"])).trim()).toMatch(/^KitchenDog@sha256:[0-9a-f]{12}$/)
    const help = await out(["dog", "--nick", "rex", "--help"])
    expect(help).toContain("FUNCTIONS OF KitchenDog")
    expect(help).toContain("as-kitchen-named")
  })

  it("loads an omitted defaultPath argument from the context directory; one outside it is an error", async () => {
    expect(await out(["tree"])).toBe("a.txt\nreadme.txt")
    expect(await out(["local"])).toBe("x.txt")
    expect(await out(["readme"])).toBe("read me\n")
    expect(await out(["tree", "--dir", path.join(mod, "local")])).toBe("x.txt")
    expect(await err(["outside"])).toContain(`defaultPath "../../..": ${path.dirname(scratch)} is outside the module's context directory`)
  })

  it("a thrown error prints its message; an exec error inside a function its command, exit code and stderr", async () => {
    expect(await err(["boom"])).toBe("Error: boom: bad input\n")
    const e = await err(["fail"])
    expect(e).toContain("exit code: 7")
    expect(e).toContain("oops")
  })

  it("arguments named like dirk's options are the function's (#7032); a function calls its own function", async () => {
    const r = JSON.parse(await out(["flaglike", "--progress", "plain", "--help", "h", "--output", "x", "--json", "--quiet", "q", "--mod", "m"]))
    expect(r).toEqual({ progress: "plain", help: "h", output: "x", json: true, quiet: "q", mod: "m" })
    expect(await out(["quadruple", "--x", "3"])).toBe("12")
  })

  it("suggests the nearest function or flag", async () => {
    expect(await err(["levle"])).toContain(`unknown function "levle" for Kitchen; did you mean level or levels?`)
    expect(await err(["level", "--levl", "x"])).toContain(`unknown flag --levl for "level"; did you mean --level?`)
  })

  it("-o writes a scalar result to a file", async () => {
    const dest = path.join(scratch, "out", "loudest.txt")
    const r = await call(["loudest", "-o", dest])
    expect(r.code, r.stderr).toBe(0)
    expect(fs.readFileSync(dest, "utf8")).toBe("VERY_HIGH")
    expect(r.stderr).toContain(`Saved output to "${dest}".`)
  })

  it("keeps a Default-policy result across an engine restart, not a Never one", async () => {
    const stamp = await out(["stamp"])
    const never = await out(["never"])
    const stop = await dirk(["engine", "stop", "--force"], { stateDir })
    expect(stop.code, stop.stderr).toBe(0)
    expect(await out(["stamp"])).toBe(stamp)
    expect(await out(["never"])).not.toBe(never)
  })
})
