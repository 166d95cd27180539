/**
 * `dirk core [-o PATH] [-j] [-q] FUNCTION [--flag value]... [FUNCTION [--flag value]...]...`: chains core API
 * functions from the `Query` root (`dirk core container from --address IMG with-exec --args echo,hi stdout`), with
 * the machinery and the output rules of `dirk call` (`CallTree`, `CallCommand.execute`), on the session's schema
 * read by introspection. No module is loaded.
 */
import { Args, Command } from "@effect/cli"
import type { FileSystem, Path, Terminal } from "@effect/platform"
import { Effect } from "effect"
import type { EngineShape } from "../Engine/Engine.js"
import * as CallCommand from "./CallCommand.js"
import * as CallOptions from "./CallOptions.js"
import * as CallTree from "./CallTree.js"
import { CliEngine } from "./CliEngine.js"
import { type CliError, type ExecFailed, usage } from "./CliError.js"
import { CliIo, type CliIoShape } from "./CliIo.js"
import * as ModuleLoader from "./ModuleLoader.js"
import * as TypeInfo from "./TypeInfo.js"

/** @category args */
export const functionArgs = Args.text({ name: "function" }).pipe(
  Args.withDescription("dirk's options, a function of the core API's root, its --flags, then functions of what it returns"),
  Args.repeated
)

/**
 * The static options as `dirk core --help` shows them.
 *
 * @category models
 */
export const staticHelp = CallCommand.staticHelpOf([])

/**
 * Plans the chain on the core schema, runs it and prints the result (or help). `words` are everything after
 * `dirk core`.
 *
 * @category handlers
 */
export const core = (
  engine: EngineShape,
  io: CliIoShape,
  words: ReadonlyArray<string>
): Effect.Effect<void, CliError | ExecFailed, FileSystem.FileSystem | Path.Path | Terminal.Terminal> =>
  Effect.gen(function*() {
    const leading = CallOptions.leading(words)
    yield* CallCommand.withChainSession(engine, io, leading, (client, io) =>
      Effect.gen(function*() {
        const schema = TypeInfo.coreSchema(yield* ModuleLoader.introspect(client))
        const plan = yield* CallTree.plan(schema, words, { staticHelp })
        if (plan.options.mod !== undefined) {
          return yield* Effect.fail(usage("dirk core loads no module: -m/--mod is an option of dirk call"))
        }
        if (plan._tag === "Help") return yield* io.stdout(plan.text)
        yield* CallCommand.execute(client, schema, plan.calls, plan.options, io)
      }))
  })

/**
 * The `core` subcommand. `Cli.prepare` puts `--` after `core`, so every word reaches it unparsed.
 *
 * @category constructors
 */
export const command = Command.make("core", { words: functionArgs }, (parsed) =>
  Effect.gen(function*() {
    yield* core(yield* CliEngine, yield* CliIo, parsed.words)
  })).pipe(Command.withDescription("Call core API functions from the root, as dirk call does (e.g. container from --address IMG)"))
