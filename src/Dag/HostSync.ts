/**
 * Imports host directories and files into the snapshot store, named by their content.
 *
 * The content digest is a sha256 over, for every kept entry in walk order (depth-first, names sorted): its relative
 * path, its type, its permission bits, and the sha256 of its bytes (files) or its target (symlinks). Ownership and
 * timestamps are not part of it. The snapshot is named by that digest, so the same content read from another path
 * (or by another client) is one snapshot and one cache entry.
 *
 * Importing is a hashing walk (synchronous reads in batches); the copy into a snapshot is made later, and only when
 * something needs the content as a directory (`materialize`): a host directory that only goes into a container's
 * filesystem is streamed from the host files straight into the container (`liveEntries`), so it is written once,
 * not twice. Both the copy and the stream first check that every entry is still as it was hashed (type, mode, owner,
 * size, mtime, inode, change time): a host tree changed in between is an error asking to read it again, never a
 * snapshot whose content differs from its digest.
 */
import { Effect } from "effect"
import { createHash, type Hash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { DagError } from "./Errors.js"
import * as Gitignore from "./Gitignore.js"
import { errnoCode, ioError, trySync } from "./internal/Fs.js"
import * as Walk from "./internal/Walk.js"
import * as PathFilter from "./PathFilter.js"
import { Snapshots } from "./Snapshots.js"

/**
 * A host directory in the snapshot store.
 *
 * @category models
 */
export interface ImportedDirectory {
  /** `sha256:<hex>` over the content (see the module doc). */
  readonly contentDigest: string
  /** Absolute path of the snapshot that holds (or, once materialized, will hold) the content. */
  readonly snapshot: string
}

/**
 * A host file in the snapshot store: the snapshot holds the single file under `name`.
 *
 * @category models
 */
export interface ImportedFile {
  readonly contentDigest: string
  readonly snapshot: string
  /** The file's basename, its path inside `snapshot`. */
  readonly name: string
}

const CHUNK = 1 << 20

/** How many imports, hashed but not copied yet, are remembered. */
const MAX_PENDING = 64

const hashFileInto = (abs: string, size: number, buf: Buffer): string => {
  const h = createHash("sha256")
  const fd = fs.openSync(abs, "r")
  try {
    let pos = 0
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos)
      if (n === 0) break
      h.update(n === buf.length ? buf : buf.subarray(0, n))
      pos += n
      if (pos > size * 2 + CHUNK) break // a growing file: stop somewhere
    }
  } finally {
    fs.closeSync(fd)
  }
  return h.digest("hex")
}

const record = (h: Hash, e: Walk.Entry, buf: Buffer): void => {
  const data = e.type === "file"
    ? hashFileInto(e.abs, e.size, buf)
    : e.type === "symlink"
    ? e.linkTarget ?? ""
    : ""
  const mode = e.type === "symlink" ? 0 : e.mode
  h.update(`${e.type}\0${mode.toString(8)}\0${data}\0${e.rel}\0`)
}

/**
 * Computes the content digest of walked entries (synchronous reads in batches). Failures name the path.
 *
 * @category getters
 */
export const hashEntries = (root: string, entries: ReadonlyArray<Walk.Entry>): Effect.Effect<string, DagError> =>
  Effect.suspend(() => {
    const h = createHash("sha256")
    const buf = Buffer.allocUnsafe(CHUNK)
    h.update("dirk.dir.v1\0")
    let i = 0
    let current = root
    const step: Effect.Effect<string, DagError> = Effect.try({
      try: () => {
        // batches of up to 256 entries or 64 MiB of file data
        let bytes = 0
        for (let n = 0; n < 256 && i < entries.length && bytes < 64 * CHUNK; n++, i++) {
          const e = entries[i]!
          current = e.abs
          record(h, e, buf)
          bytes += e.size
        }
        return i >= entries.length
      },
      catch: (cause) => ioError("read", current)(cause)
    }).pipe(Effect.flatMap((done) =>
      done ? Effect.sync(() => "sha256:" + h.digest("hex")) : Effect.zipRight(Effect.yieldNow(), step)
    ))
    return step
  })

/**
 * The gitignore matcher of a host directory, as Dagger builds it: rooted at the enclosing git work tree (the nearest
 * directory up from `root`, `root` included, holding a `.git` entry), with the `.gitignore` files of the directories
 * between that top and `root` already read; without a `.git` above, rooted at `root`.
 */
const gitignoreAbove = (root: string): Gitignore.Matcher => {
  let top: string | undefined
  for (let dir = root; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, ".git"))) {
      top = dir
      break
    }
    if (path.dirname(dir) === dir) break
  }
  if (top === undefined || top === root) return Gitignore.make()
  const prefix = path.relative(top, root).split(path.sep).join("/")
  let m = Gitignore.make({ prefix })
  const segs = prefix.split("/")
  for (let i = 0; i < segs.length; i++) {
    const dir = segs.slice(0, i).join("/")
    const file = path.join(top, ...segs.slice(0, i), ".gitignore")
    let text: string | undefined
    try {
      text = fs.lstatSync(file).isFile() ? fs.readFileSync(file, "utf8") : undefined
    } catch (e) {
      if (errnoCode(e) !== "ENOENT" && errnoCode(e) !== "ENOTDIR") throw e
    }
    if (text !== undefined) m = Gitignore.addFile(m, dir, text, true)
  }
  return m
}

const statHost = (abs: string, what: "directory" | "file"): Effect.Effect<fs.Stats, DagError> =>
  Effect.try({
    try: () => fs.statSync(abs),
    catch: (cause) =>
      errnoCode(cause) === "ENOENT" || errnoCode(cause) === "ENOTDIR"
        ? new DagError({ reason: "PathNotFound", detail: `no such ${what} on the host: ${abs}`, cause })
        : ioError("stat", abs)(cause)
  })

/**
 * @category tags
 */
export class HostSync extends Effect.Service<HostSync>()("dirk/Dag/HostSync", {
  effect: Effect.gen(function*() {
    const snapshots = yield* Snapshots

    /** What was hashed but not copied yet, by content digest: the host entries to copy or stream from. */
    const pending = new Map<string, { readonly root: string; readonly entries: ReadonlyArray<Walk.Entry> }>()

    const changedError = (root: string, e: Walk.Entry) =>
      new DagError({
        reason: "InvalidInput",
        detail: `${root} changed on the host since it was read (${e.rel} is not as it was hashed); read it again`
      })

    /** The entries of a pending import after checking that none changed on the host since it was hashed. */
    const verified = (digest: string) =>
      Effect.gen(function*() {
        const p = pending.get(digest)
        if (p === undefined) return undefined
        const changed = yield* trySync("stat", p.root, () => Walk.firstChanged(p.entries))
        if (changed !== undefined) {
          pending.delete(digest)
          return yield* changedError(p.root, changed)
        }
        return p
      })

    const record = (digest: string, root: string, entries: ReadonlyArray<Walk.Entry>) =>
      Effect.map(snapshots.exists(digest), (exists) => {
        if (!exists) {
          pending.delete(digest)
          pending.set(digest, { root, entries })
          // the oldest go first (reading their host path again records them again)
          for (const key of pending.keys()) {
            if (pending.size <= MAX_PENDING) break
            pending.delete(key)
          }
        }
        return snapshots.pathOf(digest)
      })

    /**
     * Imports a host directory (absolute path), keeping what the filters select and, with `gitignore`, what the
     * `.gitignore` files do not exclude. Hashes only: see `materialize`.
     */
    const importDirectory = Effect.fn("HostSync.importDirectory")(function*(
      absPath: string,
      patterns: PathFilter.Patterns = {},
      gitignore: boolean = false
    ) {
      const root = path.resolve(absPath)
      const st = yield* statHost(root, "directory")
      if (!st.isDirectory()) {
        return yield* new DagError({ reason: "InvalidInput", detail: `not a directory on the host: ${root}` })
      }
      const ignore = gitignore ? yield* trySync("read .gitignore files above", root, () => gitignoreAbove(root)) : undefined
      const entries = yield* Walk.collect(root, PathFilter.make(patterns), ignore)
      const contentDigest = yield* hashEntries(root, entries)
      const snapshot = yield* record(contentDigest, root, entries)
      return { contentDigest, snapshot } satisfies ImportedDirectory
    })

    /** Imports one host file (absolute path); the snapshot holds it under its basename. Hashes only. */
    const importFile = Effect.fn("HostSync.importFile")(function*(absPath: string) {
      const abs = path.resolve(absPath)
      const st = yield* statHost(abs, "file")
      if (!st.isFile()) {
        return yield* new DagError({ reason: "InvalidInput", detail: `not a regular file on the host: ${abs}` })
      }
      const name = path.basename(abs)
      const entry: Walk.Entry = {
        rel: name,
        abs,
        type: "file",
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        size: st.size,
        mtime: st.mtime,
        ino: st.ino,
        ctimeMs: st.ctimeMs
      }
      const contentDigest = yield* hashEntries(abs, [entry])
      const snapshot = yield* record(contentDigest, abs, [entry])
      return { contentDigest, snapshot, name } satisfies ImportedFile
    })

    /**
     * The snapshot of imported content, copied from the host the first time it is needed (after checking that the
     * host entries did not change since they were hashed). Content that was never imported by this engine and is
     * not in the store is an error.
     */
    const materialize = Effect.fn("HostSync.materialize")(function*(contentDigest: string) {
      if (yield* snapshots.exists(contentDigest)) return snapshots.pathOf(contentDigest)
      const p = yield* verified(contentDigest)
      if (p === undefined) {
        return yield* new DagError({
          reason: "PathNotFound",
          detail: `host content ${contentDigest} is not in the snapshot store (read the host path again)`
        })
      }
      const made = yield* snapshots.create(contentDigest, (dir) =>
        Effect.gen(function*() {
          yield* trySync("copy", p.root, () => Walk.copyEntriesSync(p.entries, dir))
          // a file changed during the copy: drop the copy (the snapshot would not match its digest)
          const changed = yield* trySync("stat", p.root, () => Walk.firstChanged(p.entries))
          if (changed !== undefined) return yield* changedError(p.root, changed)
        }))
      pending.delete(contentDigest)
      return made
    })

    /**
     * The host entries of imported content that is not in the snapshot store yet, checked unchanged since they were
     * hashed (their `abs` paths are host files), for streaming them without a copy; `undefined` when the content is
     * in the store already (or was never imported here).
     */
    const liveEntries = Effect.fn("HostSync.liveEntries")(function*(contentDigest: string) {
      if (yield* snapshots.exists(contentDigest)) return undefined
      const p = yield* verified(contentDigest)
      return p?.entries
    })

    return { importDirectory, importFile, materialize, liveEntries } as const
  }),
  dependencies: [Snapshots.Default]
}) {}
