/**
 * Filesystem actions applied to a snapshot being built (`DirFile`), and their tar form for images (`ImageFile`).
 * Paths are taken relative to the root; symlinks met on the way are resolved inside the root, so an action never
 * writes outside it.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { DagError } from "../Errors.js"
import type { FileAction } from "../Op.js"
import * as Gitignore from "../Gitignore.js"
import type * as Owner from "../Owner.js"
import * as PathFilter from "../PathFilter.js"
import * as Wildcard from "../Wildcard.js"
import { copyContents, relPath, resolveIn, resolveInSync, trySync } from "./Fs.js"
import * as Replace from "./Replace.js"
import type * as Tar from "./Tar.js"
import * as Walk from "./Walk.js"

type Copy = Extract<FileAction, { _tag: "Copy" }>

/** The source of a Copy: its resolved absolute path and stat; PathNotFound when missing. */
export const copySource = (
  sourceRoot: string,
  action: Copy
): Effect.Effect<{ readonly abs: string; readonly stat: fs.Stats }, DagError> =>
  Effect.gen(function*() {
    const rel = yield* relPath(action.sourcePath)
    const abs = yield* resolveIn(sourceRoot, rel)
    const stat = yield* Effect.try({
      try: () => fs.statSync(abs),
      catch: (cause) =>
        new DagError({
          reason: "PathNotFound",
          detail: `no such file or directory: ${action.sourcePath === "" ? "/" : action.sourcePath}`,
          cause
        })
    })
    return { abs, stat }
  })

const notRoot = (p: string, what: string): Effect.Effect<string, DagError> =>
  Effect.flatMap(relPath(p), (rel) =>
    rel === ""
      ? Effect.fail(new DagError({ reason: "InvalidInput", detail: `cannot ${what} at the root directory` }))
      : Effect.succeed(rel))

/** Creates the directory `rel` and its missing parents (0755); with an owner, the ones it creates get it. */
const ensureDirSync = (root: string, rel: string, owner?: Owner.Ids): string => {
  const abs = resolveInSync(root, rel)
  const missing: Array<string> = []
  for (let p = abs; p.length > root.length && lstatOrUndefinedSync(p) === undefined; p = path.dirname(p)) missing.push(p)
  fs.mkdirSync(abs, { recursive: true, mode: 0o755 })
  if (owner !== undefined) for (const p of missing) fs.lchownSync(p, owner.uid, owner.gid)
  return abs
}

/**
 * The directories an action with an owner gives that owner when it creates them (relative, parents first): the
 * parents of the written path, and for a directory copy the destination itself. Directories that exist keep their
 * owner and mode.
 */
export const ownedDirs = (action: FileAction): Array<string> => {
  const target = action._tag === "Mkfile" ? action.path : action._tag === "Copy" ? action.dest : ""
  const segs = target.split("/").filter((x) => x !== "" && x !== ".")
  const dirs = segs.map((_, i) => segs.slice(0, i + 1).join("/"))
  return action._tag === "Copy" ? dirs : dirs.slice(0, -1)
}

/** Sets the owner of `abs` and, for a directory, of everything below it (symlinks themselves). */
const chownTreeSync = (abs: string, owner: Owner.Ids): void => {
  const st = fs.lstatSync(abs)
  fs.lchownSync(abs, owner.uid, owner.gid)
  if (!st.isDirectory()) return
  for (const name of fs.readdirSync(abs)) chownTreeSync(path.join(abs, name), owner)
}

const filterOf = (a: Copy): PathFilter.PathFilter => PathFilter.make({ include: a.include, exclude: a.exclude })

/** The source's `.gitignore` rules of a Copy with `gitignore` (those inside the copied directory). */
const ignoreOf = (a: Copy): Gitignore.Matcher | undefined => (a.gitignore === true ? Gitignore.make() : undefined)

/**
 * The paths (relative to `root`, parents before children) that a removal path with wildcards names: the entries
 * below its literal directory (resolved inside `root`) that match its pattern, none below another match.
 */
export const wildcardMatchesSync = (root: string, split: Wildcard.Split): Array<string> => {
  const base = resolveInSync(root, split.literal)
  const depth = Wildcard.maxDepth(split.pattern)
  const found: Array<string> = []
  const list = (abs: string, rel: string, level: number): void => {
    let names: Array<string>
    try {
      names = fs.readdirSync(abs).sort()
    } catch {
      return // missing or not a directory: nothing matches
    }
    for (const name of names) {
      const r = rel === "" ? name : rel + "/" + name
      found.push(r)
      if (level < depth && lstatOrUndefinedSync(path.join(abs, name))?.isDirectory() === true) {
        list(path.join(abs, name), r, level + 1)
      }
    }
  }
  list(base, "", 1)
  return Wildcard.select(split.pattern, found).map((m) => (split.literal === "" ? m : split.literal + "/" + m))
}

/**
 * Applies one action to the snapshot under construction at `root`. `source` is the resolved snapshot path of a
 * Copy's source op; `owner` the action's resolved owner (its `owner` spec resolved by the solver). An owner is set
 * before the mode, as chown clears setuid and setgid bits.
 */
export const apply = (
  root: string,
  action: FileAction,
  source: string | undefined,
  owner?: Owner.Ids
): Effect.Effect<void, DagError> =>
  Effect.gen(function*() {
    switch (action._tag) {
      case "Mkfile": {
        const rel = yield* notRoot(action.path, "write a file")
        yield* trySync("write", action.path, () => {
          const parent = ensureDirSync(root, path.posix.dirname(rel), owner)
          const dest = path.join(parent, path.posix.basename(rel))
          const st = lstatOrUndefinedSync(dest)
          if (st !== undefined && st.isDirectory()) {
            throw Object.assign(new Error("is a directory"), { code: "EISDIR" })
          }
          if (st !== undefined && !st.isFile()) fs.rmSync(dest, { force: true })
          fs.writeFileSync(dest, action.contents)
          if (owner !== undefined) fs.lchownSync(dest, owner.uid, owner.gid)
          fs.chmodSync(dest, action.mode)
        })
        return
      }
      case "Mkdir": {
        const rel = yield* relPath(action.path)
        yield* trySync("mkdir", action.path, () => {
          const abs = resolveInSync(root, rel)
          const st = lstatOrUndefinedSync(abs)
          if (st !== undefined && !st.isDirectory()) {
            throw Object.assign(new Error("file exists"), { code: "EEXIST" })
          }
          fs.mkdirSync(abs, { recursive: true, mode: action.mode })
          if (rel !== "") fs.chmodSync(abs, action.mode)
        })
        return
      }
      case "Rm": {
        const rel = yield* relPath(action.path)
        const wild = Wildcard.split(rel)
        if (wild !== undefined) {
          return yield* trySync("remove", action.path, () => {
            for (const m of wildcardMatchesSync(root, wild)) {
              const parent = resolveInSync(root, path.posix.dirname(m))
              fs.rmSync(path.join(parent, path.posix.basename(m)), { recursive: true, force: true })
            }
          })
        }
        yield* trySync("remove", action.path, () => {
          if (rel === "") {
            for (const name of fs.readdirSync(root)) fs.rmSync(path.join(root, name), { recursive: true, force: true })
            return
          }
          const parent = resolveInSync(root, path.posix.dirname(rel))
          fs.rmSync(path.join(parent, path.posix.basename(rel)), { recursive: true, force: true })
        })
        return
      }
      case "Copy": {
        if (source === undefined) return yield* Effect.dieMessage("FileActions.apply: Copy without a source")
        const src = yield* copySource(source, action)
        const destRel = yield* relPath(action.dest)
        if (src.stat.isDirectory()) {
          const filter = filterOf(action)
          // an existing destination directory keeps its owner and mode (as BuildKit's copy leaves an existing target)
          const before = yield* trySync("mkdir", action.dest, () => lstatOrUndefinedSync(resolveInSync(root, destRel)))
          const destAbs = yield* trySync("mkdir", action.dest, () => ensureDirSync(root, destRel, owner))
          const keep = before?.isDirectory() === true
            ? trySync("copy", action.dest, () => {
              fs.lchownSync(destAbs, before.uid, before.gid)
              fs.chmodSync(destAbs, before.mode & 0o7777)
            })
            : Effect.void
          if (filter.isEmpty && action.gitignore !== true && action.mode === undefined && owner === undefined) {
            return yield* Effect.zipRight(copyContents(src.abs, destAbs), keep)
          }
          const entries = yield* Walk.collect(src.abs, filter, ignoreOf(action))
          yield* trySync("copy", action.dest, () => Walk.copyEntriesSync(entries, destAbs, action.mode, owner))
          return yield* keep
        }
        if (destRel === "") {
          return yield* new DagError({
            reason: "InvalidInput",
            detail: `cannot copy file ${action.sourcePath} onto the root directory`
          })
        }
        yield* trySync("copy", action.dest, () => {
          const parent = ensureDirSync(root, path.posix.dirname(destRel), owner)
          const dest = path.join(parent, path.posix.basename(destRel))
          const st = lstatOrUndefinedSync(dest)
          if (st !== undefined && !st.isFile()) fs.rmSync(dest, { recursive: true, force: true })
          fs.copyFileSync(src.abs, dest, fs.constants.COPYFILE_FICLONE)
          if (owner !== undefined) fs.lchownSync(dest, owner.uid, owner.gid)
          fs.chmodSync(dest, action.mode ?? src.stat.mode & 0o7777)
        })
        return
      }
      case "Chown": {
        if (owner === undefined) return yield* Effect.dieMessage("FileActions.apply: Chown without a resolved owner")
        const rel = yield* relPath(action.path)
        const abs = yield* resolveIn(root, rel, false)
        return yield* trySync("chown", action.path === "" ? "/" : action.path, () => chownTreeSync(abs, owner))
      }
      case "Symlink":
      case "Timestamps":
      case "Replace":
        return yield* applyMore(root, action)
    }
  })

const lstatOrUndefinedSync = (p: string): fs.Stats | undefined => {
  try {
    return fs.lstatSync(p)
  } catch {
    return undefined
  }
}

/**
 * The tar items that apply one action to an image's rootfs (entry names relative to `/`). Rm is not supported on
 * images (it needs an exec or a rootfs rewrite). Missing parent directories are created by the runtime when it
 * unpacks (0755, root), and existing ones are not listed, so their modes and owners are kept. With an owner, every
 * written entry carries it, and so do the directories of `owned.newDirs` (the ones of `ownedDirs(action)` that the
 * image does not have), listed first.
 */
export const tarItems = (
  action: FileAction,
  source: CopySource | undefined,
  owned?: { readonly owner: Owner.Ids; readonly newDirs: ReadonlyArray<string> }
): Effect.Effect<Array<Tar.Item>, DagError> =>
  Effect.map(itemsOf(action, source), (items) => {
    if (owned === undefined) return items
    const ids = owned.owner
    const now = new Date()
    // a Copy of a file writes a file at its destination, which is then no directory to make
    const written = new Set(items.filter((i) => i.type !== "dir").map((i) => i.name))
    const dirs = owned.newDirs.filter((name) => !written.has(name))
      .map((name): Tar.Item => ({ type: "dir", name, mode: 0o755, mtime: now, ...ids }))
    // Directories the action would list that already exist keep their owner and mode.
    const seen = new Set(ownedDirs(action))
    return [...dirs, ...items.filter((i) => !(i.type === "dir" && seen.has(i.name))).map((i) => ({ ...i, ...ids }))]
  })

/**
 * Where a Copy reads from: a snapshot directory, or the entries of a whole tree already walked (host files checked
 * unchanged, streamed without a copy; only for a Copy of the tree's root without filters, see `isWholeTree`).
 */
export type CopySource = string | { readonly entries: ReadonlyArray<Walk.Entry> }

/** Whether a Copy takes its whole source tree as it is (no sub-path, no filters). */
export const isWholeTree = (a: FileAction): boolean =>
  a._tag === "Copy" && (a.sourcePath === "" || a.sourcePath === "/" || a.sourcePath === ".") &&
  a.include.length === 0 && a.exclude.length === 0 && a.gitignore !== true

const itemsOf = (action: FileAction, source: CopySource | undefined): Effect.Effect<Array<Tar.Item>, DagError> =>
  Effect.gen(function*() {
    const now = new Date()
    switch (action._tag) {
      case "Mkfile": {
        const name = yield* notRoot(action.path, "write a file")
        return [{ type: "file", name, mode: action.mode, mtime: now, data: Buffer.from(action.contents) }]
      }
      case "Chown":
        return yield* new DagError({
          reason: "InvalidInput",
          detail: `chown on a container's filesystem is not supported yet`
        })
      case "Mkdir": {
        const name = yield* relPath(action.path)
        return name === "" ? [] : [{ type: "dir", name, mode: action.mode, mtime: now }]
      }
      case "Rm":
        return yield* new DagError({
          reason: "InvalidInput",
          detail: `removing ${action.path} from a container's filesystem is not supported yet`
        })
      case "Symlink": {
        const name = yield* notRoot(action.path, "create a symlink")
        return [{ type: "symlink", name, linkname: action.target, mtime: now }]
      }
      case "Timestamps":
      case "Replace":
        return yield* new DagError({
          reason: "InvalidInput",
          detail: `${action._tag.toLowerCase()} on a container's filesystem is not supported yet`
        })
      case "Copy": {
        if (source === undefined) return yield* Effect.dieMessage("FileActions.tarItems: Copy without a source")
        const dest = yield* relPath(action.dest)
        if (typeof source !== "string") return treeItems(action, dest, source.entries, now)
        const src = yield* copySource(source, action)
        if (!src.stat.isDirectory()) {
          if (dest === "") {
            return yield* new DagError({
              reason: "InvalidInput",
              detail: `cannot copy file ${action.sourcePath} onto /`
            })
          }
          return [{
            type: "file",
            name: dest,
            mode: action.mode ?? src.stat.mode & 0o7777,
            mtime: src.stat.mtime,
            abs: src.abs,
            size: src.stat.size,
            uid: src.stat.uid,
            gid: src.stat.gid
          }]
        }
        return treeItems(action, dest, yield* Walk.collect(src.abs, filterOf(action), ignoreOf(action)), now)
      }
    }
  })

/** The items of a Copy of a directory's walked entries to `dest`. */
const treeItems = (action: Copy, dest: string, entries: ReadonlyArray<Walk.Entry>, now: Date): Array<Tar.Item> => {
  const join = (rel: string) => (dest === "" ? rel : dest + "/" + rel)
  const items = entries.map((e): Tar.Item =>
    e.type === "dir"
      ? { type: "dir", name: join(e.rel), mode: action.mode ?? e.mode, mtime: e.mtime, uid: e.uid, gid: e.gid }
      : e.type === "symlink"
      ? { type: "symlink", name: join(e.rel), linkname: e.linkTarget ?? "", mtime: e.mtime, uid: e.uid, gid: e.gid }
      : {
        type: "file",
        name: join(e.rel),
        mode: action.mode ?? e.mode,
        mtime: e.mtime,
        abs: e.abs,
        size: e.size,
        uid: e.uid,
        gid: e.gid
      }
  )
  // An empty source still creates the destination directory.
  if (items.length === 0 && dest !== "") items.push({ type: "dir", name: dest, mode: 0o755, mtime: now })
  return items
}

type MoreAction = Extract<FileAction, { _tag: "Symlink" | "Timestamps" | "Replace" }>

/** Symlink, Timestamps and Replace on a snapshot under construction. */
const applyMore = (root: string, action: MoreAction): Effect.Effect<void, DagError> =>
  Effect.gen(function*() {
    switch (action._tag) {
      case "Symlink": {
        const rel = yield* notRoot(action.path, "create a symlink")
        return yield* trySync("symlink", action.path, () => {
          const parent = ensureDirSync(root, path.posix.dirname(rel))
          const dest = path.join(parent, path.posix.basename(rel))
          const st = lstatOrUndefinedSync(dest)
          if (st !== undefined) throw Object.assign(new Error("file exists"), { code: "EEXIST" })
          fs.symlinkSync(action.target, dest)
        })
      }
      case "Timestamps": {
        const rel = yield* relPath(action.path)
        const abs = yield* resolveIn(root, rel, false)
        const time = new Date(action.mtime * 1000)
        const touch = (p: string) => fs.lutimesSync(p, time, time)
        yield* Walk.walk(abs, PathFilter.all, (e) => touch(e.abs)).pipe(
          Effect.when(() => lstatOrUndefinedSync(abs)?.isDirectory() === true)
        )
        return yield* trySync("set timestamps of", action.path, () => touch(abs))
      }
      case "Replace": {
        const rel = yield* relPath(action.path)
        const abs = yield* resolveIn(root, rel)
        const text = yield* trySync("read", action.path, () => fs.readFileSync(abs, "latin1"))
        // latin1 maps bytes 1:1, so searching and replacing works on the raw bytes (as Dagger does).
        const toBytes = (s: string) => Buffer.from(s, "utf8").toString("latin1")
        const out = Replace.replace(text, {
          search: toBytes(action.search),
          replacement: toBytes(action.replacement),
          all: action.all,
          firstFrom: action.firstFrom
        })
        if (out._tag === "Left") {
          return yield* new DagError({ reason: "InvalidInput", detail: out.left })
        }
        return yield* trySync("write", action.path, () => fs.writeFileSync(abs, Buffer.from(out.right, "latin1")))
      }
    }
  })
