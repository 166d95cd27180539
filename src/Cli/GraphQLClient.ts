/**
 * A minimal GraphQL client of one session (`POST url`, Basic auth with the session token as user name).
 */
import { Effect } from "effect"
import * as http from "node:http"
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
  // node:http rather than fetch: fetch's first use costs tens of milliseconds of set-up (and more at exit)
  const request = (query: string): Effect.Effect<GraphQLResponse, CliError> =>
    Effect.async<GraphQLResponse, CliError>((resume) => {
      const fail = (cause: unknown) =>
        resume(Effect.fail(
          new CliError({
            reason: "Transport",
            detail: `request to ${session.url} failed: ${cause instanceof Error ? cause.message : String(cause)}`
          })
        ))
      const body = JSON.stringify({ query })
      const req = http.request(session.url, {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization }
      }, (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("error", fail)
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8")
          try {
            resume(Effect.succeed(JSON.parse(text) as GraphQLResponse))
          } catch {
            fail(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 500)}`))
          }
        })
      })
      req.on("error", fail)
      req.end(body)
      return Effect.sync(() => req.destroy())
    })
  const data = (query: string) =>
    Effect.flatMap(request(query), (response) => {
      const first = response.errors?.[0]
      return first === undefined ? Effect.succeed(response.data) : Effect.fail(toError(first))
    })
  return { request, data }
}
