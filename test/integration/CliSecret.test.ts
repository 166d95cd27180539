/**
 * `dirk call` with Secret flags (reference §5) and a module function taking a Secret (the `vault` fixture): `env:NAME`,
 * `file:PATH` (relative to the caller's directory), `cmd:COMMAND`, a bare name (env), `?cacheKey=`; the CLI resolves
 * them (the engine is started beforehand without the variables), the function gets an ID its session loads, the value
 * is scrubbed from exec output and appears in no output of dirk, progress included. Bad flags name the secret.
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dirk, repoRoot, stateDirs } from "../support/cli.js"

const states = stateDirs("dirk-cli-secret-state-")
const mod = path.join(repoRoot, "test/fixtures/modules/vault")
const value = `cli-secret-${randomBytes(8).toString("hex")}`
let stateDir: string
let scratch: string
let seen = ""

const call = async (args: ReadonlyArray<string>, env: Record<string, string> = {}, quiet = true) => {
  const r = await dirk(["call", ...(quiet ? ["-q"] : []), "-m", mod, ...args], {
    stateDir,
    cwd: scratch,
    env: { DIRK_TEST_TOKEN: value, ...env }
  })
  seen += r.stdout + r.stderr
  return r
}

const out = async (args: ReadonlyArray<string>, env: Record<string, string> = {}, quiet = true): Promise<string> => {
  const r = await call(args, env, quiet)
  expect(r.code, r.stderr).toBe(0)
  return r.stdout
}

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-cli-secret-"))
  fs.writeFileSync(path.join(scratch, "token.txt"), value + "\n")
  stateDir = states.fresh()
  // the engine starts without DIRK_TEST_TOKEN in its environment: only the CLI can resolve it
  expect((await dirk(["call", "-q", "-m", mod, "--help"], { stateDir, cwd: scratch })).code).toBe(0)
})

afterAll(async () => {
  await states.cleanup()
  fs.rmSync(scratch, { recursive: true, force: true })
})

describe("dirk call: Secret flags", () => {
  it("env:NAME, env://NAME and a bare name: the function's exec sees the value, its output is scrubbed", async () => {
    expect(await out(["show", "--token", "env:DIRK_TEST_TOKEN"])).toBe("token=***\n")
    expect(await out(["show", "--token", "env://DIRK_TEST_TOKEN"])).toBe("token=***\n")
    expect(await out(["show", "--token", "DIRK_TEST_TOKEN"])).toBe("token=***\n")
    expect(await out(["check", "--token", "env:DIRK_TEST_TOKEN", "--expected", value])).toBe("env://DIRK_TEST_TOKEN:true")
  })

  it("file:PATH relative to the caller's directory, mounted in the function's exec", async () => {
    expect(await out(["length", "--token", "file:./token.txt"])).toBe(`${value.length}\n`)
    expect(await out(["check", "--token", "file:token.txt", "--expected", value + "\n"])).toBe("file://token.txt:true")
  })

  it("cmd:COMMAND runs on the caller's side, with its environment", async () => {
    expect(await out(["check", "--token", "cmd:printf '%s' \"$DIRK_TEST_TOKEN\"", "--expected", value])).toMatch(/:true$/)
    expect(await out(["show", "--token", "cmd:echo $DIRK_TEST_TOKEN"])).toBe("token=***\n")
  })

  it("?cacheKey= is taken off the URI", async () => {
    expect(await out(["check", "--token", "env:DIRK_TEST_TOKEN?cacheKey=ci-token", "--expected", value])).toBe("env://DIRK_TEST_TOKEN:true")
  })

  it("a secret made with setSecret inside the module is scrubbed too", async () => {
    expect(await out(["inner", "--value", value])).toBe("inner=***\n")
  })

  it("bad flags: errors name the secret and its provider", async () => {
    const missing = await call(["show", "--token", "env:DIRK_TEST_NOT_SET"])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(`secret "env://DIRK_TEST_NOT_SET" (env provider): the environment variable DIRK_TEST_NOT_SET is not set`)
    const failing = await call(["show", "--token", "cmd:echo $DIRK_TEST_TOKEN; exit 9"])
    expect(failing.code).toBe(1)
    expect(failing.stderr).toContain("(cmd provider): the command failed (exit code 9)")
    const unknown = await call(["show", "--token", "vault:kv/x"])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain("the vault provider is not supported by dirk")
    const help = await out(["show", "--help"])
    expect(help).toMatch(/--token Secret/)
  })

  it("progress output shows no value; nothing dirk printed holds it", async () => {
    // a value not used before: the function and its exec run (nothing cached), with progress shown
    const fresh = `${value}-progress`
    const shown = await call(["show", "--token", "env:DIRK_TEST_TOKEN_2"], { DIRK_TEST_TOKEN_2: fresh }, false)
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toBe("token=***\n")
    expect(shown.stderr).toContain("exec sh -c")
    expect(seen).not.toContain(value)
  })
})
