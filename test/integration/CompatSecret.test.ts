/**
 * Secrets through Dagger's own npm client (`@dagger.io/dagger`, unchanged) via `dirk run`: test/compat/secret.mjs.
 * setSecret and secret(uri) with env://, file://, cmd:// resolved on the client's side (the engine daemon is started
 * beforehand without the variables, so only the client can resolve them), withSecretVariable, withoutSecretVariable,
 * withMountedSecret, output scrubbed to *** (multi-line, padded, split across writes, ExecError), plaintext(), no
 * value in any returned ID (base64-decoded), errors of bad URIs, and execs cached by value (or cacheKey), also across
 * an engine restart.
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dirk, stateDirs, stopDaemon } from "../support/cli.js"
import type { Steps } from "../support/compat.js"
import { repoRoot } from "../support/cli.js"

const dirs = stateDirs("dirk-compat-secret-")
const value = `dirk-secret-${randomBytes(8).toString("hex")}`
const other = `dirk-other-${randomBytes(8).toString("hex")}`
const multi = `very\nsecret\n${randomBytes(6).toString("hex")}\n`
let stateDir: string
let secretFile: string
let main: Steps
let cache: Steps
let cacheAgain: Steps
let cacheAfterRestart: Steps
let outputs = ""

const run = async (mode: string): Promise<Steps> => {
  const r = await dirk(["run", "--", process.execPath, path.join(repoRoot, "test/compat/secret.mjs"), mode, other], {
    stateDir,
    env: { DIRK_TEST_SECRET: value, DIRK_TEST_SECRET_FILE: secretFile, DIRK_TEST_OTHER: other }
  })
  outputs += r.stdout + r.stderr
  if (r.code !== 0) throw new Error(`secret.mjs ${mode} exited with ${r.code}: ${r.stderr.slice(-4000)}`)
  return JSON.parse(r.stdout) as Steps
}

/** An ID and the JSON it encodes. */
const idTexts = (id: string): Array<string> => [id, Buffer.from(id.replace(/^dirk1\./, ""), "base64url").toString("utf8")]

beforeAll(async () => {
  stateDir = dirs.fresh()
  secretFile = path.join(stateDir, "..", `dirk-secret-file-${randomBytes(4).toString("hex")}`)
  fs.writeFileSync(secretFile, multi)
  // the engine starts here, from an environment without the secrets: only the client can resolve env:// and cmd://
  const warm = await dirk(["run", "--", "true"], { stateDir })
  expect(warm.code).toBe(0)
  main = await run("main")
  cache = await run("cache")
  cacheAgain = await run("cache")
  await stopDaemon(stateDir)
  cacheAfterRestart = await run("cache")
})

afterAll(async () => {
  await dirs.cleanup()
  fs.rmSync(secretFile, { force: true })
})

describe("Secrets through Dagger's client", () => {
  it("setSecret: name, plaintext, an empty uri", () => {
    expect(main.name).toBe("token")
    expect(main.plaintextMatches).toBe(true)
    expect(main.loadedPlaintextMatches).toBe(true)
    expect(main.uriOfSetSecret).toBe("")
  })

  it("withSecretVariable: stdout, stderr and combinedOutput are scrubbed to ***", () => {
    expect(main.stdout).toBe("***")
    expect(main.stdoutAround).toBe("before *** after\n")
    expect(main.stderr).toBe("err: ***\n")
    expect(main.combined).toBe("out ***\nerr ***\n")
    expect(main.padded).toBe("  ***  \n")
    expect(main.split).toBe("***")
    // the process did see the value
    expect(main.lengthSeen).toBe(String(value.length))
  })

  it("an ExecError carries scrubbed output", () => {
    expect(main.execError.execError).toMatchObject({ exitCode: 3, stdout: "***", stderr: "***" })
    expect(main.execError.error).not.toContain(value)
  })

  it("a secret variable is not in envVariables; withoutSecretVariable removes it", () => {
    expect(main.envVariables).not.toContain("MY_SECRET")
    expect(main.envVariable).toBeNull()
    expect(main.without).toBe("done\n")
  })

  it("withMountedSecret: the file holds the value (scrubbed when printed), mode 0400 root by default, owner and mode", () => {
    expect(main.mountedCat).toBe("***")
    expect(main.mountedSameValue).toBe("same\n")
    expect(main.mountedStat).toBe("400 0 0\n")
    expect(main.mountedOwner).toBe("440 1000 1001\n")
    expect(main.mountedAsUser).toBe("readable\n")
    expect(main.mounts).toEqual(["/run/secrets/token"])
    expect(main.notInRootfs).toBe("0\n")
  })

  it("multi-line secrets are scrubbed whole", () => {
    expect(main.multiline).toBe("***")
    expect(main.multilineVar).toBe("[***]\n")
  })

  it("secret(uri): env://, file://, cmd:// resolved by the client", () => {
    expect(main.envName).toBe("env://DIRK_TEST_SECRET")
    expect(main.envUri).toBe("env://DIRK_TEST_SECRET")
    expect(main.envPlaintext).toBe(true)
    expect(main.envStdout).toBe("***")
    expect(main.filePlaintext).toBe(true)
    expect(main.fileStdout).toBe("***")
    expect(main.cmdPlaintext).toBe(true)
    expect(main.cmdStdout).toBe("***\n")
  })

  it("bad URIs: errors name the secret and the provider, never a value", () => {
    expect(main.envMissing.error).toBe(
      "secret \"env://DIRK_TEST_NOT_SET_ANYWHERE\" (env provider): the environment variable DIRK_TEST_NOT_SET_ANYWHERE is not set"
    )
    expect(main.fileMissing.error).toMatch(/^secret "file:\/\/\/nonexistent\/dirk-secret" \(file provider\): cannot read .*: no such file$/)
    expect(main.cmdFails.error).toMatch(/\(cmd provider\): the command failed \(exit code 4\)$/)
    expect(main.unknownScheme.error).toMatch(/the vault provider is not supported by dirk/)
    expect(main.noScheme.error).toMatch(/invalid secret URI "DIRK_TEST_SECRET"/)
  })

  it("no returned ID holds a value, base64-decoded or not; nor does any output of dirk or the client", () => {
    expect(main.ids.length).toBeGreaterThanOrEqual(8)
    for (const id of main.ids as Array<string>) {
      for (const text of idTexts(id)) {
        expect(text).not.toContain(value)
        expect(text).not.toContain(multi.trim())
      }
    }
    expect(outputs).not.toContain(value)
    expect(outputs).not.toContain(multi.trim())
    expect(outputs).not.toContain(other)
  })

  it("an exec is cached by the secret's value: same value hits (any name, setSecret or env://), another value runs", () => {
    expect(cache.first).toMatch(/^[0-9a-f]{24}$/)
    expect(cache.sameValue).toBe(cache.first)
    expect(cache.sameValueFromEnv).toBe(cache.first)
    expect(cache.otherValue).not.toBe(cache.first)
    expect(cache.mountSame).toBe(cache.mountFirst)
    expect(cache.mountOther).not.toBe(cache.mountFirst)
  })

  it("with a cacheKey, other values hit the same cache entry", () => {
    expect(cache.cacheKeyB).toBe(cache.cacheKeyA)
    expect(cache.cacheKeyA).not.toBe(cache.first)
  })

  it("the cache holds within an engine and across a restart (the secret key is kept 0600 in the state dir)", () => {
    expect(cacheAgain).toEqual(cache)
    expect(cacheAfterRestart).toEqual(cache)
    expect(fs.statSync(path.join(stateDir, "secret.key")).mode & 0o777).toBe(0o600)
  })
})
