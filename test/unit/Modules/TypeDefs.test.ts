import { describe, expect, it } from "vitest"
import { Effect, Option, Ref } from "effect"
import * as CallContext from "../../../src/Modules/CallContext.js"
import type * as Model from "../../../src/Modules/Model.js"
import * as TypeDefs from "../../../src/Modules/TypeDefs.js"
import { client } from "./schema.js"

const registration = () =>
  Effect.runSync(CallContext.make("greeter", { parentName: "", name: "", parent: "{}", inputArgs: [] }, "call-1"))

describe("module API", () => {
  it("replays an SDK registration transcript and records the module's typedefs", async () => {
    const call = registration()
    const c = client([TypeDefs.spec], call)
    // the requests, in the shapes the SDK sends (reference: module-protocol.md §4.2)
    expect(await c.leaf(`{ currentModule  { name  } }`)).toBe("greeter")
    expect(await c.leaf(`{ currentFunctionCall  { parentName  } }`)).toBe("")
    const sm = await c.leaf(`{ sourceMap (filename: "src/index.ts",line: 30,column: 14) { id  } }`)
    const str = await c.leaf(`{ typeDef  { withKind (kind: STRING) { id  } } }`)
    const bool = await c.leaf(`{ typeDef  { withKind (kind: BOOLEAN) { id  } } }`)
    const dir = await c.leaf(`{ typeDef  { withObject (name: "Directory") { id  } } }`)
    const list = await c.leaf(`{ typeDef  { withListOf (elementType: "${str}") { withOptional (optional: true) { id  } } } }`)
    const hello = await c.leaf(`{ function (name: "hello",returnType: "${str}") { withDescription (description: "say hello") { withSourceMap (sourceMap: "${sm}") { withArg (name: "name",typeDef: "${str}",description: "",sourceMap: "${sm}",defaultValue: "\\"world\\"") { withArg (name: "shout",typeDef: "${bool}",description: "",defaultValue: "false") { withArg (name: "tags",typeDef: "${list}",description: "") { withCachePolicy (policy: Default) { id  } } } } } } } }`)
    const report = await c.leaf(`{ function (name: "report",returnType: "${dir}") { withArg (name: "src",typeDef: "${dir}",description: "the source") { withCachePolicy (policy: Never) { id  } } } }`)
    const obj = await c.leaf(`{ typeDef  { withObject (name: "Greeter",description: "The main object",sourceMap: "${sm}") { withFunction (function: "${hello}") { withFunction (function: "${report}") { withField (name: "greeting",typeDef: "${str}",description: "",sourceMap: "${sm}") { id  } } } } } }`)
    const ctor = await c.leaf(`{ function (name: "",returnType: "${obj}") { withArg (name: "greeting",typeDef: "${str}",description: "",defaultValue: "\\"Hello\\"") { id  } } }`)
    const full = await c.leaf(`{ typeDef  { withObject (name: "Greeter",description: "The main object",sourceMap: "${sm}") { withFunction (function: "${hello}") { withFunction (function: "${report}") { withField (name: "greeting",typeDef: "${str}",description: "",sourceMap: "${sm}") { withConstructor (function: "${ctor}") { id  } } } } } } }`)
    const tone = await c.leaf(`{ typeDef  { withEnum (name: "Tone",description: "Tone of a message") { withEnumMember (name: "Polite",value: "polite",description: "polite tone") { withEnumMember (name: "Loud",value: "loud",description: "") { id  } } } } }`)
    const mod = await c.leaf(`{ module  { withDescription (description: "Greeter module.") { withObject (object: "${full}") { withEnum (enum: "${tone}") { id  } } } } }`)
    // typedef getters work through node(id:) too (the SDK reads lists that way)
    expect(await c.leaf(`{ node(id: "${hello}") { ... on Function { description } } }`)).toBe("say hello")
    const args = (await c.run(`{ loadFunctionFromID(id: "${hello}") { args { name defaultValue typeDef { kind optional } } } }`)).data
    expect(args.loadFunctionFromID.args).toEqual([
      { name: "name", defaultValue: "\"world\"", typeDef: { kind: "STRING_KIND", optional: false } },
      { name: "shout", defaultValue: "false", typeDef: { kind: "BOOLEAN_KIND", optional: false } },
      { name: "tags", defaultValue: "null", typeDef: { kind: "LIST_KIND", optional: true } }
    ])

    expect(await c.leaf(`{ currentFunctionCall  { returnValue (value: ${JSON.stringify(JSON.stringify(mod))}) } }`)).toBe(null)
    const outcome = Effect.runSync(Ref.get(call.outcome))
    expect(Option.isSome(outcome)).toBe(true)
    const o = Option.getOrThrow(outcome)
    if (o._tag !== "Returned") throw new Error("expected Returned")
    const def = o.module as Model.ModuleDef
    expect(def.description).toBe("Greeter module.")
    expect(def.objects).toHaveLength(1)
    const greeter = def.objects[0]!.asObject!
    expect(greeter.name).toBe("Greeter")
    expect(greeter.functions.map((f) => f.name)).toEqual(["hello", "report"])
    expect(greeter.functions[1]!.cachePolicy).toBe("Never")
    expect(greeter.fields.map((f) => f.name)).toEqual(["greeting"])
    expect(greeter.ctor?.args[0]).toMatchObject({ name: "greeting", defaultValue: "\"Hello\"" })
    // the constructor's return type is the object without the constructor (builders are immutable)
    expect(greeter.ctor?.returnType.asObject?.ctor).toBeUndefined()
    expect(greeter.sourceMap).toEqual({ filename: "src/index.ts", line: 30, column: 14, module: "", url: "" })
    expect(def.enums[0]!.asEnum!.members.map((m) => [m.name, m.value])).toEqual([["Polite", "polite"], ["Loud", "loud"]])

    // a second return is refused
    const again = await c.run(`{ currentFunctionCall { returnValue(value: ${JSON.stringify(JSON.stringify(mod))}) } }`)
    expect(again.errors?.[0]?.message).toContain("already returned")
  })

  it("gives invocations their name, parent and input args through node(id:)", async () => {
    const call = Effect.runSync(CallContext.make("greeter", {
      parentName: "Greeter",
      name: "hello",
      parent: "{\"greeting\":\"Hello\"}",
      inputArgs: [{ name: "name", value: "\"dirk\"" }, { name: "shout", value: "true" }]
    }, "call-2"))
    const c = client([TypeDefs.spec], call)
    expect(await c.leaf(`{ currentFunctionCall  { name  } }`)).toBe("hello")
    expect(await c.leaf(`{ currentFunctionCall  { parent  } }`)).toBe("{\"greeting\":\"Hello\"}")
    const ids = (await c.leaf(`{ currentFunctionCall  { inputArgs  { id  } } }`)) as Array<{ id: string }>
    expect(ids).toHaveLength(2)
    expect(await c.leaf(`{ node (id: "${ids[1]!.id}") { ... on FunctionCallArgValue { name  } } }`)).toBe("shout")
    expect(await c.leaf(`{ node (id: "${ids[0]!.id}") { ... on FunctionCallArgValue { value  } } }`)).toBe("\"dirk\"")
    // an error with values, as the SDK reports an ExecError
    const err = await c.leaf(`{ error (message: "boom") { withValue (name: "_type",value: "\\"EXEC_ERROR\\"") { withValue (name: "exitCode",value: "2") { id  } } } }`)
    await c.leaf(`{ currentFunctionCall  { returnError (error: "${err}") } }`)
    const o = Option.getOrThrow(Effect.runSync(Ref.get(call.outcome)))
    expect(o).toEqual({ _tag: "Failed", error: { message: "boom", values: [{ name: "_type", value: "\"EXEC_ERROR\"" }, { name: "exitCode", value: "2" }] } })
  })

  it("keeps two calls' contexts apart (their objects are named per call)", async () => {
    const a = Effect.runSync(CallContext.make("m", { parentName: "M", name: "a", parent: "{}", inputArgs: [{ name: "x", value: "1" }] }, "call-a"))
    const b = Effect.runSync(CallContext.make("m", { parentName: "M", name: "b", parent: "{}", inputArgs: [{ name: "x", value: "2" }] }, "call-b"))
    const ca = client([TypeDefs.spec], a)
    const cb = client([TypeDefs.spec], b)
    const ida = ((await ca.leaf(`{ currentFunctionCall { inputArgs { id } } }`)) as Array<{ id: string }>)[0]!.id
    const idb = ((await cb.leaf(`{ currentFunctionCall { inputArgs { id } } }`)) as Array<{ id: string }>)[0]!.id
    expect(ida).not.toBe(idb)
    expect(await cb.leaf(`{ node(id: "${idb}") { ... on FunctionCallArgValue { value } } }`)).toBe("2")
  })

  it("fails clearly outside a function call", async () => {
    const c = client([TypeDefs.spec])
    const r = await c.run(`{ currentFunctionCall { name } }`)
    expect(r.errors?.[0]?.message).toContain("only available to a module's runtime")
    const m = await c.run(`{ currentModule { name } }`)
    expect(m.errors?.[0]?.message).toContain("only available to a module's runtime")
  })

  it("accepts both TypeDefKind spellings and rejects invalid JSON", async () => {
    const c = client([TypeDefs.spec])
    expect(await c.leaf(`{ typeDef { withKind(kind: INTEGER_KIND) { kind } } }`)).toBe("INTEGER_KIND")
    expect(await c.leaf(`{ typeDef { withKind(kind: VOID) { withOptional(optional: true) { optional } } } }`)).toBe(true)
    const str = await c.leaf(`{ typeDef { withKind(kind: STRING) { id } } }`)
    const r = await c.run(`{ function(name: "f", returnType: "${str}") { withArg(name: "a", typeDef: "${str}", defaultValue: "not json") { id } } }`)
    expect(r.errors?.[0]?.message).toContain("invalid JSON")
  })
})
