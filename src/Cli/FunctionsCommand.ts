/**
 * `dirk functions [-m DIR] [FUNCTION…]`: the main object's functions as a `Name  Description` table; with function
 * names, the functions of the object the last of them returns (`dirk functions build` → Directory's).
 */
import { Args, Command, Options } from "@effect/cli"
import { type FileSystem, Path } from "@effect/platform"
import { Effect, Either } from "effect"
import type { EngineShape } from "../Engine/Engine.js"
import { CliEngine } from "./CliEngine.js"
import { type CliError, type ExecFailed, usage } from "./CliError.js"
import { CliIo, type CliIoShape } from "./CliIo.js"
import * as ModuleLoader from "./ModuleLoader.js"
import * as Naming from "./Naming.js"
import * as Suggest from "./Suggest.js"
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

/** @category args */
export const functionArgs = Args.text({ name: "function" }).pipe(
  Args.withDescription("A chain of functions: list the functions of what the last one returns"),
  Args.repeated
)

/**
 * The table for a module, or for the object returned by the chain `path` of function names.
 *
 * @category combinators
 */
export const render = (module: TypeInfo.ModuleSchema, path: ReadonlyArray<string> = []): Either.Either<string, CliError> => {
  let typeName = TypeInfo.chainType(module.constructor.returns)
  let from = `module "${module.moduleName}"`
  for (const word of path) {
    if (typeName === undefined) return Either.left(usage(`unexpected function "${word}": ${from} has no functions`))
    const functions = TypeInfo.functionsOf(module.schema, typeName)
    const fn = functions.find((f) => f.command === Naming.kebab(word))
    if (fn === undefined) {
      return Either.left(usage(
        `unknown function "${word}" for ${typeName}${Suggest.didYouMean(Naming.kebab(word), functions.map((f) => f.command))}` +
          `; available: ${functions.map((f) => f.command).join(", ")}`
      ))
    }
    typeName = TypeInfo.chainType(fn.returns)
    from = `"${fn.command}" returns ${TypeInfo.showReturn(fn.returns)}, which`
  }
  const functions = typeName === undefined ? [] : TypeInfo.functionsOf(module.schema, typeName)
  if (typeName === undefined && path.length > 0) {
    return Either.left(usage(`${from} has no functions`))
  }
  return Either.right(
    Output.table(["Name", "Description"], functions.map((f) => [f.command, TypeInfo.firstLine(f.description)]))
  )
}

/**
 * @category handlers
 */
export const functions = (
  engine: EngineShape,
  io: CliIoShape,
  options: { readonly mod: string; readonly quiet: boolean; readonly functions: ReadonlyArray<string> }
): Effect.Effect<void, CliError | ExecFailed, Path.Path | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const dir = yield* ModuleLoader.findModuleRoot(path.resolve(io.cwd, options.mod))
    yield* Session.withSession(
      engine,
      io,
      { progress: !options.quiet },
      (client) =>
        ModuleLoader.load(client, dir).pipe(
          Effect.flatMap((module) => render(module, options.functions)),
          Effect.flatMap(io.stdout)
        )
    )
  })

/**
 * @category constructors
 */
export const command = Command.make("functions", { mod: modOption, quiet: quietOption, functions: functionArgs }, (options) =>
  Effect.gen(function*() {
    yield* functions(yield* CliEngine, yield* CliIo, options)
  })).pipe(Command.withDescription("List the functions of a module (or of what a chain of its functions returns)"))
