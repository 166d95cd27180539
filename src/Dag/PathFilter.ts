/**
 * Include/exclude path filters, with the rules Dagger inherits from BuildKit (`fsutil` + moby `patternmatcher`, the
 * `.dockerignore` syntax) for `host.directory`, `withDirectory`, `Directory.filter`:
 *
 * - Patterns are relative to the root of the directory (a leading `/` or `./` and a trailing `/` are ignored).
 * - `*` matches any run of characters within one path segment, `?` one character, `[a-z]` / `[!a-z]` a class,
 *   `\x` the character `x`. A `**` segment matches zero or more whole segments (`**` inside a segment acts as `*`).
 * - A pattern without `/` is NOT matched at any depth: `*.log` is `a.log` at the root only; write `**` + `/*.log`.
 * - A pattern that matches a path also matches everything under it: `node_modules` drops the whole subtree.
 * - A list is read in order and the last matching pattern wins; `!pattern` re-includes (in an exclude list) or
 *   drops again (in an include list). An include list made only of `!` patterns starts from "everything".
 * - Exclude wins over include. Without include patterns, everything not excluded is kept.
 *
 * {@link decide} is meant to be called top-down during a walk: a directory whose decision is `"skip"` has no kept
 * descendant, so walkers never enter it.
 */

/**
 * Include and exclude patterns as the API receives them.
 *
 * @category models
 */
export interface Patterns {
  readonly include?: ReadonlyArray<string> | undefined
  readonly exclude?: ReadonlyArray<string> | undefined
}

/**
 * What a walker does with one path.
 * - `keep`: the path is part of the result (for a directory: walk its children too, each is decided again);
 * - `descend`: a directory that is not itself selected, but something below it may be: walk it, and keep it only
 *   as the parent of a kept descendant;
 * - `skip`: neither the path nor anything below it is part of the result.
 *
 * @category models
 */
export type Decision = "keep" | "descend" | "skip"

interface Pattern {
  readonly source: string
  readonly negated: boolean
  /** Segments; the string `"**"` is a globstar, anything else a compiled segment matcher. */
  readonly segments: ReadonlyArray<"**" | RegExp>
}

/**
 * A compiled filter.
 *
 * @category models
 */
export interface PathFilter {
  readonly include: ReadonlyArray<string>
  readonly exclude: ReadonlyArray<string>
  /** True when the filter keeps everything (no patterns). */
  readonly isEmpty: boolean
  /** Decides one path (relative, `/`-separated, no leading `./`). */
  readonly decide: (relPath: string, isDir: boolean) => Decision
}

// ---------------------------------------------------------------------------------------------------------------
// compiling

const segmentRegExp = (segment: string): RegExp => {
  let re = "^"
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!
    if (ch === "*") {
      while (segment[i + 1] === "*") i++
      re += "[^/]*"
    } else if (ch === "?") {
      re += "[^/]"
    } else if (ch === "\\" && i + 1 < segment.length) {
      i++
      re += escapeRe(segment[i]!)
    } else if (ch === "[") {
      const end = segment.indexOf("]", i + 2)
      if (end === -1) {
        re += "\\["
      } else {
        let body = segment.slice(i + 1, end)
        const negate = body.startsWith("!") || body.startsWith("^")
        if (negate) body = body.slice(1)
        re += "[" + (negate ? "^" : "") + body.replace(/[\\\]^]/g, (c) => "\\" + c) + "]"
        i = end
      }
    } else {
      re += escapeRe(ch)
    }
  }
  return new RegExp(re + "$", "s")
}

const escapeRe = (ch: string): string => ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")

/**
 * Normalizes a relative path or pattern body: no leading `/` or `./`, no trailing `/`, `.` segments and repeated
 * slashes removed, `..` resolved lexically (never above the root). The root is `""`.
 *
 * @category combinators
 */
export const normalize = (path: string): string => {
  const out: Array<string> = []
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue
    if (seg === "..") out.pop()
    else out.push(seg)
  }
  return out.join("/")
}

const compile = (raw: string): Pattern | undefined => {
  let source = raw.trim()
  if (source === "") return undefined
  const negated = source.startsWith("!")
  if (negated) source = source.slice(1).trim()
  const body = normalize(source)
  // "." (the root itself) selects everything.
  const segments = body === ""
    ? ["**" as const]
    : body.split("/").map((s) => (s === "**" ? "**" as const : segmentRegExp(s)))
  return { source: raw, negated, segments }
}

// ---------------------------------------------------------------------------------------------------------------
// matching

/** Does the pattern match `path` or one of its ancestors? */
const matchesOrParent = (pattern: Pattern, path: ReadonlyArray<string>): boolean => {
  const segs = pattern.segments
  const go = (i: number, j: number): boolean => {
    if (i === segs.length) return j >= 1
    if (j === path.length) return false
    const seg = segs[i]!
    if (seg === "**") return go(i + 1, j) || go(i, j + 1)
    return seg.test(path[j]!) && go(i + 1, j + 1)
  }
  return go(0, 0)
}

/** Could the pattern match a strict descendant of the directory `path`? */
const couldMatchBelow = (pattern: Pattern, path: ReadonlyArray<string>): boolean => {
  const segs = pattern.segments
  const go = (i: number, j: number): boolean => {
    if (j === path.length) return i < segs.length
    if (i === segs.length) return false
    const seg = segs[i]!
    if (seg === "**") return go(i + 1, j) || go(i, j + 1)
    return seg.test(path[j]!) && go(i + 1, j + 1)
  }
  return go(0, 0)
}

/** The state after reading the list in order: last matching pattern wins. */
const evaluate = (patterns: ReadonlyArray<Pattern>, initial: boolean, path: ReadonlyArray<string>): boolean => {
  let state = initial
  for (const p of patterns) {
    if (state === !p.negated) continue
    if (matchesOrParent(p, path)) state = !p.negated
  }
  return state
}

/**
 * Does one pattern select `relPath` (the path itself or one of its ancestors matches)? A `!` prefix is ignored.
 *
 * @category guards
 */
export const matches = (pattern: string, relPath: string): boolean => {
  const p = compile(pattern)
  const path = normalize(relPath)
  return p !== undefined && path !== "" && matchesOrParent(p, path.split("/"))
}

/**
 * Compiles include and exclude patterns.
 *
 * @category constructors
 */
export const make = (patterns: Patterns): PathFilter => {
  const include = (patterns.include ?? []).flatMap((s) => compile(s) ?? [])
  const exclude = (patterns.exclude ?? []).flatMap((s) => compile(s) ?? [])
  const includeInitial = include.length > 0 && include.every((p) => p.negated)
  const excludeNegations = exclude.filter((p) => p.negated)
  const includePositives = include.filter((p) => !p.negated)
  const decide = (relPath: string, isDir: boolean): Decision => {
    const norm = normalize(relPath)
    if (norm === "") return "keep"
    const path = norm.split("/")
    if (exclude.length > 0 && evaluate(exclude, false, path)) {
      return isDir && excludeNegations.some((p) => couldMatchBelow(p, path)) ? "descend" : "skip"
    }
    if (include.length > 0 && !evaluate(include, includeInitial, path)) {
      return isDir && includePositives.some((p) => couldMatchBelow(p, path)) ? "descend" : "skip"
    }
    return "keep"
  }
  return {
    include: patterns.include ?? [],
    exclude: patterns.exclude ?? [],
    isEmpty: include.length === 0 && exclude.length === 0,
    decide
  }
}

/**
 * The filter that keeps everything.
 *
 * @category constructors
 */
export const all: PathFilter = make({})
