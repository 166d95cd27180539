/**
 * `.gitignore` rules for the `gitignore` argument of `host.directory`, `Directory.filter`, `Directory.withDirectory`
 * and `Container.withDirectory`. Pure: the walker (`internal/Walk.ts`) reads the files and feeds their text here.
 *
 * Patterns follow git's syntax (gitignore(5), matched like git's wildmatch):
 * - blank lines and lines starting with `#` are skipped; `\#` and `\!` stand for a literal `#` / `!`; trailing spaces
 *   are dropped unless escaped (`\ `); a trailing `\r` is dropped;
 * - `!` negates; a trailing `/` matches directories only;
 * - a pattern with a `/` at its start or middle is anchored to the directory of its `.gitignore` and matched against
 *   the path relative to it; otherwise it is matched against the name of the path, at any depth below that directory;
 * - `*` matches anything but `/`, `?` one character but `/`, `[a-z]`, `[!a-z]`/`[^a-z]` and `[[:alpha:]]` classes,
 *   `\x` the character `x`; `**/` at the start matches in all directories, `/**` at the end everything inside,
 *   `/**\/` in the middle zero or more directories; any other `**` acts as `*`; an unclosed `[` never matches.
 *
 * Patterns are read in order, a root `.gitignore` first, then those of deeper directories (each applies below its
 * own directory only): the last pattern that matches decides.
 *
 * Two tree rules:
 * - `"dagger"` (what Dagger does, through go-git's matcher): a pattern that matches a directory also matches every
 *   path below it, and each path is decided on its own by the last pattern matching it or one of its parents. So a
 *   negation can re-include a file below an excluded directory (`build/` then `!build/keep.txt` keeps
 *   `build/keep.txt`, with `build` as its parent), and an excluded directory is walked only when some negation could
 *   re-include something below it;
 * - `"git"`: as git, a path below an excluded directory is excluded, whatever comes after (the directory is never
 *   walked).
 */

/**
 * Which tree rule applies (see the module doc).
 *
 * @category models
 */
export type Rule = "dagger" | "git"

/** One path segment of an anchored pattern: a globstar, or a matcher of one name. */
type Segment = "**" | RegExp

/**
 * One pattern of a `.gitignore` file.
 *
 * @category models
 */
export interface Pattern {
  /** The line as written (after trimming trailing spaces). */
  readonly source: string
  readonly negated: boolean
  /** A trailing `/`: matches directories only. */
  readonly dirOnly: boolean
  /** The directory of the `.gitignore` (segments relative to the matcher's root; empty for the root). */
  readonly base: ReadonlyArray<string>
  /** Anchored patterns match the path relative to `base` segment by segment; the others match the name. */
  readonly match:
    | { readonly _tag: "Name"; readonly regexp: RegExp }
    | { readonly _tag: "Path"; readonly segments: ReadonlyArray<Segment> }
    /** Never matches (an unclosed `[`, a trailing `\`, an unknown `[:class:]`). */
    | { readonly _tag: "Never" }
}

/**
 * The patterns that apply to a walk, in precedence order (later wins), and the rule.
 *
 * @category models
 */
export interface Matcher {
  readonly rule: Rule
  /** The walk's root relative to the matcher's root (segments): paths given to `decide` are relative to the walk. */
  readonly prefix: ReadonlyArray<string>
  readonly patterns: ReadonlyArray<Pattern>
}

/**
 * What a walker does with a path (the same meaning as `PathFilter.Decision`).
 *
 * @category models
 */
export type Decision = "keep" | "descend" | "skip"

// ---------------------------------------------------------------------------------------------------------------
// parsing

const splitPath = (p: string): Array<string> => p.split("/").filter((s) => s !== "" && s !== ".")

/** git's trim_trailing_spaces: unescaped trailing spaces go. */
const trimTrailingSpaces = (line: string): string => {
  let cut = -1
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (ch === "\\") {
      i++
      cut = -1
    } else if (ch === " ") {
      if (cut === -1) cut = i
    } else cut = -1
  }
  return cut === -1 ? line : line.slice(0, cut)
}

const posixClasses: Record<string, string> = {
  alnum: "a-zA-Z0-9",
  alpha: "a-zA-Z",
  blank: " \\t",
  cntrl: "\\x00-\\x1f\\x7f",
  digit: "0-9",
  graph: "\\x21-\\x7e",
  lower: "a-z",
  print: "\\x20-\\x7e",
  punct: "!-\\/:-@\\[-`{-~",
  space: " \\t\\n\\r\\f\\v",
  upper: "A-Z",
  xdigit: "0-9A-Fa-f"
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&")

/** A bracket expression starting at `s[start] === "["`: its regexp source and the index after `]`; undefined if bad. */
const bracket = (s: string, start: number): { readonly re: string; readonly end: number } | undefined => {
  let i = start + 1
  let negated = false
  if (s[i] === "!" || s[i] === "^") {
    negated = true
    i++
  }
  const parts: Array<string> = []
  let first = true
  for (;;) {
    if (i >= s.length) return undefined
    let ch = s[i]!
    if (ch === "]" && !first) break
    first = false
    if (ch === "[" && s[i + 1] === ":") {
      const close = s.indexOf(":]", i + 2)
      if (close === -1) {
        // not a class name: a literal "["
        parts.push("\\[")
        i++
        continue
      }
      const cls = posixClasses[s.slice(i + 2, close)]
      if (cls === undefined) return undefined
      parts.push(cls)
      i = close + 2
      continue
    }
    if (ch === "\\") {
      i++
      if (i >= s.length) return undefined
      ch = s[i]!
    }
    if (s[i + 1] === "-" && s[i + 2] !== undefined && s[i + 2] !== "]") {
      let hi = s[i + 2]!
      let next = i + 3
      if (hi === "\\") {
        if (i + 3 >= s.length) return undefined
        hi = s[i + 3]!
        next = i + 4
      }
      // a reversed range matches nothing
      if (ch <= hi) parts.push(escapeRe(ch) + "-" + escapeRe(hi))
      i = next
      continue
    }
    parts.push(escapeRe(ch))
    i++
  }
  const body = parts.join("")
  // A class never matches "/" (paths are matched segment by segment anyway).
  const re = negated ? `[^/${body}]` : body === "" ? "(?!)" : `[${body}]`
  return { re, end: i + 1 }
}

/** Compiles a pattern without `/` (a name, or one segment) to a regexp source; undefined when it never matches. */
const segmentSource = (seg: string): string | undefined => {
  let re = ""
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i]!
    if (ch === "*") {
      while (seg[i + 1] === "*") i++
      re += "[^/]*"
    } else if (ch === "?") {
      re += "[^/]"
    } else if (ch === "\\") {
      if (i + 1 >= seg.length) return undefined
      i++
      re += escapeRe(seg[i]!)
    } else if (ch === "[") {
      const b = bracket(seg, i)
      if (b === undefined) return undefined
      re += b.re
      i = b.end - 1
    } else re += escapeRe(ch)
  }
  return re
}

/** Splits an anchored pattern at its `/`s (not inside a bracket expression); undefined when a class holds a `/`. */
const splitSegments = (body: string): Array<string> | undefined => {
  const out: Array<string> = []
  let cur = ""
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!
    if (ch === "\\" && i + 1 < body.length) {
      cur += ch + body[i + 1]!
      i++
    } else if (ch === "[") {
      const b = bracket(body, i)
      if (b === undefined) {
        cur += ch
        continue
      }
      const text = body.slice(i, b.end)
      if (text.includes("/")) return undefined
      cur += text
      i = b.end - 1
    } else if (ch === "/") {
      out.push(cur)
      cur = ""
    } else cur += ch
  }
  out.push(cur)
  return out
}

const compileMatch = (body: string, anchored: boolean): Pattern["match"] => {
  if (!anchored) {
    const src = segmentSource(body)
    return src === undefined ? { _tag: "Never" } : { _tag: "Name", regexp: new RegExp("^" + src + "$", "s") }
  }
  const raw = splitSegments(body.startsWith("/") ? body.slice(1) : body)
  if (raw === undefined) return { _tag: "Never" }
  const segments: Array<Segment> = []
  for (const seg of raw) {
    if (/^\*\*+$/.test(seg)) {
      if (segments.at(-1) !== "**") segments.push("**")
      continue
    }
    if (seg === "") return { _tag: "Never" } // "a//b": no path has an empty segment
    const src = segmentSource(seg)
    if (src === undefined) return { _tag: "Never" }
    segments.push(new RegExp("^" + src + "$", "s"))
  }
  return { _tag: "Path", segments }
}

/**
 * Parses one line of a `.gitignore` in directory `base` (relative to the matcher's root, `""` for the root);
 * undefined for blank lines and comments.
 *
 * @category constructors
 */
export const parseLine = (line: string, base: string = ""): Pattern | undefined => {
  let text = line.endsWith("\r") ? line.slice(0, -1) : line
  if (text.startsWith("#")) return undefined
  text = trimTrailingSpaces(text)
  if (text === "") return undefined
  const source = text
  const negated = text.startsWith("!")
  if (negated) text = text.slice(1)
  let dirOnly = false
  if (text.endsWith("/")) {
    dirOnly = true
    text = text.slice(0, -1)
  }
  if (text === "") return undefined
  const anchored = text.includes("/")
  return { source, negated, dirOnly, base: splitPath(base), match: compileMatch(text, anchored) }
}

/**
 * Parses the text of a `.gitignore` file in directory `base` (a UTF-8 byte order mark is skipped).
 *
 * @category constructors
 */
export const parse = (text: string, base: string = ""): ReadonlyArray<Pattern> =>
  (text.startsWith("\uFEFF") ? text.slice(1) : text).split("\n").flatMap((l) => parseLine(l, base) ?? [])

// ---------------------------------------------------------------------------------------------------------------
// matching

const under = (base: ReadonlyArray<string>, path: ReadonlyArray<string>): boolean =>
  path.length > base.length && base.every((s, i) => path[i] === s)

/** Segment matching; a trailing globstar matches one or more segments, any other zero or more. */
const matchSegments = (segs: ReadonlyArray<Segment>, path: ReadonlyArray<string>, from: number): boolean => {
  const go = (i: number, j: number): boolean => {
    if (i === segs.length) return j === path.length
    const seg = segs[i]!
    if (seg === "**") {
      if (i === segs.length - 1) return j < path.length
      for (let k = j; k <= path.length; k++) if (go(i + 1, k)) return true
      return false
    }
    return j < path.length && seg.test(path[j]!) && go(i + 1, j + 1)
  }
  return go(0, from)
}

/**
 * Does the pattern match exactly this path (segments relative to the matcher's root; `isDir` for directories)?
 * Ancestors are not considered.
 *
 * @category guards
 */
export const matchesExactly = (p: Pattern, path: ReadonlyArray<string>, isDir: boolean): boolean => {
  if (p.dirOnly && !isDir) return false
  if (!under(p.base, path)) return false
  switch (p.match._tag) {
    case "Never":
      return false
    case "Name":
      return p.match.regexp.test(path[path.length - 1]!)
    case "Path":
      return matchSegments(p.match.segments, path, p.base.length)
  }
}

/** Could the pattern match some path strictly below the directory `dir`? */
const couldMatchBelow = (p: Pattern, dir: ReadonlyArray<string>): boolean => {
  if (!(under(p.base, dir) || (dir.length === p.base.length && p.base.every((s, i) => dir[i] === s)))) {
    // the pattern's directory must be `dir` or above it; a deeper one is below `dir` by construction
    return p.base.length > dir.length && dir.every((s, i) => p.base[i] === s)
  }
  switch (p.match._tag) {
    case "Never":
      return false
    case "Name":
      return true
    case "Path": {
      const segs = p.match.segments
      const go = (i: number, j: number): boolean => {
        if (j === dir.length) return i < segs.length
        if (i === segs.length) return false
        const seg = segs[i]!
        if (seg === "**") return go(i + 1, j) || go(i, j + 1)
        return seg.test(dir[j]!) && go(i + 1, j + 1)
      }
      return go(0, p.base.length)
    }
  }
}

/** The last pattern matching the path exactly, or (dagger rule) the path or one of its parents. */
const lastMatch = (m: Matcher, path: ReadonlyArray<string>, isDir: boolean, withParents: boolean): Pattern | undefined => {
  for (let k = m.patterns.length - 1; k >= 0; k--) {
    const p = m.patterns[k]!
    if (matchesExactly(p, path, isDir)) return p
    if (withParents) {
      for (let n = p.base.length + 1; n < path.length; n++) {
        if (matchesExactly(p, path.slice(0, n), true)) return p
      }
    }
  }
  return undefined
}

const full = (m: Matcher, relPath: string): Array<string> => [...m.prefix, ...splitPath(relPath)]

const ignoredFull = (m: Matcher, path: ReadonlyArray<string>, isDir: boolean): boolean => {
  if (m.rule === "git") {
    for (let n = 1; n < path.length; n++) {
      if (lastMatch(m, path.slice(0, n), true, false)?.negated === false) return true
    }
    return lastMatch(m, path, isDir, false)?.negated === false
  }
  return lastMatch(m, path, isDir, true)?.negated === false
}

/**
 * A matcher with no patterns yet. `prefix` is the walk's root relative to the directory the `.gitignore` files are
 * read from (e.g. the git repository's top for `host.directory`); `""` when they are the same.
 *
 * @category constructors
 */
export const make = (options: { readonly rule?: Rule | undefined; readonly prefix?: string | undefined } = {}): Matcher => ({
  rule: options.rule ?? "dagger",
  prefix: splitPath(options.prefix ?? ""),
  patterns: []
})

/**
 * Adds the patterns of the `.gitignore` of directory `dir` (relative to the walk's root, `""` for the root; with
 * `fromRoot`, relative to the matcher's root instead, for files above the walk's root).
 *
 * @category combinators
 */
export const addFile = (m: Matcher, dir: string, text: string, fromRoot: boolean = false): Matcher => {
  const base = fromRoot ? splitPath(dir) : [...m.prefix, ...splitPath(dir)]
  const added = parse(text, base.join("/"))
  return added.length === 0 ? m : { ...m, patterns: [...m.patterns, ...added] }
}

/**
 * Whether `relPath` (relative to the walk's root) is ignored.
 *
 * @category guards
 */
export const isIgnored = (m: Matcher, relPath: string, isDir: boolean): boolean => ignoredFull(m, full(m, relPath), isDir)

/**
 * Decides a path during a top-down walk: `keep` when it is not ignored; for an ignored directory, `descend` when
 * (dagger rule) a negation pattern could re-include something below it, else `skip`. `m` holds the patterns of the
 * `.gitignore` files of the path's parents and, for a directory, of the directory itself.
 *
 * @category combinators
 */
export const decide = (m: Matcher, relPath: string, isDir: boolean): Decision => {
  const path = full(m, relPath)
  if (!ignoredFull(m, path, isDir)) return "keep"
  if (!isDir || m.rule === "git") return "skip"
  return m.patterns.some((p) => p.negated && couldMatchBelow(p, path)) ? "descend" : "skip"
}
