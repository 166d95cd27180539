/**
 * Loads a module into a session the way any client can (reference §5): find `dagger.json` from the given
 * directory upward, `moduleSource(refString:) { moduleName asModule { serve } }`, then read the session's schema
 * by standard introspection.
 */
import { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import { buildClientSchema, getIntrospectionQuery, type IntrospectionQuery } from "graphql"
import { CliError, type ExecFailed } from "./CliError.js"
import type { GraphQLClient } from "./GraphQLClient.js"
import * as QueryBuilder from "./QueryBuilder.js"
import * as TypeInfo from "./TypeInfo.js"

/**
 * The nearest directory at or above `start` holding `dagger.json`; fails when `start` does not exist or neither it
 * nor any parent directory has one.
 *
 * @category combinators
 */
export const findModuleRoot = (start: string): Effect.Effect<string, CliError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const type = yield* fs.stat(start).pipe(Effect.map((info) => info.type), Effect.orElseSucceed(() => undefined))
    if (type !== "Directory") {
      const problem = type === undefined ? "does not exist" : "is not a directory"
      return yield* Effect.fail(new CliError({ reason: "Module", detail: `module directory ${start} ${problem}` }))
    }
    let dir = start
    while (true) {
      const exists = yield* fs.exists(path.join(dir, "dagger.json")).pipe(Effect.orElseSucceed(() => false))
      if (exists) return dir
      const parent = path.dirname(dir)
      if (parent === dir) {
        return yield* Effect.fail(
          new CliError({ reason: "Module", detail: `no dagger.json in ${start} or any parent directory` })
        )
      }
      dir = parent
    }
  })

/**
 * Serves the module at `dir` (absolute) in the client's session and returns its schema view.
 *
 * @category constructors
 */
export const load = (
  client: GraphQLClient,
  dir: string
): Effect.Effect<TypeInfo.ModuleSchema, CliError | ExecFailed> =>
  Effect.gen(function*() {
    const data = yield* client.data(
      `query { moduleSource(refString: ${QueryBuilder.stringLiteral(dir)}) { moduleName asModule { serve } } }`
    ).pipe(Effect.mapError((e) => e._tag === "CliError" ? new CliError({ reason: "Module", detail: e.detail }) : e))
    const moduleName = (data as { moduleSource?: { moduleName?: unknown } } | null)?.moduleSource?.moduleName
    if (typeof moduleName !== "string") {
      return yield* Effect.fail(new CliError({ reason: "Module", detail: `no module name for ${dir}` }))
    }
    const schema = yield* introspect(client)
    const module = TypeInfo.moduleSchema(schema, moduleName)
    if (module === undefined) {
      return yield* Effect.fail(
        new CliError({ reason: "Module", detail: `module "${moduleName}" was served but has no root field in the schema` })
      )
    }
    return module
  })

/**
 * The session's schema as a client-side `GraphQLSchema`.
 *
 * @category constructors
 */
export const introspect = (client: GraphQLClient) =>
  Effect.flatMap(client.data(getIntrospectionQuery({ descriptions: true })), (data) =>
    Effect.try({
      try: () => buildClientSchema(data as IntrospectionQuery),
      catch: (cause) =>
        new CliError({ reason: "GraphQL", detail: `bad introspection result: ${cause instanceof Error ? cause.message : String(cause)}` })
    }))
