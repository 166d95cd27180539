/**
 * Secret URIs: parsing, CLI flag forms, and resolution on the client's host (env, file, cmd) with errors that name
 * the URI and provider but never a value.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, FastCheck as fc } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as SecretUri from "../../../src/Core/SecretUri.js"

const parsed = (uri: string) => Either.getOrThrow(SecretUri.parse(uri))
const parseError = (uri: string) => Either.getLeft(SecretUri.parse(uri)).pipe((o) => (o._tag === "Some" ? o.value : ""))

describe("SecretUri", () => {
  it("parses env://, file://, cmd:// and refuses other schemes by name", () => {
    assert.deepStrictEqual(parsed("env://TOKEN"), { provider: "env", target: "TOKEN", uri: "env://TOKEN" })
    assert.deepStrictEqual(parsed("file:///run/x"), { provider: "file", target: "/run/x", uri: "file:///run/x" })
    assert.deepStrictEqual(parsed("cmd://echo a://b"), { provider: "cmd", target: "echo a://b", uri: "cmd://echo a://b" })
    assert.match(parseError("vault://kv/x"), /the vault provider is not supported by dirk/)
    assert.match(parseError("foo://x"), /unknown secret provider "foo"/)
    assert.match(parseError("TOKEN"), /invalid secret URI "TOKEN"/)
    assert.match(parseError("env://"), /the env provider needs a variable name/)
  })

  it("normalizes CLI flag forms (reference §5)", () => {
    assert.deepStrictEqual(SecretUri.fromFlag("env:TOKEN"), { uri: "env://TOKEN" })
    assert.deepStrictEqual(SecretUri.fromFlag("env://TOKEN"), { uri: "env://TOKEN" })
    assert.deepStrictEqual(SecretUri.fromFlag("file:./x.txt"), { uri: "file://./x.txt" })
    assert.deepStrictEqual(SecretUri.fromFlag("cmd:echo hi"), { uri: "cmd://echo hi" })
    assert.deepStrictEqual(SecretUri.fromFlag("TOKEN"), { uri: "env://TOKEN" })
    assert.deepStrictEqual(SecretUri.fromFlag("env:TOKEN?cacheKey=k1"), { uri: "env://TOKEN", cacheKey: "k1" })
  })

  it.prop("a CLI env flag always parses back to its variable", [fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,20}$/)], ([name]) => {
    for (const flag of [name, `env:${name}`, `env://${name}`]) {
      const { uri } = SecretUri.fromFlag(flag)
      assert.deepStrictEqual(parsed(uri), { provider: "env", target: name, uri: `env://${name}` })
    }
  })

  it.effect("resolves on the client's host; errors name the URI and provider, never the value", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-secreturi-"))
      fs.writeFileSync(path.join(dir, "s.txt"), "file-value-991\n")
      const host: SecretUri.ClientHost = { env: { A: "env-value-123", PATH: process.env.PATH }, cwd: dir, home: dir }
      const run = (uri: string) => SecretUri.resolve(parsed(uri), host).pipe(Effect.either)
      assert.deepStrictEqual(yield* run("env://A"), Either.right("env-value-123"))
      assert.deepStrictEqual(yield* run("file://s.txt"), Either.right("file-value-991\n"))
      assert.deepStrictEqual(yield* run("file://~/s.txt"), Either.right("file-value-991\n"))
      assert.deepStrictEqual(yield* run("cmd://printf 'cmd-%s\\n\\n' $A"), Either.right("cmd-env-value-123"))
      const missing = yield* run("env://NOPE")
      assert.deepStrictEqual(missing, Either.left(`secret "env://NOPE" (env provider): the environment variable NOPE is not set`))
      const noFile = yield* run("file://absent.txt")
      assert.match(Either.getLeft(noFile).pipe((o) => (o._tag === "Some" ? o.value : "")), /^secret "file:\/\/absent.txt" \(file provider\): cannot read .*absent.txt: no such file$/)
      const failed = yield* run("cmd://echo leaked-output-777; exit 3")
      assert.deepStrictEqual(failed, Either.left(`secret "cmd://echo leaked-output-777; exit 3" (cmd provider): the command failed (exit code 3)`))
      fs.rmSync(dir, { recursive: true, force: true })
    }))
})
