import { describe, expect, it } from "vitest"
import { Effect, Either } from "effect"
import * as Api from "../../../src/Core/Api.js"
import * as CallId from "../../../src/Dag/CallId.js"
import type * as CallContext from "../../../src/Modules/CallContext.js"
import type * as Model from "../../../src/Modules/Model.js"
import * as ToApi from "../../../src/Modules/ToApi.js"
import { client } from "./schema.js"

// ---- typedef constructors
const prim = (kind: Model.Kind, optional = false): Model.TypeDefData => ({ kind, optional })
const ref = (name: string): Model.TypeDefData => ({
  kind: "OBJECT_KIND",
  optional: false,
  asObject: { name, description: "", fields: [], functions: [], sourceModuleName: "" }
})
const fn = (name: string, returnType: Model.TypeDefData, args: ReadonlyArray<Partial<Model.FunctionArgData> & { name: string; typeDef: Model.TypeDefData }> = [], description = ""): Model.FunctionData => ({
  name,
  description,
  returnType,
  args: args.map((a) => ({ description: "", defaultPath: "", defaultAddress: "", ignore: [], ...a })),
  cachePolicy: "Default",
  check: false,
  generator: false,
  up: false,
  sourceModuleName: ""
})
const object = (name: string, description: string, functions: ReadonlyArray<Model.FunctionData>, fields: ReadonlyArray<Model.FieldTypeDefData> = [], ctor?: Model.FunctionData): Model.TypeDefData => ({
  kind: "OBJECT_KIND",
  optional: false,
  asObject: { name, description, fields, functions, ctor, sourceModuleName: "" }
})

const def: Model.ModuleDef = {
  description: "",
  objects: [
    object("Greeter", "Greets", [
      fn("hello", prim("STRING_KIND"), [
        { name: "name", typeDef: prim("STRING_KIND"), defaultValue: "\"world\"", description: "who" },
        { name: "shout", typeDef: prim("BOOLEAN_KIND"), defaultValue: "false" },
        { name: "times_n", typeDef: prim("INTEGER_KIND", true) }
      ], "say hello"),
      fn("count", prim("INTEGER_KIND"), [{ name: "dir", typeDef: ref("Directory") }]),
      fn("report", ref("Directory")),
      fn("message", ref("Message"), [{ name: "text", typeDef: prim("STRING_KIND") }]),
      fn("nothing", prim("VOID_KIND", true))
    ], [{ name: "greeting", description: "how", typeDef: prim("STRING_KIND") }], fn("", ref("Greeter"), [{ name: "greeting", typeDef: prim("STRING_KIND"), defaultValue: "\"Hello\"" }])),
    object("Message", "A message", [fn("upper", prim("STRING_KIND"))], [{ name: "text", description: "", typeDef: prim("STRING_KIND") }])
  ],
  interfaces: [],
  enums: []
}

// a fake core type: a Directory whose state is a list of names
const directorySpec: Api.ApiSpec = {
  objects: [
    {
      name: "Query",
      doc: "",
      fields: {
        directory: { kind: "chain", type: "Directory!", doc: "", run: () => Effect.succeed(Api.state({ files: [] as Array<string> })) }
      }
    },
    {
      name: "Directory",
      doc: "",
      fields: {
        withFile: {
          kind: "chain",
          type: "Directory!",
          doc: "",
          args: { name: { type: "String!", doc: "" } },
          run: (p: Api.Value<{ files: Array<string> }>, a: { name: string }) => Effect.succeed(Api.state({ files: [...p.state.files, a.name] }))
        },
        entries: { kind: "leaf", type: "[String!]!", doc: "", run: (p: Api.Value<{ files: Array<string> }>) => Effect.succeed(p.state.files) }
      }
    }
  ]
}

const setup = (answer: (r: CallContext.CallRequest) => unknown) => {
  const requests: Array<CallContext.CallRequest> = []
  const invoker: ToApi.Invoker = {
    call: (request) => Effect.sync(() => {
      requests.push(request)
      return JSON.stringify(answer(request))
    })
  }
  const spec = ToApi.toApiSpec("greeter", def, invoker, "sha256:test")
  if (Either.isLeft(spec)) throw spec.left
  const c = client([directorySpec, spec.right])
  return { c, requests }
}

describe("ToApi", () => {
  it("names types, fields and args, with descriptions, defaults and nullability", async () => {
    const { c } = setup(() => null)
    const r = await c.run(`{ __type(name: "Greeter") { description fields { name description args { name description defaultValue type { kind name ofType { name } } } type { kind name ofType { name } } } } }`)
    const t = r.data.__type
    expect(t.description).toBe("Greets")
    const names = t.fields.map((f: any) => f.name)
    expect(names).toEqual(expect.arrayContaining(["id", "greeting", "hello", "count", "report", "message", "nothing"]))
    const hello = t.fields.find((f: any) => f.name === "hello")
    expect(hello.description).toBe("say hello")
    expect(hello.type).toEqual({ kind: "NON_NULL", name: null, ofType: { name: "String" } })
    expect(hello.args).toEqual([
      { name: "name", description: "who", defaultValue: "\"world\"", type: { kind: "SCALAR", name: "String", ofType: null } },
      { name: "shout", description: "", defaultValue: "false", type: { kind: "SCALAR", name: "Boolean", ofType: null } },
      { name: "timesN", description: "", defaultValue: null, type: { kind: "SCALAR", name: "Int", ofType: null } }
    ])
    const count = t.fields.find((f: any) => f.name === "count")
    expect(count.args[0].type).toEqual({ kind: "NON_NULL", name: null, ofType: { name: "DirectoryID" } })
    const nothing = t.fields.find((f: any) => f.name === "nothing")
    expect(nothing.type).toEqual({ kind: "SCALAR", name: "Void", ofType: null })
    const msg = await c.run(`{ __type(name: "GreeterMessage") { description } }`)
    expect(msg.data.__type.description).toBe("A message")
    const root = await c.run(`{ __type(name: "Query") { fields { name args { name defaultValue } } } }`)
    const greeter = root.data.__type.fields.find((f: any) => f.name === "greeter")
    expect(greeter.args).toEqual([{ name: "greeting", defaultValue: "\"Hello\"" }])
  })

  it("calls the constructor, then functions with the parent's state and JSON args (original names)", async () => {
    const { c, requests } = setup((r) => (r.name === "" ? { greeting: "Yo", hidden: 1 } : "Yo, dirk!"))
    const r = await c.run(`{ greeter(greeting: "Yo") { hello(name: "dirk", times_n: 2) } }`.replace("times_n", "timesN"))
    expect(r.errors).toBeUndefined()
    expect(r.data.greeter.hello).toBe("Yo, dirk!")
    expect(requests).toEqual([
      { parentName: "Greeter", name: "", parent: "{}", inputArgs: [{ name: "greeting", value: "\"Yo\"" }] },
      {
        parentName: "Greeter",
        name: "hello",
        parent: "{\"greeting\":\"Yo\",\"hidden\":1}",
        inputArgs: [{ name: "name", value: "\"dirk\"" }, { name: "shout", value: "false" }, { name: "times_n", value: "2" }]
      }
    ])
  })

  it("reads fields from the state, passes core objects as IDs, loads returned core objects, chains module objects", async () => {
    let dirId = ""
    const { c, requests } = setup((r) => {
      switch (r.name) {
        case "":
          return { greeting: "Hi" }
        case "count":
          return 2
        case "report":
          return dirId
        case "message":
          return { text: "m" }
        case "upper":
          return "M"
        default:
          return null
      }
    })
    const field = await c.run(`{ greeter { greeting } }`)
    expect(field.data.greeter.greeting).toBe("Hi")
    const d = await c.run(`{ directory { withFile(name: "a") { withFile(name: "b") { id } } } }`)
    dirId = d.data.directory.withFile.withFile.id
    const count = await c.run(`{ greeter { count(dir: ${JSON.stringify(dirId)}) } }`)
    expect(count.data.greeter.count).toBe(2)
    const sent = requests.find((x) => x.name === "count")!.inputArgs[0]!
    expect(sent.name).toBe("dir")
    expect(CallId.decode(JSON.parse(sent.value)).digest).toBe(CallId.decode(dirId).digest)
    const report = await c.run(`{ greeter { report { entries id } } }`)
    expect(report.data.greeter.report.entries).toEqual(["a", "b"])
    expect(report.data.greeter.report.id).toBe(dirId)
    const msg = await c.run(`{ greeter { message(text: "x") { text upper } } }`)
    expect(msg.data.greeter.message).toEqual({ text: "m", upper: "M" })
    expect(requests.find((x) => x.name === "upper")).toMatchObject({ parentName: "Message", parent: "{\"text\":\"m\"}" })
  })

  it("names the root object by the module identity, so two modules with one name do not share IDs", async () => {
    const a = ToApi.rootContent("sha256:a", "Greeter", {})
    const b = ToApi.rootContent("sha256:b", "Greeter", {})
    expect(a).not.toBe(b)
  })

  it("refuses a module without a main object", () => {
    const r = ToApi.toApiSpec("other", def, { call: () => Effect.succeed("null") }, "x")
    expect(Either.isLeft(r) && r.left.message).toContain("no main object")
  })

  it("GraphQL-izes enum members, each standing for the member's own name; a clash is an error naming both", () => {
    const e = (names: ReadonlyArray<string>): Model.EnumTypeDefData => ({
      name: "Level",
      description: "",
      sourceModuleName: "",
      members: names.map((name) => ({ name, value: name.toLowerCase(), description: "" }))
    })
    const n = ToApi.names("greeter", { ...def, enums: [{ kind: "ENUM_KIND", optional: false, asEnum: e(["Low", "VERY_HIGH"]) }] })
    const ok = ToApi.enumSpec(n, e(["Low", "veryHigh"]))
    expect(Either.isRight(ok) && ok.right).toEqual({
      name: "GreeterLevel",
      doc: "",
      values: [{ name: "LOW", value: "Low", doc: "" }, { name: "VERY_HIGH", value: "veryHigh", doc: "" }]
    })
    const clash = ToApi.enumSpec(n, e(["veryHigh", "VERY_HIGH"]))
    expect(Either.isLeft(clash) && clash.left.message).toContain("members veryHigh and VERY_HIGH both become VERY_HIGH")
  })

  it("finds the objects that implement an interface: same functions, return types and arguments", () => {
    const iface: Model.TypeDefData = {
      kind: "INTERFACE_KIND",
      optional: false,
      asInterface: {
        name: "Named",
        description: "",
        sourceModuleName: "",
        functions: [fn("name", prim("STRING_KIND"), [{ name: "upper", typeDef: prim("BOOLEAN_KIND", true) }])]
      }
    }
    const withIface: Model.ModuleDef = {
      ...def,
      interfaces: [iface],
      objects: [
        ...def.objects,
        object("Dog", "", [fn("name", prim("STRING_KIND"), [
          { name: "upper", typeDef: prim("BOOLEAN_KIND", true) },
          { name: "extra", typeDef: prim("INTEGER_KIND", true) }
        ])]),
        object("Cat", "", [fn("name", prim("STRING_KIND"))]),
        object("Rock", "", [fn("name", prim("INTEGER_KIND"), [{ name: "upper", typeDef: prim("BOOLEAN_KIND", true) }])]),
        object("Bird", "", [fn("name", prim("STRING_KIND"), [
          { name: "upper", typeDef: prim("BOOLEAN_KIND", true) },
          { name: "required", typeDef: prim("INTEGER_KIND") }
        ])])
      ]
    }
    const n = ToApi.names("greeter", withIface)
    expect(n.implementers("GreeterNamed")).toEqual(["GreeterDog"])
    const spec = ToApi.toApiSpec("greeter", withIface, { call: () => Effect.succeed("null") }, "x")
    if (Either.isLeft(spec)) throw spec.left
    expect(spec.right.interfaces?.map((i) => i.name)).toEqual(["GreeterNamed"])
    const dog = spec.right.objects?.find((o) => o.name === "GreeterDog")
    expect(dog?.interfaces).toEqual(["GreeterNamed"])
    expect(Object.keys(dog?.fields ?? {})).toContain("asGreeterNamed")
    expect(spec.right.objects?.find((o) => o.name === "GreeterCat")?.interfaces).toEqual([])
  })
})
