import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Git from "../../../src/Dag/Git.js"

const num = fc.oneof(fc.constantFrom("0", "1", "2", "9", "10", "11"), fc.integer({ min: 0, max: 300 }).map(String))
const pre = fc.array(fc.oneof(num, fc.constantFrom("rc", "alpha", "beta", "x-1")), { minLength: 0, maxLength: 3 })
const version = fc.tuple(num, num, num, pre).map(([a, b, c, p]) => `v${a}.${b}.${c}${p.length ? "-" + p.join(".") : ""}`)

describe("semantic versions (Go's rules, for GitRepository.latestVersion)", () => {
  it("validates as Go's semver does", () => {
    for (const v of ["v1", "v1.2", "v1.2.3", "v1.2.3-rc.1", "v1.2.3+build.5", "v0.0.0-0.a-b"]) assert.isTrue(Git.isSemver(v), v)
    for (const v of ["1.2.3", "v01.2.3", "v1.02", "v1.2.3-", "v1.2.3-01", "v1.2-rc", "vnext", "v1.2.3+", "v1..2"]) {
      assert.isFalse(Git.isSemver(v), v)
    }
  })

  it("orders by number, prereleases before releases", () => {
    const sorted = ["v0.9.0", "v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-alpha.beta", "v1.0.0-beta.2", "v1.0.0-beta.11", "v1.0.0-rc.1", "v1.0.0", "v1.9.0", "v1.10.0", "v2"]
    for (let i = 0; i + 1 < sorted.length; i++) assert.strictEqual(Git.compareSemver(sorted[i]!, sorted[i + 1]!), -1)
    assert.strictEqual(Git.compareSemver("v1.2", "v1.2.0"), 0)
    assert.strictEqual(Git.compareSemver("v1.2.0+a", "v1.2.0+b"), 0)
  })

  it("picks the highest valid tag, ties to the greater string", () => {
    assert.strictEqual(Git.latestSemver(["v1.9.0", "v1.10.0", "v1.10.0-rc.1", "v01.20.0", "vnext"]), "v1.10.0")
    assert.strictEqual(Git.latestSemver(["v1.2", "v1.2.0"]), "v1.2.0")
    assert.strictEqual(Git.latestSemver(["next", "latest"]), undefined)
  })

  it.prop("compare is antisymmetric", [version, version], ([a, b]) =>
    Math.sign(Git.compareSemver(a, b)) === -Math.sign(Git.compareSemver(b, a)))
  it.prop("compare is transitive", [version, version, version], ([a, b, c]) =>
    !(Git.compareSemver(a, b) <= 0 && Git.compareSemver(b, c) <= 0) || Git.compareSemver(a, c) <= 0)
  it.prop("the latest is at least every valid tag", [fc.array(version, { minLength: 1, maxLength: 6 })], ([vs]) => {
    const latest = Git.latestSemver(vs)!
    return vs.every((v) => Git.compareSemver(latest, v) >= 0)
  })
})
