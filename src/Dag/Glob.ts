/**
 * Glob patterns for `Directory.glob`, with the syntax of Go's doublestar (which Dagger uses):
 *
 * - `*` matches any run of characters within one path segment, `?` one character, `[abc]` / `[a-z]` / `[!a-z]`
 *   (or `[^a-z]`) a class, `{a,b}` one of the alternatives, `\x` the character `x`;
 * - a `**` segment matches zero or more whole segments (`a/**` also matches `a` itself); `**` inside a segment acts
 *   as `*`;
 * - dotfiles are not special.
 *
 * An unclosed `[` or `{`, an empty class, or a trailing `\` makes the pattern invalid.
 */
import { Either } from "effect"

/**
 * A compiled pattern.
 *
 * @category models
 */
export interface Glob {
  readonly pattern: string
  /** Whether a relative, `/`-separated path (no leading `/` or `./`) matches. */
  readonly matches: (relPath: string) => boolean
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")

/** Splits at `/` outside braces. */
const splitSegments = (pattern: string): Array<string> => {
  const out: Array<string> = []
  let depth = 0
  let cur = ""
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!
    if (ch === "\\" && i + 1 < pattern.length) {
      cur += ch + pattern[i + 1]!
      i++
      continue
    }
    if (ch === "{") depth++
    else if (ch === "}" && depth > 0) depth--
    if (ch === "/" && depth === 0) {
      out.push(cur)
      cur = ""
    } else cur += ch
  }
  out.push(cur)
  return out
}

/** Compiles one segment (may contain `/` inside braces) to a regular expression source. */
const segmentSource = (seg: string): Either.Either<string, string> => {
  let re = ""
  let depth = 0
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i]!
    switch (ch) {
      case "*":
        while (seg[i + 1] === "*") i++
        re += "[^/]*"
        break
      case "?":
        re += "[^/]"
        break
      case "\\":
        if (i + 1 >= seg.length) return Either.left("a trailing \\ escapes nothing")
        i++
        re += escapeRe(seg[i]!)
        break
      case "[": {
        let j = i + 1
        let negate = false
        if (seg[j] === "!" || seg[j] === "^") {
          negate = true
          j++
        }
        let body = ""
        const start = j
        for (; j < seg.length; j++) {
          const c = seg[j]!
          if (c === "]" && j > start) break
          if (c === "\\") {
            if (j + 1 >= seg.length) return Either.left("a trailing \\ escapes nothing")
            j++
            body += "\\" + seg[j]!
          } else if (c === "/") {
            return Either.left("a character class cannot contain /")
          } else body += c === "]" || c === "[" || c === "^" ? "\\" + c : c
        }
        if (j >= seg.length) return Either.left("unclosed character class [")
        if (body === "") return Either.left("empty character class")
        re += (negate ? "[^/" : "[") + body + "]"
        i = j
        break
      }
      case "{":
        depth++
        re += "(?:"
        break
      case "}":
        if (depth > 0) {
          depth--
          re += ")"
        } else re += "\\}"
        break
      case ",":
        re += depth > 0 ? "|" : ","
        break
      default:
        re += escapeRe(ch)
    }
  }
  if (depth > 0) return Either.left("unclosed alternatives {")
  return Either.right(re)
}

/**
 * Compiles a pattern; the error is a message explaining why the pattern is invalid.
 *
 * @category constructors
 */
export const compile = (pattern: string): Either.Either<Glob, string> => {
  if (pattern === "") return Either.left("empty pattern")
  const trimmed = pattern.replace(/^(?:\.\/)+/, "").replace(/^\/+/, "")
  const segments = splitSegments(trimmed === "" ? "." : trimmed)
  let re = "^"
  let needSep = false
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!
    const last = i === segments.length - 1
    if (seg === "**") {
      if (last) re += needSep ? "(?:/.*)?" : ".*"
      else {
        re += needSep ? "(?:/[^/]+)*/" : "(?:[^/]+/)*"
        needSep = false
      }
      continue
    }
    if (seg === "" && last && i > 0) continue // trailing "/"
    const src = segmentSource(seg)
    if (Either.isLeft(src)) return Either.left(`invalid glob pattern ${JSON.stringify(pattern)}: ${src.left}`)
    re += (needSep ? "/" : "") + src.right
    needSep = true
  }
  const regexp = new RegExp(re + "$", "s")
  return Either.right({ pattern, matches: (p) => regexp.test(p) })
}

/**
 * Whether `relPath` matches `pattern` (false for an invalid pattern).
 *
 * @category guards
 */
export const matches = (pattern: string, relPath: string): boolean =>
  Either.match(compile(pattern), { onLeft: () => false, onRight: (g) => g.matches(relPath) })
