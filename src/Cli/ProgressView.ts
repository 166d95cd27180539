/**
 * What the CLI shows of a session's progress on stderr: plain lines (CI logs, pipes: `PlainProgress`), or the live
 * view redrawn in place on a terminal (`LiveView`), at a level (`-q`, default, `-v`, `--debug`). Either way it keeps
 * the tree of operations, from which `--graph` draws the run when it is over.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, type Scope } from "effect"
import type { ProgressEvent } from "../Dag/Solver.js"
import type { CliIoShape } from "./CliIo.js"
import * as Graph from "./Graph.js"
import * as LiveView from "./LiveView.js"
import * as PlainProgress from "./PlainProgress.js"
import * as ProgressTree from "./ProgressTree.js"

/**
 * `--progress`: `auto` (the live view when stderr is a terminal at least `LiveView.minColumns` wide, `CI` is not
 * set and `TERM` is not `dumb`; else plain), `plain` or `tty`.
 *
 * @category models
 */
export type Mode = "auto" | "plain" | "tty"

/**
 * @category models
 */
export interface Settings {
  readonly mode: Mode
  readonly level: PlainProgress.Level
  readonly explainCache: boolean
  /** `--graph PATH`: an SVG picture of the run, written when it is over. */
  readonly graph?: string | undefined
}

/**
 * A progress view for the life of a session.
 *
 * @category models
 */
export interface View {
  readonly onEvent: (event: ProgressEvent) => Effect.Effect<void>
  /** The process's output, through the view: writing to it first takes the live view off the screen (for good). */
  readonly io: CliIoShape
  /** Runs `effect` (an attached terminal) with the live view off the screen. */
  readonly pause: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Ends the view: the live view leaves its summary; the graph is written. Idempotent. */
  readonly finish: Effect.Effect<void>
  /**
   * Waits (up to half a second) until no op is running: the last events of a call (a failed exec's end) may arrive
   * just after its result.
   */
  readonly settle: Effect.Effect<void>
}

/**
 * Which view `settings` give on `io`.
 *
 * @category combinators
 */
export const choose = (settings: Settings, io: CliIoShape): "plain" | "tty" => {
  if (settings.mode === "plain") return "plain"
  const size = io.stderrSize?.()
  if (size === undefined || size.columns < LiveView.minColumns || size.rows < 3) return "plain"
  if (settings.mode === "tty") return "tty"
  const ci = io.env["CI"]
  if (ci !== undefined && ci !== "" && ci !== "0" && ci !== "false") return "plain"
  if (io.env["TERM"] === "dumb") return "plain"
  return "tty"
}

const hideCursor = "\x1b[?25l"
const showCursor = "\x1b[?25h"
// No synchronized-output mode (?2026): tmux 3.3 shows stale screens with it. Lines are overwritten in place (each
// cleared just before it is rewritten, what is left below cleared after), so there is no blank frame to flicker.
const clearLine = "\x1b[2K"
const clearBelow = "\x1b[J"
const up = (n: number) => (n > 0 ? `\r\x1b[${n}A` : "\r")

/**
 * Opens the view for `settings` on `io`; it is finished when the scope closes (if not before).
 *
 * @category constructors
 */
export const open = (io: CliIoShape, settings: Settings): Effect.Effect<View, never, Scope.Scope> =>
  Effect.gen(function*() {
    const tree = ProgressTree.make(Date.now())
    const lock = yield* Effect.makeSemaphore(1)
    const serial = <A, E, R>(effect: Effect.Effect<A, E, R>) => lock.withPermits(1)(effect)
    let finished = false
    const running = () => [...tree.nodes.values()].some((n) => n.status === "running")
    const settle = Effect.gen(function*() {
      yield* Effect.sleep("20 millis")
      for (let i = 0; i < 24 && running(); i++) yield* Effect.sleep("20 millis")
    })

    const writeGraph = Effect.suspend(() => {
      if (settings.graph === undefined) return Effect.void
      const file = path.resolve(io.cwd, settings.graph)
      return Effect.try(() => {
        fs.mkdirSync(path.dirname(file), { recursive: true })
        fs.writeFileSync(file, Graph.svg(tree, Date.now()))
      }).pipe(
        // -q: only the result and errors
        Effect.zipRight(settings.level === "quiet" ? Effect.void : io.stderr(`Graph of the run saved to "${settings.graph}".\n`)),
        Effect.catchAll((e) => io.stderr(`Error: cannot write the graph to ${file}: ${String(e.error)}\n`))
      )
    })

    if (settings.level === "quiet" || choose(settings, io) === "plain") {
      const printer = PlainProgress.make(tree, { level: settings.level, explainCache: settings.explainCache })
      const finish = Effect.suspend(() => {
        if (finished) return Effect.void
        finished = true
        return writeGraph
      })
      yield* Effect.addFinalizer(() => serial(finish))
      return {
        onEvent: (event) => serial(Effect.suspend(() => io.stderr(printer(event, Date.now())))),
        io,
        pause: (effect) => effect,
        finish: serial(finish),
        settle
      } satisfies View
    }

    // the live view
    const verbose = settings.level === "verbose" || settings.level === "debug"
    let height = 0
    let paused = false
    const size = (): LiveView.Size => io.stderrSize?.() ?? { columns: 80, rows: 24 }
    const erase = () => `${up(height)}${clearBelow}`
    const draw = serial(Effect.suspend(() => {
      if (finished || paused) return Effect.void
      const frame = LiveView.frame(tree, Date.now(), size(), { verbose })
      const text = `${up(height)}${frame.map((l) => `${clearLine}${l}\n`).join("")}${clearBelow}`
      height = frame.length
      return io.stderr(text)
    }))
    const finishUnlocked = Effect.suspend(() => {
      if (finished) return Effect.void
      finished = true
      const lines = LiveView.summary(tree, Date.now(), size().columns, { verbose })
      // each line cleared as it is rewritten, the rest cleared after: clearing from the frame's first cell first
      // would be a whole-screen clear when the frame starts at the top (tmux then scrolls it into its history)
      const text = `${up(height)}${lines.map((l) => `${clearLine}${l}\n`).join("")}${clearBelow}${showCursor}`
      height = 0
      return Effect.zipRight(io.stderr(text), writeGraph)
    })
    const finish = serial(finishUnlocked)
    yield* io.stderr(hideCursor)
    yield* Effect.addFinalizer(() => finish)
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(draw, Effect.sleep("120 millis"))))
    // the result is printed once the call's last events are in (its last op's end), below the summary
    const through = (write: (text: string) => Effect.Effect<void>) => (text: string) =>
      Effect.zipRight(finished ? Effect.void : Effect.zipRight(settle, finish), write(text))
    return {
      onEvent: (event) => Effect.sync(() => void ProgressTree.apply(tree, event, Date.now())),
      io: { ...io, stdout: through(io.stdout), stderr: through(io.stderr) },
      pause: (effect) =>
        Effect.acquireUseRelease(
          serial(Effect.suspend(() => {
            paused = true
            const text = `${erase()}${showCursor}`
            height = 0
            return io.stderr(text)
          })),
          () => effect,
          () => Effect.zipRight(Effect.sync(() => (paused = false)), finished ? Effect.void : io.stderr(hideCursor))
        ),
      finish,
      settle
    } satisfies View
  })
