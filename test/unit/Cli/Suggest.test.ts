import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Suggest from "../../../src/Cli/Suggest.js"

const word = fc.stringMatching(/^[a-z-]{0,10}$/)

describe("Suggest", () => {
  it("suggests the nearest flag or function", () => {
    assert.strictEqual(Suggest.didYouMean("sourc", ["source", "json"], "--"), "; did you mean --source?")
    assert.strictEqual(Suggest.didYouMean("biuld", ["test", "build", "lint"]), "; did you mean build?")
    assert.strictEqual(Suggest.didYouMean("dry", ["dry-run", "verbose"], "--"), "; did you mean --dry-run?")
    assert.strictEqual(Suggest.didYouMean("zzzzzz", ["source", "json"], "--"), "")
    assert.deepStrictEqual(Suggest.suggestions("lint", ["lint22", "zzzz", "lnt"]), ["lnt", "lint22"])
  })

  it.prop("distance is a metric: zero exactly on equal words, symmetric, triangle inequality", [word, word, word], ([a, b, c]) => {
    assert.strictEqual(Suggest.distance(a, b) === 0, a === b)
    assert.strictEqual(Suggest.distance(a, b), Suggest.distance(b, a))
    assert.isAtMost(Suggest.distance(a, c), Suggest.distance(a, b) + Suggest.distance(b, c))
  })

  it.prop("distance is at most the longer length, at least the length difference", [word, word], ([a, b]) => {
    const d = Suggest.distance(a, b)
    assert.isAtMost(d, Math.max(a.length, b.length))
    assert.isAtLeast(d, Math.abs(a.length - b.length))
  })

  it.prop("a candidate one typo away is suggested first", [fc.stringMatching(/^[a-z]{3,10}$/), fc.nat()], ([name, at]) => {
    const typo = name.slice(0, at % name.length) + name.slice((at % name.length) + 1)
    assert.strictEqual(Suggest.suggestions(typo, ["zzzzzzzzzzzzzzzzzzzz", name])[0], name)
  })
})
