/**
 * Reading the errors dockerode rejects with: HTTP status, the daemon's message, and socket-level failures.
 */

const unreachableCodes: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ENOENT",
  "EACCES",
  "EPERM",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENOTSOCK"
])

const field = (cause: unknown, name: string): unknown =>
  typeof cause === "object" && cause !== null && name in cause ? (cause as Record<string, unknown>)[name] : undefined

/** The HTTP status code of a daemon answer, if the error is one. */
export const statusOf = (cause: unknown): number | undefined => {
  const status = field(cause, "statusCode")
  return typeof status === "number" ? status : undefined
}

/** The socket error code (`ECONNREFUSED`, …) when the daemon could not be reached at all; otherwise undefined. */
export const unreachableCode = (cause: unknown): string | undefined => {
  if (statusOf(cause) !== undefined) return undefined
  const code = field(cause, "code")
  return typeof code === "string" && unreachableCodes.has(code) ? code : undefined
}

/** The daemon's own message, without dockerode's `(HTTP code 404) unexpected - ` prefix. */
export const daemonMessage = (cause: unknown): string => {
  const json = field(cause, "json")
  const jsonMessage = field(json, "message")
  if (typeof jsonMessage === "string" && jsonMessage.length > 0) return jsonMessage.trim()
  const message = field(cause, "message")
  if (typeof message === "string") {
    const match = /^\(HTTP code \d+\)[^-]*- ([\s\S]*)$/.exec(message)
    const text = (match?.[1] ?? message).trim()
    if (text.length > 0) return text
    const reason = field(cause, "reason")
    return typeof reason === "string" ? reason : message.trim()
  }
  return String(cause)
}

/**
 * The exit code to report when starting failed because the executable could not be run (Docker reports it when
 * starting the container, not as an exit): 127 when not found, 126 when not executable. Undefined for other failures.
 */
export const execFailureExitCode = (message: string): number | undefined => {
  if (/executable file not found|exec: "[^"]*": stat [^:]*: no such file or directory/.test(message)) return 127
  if (/exec: "[^"]*": permission denied|exec format error/.test(message)) return 126
  return undefined
}
