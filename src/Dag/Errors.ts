/**
 * Errors of the op graph and its solver. These reach GraphQL and the CLI.
 */
import { Schema } from "effect"

/**
 * A process exited with a code its `expect` does not allow. Becomes a GraphQL error with
 * `extensions._type = "EXEC_ERROR"`.
 *
 * @category errors
 */
export class ExecError extends Schema.TaggedError<ExecError>()("ExecError", {
  cmd: Schema.Array(Schema.String),
  exitCode: Schema.Number,
  stdout: Schema.String,
  stderr: Schema.String
}) {
  override get message(): string {
    return `process "${this.cmd.join(" ")}" did not complete successfully: exit code: ${this.exitCode}`
  }
}

/**
 * Any other failure to evaluate an op (missing image, missing path, runtime failure).
 *
 * @category errors
 */
export class DagError extends Schema.TaggedError<DagError>()("DagError", {
  reason: Schema.Literal("ImageNotFound", "PathNotFound", "NoCommand", "Runtime", "Io", "InvalidInput", "Service"),
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * @category errors
 */
export type SolveError = ExecError | DagError
