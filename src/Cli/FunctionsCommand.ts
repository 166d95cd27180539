/**
 * `dirk functions [-m DIR]`: the main object's functions as a `Name  Description` table.
 */
import { Command, Options } from "@effect/cli"
import { type FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import type { EngineShape } from "../Engine/Engine.js"
import { CliEngine } from "./CliEngine.js"
import type { CliError, ExecFailed } from "./CliError.js"
import { CliIo, type CliIoShape } from "./CliIo.js"
import * as ModuleLoader from "./ModuleLoader.js"
import * as Output from "./Output.js"
import * as Session from "./Session.js"
import * as TypeInfo from "./TypeInfo.js"

/** @category options */
export const modOption = Options.text("mod").pipe(
  Options.withAlias("m"),
  Options.withDescription("Module directory (dagger.json is looked up from here upward)"),
  Options.withDefault(".")
)

/** @category options */
export const quietOption = Options.boolean("quiet").pipe(
  Options.withAlias("q"),
  Options.withDescription("Do not print progress on stderr")
)

/**
 * The table for a module.
 *
 * @category combinators
 */
export const render = (module: TypeInfo.ModuleSchema): string => {
  const typeName = TypeInfo.chainType(module.constructor.returns)
  const functions = typeName === undefined ? [] : TypeInfo.functionsOf(module.schema, typeName)
  return Output.table(["Name", "Description"], functions.map((f) => [f.command, TypeInfo.firstLine(f.description)]))
}

/**
 * @category handlers
 */
export const functions = (
  engine: EngineShape,
  io: CliIoShape,
  options: { readonly mod: string; readonly quiet: boolean }
): Effect.Effect<void, CliError | ExecFailed, Path.Path | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const dir = yield* ModuleLoader.findModuleRoot(path.resolve(io.cwd, options.mod))
    yield* Session.withSession(
      engine,
      io,
      { progress: !options.quiet },
      (client) => Effect.flatMap(ModuleLoader.load(client, dir), (module) => io.stdout(render(module)))
    )
  })

/**
 * @category constructors
 */
export const command = Command.make("functions", { mod: modOption, quiet: quietOption }, (options) =>
  Effect.gen(function*() {
    yield* functions(yield* CliEngine, yield* CliIo, options)
  })).pipe(Command.withDescription("List the functions of a module"))
