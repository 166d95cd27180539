import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import * as CallOptions from "../../../src/Cli/CallOptions.js"

describe("CallOptions", () => {
  it("reads -i/--interactive, also grouped", () => {
    assert.isTrue(CallOptions.leading(["-i", "fn"]).interactive)
    assert.isTrue(CallOptions.leading(["-qi", "fn"]).interactive)
    assert.isTrue(CallOptions.leading(["fn", "--interactive"]).interactive)
    assert.isFalse(CallOptions.leading(["fn", "--", "-i"]).interactive)
  })

  it("leading: dirk's options before the first other word; help and quiet anywhere (for progress)", () => {
    assert.deepStrictEqual(CallOptions.leading(["-m", "a", "-jq", "--output=o", "fn", "--mod", "b", "-h"]), {
      mod: "a",
      output: "o",
      json: true,
      quiet: true,
      help: true,
      explainCache: false,
      interactive: false,
      progress: undefined,
      verbose: false,
      debug: false,
      graph: undefined
    })
    assert.isTrue(CallOptions.leading(["fn", "--x", "1", "--explain-cache"]).explainCache)
    assert.strictEqual(CallOptions.leading(["-ma"]).mod, "a")
    assert.strictEqual(CallOptions.leading(["-m=a"]).mod, "a")
    assert.strictEqual(CallOptions.leading(["--src", "x", "-m", "a"]).mod, undefined)
    assert.isFalse(CallOptions.leading(["fn", "--", "--help"]).help)
  })

  it("reads the progress options: --progress MODE, -v/--verbose, --debug, --graph PATH, anywhere before --", () => {
    const o = CallOptions.leading(["--progress=plain", "-v", "fn", "--debug", "--graph", "run.svg"])
    assert.strictEqual(o.progress, "plain")
    assert.isTrue(o.verbose)
    assert.isTrue(o.debug)
    assert.strictEqual(o.graph, "run.svg")
    assert.strictEqual(CallOptions.leading(["--progress", "tty", "fn"]).progress, "tty")
    assert.strictEqual(CallOptions.leading(["fn", "--", "--graph", "x"]).graph, undefined)
    const bad = CallOptions.readLong(["--progress=fancy"], 0, "progress", "fancy", CallOptions.empty)
    assert.isTrue(Either.isLeft(bad))
    assert.include(Either.isLeft(bad) ? bad.left.message : "", "use auto, plain or tty")
  })

  it("readShort: clusters and values; a letter that is not dirk's is left to the caller", () => {
    const read = CallOptions.readShort(["-qo", "out"], 0, CallOptions.empty)
    assert.deepStrictEqual(read, Either.right({ next: 2, options: { ...CallOptions.empty, quiet: true, output: "out" } }))
    assert.isUndefined(CallOptions.readShort(["-a"], 0, CallOptions.empty))
    const missing = CallOptions.readShort(["-o"], 0, CallOptions.empty)
    assert.isTrue(missing !== undefined && Either.isLeft(missing))
  })

  it("readLong: booleans take =true/false only inline, never the next word", () => {
    assert.deepStrictEqual(
      CallOptions.readLong(["--json", "x"], 0, "json", undefined, CallOptions.empty),
      Either.right({ next: 1, options: { ...CallOptions.empty, json: true } })
    )
    assert.deepStrictEqual(
      CallOptions.readLong(["--json=false"], 0, "json", "false", { ...CallOptions.empty, json: true }),
      Either.right({ next: 1, options: CallOptions.empty })
    )
    const bad = CallOptions.readLong(["--json=z"], 0, "json", "z", CallOptions.empty)
    assert.isTrue(Either.isLeft(bad))
  })
})
