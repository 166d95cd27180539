/**
 * A filtered, deterministic directory walk with synchronous fs calls. Excluded subtrees are never entered; a directory
 * that is only walked because something below it may be included (`descend`) is reported just before its first kept
 * descendant, and not at all when nothing below it is kept.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { DagError } from "../Errors.js"
import * as Gitignore from "../Gitignore.js"
import * as PathFilter from "../PathFilter.js"
import { errnoCode, ioError } from "./Fs.js"

/**
 * One walked entry. `rel` is `/`-separated and relative to the walk's root (never `""`: the root is not reported).
 */
export interface Entry {
  readonly rel: string
  readonly abs: string
  readonly type: "file" | "dir" | "symlink"
  /** Permission bits (`mode & 0o7777`). */
  readonly mode: number
  readonly uid: number
  readonly gid: number
  readonly size: number
  readonly mtime: Date
  /** For symlinks. */
  readonly linkTarget?: string
  /** Inode and change time when walked: with size and mtime they tell whether the entry changed since. */
  readonly ino?: number
  readonly ctimeMs?: number
}

/**
 * The entry for a path and its `lstat`; `undefined` for what is not part of a directory's content (sockets, fifos,
 * devices).
 *
 * @category constructors
 */
export const toEntry = (abs: string, rel: string, st: fs.Stats): Entry | undefined => {
  const base = {
    rel,
    abs,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    size: st.size,
    mtime: st.mtime,
    ino: st.ino,
    ctimeMs: st.ctimeMs
  }
  if (st.isDirectory()) return { ...base, type: "dir", size: 0 }
  if (st.isFile()) return { ...base, type: "file" }
  if (st.isSymbolicLink()) return { ...base, type: "symlink", size: 0, linkTarget: fs.readlinkSync(abs) }
  return undefined // sockets, fifos, devices: not part of a directory's content
}

const compareNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** The matcher with the patterns of `absDir/.gitignore` (a regular file; `rel` is the directory's path) added. */
const withGitignore = (m: Gitignore.Matcher, rel: string, absDir: string): Gitignore.Matcher => {
  const file = path.join(absDir, ".gitignore")
  let st: fs.Stats
  try {
    st = fs.lstatSync(file)
  } catch (e) {
    if (errnoCode(e) === "ENOENT" || errnoCode(e) === "ENOTDIR") return m
    throw e
  }
  return st.isFile() ? Gitignore.addFile(m, rel, fs.readFileSync(file, "utf8")) : m
}

/** A path is kept when both the filter and the gitignore rules keep it. */
const both = (a: PathFilter.Decision, b: Gitignore.Decision): PathFilter.Decision =>
  a === "skip" || b === "skip" ? "skip" : a === "keep" && b === "keep" ? "keep" : "descend"

/**
 * The walk: depth-first, names sorted, parents before children, each kept entry handed to `emit` as it is found.
 * `pending` holds directories walked only because something below them may be kept: they are emitted just before
 * their first kept descendant, and not at all when nothing below them is kept. Plain recursion (no generators), so a
 * large tree costs about its `lstat`s.
 */
const walkSync = (
  absDir: string,
  relDir: string,
  filter: PathFilter.PathFilter,
  emit: (entry: Entry) => void,
  pending: Array<Entry>,
  ignore: Gitignore.Matcher | undefined
): void => {
  const names = fs.readdirSync(absDir).sort(compareNames)
  for (const name of names) {
    const abs = path.join(absDir, name)
    const rel = relDir === "" ? name : relDir + "/" + name
    const st = fs.lstatSync(abs)
    const isDir = st.isDirectory()
    let decision = filter.decide(rel, isDir)
    if (decision === "skip") continue
    // gitignore: a directory's own .gitignore is read before deciding it (its negations may re-include below it)
    const inner = ignore !== undefined && isDir ? withGitignore(ignore, rel, abs) : ignore
    if (inner !== undefined) decision = both(decision, Gitignore.decide(inner, rel, isDir))
    if (decision === "skip") continue
    const entry = toEntry(abs, rel, st)
    if (entry === undefined) continue
    if (entry.type === "dir") {
      if (decision === "keep") {
        for (const p of pending.splice(0)) emit(p)
        emit(entry)
        walkSync(abs, rel, filter, emit, pending, inner)
      } else {
        pending.push(entry)
        walkSync(abs, rel, filter, emit, pending, inner)
        // nothing below was kept: forget it
        const i = pending.indexOf(entry)
        if (i >= 0) pending.splice(i)
      }
    } else if (decision === "keep") {
      for (const p of pending.splice(0)) emit(p)
      emit(entry)
    }
  }
}

/** The walk from `root`, whose own .gitignore is read first. */
const walkRootSync = (
  root: string,
  filter: PathFilter.PathFilter,
  ignore: Gitignore.Matcher | undefined,
  emit: (entry: Entry) => void
): void => walkSync(root, "", filter, emit, [], ignore === undefined ? undefined : withGitignore(ignore, "", root))

/**
 * An iterator over the entries below `root` (depth-first, names sorted), parents before children; the tree is read
 * when it is called (synchronously: errors are thrown).
 */
export const iterate = (
  root: string,
  filter: PathFilter.PathFilter = PathFilter.all,
  ignore?: Gitignore.Matcher
): Iterator<Entry> => {
  const out: Array<Entry> = []
  walkRootSync(root, filter, ignore, (e) => out.push(e))
  return out[Symbol.iterator]()
}

/**
 * Walks `root` and calls `onEntry` for every kept entry (synchronously). Failures name the path.
 */
export const walk = (
  root: string,
  filter: PathFilter.PathFilter,
  onEntry: (entry: Entry) => void,
  ignore?: Gitignore.Matcher
): Effect.Effect<void, DagError> =>
  Effect.try({
    try: () => walkRootSync(root, filter, ignore, onEntry),
    catch: (cause) => ioError("read", root)(cause)
  })

/** Collects the kept entries below `root`. Failures name the path. */
export const collect = (
  root: string,
  filter: PathFilter.PathFilter = PathFilter.all,
  ignore?: Gitignore.Matcher
): Effect.Effect<Array<Entry>, DagError> =>
  Effect.suspend(() => {
    const out: Array<Entry> = []
    return Effect.as(walk(root, filter, (e) => out.push(e), ignore), out)
  })

/**
 * The bytes of a directory's files (symlinks and directories counted as nothing; unreadable parts skipped).
 *
 * @category getters
 */
export const treeBytesSync = (dir: string): number => {
  let total = 0
  const walk = (d: string) => {
    let names: Array<string>
    try {
      names = fs.readdirSync(d)
    } catch {
      return
    }
    for (const n of names) {
      const p = path.join(d, n)
      let st: fs.Stats
      try {
        st = fs.lstatSync(p)
      } catch {
        continue
      }
      if (st.isDirectory()) walk(p)
      else if (st.isFile()) total += st.size
    }
  }
  walk(dir)
  return total
}

/**
 * The first entry that is no longer as it was walked (another type, size, mtime, inode or change time; missing), or
 * `undefined` when none changed. One `lstat` per entry.
 */
export const firstChanged = (entries: ReadonlyArray<Entry>): Entry | undefined => {
  for (const e of entries) {
    let st: fs.Stats
    try {
      st = fs.lstatSync(e.abs)
    } catch {
      return e
    }
    const type = st.isDirectory() ? "dir" : st.isFile() ? "file" : st.isSymbolicLink() ? "symlink" : "other"
    if (type !== e.type || (st.mode & 0o7777) !== e.mode || st.uid !== e.uid || st.gid !== e.gid) return e
    if (e.type === "dir") continue
    if (st.size !== e.size && e.type === "file") return e
    if (st.mtime.getTime() !== e.mtime.getTime() && e.type === "file") return e
    if (e.ino !== undefined && st.ino !== e.ino) return e
    if (e.ctimeMs !== undefined && st.ctimeMs !== e.ctimeMs) return e
  }
  return undefined
}

/**
 * Copies walked entries from their place into `destRoot` (entry `rel` → `destRoot/rel`): directories are created
 * (their modes applied last, so read-only directories can still be filled), files copied (reflink when possible)
 * with mode and mtime, symlinks recreated verbatim. `mode` overrides every entry's mode; `owner` every entry's owner
 * (else each keeps its own). Owners are set before modes, as chown clears setuid bits.
 */
export const copyEntriesSync = (
  entries: ReadonlyArray<Entry>,
  destRoot: string,
  mode?: number,
  owner?: { readonly uid: number; readonly gid: number },
  linkFrom?: (entry: Entry, index: number) => string | undefined
): void => {
  const own = (p: string, e: Entry) => {
    const ids = owner ?? e
    fs.lchownSync(p, ids.uid, ids.gid)
  }
  const dirs: Array<readonly [string, number, Date]> = []
  for (const [index, e] of entries.entries()) {
    const dest = path.join(destRoot, e.rel)
    switch (e.type) {
      case "dir": {
        let existing: fs.Stats | undefined
        try {
          existing = fs.lstatSync(dest)
        } catch {
          existing = undefined
        }
        if (existing !== undefined && !existing.isDirectory()) fs.rmSync(dest, { recursive: true, force: true })
        if (existing === undefined || !existing.isDirectory()) fs.mkdirSync(dest, { recursive: true, mode: 0o755 })
        own(dest, e)
        dirs.push([dest, mode ?? e.mode, e.mtime])
        break
      }
      case "file": {
        fs.mkdirSync(path.dirname(dest), { recursive: true })
        removeIfNotFile(dest)
        // an identical file of another immutable snapshot: share it (a hard link) instead of copying it
        const same = linkFrom?.(e, index)
        if (same !== undefined) {
          try {
            fs.linkSync(same, dest)
            break
          } catch {
            // another filesystem, too many links, gone: copy it
          }
        }
        fs.copyFileSync(e.abs, dest, fs.constants.COPYFILE_FICLONE)
        own(dest, e)
        fs.chmodSync(dest, mode ?? e.mode)
        fs.utimesSync(dest, e.mtime, e.mtime)
        break
      }
      case "symlink": {
        fs.mkdirSync(path.dirname(dest), { recursive: true })
        fs.rmSync(dest, { recursive: true, force: true })
        fs.symlinkSync(e.linkTarget ?? "", dest)
        own(dest, e)
        break
      }
    }
  }
  for (let i = dirs.length - 1; i >= 0; i--) {
    const [dest, m, mtime] = dirs[i]!
    fs.chmodSync(dest, m)
    fs.utimesSync(dest, mtime, mtime)
  }
}

const removeIfNotFile = (dest: string): void => {
  let st: fs.Stats | undefined
  try {
    st = fs.lstatSync(dest)
  } catch {
    return
  }
  if (!st.isFile()) fs.rmSync(dest, { recursive: true, force: true })
}

const sameFileContent = (a: string, b: string, size: number): boolean => {
  if (size === 0) return true
  const fa = fs.openSync(a, "r")
  const fb = fs.openSync(b, "r")
  try {
    const ba = Buffer.allocUnsafe(65536)
    const bb = Buffer.allocUnsafe(65536)
    for (;;) {
      const na = fs.readSync(fa, ba, 0, ba.length, null)
      const nb = fs.readSync(fb, bb, 0, bb.length, null)
      if (na !== nb) return false
      if (na === 0) return true
      if (!ba.subarray(0, na).equals(bb.subarray(0, nb))) return false
    }
  } finally {
    fs.closeSync(fa)
    fs.closeSync(fb)
  }
}

/**
 * The entries of an upper tree (walked, parents before children) that are new or changed relative to the tree at
 * `lowerRoot` (type, mode, owner, size, content or link target), each preceded by its parent directories.
 */
export const changedEntries = (lowerRoot: string, upper: ReadonlyArray<Entry>): Array<Entry> => {
  const changed = new Set<string>()
  for (const e of upper) {
    let st: fs.Stats | undefined
    try {
      st = fs.lstatSync(path.join(lowerRoot, e.rel))
    } catch {
      st = undefined
    }
    const up = fs.lstatSync(e.abs)
    const same = st !== undefined &&
      (st.mode & 0o7777) === e.mode && st.uid === up.uid && st.gid === up.gid &&
      (e.type === "dir"
        ? st.isDirectory()
        : e.type === "symlink"
        ? st.isSymbolicLink() && fs.readlinkSync(path.join(lowerRoot, e.rel)) === e.linkTarget
        : st.isFile() && st.size === e.size && sameFileContent(path.join(lowerRoot, e.rel), e.abs, e.size))
    if (!same) changed.add(e.rel)
  }
  const keep = new Set<string>()
  for (const rel of changed) {
    keep.add(rel)
    for (let p = path.posix.dirname(rel); p !== "."; p = path.posix.dirname(p)) keep.add(p)
  }
  return upper.filter((e) => keep.has(e.rel))
}
