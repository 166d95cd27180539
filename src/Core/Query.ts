/**
 * Root fields and shared types of the core API: `version`, `defaultPlatform`, the scalars `JSON`, `Void`,
 * `Platform`, and the core enums.
 */
import { Effect } from "effect"
import type * as Api from "./Api.js"
import { nativePlatform } from "./State.js"

/**
 * The Dagger API version dirk implements; clients compare their own version against it.
 *
 * @category constants
 */
export const apiVersion = "v0.21.8"

/**
 * @category constructors
 */
export const make = Effect.sync((): Api.ApiSpec => ({
  scalars: [
    { name: "JSON", doc: "An arbitrary JSON-encoded value (sent and received as a string holding JSON text)." },
    { name: "Void", doc: "The absence of a value (always null)." },
    { name: "Platform", doc: "The platform config OS and architecture in a Container, e.g. \"linux/amd64\"." }
  ],
  enums: [
    {
      name: "ReturnType",
      doc: "Expected return type of an execution.",
      values: [
        { name: "SUCCESS", doc: "A successful execution (exit code 0)." },
        { name: "FAILURE", doc: "A failed execution (exit codes 1-127 and 192-255)." },
        { name: "ANY", doc: "Any execution (exit codes 0-127 and 192-255)." }
      ]
    }
  ],
  objects: [
    {
      name: "Query",
      doc: "The root of the API.",
      fields: {
        version: {
          kind: "leaf",
          type: "String!",
          doc: "The Dagger API version this engine implements.",
          run: () => Effect.succeed(apiVersion)
        },
        defaultPlatform: {
          kind: "leaf",
          type: "Platform!",
          doc: "The default platform of the engine.",
          run: () => Effect.succeed(nativePlatform())
        }
      }
    }
  ]
}))
