/**
 * Modules written with the Effect SDK (`"sdk": "effect"`): registered and invoked through the module protocol, called
 * by the CLI and by any GraphQL client like other modules; a schema with no GraphQL form fails the registration
 * naming the function and the field.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll } from "vitest"
import { DirkClient } from "../../src/Client/index.js"
import type { SessionInfo } from "../../src/Engine/Engine.js"
import { dirk, repoRoot, stateDirs } from "../support/cli.js"
import { busyboxImage, nodeImage } from "../support/docker.js"
import { startEngine } from "../support/session.js"

const example = path.join(repoRoot, "examples/effect-module")
const bad = path.join(repoRoot, "test/fixtures/modules/effect-bad")
const dirs = stateDirs("dirk-effect-module-")
let stateDir: string
let engine: Awaited<ReturnType<typeof startEngine>>
let session: SessionInfo

beforeAll(async () => {
  stateDir = dirs.fresh()
  engine = await startEngine([busyboxImage, nodeImage])
  session = await engine.openSession(repoRoot)
})
afterAll(async () => {
  await engine?.close()
  await dirs.cleanup()
})

const call = (...args: Array<string>) => dirk(["call", "-q", ...args], { stateDir })

describe("Effect SDK modules", () => {
  it("the CLI lists and calls them: scalars, optional arguments, struct results, API objects, chaining", async () => {
    const fns = await dirk(["functions", "-m", example], { stateDir })
    assert.strictEqual(fns.code, 0, fns.stderr)
    assert.match(fns.stdout, /hello\s+Says hello/)
    assert.match(fns.stdout, /count-lines\s+Counts the lines/)

    const hello = await call("-m", example, "hello", "--name", "world")
    assert.strictEqual(hello.code, 0, hello.stderr)
    assert.strictEqual(hello.stdout.trim(), "hello, world!")
    const hi = await call("-m", example, "hello", "--name", "you", "--greeting", "hi")
    assert.strictEqual(hi.stdout.trim(), "hi, you!")

    const lines = await call("-m", example, "count-lines", "--source", path.join(example, "src"), "files")
    assert.strictEqual(lines.code, 0, lines.stderr)
    assert.strictEqual(lines.stdout.trim(), "1")

    const tool = await call("-m", example, "with-tool", "with-exec", "--args", "greet,you", "stdout")
    assert.strictEqual(tool.code, 0, tool.stderr)
    assert.strictEqual(tool.stdout.trim(), "greetings, you")
  })

  it("a failing exec inside a function reaches the caller with its exit code and output", async () => {
    const failed = await call("-m", example, "check", "--script", "echo out; echo bad >&2; exit 4")
    assert.notStrictEqual(failed.code, 0)
    assert.match(failed.stderr, /exit code: 4/)
    assert.match(failed.stderr, /bad/)
  })

  it.live("a GraphQL client calls them like any module (typed client, raw query)", () =>
    Effect.gen(function*() {
      yield* DirkClient.execute({
        query: `query($ref: String!) { moduleSource(refString: $ref) { asModule { serve } } }`,
        variables: { ref: example }
      })
      const data = yield* DirkClient.execute({ query: `{ effectGreeter { hello(name: "graphql") } }` })
      assert.deepStrictEqual(data, { effectGreeter: { hello: "hello, graphql!" } })
      const failure = yield* DirkClient.execute({ query: `{ effectGreeter { check(script: "exit 3") } }` }).pipe(Effect.flip)
      assert.strictEqual(failure._tag, "ExecError")
      assert.strictEqual(failure._tag === "ExecError" && failure.exitCode, 3)
    }).pipe(Effect.provide(DirkClient.layerRemote({ url: session.url, token: session.token }))))

  it("a module written with Dagger's TypeScript SDK calls one through its bindings (dependency)", async () => {
    const caller = path.join(repoRoot, "test/fixtures/modules/effect-caller")
    const greet = await call("-m", caller, "greet", "--name", "ts")
    assert.strictEqual(greet.code, 0, greet.stderr)
    assert.strictEqual(greet.stdout.trim(), "hey, ts!")
    const lines = await call("-m", caller, "lines", "--source", path.join(example, "src"))
    assert.strictEqual(lines.code, 0, lines.stderr)
    assert.strictEqual(Number(lines.stdout.trim()), fs.readFileSync(path.join(example, "src/index.ts"), "utf8").split("\n").length - 1)
  })

  it("`dirk init --sdk effect` creates a module that runs at once and typechecks", async () => {
    const dir = path.join(dirs.fresh("dirk-effect-init-"), "made")
    const init = await dirk(["init", dir, "--sdk", "effect", "--name", "made"], { stateDir })
    assert.strictEqual(init.code, 0, init.stderr)
    const config = JSON.parse(fs.readFileSync(path.join(dir, "dagger.json"), "utf8"))
    assert.deepStrictEqual(config.sdk, { source: "effect" })
    const hello = await dirk(["call", "-q", "hello", "--name", "you"], { stateDir, cwd: dir })
    assert.strictEqual(hello.code, 0, hello.stderr)
    assert.strictEqual(hello.stdout.trim(), "hello, you!")
    const files = await dirk(["call", "-q", "list-files", "--dir", "src"], { stateDir, cwd: dir })
    assert.strictEqual(files.stdout.trim(), "index.ts")
    // the editor's view: effect and dirk linked from the engine, tsc passes
    execFileSync(path.join(dir, "node_modules/.bin/tsc"), ["--noEmit", "-p", dir], { stdio: "pipe" })
  })

  it("a schema with no GraphQL form fails the registration, naming the function and the field", async () => {
    const r = await call("-m", bad, "fine")
    assert.notStrictEqual(r.code, 0)
    assert.include(r.stderr, "module effect-bad: function pick, argument choice: a union without tags has no GraphQL form")
  })
})
