import { assert, describe, it } from "@effect/vitest"
import * as Explain from "../../../src/Dag/Explain.js"
import * as Op from "../../../src/Dag/Op.js"

const meta = (over: Partial<Op.ExecMeta> = {}): Op.ExecMeta => ({
  args: ["make"],
  env: [["A", "1"]],
  workdir: "/w",
  user: "",
  stdin: "",
  redirectStdout: "",
  redirectStderr: "",
  expect: "SUCCESS",
  tmpfs: [],
  ...over
})
const exec = (rootfs: string, mount: string, m: Op.ExecMeta) =>
  Op.exec(Op.image(rootfs), [{ target: "/src", source: Op.local("/h", mount, "/s"), sourcePath: "", kind: "dir", readOnly: true }], m) as Extract<Op.Op, { _tag: "Exec" }>
const rec = (rootfs: string, mount: string, m: Op.ExecMeta = meta()) => Explain.recordOf(exec(rootfs, mount, m))

describe("Explain", () => {
  it("names what changed since the last run at the same site", () => {
    const base = rec("img1", "sha256:aaa")
    assert.strictEqual(Explain.explain(undefined, base), "first run of this step")
    assert.match(Explain.explain(base, rec("img1", "sha256:bbb")), /^mount \/src changed \(/)
    assert.match(Explain.explain(base, rec("img2", "sha256:aaa")), /^its container changed/)
    assert.strictEqual(Explain.explain(base, rec("img1", "sha256:aaa", meta({ args: ["make", "test"] }))), `args changed (["make"] → ["make","test"])`)
    assert.strictEqual(Explain.explain(base, rec("img1", "sha256:aaa", meta({ env: [["A", "2"], ["B", "x"]] }))), "env A, B changed")
    assert.match(Explain.explain(base, rec("img1", "sha256:aaa")), /^same inputs as its last run/)
    assert.strictEqual(Explain.explain(base, rec("img1", "sha256:aaa", meta({ nonce: "n" }))), "noCache: it always runs")
  })

  it("never shows an env value or stdin", () => {
    const secret = "hunter2-very-secret"
    const a = rec("img", "sha256:a", meta({ env: [["TOKEN", secret]], stdin: secret }))
    const b = rec("img", "sha256:a", meta({ env: [["TOKEN", "other"]], stdin: "x" }))
    assert.notInclude(JSON.stringify(a), secret)
    assert.notInclude(Explain.explain(a, b), secret)
    assert.include(Explain.explain(a, b), "env TOKEN changed")
  })
})
