/**
 * Scrubbing of exec output: every occurrence of a secret's value becomes `***`.
 *
 * The patterns of a set of secrets are their values and, when it differs, each value with surrounding whitespace
 * trimmed (a value read from a file often ends with a newline the output does not repeat). Empty patterns are ignored.
 * Matching is on bytes, left to right; at each position the longest pattern that matches wins.
 *
 * The streaming form (`stream`) gives, over any chunking of the input, exactly what `scrub` gives for the whole: a
 * chunk's tail that could still become a match (a prefix of a pattern, or a match that a longer pattern could extend)
 * is held back until the next chunk or the end.
 */

/**
 * What output becomes where a secret was.
 *
 * @category constants
 */
export const mask = "***"
const maskBytes = Buffer.from(mask)

/**
 * Compiled patterns: by first byte, longest first.
 *
 * @category models
 */
export interface Patterns {
  readonly byFirst: ReadonlyMap<number, ReadonlyArray<Buffer>>
  readonly longest: number
}

/**
 * The patterns of some secret values.
 *
 * @category constructors
 */
export const patterns = (values: Iterable<string>): Patterns => {
  const set = new Set<string>()
  for (const v of values) {
    if (v !== "") set.add(v)
    const t = v.trim()
    if (t !== "") set.add(t)
  }
  const byFirst = new Map<number, Array<Buffer>>()
  let longest = 0
  for (const v of set) {
    const b = Buffer.from(v, "utf8")
    const list = byFirst.get(b[0]!) ?? []
    list.push(b)
    byFirst.set(b[0]!, list)
    longest = Math.max(longest, b.length)
  }
  for (const list of byFirst.values()) list.sort((a, b) => b.length - a.length)
  return { byFirst, longest }
}

/**
 * Whether there is nothing to scrub.
 *
 * @category guards
 */
export const isEmpty = (p: Patterns): boolean => p.longest === 0

/** Whether `buf[at…]` starts with `pat` (`"full"`), is cut short while matching so far (`"prefix"`), or neither. */
const matchAt = (buf: Buffer, at: number, pat: Buffer): "full" | "prefix" | "none" => {
  const n = Math.min(pat.length, buf.length - at)
  for (let k = 0; k < n; k++) if (buf[at + k] !== pat[k]) return "none"
  return n === pat.length ? "full" : "prefix"
}

/**
 * Scrubs `buf`; with `final` false, stops at the first position where more input could change the outcome and
 * returns the rest as `held`.
 */
const step = (p: Patterns, buf: Buffer, final: boolean): { readonly out: Buffer; readonly held: Buffer } => {
  const parts: Array<Buffer> = []
  let from = 0 // start of the current run of bytes copied as is
  let i = 0
  while (i < buf.length) {
    const candidates = p.byFirst.get(buf[i]!)
    if (candidates === undefined) {
      i++
      continue
    }
    let matched = 0
    let undecided = false
    for (const pat of candidates) {
      const m = matchAt(buf, i, pat)
      if (m === "prefix" && !final) {
        // a longer pattern than any full match could still match: wait for more input
        undecided = true
        break
      }
      if (m === "full") {
        matched = pat.length // candidates are longest first: the first full match is the longest
        break
      }
    }
    if (undecided) {
      parts.push(buf.subarray(from, i))
      return { out: Buffer.concat(parts), held: Buffer.from(buf.subarray(i)) }
    }
    if (matched > 0) {
      parts.push(buf.subarray(from, i), maskBytes)
      i += matched
      from = i
    } else i++
  }
  parts.push(buf.subarray(from))
  return { out: Buffer.concat(parts), held: Buffer.alloc(0) }
}

/**
 * Scrubs a whole output.
 *
 * @category combinators
 */
export const scrub = (p: Patterns, buf: Buffer): Buffer => (isEmpty(p) ? buf : step(p, buf, true).out)

/**
 * Scrubs a whole output given as a string.
 *
 * @category combinators
 */
export const scrubString = (p: Patterns, text: string): string =>
  isEmpty(p) ? text : scrub(p, Buffer.from(text, "utf8")).toString("utf8")

/**
 * Scrubs whole texts of the values of some secrets (their patterns made once).
 *
 * @category constructors
 */
export const redactor = (values: Iterable<string>): ((text: string) => string) => {
  const p = patterns(values)
  return (text) => scrubString(p, text)
}

/**
 * A streaming scrubber: `push` each chunk as it arrives, then `end`; the concatenated results equal `scrub` of the
 * concatenated chunks.
 *
 * @category models
 */
export interface Stream {
  readonly push: (chunk: Buffer) => Buffer
  readonly end: () => Buffer
}

/**
 * @category constructors
 */
export const stream = (p: Patterns): Stream => {
  let held: Buffer = Buffer.alloc(0)
  return {
    push: (chunk) => {
      if (isEmpty(p)) return chunk
      const r = step(p, held.length === 0 ? chunk : Buffer.concat([held, chunk]), false)
      held = r.held
      return r.out
    },
    end: () => {
      const r = step(p, held, true)
      held = Buffer.alloc(0)
      return r.out
    }
  }
}
