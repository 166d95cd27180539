import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Json from "../../../src/Modules/Json.js"

describe("Json", () => {
  it("encodes values as JSON text", () => {
    assert.strictEqual(Json.encode("dirk"), "\"dirk\"")
    assert.strictEqual(Json.encode(3), "3")
    assert.strictEqual(Json.encode(undefined), "null")
    assert.strictEqual(Json.encode({ a: [1, true] }), "{\"a\":[1,true]}")
  })

  it.effect("decodes JSON text; the empty string is null; bad text names the value", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* Json.decode("\"x\"", "v"), "x")
      assert.strictEqual(yield* Json.decode("", "v"), null)
      const e = yield* Effect.flip(Json.decode("dirk", "parent"))
      assert.include(e.message, "parent: invalid JSON")
    }))

  it.effect("validates client JSON and keeps the text", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* Json.validate("\"world\"", "d"), "\"world\"")
      assert.strictEqual(yield* Json.validate("", "d"), "null")
      assert.strictEqual(yield* Json.validate(3, "d"), "3")
      yield* Effect.flip(Json.validate("{", "d"))
    }))
})
