/**
 * Errors the CLI reports to the user. Each becomes a message on stderr and exit code 1.
 */
import { Data, Schema } from "effect"

/**
 * A failed exec reported by the engine (`extensions._type === "EXEC_ERROR"`).
 *
 * @category errors
 */
export class ExecFailed extends Schema.TaggedError<ExecFailed>()("ExecFailed", {
  detail: Schema.String,
  cmd: Schema.Array(Schema.String),
  exitCode: Schema.Number,
  stdout: Schema.String,
  stderr: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * Anything else the user should read: bad usage, a GraphQL error, a module that does not load, transport.
 *
 * @category errors
 */
export class CliError extends Schema.TaggedError<CliError>()("CliError", {
  reason: Schema.Literal("Usage", "GraphQL", "Module", "Transport", "Engine", "Io"),
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * Ends the command with this exit code; whatever had to be printed was printed already.
 *
 * @category errors
 */
export class ExitCode extends Data.TaggedError("ExitCode")<{ readonly code: number }> {}

/**
 * @category errors
 */
export type CallError = ExecFailed | CliError

/**
 * @category constructors
 */
export const usage = (detail: string): CliError => new CliError({ reason: "Usage", detail })
