import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import { replace } from "../../../src/Dag/internal/Replace.js"

const text = "hello world\nhello again\n"

describe("Replace (File.withReplaced)", () => {
  it("replaces the single match", () => {
    assert.deepStrictEqual(replace(text, { search: "world", replacement: "there", all: false }), Either.right("hello there\nhello again\n"))
  })
  it("fails on several matches without all or firstFrom, naming them", () => {
    const r = replace(text, { search: "hello", replacement: "bye", all: false })
    assert.deepStrictEqual(r, Either.left("search string found multiple times: line 1 (0-5), line 2 (0-5)"))
  })
  it("replaces all, or the first from a line", () => {
    assert.deepStrictEqual(replace(text, { search: "hello", replacement: "bye", all: true }), Either.right("bye world\nbye again\n"))
    assert.deepStrictEqual(
      replace(text, { search: "hello", replacement: "bye", all: false, firstFrom: 2 }),
      Either.right("hello world\nbye again\n")
    )
  })
  it("fails when nothing matches, except with all", () => {
    assert.deepStrictEqual(replace(text, { search: "nope", replacement: "x", all: false }), Either.left("search string not found"))
    assert.deepStrictEqual(replace(text, { search: "nope", replacement: "x", all: true }), Either.right(text))
    assert.deepStrictEqual(replace(text, { search: "world", replacement: "x", all: false, firstFrom: 2 }), Either.left("search string not found"))
  })

  const str = fc.string({ unit: fc.constantFrom("a", "b", "\n"), maxLength: 30 })
  const needle = fc.string({ unit: fc.constantFrom("a", "b"), minLength: 1, maxLength: 3 })
  it.prop("all = split/join", [str, needle, str], ([t, s, r]) => {
    assert.deepStrictEqual(replace(t, { search: s, replacement: r, all: true }), Either.right(t.split(s).join(r)))
  })
  it.prop("replacing with the search string changes nothing", [str, needle], ([t, s]) =>
    Either.match(replace(t, { search: s, replacement: s, all: false }), { onLeft: () => true, onRight: (out) => out === t }))
  it.prop("a single replacement succeeds exactly when there is one match", [str, needle, str], ([t, s, r]) => {
    const count = t.split(s).length - 1
    assert.strictEqual(Either.isRight(replace(t, { search: s, replacement: r, all: false })), count === 1)
  })
})
