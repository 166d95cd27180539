/**
 * The context of one module function call (or registration), carried by the nested client the module's runtime
 * talks to (`ClientContext.module`). The module API's `currentModule` / `currentFunctionCall` read it, and
 * `returnValue` / `returnError` record the outcome into it.
 */
import { Effect, Option, Ref } from "effect"
import type * as Api from "../Core/Api.js"
import { QueryError } from "../Core/Errors.js"
import type * as Model from "./Model.js"

/**
 * An argument value passed to a function.
 *
 * @category models
 */
export interface InputArg {
  /** The argument's original (SDK-side) name. */
  readonly name: string
  /** JSON text. */
  readonly value: string
}

/**
 * What the module is asked to do. `parentName == ""` is registration.
 *
 * @category models
 */
export interface CallRequest {
  /** The parent object's original name ("" = registration). */
  readonly parentName: string
  /** The function's original name ("" = constructor). */
  readonly name: string
  /** JSON text of the parent object's state. */
  readonly parent: string
  readonly inputArgs: ReadonlyArray<InputArg>
}

/**
 * How a call ended, as recorded by `returnValue` / `returnError`.
 *
 * @category models
 */
export type Outcome =
  | {
    readonly _tag: "Returned"
    /** JSON text. */
    readonly value: string
    /** For registration: the typedefs of the returned Module ID, loaded in the nested client. */
    readonly module?: Model.ModuleDef | undefined
  }
  | { readonly _tag: "Failed"; readonly error: Model.ErrorData }

/**
 * @category models
 */
export interface CallContext {
  readonly _tag: "dirk/Modules/CallContext"
  /** Unique per call: names the call's `currentFunctionCall` / `currentModule` objects. */
  readonly callKey: string
  readonly moduleName: string
  readonly request: CallRequest
  readonly outcome: Ref.Ref<Option.Option<Outcome>>
}

/**
 * @category constructors
 */
export const make = (
  moduleName: string,
  request: CallRequest,
  callKey: string
): Effect.Effect<CallContext> =>
  Ref.make(Option.none<Outcome>()).pipe(
    Effect.map((outcome) => ({ _tag: "dirk/Modules/CallContext", callKey, moduleName, request, outcome }))
  )

/**
 * @category guards
 */
export const isCallContext = (u: unknown): u is CallContext =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "dirk/Modules/CallContext"

/**
 * The call context of the requesting client; fails outside a module function call.
 *
 * @category getters
 */
export const fromClient = (ctx: Api.ClientContext, what: string): Effect.Effect<CallContext, QueryError> =>
  isCallContext(ctx.module)
    ? Effect.succeed(ctx.module)
    : Effect.fail(
      new QueryError({
        reason: "InvalidArgument",
        detail: `${what} is only available to a module's runtime during a function call`
      })
    )

/**
 * Records the outcome; a second `returnValue`/`returnError` in the same call is an error.
 *
 * @category combinators
 */
export const record = (call: CallContext, outcome: Outcome): Effect.Effect<void, QueryError> =>
  Ref.modify(call.outcome, (current) =>
    Option.isSome(current) ? [false, current] as const : [true, Option.some(outcome)] as const).pipe(
      Effect.flatMap((ok) =>
        ok
          ? Effect.void
          : Effect.fail(new QueryError({ reason: "InvalidArgument", detail: "the function call already returned" }))
      )
    )
