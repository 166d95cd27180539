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
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { DagError } from "./Errors.js"
import * as Gitignore from "./Gitignore.js"
import { errnoCode, ioError, trySync } from "./internal/Fs.js"
import * as Hashing from "./internal/Hashing.js"
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


interface Pending {
  readonly root: string
  readonly entries: ReadonlyArray<Walk.Entry>
  readonly hashes: ReadonlyArray<string | undefined>
}

/** What a snapshot's file must equal to be linked instead of copied (content, mode, owner, mtime). */
interface FileRecord {
  readonly hash: string
  readonly mode: number
  readonly uid: number
  readonly gid: number
  readonly mtimeMs: number
}

const recordOf = (e: Walk.Entry, hash: string): FileRecord => ({ hash, mode: e.mode, uid: e.uid, gid: e.gid, mtimeMs: e.mtime.getTime() })

const sameRecord = (a: FileRecord, b: FileRecord): boolean =>
  a.hash === b.hash && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.mtimeMs === b.mtimeMs

/** How many imports, hashed but not copied yet, are remembered. */
const MAX_PENDING = 64

/**
 * The content digest of walked entries, given the hashes of their files (in the same order). Pure.
 *
 * @category getters
 */
export const digestOf = (entries: ReadonlyArray<Walk.Entry>, fileHashes: ReadonlyArray<string | undefined>): string => {
  const h = createHash("sha256")
  h.update("dirk.dir.v1\0")
  for (const [i, e] of entries.entries()) {
    const data = e.type === "file" ? fileHashes[i] ?? "" : e.type === "symlink" ? e.linkTarget ?? "" : ""
    const mode = e.type === "symlink" ? 0 : e.mode
    h.update(`${e.type}\0${mode.toString(8)}\0${data}\0${e.rel}\0`)
  }
  return "sha256:" + h.digest("hex")
}

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
  scoped: Effect.gen(function*() {
    const snapshots = yield* Snapshots
    const hasher = yield* Hashing.make()
    /** Per host root: the last snapshot made from it and its files, whose unchanged files the next one links to. */
    const lastCopy = new Map<string, { readonly key: string; readonly files: Map<string, FileRecord> }>()

    const hashed = (root: string, entries: ReadonlyArray<Walk.Entry>) =>
      Effect.map(
        Effect.mapError(hasher.hashFiles(entries), (e) => ioError("read", e.path)(e.cause)),
        (hashes) => ({ digest: digestOf(entries, hashes), hashes })
      )

    /** What was hashed but not copied yet, by content digest: the host entries to copy or stream from. */
    const pending = new Map<string, Pending>()

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

    const record = (digest: string, root: string, entries: ReadonlyArray<Walk.Entry>, hashes: ReadonlyArray<string | undefined>) =>
      Effect.map(snapshots.exists(digest), (exists) => {
        if (!exists) {
          pending.delete(digest)
          pending.set(digest, { root, entries, hashes })
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
      const { digest: contentDigest, hashes } = yield* hashed(root, entries)
      const snapshot = yield* record(contentDigest, root, entries, hashes)
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
      const entry = Walk.toEntry(abs, name, st)!
      const { digest: contentDigest, hashes } = yield* hashed(abs, [entry])
      const snapshot = yield* record(contentDigest, abs, [entry], hashes)
      return { contentDigest, snapshot, name } satisfies ImportedFile
    })

    /**
     * The snapshot of imported content, copied from the host the first time it is needed (after checking that the
     * host entries did not change since they were hashed). Content that was never imported by this engine and is
     * not in the store is an error.
     */
    const materialize = Effect.fn("HostSync.materialize")(function*(contentDigest: string) {
      if (yield* snapshots.exists(contentDigest)) {
        snapshots.touch(contentDigest)
        return snapshots.pathOf(contentDigest)
      }
      const p = yield* verified(contentDigest)
      if (p === undefined) {
        return yield* new DagError({
          reason: "PathNotFound",
          detail: `host content ${contentDigest} is not in the snapshot store (read the host path again)`
        })
      }
      // files unchanged since the last copy of this root are linked to it (snapshots never change): only what
      // changed is copied
      const last = lastCopy.get(p.root)
      const lastDir = last !== undefined && fs.existsSync(snapshots.pathOf(last.key)) ? snapshots.pathOf(last.key) : undefined
      const linkFrom = (e: Walk.Entry, i: number): string | undefined => {
        if (lastDir === undefined || e.type !== "file") return undefined
        const before = last!.files.get(e.rel)
        const now = recordOf(e, p.hashes[i]!)
        return before !== undefined && sameRecord(before, now) ? path.join(lastDir, e.rel) : undefined
      }
      const made = yield* snapshots.create(contentDigest, (dir) =>
        Effect.gen(function*() {
          yield* trySync("copy", p.root, () => Walk.copyEntriesSync(p.entries, dir, undefined, undefined, linkFrom))
          // a file changed during the copy: drop the copy (the snapshot would not match its digest)
          const changed = yield* trySync("stat", p.root, () => Walk.firstChanged(p.entries))
          if (changed !== undefined) return yield* changedError(p.root, changed)
        }))
      pending.delete(contentDigest)
      lastCopy.set(p.root, {
        key: contentDigest.replace(/^sha256:/, ""),
        files: new Map(p.entries.flatMap((e, i) => (e.type === "file" ? [[e.rel, recordOf(e, p.hashes[i]!)] as const] : [])))
      })
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
