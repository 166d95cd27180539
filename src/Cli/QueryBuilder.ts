/**
 * GraphQL documents for a chain of calls, with every argument inlined as a literal (as Dagger's SDK does).
 */
import { Either } from "effect"
import { astFromValue, type GraphQLInputType, type GraphQLSchema, print } from "graphql"
import type { ArgValue } from "./Scalars.js"
import * as TypeInfo from "./TypeInfo.js"

/**
 * One field call with resolved argument values.
 *
 * @category models
 */
export interface Call {
  readonly field: string
  readonly args: ReadonlyArray<{ readonly name: string; readonly value: unknown; readonly type: GraphQLInputType }>
}

/**
 * What is selected at the end of the chain.
 *
 * @category models
 */
export type Leaf =
  | { readonly _tag: "Value" }
  | { readonly _tag: "Export"; readonly path: string }
  | { readonly _tag: "Object"; readonly field: "sync" | "id" }

/**
 * A GraphQL literal for a JS value of the given input type.
 *
 * @category combinators
 */
export const literal = (value: unknown, type: GraphQLInputType): Either.Either<string, string> => {
  try {
    const ast = astFromValue(value, type)
    return ast === null || ast === undefined
      ? Either.left(`cannot encode ${JSON.stringify(value)} as ${String(type)}`)
      : Either.right(print(ast))
  } catch (cause) {
    return Either.left(cause instanceof Error ? cause.message : String(cause))
  }
}

/**
 * A GraphQL string literal (escaped; the value survives `graphql.parse`).
 *
 * @category combinators
 */
export const stringLiteral = (value: string): string => JSON.stringify(value)

const printCall = (call: Call): Either.Either<string, string> =>
  call.args.length === 0
    ? Either.right(call.field)
    : Either.map(
      Either.all(call.args.map((a) => Either.map(literal(a.value, a.type), (lit) => `${a.name}: ${lit}`))),
      (parts) => `${call.field}(${parts.join(", ")})`
    )

/**
 * The selection set text of a leaf (`""` for scalars).
 *
 * @category combinators
 */
export const leafSelection = (leaf: Leaf): string => {
  switch (leaf._tag) {
    case "Value":
      return ""
    case "Export":
      return `export(path: ${stringLiteral(leaf.path)})`
    case "Object":
      return leaf.field
  }
}

/**
 * `query { a(x: 1) { b { <leaf> } } }`
 *
 * @category constructors
 */
export const buildQuery = (calls: ReadonlyArray<Call>, leaf: Leaf): Either.Either<string, string> =>
  Either.map(Either.all(calls.map(printCall)), (parts) => {
    const selection = leafSelection(leaf)
    let inner = selection === "" ? "" : ` { ${selection} }`
    for (let i = parts.length - 1; i >= 0; i--) {
      inner = i === parts.length - 1 ? `${parts[i]}${inner}` : `${parts[i]} { ${inner} }`
    }
    return `query { ${inner} }`
  })

/**
 * Picks the leaf for a return type: `export(path)` with `-o` on a Directory/File (any type with `export`), else
 * `sync` for objects that have one, else `id`.
 *
 * @category constructors
 */
export const leafFor = (
  schema: GraphQLSchema,
  returns: TypeInfo.ReturnSpec,
  exportPath: string | undefined
): Leaf => {
  const objectName = returns._tag === "Object"
    ? returns.name
    : returns._tag === "List" && returns.of._tag === "Object"
    ? returns.of.name
    : undefined
  if (objectName === undefined) return { _tag: "Value" }
  if (exportPath !== undefined && returns._tag === "Object" && TypeInfo.hasExport(schema, objectName)) {
    return { _tag: "Export", path: exportPath }
  }
  return { _tag: "Object", field: TypeInfo.hasPlainField(schema, objectName, "sync") ? "sync" : "id" }
}

/**
 * Walks the response data along the chain to the leaf value (lists of objects become lists of their leaf field).
 *
 * @category combinators
 */
export const pluck = (data: unknown, calls: ReadonlyArray<Call>, leaf: Leaf): unknown => {
  let value: unknown = data
  for (const call of calls) {
    if (value === null || typeof value !== "object") return null
    value = (value as Record<string, unknown>)[call.field]
  }
  const key = leaf._tag === "Export" ? "export" : leaf._tag === "Object" ? leaf.field : undefined
  if (key === undefined) return value
  const pick = (item: unknown): unknown =>
    item !== null && typeof item === "object" ? (item as Record<string, unknown>)[key] : item
  return Array.isArray(value) ? value.map(pick) : pick(value)
}

/**
 * A host path or container address that must become an ID before the call.
 *
 * @category models
 */
export type HostRef = Exclude<ArgValue, { readonly _tag: "Value" } | { readonly _tag: "List" }>

/**
 * Every host reference inside some argument values.
 *
 * @category combinators
 */
export const hostRefs = (values: ReadonlyArray<ArgValue>): ReadonlyArray<HostRef> =>
  values.flatMap((v): ReadonlyArray<HostRef> => {
    switch (v._tag) {
      case "Value":
        return []
      case "List":
        return hostRefs(v.items)
      default:
        return [v]
    }
  })

const refKey = (ref: HostRef): string =>
  ref._tag === "ContainerAddress"
    ? `container:${ref.address}`
    : ref._tag === "SecretUri"
    ? `secret:${JSON.stringify([ref.uri, ref.cacheKey ?? null])}`
    : ref._tag === "HostService"
    ? `service:${ref.protocol}:${ref.host}:${ref.port}`
    : `${ref._tag}:${ref.path}`

/**
 * One query asking the IDs of all refs (`r0: host { directory(path: "/abs") { id } }`, ...). Paths must be
 * absolute already. Returns the query and the alias of each ref key.
 *
 * @category constructors
 */
export const hostQuery = (refs: ReadonlyArray<HostRef>): { readonly query: string; readonly aliases: ReadonlyMap<string, string> } => {
  const aliases = new Map<string, string>()
  const parts: Array<string> = []
  for (const ref of refs) {
    const key = refKey(ref)
    if (aliases.has(key)) continue
    const alias = `r${aliases.size}`
    aliases.set(key, alias)
    switch (ref._tag) {
      case "HostDirectory":
        parts.push(`${alias}: host { directory(path: ${stringLiteral(ref.path)}) { id } }`)
        break
      case "HostFile":
        parts.push(`${alias}: host { file(path: ${stringLiteral(ref.path)}) { id } }`)
        break
      case "ContainerAddress":
        parts.push(`${alias}: container { from(address: ${stringLiteral(ref.address)}) { id } }`)
        break
      case "SecretUri": {
        const cacheKey = ref.cacheKey !== undefined ? `, cacheKey: ${stringLiteral(ref.cacheKey)}` : ""
        parts.push(`${alias}: secret(uri: ${stringLiteral(ref.uri)}${cacheKey}) { id }`)
        break
      }
      case "HostService":
        parts.push(
          `${alias}: host { service(host: ${stringLiteral(ref.host)}, ports: [{ frontend: ${ref.port}, backend: ${ref.port}, ` +
            `protocol: ${ref.protocol} }]) { id } }`
        )
        break
    }
  }
  return { query: `query { ${parts.join(" ")} }`, aliases }
}

/**
 * Reads the IDs answered to `hostQuery`.
 *
 * @category combinators
 */
export const hostIds = (
  data: unknown,
  aliases: ReadonlyMap<string, string>
): ReadonlyMap<string, string> => {
  const out = new Map<string, string>()
  const root = (data ?? {}) as Record<string, Record<string, Record<string, { id?: unknown }> | undefined> | undefined>
  for (const [key, alias] of aliases) {
    const entry = root[alias]
    // `host { directory { id } }` nests the ID one level down; `secret { id }` holds it directly
    const inner = entry === undefined ? undefined : typeof entry.id === "string" ? entry : Object.values(entry)[0]
    const id = inner?.id
    if (typeof id === "string") out.set(key, id)
  }
  return out
}

/**
 * Replaces host references by their IDs, giving plain values for `literal`.
 *
 * @category combinators
 */
export const resolveValue = (value: ArgValue, ids: ReadonlyMap<string, string>): Either.Either<unknown, string> => {
  switch (value._tag) {
    case "Value":
      return Either.right(value.value)
    case "List":
      return Either.all(value.items.map((item) => resolveValue(item, ids)))
    default: {
      const id = ids.get(refKey(value))
      return id === undefined ? Either.left(`no ID for ${refKey(value)}`) : Either.right(id)
    }
  }
}

/**
 * Makes host paths absolute against a working directory.
 *
 * @category combinators
 */
export const absolutize = (value: ArgValue, resolvePath: (path: string) => string): ArgValue => {
  switch (value._tag) {
    case "HostDirectory":
    case "HostFile":
      return { ...value, path: resolvePath(value.path) }
    case "List":
      return { _tag: "List", items: value.items.map((item) => absolutize(item, resolvePath)) }
    default:
      return value
  }
}
