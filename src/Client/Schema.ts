/**
 * The engine's schema as the generator reads it: an engine in this process (throwaway state dir), one session,
 * standard introspection.
 */
import { Effect } from "effect"
import { getIntrospectionQuery, type IntrospectionQuery } from "graphql"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as DirkClient from "./DirkClient.js"
import type { ConnectionError, DirkError } from "./DirkError.js"
import * as Generate from "./Generate.js"

/**
 * The introspection of the engine's schema, as a session's root client sees it (core API and module API).
 *
 * @category constructors
 */
export const introspect: Effect.Effect<IntrospectionQuery, DirkError | ConnectionError> = Effect.acquireUseRelease(
  Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "dirk-gen-"))),
  (stateDir) =>
    DirkClient.execute({ query: getIntrospectionQuery() }).pipe(
      Effect.map((data) => data as IntrospectionQuery),
      Effect.provide(DirkClient.layerEmbeddedWith({ stateDir }))
    ),
  (stateDir) => Effect.sync(() => fs.rmSync(stateDir, { recursive: true, force: true }))
)

/**
 * The client's files for the engine's schema.
 *
 * @category constructors
 */
export const generateFromEngine = Effect.map(introspect, Generate.generate)

/**
 * The generated files that differ from those in `dir` (missing, changed, or there but no longer generated).
 *
 * @category combinators
 */
export const compare = (dir: string, files: ReadonlyArray<Generate.GeneratedFile>): ReadonlyArray<string> => {
  const onDisk = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".ts")) : []
  const differ = files.filter((f) => {
    const p = path.join(dir, f.path)
    return !fs.existsSync(p) || fs.readFileSync(p, "utf8") !== f.contents
  }).map((f) => f.path)
  const extra = onDisk.filter((f) => !files.some((g) => g.path === f))
  return [...differ, ...extra]
}
