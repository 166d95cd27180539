import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import * as CachePolicy from "../../../src/Modules/CachePolicy.js"
import type * as Model from "../../../src/Modules/Model.js"

const unit = fc.constantFrom(["ms", 1], ["s", 1000], ["m", 60_000], ["h", 3_600_000]) as fc.Arbitrary<[string, number]>
const part = fc.tuple(fc.nat({ max: 1000 }), unit)
const fn = (cachePolicy: Model.CachePolicy, timeToLive?: string) => ({ cachePolicy, timeToLive }) as Model.FunctionData

describe("CachePolicy", () => {
  it("parses Go durations", () => {
    assert.deepStrictEqual(CachePolicy.parseDuration("10m"), Either.right(600_000))
    assert.deepStrictEqual(CachePolicy.parseDuration("1h30m"), Either.right(5_400_000))
    assert.deepStrictEqual(CachePolicy.parseDuration("1.5s"), Either.right(1500))
    assert.deepStrictEqual(CachePolicy.parseDuration("0"), Either.right(0))
    assert.isTrue(Either.isLeft(CachePolicy.parseDuration("10")))
    assert.isTrue(Either.isLeft(CachePolicy.parseDuration("5 minutes")))
    assert.isTrue(Either.isLeft(CachePolicy.checkTimeToLive("169h")))
    assert.isTrue(Either.isRight(CachePolicy.checkTimeToLive("168h")))
    assert.isTrue(Either.isLeft(CachePolicy.checkTimeToLive("0s")))
  })

  it.prop("a duration is the sum of its parts", [fc.array(part, { minLength: 1, maxLength: 4 })], ([parts]) => {
    const text = parts.map(([n, [u]]) => `${n}${u}`).join("")
    const total = parts.reduce((acc, [n, [, ms]]) => acc + n * ms, 0)
    assert.deepStrictEqual(CachePolicy.parseDuration(text), Either.right(total))
  })

  it("the effective policy", () => {
    assert.deepStrictEqual(CachePolicy.effective(fn("Default"), false), { _tag: "Default", timeToLive: undefined })
    assert.deepStrictEqual(CachePolicy.effective(fn("Default", "5s"), false), { _tag: "Default", timeToLive: 5000 })
    assert.deepStrictEqual(CachePolicy.effective(fn("Default", "5s"), true), { _tag: "PerSession" })
    assert.deepStrictEqual(CachePolicy.effective(fn("Never"), false), { _tag: "Never" })
    assert.isTrue(CachePolicy.isStable(CachePolicy.effective(fn("Default"), false)))
    assert.isFalse(CachePolicy.isStable(CachePolicy.effective(fn("Default", "1m"), false)))
    assert.isFalse(CachePolicy.isStable(CachePolicy.effective(fn("PerSession"), false)))
  })

  it("plain results hold no object", () => {
    assert.isTrue(CachePolicy.isPlain({ kind: "LIST_KIND", optional: false, asList: { elementTypeDef: { kind: "ENUM_KIND", optional: false } } }))
    assert.isFalse(CachePolicy.isPlain({ kind: "LIST_KIND", optional: false, asList: { elementTypeDef: { kind: "OBJECT_KIND", optional: false } } }))
    assert.isFalse(CachePolicy.isPlain({ kind: "INTERFACE_KIND", optional: false }))
    assert.isTrue(CachePolicy.isPlain({ kind: "VOID_KIND", optional: true }))
  })
})
