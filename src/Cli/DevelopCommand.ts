/**
 * `dirk develop [-m DIR] [--sdk typescript] [--source DIR]`: sets up a module for an editor and `tsc`
 * (`Develop.develop`): links the engine's SDK and TypeScript into its node_modules and installs its npm
 * dependencies; sets the SDK of a module that has none when `--sdk` is given. A module with module dependencies
 * also gets their bindings' declarations (`src/dependencies.gen.d.ts`), which the engine makes from their API (a
 * session: their registration).
 */
import { Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import * as path from "node:path"
import type { EngineShape } from "../Engine/Engine.js"
import { CliEngine } from "./CliEngine.js"
import { CliError } from "./CliError.js"
import { CliIo, type CliIoShape } from "./CliIo.js"
import { EngineHost } from "./EngineHost.js"
import { shortPath } from "./InitCommand.js"
import * as ModuleLoader from "./ModuleLoader.js"
import * as QueryBuilder from "./QueryBuilder.js"
import * as Session from "./Session.js"

/** @category options */
export const modOption = Options.text("mod").pipe(
  Options.withAlias("m"),
  Options.withDescription("Module directory (dagger.json is looked up from here upward)"),
  Options.withDefault(".")
)

/** @category options */
export const sdkOption = Options.text("sdk").pipe(
  Options.withDescription("Set the SDK of a module that has none (typescript): its template code is written"),
  Options.optional
)

/** @category options */
export const sourceOption = Options.text("source").pipe(
  Options.withDescription("With --sdk: where the code goes, relative to the module directory"),
  Options.optional
)

/**
 * @category handlers
 */
export const develop = (
  engine: EngineShape,
  io: CliIoShape,
  stateDir: string,
  options: { readonly mod: string; readonly sdk: string | undefined; readonly source: string | undefined }
) =>
  Effect.gen(function*() {
    const Develop = yield* Effect.promise(() => import("./Develop.js"))
    const dir = yield* ModuleLoader.findModuleRoot(path.resolve(io.cwd, options.mod))
    const done = yield* Develop.develop(dir, { sdk: options.sdk, source: options.source, stateDir })
    const file = Develop.declarationsFile(done.sourceDir)
    // the dependencies' bindings need their API: the engine registers them (an earlier file goes when there are none)
    const declared = done.hasModuleDependencies
      ? yield* Session.withSession(engine, io, { progress: false }, (client) =>
        client.data(`query { moduleSource(refString: ${QueryBuilder.stringLiteral(dir)}) { dirkDependencyDeclarations } }`).pipe(
          Effect.mapError((e) => new CliError({ reason: "Module", detail: e.detail })),
          Effect.map((d) => String((d as { moduleSource: { dirkDependencyDeclarations: string } }).moduleSource.dirkDependencyDeclarations))
        )).pipe(Effect.flatMap((text) => Develop.writeDeclarations(done.sourceDir, text)))
      : yield* Develop.writeDeclarations(done.sourceDir, "")
    const lines = [
      `Module ${done.name} (${done.sourceDir}) is ready for development.`,
      ...done.written.map((f) => `  wrote ${shortPath(io.cwd, f)}`),
      ...(declared === undefined ? [] : [`  ${declared} ${shortPath(io.cwd, file)}`]),
      ...(done.dependencies.length > 0 ? [`  npm dependencies: ${done.dependencies.join(", ")}`] : [])
    ]
    yield* io.stderr(lines.join("\n") + "\n")
  })

/**
 * @category constructors
 */
export const command = Command.make("develop", { mod: modOption, sdk: sdkOption, source: sourceOption }, (options) =>
  Effect.gen(function*() {
    const host = yield* EngineHost
    yield* develop(yield* CliEngine, yield* CliIo, host.stateDir, {
      mod: options.mod,
      sdk: Option.getOrUndefined(options.sdk),
      source: Option.getOrUndefined(options.source)
    })
  })).pipe(Command.withDescription("Set up a module for an editor and tsc: link the SDK, install its npm dependencies"))
