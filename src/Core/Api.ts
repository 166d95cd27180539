/**
 * The building blocks of the GraphQL API: object values (an ID plus state), and the specs that core types and
 * modules contribute (`ObjectSpec`, `EnumSpec`, `InputSpec`, `ScalarSpec`). `Build.ts` turns specs into a
 * graphql-js schema.
 *
 * Two kinds of fields:
 * - `chain` fields return objects; they do no work beyond computing the new object's state, and the schema builder
 *   names the result by appending the call to the parent's ID (and memoizes it by digest);
 * - `leaf` fields return scalars (or objects loaded by ID) and may ask the solver for work.
 */
import type { Effect, Scope } from "effect"
import type * as CallId from "../Dag/CallId.js"
import type { ApiError } from "./Errors.js"
import type { SecretUri } from "./SecretUri.js"

/**
 * An API object: its type name, its ID, and the state its fields read.
 *
 * @category models
 */
export interface Value<S = unknown> {
  readonly _type: string
  readonly id: CallId.CallId
  readonly state: S
}

/**
 * The root object that `Query` fields receive as parent.
 *
 * @category models
 */
export const Root: Value<undefined> = {
  _type: "Query",
  id: undefined as unknown as CallId.CallId,
  state: undefined
}

/**
 * Who is calling: the session, the client within it, and what the client may reach.
 *
 * @category models
 */
export interface ClientContext {
  readonly sessionId: string
  readonly clientId: string
  /** Host paths of `host.*` resolve against this directory. */
  readonly workdir: string
  /** Replays an ID in this client's schema (memoized by digest). */
  readonly load: (id: CallId.CallId) => Effect.Effect<Value, ApiError>
  /** Set for the clients of module function calls: the module runtime's context (owned by src/Modules). */
  readonly module?: unknown
  /**
   * For the client of a module function call: the call's op (its progress digest), the `parent` of the ops its
   * requests ask for (the progress tree: module call → function → core ops).
   */
  readonly parentOp?: string
  /** What a resolver may ask of the session this client belongs to. */
  readonly session: SessionOps
}

/**
 * Session operations available to resolvers (implemented by src/Session).
 *
 * @category models
 */
export interface SessionOps {
  readonly id: string
  /** What the session's client does with terminals (`Container.terminal`, `dirk call -i`); default: nothing. */
  readonly interactive?: { readonly terminal: boolean; readonly debugFailures: boolean }
  /**
   * Resolves a secret URI on the side of the session's client (its environment, files and commands; see
   * `SecretUri.ts`); default: this process, with the client's workdir as working directory.
   */
  readonly resolveSecret?: (uri: SecretUri) => Effect.Effect<string, string>
  /** Adds a module's types and root field to this client's schema (`Module.serve`). */
  readonly serve: (clientId: string, spec: ApiSpec) => Effect.Effect<void, ApiError>
  /** Runs `f` when the session ends (what the engine keeps per session is dropped then); default: never. */
  readonly onEnd?: (f: () => void) => void
  /**
   * A client of this session for a module function call: it sees core plus `specs`, carries `module` as its
   * context, and is served (token auth) on a unix socket at `socketPath` until the scope closes.
   */
  readonly nestedClient: (options: {
    readonly specs: ReadonlyArray<ApiSpec>
    readonly module: unknown
    readonly workdir: string
    /** Where to listen (a path in a directory the caller owns); default: a new temporary directory. */
    readonly socketPath?: string | undefined
  }) => Effect.Effect<{ readonly clientId: string; readonly token: string; readonly socketPath: string }, ApiError, Scope.Scope>
}

/**
 * Runs `drop` when the caller's session ends (what the engine keeps for that session only goes then); one hook per
 * session, however many drops.
 *
 * @category combinators
 */
export const onSessionEnd = (() => {
  const keys = new Map<string, Array<() => void>>()
  return (ctx: ClientContext, drop: () => void): void => {
    // a session that cannot tell its end (an in-process test double) keeps what it has
    if (ctx.session.onEnd === undefined) return
    let list = keys.get(ctx.sessionId)
    if (list === undefined) {
      list = []
      keys.set(ctx.sessionId, list)
      const mine = list
      ctx.session.onEnd(() => {
        keys.delete(ctx.sessionId)
        for (const d of mine) d()
      })
    }
    list.push(drop)
  }
})()

/**
 * The state a chain field computes. `content` names the result by content (host inputs); `value` returns an
 * already-named object as is (a module function returning a core object).
 *
 * @category models
 */
export type ChainResult<S = unknown> =
  | { readonly _tag: "State"; readonly state: S; readonly content?: string | undefined }
  | { readonly _tag: "Value"; readonly value: Value }

/**
 * @category constructors
 */
export const state = <S>(s: S, content?: string): ChainResult<S> => ({ _tag: "State", state: s, content })

/**
 * @category constructors
 */
export const existing = (value: Value): ChainResult => ({ _tag: "Value", value })

/**
 * An argument of a field.
 *
 * @category models
 */
export interface ArgSpec {
  /** A GraphQL type expression: `String!`, `[String!]`, `ContainerID!`, `ReturnType`. */
  readonly type: string
  readonly doc: string
  /** A default value (JS value, as graphql-js takes it). */
  readonly default?: unknown
  /**
   * Marks a `String` argument as sensitive (a secret's plaintext): the call records `sensitive(value)` in its place,
   * so the value is in no ID, digest or memo key. `run` gets the value on the request that carries it, and a
   * {@link Recorded} when an ID is replayed.
   */
  readonly sensitive?: (value: string) => string
}

/**
 * What `run` gets for a sensitive argument when an ID is replayed: the recorded stand-in, never the value.
 *
 * @category models
 */
export class Recorded {
  readonly _tag = "Recorded"
  constructor(readonly recorded: string) {}
}

/**
 * A field that returns an object (or a list of objects) built from its parent without doing work.
 *
 * @category models
 */
export interface ChainFieldSpec {
  readonly kind: "chain"
  readonly type: string
  readonly doc: string
  readonly args?: Readonly<Record<string, ArgSpec>>
  /** Receives the parent value and the arguments with ID arguments already loaded as values. */
  readonly run: (
    parent: Value<any>,
    args: any,
    ctx: ClientContext
  ) => Effect.Effect<ChainResult | ReadonlyArray<ChainResult>, ApiError>
  /**
   * Never reuse a memoized result for this call (e.g. host inputs, which re-read the host each time); a function
   * decides per call from the field's arguments.
   */
  readonly volatile?: boolean | ((args: any) => boolean)
  readonly deprecated?: string
}

/**
 * A field that returns a scalar (or any value graphql-js can serialize), possibly doing work.
 *
 * @category models
 */
export interface LeafFieldSpec {
  readonly kind: "leaf"
  readonly type: string
  readonly doc: string
  readonly args?: Readonly<Record<string, ArgSpec>>
  readonly run: (parent: Value<any>, args: any, ctx: ClientContext) => Effect.Effect<unknown, ApiError>
  readonly deprecated?: string
}

/**
 * @category models
 */
export type FieldSpec = ChainFieldSpec | LeafFieldSpec

/**
 * An object type. Every object type gets an `id: ID!` field and implements `Node` automatically; `sync` is added
 * when `sync` is given.
 *
 * @category models
 */
export interface ObjectSpec {
  readonly name: string
  readonly doc: string
  readonly fields: Readonly<Record<string, FieldSpec>>
  /** Forces evaluation of the object (runs its pipeline); `sync` returns the object's ID afterwards. */
  readonly sync?: (value: Value<any>, ctx: ClientContext) => Effect.Effect<void, ApiError>
  /** Interfaces (besides Node) this type implements. */
  readonly interfaces?: ReadonlyArray<string>
  /**
   * Runs every time a client loads a value of this type from an ID (memoized or not), e.g. a Secret must have been
   * set in the loading client's session.
   */
  readonly check?: (value: Value<any>, ctx: ClientContext) => Effect.Effect<void, ApiError>
}

/**
 * An interface type (module interfaces).
 *
 * @category models
 */
export interface InterfaceSpec {
  readonly name: string
  readonly doc: string
  readonly fields: Readonly<Record<string, FieldSpec>>
}

/**
 * An enum. Several names may share one value (aliases such as `STRING` for `STRING_KIND`).
 *
 * @category models
 */
export interface EnumSpec {
  readonly name: string
  readonly doc: string
  readonly values: ReadonlyArray<{ readonly name: string; readonly value?: string; readonly doc?: string }>
}

/**
 * @category models
 */
export interface InputSpec {
  readonly name: string
  readonly doc: string
  readonly fields: Readonly<Record<string, ArgSpec>>
}

/**
 * @category models
 */
export interface ScalarSpec {
  readonly name: string
  readonly doc: string
}

/**
 * A contribution to a schema: types and fields of `Query` (root fields go in an object spec named `Query`;
 * specs of the same object name are merged, and a duplicate field name is an error).
 *
 * @category models
 */
export interface ApiSpec {
  readonly objects?: ReadonlyArray<ObjectSpec>
  readonly interfaces?: ReadonlyArray<InterfaceSpec>
  readonly enums?: ReadonlyArray<EnumSpec>
  readonly inputs?: ReadonlyArray<InputSpec>
  readonly scalars?: ReadonlyArray<ScalarSpec>
}
