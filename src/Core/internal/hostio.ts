/**
 * Writing snapshot contents to the client's host (exports).
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { QueryError } from "../Errors.js"

/** A QueryError from a filesystem error, with a message naming the path. */
export const ioError = (e: unknown, fallback: string): QueryError => {
  const code = (e as { code?: string }).code
  return new QueryError({
    reason: code === "ENOENT" || code === "ENOTDIR" ? "NotFound" : "Internal",
    detail: code === "ENOENT" || code === "ENOTDIR" ? fallback : `${fallback}: ${e instanceof Error ? e.message : String(e)}`
  })
}

const reasons: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  ENOTDIR: "a parent is not a directory",
  EEXIST: "it exists and is not a directory",
  EISDIR: "it is a directory",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on device"
}

const exportError = (dest: string, e: unknown): QueryError => {
  const code = (e as { code?: string }).code
  const why = code !== undefined && reasons[code] !== undefined
    ? reasons[code]
    : e instanceof Error
    ? e.message
    : String(e)
  return new QueryError({ reason: "InvalidArgument", detail: `cannot export to ${dest}: ${why}` })
}

const fail = (code: string): never => {
  throw Object.assign(new Error(reasons[code] ?? code), { code })
}

/**
 * Creates `dir` and its missing parents one by one (node's recursive mkdir can loop on special filesystems);
 * fails with ENOTDIR when something on the way is not a directory.
 */
const mkdirs = (dir: string): void => {
  const parts = path.resolve(dir).split(path.sep).filter((s) => s !== "")
  let cur: string = path.sep
  for (const part of parts) {
    cur = path.join(cur, part)
    let st: fs.Stats | undefined
    try {
      st = fs.statSync(cur)
    } catch (e) {
      if ((e as { code?: string }).code !== "ENOENT") throw e
      st = undefined
    }
    if (st === undefined) fs.mkdirSync(cur)
    else if (!st.isDirectory()) fail(cur === path.resolve(dir) ? "EEXIST" : "ENOTDIR")
  }
}

/**
 * Copies a snapshot directory's contents to `dest` on the host; with `wipe`, `dest` ends up holding exactly them.
 * Missing parents are created; an existing non-directory at `dest` or on the way is an error. Symlinks in the tree
 * are written as symlinks (never followed), so nothing is written outside `dest`.
 */
export const exportTree = (src: string, dest: string, wipe: boolean): Effect.Effect<void, QueryError> =>
  Effect.try({
    try: () => {
      const st = statOrUndefined(dest)
      if (st !== undefined && !st.isDirectory()) fail("EEXIST")
      if (wipe && st !== undefined) {
        for (const name of fs.readdirSync(dest)) fs.rmSync(path.join(dest, name), { recursive: true, force: true })
      }
      mkdirs(dest)
      fs.cpSync(src, dest, { recursive: true, force: true, preserveTimestamps: true, verbatimSymlinks: true })
    },
    catch: (e) => exportError(dest, e)
  })

/** Creates the parents of a file about to be written at `dest`; a non-directory on the way is ENOTDIR. */
const fileParents = (dest: string): void => {
  try {
    mkdirs(path.dirname(dest))
  } catch (e) {
    if ((e as { code?: string }).code === "EEXIST") fail("ENOTDIR") // the parent itself is a file
    throw e
  }
}

/** Copies one file to `dest` on the host (missing parents are created; an existing directory is an error). */
export const exportFile = (src: string, dest: string): Effect.Effect<void, QueryError> =>
  Effect.try({
    try: () => {
      const st = lstatOrUndefined(dest)
      if (st !== undefined && st.isDirectory()) fail("EISDIR")
      fileParents(dest)
      // replace a symlink rather than writing through it
      if (st !== undefined && st.isSymbolicLink()) fs.unlinkSync(dest)
      fs.copyFileSync(src, dest)
      fs.chmodSync(dest, fs.statSync(src).mode & 0o7777)
    },
    catch: (e) => exportError(dest, e)
  })

/**
 * Writes a file at `dest` on the host by copying `src` to a temporary file next to it and renaming it into place
 * (a reader never sees half of it); missing parents are created; an existing directory at `dest` is an error.
 */
export const replaceFile = (src: string, dest: string): Effect.Effect<void, QueryError> =>
  Effect.try({
    try: () => {
      const st = lstatOrUndefined(dest)
      if (st !== undefined && st.isDirectory()) fail("EISDIR")
      fileParents(dest)
      const tmp = `${dest}.dirk-${process.pid}.tmp`
      try {
        fs.copyFileSync(src, tmp)
        fs.renameSync(tmp, dest)
      } catch (e) {
        fs.rmSync(tmp, { force: true })
        throw e
      }
    },
    catch: (e) => exportError(dest, e)
  })

const lstatOrUndefined = (p: string): fs.Stats | undefined => {
  try {
    return fs.lstatSync(p)
  } catch {
    return undefined
  }
}

const statOrUndefined = (p: string): fs.Stats | undefined => {
  try {
    return fs.statSync(p)
  } catch {
    return undefined
  }
}
