/**
 * Read-only questions about a snapshot (a host directory the solver produced): stat a path the way a chroot would,
 * content digests, glob. Paths are relative to the snapshot root; symlinks never lead outside it.
 */
import { Effect, Either } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { DagError } from "./Errors.js"
import * as Glob from "./Glob.js"
import * as PathFilter from "./PathFilter.js"
import { errnoCode, relPath, resolveIn, trySync } from "./internal/Fs.js"
import * as Walk from "./internal/Walk.js"

/**
 * What `stat` reports.
 *
 * @category models
 */
export interface StatInfo {
  readonly name: string
  readonly size: number
  /** Permission bits (`mode & 0o777`). */
  readonly permissions: number
  readonly fileType: "REGULAR" | "DIRECTORY" | "SYMLINK" | "UNKNOWN"
}

const fileTypeOf = (st: fs.Stats): StatInfo["fileType"] =>
  st.isFile() ? "REGULAR" : st.isDirectory() ? "DIRECTORY" : st.isSymbolicLink() ? "SYMLINK" : "UNKNOWN"

/**
 * The lstat (or stat, with `follow`) of `p` inside `root`; `undefined` when it does not exist.
 *
 * @category getters
 */
export const lookup = (
  root: string,
  p: string,
  follow: boolean
): Effect.Effect<{ readonly abs: string; readonly stat: fs.Stats } | undefined, DagError> =>
  Effect.gen(function*() {
    const rel = yield* relPath(p)
    const abs = yield* resolveIn(root, rel, follow)
    const st = yield* trySync("stat", p, () => {
      try {
        return fs.lstatSync(abs)
      } catch (e) {
        if (errnoCode(e) === "ENOENT" || errnoCode(e) === "ENOTDIR") return undefined
        throw e
      }
    })
    return st === undefined ? undefined : { abs, stat: st }
  })

/**
 * Stat of a path inside a snapshot; PathNotFound when it does not exist.
 *
 * @category getters
 */
export const stat = (root: string, p: string, follow: boolean): Effect.Effect<StatInfo, DagError> =>
  Effect.flatMap(lookup(root, p, follow), (found) =>
    found === undefined
      ? Effect.fail(new DagError({ reason: "PathNotFound", detail: `stat ${p}: no such file or directory` }))
      : Effect.succeed({
        name: path.posix.basename(path.posix.normalize("/" + p)) || "/",
        size: found.stat.size,
        permissions: found.stat.mode & 0o777,
        fileType: fileTypeOf(found.stat)
      }))

const hashFile = (h: ReturnType<typeof createHash>, abs: string): void => {
  const fd = fs.openSync(abs, "r")
  try {
    const buf = Buffer.allocUnsafe(1 << 16)
    for (let n = fs.readSync(fd, buf); n > 0; n = fs.readSync(fd, buf)) h.update(buf.subarray(0, n))
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * A content digest of a tree (`sha256:<hex>`): every entry's relative path, type, permission bits, owner, and file
 * contents or link target. Timestamps are not part of it.
 *
 * @category getters
 */
export const treeDigest = (root: string): Effect.Effect<string, DagError> =>
  Effect.suspend(() => {
    const h = createHash("sha256")
    const rootStat = fs.lstatSync(root)
    h.update(`./\0dir\0${rootStat.mode & 0o7777}\0${rootStat.uid}:${rootStat.gid}\0`)
    return Walk.walk(root, PathFilter.all, (e) => {
      const st = fs.lstatSync(e.abs)
      h.update(`${e.rel}\0${e.type}\0${e.mode}\0${st.uid}:${st.gid}\0`)
      if (e.type === "symlink") h.update(`${e.linkTarget}\0`)
      if (e.type === "file") {
        h.update(`${e.size}\0`)
        hashFile(h, e.abs)
      }
    }).pipe(Effect.map(() => "sha256:" + h.digest("hex")))
  })

/**
 * A file's digest: with `excludeMetadata`, the sha256 of its contents (as `sha256sum` prints it); otherwise over its
 * permission bits, owner and contents.
 *
 * @category getters
 */
export const fileDigest = (abs: string, excludeMetadata: boolean): Effect.Effect<string, DagError> =>
  trySync("digest", abs, () => {
    const h = createHash("sha256")
    if (!excludeMetadata) {
      const st = fs.statSync(abs)
      h.update(`file\0${st.mode & 0o7777}\0${st.uid}:${st.gid}\0`)
    }
    hashFile(h, abs)
    return "sha256:" + h.digest("hex")
  })

/**
 * The paths below `root` (files, directories, symlinks; not followed) that match `pattern`, in walk order (depth
 * first, names sorted). An invalid pattern is an InvalidInput error.
 *
 * @category getters
 */
export const glob = (root: string, pattern: string): Effect.Effect<Array<string>, DagError> =>
  Either.match(Glob.compile(pattern), {
    onLeft: (message) => Effect.fail(new DagError({ reason: "InvalidInput", detail: message })),
    onRight: (g) =>
      Effect.suspend(() => {
        const out: Array<string> = []
        return Effect.as(Walk.walk(root, PathFilter.all, (e) => g.matches(e.rel) && out.push(e.rel)), out)
      })
  })
