/**
 * The exec output scrubber: whole outputs, and the streaming form over random chunkings.
 */
import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Scrub from "../../../src/Dag/Scrub.js"

const whole = (secrets: ReadonlyArray<string>, text: string) => Scrub.scrubString(Scrub.patterns(secrets), text)

/** Feeds `input` to a streaming scrubber cut at `cuts` (byte offsets). */
const chunked = (secrets: ReadonlyArray<string>, input: Buffer, cuts: ReadonlyArray<number>): Buffer => {
  const s = Scrub.stream(Scrub.patterns(secrets))
  const at = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b)
  const out: Array<Buffer> = []
  let from = 0
  for (const c of [...at, input.length]) {
    out.push(s.push(input.subarray(from, c)))
    from = c
  }
  out.push(s.end())
  return Buffer.concat(out)
}

// a small alphabet makes overlaps, repeats and near-misses common
const small = fc.string({ unit: fc.constantFrom("a", "b", "\n", " ", "é"), minLength: 1, maxLength: 6 })
const secretsArb = fc.array(small, { minLength: 1, maxLength: 4 })

describe("Scrub", () => {
  it("replaces values, multi-line values and their trimmed form", () => {
    assert.strictEqual(whole(["hunter2"], "pw=hunter2 and hunter2\n"), "pw=*** and ***\n")
    assert.strictEqual(whole(["very\nsecret\ntext\n"], "very\nsecret\ntext\n"), "***")
    assert.strictEqual(whole(["  padded-value \n"], "[padded-value]"), "[***]")
    assert.strictEqual(whole(["abc", "abcdef"], "xabcdefx abcx"), "x***x ***x")
    assert.strictEqual(whole([""], "nothing to hide"), "nothing to hide")
    assert.strictEqual(whole(["  \n"], "  \n"), "***")
  })

  it("holds back a possible prefix at a chunk boundary", () => {
    const s = Scrub.stream(Scrub.patterns(["s3cr3t"]))
    assert.strictEqual(s.push(Buffer.from("value: s3c")).toString(), "value: ")
    assert.strictEqual(s.push(Buffer.from("r3t!")).toString(), "***!")
    assert.strictEqual(s.push(Buffer.from(" s3")).toString(), " ")
    assert.strictEqual(s.end().toString(), "s3")
  })

  it.prop("streamed output equals the scrub of the whole, for any chunking", [
    secretsArb,
    fc.array(fc.oneof(small, fc.string({ maxLength: 8 })), { maxLength: 12 }),
    fc.array(fc.nat(), { maxLength: 10 })
  ], ([secrets, pieces, cuts]) => {
    // build the input from secrets and noise so that matches happen
    const input = Buffer.from(pieces.map((p, i) => (i % 2 === 0 ? secrets[i % secrets.length]! + p : p)).join(""), "utf8")
    const expected = Scrub.scrub(Scrub.patterns(secrets), input)
    assert.deepStrictEqual(chunked(secrets, input, cuts), expected)
  }, { fastCheck: { numRuns: 500 } })

  it.prop("no secret of at least 2 bytes survives scrubbing of output built from it", [
    fc.string({ minLength: 2, maxLength: 40 }).filter((s) => s.trim().length >= 2 && !s.includes("*")),
    fc.array(fc.string({ maxLength: 10 }).filter((s) => !s.includes("*")), { maxLength: 5 }),
    fc.array(fc.nat(), { maxLength: 8 })
  ], ([secret, noise, cuts]) => {
    const input = Buffer.from(noise.join(secret) + secret, "utf8")
    const out = chunked([secret], input, cuts).toString("utf8")
    assert.notInclude(out, secret.trim())
    assert.include(out, "***")
  }, { fastCheck: { numRuns: 300 } })
})

describe("Scrub.redactor (build output and errors)", () => {
  it("replaces each value, and each trimmed, longest first", () => {
    assert.strictEqual(Scrub.redactor(["abc", "  s3cret\n"])("x abc y s3cret z  s3cret\n"), "x *** y *** z***")
    assert.strictEqual(Scrub.redactor(["ab", "abcd"])("abcd ab"), "*** ***")
    assert.strictEqual(Scrub.redactor([""])("text"), "text")
  })
})
