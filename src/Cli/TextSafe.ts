/**
 * Text from an exec made safe to show on a terminal or in a CI log: terminal control sequences removed, other
 * control characters shown escaped (`\x1b`, `\x00`), lines clipped to a width (in terminal columns) with a marker.
 * What is shown is never the full output: that stays available through the API (`stdout`, `stderr`).
 */

/** The marker at the end of a clipped line. */
export const clipMarker = "…"

// CSI (colors, cursor moves) and OSC (titles, hyperlinks) sequences: removed whole
// eslint-disable-next-line no-control-regex
const sequences = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g
// eslint-disable-next-line no-control-regex
const controls = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g

/**
 * One line as it can be shown: escape sequences removed, tabs as two spaces, any other control character (C0, DEL,
 * C1) as `\xNN`.
 *
 * @category combinators
 */
export const sanitize = (line: string): string =>
  line.replace(sequences, "").replace(/\t/g, "  ").replace(
    controls,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`
  )

/**
 * How many terminal columns a code point takes: 0 for combining marks and zero-width characters, 2 for East Asian
 * wide characters and emoji, else 1.
 *
 * @category combinators
 */
export const charWidth = (cp: number): number => {
  if (
    (cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0xfe00 && cp <= 0xfe0f) ||
    cp === 0x2060 || cp === 0xfeff
  ) return 0
  if (
    (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1faff) || (cp >= 0x20000 && cp <= 0x3fffd)
  ) return 2
  return 1
}

/**
 * The width of a (sanitized) string in terminal columns.
 *
 * @category combinators
 */
export const width = (text: string): number => {
  let w = 0
  for (const ch of text) w += charWidth(ch.codePointAt(0)!)
  return w
}

/**
 * `text` cut to at most `columns` terminal columns; when cut, it ends with `…` (within the columns).
 *
 * @category combinators
 */
export const clip = (text: string, columns: number): string => {
  if (width(text) <= columns) return text
  if (columns <= 0) return ""
  let out = ""
  let w = 0
  for (const ch of text) {
    const cw = charWidth(ch.codePointAt(0)!)
    if (w + cw > columns - 1) break
    out += ch
    w += cw
  }
  return out + clipMarker
}

/**
 * `text` padded with spaces to `columns` columns (or clipped to them).
 *
 * @category combinators
 */
export const fit = (text: string, columns: number): string => {
  const clipped = clip(text, columns)
  return clipped + " ".repeat(Math.max(0, columns - width(clipped)))
}

/** A line longer than this (in UTF-16 units) without a newline is cut into pieces as it arrives. */
export const maxPending = 16 * 1024

/**
 * Splits the output `pending + chunk` into complete lines and what is left of the last, unfinished one. `\r\n`
 * ends a line like `\n`; a line rewritten with `\r` (a progress bar) keeps what it shows last. An unfinished line
 * longer than `maxPending` is cut off as a line of its own (a binary blob or a line that never ends).
 *
 * @category combinators
 */
export const splitLines = (
  pending: string,
  chunk: string
): { readonly lines: ReadonlyArray<string>; readonly rest: string } => {
  const parts = (pending + chunk).split("\n")
  let rest = parts.pop()!
  const lines = parts.map(lastRewrite)
  while (rest.length > maxPending) {
    lines.push(lastRewrite(rest.slice(0, maxPending)))
    rest = rest.slice(maxPending)
  }
  return { lines, rest }
}

const lastRewrite = (line: string): string => {
  const trimmed = line.endsWith("\r") ? line.slice(0, -1) : line
  const cr = trimmed.lastIndexOf("\r")
  return cr === -1 ? trimmed : trimmed.slice(cr + 1)
}
