/**
 * Module references as `dagger.json` dependencies and `dirk install` take them: a local path (relative to the
 * module that declares it) or a git source `[scheme://]host/path[.git][/subdir][@version]`.
 *
 * A git source's repository ends at the first path segment ending in `.git`; without one, on github.com,
 * gitlab.com and bitbucket.org it is the first two segments, and elsewhere the whole path (no subdirectory).
 * Without a scheme the repository is fetched over https. `version` is a tag, a branch or a commit.
 */
import * as path from "node:path"

/**
 * A parsed module reference.
 *
 * @category models
 */
export type ModuleRef =
  | { readonly _tag: "Local"; readonly path: string }
  | {
    readonly _tag: "Git"
    /** The URL git fetches from (the repository root). */
    readonly cloneUrl: string
    /** The reference without its version: what `dagger.json` stores as `source` (plus `@version`). */
    readonly repo: string
    /** The module's directory inside the repository ("" for its root). */
    readonly subdir: string
    /** A tag, a branch or a commit; undefined for the default branch. */
    readonly version: string | undefined
  }

const schemes = ["git://", "https://", "http://", "ssh://", "file://"]

const hostLike = (segment: string): boolean => /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?$/.test(segment)

/**
 * Whether a reference names a git source rather than a local path.
 *
 * @category guards
 */
export const isGit = (ref: string): boolean => {
  if (schemes.some((s) => ref.startsWith(s)) || /^[A-Za-z0-9_.-]+@[A-Za-z0-9.-]+:/.test(ref)) return true
  if (ref.startsWith(".") || ref.startsWith("/")) return false
  return hostLike(ref.split("/")[0]!.split("@")[0]!) && ref.includes("/")
}

const knownHosts = new Set(["github.com", "gitlab.com", "bitbucket.org"])

/**
 * Parses a reference; `undefined` with a reason on bad input.
 *
 * @category parsing
 */
export const parse = (ref: string): { readonly ok: ModuleRef } | { readonly error: string } => {
  const trimmed = ref.trim()
  if (trimmed === "") return { error: "empty module reference" }
  if (!isGit(trimmed)) return { ok: { _tag: "Local", path: trimmed } }
  // the scheme and an ssh user (`git@host:`) are kept apart from the version's "@"
  const scheme = schemes.find((s) => trimmed.startsWith(s)) ?? ""
  let rest = trimmed.slice(scheme.length)
  const scp = scheme === "" ? /^([A-Za-z0-9_.-]+@[A-Za-z0-9.-]+):(.*)$/.exec(rest) : null
  let prefix = scheme
  if (scp !== null) {
    prefix = `${scp[1]}:`
    rest = scp[2]!
  } else if (scheme === "ssh://" && /^[A-Za-z0-9_.-]+@/.test(rest)) {
    const at = rest.indexOf("@")
    prefix = scheme + rest.slice(0, at + 1)
    rest = rest.slice(at + 1)
  }
  let version: string | undefined
  const at = rest.lastIndexOf("@")
  if (at >= 0) {
    version = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (version === "") return { error: `${ref}: empty version after "@"` }
  }
  const segments = rest.split("/").filter((s, i) => s !== "" || (i === 0 && scheme === "file://"))
  if (segments.some((s) => s === "." || s === "..")) return { error: `${ref}: "." and ".." are not allowed in a git source` }
  let repoEnd = segments.findIndex((s) => s.endsWith(".git"))
  if (repoEnd < 0) {
    const host = scheme === "" || scheme === "https://" || scheme === "http://" ? segments[0] ?? "" : ""
    repoEnd = knownHosts.has(host) ? 2 : segments.length - 1
  }
  if (repoEnd >= segments.length || segments.length < 2 && scheme !== "file://") {
    return { error: `${ref}: a git source needs a host and a repository path` }
  }
  const repoPath = segments.slice(0, repoEnd + 1).join("/")
  const subdir = segments.slice(repoEnd + 1).join("/")
  const base = scheme === "file://" ? `file:///${repoPath.replace(/^\/+/, "")}` : `${prefix}${repoPath}`
  const cloneUrl = scheme === "" && scp === null ? `https://${repoPath}` : base
  const repo = (scheme === "file://" ? base : `${prefix}${repoPath}`) + (subdir === "" ? "" : `/${subdir}`)
  return { ok: { _tag: "Git", cloneUrl, repo, subdir, version } }
}

/**
 * The `source` string of a reference (what `dagger.json` stores), with its version.
 *
 * @category formatting
 */
export const format = (r: ModuleRef): string =>
  r._tag === "Local" ? r.path : r.version === undefined ? r.repo : `${r.repo}@${r.version}`

/**
 * The path of a local dependency as dagger.json stores it: relative to the declaring module's directory, in
 * POSIX form.
 *
 * @category formatting
 */
export const relativeLocal = (fromDir: string, abs: string): string => {
  const rel = path.relative(fromDir, abs).split(path.sep).join("/")
  return rel === "" ? "." : rel
}

/**
 * Parses a reference that was valid when it was written (a dagger.json entry); a bad one is kept as a local path.
 *
 * @category parsing
 */
export const parseOr = (ref: string): ModuleRef => {
  const r = parse(ref)
  return "ok" in r ? r.ok : { _tag: "Local", path: ref }
}
