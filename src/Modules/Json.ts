/**
 * The `JSON` scalar's wire format: a GraphQL string holding JSON text, in both directions (`FunctionCall.parent`,
 * `FunctionCallArgValue.value`, `FunctionArg.defaultValue`, `returnValue(value:)`, `Error.withValue(value:)`).
 */
import { Effect } from "effect"
import { invalid, type QueryError } from "../Core/Errors.js"

/**
 * Encodes a JS value as JSON text (`undefined` becomes `null`).
 *
 * @category encoding
 */
export const encode = (value: unknown): string => JSON.stringify(value === undefined ? null : value) ?? "null"

/**
 * Decodes JSON text; the empty string decodes as `null` (as upstream does).
 *
 * @category encoding
 */
export const decode = (text: string, what: string): Effect.Effect<unknown, QueryError> =>
  text.trim() === ""
    ? Effect.succeed(null)
    : Effect.try({
      try: () => JSON.parse(text) as unknown,
      catch: (e) => invalid(`${what}: invalid JSON ${JSON.stringify(text.length > 60 ? text.slice(0, 60) + "…" : text)}: ${e instanceof Error ? e.message : String(e)}`)
    })

/**
 * Validates JSON text received from a client and returns it unchanged (normalizing "" to "null").
 *
 * @category encoding
 */
export const validate = (text: unknown, what: string): Effect.Effect<string, QueryError> => {
  if (text === null || text === undefined) return Effect.succeed("null")
  const s = typeof text === "string" ? text : JSON.stringify(text)
  return decode(s, what).pipe(Effect.as(s.trim() === "" ? "null" : s))
}
