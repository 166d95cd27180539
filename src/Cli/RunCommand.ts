/**
 * `dirk run [-q|-v|--debug] [--] CMD ARGS...`: opens a session and runs CMD with `DAGGER_SESSION_PORT` and
 * `DAGGER_SESSION_TOKEN` set (stdio inherited), so Dagger SDK clients in CMD use it; exits with CMD's exit code
 * (signal n → 128+n). The progress of what CMD asks the session for goes to stderr as plain lines (CMD owns the
 * terminal, so there is no live view), at the level the options give.
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect } from "effect"
import type { EngineShape } from "../Engine/Engine.js"
import type * as ProgressView from "./ProgressView.js"
import { CliEngine } from "./CliEngine.js"
import { type CliError, ExitCode } from "./CliError.js"
import { CliIo, type CliIoShape } from "./CliIo.js"
import * as Session from "./Session.js"

/** @category options */
export const quietOption = Options.boolean("quiet").pipe(
  Options.withAlias("q"),
  Options.withDescription("Do not print progress on stderr (CMD's own output is left alone)")
)

/** @category options */
export const verboseOption = Options.boolean("verbose").pipe(
  Options.withAlias("v"),
  Options.withDescription("Show every operation in the progress (also those served from memory)")
)

/** @category options */
export const debugOption = Options.boolean("debug").pipe(
  Options.withDescription("Show engine internals in the progress too (digests, parents, the session)")
)

/**
 * The words of run's own options, which may come before CMD.
 *
 * @category models
 */
export const optionWords: ReadonlyArray<string> = ["-q", "--quiet", "-v", "--verbose", "--debug"]

/**
 * The progress a run shows: plain lines on stderr (CMD shares the terminal), at the level of the options.
 *
 * @category models
 */
export const viewSettings = (o: { readonly quiet: boolean; readonly verbose: boolean; readonly debug: boolean }): ProgressView.Settings => ({
  mode: "plain",
  level: o.quiet ? "quiet" : o.debug ? "debug" : o.verbose ? "verbose" : "default",
  explainCache: false
})

/** @category args */
export const commandArgs = Args.text({ name: "command" }).pipe(
  Args.withDescription("The command to run, then its arguments"),
  Args.atLeast(1)
)

/**
 * The environment given to the child.
 *
 * @category combinators
 */
export const sessionEnv = (session: { readonly port: number; readonly token: string }): Record<string, string> => ({
  DAGGER_SESSION_PORT: String(session.port),
  DAGGER_SESSION_TOKEN: session.token
})

/**
 * @category handlers
 */
export const run = (
  engine: EngineShape,
  io: CliIoShape,
  argv: readonly [string, ...Array<string>],
  view: ProgressView.Settings = viewSettings({ quiet: true, verbose: false, debug: false })
): Effect.Effect<void, CliError | ExitCode> =>
  Effect.gen(function*() {
    const [cmd, ...args] = argv
    const code = yield* Session.withSession(
      engine,
      io,
      { progress: view.level !== "quiet", view },
      (_client, session) => io.spawnInherit(cmd, args, sessionEnv(session))
    )
    if (code !== 0) return yield* Effect.fail(new ExitCode({ code }))
  })

/**
 * @category constructors
 */
export const command = Command.make(
  "run",
  { quiet: quietOption, verbose: verboseOption, debug: debugOption, command: commandArgs },
  (options) =>
    Effect.gen(function*() {
      yield* run(yield* CliEngine, yield* CliIo, options.command, viewSettings(options))
    })
).pipe(Command.withDescription(
  "Run a command with a session (DAGGER_SESSION_PORT/TOKEN set), showing the progress of what it asks for; exit with its code"
))
