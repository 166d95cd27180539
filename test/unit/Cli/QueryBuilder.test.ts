import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import {
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLString,
  Kind,
  type OperationDefinitionNode,
  parse,
  valueFromASTUntyped
} from "graphql"
import * as QueryBuilder from "../../../src/Cli/QueryBuilder.js"
import * as TypeInfo from "../../../src/Cli/TypeInfo.js"
import { clientSchema } from "./fixture.js"

const argOf = (query: string, depth: number, name: string): unknown => {
  const doc = parse(query)
  let selection = (doc.definitions[0] as OperationDefinitionNode).selectionSet.selections[0]!
  for (let i = 0; i < depth; i++) {
    if (selection.kind !== Kind.FIELD || selection.selectionSet === undefined) throw new Error("no such depth")
    selection = selection.selectionSet.selections[0]!
  }
  if (selection.kind !== Kind.FIELD) throw new Error("not a field")
  const arg = selection.arguments?.find((a) => a.name.value === name)
  return arg === undefined ? undefined : valueFromASTUntyped(arg.value)
}

describe("QueryBuilder", () => {
  it("builds a chain with inlined args and a leaf", () => {
    const query = Either.getOrThrow(QueryBuilder.buildQuery([
      { field: "ci", args: [] },
      { field: "build", args: [{ name: "source", value: "id-1", type: new GraphQLNonNull(GraphQLString) }] },
      { field: "entries", args: [] }
    ], { _tag: "Value" }))
    assert.strictEqual(query, "query { ci { build(source: \"id-1\") { entries } } }")
    assert.doesNotThrow(() => parse(query))
  })

  it("selects sync / id / export for objects", () => {
    const dir = TypeInfo.returnSpec(clientSchema.getType("Directory") as never)
    assert.deepStrictEqual(QueryBuilder.leafFor(clientSchema, dir, undefined), { _tag: "Object", field: "sync" })
    assert.deepStrictEqual(QueryBuilder.leafFor(clientSchema, dir, "/tmp/out"), { _tag: "Export", path: "/tmp/out" })
    assert.deepStrictEqual(QueryBuilder.leafFor(clientSchema, { _tag: "Object", name: "Ci" }, undefined), {
      _tag: "Object",
      field: "id"
    })
    assert.deepStrictEqual(QueryBuilder.leafFor(clientSchema, { _tag: "Scalar", name: "String" }, "/x"), {
      _tag: "Value"
    })
    const query = Either.getOrThrow(
      QueryBuilder.buildQuery([{ field: "ci", args: [] }, { field: "noop", args: [] }], { _tag: "Value" })
    )
    assert.strictEqual(query, "query { ci { noop } }")
    const exported = Either.getOrThrow(
      QueryBuilder.buildQuery([{ field: "ci", args: [] }], { _tag: "Export", path: "/tmp/a \"b\"" })
    )
    assert.strictEqual(argOf(exported, 1, "path"), "/tmp/a \"b\"")
  })

  it("encodes lists and ints", () => {
    const query = Either.getOrThrow(QueryBuilder.buildQuery([{
      field: "f",
      args: [
        { name: "xs", value: ["a", "b"], type: new GraphQLList(GraphQLString) },
        { name: "n", value: 3, type: GraphQLInt }
      ]
    }], { _tag: "Value" }))
    assert.deepStrictEqual(argOf(query, 0, "xs"), ["a", "b"])
    assert.strictEqual(argOf(query, 0, "n"), 3)
    assert.isTrue(Either.isLeft(QueryBuilder.literal(1.5, GraphQLInt)))
  })

  it.prop("any string argument survives graphql.parse", [fc.string({ unit: "binary" })], ([s]) => {
    const query = Either.getOrThrow(QueryBuilder.buildQuery([
      { field: "ci", args: [] },
      { field: "greet", args: [{ name: "a", value: s, type: new GraphQLNonNull(GraphQLString) }] }
    ], { _tag: "Value" }))
    assert.strictEqual(argOf(query, 1, "a"), s)
    assert.strictEqual(argOf(`query { x(p: ${QueryBuilder.stringLiteral(s)}) }`, 0, "p"), s)
  })

  it("plucks the leaf value along the chain", () => {
    const calls = [{ field: "ci", args: [] }, { field: "dirs", args: [] }]
    const data = { ci: { dirs: [{ sync: "a" }, { sync: "b" }] } }
    assert.deepStrictEqual(QueryBuilder.pluck(data, calls, { _tag: "Object", field: "sync" }), ["a", "b"])
    assert.strictEqual(QueryBuilder.pluck({ ci: null }, calls, { _tag: "Value" }), null)
  })

  it("asks the IDs of host paths and containers in one query", () => {
    const refs = QueryBuilder.hostRefs([
      { _tag: "HostDirectory", path: "/src" },
      { _tag: "List", items: [{ _tag: "HostFile", path: "/f" }, { _tag: "HostDirectory", path: "/src" }] },
      { _tag: "ContainerAddress", address: "dirk.local/node:20" },
      { _tag: "Value", value: 1 }
    ])
    const { aliases, query } = QueryBuilder.hostQuery(refs)
    assert.strictEqual(
      query,
      "query { r0: host { directory(path: \"/src\") { id } } r1: host { file(path: \"/f\") { id } } " +
        "r2: container { from(address: \"dirk.local/node:20\") { id } } }"
    )
    const ids = QueryBuilder.hostIds({
      r0: { directory: { id: "D" } },
      r1: { file: { id: "F" } },
      r2: { from: { id: "C" } }
    }, aliases)
    assert.deepStrictEqual(
      Either.getOrThrow(QueryBuilder.resolveValue({
        _tag: "List",
        items: [{ _tag: "HostDirectory", path: "/src" }, { _tag: "HostFile", path: "/f" }]
      }, ids)),
      ["D", "F"]
    )
    assert.strictEqual(
      Either.getOrThrow(QueryBuilder.resolveValue({ _tag: "ContainerAddress", address: "dirk.local/node:20" }, ids)),
      "C"
    )
  })

  it("asks a Secret flag's ID with secret(uri, cacheKey), once per URI and key", () => {
    const refs = QueryBuilder.hostRefs([
      { _tag: "SecretUri", uri: "env://TOKEN" },
      { _tag: "List", items: [{ _tag: "SecretUri", uri: "env://TOKEN", cacheKey: "k" }, { _tag: "SecretUri", uri: "env://TOKEN" }] }
    ])
    const { aliases, query } = QueryBuilder.hostQuery(refs)
    assert.strictEqual(query, "query { r0: secret(uri: \"env://TOKEN\") { id } r1: secret(uri: \"env://TOKEN\", cacheKey: \"k\") { id } }")
    const ids = QueryBuilder.hostIds({ r0: { id: "S0" }, r1: { id: "S1" } }, aliases)
    assert.strictEqual(Either.getOrThrow(QueryBuilder.resolveValue({ _tag: "SecretUri", uri: "env://TOKEN" }, ids)), "S0")
    assert.strictEqual(Either.getOrThrow(QueryBuilder.resolveValue({ _tag: "SecretUri", uri: "env://TOKEN", cacheKey: "k" }, ids)), "S1")
  })
})
