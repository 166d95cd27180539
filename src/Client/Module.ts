/**
 * `dirk/module`: Dagger modules written with Effect (`"sdk": "effect"` in dagger.json). A module is a value:
 *
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Container } from "dirk/client"
 * import * as Module from "dirk/module"
 *
 * export default Module.make("greeter", {
 *   functions: {
 *     hello: Module.fn({
 *       args: { name: Schema.String },
 *       returns: Schema.String,
 *       run: ({ name }) => Effect.succeed(`hello, ${name}`)
 *     })
 *   }
 * })
 * ```
 *
 * Arguments and results are Effect Schemas; their encoded (JSON) side becomes the function's GraphQL types when the
 * engine registers the module; a schema with no GraphQL form (a union without tags, a function, a struct without an
 * identifier…) fails the registration with an error naming the function and the field. Functions are Effects that
 * may use the typed client (`DirkClient` is provided: a client of the calling session).
 *
 * @since 0.1.0
 */
import { type Effect, Option, Schema, SchemaAST } from "effect"
import type { DirkClient } from "./DirkClient.js"
import type * as T from "./generated/types.js"
import * as Node from "./internal/node.js"

/**
 * A module function: its arguments, its result, and what it does.
 *
 * @category models
 * @since 0.1.0
 */
export interface Fn<Args extends Schema.Struct.Fields, R extends Schema.Schema.Any, E> {
  readonly _tag: "Fn"
  readonly description: string | undefined
  readonly args: Args
  readonly returns: R
  readonly run: (args: Schema.Struct.Type<Args>) => Effect.Effect<Schema.Schema.Type<R>, E, DirkClient>
}

/**
 * Any module function.
 *
 * @category models
 * @since 0.1.0
 */
export interface AnyFn {
  readonly _tag: "Fn"
  readonly description: string | undefined
  readonly args: Schema.Struct.Fields
  readonly returns: Schema.Schema.Any
  readonly run: (args: any) => Effect.Effect<unknown, unknown, DirkClient>
}

/**
 * A module function. `run` gets the decoded arguments; its failure is the call's error (an `ExecError` keeps its
 * exit code and output for the caller).
 *
 * @category constructors
 * @since 0.1.0
 */
export const fn = <Args extends Schema.Struct.Fields, R extends Schema.Schema.Any, E>(options: {
  readonly description?: string | undefined
  readonly args: Args
  readonly returns: R
  readonly run: (args: Schema.Struct.Type<Args>) => Effect.Effect<Schema.Schema.Type<R>, E, DirkClient>
}): Fn<Args, R, E> => ({ _tag: "Fn", description: options.description, args: options.args, returns: options.returns, run: options.run })

/**
 * A module: its name (as in dagger.json) and its functions (fields of its main object, `PascalCase(name)`).
 *
 * @category models
 * @since 0.1.0
 */
export interface ModuleDef {
  readonly _tag: "Module"
  readonly name: string
  readonly description: string | undefined
  readonly functions: Readonly<Record<string, AnyFn>>
}

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  name: string,
  options: { readonly description?: string | undefined; readonly functions: Readonly<Record<string, AnyFn>> }
): ModuleDef => ({ _tag: "Module", name, description: options.description, functions: options.functions })

// ---------------------------------------------------------------------------------------------------------------
// API values as arguments and results

const coreTypeAnnotation = Symbol.for("dirk/Client/Module/coreType")

const nodeSchema = <N extends Node.Node<string>>(tag: N["_tag"]): Schema.Schema<N> =>
  Schema.declare((u: unknown): u is N => Node.isNode(u) && u._tag === tag, {
    identifier: tag,
    description: `a ${tag} of the API`,
    [coreTypeAnnotation]: tag
  })

/**
 * A Container argument or result (sent as its ID).
 *
 * @category schemas
 * @since 0.1.0
 */
export const Container: Schema.Schema<T.Container> = nodeSchema<T.Container>("Container")
/**
 * @category schemas
 * @since 0.1.0
 */
export const Directory: Schema.Schema<T.Directory> = nodeSchema<T.Directory>("Directory")
/**
 * @category schemas
 * @since 0.1.0
 */
export const File: Schema.Schema<T.File> = nodeSchema<T.File>("File")
/**
 * @category schemas
 * @since 0.1.0
 */
export const Secret: Schema.Schema<T.Secret> = nodeSchema<T.Secret>("Secret")
/**
 * @category schemas
 * @since 0.1.0
 */
export const CacheVolume: Schema.Schema<T.CacheVolume> = nodeSchema<T.CacheVolume>("CacheVolume")

// ---------------------------------------------------------------------------------------------------------------
// schemas → typedefs

/**
 * A GraphQL type of the module API (a TypeDef), from a schema's encoded side.
 *
 * @category models
 */
export type TypeIR =
  | { readonly _tag: "String" | "Integer" | "Float" | "Boolean" | "Void"; readonly optional: boolean }
  | { readonly _tag: "List"; readonly of: TypeIR; readonly optional: boolean }
  | { readonly _tag: "Object"; readonly name: string; readonly core: boolean; readonly optional: boolean }

/**
 * An object type a module declares (a struct of a result or an argument).
 *
 * @category models
 */
export interface ObjectIR {
  readonly name: string
  readonly description: string | undefined
  readonly fields: ReadonlyArray<{ readonly name: string; readonly type: TypeIR; readonly description: string | undefined }>
}

/**
 * A module's typedefs.
 *
 * @category models
 */
export interface ModuleIR {
  readonly name: string
  readonly description: string | undefined
  readonly functions: ReadonlyArray<{
    readonly name: string
    readonly description: string | undefined
    readonly args: ReadonlyArray<{ readonly name: string; readonly type: TypeIR; readonly description: string | undefined }>
    readonly returns: TypeIR
  }>
  readonly objects: ReadonlyArray<ObjectIR>
}

/**
 * A module whose schemas have no GraphQL form; names the function and the field.
 *
 * @category errors
 */
export class RegistrationError extends Schema.TaggedError<RegistrationError>()("RegistrationError", {
  module: Schema.String,
  function: Schema.String,
  /** `argument name`, `result`, or a path under them (`result, field items`). */
  field: Schema.String,
  detail: Schema.String
}) {
  override get message(): string {
    return `module ${this.module}: function ${this.function}, ${this.field}: ${this.detail}`
  }
}

class Unsupported {
  constructor(readonly where: ReadonlyArray<string>, readonly detail: string) {}
}

const annotationOf = (ast: SchemaAST.AST, key: symbol): unknown => ast.annotations[key]

const nameOf = (ast: SchemaAST.AST): string | undefined =>
  Option.getOrUndefined(SchemaAST.getIdentifierAnnotation(ast)) ?? Option.getOrUndefined(SchemaAST.getTitleAnnotation(ast))

// the descriptions Effect's own schemas carry ("a string") say nothing about a module's field
const builtinDescriptions = new Set(
  [Schema.String, Schema.Number, Schema.Boolean, Schema.Int, Schema.NonNegativeInt, Schema.NumberFromString,
    Schema.Trim, Schema.NonEmptyString, Schema.Unknown, Schema.Void, Schema.Undefined, Schema.Null]
    .map((s) => Option.getOrUndefined(SchemaAST.getDescriptionAnnotation(s.ast)))
)

const descriptionOf = (ast: SchemaAST.AST): string | undefined => {
  const d = Option.getOrUndefined(SchemaAST.getDescriptionAnnotation(ast))
  return d === undefined || builtinDescriptions.has(d) ? undefined : d
}

const isNullish = (ast: SchemaAST.AST) =>
  ast._tag === "UndefinedKeyword" || ast._tag === "VoidKeyword" || (ast._tag === "Literal" && ast.literal === null)

const graphqlName = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * The type of a struct field (a schema, or `Schema.optional(…)`'s property signature) and whether it may be left out.
 *
 * @category constructors
 */
export const argAst = (field: Schema.Schema.All | Schema.PropertySignature.All): { readonly ast: SchemaAST.AST; readonly optional: boolean } => {
  if (Schema.isSchema(field)) return { ast: field.ast, optional: false }
  const ps = field.ast
  if (ps._tag === "PropertySignatureDeclaration") return { ast: ps.type, optional: ps.isOptional }
  if (ps._tag === "PropertySignatureTransformation") return { ast: ps.from.type, optional: ps.from.isOptional }
  return { ast: ps, optional: false }
}

/**
 * Turns a module's schemas into its typedefs, or names the first function and field that has no GraphQL form.
 *
 * @category constructors
 */
export const toIR = (module: ModuleDef): ModuleIR | RegistrationError => {
  const objects = new Map<string, ObjectIR>()

  const walk = (ast: SchemaAST.AST, where: ReadonlyArray<string>, hint: string | undefined, optional: boolean): TypeIR => {
    const core = annotationOf(ast, coreTypeAnnotation)
    if (typeof core === "string") return { _tag: "Object", name: core, core: true, optional }
    switch (ast._tag) {
      case "StringKeyword":
      case "TemplateLiteral":
        return { _tag: "String", optional }
      case "NumberKeyword":
        return { _tag: "Float", optional }
      case "BooleanKeyword":
        return { _tag: "Boolean", optional }
      case "VoidKeyword":
      case "UndefinedKeyword":
        return { _tag: "Void", optional: true }
      case "Literal":
        if (typeof ast.literal === "string") return { _tag: "String", optional }
        if (typeof ast.literal === "number") return { _tag: Number.isInteger(ast.literal) ? "Integer" : "Float", optional }
        if (typeof ast.literal === "boolean") return { _tag: "Boolean", optional }
        throw new Unsupported(where, `the literal ${String(ast.literal)} has no GraphQL form`)
      case "Enums":
        if (ast.enums.every(([, v]) => typeof v === "string")) return { _tag: "String", optional }
        throw new Unsupported(where, "an enum with number values has no GraphQL form")
      case "Refinement": {
        const id = Option.getOrUndefined(SchemaAST.getIdentifierAnnotation(ast))
        if (id === "Int" || id === "NonNegativeInt" || id === "PositiveInt") return { _tag: "Integer", optional }
        return walk(ast.from, where, hint ?? nameOf(ast), optional)
      }
      case "Transformation":
        // the wire format is the encoded side; a class keeps its name
        return walk(ast.from, where, hint ?? nameOf(ast.to) ?? nameOf(ast), optional)
      case "Suspend":
        return walk(ast.f(), where, hint ?? nameOf(ast), optional)
      case "Union": {
        const present = ast.types.filter((t) => !isNullish(t))
        const opt = optional || present.length < ast.types.length
        if (present.length === 1) return walk(present[0]!, where, hint ?? nameOf(ast), opt)
        if (present.every((t) => t._tag === "Literal" && typeof t.literal === "string")) return { _tag: "String", optional: opt }
        if (present.every((t) => t._tag === "Literal" && typeof t.literal === "number")) return { _tag: "Float", optional: opt }
        const tagged = present.every((t) => {
          const s = t._tag === "Transformation" ? t.from : t
          return s._tag === "TypeLiteral" && s.propertySignatures.some((p) => p.name === "_tag" && p.type._tag === "Literal")
        })
        if (!tagged) {
          throw new Unsupported(where, "a union without tags has no GraphQL form (give each member a `_tag` literal, e.g. Schema.TaggedStruct)")
        }
        // a tagged union: one object type with `_tag` and every member's fields (optional)
        const name = nameOf(ast) ?? hint
        if (name === undefined || !graphqlName.test(name)) {
          throw new Unsupported(where, "a tagged union needs a name: annotate it with { identifier: \"Name\" }")
        }
        if (!objects.has(name)) {
          const fields = new Map<string, ObjectIR["fields"][number]>()
          objects.set(name, { name, description: descriptionOf(ast), fields: [] })
          for (const member of present) {
            const s = member._tag === "Transformation" ? member.from : member
            if (s._tag !== "TypeLiteral") continue
            for (const p of s.propertySignatures) {
              if (typeof p.name !== "string") continue
              const type = p.name === "_tag"
                ? { _tag: "String" as const, optional: false }
                : walk(p.type, [...where, `field ${p.name}`], undefined, true)
              if (!fields.has(p.name)) fields.set(p.name, { name: p.name, type, description: descriptionOf(p.type) })
            }
          }
          objects.set(name, { name, description: descriptionOf(ast), fields: [...fields.values()] })
        }
        return { _tag: "Object", name, core: false, optional: opt }
      }
      case "TupleType": {
        if (ast.elements.length === 0 && ast.rest.length === 1) {
          return { _tag: "List", of: walk(ast.rest[0]!.type, [...where, "items"], undefined, false), optional }
        }
        throw new Unsupported(where, "a tuple has no GraphQL form (use Schema.Array)")
      }
      case "TypeLiteral": {
        if (ast.indexSignatures.length > 0) throw new Unsupported(where, "a record (index signature) has no GraphQL form")
        const name = nameOf(ast) ?? hint
        if (name === undefined) {
          throw new Unsupported(where, "a struct needs a name to become an object type: annotate it with { identifier: \"Name\" }")
        }
        if (!graphqlName.test(name)) throw new Unsupported(where, `${JSON.stringify(name)} is not a GraphQL type name`)
        if (!objects.has(name)) {
          objects.set(name, { name, description: descriptionOf(ast), fields: [] }) // recursion guard
          const fields = ast.propertySignatures.map((p) => {
            if (typeof p.name !== "string" || !graphqlName.test(p.name)) {
              throw new Unsupported([...where, `field ${String(p.name)}`], "not a GraphQL field name")
            }
            return { name: p.name, type: walk(p.type, [...where, `field ${p.name}`], undefined, p.isOptional), description: descriptionOf(p.type) }
          })
          objects.set(name, { name, description: descriptionOf(ast), fields })
        }
        return { _tag: "Object", name, core: false, optional }
      }
      case "Declaration":
        throw new Unsupported(where, "a type declared with Schema.declare (a function, a class instance…) has no GraphQL form")
      default:
        throw new Unsupported(where, `${ast._tag === "ObjectKeyword" ? "an object of any shape" : `a value of type ${ast._tag.replace(/Keyword$/, "").toLowerCase()}`} has no GraphQL form`)
    }
  }

  const functions: Array<ModuleIR["functions"][number]> = []
  for (const [fnName, f] of Object.entries(module.functions)) {
    try {
      if (!graphqlName.test(fnName)) throw new Unsupported([], `${JSON.stringify(fnName)} is not a GraphQL field name`)
      const args = Object.entries(f.args).map(([argName, s]) => {
        const { ast, optional } = argAst(s as Schema.Schema.All | Schema.PropertySignature.All)
        if (!graphqlName.test(argName)) throw new Unsupported([`argument ${argName}`], "not a GraphQL argument name")
        return { name: argName, type: walk(ast, [`argument ${argName}`], undefined, optional), description: descriptionOf(ast) }
      })
      const returns = walk(f.returns.ast, ["result"], undefined, false)
      functions.push({ name: fnName, description: f.description, args, returns })
    } catch (e) {
      if (e instanceof Unsupported) {
        return new RegistrationError({ module: module.name, function: fnName, field: e.where.join(", ") || "name", detail: e.detail })
      }
      throw e
    }
  }
  return { name: module.name, description: module.description, functions, objects: [...objects.values()] }
}
