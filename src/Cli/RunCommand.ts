/**
 * `dirk run [-q] [--] CMD ARGS...`: opens a session and runs CMD with `DAGGER_SESSION_PORT` and `DAGGER_SESSION_TOKEN`
 * set (stdio inherited), so Dagger SDK clients in CMD use it; exits with CMD's exit code (signal n → 128+n).
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect } from "effect"
import type { EngineShape } from "../Engine/Engine.js"
import { CliEngine } from "./CliEngine.js"
import { type CliError, ExitCode } from "./CliError.js"
import { CliIo, type CliIoShape } from "./CliIo.js"
import * as Session from "./Session.js"

/** @category options */
export const quietOption = Options.boolean("quiet").pipe(
  Options.withAlias("q"),
  Options.withDescription("Accepted like the other commands' -q; run shows no progress (CMD's output is its own)")
)

/**
 * The words of run's own options, which may come before CMD.
 *
 * @category models
 */
export const optionWords: ReadonlyArray<string> = ["-q", "--quiet"]

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
  argv: readonly [string, ...Array<string>]
): Effect.Effect<void, CliError | ExitCode> =>
  Effect.gen(function*() {
    const [cmd, ...args] = argv
    const code = yield* Session.withSession(
      engine,
      io,
      { progress: false },
      (_client, session) => io.spawnInherit(cmd, args, sessionEnv(session))
    )
    if (code !== 0) return yield* Effect.fail(new ExitCode({ code }))
  })

/**
 * @category constructors
 */
export const command = Command.make("run", { quiet: quietOption, command: commandArgs }, (options) =>
  Effect.gen(function*() {
    yield* run(yield* CliEngine, yield* CliIo, options.command)
  })).pipe(Command.withDescription("Run a command with a session (DAGGER_SESSION_PORT/TOKEN set); exit with its code"))
