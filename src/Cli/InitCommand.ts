/**
 * `dirk init [DIR] [--sdk typescript] [--name NAME] [--source DIR]`: creates a module (as `dagger init`): its
 * `dagger.json`, and with `--sdk` a TypeScript module that runs at once (`Develop.init`).
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import * as path from "node:path"
import type { CliError } from "./CliError.js"
import { CliIo, type CliIoShape } from "./CliIo.js"

/** @category args */
export const dirArg = Args.directory({ name: "dir", exists: "either" }).pipe(
  Args.withDescription("The module's directory (default: the current one; created when missing)"),
  Args.optional
)

/** @category options */
export const sdkOption = Options.text("sdk").pipe(
  Options.withDescription("The SDK of the module's code: typescript or effect (without it, only dagger.json is written)"),
  Options.optional
)

/** @category options */
export const nameOption = Options.text("name").pipe(
  Options.withDescription("The module's name (default: the directory's name)"),
  Options.optional
)

/** @category options */
export const sourceOption = Options.text("source").pipe(
  Options.withDescription("Where the code goes, relative to the module directory (default: .dagger when the directory has files, else .)"),
  Options.optional
)

/**
 * A path relative to `cwd` when it is below it, else as is.
 *
 * @category combinators
 */
export const shortPath = (cwd: string, file: string): string => {
  const rel = path.relative(cwd, file)
  return rel === "" || rel.startsWith("..") || path.isAbsolute(rel) ? file : rel
}

/**
 * @category handlers
 */
export const init = (
  io: CliIoShape,
  options: { readonly dir: string | undefined; readonly sdk: string | undefined; readonly name: string | undefined; readonly source: string | undefined }
): Effect.Effect<void, CliError> =>
  Effect.gen(function*() {
    const Develop = yield* Effect.promise(() => import("./Develop.js"))
    const dir = path.resolve(io.cwd, options.dir ?? ".")
    const written = yield* Develop.init({ dir, name: options.name, sdk: options.sdk, source: options.source })
    const shown = written.map((f) => `  ${shortPath(io.cwd, f)}`).join("\n")
    yield* io.stderr(`Initialized module in ${dir}:\n${shown}\n`)
  })

/**
 * @category constructors
 */
export const command = Command.make(
  "init",
  { dir: dirArg, sdk: sdkOption, name: nameOption, source: sourceOption },
  (options) =>
    Effect.gen(function*() {
      yield* init(yield* CliIo, {
        dir: Option.getOrUndefined(options.dir),
        sdk: Option.getOrUndefined(options.sdk),
        name: Option.getOrUndefined(options.name),
        source: Option.getOrUndefined(options.source)
      })
    })
).pipe(Command.withDescription("Create a module: dagger.json, and with --sdk typescript code that runs at once"))
