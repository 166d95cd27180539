import { assert, describe, it } from "@effect/vitest"
import { createHash } from "node:crypto"
import * as Output from "../../../src/Cli/Output.js"
import * as Progress from "../../../src/Cli/Progress.js"

describe("Output", () => {
  it("formats by return type", () => {
    assert.strictEqual(Output.format({ _tag: "Scalar", name: "String" }, "hello\n", { json: false }), "hello\n")
    assert.strictEqual(Output.format({ _tag: "Scalar", name: "Int" }, 3, { json: false }), "3")
    assert.strictEqual(Output.format({ _tag: "Scalar", name: "Boolean" }, false, { json: false }), "false")
    assert.strictEqual(Output.format({ _tag: "Void" }, null, { json: false }), "")
    assert.strictEqual(
      Output.format({ _tag: "List", of: { _tag: "Scalar", name: "String" } }, ["a", "b"], { json: false }),
      "a\nb"
    )
    assert.strictEqual(Output.format({ _tag: "Scalar", name: "String" }, "x", { json: true }), "\"x\"\n")
    assert.strictEqual(
      Output.format({ _tag: "List", of: { _tag: "Scalar", name: "Int" } }, [1, 2], { json: true }),
      "[\n  1,\n  2\n]\n"
    )
  })

  it("prints objects as Type@sha256:<12 hex of sha256(ID)>", () => {
    const digest = createHash("sha256").update("some-id").digest("hex").slice(0, 12)
    assert.strictEqual(Output.format({ _tag: "Object", name: "Directory" }, "some-id", { json: false }), `Directory@sha256:${digest}`)
    assert.strictEqual(
      Output.format({ _tag: "List", of: { _tag: "Object", name: "File" } }, ["some-id"], { json: false }),
      `- File@sha256:${digest}`
    )
  })

  it("adds a newline only on a terminal", () => {
    assert.strictEqual(Output.withNewline("x", true), "x\n")
    assert.strictEqual(Output.withNewline("x\n", true), "x\n")
    assert.strictEqual(Output.withNewline("x", false), "x")
    assert.strictEqual(Output.withNewline("", true), "")
  })

  it("aligns tables", () => {
    assert.strictEqual(
      Output.table(["Name", "Description"], [["test", "Runs tests"], ["build-all", ""]]),
      "Name        Description\ntest        Runs tests\nbuild-all\n"
    )
  })

  it("renders progress lines", () => {
    const base = { digest: "d", description: "exec node --test", cached: false, durationMs: 1234 }
    assert.strictEqual(Progress.render({ ...base, phase: "start" }), "dirk │ ▶ exec node --test\n")
    assert.strictEqual(Progress.render({ ...base, phase: "end" }), "dirk │ ✔ exec node --test  1.2s\n")
    assert.strictEqual(Progress.render({ ...base, phase: "end", cached: true }), "dirk │ ● exec node --test  cached\n")
    assert.strictEqual(
      Progress.render({ ...base, phase: "end", error: "exit code: 1\nmore" }),
      "dirk │ ✘ exec node --test  failed after 1.2s: exit code: 1\n"
    )
    assert.strictEqual(Progress.duration(340), "340ms")
    assert.strictEqual(Progress.duration(123_000), "2m03s")
  })
})
