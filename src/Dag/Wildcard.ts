/**
 * Wildcards in removal paths (`withoutFile`, `withoutFiles`, `withoutDirectory` of `Directory` and `Container`), as
 * Dagger's removals do (BuildKit's `rm` with wildcards allowed, patterns of Go's `filepath.Match`):
 *
 * - a path has wildcards when a segment holds an unescaped `*`, `?` or `[`; the segments before the first such
 *   segment are a literal directory, the rest is a pattern matched against the paths below that directory;
 * - `*` matches any run of characters but `/`, `?` one character but `/`, `[abc]`, `[a-z]`, `[^a-z]` a class
 *   (`-` and `]` inside must be escaped; a class may match `/`), `\x` the character `x`; no `**`, no `{a,b}`;
 * - a match that is a directory is removed whole (nothing below it is matched again); no match, a missing literal
 *   directory, or a malformed pattern (unclosed or empty `[`) remove nothing and are no error.
 */

/**
 * A path split at its first segment with wildcards.
 *
 * @category models
 */
export interface Split {
  /** The leading segments without wildcards, joined by `/` (`""` for none). */
  readonly literal: string
  /** The remaining segments, joined by `/`. */
  readonly pattern: string
}

/**
 * Whether a segment (or path) holds an unescaped `*`, `?` or `[`.
 *
 * @category guards
 */
export const hasWildcards = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]
    if (ch === "\\") i++
    else if (ch === "*" || ch === "?" || ch === "[") return true
  }
  return false
}

/**
 * Splits a relative path (`/`-separated) at its first segment with wildcards; undefined when it has none.
 *
 * @category constructors
 */
export const split = (relPath: string): Split | undefined => {
  const segs = relPath.split("/").filter((s) => s !== "" && s !== ".")
  const i = segs.findIndex(hasWildcards)
  return i === -1 ? undefined : { literal: segs.slice(0, i).join("/"), pattern: segs.slice(i).join("/") }
}

const escapeRe = (ch: string): string => ch.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")

/** One character of a class: escaped or plain; `-` and `]` must be escaped (Go's getEsc). */
const classChar = (s: string, i: number): { readonly ch: string; readonly next: number } | undefined => {
  let ch = s[i]
  if (ch === undefined || ch === "-" || ch === "]") return undefined
  if (ch === "\\") {
    ch = s[i + 1]
    if (ch === undefined) return undefined
    return { ch, next: i + 2 }
  }
  return { ch, next: i + 1 }
}

/**
 * Compiles a pattern; undefined when it is malformed (then it matches nothing).
 *
 * @category constructors
 */
export const compile = (pattern: string): RegExp | undefined => {
  let re = "^"
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!
    if (ch === "*") {
      while (pattern[i + 1] === "*") i++
      re += "[^/]*"
    } else if (ch === "?") {
      re += "[^/]"
    } else if (ch === "\\") {
      if (i + 1 >= pattern.length) return undefined
      i++
      re += escapeRe(pattern[i]!)
    } else if (ch === "[") {
      let j = i + 1
      let negated = false
      if (pattern[j] === "^") {
        negated = true
        j++
      }
      const parts: Array<string> = []
      for (;;) {
        if (pattern[j] === "]" && parts.length > 0) break
        const lo = classChar(pattern, j)
        if (lo === undefined) return undefined
        j = lo.next
        if (pattern[j] === "-") {
          const hi = classChar(pattern, j + 1)
          if (hi === undefined) return undefined
          j = hi.next
          // a reversed range matches nothing, as in Go
          parts.push(lo.ch <= hi.ch ? escapeRe(lo.ch) + "-" + escapeRe(hi.ch) : "(?!)")
        } else parts.push(escapeRe(lo.ch))
      }
      const body = parts.filter((p) => p !== "(?!)").join("")
      re += negated ? (body === "" ? "[\\s\\S]" : `[^${body}]`) : body === "" ? "(?!)" : `[${body}]`
      i = j
    } else re += escapeRe(ch)
  }
  return new RegExp(re + "$", "s")
}

/**
 * Whether `relPath` matches `pattern` (false for a malformed pattern).
 *
 * @category guards
 */
export const matches = (pattern: string, relPath: string): boolean => compile(pattern)?.test(relPath) === true

/**
 * The number of segments a match can have at most (the walk below the literal directory goes no deeper); a class
 * may match `/`, so a pattern with one has no bound.
 *
 * @category getters
 */
export const maxDepth = (pattern: string): number =>
  pattern.includes("[") ? Number.POSITIVE_INFINITY : pattern.split("/").length

/**
 * The matches among `paths` (relative to the literal directory, parents listed before their children): the paths
 * matching the pattern, without those below an earlier match.
 *
 * @category combinators
 */
export const select = (pattern: string, paths: Iterable<string>): Array<string> => {
  const re = compile(pattern)
  if (re === undefined) return []
  const out: Array<string> = []
  for (const p of paths) {
    if (out.some((m) => p.startsWith(m + "/"))) continue
    if (re.test(p)) out.push(p)
  }
  return out
}
