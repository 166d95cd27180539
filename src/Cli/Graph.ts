/**
 * A picture of a run (`--graph run.svg`), drawn from its tree of operations (`ProgressTree`) without any external
 * tool: one row per op in the order of the tree (an op's inputs under it, indented, joined by connectors; dashed
 * connectors for the other ops that asked for an op already made), and on a shared time axis a bar from when it
 * started to when it ended, coloured by outcome (ran, cached, failed, still running), with its duration. The
 * critical path, the chain of ops the run's end waited on (from the op that ended last, down through the input of
 * each that ended last), is drawn in orange.
 */
import * as Progress from "./Progress.js"
import type * as ProgressTree from "./ProgressTree.js"
import * as TextSafe from "./TextSafe.js"

/**
 * @category models
 */
export interface Row {
  readonly node: ProgressTree.Node
  readonly depth: number
  readonly start: number
  readonly end: number
}

/**
 * The rows of the picture, in tree order (depth-first, roots in the order they appeared).
 *
 * @category combinators
 */
export const rows = (tree: ProgressTree.Tree, now: number): ReadonlyArray<Row> => {
  const out: Array<Row> = []
  const seen = new Set<string>()
  const visit = (digest: string, depth: number) => {
    const node = tree.nodes.get(digest)
    if (node === undefined || seen.has(digest)) return
    seen.add(digest)
    const end = node.endedAt ?? now
    // an op served from memory took no time; a run's start is its end minus what the engine measured
    const start = node.started ? node.startedAt : Math.max(tree.startedAt, end - (node.durationMs ?? 0))
    out.push({ node, depth, start, end })
    for (const c of node.children) visit(c, depth + 1)
  }
  for (const r of tree.roots) visit(r, 0)
  return out
}

/**
 * The critical path: the op that ended last, then, repeatedly, its input that ended last.
 *
 * @category combinators
 */
export const criticalPath = (tree: ProgressTree.Tree, now: number): ReadonlySet<string> => {
  const path = new Set<string>()
  const endOf = (d: string) => tree.nodes.get(d)?.endedAt ?? now
  const latest = (ds: ReadonlyArray<string>) =>
    ds.reduce<string | undefined>((best, d) => (best === undefined || endOf(d) > endOf(best) ? d : best), undefined)
  let current = latest(tree.roots)
  while (current !== undefined && !path.has(current)) {
    path.add(current)
    const node = tree.nodes.get(current)
    if (node === undefined) break
    // only inputs that took time can hold their parent back
    current = latest(node.children.filter((c) => {
      const d = tree.nodes.get(c)?.durationMs
      return d === undefined || d > 0
    }))
  }
  return path
}

const xml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const colors: Record<ProgressTree.Status, string> = {
  done: "#3a9d5d",
  cached: "#9aa5b1",
  failed: "#d64545",
  running: "#e0b040"
}

const rowHeight = 22
const labelWidth = 460
const barsWidth = 640
const top = 56

/**
 * The SVG document.
 *
 * @category combinators
 */
export const svg = (tree: ProgressTree.Tree, now: number): string => {
  const all = rows(tree, now)
  const critical = criticalPath(tree, now)
  const t0 = tree.startedAt
  const t1 = Math.max(t0 + 1, ...all.map((r) => r.end))
  const x = (t: number) => labelWidth + ((t - t0) / (t1 - t0)) * barsWidth
  const width = labelWidth + barsWidth + 110
  const height = top + Math.max(1, all.length) * rowHeight + 40
  const index = new Map(all.map((r, i) => [r.node.digest, i] as const))
  const yOf = (i: number) => top + i * rowHeight
  const parts: Array<string> = []
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">dirk run: ${all.length} ops in ${
      xml(Progress.duration(t1 - t0))
    }</text>`
  )
  // legend
  const legend: ReadonlyArray<readonly [string, string]> = [
    [colors.done, "ran"],
    [colors.cached, "cached"],
    [colors.failed, "failed"],
    [colors.running, "unfinished"],
    ["#f08c00", "critical path"]
  ]
  legend.forEach(([color, name], i) => {
    const lx = 10 + i * 120
    parts.push(
      `<rect x="${lx}" y="30" width="12" height="12" fill="${color}"/>`,
      `<text x="${lx + 18}" y="40">${name}</text>`
    )
  })
  // time axis
  for (let k = 0; k <= 4; k++) {
    const t = t0 + ((t1 - t0) * k) / 4
    const gx = x(t)
    parts.push(
      `<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${height - 30}" stroke="#e5e8eb"/>`,
      `<text x="${gx}" y="${height - 14}" text-anchor="middle" fill="#52606d">${xml(Progress.duration(t - t0))}</text>`
    )
  }
  // row backgrounds first: connectors and bars go over them
  all.forEach((_, i) => {
    if (i % 2 === 1) parts.push(`<rect x="0" y="${yOf(i)}" width="${width}" height="${rowHeight}" fill="#f7f9fa"/>`)
  })
  // connectors: tree edges solid, other requesters dashed
  all.forEach((r, i) => {
    const parent = r.node.parent !== undefined ? index.get(r.node.parent) : undefined
    const cx = 10 + r.depth * 14
    const cy = yOf(i) + rowHeight / 2
    if (parent !== undefined) {
      const px = 10 + all[parent]!.depth * 14 + 4
      const onPath = critical.has(r.node.digest) && critical.has(all[parent]!.node.digest)
      parts.push(
        `<path d="M${px} ${yOf(parent) + rowHeight / 2 + 5} V${cy} H${cx}" fill="none" stroke="${
          onPath ? "#f08c00" : "#9aa5b1"
        }" stroke-width="${onPath ? 2 : 1}"/>`
      )
    }
    for (const other of r.node.alsoFor) {
      const o = index.get(other)
      if (o === undefined) continue
      const ox = 10 + all[o]!.depth * 14 + 4
      parts.push(
        `<path d="M${ox} ${yOf(o) + rowHeight / 2 + 5} C${ox - 8} ${yOf(o) + rowHeight}, ${cx - 8} ${cy}, ${cx} ${cy}" ` +
          `fill="none" stroke="#9aa5b1" stroke-dasharray="3 3"/>`
      )
    }
  })
  // rows
  all.forEach((r, i) => {
    const y = yOf(i)
    const onPath = critical.has(r.node.digest)
    const lx = 10 + r.depth * 14
    const label = TextSafe.clip(TextSafe.sanitize(r.node.description), Math.max(8, Math.floor((labelWidth - lx - 10) / 7.3)))
    parts.push(
      `<circle cx="${lx + 4}" cy="${y + rowHeight / 2}" r="4" fill="${colors[r.node.status]}"/>`,
      `<text x="${lx + 12}" y="${y + 15}"${onPath ? ` font-weight="bold"` : ""}><title>${xml(r.node.description)}</title>${
        xml(label)
      }</text>`
    )
    const bx = x(r.start)
    const bw = Math.max(2, x(r.end) - bx)
    parts.push(
      `<rect x="${bx}" y="${y + 4}" width="${bw}" height="${rowHeight - 8}" rx="2" fill="${colors[r.node.status]}"${
        onPath ? ` stroke="#f08c00" stroke-width="2"` : ""
      }/>`
    )
    const what = r.node.status === "cached" ? "cached" : r.node.status === "running"
      ? "unfinished"
      : `${r.node.status === "failed" ? "failed " : ""}${Progress.duration(r.node.durationMs ?? r.end - r.start)}`
    parts.push(`<text x="${bx + bw + 6}" y="${y + 15}" fill="#323f4b">${xml(what)}</text>`)
  })
  parts.push("</svg>\n")
  return parts.join("\n")
}
