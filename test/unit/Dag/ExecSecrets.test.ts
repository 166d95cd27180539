/**
 * Secrets in exec ops (pure): the digest covers each secret's handle (a keyed hash), not its display name; a
 * different handle is a different exec; `Explain` names the secret that changed; the engine's secret key is made once,
 * 0600, and read back the same.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Secret from "../../../src/Core/Secret.js"
import * as Explain from "../../../src/Dag/Explain.js"
import * as SecretFiles from "../../../src/Dag/internal/SecretFiles.js"
import * as Op from "../../../src/Dag/Op.js"

const meta = (over: Partial<Op.ExecMeta> = {}): Op.ExecMeta => ({
  args: ["sh", "-c", "echo $TOKEN"],
  env: [],
  workdir: "/",
  user: "",
  stdin: "",
  redirectStdout: "",
  redirectStderr: "",
  expect: "SUCCESS",
  tmpfs: [],
  ...over
})
const exec = (m: Op.ExecMeta) => Op.exec(Op.image("img"), [], m) as Extract<Op.Op, { _tag: "Exec" }>
const variable = (handle: string, secret = "token"): Partial<Op.ExecMeta> => ({ secretEnv: [{ name: "TOKEN", secret, handle }] })
const file = (handle: string, mode = 0o400): Partial<Op.ExecMeta> => ({ secretMounts: [{ target: "/run/t", secret: "token", handle, mode }] })

describe("exec ops with secrets", () => {
  it("are keyed by the secrets' handles, not by their display names", () => {
    const a = exec(meta(variable("hmac-sha256:aa")))
    assert.strictEqual(exec(meta(variable("hmac-sha256:aa", "other-name"))).digest, a.digest)
    assert.notStrictEqual(exec(meta(variable("hmac-sha256:bb"))).digest, a.digest)
    assert.notStrictEqual(exec(meta()).digest, a.digest)
    const f = exec(meta(file("hmac-sha256:aa")))
    assert.notStrictEqual(f.digest, a.digest)
    assert.notStrictEqual(exec(meta(file("hmac-sha256:bb"))).digest, f.digest)
    assert.notStrictEqual(exec(meta(file("hmac-sha256:aa", 0o440))).digest, f.digest)
  })

  it("Explain names the secret that changed, without its value or handle", () => {
    const before = Explain.recordOf(exec(meta({ ...variable("hmac-sha256:aa"), ...file("hmac-sha256:cc") })))
    const after = Explain.recordOf(exec(meta({ ...variable("hmac-sha256:bb"), ...file("hmac-sha256:cc") })))
    const why = Explain.explain(before, after)
    assert.strictEqual(why, "secret variable TOKEN changed")
    assert.notInclude(JSON.stringify(after), "hmac-sha256:bb")
  })

  it.effect("the engine's secret key is made once (0600) and read back the same", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-secret-key-"))
      const a = yield* Secret.loadKey(dir)
      const b = yield* Secret.loadKey(dir)
      assert.strictEqual(a.length, 32)
      assert.deepStrictEqual(Buffer.from(b), Buffer.from(a))
      assert.strictEqual(fs.statSync(path.join(dir, "secret.key")).mode & 0o777, 0o600)
      assert.strictEqual(Secret.handleOf(a, "v"), Secret.handleOf(b, "v"))
      const other = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-secret-key-"))
      assert.notStrictEqual(Secret.handleOf(yield* Secret.loadKey(other), "v"), Secret.handleOf(a, "v"))
      fs.rmSync(dir, { recursive: true, force: true })
      fs.rmSync(other, { recursive: true, force: true })
    }))
})

describe("SecretFiles", () => {
  it("per-exec directories carry the engine's pid; a sweep removes those of dead processes only", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-secret-files-"))
    assert.isTrue(SecretFiles.dirPrefix(dir).startsWith(path.join(dir, `dirk-secrets-${process.pid}-`)))
    // a pid above any pid_max (2^22) is never alive
    fs.mkdirSync(path.join(dir, "dirk-secrets-9999999-abc"))
    fs.writeFileSync(path.join(dir, "dirk-secrets-9999999-abc", "s0"), "value")
    fs.mkdirSync(path.join(dir, `dirk-secrets-${process.pid}-def`))
    fs.mkdirSync(path.join(dir, "unrelated"))
    assert.deepStrictEqual(SecretFiles.sweep(dir), ["dirk-secrets-9999999-abc"])
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), [`dirk-secrets-${process.pid}-def`, "unrelated"])
    fs.rmSync(dir, { recursive: true, force: true })
  })
})
