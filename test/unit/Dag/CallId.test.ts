import { assert, describe, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as CallId from "../../../src/Dag/CallId.js"
import * as Op from "../../../src/Dag/Op.js"

const ident = fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,6}$/)
const typeName = fc.constantFrom("Container", "Directory", "File", "Query", "Secret")
const hex = fc.stringMatching(/^[0-9a-f]{8}$/).map((h) => `sha256:${h}`)

const literal = (depth: number): fc.Arbitrary<CallId.Literal> => {
  const leaves: Array<fc.Arbitrary<CallId.Literal>> = [
    fc.constant(CallId.Lit.null),
    fc.boolean().map(CallId.Lit.bool),
    fc.integer().map(CallId.Lit.int),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(CallId.Lit.float),
    fc.string({ maxLength: 8 }).map(CallId.Lit.string),
    fc.constantFrom("SUCCESS", "ANY", "TCP").map(CallId.Lit.enum)
  ]
  if (depth <= 0) return fc.oneof(...leaves)
  return fc.oneof(
    ...leaves,
    fc.array(literal(depth - 1), { maxLength: 3 }).map(CallId.Lit.list),
    fc.uniqueArray(fc.record({ name: ident, value: literal(depth - 1) }), { selector: (a) => a.name, maxLength: 3 })
      .map(CallId.Lit.object),
    callId(depth - 1).map(CallId.Lit.id)
  )
}

const callId = (depth: number): fc.Arbitrary<CallId.CallId> =>
  fc.record({
    receiver: depth <= 0 ? fc.constant(undefined) : fc.option(callId(depth - 1), { nil: undefined }),
    field: ident,
    type: typeName,
    args: fc.uniqueArray(fc.record({ name: ident, value: literal(depth) }), { selector: (a) => a.name, maxLength: 3 }),
    nth: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }),
    content: fc.option(hex, { nil: undefined, freq: 5 }),
    module: fc.option(ident, { nil: undefined, freq: 5 })
  }).map(CallId.make)

const anyId = callId(2)
const noContent = anyId.map((id) => CallId.make({ ...id, content: undefined }))

/** A literal that is canonically different from `lit`. */
const different = (lit: CallId.Literal): CallId.Literal =>
  lit._tag === "String" ? CallId.Lit.string(lit.value + "!") : CallId.Lit.string(`not ${lit._tag}`)

describe("CallId", () => {
  it.prop("decode(encode(id)) has the same digest and structure", [anyId], ([id]) => {
    const encoded = CallId.encode(id)
    const decoded = CallId.decode(encoded)
    assert.strictEqual(decoded.digest, id.digest)
    assert.strictEqual(CallId.encode(decoded), encoded)
    assert.strictEqual(decoded.toString(), id.toString())
  })

  it.prop("the digest is stable under re-encoding and rebuilding", [anyId], ([id]) => {
    const twice = CallId.decode(CallId.encode(CallId.decode(CallId.encode(id))))
    assert.strictEqual(twice.digest, id.digest)
    assert.strictEqual(CallId.make({ ...id, args: [...id.args].reverse() }).digest, id.digest)
    assert.match(id.digest, /^sha256:[0-9a-f]{64}$/)
  })

  const withArgs = noContent.filter((id) => id.args.length > 0)
  it.prop("the digest changes when an argument value changes", [withArgs], ([id]) => {
    const [first, ...rest] = id.args
    const changed = CallId.make({ ...id, args: [{ name: first!.name, value: different(first!.value) }, ...rest] })
    assert.notStrictEqual(changed.digest, id.digest)
  })

  it.prop("the digest changes when a nested ID changes", [noContent, callId(1), ident], ([id, nested, field]) => {
    const other = CallId.make({ ...nested, content: undefined, field: nested.field + field + "x" })
    const base = CallId.make({ ...nested, content: undefined })
    const withArg = (n: CallId.CallId) => CallId.make({ ...id, args: [{ name: "zzsource", value: CallId.Lit.id(n) }] })
    assert.notStrictEqual(withArg(other).digest, withArg(base).digest)
    const receiverChanged = CallId.make({ ...id, receiver: other })
    assert.notStrictEqual(receiverChanged.digest, CallId.make({ ...id, receiver: base }).digest)
  })

  it.prop("the digest changes when the field changes (no content digest)", [noContent], ([id]) => {
    assert.notStrictEqual(CallId.make({ ...id, field: id.field + "X" }).digest, id.digest)
  })

  it.prop("a content digest names the call by content alone", [anyId, hex, hex], ([id, c1, c2]) => {
    const a = CallId.withContent(id, c1)
    assert.strictEqual(CallId.make({ ...a, field: a.field + "X", args: [] }).digest, a.digest)
    if (c1 !== c2) assert.notStrictEqual(CallId.withContent(id, c2).digest, a.digest)
  })

  it("rejects foreign strings", () => {
    assert.throws(() => CallId.decode("nope"), /not an ID issued by this engine/)
    assert.throws(() => CallId.decode("dirk1.!!!"), /invalid ID/)
  })
})

const meta: Op.ExecMeta = {
  args: ["sh", "-c", "echo hi"],
  env: [["A", "1"]],
  workdir: "/",
  user: "",
  stdin: "",
  redirectStdout: "",
  redirectStderr: "",
  expect: "SUCCESS",
  tmpfs: []
}

const ref = fc.stringMatching(/^[a-z]{1,6}:[0-9]{1,2}$/)

describe("Op digests", () => {
  it.prop("change when inputs change", [ref, ref], ([r1, r2]) => {
    if (r1 === r2) return
    const [a, b] = [Op.image(r1), Op.image(r2)]
    assert.notStrictEqual(a.digest, b.digest)
    assert.notStrictEqual(Op.exec(a, [], meta).digest, Op.exec(b, [], meta).digest)
    const mount = (source: Op.Op): Op.ExecMount => ({
      target: "/src",
      source,
      sourcePath: "",
      kind: "dir",
      readOnly: false
    })
    const e1 = Op.exec(Op.scratchImage, [mount(Op.extract(a, "/x"))], meta)
    const e2 = Op.exec(Op.scratchImage, [mount(Op.extract(b, "/x"))], meta)
    assert.notStrictEqual(e1.digest, e2.digest)
    assert.notStrictEqual(Op.execOutput(e1, "/src").digest, Op.execOutput(e2, "/src").digest)
    const mk: Op.FileAction = { _tag: "Mkfile", path: "/f", contents: r1, mode: 0o644 }
    assert.notStrictEqual(Op.dirFile(Op.extract(a, "/"), [mk]).digest, Op.dirFile(Op.extract(b, "/"), [mk]).digest)
    assert.notStrictEqual(
      Op.dirFile(Op.emptyDir, [mk]).digest,
      Op.dirFile(Op.emptyDir, [{ ...mk, contents: r2 }]).digest
    )
    const copy = (src: Op.Op): Op.FileAction => ({
      _tag: "Copy",
      source: src,
      sourcePath: "",
      dest: "/",
      include: [],
      exclude: []
    })
    assert.notStrictEqual(
      Op.imageFile(a, [copy(Op.extract(a, "/"))]).digest,
      Op.imageFile(a, [copy(Op.extract(b, "/"))]).digest
    )
    assert.notStrictEqual(Op.subdir(Op.extract(a, "/"), r1).digest, Op.subdir(Op.extract(a, "/"), r2).digest)
  })

  it.prop("exec digests cover every meta field", [fc.string({ maxLength: 5 })], ([s]) => {
    const base = Op.exec(Op.scratchImage, [], meta).digest
    for (const changed of [
      { ...meta, args: [...meta.args, s] },
      { ...meta, env: [...meta.env, ["B", s] as const] },
      { ...meta, workdir: "/w" + s },
      { ...meta, stdin: "in" + s },
      { ...meta, expect: "ANY" as const },
      { ...meta, redirectStdout: "o" + s }
    ]) {
      assert.notStrictEqual(Op.exec(Op.scratchImage, [], changed).digest, base)
    }
  })

  it("local ops are named by content", () => {
    assert.strictEqual(Op.local("/a", "sha256:1", "/s/1").digest, Op.local("/b", "sha256:1", "/s/1").digest)
    assert.notStrictEqual(Op.local("/a", "sha256:1", "/s/1").digest, Op.local("/a", "sha256:2", "/s/2").digest)
  })
})
