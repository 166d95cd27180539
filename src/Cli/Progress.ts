/**
 * Progress lines on stderr while a call runs, one per op that starts and one per op that ends, all prefixed
 * `dirk │` so they can be grepped (or filtered out) easily.
 */
import { Effect, Stream } from "effect"
import type { ProgressEvent } from "../Dag/Solver.js"
import type { CliIoShape } from "./CliIo.js"

/**
 * @category models
 */
export const prefix = "dirk │ "

/**
 * `340ms`, `1.2s`, `2m03s`.
 *
 * @category combinators
 */
export const duration = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  const s = Math.round(ms / 1000)
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
}

/**
 * One line (with newline) for an event.
 *
 * @category combinators
 */
export const render = (event: ProgressEvent, options: { readonly explainCache?: boolean } = {}): string => {
  if (event.phase === "start") return `${prefix}▶ ${event.description}\n`
  if (event.phase === "output") return ""
  if (event.error !== undefined) {
    return `${prefix}✘ ${event.description}  failed after ${duration(event.durationMs)}: ${
      event.error.split("\n")[0]
    }\n`
  }
  if (event.cached) return `${prefix}● ${event.description}  cached\n`
  const why = options.explainCache === true && event.why !== undefined ? `  (ran: ${event.why})` : ""
  return `${prefix}✔ ${event.description}  ${duration(event.durationMs)}${why}\n`
}

/**
 * Follows events until interrupted (fork it into the call's scope), handing each to `onEvent` (default: print it as
 * a plain line). An event asking for a terminal is handed to `attach` (events wait while it runs); without `attach`
 * it goes to `onEvent` like the others.
 *
 * @category combinators
 */
export const follow = (
  events: Stream.Stream<ProgressEvent>,
  io: CliIoShape,
  options: {
    readonly explainCache?: boolean
    readonly onEvent?: (event: ProgressEvent) => Effect.Effect<void>
    readonly attach?: (containerId: string) => Effect.Effect<void>
  } = {}
): Effect.Effect<void> =>
  Stream.runForEach(events, (event) => {
    if (event.terminal !== undefined && options.attach !== undefined) return options.attach(event.terminal.containerId)
    return options.onEvent !== undefined ? options.onEvent(event) : io.stderr(render(event, options))
  })
