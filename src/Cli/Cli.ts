/**
 * The `dirk` command line: `run`, `query`, `functions`, `call`, `core`, `init`, `develop`, `engine`.
 *
 * The composition root runs it as
 * `NodeRuntime.runMain(Cli.run(process.argv.slice(2)).pipe(Effect.provide(layers)), { teardown: Cli.teardown })`
 * where layers provide `CliEngine` and `NodeContext` (FileSystem, Path, Terminal). `run` never fails: it prints
 * errors and succeeds with the exit code; `teardown` turns that code (and interruption by Ctrl-C → 130) into the
 * process exit code.
 */
import { Command, ValidationError } from "@effect/cli"
import type { FileSystem, Path, Terminal } from "@effect/platform"
import type { Teardown } from "@effect/platform/Runtime"
import { Cause, Effect, Either, Exit } from "effect"
import * as Address from "../Engine/Address.js"
import * as Protocol from "../Engine/Protocol.js"
import * as CallCommand from "./CallCommand.js"
import type { CliEngine } from "./CliEngine.js"
import * as DependencyCommands from "./DependencyCommands.js"
import { type CliError, type ExecFailed, type ExitCode, usage } from "./CliError.js"
import { CliIo, type CliIoShape, layerNode } from "./CliIo.js"
import * as CoreCommand from "./CoreCommand.js"
import * as DevelopCommand from "./DevelopCommand.js"
import * as EngineCommand from "./EngineCommand.js"
import type { EngineHost } from "./EngineHost.js"
import * as FunctionsCommand from "./FunctionsCommand.js"
import * as InitCommand from "./InitCommand.js"
import * as QueryCommand from "./QueryCommand.js"
import * as RunCommand from "./RunCommand.js"

/**
 * The version printed by `dirk --version`.
 *
 * @category models
 */
export const version = Protocol.version

/**
 * Lines of an exec's output shown when it fails.
 *
 * @category models
 */
export const tailLines = 20

/**
 * Rewrites argv before @effect/cli sees it. `dirk call …` (and `dirk core …`) gets a `--` after `call`: its words are read against the
 * module's schema (`CallCommand`), where a function's own `--output` or `--help` wins over dirk's option. `dirk run
 * [-q] CMD …` gets a `--` before CMD so that CMD's own flags are not parsed as dirk's; an unknown option before CMD
 * is an error (not a command named like it).
 *
 * @category combinators
 */
export const prepare = (argv: ReadonlyArray<string>): Either.Either<ReadonlyArray<string>, CliError> => {
  if (argv[0] === "call" || argv[0] === "core") return Either.right([argv[0], "--", ...argv.slice(1)])
  if (argv[0] === "run") {
    const options: Array<string> = []
    for (let i = 1; i < argv.length; i++) {
      const word = argv[i]!
      if (word === "--") return Either.right(["run", ...options, ...argv.slice(i)])
      if (word === "-h" || word === "--help") return Either.right(argv)
      if (RunCommand.optionWords.includes(word)) {
        options.push(word)
        continue
      }
      if (word.startsWith("-") && word.length > 1) {
        return Either.left(usage(`dirk run: unknown option ${word} (put -- before a command whose name starts with "-")`))
      }
      return Either.right(["run", ...options, "--", ...argv.slice(i)])
    }
  }
  return Either.right(argv)
}

/**
 * The command tree.
 *
 * @category constructors
 */
export const command = Command.make("dirk").pipe(
  Command.withDescription("A CI engine that speaks Dagger's API"),
  Command.withSubcommands([
    RunCommand.command,
    QueryCommand.command,
    FunctionsCommand.command,
    CallCommand.command,
    CoreCommand.command,
    InitCommand.command,
    DevelopCommand.command,
    EngineCommand.command,
    DependencyCommands.installCommand,
    DependencyCommands.uninstallCommand,
    DependencyCommands.updateCommand
  ])
)

const tail = (text: string, n: number): string => {
  const lines = text.trimEnd().split("\n")
  return lines.slice(Math.max(0, lines.length - n)).join("\n")
}

const indent = (text: string): string => text.split("\n").map((line) => `  ${line}`).join("\n")

/**
 * The text printed on stderr for an error.
 *
 * @category combinators
 */
export const renderError = (error: CliError | ExecFailed): string => {
  if (error._tag === "CliError") return `Error: ${error.detail}\n`
  const lines = [
    `Error: ${error.detail}`,
    `  command:   ${error.cmd.join(" ")}`,
    `  exit code: ${error.exitCode}`
  ]
  const stderr = error.stderr.trim()
  const stdout = error.stdout.trim()
  if (stderr !== "") lines.push(`  stderr (last ${tailLines} lines):`, indent(indent(tail(stderr, tailLines))))
  if (stderr === "" && stdout !== "") {
    lines.push(`  stdout (last ${tailLines} lines):`, indent(indent(tail(stdout, tailLines))))
  }
  return lines.join("\n") + "\n"
}

const exitCodeOf = (
  io: CliIoShape,
  error: CliError | ExecFailed | ExitCode | ValidationError.ValidationError
): Effect.Effect<number> => {
  if (ValidationError.isValidationError(error)) return Effect.succeed(1) // @effect/cli printed it already
  switch (error._tag) {
    case "ExitCode":
      return Effect.succeed(error.code)
    case "CliError":
    case "ExecFailed":
      return Effect.as(io.stderr(renderError(error)), 1)
  }
}

/**
 * Takes dirk's global `--engine ADDRESS` (`unix:///…`, `tcp://…`, `embedded`) from the words before the command,
 * falling back to `DIRK_ENGINE`; the rest of argv goes to the commands.
 *
 * @category combinators
 */
export const pickEngine = (
  argv: ReadonlyArray<string>,
  env: string | undefined
): { readonly argv: ReadonlyArray<string>; readonly address: Address.Address | undefined; readonly error?: CliError } => {
  let value = env
  const rest: Array<string> = []
  let i = 0
  for (; i < argv.length; i++) {
    const word = argv[i]!
    if (word === "--engine") {
      value = argv[i + 1]
      i++
      if (value === undefined) return { argv: rest, address: undefined, error: usage("--engine needs an address (unix:///path, tcp://host:port or embedded)") }
      continue
    }
    if (word.startsWith("--engine=")) {
      value = word.slice("--engine=".length)
      continue
    }
    break
  }
  rest.push(...argv.slice(i))
  const parsed = Address.parse(value)
  if (parsed !== undefined && "error" in parsed) return { argv: rest, address: undefined, error: usage(parsed.error) }
  return { argv: rest, address: parsed }
}

/** The first failure or defect of a cause (for messages). */
export const squash = (cause: Cause.Cause<unknown>): unknown => Cause.squash(cause)

/**
 * Runs `dirk` with the CLI's own process service (tests provide `CliIo.layerTest` instead and call this).
 *
 * @category constructors
 */
export const runWith = (
  argv: ReadonlyArray<string>,
  error?: CliError
): Effect.Effect<number, never, CliIo | CliEngine | EngineHost | FileSystem.FileSystem | Path.Path | Terminal.Terminal> =>
  Effect.gen(function*() {
    const io = yield* CliIo
    if (error !== undefined) return yield* exitCodeOf(io, error)
    const prepared = prepare(argv)
    if (Either.isLeft(prepared)) return yield* exitCodeOf(io, prepared.left)
    const cli = Command.run(command, { name: "dirk", version })
    return yield* cli(["node", "dirk", ...prepared.right]).pipe(
      Effect.as(0),
      Effect.catchAll((error) => exitCodeOf(io, error))
    )
  })

/**
 * `dirk ARGV…` as an Effect that succeeds with the process exit code. Requires `CliEngine` and the Node platform
 * services (`NodeContext.layer`).
 *
 * @category constructors
 */
export const run = (
  argv: ReadonlyArray<string>,
  error?: CliError
): Effect.Effect<number, never, CliEngine | EngineHost | FileSystem.FileSystem | Path.Path | Terminal.Terminal> =>
  runWith(argv, error).pipe(Effect.provide(layerNode))

/** The last termination signal the process received (runMain turns SIGINT and SIGTERM into interruption). */
let received: "SIGINT" | "SIGTERM" | undefined
let watching = false

/**
 * Remembers which signal interrupts the process, so that `teardown` exits with 128 + its number. Call once, before
 * `NodeRuntime.runMain`.
 *
 * @category constructors
 */
export const watchSignals = (): void => {
  if (watching) return
  watching = true
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => (received ??= signal))
}

/**
 * For `NodeRuntime.runMain(…, { teardown })`: exit with the code `run` succeeded with; when interrupted, 128 + the
 * signal's number (130 for Ctrl-C, 143 for SIGTERM); 1 on a defect.
 *
 * @category constructors
 */
export const teardown: Teardown = (exit, onExit) => {
  if (Exit.isSuccess(exit)) return onExit(typeof exit.value === "number" ? exit.value : 0)
  if (Cause.isInterruptedOnly(exit.cause)) return onExit(received === "SIGTERM" ? 143 : 130)
  onExit(1)
}
