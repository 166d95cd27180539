/**
 * `dirk call [-m DIR] [-o PATH] [-j] [-q] FUNCTION [--flag value]... [FUNCTION [--flag value]...]...`
 *
 * @effect/cli only collects the words after `call` (`Cli.prepare` puts a `--` before them): dirk's options and the
 * module's flags share them and are told apart against the module's schema (`CallOptions`, `CallTree`), so a
 * function argument named `output`, `json`, `help`, … is the function's. Only `-m/--mod` is read before the module
 * is loaded (`CallOptions.leading`).
 */
import { Args, Command } from "@effect/cli"
import { FileSystem, Path } from "@effect/platform"
import type { Terminal } from "@effect/platform"
import { Effect, Either } from "effect"
import type { EngineShape } from "../Engine/Engine.js"
import * as CallOptions from "./CallOptions.js"
import * as CallTree from "./CallTree.js"
import { CliEngine } from "./CliEngine.js"
import { CliError, type ExecFailed, ioProblem, usage } from "./CliError.js"
import { CliIo, type CliIoShape } from "./CliIo.js"
import type { GraphQLClient } from "./GraphQLClient.js"
import * as ModuleLoader from "./ModuleLoader.js"
import type * as ProgressView from "./ProgressView.js"
import * as Output from "./Output.js"
import * as QueryBuilder from "./QueryBuilder.js"
import * as Session from "./Session.js"
import * as TypeInfo from "./TypeInfo.js"

/** @category args */
export const functionArgs = Args.text({ name: "function" }).pipe(
  Args.withDescription("dirk's options, a function of the module, its --flags, then functions of what it returns"),
  Args.repeated
)

/** The options `dirk call` and `dirk core` share, as their help shows them. */
const chainOptions: ReadonlyArray<readonly [string, string]> = [
  ["-o, --output PATH", "Save the result to PATH (Directory/File exported, a Container as an OCI tarball, scalars written)"],
  ["-j, --json", "Print the result as JSON"],
  ["-q, --quiet", "Do not print progress on stderr (only the result and errors)"],
  ["-v, --verbose", "Show every operation in the progress (also those served from memory)"],
  ["--debug", "Show engine internals in the progress too (digests, parents, the session)"],
  ["--progress MODE", "auto (live view on a terminal, plain otherwise or when CI is set), plain or tty"],
  ["--graph PATH", "Save an SVG picture of the run (the DAG of its ops, durations, cache status, critical path)"],
  ["-i, --interactive", "When an exec fails, open a shell in its container (needs a terminal)"],
  ["--explain-cache", "Say, for each op that ran, why it was not served from the cache"],
  ["-h, --help", "Show help (after a function: that function's flags)"]
]

/**
 * The static options of a command that chains functions, as its help shows them: `first` (its own), then the
 * shared ones.
 *
 * @category models
 */
export const staticHelpOf = (first: ReadonlyArray<readonly [string, string]>): string =>
  Output.table(["Option", "Description"], [...first, ...chainOptions].map(([a, b]) => [a, b])) +
  "A function's own --flag wins over the option of the same name; the short forms are always these options.\n"

/**
 * The static options as `dirk call --help` shows them.
 *
 * @category models
 */
export const staticHelp = staticHelpOf([
  ["-m, --mod DIR", "Module directory (default \".\"; dagger.json is looked up from there upward); comes first"]
])

/**
 * Opens the session of a command that chains functions, with the leading options' progress, explain-cache and
 * interactive settings, and runs `use` in it.
 *
 * @category handlers
 */
export const withChainSession = <A, R>(
  engine: EngineShape,
  io: CliIoShape,
  leading: CallOptions.CallOptions,
  use: (client: GraphQLClient, io: CliIoShape) => Effect.Effect<A, CliError | ExecFailed, R>
) =>
  Effect.flatMap(Session.interactive(io, leading.interactive), (interactive) =>
    Session.withSession(engine, io, {
      progress: !leading.quiet && !leading.help,
      explainCache: leading.explainCache,
      interactive,
      view: viewSettings(leading)
    }, (client, _session, viewIo) => use(client, viewIo)))

/**
 * The progress view the options ask for.
 *
 * @category handlers
 */
export const viewSettings = (options: CallOptions.CallOptions): ProgressView.Settings => ({
  mode: options.progress ?? "auto",
  level: options.quiet || options.help ? "quiet" : options.debug ? "debug" : options.verbose ? "verbose" : "default",
  explainCache: options.explainCache,
  graph: options.help ? undefined : options.graph
})

/**
 * Runs a planned chain and prints (or saves) its result by the output rules.
 *
 * @category handlers
 */
export const execute = (
  client: GraphQLClient,
  module: TypeInfo.ModuleSchema,
  calls: ReadonlyArray<CallTree.PlannedCall>,
  options: CallOptions.CallOptions,
  io: CliIoShape
) =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const fs = yield* FileSystem.FileSystem
    const last = calls[calls.length - 1]!.spec
    const exportPath = options.output === undefined ? undefined : path.resolve(io.cwd, options.output)
    if (exportPath !== undefined) {
      const unsaveable = cannotSave(module, last)
      if (unsaveable !== undefined) return yield* Effect.fail(usage(unsaveable))
    }
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
      if (TypeInfo.isRoot(call.spec)) continue
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
        Effect.mapError((e) => new CliError({ reason: "Io", detail: `cannot write ${exportPath}: ${ioProblem(e)}` }))
      )
      yield* io.stderr(`Saved output to "${exportPath}".\n`)
      return
    }
    yield* io.stdout(Output.withNewline(text, io.stdoutIsTTY))
  })

/**
 * Why `-o` cannot save the result of `fn`, if it cannot: only objects with `export(path:)` (Directory, File,
 * Container), scalars and lists of scalars can be saved.
 *
 * @category combinators
 */
export const cannotSave = (module: TypeInfo.ModuleSchema, fn: TypeInfo.FunctionSpec): string | undefined => {
  const returns = fn.returns
  const name = `"${fn.command}"`
  if (returns._tag === "Object") {
    if (TypeInfo.hasExport(module.schema, returns.name)) return undefined
    return `-o/--output: ${name} returns ${returns.name}, which cannot be saved (only Directory, File, Container, ` +
      `scalars and lists of scalars can)`
  }
  if (returns._tag === "List" && returns.of._tag !== "Scalar" && returns.of._tag !== "Enum") {
    return `-o/--output: ${name} returns ${TypeInfo.showReturn(returns)}, which cannot be saved (only Directory, ` +
      `File, Container, scalars and lists of scalars can)`
  }
  return undefined
}

/**
 * Loads the module, plans the chain, runs it and prints the result (or help). `words` are everything after
 * `dirk call`.
 *
 * @category handlers
 */
export const call = (
  engine: EngineShape,
  io: CliIoShape,
  words: ReadonlyArray<string>
): Effect.Effect<void, CliError | ExecFailed, FileSystem.FileSystem | Path.Path | Terminal.Terminal> =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const leading = CallOptions.leading(words)
    const dir = yield* ModuleLoader.findModuleRoot(path.resolve(io.cwd, leading.mod ?? "."))
    yield* withChainSession(engine, io, leading, (client, io) =>
      Effect.gen(function*() {
        const module = yield* ModuleLoader.load(client, dir)
        const plan = yield* CallTree.plan(module, words, { staticHelp })
        if (plan.options.mod !== leading.mod) {
          return yield* Effect.fail(usage(
            plan.options.mod === undefined
              ? `--mod ${leading.mod} is an argument of the module's constructor here; give the module directory ` +
                `with -m DIR`
              : `-m/--mod ${plan.options.mod} must come first, before the module's flags and functions (the module ` +
                `is loaded before they are read)`
          ))
        }
        if (plan._tag === "Help") return yield* io.stdout(plan.text)
        yield* execute(client, module, plan.calls, plan.options, io)
      }))
  })

/**
 * The `call` subcommand. `Cli.prepare` puts `--` after `call`, so every word reaches `call` unparsed (help included:
 * it is answered from the module's typedefs).
 *
 * @category constructors
 */
export const command = Command.make("call", { words: functionArgs }, (parsed) =>
  Effect.gen(function*() {
    yield* call(yield* CliEngine, yield* CliIo, parsed.words)
  })).pipe(Command.withDescription("Call a module's functions; run `dirk call --help` in a module to list them"))
