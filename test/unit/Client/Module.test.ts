/**
 * Effect SDK modules: schemas → typedefs (their encoded side), and the registration errors that name the function
 * and the field when a schema has no GraphQL form.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as Module from "../../../src/Client/Module.js"

const one = (args: Schema.Struct.Fields, returns: Schema.Schema.Any = Schema.String) =>
  Module.toIR(Module.make("m", { functions: { f: Module.fn({ args, returns, run: () => Effect.die("not run") }) } }))

const failure = (ir: ReturnType<typeof one>): string => {
  assert.instanceOf(ir, Module.RegistrationError)
  return (ir as Module.RegistrationError).message
}

describe("Module.toIR", () => {
  it("maps scalars, optional fields, lists, API objects and named structs", () => {
    const Report = Schema.Struct({ ok: Schema.Boolean, notes: Schema.optional(Schema.Array(Schema.String)) }).annotations({ identifier: "Report" })
    const ir = one(
      {
        s: Schema.String,
        n: Schema.Number,
        i: Schema.Int,
        b: Schema.optional(Schema.Boolean),
        mode: Schema.Literal("fast", "slow"),
        maybe: Schema.NullOr(Schema.String),
        dirs: Schema.Array(Module.Directory),
        when: Schema.NumberFromString
      },
      Report
    )
    assert.notInstanceOf(ir, Module.RegistrationError)
    if (ir instanceof Module.RegistrationError) return
    const f = ir.functions[0]!
    assert.deepStrictEqual(Object.fromEntries(f.args.map((a) => [a.name, a.type])), {
      s: { _tag: "String", optional: false },
      n: { _tag: "Float", optional: false },
      i: { _tag: "Integer", optional: false },
      b: { _tag: "Boolean", optional: true },
      mode: { _tag: "String", optional: false },
      maybe: { _tag: "String", optional: true },
      dirs: { _tag: "List", of: { _tag: "Object", name: "Directory", core: true, optional: false }, optional: false },
      when: { _tag: "String", optional: false } // the wire format is the encoded side
    })
    assert.deepStrictEqual(f.returns, { _tag: "Object", name: "Report", core: false, optional: false })
    assert.deepStrictEqual(ir.objects, [{
      name: "Report",
      description: undefined,
      fields: [
        { name: "ok", type: { _tag: "Boolean", optional: false }, description: undefined },
        { name: "notes", type: { _tag: "List", of: { _tag: "String", optional: false }, optional: true }, description: undefined }
      ]
    }])
  })

  it("a tagged union becomes one named object type with `_tag` and its members' fields", () => {
    const Result = Schema.Union(
      Schema.TaggedStruct("Passed", { seconds: Schema.Number }),
      Schema.TaggedStruct("Failed", { reason: Schema.String })
    ).annotations({ identifier: "Result" })
    const ir = one({}, Result)
    if (ir instanceof Module.RegistrationError) return assert.fail(ir.message)
    assert.deepStrictEqual(ir.objects[0]!.fields.map((f) => [f.name, f.type._tag, f.type.optional]), [
      ["_tag", "String", false],
      ["seconds", "Float", true],
      ["reason", "String", true]
    ])
  })

  it("a union without tags is an error naming the function and the argument", () => {
    assert.strictEqual(
      failure(one({ choice: Schema.Union(Schema.Struct({ a: Schema.String }), Schema.Struct({ b: Schema.Number })) })),
      "module m: function f, argument choice: a union without tags has no GraphQL form (give each member a `_tag` literal, e.g. Schema.TaggedStruct)"
    )
  })

  it("a function type is an error naming the function and the field, however deep", () => {
    const Fn = Schema.declare((u: unknown): u is () => void => typeof u === "function")
    assert.strictEqual(
      failure(one({}, Schema.Struct({ run: Fn }).annotations({ identifier: "Task" }))),
      "module m: function f, result, field run: a type declared with Schema.declare (a function, a class instance…) has no GraphQL form"
    )
    assert.match(failure(one({ cb: Fn })), /^module m: function f, argument cb: a type declared with Schema\.declare/)
  })

  it("unnamed structs, records, tuples and unknowns are errors that say what to do", () => {
    assert.match(failure(one({ o: Schema.Struct({ a: Schema.String }) })), /argument o: a struct needs a name .*identifier/)
    assert.match(failure(one({ r: Schema.Record({ key: Schema.String, value: Schema.String }) })), /argument r: a record/)
    assert.match(failure(one({ t: Schema.Tuple(Schema.String, Schema.Number) })), /argument t: a tuple .*Schema\.Array/)
    assert.match(failure(one({ u: Schema.Unknown })), /argument u: a value of type unknown has no GraphQL form/)
  })
})
