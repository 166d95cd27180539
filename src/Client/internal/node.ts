/**
 * The runtime of the generated client: a pipeline value is an immutable chain of field calls from the query root;
 * object fields extend the chain (no I/O), leaf fields turn it into one GraphQL query and run it in the session.
 * Arguments travel as GraphQL variables typed as the schema types them; object arguments are resolved to their IDs
 * first.
 */
import { Effect } from "effect"
import { type Pipeable, pipeArguments } from "effect/Pipeable"
import * as DirkClient from "../DirkClient.js"
import { type DirkError, QueryError } from "../DirkError.js"

/**
 * One argument of a call: its GraphQL name and type, and its value (`undefined`: not given).
 *
 * @category models
 */
export interface Arg {
  readonly name: string
  readonly type: string
  readonly value: unknown
}

/**
 * One field call.
 *
 * @category models
 */
export interface Call {
  readonly field: string
  readonly args: ReadonlyArray<Arg>
}

/** @internal */
export const NodeTypeId: unique symbol = Symbol.for("dirk/Client/Node")

/**
 * A value of an object type of the API: the chain of calls that produces it.
 *
 * @category models
 */
export interface Node<Tag extends string> extends Pipeable {
  readonly [NodeTypeId]: typeof NodeTypeId
  readonly _tag: Tag
  readonly chain: ReadonlyArray<Call>
}

class NodeImpl<Tag extends string> implements Node<Tag> {
  readonly [NodeTypeId]: typeof NodeTypeId = NodeTypeId
  constructor(readonly _tag: Tag, readonly chain: ReadonlyArray<Call>) {}
  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return pipeArguments(this, arguments)
  }
  toJSON() {
    return { _tag: this._tag, chain: this.chain }
  }
  toString() {
    return `${this._tag}(${this.chain.map((c) => c.field).join(".")})`
  }
}

/**
 * @category guards
 */
export const isNode = (u: unknown): u is Node<string> => typeof u === "object" && u !== null && NodeTypeId in u

/**
 * A node of type `tag` with the given chain.
 *
 * @category constructors
 */
export const make = <N extends Node<string>>(tag: N["_tag"], chain: ReadonlyArray<Call>): N =>
  new NodeImpl(tag, chain) as unknown as N

/**
 * The node one call further down `parent`'s chain (the query root when `parent` is undefined).
 *
 * @category constructors
 */
export const field = <N extends Node<string>>(
  parent: Node<string> | undefined,
  tag: N["_tag"],
  name: string,
  args: ReadonlyArray<Arg> = []
): N => make<N>(tag, [...(parent?.chain ?? []), { field: name, args }])

/**
 * How a leaf's result is read.
 *
 * @category models
 */
export type Result =
  | { readonly _tag: "Scalar" }
  | { readonly _tag: "Objects"; readonly type: string; readonly loader: string }

// object arguments (anywhere in a value) become their IDs
const resolveValue = (value: unknown): Effect.Effect<unknown, DirkError, DirkClient.DirkClient> => {
  if (isNode(value)) return idOf(value)
  if (Array.isArray(value)) return Effect.forEach(value, resolveValue, { concurrency: "unbounded" })
  if (typeof value === "object" && value !== null) {
    return Effect.map(
      Effect.forEach(Object.entries(value), ([k, v]) => Effect.map(resolveValue(v), (r) => [k, r] as const), { concurrency: "unbounded" }),
      Object.fromEntries
    )
  }
  return Effect.succeed(value)
}

/**
 * The ID of a value (one request).
 *
 * @category constructors
 */
export const idOf = (node: Node<string>): Effect.Effect<unknown, DirkError, DirkClient.DirkClient> =>
  run(node.chain, { field: "id", args: [] }, { _tag: "Scalar" })

const run = (
  chain: ReadonlyArray<Call>,
  leafCall: Call,
  result: Result
): Effect.Effect<unknown, DirkError, DirkClient.DirkClient> =>
  Effect.gen(function*() {
    const calls = [...chain, leafCall]
    const declared: Array<string> = []
    const variables: Record<string, unknown> = {}
    const rendered: Array<string> = []
    for (const call of calls) {
      const given = call.args.filter((a) => a.value !== undefined)
      const parts: Array<string> = []
      for (const arg of given) {
        const name = `v${declared.length}`
        declared.push(`$${name}: ${arg.type}`)
        variables[name] = yield* resolveValue(arg.value)
        parts.push(`${arg.name}: $${name}`)
      }
      rendered.push(parts.length === 0 ? call.field : `${call.field}(${parts.join(", ")})`)
    }
    const leafSelection = result._tag === "Objects" ? " { id }" : ""
    let selection = rendered[rendered.length - 1]! + leafSelection
    for (let i = rendered.length - 2; i >= 0; i--) selection = `${rendered[i]} { ${selection} }`
    const query = `query${declared.length === 0 ? "" : `(${declared.join(", ")})`} { ${selection} }`
    let data = yield* DirkClient.execute({ query, variables })
    for (const call of calls) {
      if (data === null || data === undefined) break
      if (typeof data !== "object") {
        return yield* new QueryError({ detail: `unexpected response at ${call.field}: ${JSON.stringify(data)}`, path: [] })
      }
      data = (data as Record<string, unknown>)[call.field]
    }
    if (result._tag === "Scalar" || data === null || data === undefined) return data ?? null
    if (!Array.isArray(data)) {
      return yield* new QueryError({ detail: `expected a list of ${result.type} at ${leafCall.field}`, path: [] })
    }
    return data.map((item: { id: unknown }) =>
      make(result.type, [{ field: result.loader, args: [{ name: "id", type: `${result.type}ID!`, value: item.id }] }])
    )
  })

/**
 * Runs a leaf field on `parent` (the query root when undefined).
 *
 * @category constructors
 */
export const leaf = <A>(
  parent: Node<string> | undefined,
  name: string,
  args: ReadonlyArray<Arg>,
  result: Result
): Effect.Effect<A, DirkError, DirkClient.DirkClient> =>
  run(parent?.chain ?? [], { field: name, args }, result) as Effect.Effect<A, DirkError, DirkClient.DirkClient>

/**
 * A value that is also a combinator: `Container.from("alpine")` is a Container, and applied to a container it is
 * `from` on that container.
 *
 * @category constructors
 */
export const starter = <N extends Node<string>>(value: N, apply: (self: N) => N): N & ((self: N) => N) => {
  const fn = (self: N) => apply(self)
  Object.setPrototypeOf(fn, Object.getPrototypeOf(value))
  Object.defineProperties(fn, {
    [NodeTypeId]: { value: NodeTypeId },
    _tag: { value: value._tag, enumerable: true },
    chain: { value: value.chain, enumerable: true }
  })
  return fn as unknown as N & ((self: N) => N)
}
