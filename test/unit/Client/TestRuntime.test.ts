/**
 * The recording test runtime under the real engine: execs answered by rules, ops recorded, the engine's caching
 * and error mapping as on Docker.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Container, Directory, TestRuntime } from "../../../src/Client/index.js"

const node = "registry.example/node:20"

describe("TestRuntime", () => {
  it.live("answers execs from rules and records what ran", () =>
    Effect.gen(function*() {
      const base = Container.from(node).pipe(Container.withWorkdir("/app"), Container.withEnvVariable("CI", "1"))
      const ok = yield* base.pipe(Container.withExec(["npm", "ci"]), Container.withExec(["npm", "run", "build"]), Container.stdout)
      const failed = yield* base.pipe(Container.withExec(["npm", "test"]), Container.stdout, Effect.flip)
      assert.strictEqual(ok, "built\n")
      assert.strictEqual(failed._tag, "ExecError")
      if (failed._tag === "ExecError") {
        assert.strictEqual(failed.exitCode, 1)
        assert.strictEqual(failed.stderr, "1 failing")
      }
      const ran = yield* TestRuntime.execs
      assert.deepStrictEqual(ran.map((e) => e.args.join(" ")), ["npm ci", "npm run build", "npm test"])
      assert.strictEqual(ran[0]!.workdir, "/app")
      assert.include(ran[0]!.env, "CI=1")
      assert.deepStrictEqual(ran.map((e) => e.rule), [undefined, "exec [\"npm\",\"run\",\"build\"]", "exec [\"npm\",\"test\"]"])
      const pulls = (yield* TestRuntime.ops).filter((o) => o._tag === "Pull")
      assert.deepStrictEqual(pulls, [{ _tag: "Pull", ref: node }])
    }).pipe(Effect.provide(TestRuntime.layer([
      TestRuntime.exec(["npm", "run", "build"], { stdout: "built\n" }),
      TestRuntime.exec(["npm", "test"], { exitCode: 1, stderr: "1 failing" })
    ]))))

  it.live("a success is cached by the engine, a failure is not; replies may depend on the attempt", () =>
    Effect.gen(function*() {
      const flaky = Container.from(node).pipe(Container.withExec(["./flaky.sh"]), Container.stdout)
      const first = yield* Effect.flip(flaky)
      assert.strictEqual(first._tag, "ExecError")
      assert.strictEqual(yield* flaky, "ok on attempt 1")
      assert.strictEqual(yield* flaky, "ok on attempt 1") // cached: not run again
      const ran = yield* TestRuntime.execs
      assert.deepStrictEqual(ran.map((e) => [e.attempt, e.exitCode]), [[0, 2], [1, 0]])
    }).pipe(Effect.provide(TestRuntime.layer([
      TestRuntime.exec(["./flaky.sh"], (e) => e.attempt === 0 ? { exitCode: 2 } : { stdout: `ok on attempt ${e.attempt}` })
    ]))))

  it.live("unmatched execs fail when asked to; missing images fail to pull", () =>
    Effect.gen(function*() {
      const e = yield* Container.from(node).pipe(Container.withExec(["make"]), Container.stdout, Effect.flip)
      assert.strictEqual(e._tag === "ExecError" && e.exitCode, 127)
      const m = yield* Container.from("gone:1").pipe(Container.withExec(["true"]), Container.sync, Effect.flip)
      assert.strictEqual(m._tag, "QueryError")
      assert.include(m.message, "gone:1")
    }).pipe(Effect.provide(TestRuntime.layer([], { unmatched: "fail", missingImages: ["gone:1"] }))))

  it.live("directories built in the engine work as usual (they never touch the runtime)", () =>
    Effect.gen(function*() {
      const dir = Directory.make().pipe(Directory.withNewFile("a/b.txt", "x"), Directory.withNewDirectory("c"))
      assert.deepStrictEqual([...(yield* Directory.entries()(dir))].sort(), ["a/", "c/"])
      assert.deepStrictEqual(yield* TestRuntime.ops, [])
    }).pipe(Effect.provide(TestRuntime.layer([]))))
})
