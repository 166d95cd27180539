/**
 * Plain data for module typedefs: the state of the module API's objects (`TypeDef`, `Function`, `Module`, …).
 * Every builder returns a new value; nothing here is mutable.
 */

/**
 * The canonical kinds (`TypeDefKind` values; the short names `STRING`, `OBJECT`, … are aliases).
 *
 * @category models
 */
export const kinds = [
  "STRING_KIND",
  "INTEGER_KIND",
  "FLOAT_KIND",
  "BOOLEAN_KIND",
  "SCALAR_KIND",
  "LIST_KIND",
  "OBJECT_KIND",
  "INTERFACE_KIND",
  "INPUT_KIND",
  "VOID_KIND",
  "ENUM_KIND"
] as const

/**
 * @category models
 */
export type Kind = typeof kinds[number]

/**
 * @category models
 */
export type CachePolicy = "Default" | "PerSession" | "Never"

/**
 * @category models
 */
export interface SourceMapData {
  readonly filename: string
  readonly line: number
  readonly column: number
  readonly module: string
  readonly url: string
}

/**
 * @category models
 */
export interface TypeDefData {
  readonly kind: Kind
  readonly optional: boolean
  readonly asObject?: ObjectTypeDefData | undefined
  readonly asInterface?: InterfaceTypeDefData | undefined
  readonly asList?: ListTypeDefData | undefined
  readonly asEnum?: EnumTypeDefData | undefined
  readonly asScalar?: ScalarTypeDefData | undefined
}

/**
 * @category models
 */
export interface ObjectTypeDefData {
  readonly name: string
  readonly description: string
  readonly fields: ReadonlyArray<FieldTypeDefData>
  readonly functions: ReadonlyArray<FunctionData>
  /** The constructor (`constructor` in the API). */
  readonly ctor?: FunctionData | undefined
  readonly sourceMap?: SourceMapData | undefined
  readonly deprecated?: string | undefined
  readonly sourceModuleName: string
}

/**
 * @category models
 */
export interface InterfaceTypeDefData {
  readonly name: string
  readonly description: string
  readonly functions: ReadonlyArray<FunctionData>
  readonly sourceMap?: SourceMapData | undefined
  readonly sourceModuleName: string
}

/**
 * @category models
 */
export interface FieldTypeDefData {
  readonly name: string
  readonly description: string
  readonly typeDef: TypeDefData
  readonly sourceMap?: SourceMapData | undefined
  readonly deprecated?: string | undefined
}

/**
 * @category models
 */
export interface ListTypeDefData {
  readonly elementTypeDef: TypeDefData
}

/**
 * @category models
 */
export interface ScalarTypeDefData {
  readonly name: string
  readonly description: string
  readonly sourceModuleName: string
}

/**
 * @category models
 */
export interface EnumTypeDefData {
  readonly name: string
  readonly description: string
  readonly members: ReadonlyArray<EnumValueTypeDefData>
  readonly sourceMap?: SourceMapData | undefined
  readonly sourceModuleName: string
}

/**
 * @category models
 */
export interface EnumValueTypeDefData {
  readonly name: string
  readonly value: string
  readonly description: string
  readonly sourceMap?: SourceMapData | undefined
  readonly deprecated?: string | undefined
}

/**
 * @category models
 */
export interface FunctionArgData {
  readonly name: string
  readonly description: string
  readonly typeDef: TypeDefData
  /** JSON text, or undefined when no default was given. */
  readonly defaultValue?: string | undefined
  readonly defaultPath: string
  readonly defaultAddress: string
  readonly ignore: ReadonlyArray<string>
  readonly sourceMap?: SourceMapData | undefined
  readonly deprecated?: string | undefined
}

/**
 * @category models
 */
export interface FunctionData {
  readonly name: string
  readonly description: string
  readonly args: ReadonlyArray<FunctionArgData>
  readonly returnType: TypeDefData
  readonly sourceMap?: SourceMapData | undefined
  readonly deprecated?: string | undefined
  readonly cachePolicy: CachePolicy
  readonly timeToLive?: string | undefined
  readonly check: boolean
  readonly generator: boolean
  readonly up: boolean
  readonly sourceModuleName: string
}

/**
 * What a module declares: the result of registration.
 *
 * @category models
 */
export interface ModuleDef {
  readonly description: string
  readonly objects: ReadonlyArray<TypeDefData>
  readonly interfaces: ReadonlyArray<TypeDefData>
  readonly enums: ReadonlyArray<TypeDefData>
}

/**
 * @category models
 */
export interface ErrorValueData {
  readonly name: string
  /** JSON text. */
  readonly value: string
}

/**
 * @category models
 */
export interface ErrorData {
  readonly message: string
  readonly values: ReadonlyArray<ErrorValueData>
}

/**
 * @category constructors
 */
export const emptyTypeDef: TypeDefData = { kind: "STRING_KIND", optional: false }

/**
 * @category constructors
 */
export const emptyModule: ModuleDef = { description: "", objects: [], interfaces: [], enums: [] }

/**
 * The name a typedef refers to (object, interface, enum, scalar), or "" for primitives and lists.
 *
 * @category getters
 */
export const typeName = (t: TypeDefData): string =>
  t.asObject?.name ?? t.asInterface?.name ?? t.asEnum?.name ?? t.asScalar?.name ?? ""

/**
 * Where a module's code lives (a located and imported `dagger.json` directory).
 *
 * @category models
 */
export interface SourceInfo {
  readonly name: string
  /** Absolute host path of the directory holding dagger.json. */
  readonly dir: string
  readonly configPath: string
  /** The SDK source subdirectory relative to `dir` ("." by default). */
  readonly source: string
  readonly sdk: string | undefined
  /** sha256 over the module directory's content. */
  readonly contentDigest: string
  /** Absolute path of an immutable copy of `dir` (the snapshot), or `dir` itself. */
  readonly snapshot: string
  readonly disableDefaultFunctionCaching: boolean
  /** Names the module's code and everything it runs with: its content digest and its dependencies' identities. */
  readonly identity: string
  /** The modules it declares in dagger.json, loaded (each with its own dependencies). */
  readonly dependencies: ReadonlyArray<DependencyInfo>
  /** For a module fetched from git: `repo@commit`. */
  readonly origin?: string | undefined
  /**
   * For a module fetched from git (or a local dependency inside one): the checkout, its context directory (the
   * checkout keeps no `.git` to find it by).
   */
  readonly contextRoot?: string | undefined
}

/**
 * A loaded dependency: the name it is declared (and served) under, and its source.
 *
 * @category models
 */
export interface DependencyInfo {
  readonly name: string
  readonly source: SourceInfo
}

/**
 * The state of a `Module` value: typedefs built by a runtime (`Query.module` …), or a module loaded from source
 * whose typedefs come from registration.
 *
 * @category models
 */
export interface ModuleState {
  readonly def: ModuleDef
  readonly source?: SourceInfo | undefined
}
