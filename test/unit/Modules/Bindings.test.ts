/**
 * The generated bindings of module dependencies, run against a recording stand-in of the SDK's query context: each
 * call must build the query the served schema expects (root field, arguments, enum metadata, list loading).
 */
import { describe, expect, it } from "vitest"
import { Effect } from "effect"
import type * as Api from "../../../src/Core/Api.js"
import * as Bindings from "../../../src/Modules/Bindings.js"

const run = () => Effect.succeed(null)
const leaf = (type: string, args?: Record<string, Api.ArgSpec>): Api.FieldSpec => ({ kind: "leaf", type, doc: "", run, ...(args ? { args } : {}) })
const chain = (type: string, args?: Record<string, Api.ArgSpec>): Api.FieldSpec => ({ kind: "chain", type, doc: "", run: () => Effect.succeed([]), ...(args ? { args } : {}) })

const lib: Api.ApiSpec = {
  objects: [
    { name: "Query", doc: "", fields: { lib: chain("Lib!", { flag: { type: "Boolean", doc: "", default: false } }) } },
    {
      name: "Lib",
      doc: "",
      fields: {
        shout: leaf("String!", { text: { type: "String!", doc: "" }, suffix: { type: "String", doc: "", default: "!" } }),
        formatter: chain("LibFormatter!", { prefix: { type: "String!", doc: "" } }),
        all: chain("[LibFormatter!]!"),
        box: chain("Container!"),
        mod: chain("Module!"),
        grade: leaf("String!", { level: { type: "LibLevel!", doc: "" } })
      }
    },
    { name: "LibFormatter", doc: "", fields: { prefix: leaf("String!"), format: leaf("String!", { text: { type: "String!", doc: "" } }) } }
  ],
  enums: [{ name: "LibLevel", doc: "", values: [{ name: "HIGH" }, { name: "LOW" }] }]
}
const base: Api.ApiSpec = {
  objects: [{ name: "BaseThing", doc: "", fields: { name: leaf("String!") } }]
}

type Step = { operation: string; args?: Record<string, unknown>; node?: [string, string] }

/** Evaluates the generated code with stand-ins for what the SDK's client.gen.js defines around it. */
const load = (code: string) => {
  class Ctx {
    constructor(readonly tree: ReadonlyArray<Step> = [], readonly results: Array<unknown> = []) {}
    select(operation: string, args?: Record<string, unknown>) {
      return new Ctx([...this.tree, { operation, ...(args ? { args } : {}) }], this.results)
    }
    selectNode(id: string, type: string) {
      return new Ctx([...this.tree, { operation: "node", node: [id, type] }], this.results)
    }
    copy() {
      return new Ctx([], this.results)
    }
    execute() {
      return Promise.resolve(this.results.shift())
    }
  }
  class BaseClient {
    constructor(public _ctx: Ctx = new Ctx()) {}
  }
  class Client extends BaseClient {}
  class Container extends BaseClient {}
  class Module_ extends BaseClient {}
  const body = code.replace(/^export /gm, "")
  const names = [...code.matchAll(/^export (?:class|const) ([A-Za-z0-9_]+)/gm)].map((m) => m[1]!)
  // eslint-disable-next-line no-new-func
  const exported = new Function("BaseClient", "Client", "Container", "Module_", `${body}\nreturn { ${names.join(", ")} }`)(
    BaseClient,
    Client,
    Container,
    Module_
  )
  return { Ctx, Client, Container, Module_, exported }
}

describe("Bindings.runtimeSource", () => {
  const code = Bindings.runtimeSource([
    { rootField: "lib", spec: lib },
    { rootField: undefined, spec: base }
  ])
  const env = load(code)
  const client = (results: Array<unknown> = []) => new env.Client(new env.Ctx([], results)) as any

  it("adds the direct dependency's constructor to Client, with optional arguments in opts", () => {
    const l = client().lib()
    expect(l.constructor.name).toBe("Lib")
    expect(l._ctx.tree).toEqual([{ operation: "lib", args: {} }])
    expect(client().lib({ flag: true })._ctx.tree).toEqual([{ operation: "lib", args: { flag: true } }])
    // a transitive dependency has types only
    expect((env.Client.prototype as any).baseThing).toBeUndefined()
    expect(env.exported.BaseThing).toBeDefined()
  })

  it("builds chained queries: positional required arguments, then opts", async () => {
    const c = client(["HI!"])
    expect(await c.lib().shout("hi")).toBe("HI!")
    const f = client().lib().formatter("P")
    expect(f).toBeInstanceOf(env.exported.LibFormatter)
    expect(f.format("y")).toBeInstanceOf(Promise)
    const tree = client().lib().formatter("P")._ctx.select("format", { text: "y" }).tree
    expect(tree).toEqual([{ operation: "lib", args: {} }, { operation: "formatter", args: { prefix: "P" } }, { operation: "format", args: { text: "y" } }])
    const shout = client().lib()
    const withOpts = shout._ctx.select("shout", { text: "a", suffix: "?" })
    expect(withOpts.tree.at(-1)).toEqual({ operation: "shout", args: { text: "a", suffix: "?" } })
  })

  it("returns core classes for core types (Module as Module_) and loads lists by ID", async () => {
    expect(client().lib().box()).toBeInstanceOf(env.Container)
    expect(client().lib().mod()).toBeInstanceOf(env.Module_)
    const list = await client([[{ id: "a" }, { id: "b" }]]).lib().all()
    expect(list.map((x: any) => x._ctx.tree)).toEqual([[{ operation: "node", node: ["a", "LibFormatter"] }], [{ operation: "node", node: ["b", "LibFormatter"] }]])
    expect(list[0]).toBeInstanceOf(env.exported.LibFormatter)
  })

  it("marks enum arguments for the SDK's query builder and exports the enum", async () => {
    expect(env.exported.LibLevel).toEqual({ HIGH: "HIGH", LOW: "LOW" })
    const c = client(["ok"])
    const spy: Array<unknown> = []
    const l = c.lib()
    const select = l._ctx.select.bind(l._ctx)
    l._ctx.select = (op: string, args: Record<string, any>) => {
      spy.push(args)
      return select(op, args)
    }
    await l.grade("HIGH")
    const args = spy[0] as Record<string, any>
    expect(args.level).toBe("HIGH")
    expect(args.__metadata.level.is_enum).toBe(true)
    expect(args.__metadata.level.value_to_name("HIGH")).toBe("HIGH")
  })
})

describe("Bindings.scanSource and declarations", () => {
  const bindings = [{ rootField: "lib", spec: lib }]
  it("declares every dependency class and enum for the SDK's scan", () => {
    const scan = Bindings.scanSource(bindings)
    expect(scan).toContain("export class Lib {}")
    expect(scan).toContain("export class LibFormatter {}")
    expect(scan).toContain("export enum LibLevel { HIGH = \"HIGH\", LOW = \"LOW\" }")
  })

  it("types the constructor and methods for editors", () => {
    const d = Bindings.declarations(bindings)
    expect(d).toContain("declare module \"@dagger.io/dagger\"")
    expect(d).toContain("lib(opts?: { flag?: boolean }): Lib")
    expect(d).toContain("shout(text: string, opts?: { suffix?: string }): Promise<string>")
    expect(d).toContain("formatter(prefix: string): LibFormatter")
    expect(d).toContain("all(): Promise<LibFormatter[]>")
    expect(d).toContain("mod(): Module_")
  })
})
