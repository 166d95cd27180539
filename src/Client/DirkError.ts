/**
 * The errors of the typed client: what a pipeline's leaves fail with.
 */
import { Schema } from "effect"

/**
 * A command run by `withExec` exited with a non-zero code (Dagger's `EXEC_ERROR`).
 *
 * @category errors
 */
export class ExecError extends Schema.TaggedError<ExecError>()("ExecError", {
  /** The command's argv. */
  cmd: Schema.Array(Schema.String),
  exitCode: Schema.Number,
  stdout: Schema.String,
  stderr: Schema.String,
  /** The engine's message. */
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * The engine refused or failed a request (bad argument, missing file, unknown field…).
 *
 * @category errors
 */
export class QueryError extends Schema.TaggedError<QueryError>()("QueryError", {
  detail: Schema.String,
  /** Where in the response the error happened (GraphQL `path`). */
  path: Schema.Array(Schema.Union(Schema.String, Schema.Number)),
  /** The error's GraphQL extensions, when it has some. */
  extensions: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * The session could not be reached, opened or understood.
 *
 * @category errors
 */
export class ConnectionError extends Schema.TaggedError<ConnectionError>()("ConnectionError", {
  reason: Schema.Literal("Unreachable", "Unauthorized", "BadResponse", "EngineFailed"),
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * Every error of the typed client.
 *
 * @category errors
 */
export type DirkError = ExecError | QueryError | ConnectionError

/**
 * The schema of every error of the typed client (to encode them, or to declare them in a module function).
 *
 * @category errors
 */
export const DirkError: Schema.Union<[typeof ExecError, typeof QueryError, typeof ConnectionError]> = Schema.Union(
  ExecError,
  QueryError,
  ConnectionError
)

const asStrings = (value: unknown): ReadonlyArray<string> =>
  Array.isArray(value) ? value.map(String) : typeof value === "string" ? [value] : []

/**
 * A GraphQL error as the session serializes it.
 *
 * @category models
 */
export interface GraphQLErrorJson {
  readonly message: string
  readonly path?: ReadonlyArray<string | number> | undefined
  readonly extensions?: Record<string, unknown> | undefined
}

/**
 * The client's error for a GraphQL error (`EXEC_ERROR` keeps the command, exit code and output).
 *
 * @category constructors
 */
export const fromGraphQL = (error: GraphQLErrorJson): ExecError | QueryError => {
  const ext = error.extensions ?? {}
  if (ext["_type"] === "EXEC_ERROR") {
    return new ExecError({
      detail: error.message,
      cmd: asStrings(ext["cmd"]),
      exitCode: typeof ext["exitCode"] === "number" ? ext["exitCode"] : -1,
      stdout: typeof ext["stdout"] === "string" ? ext["stdout"] : "",
      stderr: typeof ext["stderr"] === "string" ? ext["stderr"] : ""
    })
  }
  return new QueryError({
    detail: error.message,
    path: error.path ?? [],
    ...(error.extensions !== undefined && Object.keys(error.extensions).length > 0 ? { extensions: error.extensions } : {})
  })
}
