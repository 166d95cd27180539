/**
 * The module API that SDK runtimes call (`typeDef`, `function`, `module`, `sourceMap`, `error`, `currentModule`,
 * `currentFunctionCall`) as an API spec. Every builder is a chain field over plain data (see `Model.ts`), so IDs of
 * typedefs replay; `returnValue` / `returnError` record into the call's context (`CallContext.ts`).
 *
 * `Module`'s getters and `serve` need the module runtime and are contributed by `ModuleSource.ts`.
 */
import { Effect, Either } from "effect"
import * as Api from "../Core/Api.js"
import { type ApiError, invalid, QueryError } from "../Core/Errors.js"
import * as CallId from "../Dag/CallId.js"
import * as CachePolicy from "./CachePolicy.js"
import * as CallContext from "./CallContext.js"
import * as Json from "./Json.js"
import * as Model from "./Model.js"

// ---------------------------------------------------------------------------------------------------------------
// field helpers

type Run<T, A, R> = (state: T, args: A, ctx: Api.ClientContext) => Effect.Effect<R, ApiError> | R

const lift = <R>(r: Effect.Effect<R, ApiError> | R): Effect.Effect<R, ApiError> =>
  Effect.isEffect(r) ? (r as Effect.Effect<R, ApiError>) : Effect.succeed(r as R)

const leaf = <T>(type: string, doc: string, get: (s: T) => unknown): Api.LeafFieldSpec => ({
  kind: "leaf",
  type,
  doc,
  run: (p: Api.Value<T>) => Effect.succeed(get(p.state))
})

/** A getter returning a nested object; fails when the (nullable) value is absent. */
const sub = <T>(type: string, doc: string, get: (s: T) => unknown, absent: string): Api.ChainFieldSpec => ({
  kind: "chain",
  type,
  doc,
  run: (p: Api.Value<T>) => {
    const v = get(p.state)
    return v === undefined || v === null ? Effect.fail(invalid(absent)) : Effect.succeed(Api.state(v))
  }
})

const subList = <T>(type: string, doc: string, get: (s: T) => ReadonlyArray<unknown>): Api.ChainFieldSpec => ({
  kind: "chain",
  type,
  doc,
  run: (p: Api.Value<T>) => Effect.succeed(get(p.state).map((x) => Api.state(x)))
})

const builder = <T, A = Record<string, unknown>>(
  type: string,
  doc: string,
  args: Readonly<Record<string, Api.ArgSpec>>,
  run: Run<T, A, T>
): Api.ChainFieldSpec => ({
  kind: "chain",
  type,
  doc,
  args,
  run: (p: Api.Value<T>, a: A, ctx) => lift(run(p.state, a, ctx)).pipe(Effect.map((s) => Api.state(s)))
})

const stateOf = <T>(v: unknown): T => (v as Api.Value<T>).state
const optState = <T>(v: unknown): T | undefined => (v === undefined || v === null ? undefined : stateOf<T>(v))
const optString = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined)

const arg = (type: string, doc: string, def?: unknown): Api.ArgSpec =>
  def === undefined ? { type, doc } : { type, doc, default: def }

// ---------------------------------------------------------------------------------------------------------------
// enums

const kindDocs: Record<Model.Kind, string> = {
  STRING_KIND: "A string value.",
  INTEGER_KIND: "An integer value.",
  FLOAT_KIND: "A float value.",
  BOOLEAN_KIND: "A boolean value.",
  SCALAR_KIND: "A scalar value of any basic kind.",
  LIST_KIND: "A list of values all having the same type.",
  OBJECT_KIND: "A GraphQL object type with its own functions.",
  INTERFACE_KIND: "A GraphQL interface type.",
  INPUT_KIND: "A graphql input type, used only when representing the core API via TypeDefs.",
  VOID_KIND: "A special kind used to signify that no value is returned.",
  ENUM_KIND: "A GraphQL enum type and its values."
}

const typeDefKind: Api.EnumSpec = {
  name: "TypeDefKind",
  doc: "Distinguishes the different kinds of TypeDefs.",
  // aliases first: a value shared by two names serializes as the last one, the canonical `_KIND` name
  values: [
    ...Model.kinds.map((k) => ({ name: k.slice(0, -"_KIND".length), value: k, doc: kindDocs[k] })),
    ...Model.kinds.map((k) => ({ name: k, value: k, doc: kindDocs[k] }))
  ]
}

const functionCachePolicy: Api.EnumSpec = {
  name: "FunctionCachePolicy",
  doc: "The behavior configured for function result caching.",
  values: [
    { name: "Default", doc: "Results are cached (optionally for a time-to-live)." },
    { name: "PerSession", doc: "Results are cached for the session only." },
    { name: "Never", doc: "Results are never cached." }
  ]
}

// ---------------------------------------------------------------------------------------------------------------
// TypeDef builders

const withFunctionOn = (t: Model.TypeDefData, fn: Model.FunctionData): Effect.Effect<Model.TypeDefData, QueryError> => {
  if (t.asObject) return Effect.succeed({ ...t, asObject: { ...t.asObject, functions: [...t.asObject.functions, fn] } })
  if (t.asInterface) {
    return Effect.succeed({ ...t, asInterface: { ...t.asInterface, functions: [...t.asInterface.functions, fn] } })
  }
  return Effect.fail(invalid(`withFunction: the typedef is a ${t.kind}, not an object or interface`))
}

const requireObject = (t: Model.TypeDefData, what: string): Effect.Effect<Model.ObjectTypeDefData, QueryError> =>
  t.asObject ? Effect.succeed(t.asObject) : Effect.fail(invalid(`${what}: the typedef is a ${t.kind}, not an object`))

const sourceMapArg = (type = "SourceMapID") => arg(type, "The source map of the declaration.")

const typeDefObject: Api.ObjectSpec = {
  name: "TypeDef",
  doc: "A definition of a parameter or return type in a Module.",
  fields: {
    kind: leaf<Model.TypeDefData>("TypeDefKind!", "The kind of type this is (e.g. primitive, list, object).", (s) => s.kind),
    optional: leaf<Model.TypeDefData>("Boolean!", "Whether this type can be set to null.", (s) => s.optional),
    name: leaf<Model.TypeDefData>("String!", "The name of the type, for named types.", Model.typeName),
    asObject: sub<Model.TypeDefData>("ObjectTypeDef", "If kind is OBJECT, the object-specific type definition.", (s) => s.asObject, "the typedef is not an object"),
    asInterface: sub<Model.TypeDefData>("InterfaceTypeDef", "If kind is INTERFACE, the interface-specific type definition.", (s) => s.asInterface, "the typedef is not an interface"),
    asList: sub<Model.TypeDefData>("ListTypeDef", "If kind is LIST, the list-specific type definition.", (s) => s.asList, "the typedef is not a list"),
    asEnum: sub<Model.TypeDefData>("EnumTypeDef", "If kind is ENUM, the enum-specific type definition.", (s) => s.asEnum, "the typedef is not an enum"),
    asScalar: sub<Model.TypeDefData>("ScalarTypeDef", "If kind is SCALAR, the scalar-specific type definition.", (s) => s.asScalar, "the typedef is not a scalar"),
    withKind: builder<Model.TypeDefData, { kind: Model.Kind }>(
      "TypeDef!",
      "Sets the kind of the type.",
      { kind: arg("TypeDefKind!", "The kind of the type.") },
      (s, a) => ({ ...s, kind: a.kind })
    ),
    withOptional: builder<Model.TypeDefData, { optional: boolean }>(
      "TypeDef!",
      "Sets whether this type can be set to null.",
      { optional: arg("Boolean!", "Whether the type is optional.") },
      (s, a) => ({ ...s, optional: a.optional })
    ),
    withListOf: builder<Model.TypeDefData, { elementType: unknown }>(
      "TypeDef!",
      "Returns a TypeDef of kind List with the provided type for its elements.",
      { elementType: arg("TypeDefID!", "The type of the elements of the list.") },
      (s, a) => ({ kind: "LIST_KIND", optional: s.optional, asList: { elementTypeDef: stateOf<Model.TypeDefData>(a.elementType) } })
    ),
    withObject: builder<Model.TypeDefData, { name: string; description: string; sourceMap?: unknown; deprecated?: string }>(
      "TypeDef!",
      "Returns a TypeDef of kind Object with the provided name (a reference by name until the module is installed).",
      {
        name: arg("String!", "The name of the object."),
        description: arg("String", "The object's description.", ""),
        sourceMap: sourceMapArg(),
        deprecated: arg("String", "Why the object is deprecated.")
      },
      (s, a) => ({
        kind: "OBJECT_KIND",
        optional: s.optional,
        asObject: {
          name: a.name,
          description: a.description ?? "",
          fields: [],
          functions: [],
          sourceMap: optState<Model.SourceMapData>(a.sourceMap),
          deprecated: optString(a.deprecated),
          sourceModuleName: ""
        }
      })
    ),
    withInterface: builder<Model.TypeDefData, { name: string; description: string; sourceMap?: unknown }>(
      "TypeDef!",
      "Returns a TypeDef of kind Interface with the provided name.",
      {
        name: arg("String!", "The name of the interface."),
        description: arg("String", "The interface's description.", ""),
        sourceMap: sourceMapArg()
      },
      (s, a) => ({
        kind: "INTERFACE_KIND",
        optional: s.optional,
        asInterface: {
          name: a.name,
          description: a.description ?? "",
          functions: [],
          sourceMap: optState<Model.SourceMapData>(a.sourceMap),
          sourceModuleName: ""
        }
      })
    ),
    withScalar: builder<Model.TypeDefData, { name: string; description: string }>(
      "TypeDef!",
      "Returns a TypeDef of kind Scalar with the provided name.",
      { name: arg("String!", "The name of the scalar."), description: arg("String", "The scalar's description.", "") },
      (s, a) => ({
        kind: "SCALAR_KIND",
        optional: s.optional,
        asScalar: { name: a.name, description: a.description ?? "", sourceModuleName: "" }
      })
    ),
    withEnum: builder<Model.TypeDefData, { name: string; description: string; sourceMap?: unknown }>(
      "TypeDef!",
      "Returns a TypeDef of kind Enum with the provided name.",
      {
        name: arg("String!", "The name of the enum."),
        description: arg("String", "The enum's description.", ""),
        sourceMap: sourceMapArg()
      },
      (s, a) => ({
        kind: "ENUM_KIND",
        optional: s.optional,
        asEnum: {
          name: a.name,
          description: a.description ?? "",
          members: [],
          sourceMap: optState<Model.SourceMapData>(a.sourceMap),
          sourceModuleName: ""
        }
      })
    ),
    withEnumMember: builder<Model.TypeDefData, { name: string; value?: string; description?: string; sourceMap?: unknown; deprecated?: string }>(
      "TypeDef!",
      "Adds a member to an Enum TypeDef.",
      {
        name: arg("String!", "The name of the member."),
        value: arg("String", "The value of the member.", ""),
        description: arg("String", "The member's description.", ""),
        sourceMap: sourceMapArg(),
        deprecated: arg("String", "Why the member is deprecated.")
      },
      (s, a) =>
        s.asEnum
          ? Effect.succeed({
            ...s,
            asEnum: {
              ...s.asEnum,
              members: [...s.asEnum.members, {
                name: a.name,
                value: a.value === undefined || a.value === "" ? a.name : a.value,
                description: a.description ?? "",
                sourceMap: optState<Model.SourceMapData>(a.sourceMap),
                deprecated: optString(a.deprecated)
              }]
            }
          })
          : Effect.fail(invalid(`withEnumMember: the typedef is a ${s.kind}, not an enum`))
    ),
    withEnumValue: builder<Model.TypeDefData, { value: string; description?: string; sourceMap?: unknown; deprecated?: string }>(
      "TypeDef!",
      "Adds a value to an Enum TypeDef (deprecated: use withEnumMember).",
      {
        value: arg("String!", "The name of the value."),
        description: arg("String", "The value's description.", ""),
        sourceMap: sourceMapArg(),
        deprecated: arg("String", "Why the value is deprecated.")
      },
      (s, a) =>
        s.asEnum
          ? Effect.succeed({
            ...s,
            asEnum: {
              ...s.asEnum,
              members: [...s.asEnum.members, {
                name: a.value,
                value: a.value,
                description: a.description ?? "",
                sourceMap: optState<Model.SourceMapData>(a.sourceMap),
                deprecated: optString(a.deprecated)
              }]
            }
          })
          : Effect.fail(invalid(`withEnumValue: the typedef is a ${s.kind}, not an enum`))
    ),
    withField: builder<Model.TypeDefData, { name: string; typeDef: unknown; description?: string; sourceMap?: unknown; deprecated?: string }>(
      "TypeDef!",
      "Adds a static field to an Object TypeDef.",
      {
        name: arg("String!", "The name of the field."),
        typeDef: arg("TypeDefID!", "The type of the field."),
        description: arg("String", "The field's description.", ""),
        sourceMap: sourceMapArg(),
        deprecated: arg("String", "Why the field is deprecated.")
      },
      (s, a) =>
        requireObject(s, "withField").pipe(Effect.map((o) => ({
          ...s,
          asObject: {
            ...o,
            fields: [...o.fields, {
              name: a.name,
              description: a.description ?? "",
              typeDef: stateOf<Model.TypeDefData>(a.typeDef),
              sourceMap: optState<Model.SourceMapData>(a.sourceMap),
              deprecated: optString(a.deprecated)
            }]
          }
        })))
    ),
    withFunction: builder<Model.TypeDefData, { function: unknown }>(
      "TypeDef!",
      "Adds a function to an Object or Interface TypeDef.",
      { function: arg("FunctionID!", "The function.") },
      (s, a) => withFunctionOn(s, stateOf<Model.FunctionData>(a.function))
    ),
    withConstructor: builder<Model.TypeDefData, { function: unknown }>(
      "TypeDef!",
      "Adds a constructor to an Object TypeDef.",
      { function: arg("FunctionID!", "The constructor.") },
      (s, a) =>
        requireObject(s, "withConstructor").pipe(
          Effect.map((o) => ({ ...s, asObject: { ...o, ctor: stateOf<Model.FunctionData>(a.function) } }))
        )
    )
  }
}

// ---------------------------------------------------------------------------------------------------------------
// the typedef getters' objects

const sourceMapField = <T extends { readonly sourceMap?: Model.SourceMapData | undefined }>() =>
  sub<T>("SourceMap", "The location of the declaration in the module's source code.", (s) => s.sourceMap, "no source map")

const objectTypeDef: Api.ObjectSpec = {
  name: "ObjectTypeDef",
  doc: "A definition of a custom object defined in a Module.",
  fields: {
    name: leaf<Model.ObjectTypeDefData>("String!", "The name of the object.", (s) => s.name),
    description: leaf<Model.ObjectTypeDefData>("String!", "The doc string for the object, if any.", (s) => s.description),
    deprecated: leaf<Model.ObjectTypeDefData>("String", "The reason this object is deprecated, if any.", (s) => s.deprecated ?? null),
    sourceModuleName: leaf<Model.ObjectTypeDefData>("String!", "The module this object originates from.", (s) => s.sourceModuleName),
    fields: subList<Model.ObjectTypeDefData>("[FieldTypeDef!]!", "Static fields defined on this object, if any.", (s) => s.fields),
    functions: subList<Model.ObjectTypeDefData>("[Function!]!", "Functions defined on this object, if any.", (s) => s.functions),
    constructor: sub<Model.ObjectTypeDefData>("Function", "The function used to construct new instances of this object, if any.", (s) => s.ctor, "the object has no constructor"),
    sourceMap: sourceMapField<Model.ObjectTypeDefData>()
  }
}

const interfaceTypeDef: Api.ObjectSpec = {
  name: "InterfaceTypeDef",
  doc: "A definition of a custom interface defined in a Module.",
  fields: {
    name: leaf<Model.InterfaceTypeDefData>("String!", "The name of the interface.", (s) => s.name),
    description: leaf<Model.InterfaceTypeDefData>("String!", "The doc string for the interface, if any.", (s) => s.description),
    sourceModuleName: leaf<Model.InterfaceTypeDefData>("String!", "The module this interface originates from.", (s) => s.sourceModuleName),
    functions: subList<Model.InterfaceTypeDefData>("[Function!]!", "Functions defined on this interface, if any.", (s) => s.functions),
    sourceMap: sourceMapField<Model.InterfaceTypeDefData>()
  }
}

const fieldTypeDef: Api.ObjectSpec = {
  name: "FieldTypeDef",
  doc: "A definition of a field on a custom object defined in a Module.",
  fields: {
    name: leaf<Model.FieldTypeDefData>("String!", "The name of the field.", (s) => s.name),
    description: leaf<Model.FieldTypeDefData>("String!", "A doc string for the field, if any.", (s) => s.description),
    deprecated: leaf<Model.FieldTypeDefData>("String", "The reason this field is deprecated, if any.", (s) => s.deprecated ?? null),
    typeDef: sub<Model.FieldTypeDefData>("TypeDef!", "The type of the field.", (s) => s.typeDef, "no typedef"),
    sourceMap: sourceMapField<Model.FieldTypeDefData>()
  }
}

const listTypeDef: Api.ObjectSpec = {
  name: "ListTypeDef",
  doc: "A definition of a list type in a Module.",
  fields: {
    elementTypeDef: sub<Model.ListTypeDefData>("TypeDef!", "The type of the elements in the list.", (s) => s.elementTypeDef, "no element type")
  }
}

const scalarTypeDef: Api.ObjectSpec = {
  name: "ScalarTypeDef",
  doc: "A definition of a custom scalar defined in a Module.",
  fields: {
    name: leaf<Model.ScalarTypeDefData>("String!", "The name of the scalar.", (s) => s.name),
    description: leaf<Model.ScalarTypeDefData>("String!", "A doc string for the scalar, if any.", (s) => s.description),
    sourceModuleName: leaf<Model.ScalarTypeDefData>("String!", "The module this scalar originates from.", (s) => s.sourceModuleName)
  }
}

const enumTypeDef: Api.ObjectSpec = {
  name: "EnumTypeDef",
  doc: "A definition of a custom enum defined in a Module.",
  fields: {
    name: leaf<Model.EnumTypeDefData>("String!", "The name of the enum.", (s) => s.name),
    description: leaf<Model.EnumTypeDefData>("String!", "A doc string for the enum, if any.", (s) => s.description),
    sourceModuleName: leaf<Model.EnumTypeDefData>("String!", "The module this enum originates from.", (s) => s.sourceModuleName),
    members: subList<Model.EnumTypeDefData>("[EnumValueTypeDef!]!", "The members of the enum.", (s) => s.members),
    values: { ...subList<Model.EnumTypeDefData>("[EnumValueTypeDef!]!", "The members of the enum.", (s) => s.members), deprecated: "use members instead" },
    sourceMap: sourceMapField<Model.EnumTypeDefData>()
  }
}

const enumValueTypeDef: Api.ObjectSpec = {
  name: "EnumValueTypeDef",
  doc: "A definition of a value in a custom enum defined in a Module.",
  fields: {
    name: leaf<Model.EnumValueTypeDefData>("String!", "The name of the enum member.", (s) => s.name),
    value: leaf<Model.EnumValueTypeDefData>("String!", "The value of the enum member.", (s) => s.value),
    description: leaf<Model.EnumValueTypeDefData>("String!", "A doc string for the enum member, if any.", (s) => s.description),
    deprecated: leaf<Model.EnumValueTypeDefData>("String", "The reason this member is deprecated, if any.", (s) => s.deprecated ?? null),
    sourceMap: sourceMapField<Model.EnumValueTypeDefData>()
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Function and FunctionArg

const functionObject: Api.ObjectSpec = {
  name: "Function",
  doc: "A function defined on an object or interface of a Module.",
  fields: {
    name: leaf<Model.FunctionData>("String!", "The name of the function.", (s) => s.name),
    description: leaf<Model.FunctionData>("String!", "A doc string for the function, if any.", (s) => s.description),
    deprecated: leaf<Model.FunctionData>("String", "The reason this function is deprecated, if any.", (s) => s.deprecated ?? null),
    sourceModuleName: leaf<Model.FunctionData>("String!", "The module this function originates from.", (s) => s.sourceModuleName),
    cachePolicy: leaf<Model.FunctionData>("FunctionCachePolicy!", "How the function's results are cached.", (s) => s.cachePolicy),
    args: subList<Model.FunctionData>("[FunctionArg!]!", "Arguments accepted by the function, if any.", (s) => s.args),
    returnType: sub<Model.FunctionData>("TypeDef!", "The type returned by the function.", (s) => s.returnType, "no return type"),
    sourceMap: sourceMapField<Model.FunctionData>(),
    withDescription: builder<Model.FunctionData, { description: string }>(
      "Function!",
      "Returns the function with the given doc string.",
      { description: arg("String!", "The doc string.") },
      (s, a) => ({ ...s, description: a.description })
    ),
    withSourceMap: builder<Model.FunctionData, { sourceMap: unknown }>(
      "Function!",
      "Returns the function with the given source map.",
      { sourceMap: arg("SourceMapID!", "The source map of the function's declaration.") },
      (s, a) => ({ ...s, sourceMap: stateOf<Model.SourceMapData>(a.sourceMap) })
    ),
    withArg: builder<Model.FunctionData, {
      name: string
      typeDef: unknown
      description?: string
      defaultValue?: unknown
      defaultPath?: string
      ignore?: ReadonlyArray<string>
      sourceMap?: unknown
      deprecated?: string
      defaultAddress?: string
    }>(
      "Function!",
      "Returns the function with the provided argument.",
      {
        name: arg("String!", "The name of the argument."),
        typeDef: arg("TypeDefID!", "The type of the argument."),
        description: arg("String", "A doc string for the argument, if any.", ""),
        defaultValue: arg("JSON", "A default value to use for this argument if not explicitly set by the caller, if any."),
        defaultPath: arg("String", "For a Directory or File argument: load it from this path of the context directory when not set.", ""),
        ignore: arg("[String!]", "Patterns to ignore when loading the contextual argument value.", []),
        sourceMap: sourceMapArg(),
        deprecated: arg("String", "Why the argument is deprecated."),
        defaultAddress: arg("String", "For a Container argument: the image address to use when not set.", "")
      },
      (s, a) =>
        Effect.gen(function*() {
          const defaultValue = a.defaultValue === undefined || a.defaultValue === null
            ? undefined
            : yield* Json.validate(a.defaultValue, `withArg(${a.name}).defaultValue`)
          const fa: Model.FunctionArgData = {
            name: a.name,
            description: a.description ?? "",
            typeDef: stateOf<Model.TypeDefData>(a.typeDef),
            defaultValue,
            defaultPath: a.defaultPath ?? "",
            defaultAddress: a.defaultAddress ?? "",
            ignore: a.ignore ?? [],
            sourceMap: optState<Model.SourceMapData>(a.sourceMap),
            deprecated: optString(a.deprecated)
          }
          return { ...s, args: [...s.args, fa] }
        })
    ),
    withCachePolicy: builder<Model.FunctionData, { policy: Model.CachePolicy; timeToLive?: string }>(
      "Function!",
      "Returns the function with the given cache policy.",
      {
        policy: arg("FunctionCachePolicy!", "The cache policy."),
        timeToLive: arg("String", "For the Default policy: how long a result stays cached (e.g. \"5m\").")
      },
      (s, a) => {
        const ttl = optString(a.timeToLive)
        if (ttl === undefined || ttl === "") return { ...s, cachePolicy: a.policy, timeToLive: undefined }
        const checked = CachePolicy.checkTimeToLive(ttl)
        return Either.isLeft(checked)
          ? Effect.fail(invalid(`function ${s.name}: withCachePolicy(timeToLive:): ${checked.left}`))
          : Effect.succeed({ ...s, cachePolicy: a.policy, timeToLive: ttl })
      }
    ),
    withDeprecated: builder<Model.FunctionData, { reason?: string }>(
      "Function!",
      "Returns the function marked as deprecated.",
      { reason: arg("String", "Why the function is deprecated.") },
      (s, a) => ({ ...s, deprecated: a.reason ?? "" })
    ),
    withCheck: builder<Model.FunctionData>("Function!", "Returns the function marked as a check.", {}, (s) => ({ ...s, check: true })),
    withGenerator: builder<Model.FunctionData>("Function!", "Returns the function marked as a generator.", {}, (s) => ({ ...s, generator: true })),
    withUp: builder<Model.FunctionData>("Function!", "Returns the function marked as a service to bring up.", {}, (s) => ({ ...s, up: true }))
  }
}

const functionArg: Api.ObjectSpec = {
  name: "FunctionArg",
  doc: "An argument accepted by a function.",
  fields: {
    name: leaf<Model.FunctionArgData>("String!", "The name of the argument.", (s) => s.name),
    description: leaf<Model.FunctionArgData>("String!", "A doc string for the argument, if any.", (s) => s.description),
    typeDef: sub<Model.FunctionArgData>("TypeDef!", "The type of the argument.", (s) => s.typeDef, "no typedef"),
    defaultValue: leaf<Model.FunctionArgData>("JSON!", "The default value (JSON), or null.", (s) => s.defaultValue ?? "null"),
    defaultPath: leaf<Model.FunctionArgData>("String!", "Contextual path of a Directory or File argument's default.", (s) => s.defaultPath),
    defaultAddress: leaf<Model.FunctionArgData>("String!", "Default image address of a Container argument.", (s) => s.defaultAddress),
    ignore: leaf<Model.FunctionArgData>("[String!]!", "Patterns to ignore when loading the contextual argument value.", (s) => s.ignore),
    deprecated: leaf<Model.FunctionArgData>("String", "The reason this argument is deprecated, if any.", (s) => s.deprecated ?? null),
    sourceMap: sourceMapField<Model.FunctionArgData>()
  }
}

// ---------------------------------------------------------------------------------------------------------------
// SourceMap, Error, Module builders

const sourceMap: Api.ObjectSpec = {
  name: "SourceMap",
  doc: "The location of a declaration in a module's source code.",
  fields: {
    filename: leaf<Model.SourceMapData>("String!", "The filename from the module source.", (s) => s.filename),
    line: leaf<Model.SourceMapData>("Int!", "The line number within the filename.", (s) => s.line),
    column: leaf<Model.SourceMapData>("Int!", "The column number within the line.", (s) => s.column),
    module: leaf<Model.SourceMapData>("String!", "The module dependency this was declared in.", (s) => s.module),
    url: leaf<Model.SourceMapData>("String!", "The URL to the file, if any.", (s) => s.url)
  }
}

const errorObject: Api.ObjectSpec = {
  name: "Error",
  doc: "An error returned by a module function.",
  fields: {
    message: leaf<Model.ErrorData>("String!", "A description of the error.", (s) => s.message),
    values: subList<Model.ErrorData>("[ErrorValue!]!", "The extensions of the error.", (s) => s.values),
    withValue: builder<Model.ErrorData, { name: string; value: unknown }>(
      "Error!",
      "Adds a value to the error's extensions.",
      { name: arg("String!", "The name of the value."), value: arg("JSON!", "The value (JSON).") },
      (s, a) =>
        Json.validate(a.value, `Error.withValue(${a.name})`).pipe(
          Effect.map((value) => ({ ...s, values: [...s.values, { name: a.name, value }] }))
        )
    )
  }
}

const errorValue: Api.ObjectSpec = {
  name: "ErrorValue",
  doc: "A value of an error's extensions.",
  fields: {
    name: leaf<Model.ErrorValueData>("String!", "The name of the value.", (s) => s.name),
    value: leaf<Model.ErrorValueData>("JSON!", "The value (JSON).", (s) => s.value)
  }
}

const moduleBuilders: Api.ObjectSpec = {
  name: "Module",
  doc: "A Dagger module.",
  fields: {
    withDescription: builder<Model.ModuleState, { description: string }>(
      "Module!",
      "Returns the module with the given doc string.",
      { description: arg("String!", "The doc string.") },
      (s, a) => ({ ...s, def: { ...s.def, description: a.description } })
    ),
    withObject: builder<Model.ModuleState, { object: unknown }>(
      "Module!",
      "Returns the module with the object added.",
      { object: arg("TypeDefID!", "The object's typedef.") },
      (s, a) => {
        const t = stateOf<Model.TypeDefData>(a.object)
        return t.asObject
          ? Effect.succeed({ ...s, def: { ...s.def, objects: [...s.def.objects, t] } })
          : Effect.fail(invalid(`withObject: the typedef is a ${t.kind}, not an object`))
      }
    ),
    withInterface: builder<Model.ModuleState, { iface: unknown }>(
      "Module!",
      "Returns the module with the interface added.",
      { iface: arg("TypeDefID!", "The interface's typedef.") },
      (s, a) => {
        const t = stateOf<Model.TypeDefData>(a.iface)
        return t.asInterface
          ? Effect.succeed({ ...s, def: { ...s.def, interfaces: [...s.def.interfaces, t] } })
          : Effect.fail(invalid(`withInterface: the typedef is a ${t.kind}, not an interface`))
      }
    ),
    withEnum: builder<Model.ModuleState, { enum: unknown }>(
      "Module!",
      "Returns the module with the enum added.",
      { enum: arg("TypeDefID!", "The enum's typedef.") },
      (s, a) => {
        const t = stateOf<Model.TypeDefData>(a.enum)
        return t.asEnum
          ? Effect.succeed({ ...s, def: { ...s.def, enums: [...s.def.enums, t] } })
          : Effect.fail(invalid(`withEnum: the typedef is a ${t.kind}, not an enum`))
      }
    )
  }
}

// ---------------------------------------------------------------------------------------------------------------
// the call context: CurrentModule, FunctionCall, FunctionCallArgValue

interface CurrentModuleState {
  readonly callKey: string
  readonly name: string
}

type FunctionCallState = CallContext.CallRequest & { readonly callKey: string }

const currentModule: Api.ObjectSpec = {
  name: "CurrentModule",
  doc: "Reflective module API provided to functions at runtime.",
  fields: {
    name: leaf<CurrentModuleState>("String!", "The name of the module being executed in.", (s) => s.name)
  }
}

/** The call this request belongs to, checked against the object it reaches it through. */
const sameCall = (ctx: Api.ClientContext, s: FunctionCallState, what: string) =>
  CallContext.fromClient(ctx, what).pipe(
    Effect.filterOrFail(
      (call) => call.callKey === s.callKey,
      () => invalid(`${what}: this FunctionCall belongs to another call`)
    )
  )

/** Loads the module ID a registration returned (JSON text of the ID string) in the nested client. */
const loadModuleDef = (value: string, ctx: Api.ClientContext): Effect.Effect<Model.ModuleDef, ApiError> =>
  Effect.gen(function*() {
    const decoded = yield* Json.decode(value, "returnValue")
    if (typeof decoded !== "string") {
      return yield* Effect.fail(invalid(`registration must return the module's ID, got ${value.slice(0, 80)}`))
    }
    const id = yield* Effect.try({
      try: () => CallId.decode(decoded),
      catch: (e) => invalid(`registration returned an invalid module ID: ${e instanceof Error ? e.message : String(e)}`)
    })
    const loaded = yield* ctx.load(id)
    if (loaded._type !== "Module") {
      return yield* Effect.fail(invalid(`registration must return a Module ID, got a ${loaded._type} ID`))
    }
    return (loaded.state as Model.ModuleState).def
  })

const functionCall: Api.ObjectSpec = {
  name: "FunctionCall",
  doc: "An active function call.",
  fields: {
    name: leaf<FunctionCallState>("String!", "The name of the function being called (\"\" for a constructor).", (s) => s.name),
    parentName: leaf<FunctionCallState>("String!", "The name of the parent object of the function being called (\"\" for registration).", (s) => s.parentName),
    parent: leaf<FunctionCallState>("JSON!", "The value of the parent object of the function being called (JSON).", (s) => s.parent),
    inputArgs: subList<FunctionCallState>("[FunctionCallArgValue!]!", "The argument values the function is being invoked with.", (s) => s.inputArgs),
    returnValue: {
      kind: "leaf",
      type: "Void",
      doc: "Returns the function call's result (JSON).",
      args: { value: arg("JSON!", "The result (JSON).") },
      run: (p: Api.Value<FunctionCallState>, a: { value: unknown }, ctx) =>
        Effect.gen(function*() {
          const call = yield* sameCall(ctx, p.state, "returnValue")
          const value = yield* Json.validate(a.value, "returnValue")
          const module = call.request.parentName === "" ? yield* loadModuleDef(value, ctx) : undefined
          yield* CallContext.record(call, { _tag: "Returned", value, module })
          return null
        })
    },
    returnError: {
      kind: "leaf",
      type: "Void",
      doc: "Returns an error from the function call.",
      args: { error: arg("ErrorID!", "The error.") },
      run: (p: Api.Value<FunctionCallState>, a: { error: unknown }, ctx) =>
        Effect.gen(function*() {
          const call = yield* sameCall(ctx, p.state, "returnError")
          yield* CallContext.record(call, { _tag: "Failed", error: stateOf<Model.ErrorData>(a.error) })
          return null
        })
    }
  }
}

const functionCallArgValue: Api.ObjectSpec = {
  name: "FunctionCallArgValue",
  doc: "A value passed as a named argument to a function call.",
  fields: {
    name: leaf<CallContext.InputArg>("String!", "The name of the argument.", (s) => s.name),
    value: leaf<CallContext.InputArg>("JSON!", "The value of the argument (JSON).", (s) => s.value)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// root fields

const newFunction = (name: string, returnType: Model.TypeDefData): Model.FunctionData => ({
  name,
  description: "",
  args: [],
  returnType,
  cachePolicy: "Default",
  check: false,
  generator: false,
  up: false,
  sourceModuleName: ""
})

const query: Api.ObjectSpec = {
  name: "Query",
  doc: "The root of the API.",
  fields: {
    typeDef: {
      kind: "chain",
      type: "TypeDef!",
      doc: "Creates a new TypeDef.",
      run: () => Effect.succeed(Api.state(Model.emptyTypeDef))
    },
    function: {
      kind: "chain",
      type: "Function!",
      doc: "Creates a function.",
      args: { name: arg("String!", "The name of the function."), returnType: arg("TypeDefID!", "The type returned by the function.") },
      run: (_p, a: { name: string; returnType: unknown }) =>
        Effect.succeed(Api.state(newFunction(a.name, stateOf<Model.TypeDefData>(a.returnType))))
    },
    module: {
      kind: "chain",
      type: "Module!",
      doc: "Creates a new module (used by SDK runtimes to declare their typedefs).",
      run: () => Effect.succeed(Api.state<Model.ModuleState>({ def: Model.emptyModule }))
    },
    sourceMap: {
      kind: "chain",
      type: "SourceMap!",
      doc: "Creates a source map.",
      args: {
        filename: arg("String!", "The filename from the module source."),
        line: arg("Int!", "The line number within the filename."),
        column: arg("Int!", "The column number within the line."),
        module: arg("String", "The module dependency this was declared in.", ""),
        url: arg("String", "The URL to the file, if any.", "")
      },
      run: (_p, a: { filename: string; line: number; column: number; module?: string; url?: string }) =>
        Effect.succeed(Api.state<Model.SourceMapData>({
          filename: a.filename,
          line: a.line,
          column: a.column,
          module: a.module ?? "",
          url: a.url ?? ""
        }))
    },
    error: {
      kind: "chain",
      type: "Error!",
      doc: "Creates a new error.",
      args: { message: arg("String!", "A brief description of the error.") },
      run: (_p, a: { message: string }) => Effect.succeed(Api.state<Model.ErrorData>({ message: a.message, values: [] }))
    },
    currentModule: {
      kind: "chain",
      type: "CurrentModule!",
      doc: "The module currently being served in the session, if any.",
      volatile: true,
      run: (_p, _a, ctx) =>
        CallContext.fromClient(ctx, "currentModule").pipe(
          Effect.map((call) =>
            Api.state<CurrentModuleState>({ callKey: call.callKey, name: call.moduleName }, `module-call:${call.callKey}`)
          )
        )
    },
    currentFunctionCall: {
      kind: "chain",
      type: "FunctionCall!",
      doc: "The FunctionCall context that the SDK caller is currently executing in.",
      volatile: true,
      run: (_p, _a, ctx) =>
        CallContext.fromClient(ctx, "currentFunctionCall").pipe(
          Effect.map((call) =>
            Api.state<FunctionCallState>({ ...call.request, callKey: call.callKey }, `function-call:${call.callKey}`)
          )
        )
    }
  }
}

/**
 * The module API's types and root fields (pure: no services needed).
 *
 * @category constructors
 */
export const spec: Api.ApiSpec = {
  enums: [typeDefKind, functionCachePolicy],
  objects: [
    query,
    typeDefObject,
    objectTypeDef,
    interfaceTypeDef,
    fieldTypeDef,
    listTypeDef,
    scalarTypeDef,
    enumTypeDef,
    enumValueTypeDef,
    functionObject,
    functionArg,
    sourceMap,
    errorObject,
    errorValue,
    moduleBuilders,
    currentModule,
    functionCall,
    functionCallArgValue
  ]
}

/**
 * @category constructors
 */
export const make: Effect.Effect<Api.ApiSpec> = Effect.succeed(spec)
