/**
 * Errors that reach GraphQL clients.
 */
import { Schema } from "effect"
import type { SolveError } from "../Dag/Errors.js"

/**
 * A bad request or a failure that is not an exec error: it carries a message and, optionally, GraphQL
 * extensions (module functions' `Error.values`).
 *
 * @category errors
 */
export class QueryError extends Schema.TaggedError<QueryError>()("QueryError", {
  reason: Schema.Literal("InvalidArgument", "NotFound", "Unsupported", "Module", "Internal"),
  detail: Schema.String,
  extensions: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * @category errors
 */
export type ApiError = SolveError | QueryError

/**
 * @category constructors
 */
export const invalid = (detail: string) => new QueryError({ reason: "InvalidArgument", detail })
