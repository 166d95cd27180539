/**
 * Progress for CI logs and pipes (`--progress=plain`): one line per op that starts and one per op that ends, and one
 * per line of a running exec's output, each prefixed `dirk │` (output lines also by their op), with no escape codes.
 * See docs/progress.md for the formats, which are kept stable for grep.
 */
import type { ProgressEvent } from "../Dag/Solver.js"
import * as Progress from "./Progress.js"
import * as ProgressTree from "./ProgressTree.js"
import * as TextSafe from "./TextSafe.js"

/**
 * How much progress is shown: `quiet` (none: only the result and errors), `default`, `verbose` (every op, also
 * those served from memory), `debug` (also digests, parents and engine internals).
 *
 * @category models
 */
export type Level = "quiet" | "default" | "verbose" | "debug"

/** Longest op label in front of an output line, in columns. */
export const labelColumns = 40

/** Longest output line shown, in columns (the whole output stays available through the API). */
export const lineColumns = 4000

/**
 * The label of an op in front of its output lines.
 *
 * @category combinators
 */
export const label = (description: string): string => TextSafe.clip(TextSafe.sanitize(description), labelColumns)

/**
 * An output line as printed: `dirk │ ┊ exec npm test │ ok 1 - adds` (`┊!` for stderr).
 *
 * @category combinators
 */
export const outputLine = (description: string, line: ProgressTree.OutputLine): string =>
  `${Progress.prefix}${line.stream === "stderr" ? "┊!" : "┊ "} ${label(description)} │ ${
    TextSafe.clip(TextSafe.sanitize(line.text), lineColumns)
  }\n`

const short = (digest: string): string => digest.replace(/^sha256:/, "").slice(0, 12)

/**
 * A printer: feed it every event (with the time it arrived); it returns the text to print for it. It owns `tree`.
 *
 * @category constructors
 */
export const make = (
  tree: ProgressTree.Tree,
  options: { readonly level: Level; readonly explainCache?: boolean }
): (event: ProgressEvent, now: number) => string => {
  const level = options.level
  return (event, now) => {
    const known = tree.nodes.get(event.digest)
    const startedBefore = known?.started === true
    const lines = ProgressTree.apply(tree, event, now)
    if (level === "quiet") return ""
    const node = tree.nodes.get(event.digest)!
    let out = lines.map((l) => outputLine(node.description, l)).join("")
    if (event.phase === "output") return out
    // an op served from memory ("end" with no "start" in this session): only with -v, unless it is what the request
    // itself asked for (no parent), so that a cached result still says so
    if (event.phase === "end" && !startedBefore && level === "default" && event.parent !== undefined) return out
    let line = Progress.render({ ...event, description: TextSafe.sanitize(event.description) }, {
      explainCache: options.explainCache === true
    })
    if (level === "debug") {
      line = `${line.slice(0, -1)}  [${short(event.digest)}${event.parent !== undefined ? ` ← ${short(event.parent)}` : ""}]\n`
    }
    out += line
    return out
  }
}
