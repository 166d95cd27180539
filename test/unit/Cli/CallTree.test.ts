import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import * as CallTree from "../../../src/Cli/CallTree.js"
import { module } from "./fixture.js"

const plan = (words: ReadonlyArray<string>, help = false) =>
  CallTree.plan(module, help ? [...words, "--help"] : words, { staticHelp: "-m, --mod DIR   Module directory\n" }).pipe(
    Effect.provide(NodeContext.layer)
  )

const callOf = (words: ReadonlyArray<string>) =>
  Effect.map(plan(words), (p) => {
    if (p._tag !== "Call") throw new Error("expected a call")
    return p.calls.map((c) => ({
      fn: c.spec.name,
      args: Object.fromEntries(c.values.map((v) => [v.arg.name, v.value]))
    }))
  })

const failure = (words: ReadonlyArray<string>) =>
  Effect.map(Effect.flip(plan(words)), (e) => e.message)

describe("CallTree", () => {
  it.effect("dirk call --help lists the functions, kebab-case, first line of their description", () =>
    Effect.gen(function*() {
      const p = yield* plan([], true)
      assert.strictEqual(p._tag, "Help")
      if (p._tag !== "Help") return
      assert.include(p.text, "CI for the greeter library.")
      assert.match(p.text, /test\s+Runs the tests\.\n/)
      assert.notInclude(p.text, "Second line")
      assert.match(p.text, /read-file\s+Reads a file\./)
      assert.include(p.text, "-m, --mod DIR")
      assert.notInclude(p.text, "  id ")
    }))

  it.effect("FN --help lists its flags with types, required and defaults", () =>
    Effect.gen(function*() {
      const p = yield* plan(["greet", "--help"])
      assert.strictEqual(p._tag, "Help")
      if (p._tag !== "Help") return
      assert.match(p.text, /--a String\s+Who \(required\)/)
      assert.match(p.text, /--times Int/)
      assert.match(p.text, /--tags \[String\]/)
      assert.match(p.text, /RETURNS \[String\]/)
      const lint = yield* plan(["lint", "--help"])
      assert.match(lint._tag === "Help" ? lint.text : "", /--source Directory\s+\(required\)/)
      assert.match(lint._tag === "Help" ? lint.text : "", /--strict Boolean\s+\(default false\)/)
    }))

  it.effect("help after a chain shows the chained function and what can follow", () =>
    Effect.gen(function*() {
      const p = yield* plan(["build", "--source", ".", "--help"])
      const text = p._tag === "Help" ? p.text : ""
      assert.include(text, "dirk call build [flags] [<function> [flags]]...")
      assert.include(text, "FUNCTIONS OF Directory")
      assert.match(text, /entries\s+Lists the entries\./)
      const deeper = yield* plan(["build", "--source", ".", "file", "--help"])
      assert.include(deeper._tag === "Help" ? deeper.text : "", "--path String")
    }))

  it.effect("a one-letter argument is spelled --a", () =>
    Effect.gen(function*() {
      const calls = yield* callOf(["greet", "--a", "world"])
      assert.deepStrictEqual(calls[1], { fn: "greet", args: { a: { _tag: "Value", value: "world" } } })
      const inline = yield* callOf(["greet", "--a=x=y"])
      assert.deepStrictEqual(inline[1]!.args["a"], { _tag: "Value", value: "x=y" })
      assert.include(yield* failure(["greet", "-a", "world"]), "arguments are spelled --name")
    }))

  it.effect("a required flag missing is an error naming it", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* failure(["test"]), "required flag --source not set for \"test\"")
      assert.include(yield* failure(["greet", "--times", "2"]), "required flag --a not set")
    }))

  it.effect("parses scalars, booleans alone, lists (CSV and repeated), enums; unset optional flags are absent", () =>
    Effect.gen(function*() {
      const calls = yield* callOf([
        "greet",
        "--a",
        "w",
        "--times",
        "3",
        "--tags",
        "x,y",
        "--tags=z",
        "--level",
        "high",
        "--ratio",
        "0.5",
        "--data",
        "{\"k\":1}"
      ])
      assert.deepStrictEqual(calls[1]!.args, {
        a: { _tag: "Value", value: "w" },
        times: { _tag: "Value", value: 3 },
        tags: {
          _tag: "List",
          items: [{ _tag: "Value", value: "x" }, { _tag: "Value", value: "y" }, { _tag: "Value", value: "z" }]
        },
        level: { _tag: "Value", value: "HIGH" },
        ratio: { _tag: "Value", value: 0.5 },
        data: { _tag: "Value", value: "{\"k\":1}" }
      })
      const lint = yield* callOf(["lint", "--source", "src", "--strict"])
      assert.deepStrictEqual(lint[1]!.args, {
        source: { _tag: "HostDirectory", path: "src" },
        strict: { _tag: "Value", value: true }
      })
      const off = yield* callOf(["lint", "--strict=false", "--source", "src"])
      assert.deepStrictEqual(off[1]!.args["strict"], { _tag: "Value", value: false })
      const unset = yield* callOf(["lint", "--source", "src"])
      assert.deepStrictEqual(Object.keys(unset[1]!.args), ["source"])
    }))

  it.effect("camelCase flags are accepted and normalized", () =>
    Effect.gen(function*() {
      const calls = yield* callOf(["read-file", "--file", "a.txt"])
      assert.deepStrictEqual(calls[1], { fn: "readFile", args: { file: { _tag: "HostFile", path: "a.txt" } } })
      const camel = yield* callOf(["readFile", "--file", "a.txt"])
      assert.strictEqual(camel[1]!.fn, "readFile")
    }))

  it.effect("chains into the returned object's functions (module or core type)", () =>
    Effect.gen(function*() {
      const calls = yield* callOf(["build", "--source", ".", "file", "--path", "dist/index.js", "contents"])
      assert.deepStrictEqual(calls.map((c) => c.fn), ["ci", "build", "file", "contents"])
      assert.deepStrictEqual(calls[2]!.args, { path: { _tag: "Value", value: "dist/index.js" } })
      const env = yield* callOf(["env", "--source", ".", "--base", "dirk.local/node:20", "stdout"])
      assert.deepStrictEqual(env[1]!.args["base"], { _tag: "ContainerAddress", address: "dirk.local/node:20" })
    }))

  it.effect("reports bad words clearly", () =>
    Effect.gen(function*() {
      assert.include(yield* failure(["nope"]), "unknown function \"nope\" for Ci")
      assert.include(yield* failure(["test", "--nope", "1"]), "unknown flag --nope for \"test\"")
      assert.include(yield* failure(["tset"]), "unknown function \"tset\" for Ci; did you mean test?")
      assert.include(yield* failure(["test", "--sourse", "."]), "unknown flag --sourse for \"test\"; did you mean --source?")
      assert.include(yield* failure(["test", "--source", ".", "more"]), "returns String, which has no functions")
      assert.include(yield* failure(["greet", "--a", "x", "--times", "x"]), "x")
      assert.include(yield* failure(["greet", "--a", "x", "--level", "mid"]), "expected one of: LOW, HIGH")
      assert.include(yield* failure(["greet", "--a"]), "flag needs an argument: --a")
      assert.include(yield* failure([]), "no function given")
    }))

  it("the @effect/cli option of an argument never collides with built-ins or short flags", () => {
    const greet = module.schema.getType("Ci")
    assert.isDefined(greet)
    const names = ["a", "version", "help"].map((flag) =>
      CallTree.optionName({ flag } as never)
    )
    assert.deepStrictEqual(names, ["arg-a", "arg-version", "arg-help"])
    assert.isTrue(Either.isRight(Either.right(CallTree.descriptor(module.constructor))))
  })
})
