/**
 * `dirk call [-m DIR] [-o PATH] [-j] [-q] FUNCTION [--flag value]... [FUNCTION [--flag value]...]...`
 *
 * Two phases: these static options are parsed by @effect/cli; the words after them are parsed against the
 * module's schema once it is loaded (`CallTree`).
 */
import { Args, Command, Options } from "@effect/cli"
import { FileSystem, Path } from "@effect/platform"
import type { Terminal } from "@effect/platform"
import { Effect, Either, Option } from "effect"
import type { EngineShape } from "../Engine/Engine.js"
import * as CallTree from "./CallTree.js"
import { CliEngine } from "./CliEngine.js"
import { CliError, type ExecFailed } from "./CliError.js"
import { CliIo, type CliIoShape } from "./CliIo.js"
import type { GraphQLClient } from "./GraphQLClient.js"
import * as ModuleLoader from "./ModuleLoader.js"
import * as Output from "./Output.js"
import * as QueryBuilder from "./QueryBuilder.js"
import * as Session from "./Session.js"
import type * as TypeInfo from "./TypeInfo.js"

/** @category options */
export const modOption = Options.text("mod").pipe(
  Options.withAlias("m"),
  Options.withDescription("Module directory (dagger.json is looked up from here upward)"),
  Options.withDefault(".")
)

/** @category options */
export const outputOption = Options.text("output").pipe(
  Options.withAlias("o"),
  Options.withDescription("Save the result: a Directory or File is exported there, other output is written to the file"),
  Options.optional
)

/** @category options */
export const jsonOption = Options.boolean("json").pipe(
  Options.withAlias("j"),
  Options.withDescription("Print the result as JSON")
)

/** @category options */
export const quietOption = Options.boolean("quiet").pipe(
  Options.withAlias("q"),
  Options.withDescription("Do not print progress on stderr")
)

/** @category args */
export const functionArgs = Args.text({ name: "function" }).pipe(
  Args.withDescription("A function of the module, its --flags, then functions of what it returns (chaining)"),
  Args.repeated
)

/**
 * The static options as `dirk call --help` shows them.
 *
 * @category models
 */
export const staticHelp = Output.table(["Option", "Description"], [
  ["-m, --mod DIR", "Module directory (default \".\"; dagger.json is looked up from there upward)"],
  ["-o, --output PATH", "Save the result to PATH (Directory/File are exported, other output written)"],
  ["-j, --json", "Print the result as JSON"],
  ["-q, --quiet", "Do not print progress on stderr"],
  ["-h, --help", "Show help (after a function: that function's flags)"]
])

/**
 * @category models
 */
export interface CallOptions {
  readonly mod: string
  readonly output: string | undefined
  readonly json: boolean
  readonly quiet: boolean
  readonly words: ReadonlyArray<string>
  readonly help: boolean
}

const execute = (
  client: GraphQLClient,
  module: TypeInfo.ModuleSchema,
  calls: ReadonlyArray<CallTree.PlannedCall>,
  options: CallOptions,
  io: CliIoShape
) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const fs = yield* FileSystem.FileSystem
    const last = calls[calls.length - 1]!.spec
    const exportPath = options.output === undefined ? undefined : path.resolve(io.cwd, options.output)
    const leaf = QueryBuilder.leafFor(module.schema, last.returns, exportPath)

    const absolute = calls.map((call) =>
      call.values.map(({ arg, value }) => ({
        arg,
        value: QueryBuilder.absolutize(value, (p) => path.resolve(io.cwd, p))
      }))
    )
    const refs = QueryBuilder.hostRefs(absolute.flat().map((v) => v.value))
    let ids: ReadonlyMap<string, string> = new Map()
    if (refs.length > 0) {
      const { aliases, query } = QueryBuilder.hostQuery(refs)
      ids = QueryBuilder.hostIds(yield* client.data(query), aliases)
    }
    const built: Array<QueryBuilder.Call> = []
    for (const [i, call] of calls.entries()) {
      const args: Array<QueryBuilder.Call["args"][number]> = []
      for (const { arg, value } of absolute[i]!) {
        const resolved = QueryBuilder.resolveValue(value, ids)
        if (Either.isLeft(resolved)) {
          return yield* Effect.fail(new CliError({ reason: "GraphQL", detail: resolved.left }))
        }
        args.push({ name: arg.name, value: resolved.right, type: arg.type })
      }
      built.push({ field: call.spec.name, args })
    }
    const query = QueryBuilder.buildQuery(built, leaf)
    if (Either.isLeft(query)) return yield* Effect.fail(new CliError({ reason: "Usage", detail: query.left }))
    const value = QueryBuilder.pluck(yield* client.data(query.right), built, leaf)

    if (leaf._tag === "Export") {
      yield* io.stderr(`Saved to "${options.output}".\n`)
      return
    }
    const text = Output.format(last.returns, value, { json: options.json })
    if (exportPath !== undefined) {
      yield* fs.makeDirectory(path.dirname(exportPath), { recursive: true }).pipe(
        Effect.zipRight(fs.writeFileString(exportPath, text)),
        Effect.mapError((e) => new CliError({ reason: "Io", detail: `cannot write ${exportPath}: ${e.message}` }))
      )
      yield* io.stderr(`Saved output to "${exportPath}".\n`)
      return
    }
    yield* io.stdout(Output.withNewline(text, io.stdoutIsTTY))
  })

/**
 * Loads the module, plans the chain, runs it and prints the result (or help).
 *
 * @category handlers
 */
export const call = (
  engine: EngineShape,
  io: CliIoShape,
  options: CallOptions
): Effect.Effect<void, CliError | ExecFailed, FileSystem.FileSystem | Path.Path | Terminal.Terminal> =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const dir = yield* ModuleLoader.findModuleRoot(path.resolve(io.cwd, options.mod))
    yield* Session.withSession(engine, io, { progress: !options.quiet && !options.help }, (client) =>
      Effect.gen(function*() {
        const module = yield* ModuleLoader.load(client, dir)
        const plan = yield* CallTree.plan(module, options.words, { help: options.help, staticHelp })
        if (plan._tag === "Help") return yield* io.stdout(plan.text)
        yield* execute(client, module, plan.calls, options, io)
      }))
  })

/**
 * The `call` subcommand; `help` is true when `--help` was given anywhere before `--` (it is removed from argv
 * first, so that @effect/cli does not answer it with the static help only).
 *
 * @category constructors
 */
export const command = (help: boolean) =>
  Command.make(
    "call",
    { mod: modOption, output: outputOption, json: jsonOption, quiet: quietOption, words: functionArgs },
    (parsed) =>
      Effect.gen(function*() {
        const engine = yield* CliEngine
        const io = yield* CliIo
        yield* call(engine, io, {
          mod: parsed.mod,
          output: Option.getOrUndefined(parsed.output),
          json: parsed.json,
          quiet: parsed.quiet,
          words: parsed.words,
          help
        })
      })
  ).pipe(Command.withDescription("Call a module's functions; run `dirk call --help` in a module to list them"))
