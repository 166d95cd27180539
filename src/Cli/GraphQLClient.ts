/**
 * A minimal GraphQL client of one session (`POST url`, Basic auth with the session token as user name).
 */
import { Effect } from "effect"
import type { SessionInfo } from "../Engine/Engine.js"
import { CliError, ExecFailed } from "./CliError.js"

/**
 * @category models
 */
export interface GraphQLErrorJson {
  readonly message: string
  readonly path?: ReadonlyArray<string | number>
  readonly extensions?: Record<string, unknown>
}

/**
 * @category models
 */
export interface GraphQLResponse {
  readonly data?: unknown
  readonly errors?: ReadonlyArray<GraphQLErrorJson>
}

/**
 * @category models
 */
export interface GraphQLClient {
  /** The raw response (errors included). */
  readonly request: (query: string) => Effect.Effect<GraphQLResponse, CliError>
  /** The data; the first error, if any, fails (EXEC_ERROR as `ExecFailed`). */
  readonly data: (query: string) => Effect.Effect<unknown, CliError | ExecFailed>
}

const asStrings = (value: unknown): ReadonlyArray<string> =>
  Array.isArray(value) ? value.map(String) : typeof value === "string" ? [value] : []

/**
 * Turns a GraphQL error into the CLI's error (EXEC_ERROR keeps cmd, exit code and output).
 *
 * @category constructors
 */
export const toError = (error: GraphQLErrorJson): CliError | ExecFailed => {
  const ext = error.extensions ?? {}
  if (ext["_type"] === "EXEC_ERROR") {
    return new ExecFailed({
      detail: error.message,
      cmd: asStrings(ext["cmd"]),
      exitCode: typeof ext["exitCode"] === "number" ? ext["exitCode"] : -1,
      stdout: typeof ext["stdout"] === "string" ? ext["stdout"] : "",
      stderr: typeof ext["stderr"] === "string" ? ext["stderr"] : ""
    })
  }
  return new CliError({ reason: "GraphQL", detail: error.message })
}

/**
 * @category constructors
 */
export const make = (session: Pick<SessionInfo, "url" | "token">): GraphQLClient => {
  const authorization = `Basic ${Buffer.from(`${session.token}:`).toString("base64")}`
  const request = (query: string): Effect.Effect<GraphQLResponse, CliError> =>
    Effect.tryPromise({
      try: async (signal) => {
        const response = await fetch(session.url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization },
          body: JSON.stringify({ query }),
          signal
        })
        const text = await response.text()
        try {
          return JSON.parse(text) as GraphQLResponse
        } catch {
          throw new Error(`HTTP ${response.status}: ${text.slice(0, 500)}`)
        }
      },
      catch: (cause) =>
        new CliError({
          reason: "Transport",
          detail: `request to ${session.url} failed: ${cause instanceof Error ? cause.message : String(cause)}`
        })
    })
  const data = (query: string) =>
    Effect.flatMap(request(query), (response) => {
      const first = response.errors?.[0]
      return first === undefined ? Effect.succeed(response.data) : Effect.fail(toError(first))
    })
  return { request, data }
}
