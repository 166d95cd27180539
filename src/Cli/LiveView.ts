/**
 * The live view's frames (pure): the tree of operations as lines fitted to a terminal's width and height. A running
 * op shows its elapsed time and its last output lines; a finished subtree folds into one line unless something in
 * it failed (then it stays open, with the failure's last output lines); `verbose` folds nothing. `summary` is what
 * stays on the terminal when the run is over.
 */
import * as Progress from "./Progress.js"
import * as ProgressTree from "./ProgressTree.js"
import * as TextSafe from "./TextSafe.js"

/**
 * @category models
 */
export interface Size {
  readonly columns: number
  readonly rows: number
}

/**
 * The smallest terminal the live view draws in; a narrower one gets plain lines.
 *
 * @category constants
 */
export const minColumns = 40

/** Output lines shown under a running exec / a failed op. */
const runningTail = 3
const failedTail = 10

const spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

const icon = (node: ProgressTree.Node, now: number): string => {
  switch (node.status) {
    case "running":
      return spinner[Math.floor(now / 100) % spinner.length]!
    case "done":
      return "✔"
    case "cached":
      return "●"
    case "failed":
      return "✘"
  }
}

const status = (node: ProgressTree.Node, now: number): string => {
  const t = Progress.duration(ProgressTree.elapsed(node, now))
  switch (node.status) {
    case "running":
      return t
    case "done":
      return t
    case "cached":
      return "cached"
    case "failed":
      return `failed ${t}`
  }
}

/** A line: `text` on the left, `right` aligned to the right edge, all within `columns`. */
const row = (text: string, right: string, columns: number): string => {
  const room = columns - TextSafe.width(right) - 1
  if (room < 10) return TextSafe.clip(text, columns)
  return `${TextSafe.fit(text, room)} ${right}`
}

const outputRows = (
  node: ProgressTree.Node,
  indent: string,
  count: number,
  columns: number,
  streams: "all" | "stderr-first"
): Array<string> => {
  let tail = node.tail
  if (streams === "stderr-first" && tail.some((l) => l.stream === "stderr")) tail = tail.filter((l) => l.stream === "stderr")
  const pending = [node.pending.stdout, node.pending.stderr].filter((p) => p !== "")
  const texts = [...tail.map((l) => l.text), ...pending].slice(-count)
  return texts.map((t) => TextSafe.clip(`${indent}│ ${TextSafe.sanitize(t)}`, columns))
}

const lines = (
  tree: ProgressTree.Tree,
  digest: string,
  depth: number,
  now: number,
  options: { readonly columns: number; readonly verbose: boolean },
  out: Array<string>
): void => {
  const node = tree.nodes.get(digest)
  if (node === undefined) return
  const indent = "  ".repeat(Math.min(depth, 10))
  out.push(row(`${indent}${icon(node, now)} ${TextSafe.sanitize(node.description)}`, status(node, now), options.columns))
  const failing = ProgressTree.hasFailure(tree, node)
  const open = node.status === "running" || failing || options.verbose
  if (!open) return
  for (const child of node.children) {
    const c = tree.nodes.get(child)
    if (c === undefined) continue
    // a finished, fine child served from memory is noise unless -v
    if (!options.verbose && !c.started && c.status === "cached") continue
    lines(tree, child, depth + 1, now, options, out)
  }
  if (node.status === "running") out.push(...outputRows(node, `${indent}  `, runningTail, options.columns, "all"))
  if (node.status === "failed") {
    out.push(...outputRows(node, `${indent}  `, failedTail, options.columns, "stderr-first"))
    if (node.error !== undefined) {
      out.push(TextSafe.clip(`${indent}  ${TextSafe.sanitize(node.error.split("\n")[0] ?? "")}`, options.columns))
    }
  }
}

const visibleRoots = (tree: ProgressTree.Tree, verbose: boolean): Array<string> =>
  tree.roots.filter((d) => {
    const n = tree.nodes.get(d)
    return n !== undefined && (verbose || n.started || n.status !== "cached")
  })

/**
 * The frame at `now`: at most `size.rows - 1` lines (the cursor's line stays free), none wider than
 * `size.columns - 1` columns (no line wraps). When the tree is taller, its top is cut and a line says how much.
 *
 * @category combinators
 */
export const frame = (
  tree: ProgressTree.Tree,
  now: number,
  size: Size,
  options: { readonly verbose: boolean }
): ReadonlyArray<string> => {
  const columns = Math.max(1, size.columns - 1)
  const out: Array<string> = []
  for (const root of visibleRoots(tree, options.verbose)) lines(tree, root, 0, now, { columns, verbose: options.verbose }, out)
  const c = ProgressTree.counts(tree)
  out.push(TextSafe.clip(
    `${Progress.duration(now - tree.startedAt)}  ${c.running} running, ${c.done} ran, ${c.cached} cached` +
      (c.failed > 0 ? `, ${c.failed} failed` : ""),
    columns
  ))
  const max = Math.max(1, size.rows - 1)
  if (out.length <= max) return out
  const kept = out.slice(out.length - (max - 1))
  return [TextSafe.clip(`… ${out.length - kept.length} more lines above`, columns), ...kept]
}

/**
 * What stays on the terminal when the run is over: the tree folded (failures open), and a last line with the counts
 * and the total time.
 *
 * @category combinators
 */
export const summary = (
  tree: ProgressTree.Tree,
  now: number,
  columns: number,
  options: { readonly verbose: boolean }
): ReadonlyArray<string> => {
  const width = Math.max(1, columns - 1)
  const out: Array<string> = []
  for (const root of visibleRoots(tree, options.verbose)) lines(tree, root, 0, now, { columns: width, verbose: options.verbose }, out)
  const c = ProgressTree.counts(tree)
  const verdict = c.failed > 0 ? "✘ failed" : c.running > 0 ? "■ stopped" : "✔ done"
  out.push(TextSafe.clip(
    `${verdict} in ${Progress.duration(now - tree.startedAt)}: ${c.done} ran, ${c.cached} cached` +
      (c.failed > 0 ? `, ${c.failed} failed` : ""),
    width
  ))
  return out
}
