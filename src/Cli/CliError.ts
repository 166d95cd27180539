/**
 * Errors the CLI reports to the user. Each becomes a message on stderr and exit code 1.
 */
import type { PlatformError } from "@effect/platform/Error"
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

/**
 * A file system error in words (`no such file`, `permission denied`), without Effect's error shape.
 *
 * @category combinators
 */
export const ioProblem = (error: PlatformError): string => {
  if (error._tag === "BadArgument") return error.description ?? "bad argument"
  switch (error.reason) {
    case "NotFound":
      return "no such file or directory"
    case "PermissionDenied":
      return "permission denied"
    case "AlreadyExists":
      return "already exists"
    default: {
      const code = (error.cause as { readonly code?: unknown } | undefined)?.code
      if (code === "EISDIR") return "is a directory"
      if (code === "ENOTDIR") return "not a directory"
      return error.description?.replace(/^E[A-Z]+: /, "").replace(/, \w+ '.*'$/, "") ?? error.reason
    }
  }
}
