import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execute, parse, specifiedRules, validate, ValuesOfCorrectTypeRule } from "graphql"
import type * as Api from "../../../src/Core/Api.js"
import * as ApiM from "../../../src/Core/Api.js"
import * as Build from "../../../src/Core/Build.js"
import * as Memo from "../../../src/Session/Memo.js"

// A small fixture API: a Counter object built by chain fields, with an enum and an input object.
const makeFixture = () => {
  const runs = { add: 0 }
  const spec: Api.ApiSpec = {
    enums: [{ name: "Mode", doc: "A mode.", values: [{ name: "UP" }, { name: "DOWN" }, { name: "UP_ALIAS", value: "UP" }] }],
    inputs: [{ name: "Step", doc: "A step.", fields: { by: { type: "Int!", doc: "Amount." }, mode: { type: "Mode", doc: "Direction." } } }],
    objects: [
      {
        name: "Query",
        doc: "root",
        fields: {
          counter: { kind: "chain", type: "Counter!", doc: "A counter at 0.", run: () => Effect.succeed(ApiM.state({ n: 0 })) }
        }
      },
      {
        name: "Counter",
        doc: "A counter.",
        sync: () => Effect.void,
        fields: {
          add: {
            kind: "chain",
            type: "Counter!",
            doc: "Adds.",
            args: { by: { type: "Int!", doc: "Amount." }, mode: { type: "Mode", doc: "Direction.", default: "UP" } },
            run: (p: Api.Value<{ n: number }>, a: { by: number; mode: string }) =>
              Effect.sync(() => {
                runs.add++
                return ApiM.state({ n: p.state.n + (a.mode === "UP" ? a.by : -a.by) })
              })
          },
          steps: {
            kind: "chain",
            type: "Counter!",
            doc: "Applies steps.",
            args: { steps: { type: "[Step!]!", doc: "Steps." } },
            run: (p: Api.Value<{ n: number }>, a: { steps: ReadonlyArray<{ by: number; mode?: string }> }) =>
              Effect.succeed(ApiM.state({ n: a.steps.reduce((n, s) => n + (s.mode === "DOWN" ? -s.by : s.by), p.state.n) }))
          },
          plus: {
            kind: "chain",
            type: "Counter!",
            doc: "Adds another counter.",
            args: { other: { type: "CounterID!", doc: "The other counter." } },
            run: (p: Api.Value<{ n: number }>, a: { other: Api.Value<{ n: number }> }) =>
              Effect.succeed(ApiM.state({ n: p.state.n + a.other.state.n }))
          },
          value: { kind: "leaf", type: "Int!", doc: "The value.", run: (p: Api.Value<{ n: number }>) => Effect.succeed(p.state.n) }
        }
      }
    ]
  }
  return { spec, runs }
}

const setup = Effect.gen(function*() {
  const memo = yield* Memo.make
  const { spec, runs } = makeFixture()
  const built = Build.build([spec], memo)
  const client: Api.ClientContext = {
    sessionId: "s",
    clientId: "c",
    workdir: "/",
    load: (id) => built.load(id, client),
    session: { id: "s", serve: () => Effect.void, nestedClient: () => Effect.die("unused") }
  }
  const run = (q: string) =>
    Effect.promise(async () => {
      const doc = parse(q)
      const errors = validate(built.schema, doc, specifiedRules.filter((r) => r !== ValuesOfCorrectTypeRule))
      if (errors.length > 0) return { errors: errors.map((e) => e.message), data: undefined as any }
      const r = await execute({ schema: built.schema, document: doc, contextValue: { client } })
      return { errors: r.errors?.map((e) => e.message), data: r.data as any }
    })
  return { run, runs }
})

describe("Build", () => {
  it.effect("chains, IDs and node()", () =>
    Effect.gen(function*() {
      const { run } = yield* setup
      const r = yield* run(`{ counter { add(by: 2) { add(by: 1, mode: DOWN) { id value } } } }`)
      assert.isUndefined(r.errors)
      const { id, value } = r.data.counter.add.add
      assert.strictEqual(value, 1)
      const n = yield* run(`{ node(id: ${JSON.stringify(id)}) { ... on Counter { value } } }`)
      assert.strictEqual(n.data.node.value, 1)
      const l = yield* run(`{ loadCounterFromID(id: ${JSON.stringify(id)}) { add(by: 10) { value } } }`)
      assert.strictEqual(l.data.loadCounterFromID.add.value, 11)
    }))

  it.effect("accepts quoted enums, also inside input objects, and aliases", () =>
    Effect.gen(function*() {
      const { run } = yield* setup
      const r = yield* run(`{ counter { add(by: 5, mode: "DOWN") { steps(steps: [{by: 1, mode: "DOWN"}, {by: 3, mode: UP_ALIAS}]) { value } } } }`)
      assert.isUndefined(r.errors)
      assert.strictEqual(r.data.counter.add.steps.value, -3)
    }))

  it.effect("object arguments are IDs, loaded before the field runs", () =>
    Effect.gen(function*() {
      const { run } = yield* setup
      const a = yield* run(`{ counter { add(by: 4) { id } } }`)
      const id = a.data.counter.add.id
      const r = yield* run(`{ counter { add(by: 1) { plus(other: ${JSON.stringify(id)}) { value } } } }`)
      assert.strictEqual(r.data.counter.add.plus.value, 5)
      const bad = yield* run(`{ counter { plus(other: "garbage") { value } } }`)
      assert.match(bad.errors?.[0] ?? "", /invalid ID/)
    }))

  it.effect("the same chain is computed once", () =>
    Effect.gen(function*() {
      const { run, runs } = yield* setup
      yield* run(`{ counter { add(by: 7) { value } } }`)
      yield* run(`{ counter { add(by: 7, mode: UP) { value } } }`)
      assert.strictEqual(runs.add, 1)
      yield* run(`{ counter { add(by: 8) { value } } }`)
      assert.strictEqual(runs.add, 2)
    }))

  it.effect("sync returns the object's ID", () =>
    Effect.gen(function*() {
      const { run } = yield* setup
      const r = yield* run(`{ counter { add(by: 1) { id sync } } }`)
      assert.strictEqual(r.data.counter.add.sync, r.data.counter.add.id)
    }))

  it("duplicate fields fail when the schema is built", () => {
    const { spec } = makeFixture()
    assert.throws(() => Build.build([spec, { objects: [{ name: "Counter", doc: "", fields: { value: spec.objects![1]!.fields.value! } }] }], (_k, e) => e), /duplicate field Counter.value/)
  })

  it.effect("buildShared gives one schema per list of specs and memo, and a new one for another list or memo", () =>
    Effect.gen(function*() {
      const memo = yield* Memo.make
      const other = yield* Memo.make
      const a = makeFixture().spec
      const b: Api.ApiSpec = { objects: [{ name: "Extra", doc: "", fields: { n: { kind: "leaf", type: "Int!", doc: "", run: () => Effect.succeed(1) } } }] }
      const first = Build.buildShared([a], memo)
      assert.strictEqual(Build.buildShared([a], memo), first)
      assert.notStrictEqual(Build.buildShared([a], other), first)
      const both = Build.buildShared([a, b], memo)
      assert.notStrictEqual(both, first)
      assert.strictEqual(Build.buildShared([a, b], memo), both)
      assert.notStrictEqual(Build.buildShared([b, a], memo), both)
      // an equal spec that is another object is another schema (specs are compared by identity)
      assert.notStrictEqual(Build.buildShared([makeFixture().spec], memo), first)
    }))
})
