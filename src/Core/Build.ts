/**
 * Builds a graphql-js schema from API specs, and replays IDs against it.
 *
 * Every object type implements `Node` and gets `id: ID!` (and `sync: ID!` when its spec can sync); the root gets
 * `node(id:)` and `load<Type>FromID(id:)` for every object and interface type, and a `<Type>ID` scalar exists for
 * each. Enums accept quoted strings as well as names (Dagger's SDK quotes enums nested in input objects).
 */
import { Cause, Effect, Exit, Option } from "effect"
import {
  GraphQLBoolean,
  GraphQLEnumType,
  type GraphQLEnumValueConfigMap,
  GraphQLError,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigArgumentMap,
  GraphQLFloat,
  GraphQLID,
  GraphQLInputObjectType,
  type GraphQLInputType,
  GraphQLInt,
  GraphQLInterfaceType,
  GraphQLList,
  type GraphQLNamedType,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLOutputType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  Kind,
  type ValueNode
} from "graphql"
import * as CallId from "../Dag/CallId.js"
import { ExecError } from "../Dag/Errors.js"
import * as Solver from "../Dag/Solver.js"
import * as Api from "./Api.js"
import { type ApiError, invalid, QueryError } from "./Errors.js"
import * as Secret from "./Secret.js"

/**
 * Memoizes a computation by key; concurrent callers share one run and failures are not kept.
 *
 * @category models
 */
export type Memo = <A>(key: string, compute: Effect.Effect<A, ApiError>) => Effect.Effect<A, ApiError>

/**
 * What resolvers receive as graphql-js `contextValue`.
 *
 * @category models
 */
export interface RequestContext {
  readonly client: Api.ClientContext
  readonly signal?: AbortSignal | undefined
}

/**
 * A built schema and the ID loader that goes with it.
 *
 * @category models
 */
export interface Built {
  readonly schema: GraphQLSchema
  /** Replays an ID (memoized by digest) in the given client. */
  readonly load: (id: CallId.CallId, client: Api.ClientContext) => Effect.Effect<Api.Value, ApiError>
  readonly objects: ReadonlyMap<string, Api.ObjectSpec>
}

// ---------------------------------------------------------------------------------------------------------------
// type expressions

type TypeExpr =
  | { readonly _tag: "Named"; readonly name: string }
  | { readonly _tag: "List"; readonly of: TypeExpr }
  | { readonly _tag: "NonNull"; readonly of: TypeExpr }

/**
 * Parses `[String!]!` into a type expression.
 *
 * @category parsing
 */
export const parseType = (expr: string): TypeExpr => {
  const s = expr.trim()
  if (s.endsWith("!")) return { _tag: "NonNull", of: parseType(s.slice(0, -1)) }
  if (s.startsWith("[") && s.endsWith("]")) return { _tag: "List", of: parseType(s.slice(1, -1)) }
  if (!/^[_A-Za-z][_0-9A-Za-z]*$/.test(s)) throw new Error(`bad type expression ${JSON.stringify(expr)}`)
  return { _tag: "Named", name: s }
}

/**
 * The named type at the bottom of a type expression.
 *
 * @category parsing
 */
export const namedType = (expr: string): string => {
  const t = parseType(expr)
  const go = (x: TypeExpr): string => (x._tag === "Named" ? x.name : go(x.of))
  return go(t)
}

const isListType = (expr: string): boolean => {
  const t = parseType(expr)
  return (t._tag === "NonNull" ? t.of : t)._tag === "List"
}

// ---------------------------------------------------------------------------------------------------------------
// lenient enums

class LenientEnumType extends GraphQLEnumType {
  override parseLiteral(node: ValueNode, variables: Parameters<GraphQLEnumType["parseLiteral"]>[1]): unknown {
    if (node.kind === Kind.STRING) return super.parseLiteral({ kind: Kind.ENUM, value: node.value }, variables)
    return super.parseLiteral(node, variables)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// error mapping (the resolver bridge)

/**
 * Turns an API failure into the GraphQL error a Dagger client expects.
 *
 * @category errors
 */
export const toGraphQLError = (cause: Cause.Cause<ApiError>): GraphQLError => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const e = failure.value
    if (e instanceof ExecError) {
      return new GraphQLError(e.message, {
        extensions: { _type: "EXEC_ERROR", cmd: e.cmd, exitCode: e.exitCode, stdout: e.stdout, stderr: e.stderr }
      })
    }
    if (e instanceof QueryError && e.extensions !== undefined) {
      return new GraphQLError(e.message, { extensions: e.extensions })
    }
    return new GraphQLError(e.message)
  }
  if (Cause.isInterruptedOnly(cause)) return new GraphQLError("the request was cancelled")
  const defect = Cause.squash(cause)
  return new GraphQLError(`internal error: ${defect instanceof Error ? defect.message : String(defect)}`)
}

const toPromise = <A>(effect: Effect.Effect<A, ApiError>, signal: AbortSignal | undefined): Promise<A> =>
  Effect.runPromiseExit(effect, signal === undefined ? undefined : { signal }).then((exit) => {
    if (Exit.isSuccess(exit)) return exit.value
    throw toGraphQLError(exit.cause)
  })

// ---------------------------------------------------------------------------------------------------------------
// the builder

const BUILTIN_SCALARS: Record<string, GraphQLScalarType> = {
  String: GraphQLString,
  Int: GraphQLInt,
  Float: GraphQLFloat,
  Boolean: GraphQLBoolean,
  ID: GraphQLID
}

const mergeSpecs = (specs: ReadonlyArray<Api.ApiSpec>) => {
  const objects = new Map<string, { name: string; doc: string; fields: Record<string, Api.FieldSpec>; sync?: Api.ObjectSpec["sync"]; check?: Api.ObjectSpec["check"]; interfaces: Array<string> }>()
  const interfaces = new Map<string, Api.InterfaceSpec>()
  const enums = new Map<string, Api.EnumSpec>()
  const inputs = new Map<string, Api.InputSpec>()
  const scalars = new Map<string, Api.ScalarSpec>()
  const once = <T extends { name: string }>(map: Map<string, T>, spec: T, what: string) => {
    if (map.has(spec.name)) throw new Error(`duplicate ${what} type ${spec.name}`)
    map.set(spec.name, spec)
  }
  for (const spec of specs) {
    for (const o of spec.objects ?? []) {
      const existing = objects.get(o.name)
      if (existing === undefined) {
        objects.set(o.name, {
          name: o.name,
          doc: o.doc,
          fields: { ...o.fields },
          ...(o.sync ? { sync: o.sync } : {}),
          ...(o.check ? { check: o.check } : {}),
          interfaces: [...(o.interfaces ?? [])]
        })
      } else {
        for (const [k, f] of Object.entries(o.fields)) {
          if (k in existing.fields) throw new Error(`duplicate field ${o.name}.${k}`)
          existing.fields[k] = f
        }
        if (o.sync) existing.sync = o.sync
        if (o.check) existing.check = o.check
        if (o.doc && !existing.doc) existing.doc = o.doc
        existing.interfaces.push(...(o.interfaces ?? []))
      }
    }
    for (const i of spec.interfaces ?? []) once(interfaces, i, "interface")
    for (const e of spec.enums ?? []) once(enums, e, "enum")
    for (const i of spec.inputs ?? []) once(inputs, i, "input")
    for (const s of spec.scalars ?? []) once(scalars, s, "scalar")
  }
  return { objects, interfaces, enums, inputs, scalars }
}

/** A number per spec object, for the keys of `shared`. */
const specIds = new WeakMap<Api.ApiSpec, number>()
let nextSpecId = 0
const specId = (spec: Api.ApiSpec): number => {
  let id = specIds.get(spec)
  if (id === undefined) {
    id = nextSpecId++
    specIds.set(spec, id)
  }
  return id
}

/** Schemas built per memo (an engine), by the list of their specs (the most recently used last). */
const shared = new WeakMap<Memo, Map<string, Built>>()

/** How many schemas `buildShared` keeps per engine. */
const sharedMax = 32

/**
 * {@link build}, shared: the same specs (the same objects, in the same order) with the same memo give the same
 * `Built`, so a session serving what another served already does not build its schema again. The result depends on
 * nothing else (requests carry their client in the context).
 *
 * @category constructors
 */
export const buildShared = (specs: ReadonlyArray<Api.ApiSpec>, memo: Memo): Built => {
  let byKey = shared.get(memo)
  if (byKey === undefined) {
    byKey = new Map()
    shared.set(memo, byKey)
  }
  const key = specs.map(specId).join(",")
  const hit = byKey.get(key)
  if (hit !== undefined) {
    byKey.delete(key)
    byKey.set(key, hit)
    return hit
  }
  const built = build(specs, memo)
  byKey.set(key, built)
  if (byKey.size > sharedMax) byKey.delete(byKey.keys().next().value!)
  return built
}

/**
 * Builds the schema. Throws on duplicate types or fields and on unknown type names (a startup error).
 *
 * @category constructors
 */
export const build = (specs: ReadonlyArray<Api.ApiSpec>, memo: Memo): Built => {
  const merged = mergeSpecs(specs)
  if (!merged.objects.has("Query")) merged.objects.set("Query", { name: "Query", doc: "The root of the API.", fields: {}, interfaces: [] })
  const objectSpecs = merged.objects
  const named = new Map<string, GraphQLNamedType>()

  // ID scalars, one per object and interface type
  const idScalar = (name: string) =>
    new GraphQLScalarType({
      name: `${name}ID`,
      description: `The \`${name}ID\` scalar type represents an identifier for an object of type ${name}.`,
      serialize: (v) => v,
      parseValue: (v) => v,
      parseLiteral: (node) => (node.kind === Kind.STRING ? node.value : undefined)
    })
  const idScalarOwner = new Map<string, string>()
  for (const name of [...objectSpecs.keys(), ...merged.interfaces.keys()]) {
    if (name === "Query") continue
    const s = idScalar(name)
    named.set(s.name, s)
    idScalarOwner.set(s.name, name)
  }
  for (const s of merged.scalars.values()) {
    named.set(
      s.name,
      new GraphQLScalarType({
        name: s.name,
        description: s.doc,
        serialize: (v) => v,
        parseValue: (v) => v,
        parseLiteral: (node) => {
          switch (node.kind) {
            case Kind.STRING:
            case Kind.ENUM:
              return node.value
            case Kind.INT:
              return Number.parseInt(node.value, 10)
            case Kind.FLOAT:
              return Number.parseFloat(node.value)
            case Kind.BOOLEAN:
              return node.value
            case Kind.NULL:
              return null
            default:
              return undefined
          }
        }
      })
    )
  }
  for (const e of merged.enums.values()) {
    const values: GraphQLEnumValueConfigMap = {}
    for (const v of e.values) values[v.name] = { value: v.value ?? v.name, ...(v.doc ? { description: v.doc } : {}) }
    named.set(e.name, new LenientEnumType({ name: e.name, description: e.doc, values }))
  }

  const lookup = (name: string): GraphQLNamedType => {
    const t = BUILTIN_SCALARS[name] ?? named.get(name)
    if (t === undefined) throw new Error(`unknown type ${name}`)
    return t
  }
  const outputType = (expr: string): GraphQLOutputType => {
    const go = (t: TypeExpr): GraphQLOutputType =>
      t._tag === "Named" ? (lookup(t.name) as GraphQLOutputType) : t._tag === "List" ? new GraphQLList(go(t.of)) : new GraphQLNonNull(go(t.of) as never)
    return go(parseType(expr))
  }
  const inputType = (expr: string): GraphQLInputType => {
    const go = (t: TypeExpr): GraphQLInputType =>
      t._tag === "Named" ? (lookup(t.name) as GraphQLInputType) : t._tag === "List" ? new GraphQLList(go(t.of)) : new GraphQLNonNull(go(t.of) as never)
    return go(parseType(expr))
  }

  for (const i of merged.inputs.values()) {
    named.set(
      i.name,
      new GraphQLInputObjectType({
        name: i.name,
        description: i.doc,
        fields: () =>
          Object.fromEntries(Object.entries(i.fields).map(([k, a]) => [k, {
            type: inputType(a.type),
            description: a.doc,
            ...(a.default !== undefined ? { defaultValue: a.default } : {})
          }]))
      })
    )
  }

  // ---- argument conversion: graphql-js values ⇄ literals ⇄ values handed to `run`

  const toLiteral = (expr: TypeExpr, v: unknown): Effect.Effect<{ lit: CallId.Literal; value: unknown }, ApiError> => {
    if (v === null || v === undefined) return Effect.succeed({ lit: CallId.Lit.null, value: null })
    if (expr._tag === "NonNull") return toLiteral(expr.of, v)
    if (expr._tag === "List") {
      return Effect.forEach(Array.isArray(v) ? v : [v], (x) => toLiteral(expr.of, x)).pipe(
        Effect.map((xs) => ({ lit: CallId.Lit.list(xs.map((x) => x.lit)), value: xs.map((x) => x.value) }))
      )
    }
    const name = expr.name
    const owner = idScalarOwner.get(name)
    if (owner !== undefined || name === "ID") {
      return Effect.gen(function*() {
        const id = yield* decodeId(String(v))
        if (owner !== undefined && id.type !== owner && !isInterfaceImpl(id.type, owner)) {
          return yield* Effect.fail(invalid(`expected an ID of type ${owner}, got an ID of type ${id.type}`))
        }
        return { lit: CallId.Lit.id(id), value: id }
      })
    }
    switch (name) {
      case "String":
        return Effect.succeed({ lit: CallId.Lit.string(String(v)), value: v })
      case "Int":
        return Effect.succeed({ lit: CallId.Lit.int(Number(v)), value: v })
      case "Float":
        return Effect.succeed({ lit: CallId.Lit.float(Number(v)), value: v })
      case "Boolean":
        return Effect.succeed({ lit: CallId.Lit.bool(Boolean(v)), value: v })
    }
    if (merged.enums.has(name)) return Effect.succeed({ lit: CallId.Lit.enum(String(v)), value: v })
    const input = merged.inputs.get(name)
    if (input !== undefined) {
      const o = v as Record<string, unknown>
      return Effect.forEach(
        Object.entries(input.fields).filter(([k]) => o[k] !== undefined),
        ([k, a]) => toLiteral(parseType(a.type), o[k]).pipe(Effect.map((x) => ({ name: k, ...x })))
      ).pipe(
        Effect.map((xs) => ({
          lit: CallId.Lit.object(xs.map((x) => ({ name: x.name, value: x.lit }))),
          value: Object.fromEntries(xs.map((x) => [x.name, x.value]))
        }))
      )
    }
    // custom scalars (JSON, Platform, Void): kept as text
    return Effect.succeed({ lit: typeof v === "string" ? CallId.Lit.string(v) : CallId.Lit.string(JSON.stringify(v)), value: v })
  }

  const fromLiteral = (lit: CallId.Literal): unknown => {
    switch (lit._tag) {
      case "Null":
        return null
      case "List":
        return lit.values.map(fromLiteral)
      case "Object":
        return Object.fromEntries(lit.fields.map((f) => [f.name, fromLiteral(f.value)]))
      case "Id":
        return lit.id
      default:
        return lit.value
    }
  }

  // Loads every CallId found in an argument value (as produced by toLiteral/fromLiteral) into its Value.
  const loadIds = (v: unknown, client: Api.ClientContext): Effect.Effect<unknown, ApiError> => {
    if (v instanceof CallId.CallId) return client.load(v)
    if (Array.isArray(v)) return Effect.forEach(v, (x) => loadIds(x, client))
    if (v !== null && typeof v === "object") {
      return Effect.forEach(Object.entries(v), ([k, x]) => loadIds(x, client).pipe(Effect.map((y) => [k, y] as const))).pipe(
        Effect.map(Object.fromEntries)
      )
    }
    return Effect.succeed(v)
  }

  const convertArgs = (
    spec: Api.FieldSpec,
    raw: Record<string, unknown>,
    client: Api.ClientContext
  ): Effect.Effect<{ lits: Array<CallId.Arg>; values: Record<string, unknown> }, ApiError> =>
    Effect.gen(function*() {
      const lits: Array<CallId.Arg> = []
      const values: Record<string, unknown> = {}
      for (const [name, a] of Object.entries(spec.args ?? {})) {
        if (raw[name] === undefined) continue
        const { lit, value } = yield* toLiteral(parseType(a.type), raw[name])
        // a sensitive value is recorded by its stand-in only: it never reaches an ID, a digest or a memo key
        const recorded = a.sensitive !== undefined && typeof value === "string" ? CallId.Lit.string(a.sensitive(value)) : lit
        lits.push({ name, value: recorded })
        values[name] = yield* loadIds(value, client)
      }
      return { lits, values }
    })

  const isInterfaceImpl = (typeName: string, iface: string): boolean =>
    objectSpecs.get(typeName)?.interfaces.includes(iface) ?? false

  const toValue = (typeName: string, id: CallId.CallId, r: Api.ChainResult): Api.Value =>
    r._tag === "Value"
      ? r.value
      : { _type: typeName, id: r.content === undefined ? id : CallId.withContent(id, r.content), state: r.state }

  const chainValues = (
    name: string,
    spec: Api.ChainFieldSpec,
    baseId: CallId.CallId,
    result: Api.ChainResult | ReadonlyArray<Api.ChainResult>
  ): Api.Value | ReadonlyArray<Api.Value> => {
    const typeName = namedType(spec.type)
    if (Array.isArray(result)) {
      return (result as ReadonlyArray<Api.ChainResult>).map((r, i) => toValue(typeName, CallId.withNth(baseId, i + 1), r))
    }
    if (isListType(spec.type)) throw new Error(`chain field ${name} declared a list but returned one value`)
    return toValue(typeName, baseId, result as Api.ChainResult)
  }

  const runChain = (
    name: string,
    spec: Api.ChainFieldSpec,
    parent: Api.Value,
    raw: Record<string, unknown>,
    client: Api.ClientContext
  ): Effect.Effect<Api.Value | ReadonlyArray<Api.Value>, ApiError> =>
    Effect.gen(function*() {
      const { lits, values } = yield* convertArgs(spec, raw, client)
      const typeName = namedType(spec.type)
      const baseId = parent._type === "Query"
        ? CallId.root(name, typeName, lits)
        : CallId.append(parent.id, name, typeName, lits)
      const compute = spec.run(parent, values, client).pipe(Effect.map((r) => chainValues(name, spec, baseId, r)))
      if (typeof spec.volatile === "function" ? spec.volatile(values) : spec.volatile === true) {
        const v = yield* compute
        // keep content-named results loadable by their ID
        if (!Array.isArray(v) && (v as Api.Value).id.digest !== baseId.digest) {
          yield* memo((v as Api.Value).id.digest, Effect.succeed(v))
        }
        return v
      }
      return yield* memo(baseId.digest, compute)
    })

  const load = (id: CallId.CallId, client: Api.ClientContext): Effect.Effect<Api.Value, ApiError> =>
    Effect.tap(loadMemo(id, client), (v) => objectSpecs.get(v._type)?.check?.(v, client) ?? Effect.void)

  const loadMemo = (id: CallId.CallId, client: Api.ClientContext): Effect.Effect<Api.Value, ApiError> =>
    memo(
      id.digest,
      Effect.gen(function*() {
        const receiver: Api.Value = id.receiver === undefined ? rootValue : yield* client.load(id.receiver)
        const spec = objectSpecs.get(receiver._type)?.fields[id.field]
        if (spec === undefined || spec.kind !== "chain") {
          return yield* Effect.fail(
            new QueryError({ reason: "NotFound", detail: `cannot load ID: no field ${receiver._type}.${id.field} in this session` })
          )
        }
        const raw: Record<string, unknown> = {}
        for (const a of id.args) raw[a.name] = fromLiteral(a.value)
        const values: Record<string, unknown> = {}
        for (const [k, v] of Object.entries(raw)) {
          const sensitive = spec.args?.[k]?.sensitive !== undefined && typeof v === "string"
          values[k] = sensitive ? new Api.Recorded(v as string) : yield* loadIds(v, client)
        }
        const result = yield* spec.run(receiver, values, client)
        const typeName = namedType(spec.type)
        if (Array.isArray(result)) {
          const r = (result as ReadonlyArray<Api.ChainResult>)[(id.nth ?? 0) - 1]
          if (r === undefined) {
            return yield* Effect.fail(new QueryError({ reason: "NotFound", detail: `cannot load ID: no element ${id.nth} of ${id}` }))
          }
          return r._tag === "Value" ? r.value : { _type: typeName, id, state: r.state }
        }
        const r = result as Api.ChainResult
        return r._tag === "Value" ? r.value : { _type: typeName, id, state: r.state }
      })
    )

  const noTerminal = { terminal: false, debugFailures: false } as const
  const rootValue: Api.Value = { _type: "Query", id: undefined as unknown as CallId.CallId, state: undefined }

  // ---- fields

  const argsConfig = (args: Readonly<Record<string, Api.ArgSpec>> | undefined): GraphQLFieldConfigArgumentMap =>
    Object.fromEntries(Object.entries(args ?? {}).map(([k, a]) => [k, {
      type: inputType(a.type),
      description: a.doc,
      ...(a.default !== undefined ? { defaultValue: a.default } : {})
    }]))

  const fieldConfig = (name: string, spec: Api.FieldSpec): GraphQLFieldConfig<Api.Value, RequestContext> => ({
    type: outputType(spec.type),
    description: spec.doc,
    ...(spec.deprecated ? { deprecationReason: spec.deprecated } : {}),
    args: argsConfig(spec.args),
    resolve: (parent, raw, ctx) => {
      const p = parent ?? rootValue
      const onBehalf = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        effect.pipe(
          Effect.locally(Solver.currentSession, ctx.client.sessionId),
          Effect.locally(Solver.currentInteractive, ctx.client.session.interactive ?? noTerminal),
          Effect.locally(Solver.currentSecrets, Secret.lookup(ctx.client.session)),
          Effect.locally(Solver.currentOp, ctx.client.parentOp)
        )
      if (spec.kind === "chain") return toPromise(onBehalf(runChain(name, spec, p, raw, ctx.client)), ctx.signal)
      return toPromise(
        onBehalf(convertArgs(spec, raw, ctx.client).pipe(Effect.flatMap(({ values }) => spec.run(p, values, ctx.client)))),
        ctx.signal
      )
    }
  })

  const nodeInterface = new GraphQLInterfaceType({
    name: "Node",
    description: "An object with an ID.",
    fields: { id: { type: new GraphQLNonNull(GraphQLID), description: "The object's ID." } },
    resolveType: (v: Api.Value) => v._type
  })
  named.set("Node", nodeInterface)

  const idField = (): GraphQLFieldConfig<Api.Value, RequestContext> => ({
    type: new GraphQLNonNull(GraphQLID),
    description: "A unique identifier for this object.",
    resolve: (v) => CallId.encode(v.id)
  })

  for (const i of merged.interfaces.values()) {
    named.set(
      i.name,
      new GraphQLInterfaceType({
        name: i.name,
        description: i.doc,
        interfaces: [nodeInterface],
        fields: () => ({
          id: idField(),
          ...Object.fromEntries(Object.entries(i.fields).map(([k, f]) => [k, fieldConfig(k, f)]))
        }),
        resolveType: (v: Api.Value) => v._type
      })
    )
  }

  const decodeId = (s: string): Effect.Effect<CallId.CallId, ApiError> =>
    Effect.try({ try: () => CallId.decode(s), catch: (e) => invalid(e instanceof Error ? e.message : String(e)) })

  const rootExtras: Record<string, Api.FieldSpec> = {
    node: { kind: "leaf", type: "Node", doc: "Loads any object by its ID.", args: { id: { type: "ID!", doc: "The object's ID." } }, run: (_p, a: { id: Api.Value }) => Effect.succeed(a.id) }
  }
  for (const name of [...objectSpecs.keys(), ...merged.interfaces.keys()]) {
    if (name === "Query") continue
    rootExtras[`load${name}FromID`] = {
      kind: "leaf",
      type: `${name}!`,
      doc: `Load a ${name} from its ID.`,
      args: { id: { type: `${name}ID!`, doc: "The object's ID." } },
      // the ID scalar's owner type was checked, and the ID loaded, by the argument conversion
      run: (_p, a: { id: Api.Value }) => Effect.succeed(a.id)
    }
  }

  for (const o of objectSpecs.values()) {
    const isRoot = o.name === "Query"
    named.set(
      o.name,
      new GraphQLObjectType<Api.Value, RequestContext>({
        name: o.name,
        description: o.doc,
        interfaces: isRoot ? [] : () => [nodeInterface, ...o.interfaces.map((i) => lookup(i) as GraphQLInterfaceType)],
        fields: () => {
          const fields: Record<string, GraphQLFieldConfig<Api.Value, RequestContext>> = {}
          if (!isRoot) fields.id = idField()
          for (const [k, f] of Object.entries(o.fields)) fields[k] = fieldConfig(k, f)
          if (isRoot) for (const [k, f] of Object.entries(rootExtras)) if (!(k in fields)) fields[k] = fieldConfig(k, f)
          if (o.sync && !("sync" in o.fields)) {
            const sync = o.sync
            fields.sync = {
              type: new GraphQLNonNull(lookup(`${o.name}ID`) as GraphQLScalarType),
              description: "Forces evaluation of the pipeline in the engine and returns the object's ID.",
              resolve: (v, _args, ctx) =>
                toPromise(
                  sync(v, ctx.client).pipe(
                    Effect.as(CallId.encode(v.id)),
                    Effect.locally(Solver.currentSession, ctx.client.sessionId),
                    Effect.locally(Solver.currentInteractive, ctx.client.session.interactive ?? noTerminal),
                    Effect.locally(Solver.currentSecrets, Secret.lookup(ctx.client.session)),
                    Effect.locally(Solver.currentOp, ctx.client.parentOp)
                  ),
                  ctx.signal
                )
            }
          }
          return fields
        }
      })
    )
  }

  const schema = new GraphQLSchema({
    query: named.get("Query") as GraphQLObjectType,
    types: [...named.values()]
  })
  // Force field thunks now so that unknown types fail at startup, not on the first request.
  for (const t of Object.values(schema.getTypeMap())) {
    if (t instanceof GraphQLObjectType || t instanceof GraphQLInterfaceType || t instanceof GraphQLInputObjectType) t.getFields()
  }
  return { schema, load, objects: objectSpecs as unknown as ReadonlyMap<string, Api.ObjectSpec> }
}
