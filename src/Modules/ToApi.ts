/**
 * Turns a module's typedefs into an API spec that a session can serve: the main object becomes an object type and
 * a root field named after the module, functions become fields (calling the module's runtime), exposed properties
 * become fields reading the object's state, and module enums become enums. Names follow Dagger's rules
 * (`Naming.ts`): PascalCase types namespaced by the module, lowerCamel fields and arguments.
 *
 * A module object's state is the JSON object of its fields, as the runtime returned it; it is passed back verbatim
 * as `parent` on the next call.
 */
import { Effect, Either } from "effect"
import { createHash } from "node:crypto"
import * as Api from "../Core/Api.js"
import { type ApiError, invalid, QueryError } from "../Core/Errors.js"
import * as CallId from "../Dag/CallId.js"
import type * as CallContext from "./CallContext.js"
import * as Json from "./Json.js"
import * as Model from "./Model.js"
import * as Naming from "./Naming.js"

/**
 * How the generated fields run a function of the module.
 *
 * @category models
 */
export interface Invoker {
  /** Runs one function call; succeeds with the JSON text the function returned. */
  readonly call: (
    request: CallContext.CallRequest,
    fn: Model.FunctionData,
    ctx: Api.ClientContext
  ) => Effect.Effect<string, ApiError>
  /**
   * Whether the function's results name one value for the life of the engine (`Default` without a time-to-live):
   * then objects it returns are memoized by their call, else every call asks `call` again (default: stable).
   */
  readonly isStable?: (fn: Model.FunctionData) => boolean
  /**
   * The value of a `defaultPath` argument that was not given: the Directory or File at that path of the module's
   * context directory (`ContextPath.ts`).
   */
  readonly contextual?: (fn: Model.FunctionData, arg: Model.FunctionArgData, ctx: Api.ClientContext) => Effect.Effect<Api.Value, ApiError>
}

const unsupported = (detail: string) => new QueryError({ reason: "Unsupported", detail })

/**
 * The names the conversion uses for one module.
 *
 * @category models
 */
export interface Names {
  readonly moduleName: string
  /** GraphQL type name of a module object or enum, by its original name. */
  readonly typeName: (original: string) => string
  readonly isModuleObject: (original: string) => boolean
  readonly isModuleEnum: (original: string) => boolean
  readonly isModuleInterface: (original: string) => boolean
  /** The GraphQL names of the module's objects that implement an interface (by its GraphQL name). */
  readonly implementers: (iface: string) => ReadonlyArray<string>
  /** The root field: `lowerCamel(moduleName)`. */
  readonly rootField: string
}

/**
 * @category constructors
 */
export const names = (moduleName: string, def: Model.ModuleDef): Names => {
  const objects = new Set(def.objects.map((o) => o.asObject?.name ?? ""))
  const enums = new Set(def.enums.map((e) => e.asEnum?.name ?? ""))
  const interfaces = new Set(def.interfaces.map((i) => i.asInterface?.name ?? ""))
  let implementers: Map<string, ReadonlyArray<string>> | undefined
  const self: Names = {
    implementers: (iface) => {
      implementers ??= implementations(self, def)
      return implementers.get(iface) ?? []
    },
    moduleName,
    typeName: (original) =>
      objects.has(original) || enums.has(original) || interfaces.has(original)
        ? Naming.namespaced(moduleName, original)
        : original,
    isModuleInterface: (original) => interfaces.has(original),
    isModuleObject: (original) => objects.has(original),
    isModuleEnum: (original) => enums.has(original),
    rootField: Naming.lowerCamel(moduleName)
  }
  return self
}

/** The GraphQL shape of a function: its return type and its arguments' types (for interface checks). */
const shapeOf = (n: Names, fn: Model.FunctionData) =>
  Either.all({
    type: typeExpr(n, fn.returnType, false, false),
    args: argSpecs(n, fn)
  })

/**
 * Which of the module's objects implement each of its interfaces (GraphQL names): an object implements an interface
 * when it has every function of it (a function, or a field for a function without arguments) with the same return
 * type (or its non-null form) and the same arguments, any extra argument being optional.
 *
 * @category combinators
 */
export const implementations = (n: Names, def: Model.ModuleDef): Map<string, ReadonlyArray<string>> => {
  const out = new Map<string, ReadonlyArray<string>>()
  for (const it of def.interfaces) {
    const iface = it.asInterface
    if (iface === undefined) continue
    const found: Array<string> = []
    for (const ot of def.objects) {
      const o = ot.asObject
      if (o === undefined) continue
      const ok = iface.functions.every((f) => {
        const want = shapeOf(n, f)
        if (Either.isLeft(want)) return false
        const name = Naming.lowerCamel(f.name)
        const fn = o.functions.find((g) => Naming.lowerCamel(g.name) === name)
        const field = o.fields.find((g) => Naming.lowerCamel(g.name) === name)
        const have = fn !== undefined
          ? shapeOf(n, fn)
          : field !== undefined
          ? Either.map(typeExpr(n, field.typeDef, false, false), (type) => ({ type, args: {} as Record<string, Api.ArgSpec> }))
          : undefined
        if (have === undefined || Either.isLeft(have)) return false
        const { args, type } = have.right
        if (type !== want.right.type && type !== `${want.right.type}!`) return false
        for (const [k, a] of Object.entries(want.right.args)) if (args[k]?.type !== a.type) return false
        for (const [k, a] of Object.entries(args)) {
          if (!(k in want.right.args) && a.type.endsWith("!") && a.default === undefined) return false
        }
        return true
      })
      if (ok) found.push(n.typeName(o.name))
    }
    out.set(n.typeName(iface.name), found)
  }
  return out
}

/**
 * The content name of a module's root object: its module identity, type and state.
 *
 * @category naming
 */
export const rootContent = (identity: string, typeName: string, state: unknown): string =>
  "sha256:" + createHash("sha256").update(JSON.stringify([identity, typeName, state])).digest("hex")

// ---------------------------------------------------------------------------------------------------------------
// type expressions

const scalarOf = (t: Model.TypeDefData): string | undefined => {
  switch (t.kind) {
    case "STRING_KIND":
      return "String"
    case "INTEGER_KIND":
      return "Int"
    case "FLOAT_KIND":
      return "Float"
    case "BOOLEAN_KIND":
      return "Boolean"
    case "VOID_KIND":
      return "Void"
    case "SCALAR_KIND":
      return t.asScalar?.name ?? "JSON"
    default:
      return undefined
  }
}

const elementOf = (t: Model.TypeDefData): Model.TypeDefData =>
  t.kind === "LIST_KIND" && t.asList !== undefined ? elementOf(t.asList.elementTypeDef) : t

/** Whether values of this type are objects (chain fields) rather than scalars (leaf fields). */
const isObjectType = (t: Model.TypeDefData): boolean =>
  t.kind === "OBJECT_KIND" || t.kind === "INTERFACE_KIND" ||
  (t.kind === "LIST_KIND" && t.asList !== undefined && isObjectType(t.asList.elementTypeDef))

const typeExpr = (n: Names, t: Model.TypeDefData, input: boolean, nullable: boolean): Either.Either<string, QueryError> => {
  const bang = nullable || t.optional || t.kind === "VOID_KIND" ? "" : "!"
  const s = scalarOf(t)
  if (s !== undefined) return Either.right(s + bang)
  switch (t.kind) {
    case "LIST_KIND": {
      if (t.asList === undefined) return Either.left(invalid("a list typedef without an element type"))
      return typeExpr(n, t.asList.elementTypeDef, input, false).pipe(Either.map((e) => `[${e}]${bang}`))
    }
    case "OBJECT_KIND": {
      const name = n.typeName(t.asObject?.name ?? "")
      return Either.right((input ? `${name}ID` : name) + bang)
    }
    case "ENUM_KIND":
      return Either.right(n.typeName(t.asEnum?.name ?? "") + bang)
    case "INTERFACE_KIND": {
      const name = t.asInterface?.name ?? ""
      if (!n.isModuleInterface(name)) return Either.left(unsupported(`interface ${name} is not declared by module ${n.moduleName}`))
      return Either.right((input ? `${n.typeName(name)}ID` : n.typeName(name)) + bang)
    }
    default:
      return Either.left(unsupported(`typedef kind ${t.kind} is not supported`))
  }
}

// ---------------------------------------------------------------------------------------------------------------
// values: GraphQL ⇄ the module's JSON

/**
 * Encodes an argument value (as resolvers receive it: IDs already loaded as values) as the module expects it:
 * core objects as their ID string, module objects as their state, lists element-wise.
 *
 * @category encoding
 */
export const encodeArg = (n: Names, t: Model.TypeDefData, v: unknown): unknown => {
  if (v === null || v === undefined) return null
  if (t.kind === "LIST_KIND" && t.asList !== undefined) {
    const elem = t.asList.elementTypeDef
    return (Array.isArray(v) ? v : [v]).map((x) => encodeArg(n, elem, x))
  }
  if (t.kind === "OBJECT_KIND") {
    const value = v as Api.Value
    return n.isModuleObject(t.asObject?.name ?? "") ? value.state : CallId.encode(value.id)
  }
  // the SDK reaches an interface value through `node(id:)`, whatever object implements it
  if (t.kind === "INTERFACE_KIND") return CallId.encode((v as Api.Value).id)
  return v
}

/**
 * Decodes a value the module returned (parsed JSON) into what a field resolver returns: a plain value for scalars,
 * chain results for objects (core objects are loaded by their ID in the caller's client).
 *
 * @category encoding
 */
export const decodeResult = (
  n: Names,
  t: Model.TypeDefData,
  v: unknown,
  ctx: Api.ClientContext,
  what: string
): Effect.Effect<unknown, ApiError> => {
  if (t.kind === "LIST_KIND" && t.asList !== undefined) {
    if (v === null || v === undefined) return Effect.succeed(t.optional || !isObjectType(t) ? null : [])
    if (!Array.isArray(v)) return Effect.fail(invalid(`${what}: expected a list, got ${Json.encode(v).slice(0, 80)}`))
    const elem = t.asList.elementTypeDef
    return Effect.forEach(v, (x, i) => decodeResult(n, elem, x, ctx, `${what}[${i}]`))
  }
  if (t.kind === "OBJECT_KIND") {
    const name = t.asObject?.name ?? ""
    if (v === null || v === undefined) {
      return Effect.fail(invalid(`${what}: returned null for ${t.optional ? "an optional" : "a"} ${name} (null objects are not supported)`))
    }
    if (n.isModuleObject(name)) {
      return typeof v === "object" && !Array.isArray(v)
        ? Effect.succeed(Api.state(v))
        : Effect.fail(invalid(`${what}: expected a ${name} object, got ${Json.encode(v).slice(0, 80)}`))
    }
    if (typeof v !== "string") return Effect.fail(invalid(`${what}: expected a ${name} ID, got ${Json.encode(v).slice(0, 80)}`))
    return Effect.try({
      try: () => CallId.decode(v),
      catch: (e) => invalid(`${what}: ${e instanceof Error ? e.message : String(e)}`)
    }).pipe(
      Effect.flatMap((id) => ctx.load(id)),
      Effect.filterOrFail(
        (value) => value._type === name,
        (value) => invalid(`${what}: expected a ${name}, got a ${value._type}`)
      ),
      Effect.map(Api.existing)
    )
  }
  if (t.kind === "INTERFACE_KIND") {
    const name = t.asInterface?.name ?? ""
    if (typeof v !== "string") return Effect.fail(invalid(`${what}: expected the ID of a ${name}, got ${Json.encode(v).slice(0, 80)}`))
    const type = n.typeName(name)
    return Effect.try({
      try: () => CallId.decode(v),
      catch: (e) => invalid(`${what}: ${e instanceof Error ? e.message : String(e)}`)
    }).pipe(
      Effect.flatMap((id) => ctx.load(id)),
      Effect.filterOrFail(
        (value) => n.implementers(type).includes(value._type),
        (value) => invalid(`${what}: expected a ${type}, got a ${value._type}, which does not implement it`)
      ),
      Effect.map(Api.existing)
    )
  }
  if (t.kind === "VOID_KIND") return Effect.succeed(null)
  return Effect.succeed(v === undefined ? null : v)
}

// ---------------------------------------------------------------------------------------------------------------
// fields

const argSpecs = (
  n: Names,
  fn: Model.FunctionData
): Either.Either<Record<string, Api.ArgSpec>, QueryError> =>
  Either.gen(function*() {
    const out: Record<string, Api.ArgSpec> = {}
    for (const a of fn.args) {
      const hasDefault = a.defaultValue !== undefined && a.defaultValue !== "null"
      const nullable = a.typeDef.optional || hasDefault || a.defaultPath !== "" || a.defaultAddress !== ""
      const type = yield* typeExpr(n, a.typeDef, true, nullable)
      let def: unknown = undefined
      if (hasDefault && a.typeDef.kind !== "OBJECT_KIND") {
        try {
          def = JSON.parse(a.defaultValue as string)
        } catch {
          def = undefined
        }
      }
      const name = Naming.lowerCamel(a.name)
      if (name in out) return yield* Either.left(invalid(`function ${fn.name}: duplicate argument ${name}`))
      out[name] = def === undefined || def === null ? { type, doc: a.description } : { type, doc: a.description, default: def }
    }
    return out
  })

/** The module's input args for a call: original names, JSON text, absent args omitted. */
const inputArgs = (n: Names, fn: Model.FunctionData, args: Record<string, unknown>): ReadonlyArray<CallContext.InputArg> =>
  fn.args.flatMap((a) => {
    const v = args[Naming.lowerCamel(a.name)]
    return v === undefined || v === null ? [] : [{ name: a.name, value: Json.encode(encodeArg(n, a.typeDef, v)) }]
  })

const functionField = (
  n: Names,
  parentName: string,
  fn: Model.FunctionData,
  invoker: Invoker,
  isConstructor: boolean,
  identity: string
): Either.Either<Api.FieldSpec, QueryError> =>
  Either.gen(function*() {
    const args = yield* argSpecs(n, fn)
    const returnType = fn.returnType
    const type = yield* typeExpr(n, returnType, false, false)
    const what = isConstructor ? `${n.moduleName} constructor` : `${parentName}.${fn.name}`
    const call = (parent: Api.Value | undefined, a: Record<string, unknown>, ctx: Api.ClientContext) =>
      Effect.gen(function*() {
        const given = { ...a }
        for (const arg of fn.args) {
          const name = Naming.lowerCamel(arg.name)
          if ((given[name] === undefined || given[name] === null) && arg.defaultPath !== "" && invoker.contextual !== undefined) {
            given[name] = yield* invoker.contextual(fn, arg, ctx)
          }
        }
        const request: CallContext.CallRequest = {
          parentName,
          name: isConstructor ? "" : fn.name,
          parent: parent === undefined ? "{}" : Json.encode(parent.state),
          inputArgs: inputArgs(n, fn, given)
        }
        const text = yield* invoker.call(request, fn, ctx)
        const value = yield* Json.decode(text, `${what} result`)
        return yield* decodeResult(n, returnType, value, ctx, what)
      })
    const doc = fn.description
    const deprecated = fn.deprecated === undefined ? {} : { deprecated: fn.deprecated || "deprecated" }
    if (isObjectType(returnType)) {
      // a `defaultPath` argument reads the host on each call: the call alone does not name the result either
      const stable = isConstructor || ((invoker.isStable?.(fn) ?? true) && fn.args.every((a) => a.defaultPath === ""))
      // a result that may change from call to call is named by what it is (module, type, state), so that each call
      // asks the module again while an ID of a result still names that result
      const named = (r: Api.ChainResult): Api.ChainResult =>
        r._tag === "State" ? Api.state(r.state, rootContent(identity, n.typeName(Model.typeName(elementOf(returnType))), r.state)) : r
      return {
        kind: "chain",
        type,
        doc,
        args,
        ...deprecated,
        ...(stable ? {} : { volatile: true }),
        run: (parent: Api.Value, a: Record<string, unknown>, ctx: Api.ClientContext) =>
          (call(isConstructor ? undefined : parent, a, ctx) as Effect.Effect<Api.ChainResult | ReadonlyArray<Api.ChainResult>, ApiError>).pipe(
            Effect.map((r) => (stable ? r : Array.isArray(r) ? r.map(named) : named(r as Api.ChainResult)))
          )
      } satisfies Api.ChainFieldSpec
    }
    return {
      kind: "leaf",
      type,
      doc,
      args,
      ...deprecated,
      run: (parent: Api.Value, a: Record<string, unknown>, ctx: Api.ClientContext) => call(parent, a, ctx)
    } satisfies Api.LeafFieldSpec
  })

const propertyField = (n: Names, f: Model.FieldTypeDefData): Either.Either<Api.FieldSpec, QueryError> =>
  typeExpr(n, f.typeDef, false, false).pipe(
    Either.map((type): Api.FieldSpec => {
      const read = (parent: Api.Value, ctx: Api.ClientContext) => {
        const state = parent.state as Record<string, unknown> | null
        return decodeResult(n, f.typeDef, state?.[f.name], ctx, `${parent._type}.${f.name}`)
      }
      const deprecated = f.deprecated === undefined ? {} : { deprecated: f.deprecated || "deprecated" }
      return isObjectType(f.typeDef)
        ? {
          kind: "chain",
          type,
          doc: f.description,
          ...deprecated,
          run: (p, _a, ctx) => read(p, ctx) as Effect.Effect<Api.ChainResult | ReadonlyArray<Api.ChainResult>, ApiError>
        }
        : { kind: "leaf", type, doc: f.description, ...deprecated, run: (p, _a, ctx) => read(p, ctx) }
    })
  )

/**
 * A module enum as a GraphQL enum: member names GraphQL-ized (`Naming.enumMember`), each standing for the member's
 * original name, which is what the module's SDK reads and returns (and what it translates to the member's value).
 * Two members with one GraphQL name are an error naming both.
 *
 * @category constructors
 */
export const enumSpec = (n: Names, e: Model.EnumTypeDefData): Either.Either<Api.EnumSpec, QueryError> => {
  const seen = new Map<string, string>()
  const values: Array<{ name: string; value: string; doc: string }> = []
  for (const m of e.members) {
    const name = Naming.enumMember(m.name)
    const other = seen.get(name)
    if (other !== undefined) {
      return Either.left(invalid(`enum ${e.name}: members ${other} and ${m.name} both become ${name} in GraphQL`))
    }
    seen.set(name, m.name)
    values.push({ name, value: m.name, doc: m.description })
  }
  return Either.right({ name: n.typeName(e.name), doc: e.description, values })
}

/**
 * The API spec of a module: its object types, enums, and its root field.
 *
 * @category constructors
 */
export const toApiSpec = (
  moduleName: string,
  def: Model.ModuleDef,
  invoker: Invoker,
  /** Identifies the module's code (its content digest): root objects are named by it and by their state. */
  identity: string,
  /** The name its constructor is served under when it differs from the module's (a renamed dependency). */
  servedName: string = moduleName
): Either.Either<Api.ApiSpec, QueryError> =>
  Either.gen(function*() {
    const n = { ...names(moduleName, def), rootField: Naming.lowerCamel(servedName) }
    const interfaceNames = def.interfaces.flatMap((t) => (t.asInterface === undefined ? [] : [n.typeName(t.asInterface.name)]))
    const objects: Array<Api.ObjectSpec> = []
    let main: Model.ObjectTypeDefData | undefined
    for (const t of def.objects) {
      const o = t.asObject
      if (o === undefined) continue
      if (Naming.isMainObject(moduleName, o.name)) main = o
      const fields: Record<string, Api.FieldSpec> = {}
      const add = (name: string, f: Api.FieldSpec) => {
        if (name === "id" || name === "sync") return Either.left(invalid(`${o.name}: the name ${name} is reserved`))
        if (name in fields) return Either.left(invalid(`${o.name}: duplicate field ${name}`))
        fields[name] = f
        return Either.void
      }
      for (const f of o.fields) yield* add(Naming.lowerCamel(f.name), yield* propertyField(n, f))
      for (const fn of o.functions) yield* add(Naming.lowerCamel(fn.name), yield* functionField(n, o.name, fn, invoker, false, identity))
      const type = n.typeName(o.name)
      const implemented = interfaceNames.filter((i) => n.implementers(i).includes(type))
      // `as<Interface>`: the same object, as the interface (Dagger's conversion field)
      for (const i of implemented) {
        yield* add(`as${i}`, {
          kind: "chain",
          type: `${i}!`,
          doc: `Converts this ${type} to a ${i}.`,
          run: (p: Api.Value) => Effect.succeed(Api.existing(p))
        })
      }
      objects.push({ name: type, doc: o.description, fields, interfaces: implemented })
    }
    const interfaces: Array<Api.InterfaceSpec> = []
    for (const t of def.interfaces) {
      const i = t.asInterface
      if (i === undefined) continue
      const fields: Record<string, Api.FieldSpec> = {}
      for (const fn of i.functions) {
        const name = Naming.lowerCamel(fn.name)
        if (name === "id" || name in fields) return yield* Either.left(invalid(`interface ${i.name}: duplicate or reserved function ${name}`))
        // resolved by the implementing object's own field, never through the interface
        fields[name] = yield* functionField(n, i.name, fn, invoker, false, identity)
      }
      interfaces.push({ name: n.typeName(i.name), doc: i.description, fields })
    }
    if (main === undefined) {
      return yield* Either.left(
        invalid(`module ${moduleName} has no main object (a class named ${Naming.pascal(moduleName)})`)
      )
    }
    const mainType = n.typeName(main.name)
    // The root object is named by the module's identity and its state, so that IDs of calls on it (memoized
    // engine-wide by digest) never mix two modules that share a name. Hence volatile: the call itself is not
    // memoized (the invoker caches constructor calls).
    const named = (r: Api.ChainResult): Api.ChainResult =>
      r._tag === "State" ? Api.state(r.state, rootContent(identity, mainType, r.state)) : r
    const root: Api.FieldSpec = main.ctor === undefined
      ? {
        kind: "chain",
        type: `${mainType}!`,
        doc: main.description,
        volatile: true,
        run: () => Effect.succeed(named(Api.state({})))
      }
      : yield* functionField(n, main.name, {
        ...main.ctor,
        returnType: { kind: "OBJECT_KIND", optional: false, asObject: main },
        description: main.ctor.description || main.description
      }, invoker, true, identity).pipe(Either.map((f): Api.FieldSpec =>
        f.kind === "chain"
          ? {
            ...f,
            volatile: true,
            run: (p, a, ctx) => f.run(p, a, ctx).pipe(Effect.map((r) => (Array.isArray(r) ? r : named(r as Api.ChainResult))))
          }
          : f
      ))
    objects.push({ name: "Query", doc: "The root of the API.", fields: { [n.rootField]: root } })
    const enums: Array<Api.EnumSpec> = []
    for (const t of def.enums) if (t.asEnum !== undefined) enums.push(yield* enumSpec(n, t.asEnum))
    return { objects, enums, interfaces }
  })
