/**
 * What `dirk call` needs to know about a schema it meets at run time: the functions of an object type, their
 * arguments (as flags) and return types, read from a client-side `GraphQLSchema` (built from introspection).
 */
import {
  getNamedType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType
} from "graphql"
import * as Naming from "./Naming.js"

/**
 * How a flag's text becomes an argument value.
 *
 * @category models
 */
export type InputKind =
  | { readonly _tag: "String" }
  | { readonly _tag: "Int" }
  | { readonly _tag: "Float" }
  | { readonly _tag: "Boolean" }
  | { readonly _tag: "Enum"; readonly values: ReadonlyArray<string> }
  | { readonly _tag: "Directory" }
  | { readonly _tag: "File" }
  | { readonly _tag: "Container" }
  /** A secret given as `env:NAME`, `file:PATH`, `cmd:COMMAND` (reference §5). */
  | { readonly _tag: "Secret" }
  /** `PortForward`: `8080:80` (a host port to a service's port). */
  | { readonly _tag: "PortForward" }
  /** `Service`: `tcp://host:port` (or `udp://`), a port of the client's host (`host.service`). */
  | { readonly _tag: "Service" }
  /** A custom scalar sent as its string (JSON, Platform, ...). */
  | { readonly _tag: "Scalar"; readonly name: string }
  | { readonly _tag: "Unsupported"; readonly name: string }

/**
 * @category models
 */
export interface ArgSpec {
  /** GraphQL argument name. */
  readonly name: string
  /** Flag name without dashes (kebab-case). */
  readonly flag: string
  readonly description: string
  readonly required: boolean
  readonly list: boolean
  readonly kind: InputKind
  /** For help: `Directory`, `[String]`, `Int`... */
  readonly display: string
  /** Default value as GraphQL text, if the schema declares one. */
  readonly defaultValue: string | undefined
  readonly type: GraphQLInputType
}

/**
 * @category models
 */
export type ReturnSpec =
  | { readonly _tag: "Void" }
  | { readonly _tag: "Scalar"; readonly name: string }
  | { readonly _tag: "Enum"; readonly name: string }
  | { readonly _tag: "Object"; readonly name: string }
  | { readonly _tag: "List"; readonly of: ReturnSpec }

/**
 * @category models
 */
export interface FunctionSpec {
  /** GraphQL field name. */
  readonly name: string
  /** Subcommand name (kebab-case). */
  readonly command: string
  readonly description: string
  readonly args: ReadonlyArray<ArgSpec>
  readonly returns: ReturnSpec
}

/**
 * A loaded module as the CLI sees it: its constructor (a root field) and main object type.
 *
 * @category models
 */
export interface ModuleSchema {
  readonly schema: GraphQLSchema
  /** `""` for the core API (`coreSchema`). */
  readonly moduleName: string
  /** The root field; for the core API, the root itself (`name` `""`, no field in the query). */
  readonly constructor: FunctionSpec
  /** The command that calls into it, for help and errors: `dirk call` (the default) or `dirk core`. */
  readonly command?: string
}

const objectIdScalars: Record<string, InputKind> = {
  DirectoryID: { _tag: "Directory" },
  FileID: { _tag: "File" },
  ContainerID: { _tag: "Container" },
  SecretID: { _tag: "Secret" },
  ServiceID: { _tag: "Service" }
}

const inputKind = (type: GraphQLInputType): InputKind => {
  const named = getNamedType(type)
  if (isEnumType(named)) return { _tag: "Enum", values: named.getValues().map((v) => v.name) }
  if (isInputObjectType(named)) return named.name === "PortForward" ? { _tag: "PortForward" } : { _tag: "Unsupported", name: named.name }
  switch (named.name) {
    case "String":
    case "ID":
      return { _tag: "String" }
    case "Int":
      return { _tag: "Int" }
    case "Float":
      return { _tag: "Float" }
    case "Boolean":
      return { _tag: "Boolean" }
  }
  const object = objectIdScalars[named.name]
  if (object !== undefined) return object
  if (named.name.endsWith("ID")) return { _tag: "Unsupported", name: named.name }
  return { _tag: "Scalar", name: named.name }
}

const displayName = (kind: InputKind, typeName: string): string => {
  switch (kind._tag) {
    case "Directory":
      return "Directory"
    case "File":
      return "File"
    case "Container":
      return "Container"
    case "Secret":
      return "Secret"
    case "Service":
      return "Service"
    default:
      return typeName
  }
}

const argSpec = (arg: GraphQLArgument): ArgSpec => {
  const kind = inputKind(arg.type)
  const inner = isNonNullType(arg.type) ? arg.type.ofType : arg.type
  const list = isListType(inner)
  const base = displayName(kind, getNamedType(arg.type).name)
  const defaultValue = arg.defaultValue === undefined ? undefined : JSON.stringify(arg.defaultValue)
  return {
    name: arg.name,
    flag: Naming.kebab(arg.name),
    description: arg.description ?? "",
    required: isNonNullType(arg.type) && arg.defaultValue === undefined,
    list,
    kind,
    display: list ? `[${base}]` : base,
    defaultValue,
    type: arg.type
  }
}

/**
 * @category constructors
 */
export const returnSpec = (type: GraphQLOutputType): ReturnSpec => {
  if (isNonNullType(type)) return returnSpec(type.ofType)
  if (isListType(type)) return { _tag: "List", of: returnSpec(type.ofType) }
  if (isObjectType(type)) return { _tag: "Object", name: type.name }
  if (isEnumType(type)) return { _tag: "Enum", name: type.name }
  if (isScalarType(type) && type.name === "Void") return { _tag: "Void" }
  return { _tag: "Scalar", name: getNamedType(type).name }
}

/**
 * @category constructors
 */
export const functionSpec = (field: GraphQLField<unknown, unknown>): FunctionSpec => ({
  name: field.name,
  command: Naming.kebab(field.name),
  description: field.description ?? "",
  args: field.args.map(argSpec),
  returns: returnSpec(field.type)
})

const hidden = new Set(["id", "__typename"])

/**
 * The functions (fields) of an object type, in schema order; `id` is hidden.
 *
 * @category combinators
 */
export const functionsOf = (schema: GraphQLSchema, typeName: string): ReadonlyArray<FunctionSpec> => {
  const type = schema.getType(typeName)
  if (!isObjectType(type)) return []
  return Object.values(type.getFields()).filter((f) => !hidden.has(f.name)).map(functionSpec)
}

/**
 * The type whose functions come next after a call returning `spec` (objects only; lists end a chain).
 *
 * @category combinators
 */
export const chainType = (spec: ReturnSpec): string | undefined => spec._tag === "Object" ? spec.name : undefined

/**
 * Shows a return type the way help prints it.
 *
 * @category combinators
 */
export const showReturn = (spec: ReturnSpec): string => {
  switch (spec._tag) {
    case "Void":
      return "Void"
    case "List":
      return `[${showReturn(spec.of)}]`
    default:
      return spec.name
  }
}

/**
 * Finds the module's constructor: the root field `lowerCamel(moduleName)`.
 *
 * @category constructors
 */
export const moduleSchema = (schema: GraphQLSchema, moduleName: string): ModuleSchema | undefined => {
  const field = schema.getQueryType()?.getFields()[Naming.lowerCamel(moduleName)]
  if (field === undefined) return undefined
  return { schema, moduleName, constructor: functionSpec(field) }
}

/**
 * The core API as a chain's starting point: `dirk core` calls the `Query` root's fields (`container`, `directory`,
 * `host`, …) as `dirk call` calls a module's functions.
 *
 * @category constructors
 */
export const coreSchema = (schema: GraphQLSchema): ModuleSchema => ({
  schema,
  moduleName: "",
  constructor: {
    name: "",
    command: "",
    description: "The core API",
    args: [],
    returns: { _tag: "Object", name: schema.getQueryType()?.name ?? "Query" }
  },
  command: "dirk core"
})

/**
 * Whether a call of a chain is the root itself (the core API's starting point), which is no field of the query.
 *
 * @category guards
 */
export const isRoot = (spec: FunctionSpec): boolean => spec.name === ""

/**
 * The first line of a description.
 *
 * @category combinators
 */
export const firstLine = (text: string): string => text.trim().split("\n")[0]?.trim() ?? ""

/**
 * Whether an object type has a field `name` that takes no required argument.
 *
 * @category guards
 */
export const hasPlainField = (schema: GraphQLSchema, typeName: string, name: string): boolean => {
  const type = schema.getType(typeName)
  if (!isObjectType(type)) return false
  const field = type.getFields()[name]
  return field !== undefined && field.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined)
}

/**
 * Whether an object type has `export(path: String!)`.
 *
 * @category guards
 */
export const hasExport = (schema: GraphQLSchema, typeName: string): boolean => {
  const type = schema.getType(typeName)
  if (!isObjectType(type)) return false
  return type.getFields()["export"]?.args.some((a) => a.name === "path") === true
}
