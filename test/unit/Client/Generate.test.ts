/**
 * The client generator on a small schema: the rules of docs/effect.md (object fields → combinators, leaves →
 * Effects, required arguments positional and the rest in options, reserved words, starters, constructors, loaders).
 */
import { assert, describe, it } from "@effect/vitest"
import { buildSchema, introspectionFromSchema } from "graphql"
import * as Generate from "../../../src/Client/Generate.js"

const sdl = `
  scalar ContainerID
  scalar FileID
  enum Mode { FAST SLOW }
  type Query {
    container(platform: String): Container!
    loadContainerFromID(id: ContainerID!): Container!
    loadFileFromID(id: FileID!): File!
    version: String!
  }
  "A container."
  type Container {
    id: ContainerID!
    "Sets the image."
    from(address: String!): Container!
    withExec(args: [String!]!, mode: Mode = FAST): Container!
    import(source: FileID!): Container!
    stdout: String!
    files: [File!]!
    label(name: String!): String
  }
  type File { id: FileID!, name: String! }
`
const files = new Map(Generate.generate(introspectionFromSchema(buildSchema(sdl))).map((f) => [f.path, f.contents]))
const container = files.get("Container.ts")!

describe("Generate", () => {
  it("writes one file per object type, Dag, types and index", () => {
    assert.deepStrictEqual([...files.keys()].sort(), ["Container.ts", "Dag.ts", "File.ts", "index.ts", "types.ts"])
    assert.include(files.get("index.ts")!, `export * as Container from "./Container.js"`)
    assert.include(files.get("index.ts")!, `export * as Dag from "./Dag.js"`)
  })

  it("object fields are data-last combinators; required arguments positional, the others in options", () => {
    assert.include(container, "export const withExec = (args: ReadonlyArray<string>, options?: T.ContainerWithExecOptions) => (self: T.Container): T.Container =>")
    assert.include(container, `{ name: "mode", type: "Mode", value: options?.mode }`)
    assert.include(files.get("types.ts")!, `readonly mode?: T.Mode | undefined`)
    assert.include(files.get("types.ts")!, `export type Mode = "FAST" | "SLOW"`)
  })

  it("leaves are Effects; a field with no arguments is the step itself; lists of objects load by ID", () => {
    assert.include(container, "export const stdout = (self: T.Container): Effect.Effect<string, DirkError, DirkClient> =>")
    assert.include(container, "export const label = (name: string) => (self: T.Container): Effect.Effect<string | null, DirkError, DirkClient> =>")
    assert.include(container, `{ _tag: "Objects", type: "File", loader: "loadFileFromID" }`)
  })

  it("reserved words are exported under their name; object arguments take values or IDs", () => {
    assert.include(container, "const _import = (source: T.File | T.FileID) => (self: T.Container): T.Container =>")
    assert.include(container, "export { _import as import }")
  })

  it("constructors, loaders and the `from` starter", () => {
    assert.include(container, "export const make = (options?: T.ContainerOptions): T.Container =>")
    assert.include(container, "export const load = (id: T.ContainerID): T.Container =>")
    assert.include(container, "export const from = (address: string): T.Container & ((self: T.Container) => T.Container) =>")
    assert.include(container, " * Sets the image.")
    assert.include(files.get("Dag.ts")!, "export const version = (): Effect.Effect<string, DirkError, DirkClient> =>")
    assert.notInclude(files.get("Dag.ts")!, "loadContainerFromID = ")
  })
})
