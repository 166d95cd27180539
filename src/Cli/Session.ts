/**
 * Runs CLI work inside one engine session: opens it, follows progress on stderr (unless quiet), gives a client.
 * The session (and whatever it started) ends when the work ends, fails or is interrupted.
 */
import { Effect } from "effect"
import type { EngineShape, SessionInfo } from "../Engine/Engine.js"
import { CliError } from "./CliError.js"
import type { CliIoShape } from "./CliIo.js"
import * as GraphQLClient from "./GraphQLClient.js"
import * as Progress from "./Progress.js"
import * as ProgressView from "./ProgressView.js"

/**
 * Whether this process can attach terminals: its stdin and stdout are a TTY.
 *
 * @category guards
 */
export const canAttach = (io: CliIoShape): boolean => io.stdinIsTTY && io.stdoutIsTTY

/**
 * What a session of `dirk call`/`dirk core` does with terminals: attach them when this process has a terminal;
 * `-i` (`debugFailures`) without one is an error.
 *
 * @category constructors
 */
export const interactive = (
  io: CliIoShape,
  debugFailures: boolean
): Effect.Effect<{ readonly terminal: boolean; readonly debugFailures: boolean }, CliError> =>
  debugFailures && !canAttach(io)
    ? Effect.fail(new CliError({ reason: "Usage", detail: "-i/--interactive needs a terminal (stdin and stdout must be a TTY)" }))
    : Effect.succeed({ terminal: canAttach(io), debugFailures })

/**
 * Opens a session and runs `use` with a client of it. With `interactive`, the session's terminals (a `terminal`
 * step; with `debugFailures`, a failed exec's container) are attached to this process's terminal
 * (`TerminalAttach`), even when progress is not shown. Progress is shown by `view` (default: plain lines when
 * `progress`); `use` gets the process's output through the view (`ProgressView.View.io`): what it prints there
 * first takes the live view off the screen.
 *
 * @category combinators
 */
export const withSession = <A, E, R>(
  engine: EngineShape,
  io: CliIoShape,
  options: {
    readonly progress: boolean
    readonly explainCache?: boolean
    readonly interactive?: { readonly terminal: boolean; readonly debugFailures: boolean }
    readonly view?: ProgressView.Settings
  },
  use: (client: GraphQLClient.GraphQLClient, session: SessionInfo, io: CliIoShape) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | CliError, R> =>
  Effect.scoped(Effect.gen(function*() {
    const session = yield* engine.openSession({
      workdir: io.cwd,
      ...(options.interactive !== undefined ? { interactive: options.interactive } : {})
    }).pipe(
      Effect.mapError((e) => new CliError({ reason: "Engine", detail: `cannot open a session: ${e.message}` }))
    )
    const settings: ProgressView.Settings = options.view ?? {
      mode: "plain",
      level: options.progress ? "default" : "quiet",
      explainCache: options.explainCache === true
    }
    const shown = settings.level !== "quiet" || settings.graph !== undefined
    const view = yield* ProgressView.open(io, settings)
    if (settings.level === "debug") {
      yield* view.io.stderr(`${Progress.prefix}session ${session.id} at ${session.url} (workdir ${io.cwd})\n`)
    }
    if (shown || options.interactive?.terminal === true) {
      yield* Effect.forkScoped(Progress.follow(session.events, io, {
        onEvent: shown ? view.onEvent : () => Effect.void,
        attach: (containerId) =>
          view.pause(Effect.flatMap(Effect.promise(() => import("./TerminalAttach.js")), (t) => t.attach(containerId))).pipe(
            Effect.catchAll((e) => io.stderr(`Error: ${e.detail}\n`))
          )
      }))
    }
    // let the last progress events through before the scope ends the follower (only when they are shown)
    return yield* use(GraphQLClient.make(session), session, view.io).pipe(Effect.onExit(() => shown ? view.settle : Effect.void))
  }))
