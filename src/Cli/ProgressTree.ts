/**
 * The operations of a run as the CLI sees them, built from the session's progress events: each op with its status,
 * times, the op that asked for it (`parent`: the tree is module call → function → core ops → their inputs), and
 * the last lines of its output. The live view draws it, the plain printer reads its lines, the graph is drawn from
 * it when the run is over. Times are the CLI's clock when each event arrived.
 *
 * The tree is a mutable record owned by one follower fiber (it changes on every event of a long run).
 */
import type { ProgressEvent } from "../Dag/Solver.js"
import * as TextSafe from "./TextSafe.js"

/**
 * @category models
 */
export type Status = "running" | "done" | "cached" | "failed"

/**
 * One line of an op's output.
 *
 * @category models
 */
export interface OutputLine {
  readonly stream: "stdout" | "stderr"
  readonly text: string
}

/**
 * @category models
 */
export interface Node {
  readonly digest: string
  readonly description: string
  parent: string | undefined
  status: Status
  /** When it started (or, for an op served from memory, when that was said). */
  readonly startedAt: number
  endedAt: number | undefined
  /** The engine's measure of its run (on "end"). */
  durationMs: number | undefined
  error: string | undefined
  /** Whether a "start" was seen for it in this session (an op served from memory has only an "end"). */
  started: boolean
  readonly children: Array<string>
  /** Other ops that asked for it (served from memory to them): the edges of the DAG beyond the tree. */
  readonly alsoFor: Array<string>
  /** Its last `keepLines` complete output lines. */
  readonly tail: Array<OutputLine>
  /** Complete output lines seen in all. */
  lineCount: number
  readonly pending: { stdout: string; stderr: string }
}

/**
 * @category models
 */
export interface Tree {
  readonly nodes: Map<string, Node>
  /** Ops with no parent known to this session, in the order they appeared. */
  readonly roots: Array<string>
  readonly startedAt: number
  /** How many output lines each op keeps. */
  readonly keepLines: number
}

/**
 * @category constructors
 */
export const make = (now: number, keepLines = 200): Tree => ({ nodes: new Map(), roots: [], startedAt: now, keepLines })

const nodeOf = (tree: Tree, event: ProgressEvent, now: number): Node => {
  const known = tree.nodes.get(event.digest)
  if (known !== undefined) {
    const p = event.parent
    if (p !== undefined && p !== known.parent && p !== known.digest && !known.alsoFor.includes(p)) known.alsoFor.push(p)
    return known
  }
  const parent = event.parent !== undefined ? event.parent : undefined
  const node: Node = {
    digest: event.digest,
    description: event.description,
    parent,
    status: "running",
    startedAt: now,
    endedAt: undefined,
    durationMs: undefined,
    error: undefined,
    started: false,
    children: [],
    alsoFor: [],
    tail: [],
    lineCount: 0,
    pending: { stdout: "", stderr: "" }
  }
  tree.nodes.set(event.digest, node)
  const up = parent !== undefined ? tree.nodes.get(parent) : undefined
  if (up !== undefined) up.children.push(event.digest)
  else tree.roots.push(event.digest)
  return node
}

const addLines = (tree: Tree, node: Node, stream: "stdout" | "stderr", lines: ReadonlyArray<string>): void => {
  for (const text of lines) {
    node.tail.push({ stream, text })
    node.lineCount++
  }
  if (node.tail.length > tree.keepLines) node.tail.splice(0, node.tail.length - tree.keepLines)
}

/**
 * Applies one event at time `now`; returns the output lines it completed (raw: not sanitized), with their stream.
 * An op's unfinished last line is completed by its "end".
 *
 * @category combinators
 */
export const apply = (tree: Tree, event: ProgressEvent, now: number): ReadonlyArray<OutputLine> => {
  const node = nodeOf(tree, event, now)
  if (event.phase === "output" && event.output !== undefined) {
    const { stream, text } = event.output
    const split = TextSafe.splitLines(node.pending[stream], text)
    node.pending[stream] = split.rest
    addLines(tree, node, stream, split.lines)
    return split.lines.map((t) => ({ stream, text: t }))
  }
  if (event.phase === "start") {
    node.started = true
    node.status = "running"
    return []
  }
  if (event.phase !== "end") return []
  // asked for again and served from memory: the op is what it was
  if (isOver(node)) return []
  // the end: flush unfinished lines
  const flushed: Array<OutputLine> = []
  for (const stream of ["stdout", "stderr"] as const) {
    if (node.pending[stream] !== "") {
      flushed.push({ stream, text: node.pending[stream] })
      addLines(tree, node, stream, [node.pending[stream]])
      node.pending[stream] = ""
    }
  }
  node.endedAt = now
  node.durationMs = event.durationMs
  node.status = event.error !== undefined ? "failed" : event.cached ? "cached" : "done"
  node.error = event.error
  return flushed
}

/**
 * Whether an op is over.
 *
 * @category guards
 */
export const isOver = (node: Node): boolean => node.status !== "running"

/**
 * Whether the op or anything under it failed.
 *
 * @category guards
 */
export const hasFailure = (tree: Tree, node: Node): boolean =>
  node.status === "failed" || node.children.some((c) => {
    const child = tree.nodes.get(c)
    return child !== undefined && hasFailure(tree, child)
  })

/**
 * How long an op took (or has been running, at `now`).
 *
 * @category combinators
 */
export const elapsed = (node: Node, now: number): number =>
  node.durationMs ?? (node.endedAt ?? now) - node.startedAt

/**
 * Counts by status.
 *
 * @category combinators
 */
export const counts = (tree: Tree): Record<Status, number> => {
  const c: Record<Status, number> = { running: 0, done: 0, cached: 0, failed: 0 }
  for (const node of tree.nodes.values()) c[node.status]++
  return c
}
