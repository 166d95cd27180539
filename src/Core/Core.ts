/**
 * The core API: every core type's spec, in one list.
 */
import { Effect } from "effect"
import type * as Api from "./Api.js"
import * as Container from "./Container.js"
import * as Directory from "./Directory.js"
import * as File from "./File.js"
import * as Host from "./Host.js"
import * as Query from "./Query.js"

/**
 * The specs of the core types (Query root fields, Container, Directory, File, Host, scalars, enums).
 *
 * @category constructors
 */
export const specs = Effect.all([Query.make, Container.make, Directory.make, File.make, Host.make]).pipe(
  Effect.map((xs): ReadonlyArray<Api.ApiSpec> => xs)
)
