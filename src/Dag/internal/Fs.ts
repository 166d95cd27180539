/**
 * Small filesystem helpers shared by the Dag services. Every failure becomes a `DagError` that names the path.
 */
import { Effect } from "effect"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { DagError } from "../Errors.js"

/** The errno code of a node fs error, if any. */
export const errnoCode = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : undefined

/** A `DagError` for a failed filesystem operation on `target`. */
export const ioError = (what: string, target: string) => (cause: unknown): DagError =>
  errnoCode(cause) === "ENOENT"
    ? new DagError({ reason: "PathNotFound", detail: `${what} ${target}: no such file or directory`, cause })
    : new DagError({
      reason: "Io",
      detail: `${what} ${target}: ${cause instanceof Error ? cause.message : String(cause)}`,
      cause
    })

/** Runs a promise-returning fs call, mapping failures to a `DagError` naming `target`. */
export const tryFs = <A>(what: string, target: string, f: () => Promise<A>): Effect.Effect<A, DagError> =>
  Effect.tryPromise({ try: f, catch: ioError(what, target) })

/** Runs a synchronous fs call, mapping failures to a `DagError` naming `target`. */
export const trySync = <A>(what: string, target: string, f: () => A): Effect.Effect<A, DagError> =>
  Effect.try({ try: f, catch: ioError(what, target) })

/** `rm -rf`. */
export const removeAll = (target: string): Effect.Effect<void, DagError> =>
  tryFs("remove", target, () => fs.promises.rm(target, { recursive: true, force: true, maxRetries: 3 }))

/** The lstat of a path, or undefined when it does not exist. */
export const lstatOrUndefined = (target: string): Effect.Effect<fs.Stats | undefined, DagError> =>
  tryFs("stat", target, () =>
    fs.promises.lstat(target).catch((e: unknown) => (errnoCode(e) === "ENOENT" ? undefined : Promise.reject(e))))

let cpAvailable: boolean | undefined

const runCp = (args: ReadonlyArray<string>): Promise<void> =>
  new Promise((resolve, reject) => {
    execFile("cp", args as Array<string>, (error, _stdout, stderr) => {
      const code = (error as { code?: unknown } | null)?.code
      if (error) reject(Object.assign(new Error(stderr.trim() || error.message), { code }))
      else resolve()
    })
  })

/**
 * Copies the contents of directory `from` into directory `to` (which may exist: contents merge, files are replaced),
 * with `cp -a` semantics: modes, symlinks (verbatim), timestamps, and ownership when running as root. Uses
 * reflinks where the filesystem supports them.
 */
export const copyContents = (from: string, to: string): Effect.Effect<void, DagError> =>
  tryFs("copy", from, async () => {
    await fs.promises.mkdir(to, { recursive: true })
    if (cpAvailable !== false) {
      try {
        await runCp(["-a", "--reflink=auto", "--", from.replace(/\/+$/, "") + "/.", to])
        cpAvailable = true
        return
      } catch (e) {
        // `cp` missing (ENOENT from execFile) or not GNU cp: fall back to node's copy.
        const unsupported = errnoCode(e) === "ENOENT" || /unrecognized option|illegal option/.test(String(e))
        if (cpAvailable === true || !unsupported) {
          throw e
        }
        cpAvailable = false
      }
    }
    await fs.promises.cp(from, to, { recursive: true, force: true, preserveTimestamps: true, verbatimSymlinks: true })
  })

/**
 * Resolves `rel` inside `root` the way a chroot would: every symlink met on the way is followed with `root` as `/`,
 * so the result never leaves `root`. With `followLast: false` the last segment is not followed (for rm, lstat).
 * Returns the absolute path (which may not exist). Fails with PathNotFound only on symlink loops.
 */
export const resolveIn = (root: string, rel: string, followLast = true): Effect.Effect<string, DagError> =>
  trySync("resolve", path.join(root, rel), () => resolveInSync(root, rel, followLast))

export const resolveInSync = (root: string, rel: string, followLast = true): string => {
  let pending = rel.split("/").filter((s) => s !== "" && s !== ".")
  const done: Array<string> = []
  let hops = 0
  while (pending.length > 0) {
    const seg = pending.shift()!
    if (seg === "..") {
      done.pop()
      continue
    }
    const candidate = path.join(root, ...done, seg)
    const isLast = pending.length === 0
    let st: fs.Stats | undefined
    try {
      st = fs.lstatSync(candidate)
    } catch (e) {
      if (errnoCode(e) !== "ENOENT" && errnoCode(e) !== "ENOTDIR") throw e
      st = undefined
    }
    if (st !== undefined && st.isSymbolicLink() && (!isLast || followLast)) {
      if (++hops > 40) throw Object.assign(new Error(`too many levels of symbolic links`), { code: "ELOOP" })
      const target = fs.readlinkSync(candidate)
      const targetSegs = target.split("/").filter((s) => s !== "" && s !== ".")
      if (target.startsWith("/")) done.length = 0
      pending = [...targetSegs, ...pending]
      continue
    }
    done.push(seg)
  }
  return path.join(root, ...done)
}

/**
 * A path relative to a snapshot root from an API path: absolute paths are taken relative to the root, `..` may not
 * climb above it.
 */
export const relPath = (p: string): Effect.Effect<string, DagError> => {
  const out: Array<string> = []
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue
    if (seg === "..") {
      if (out.length === 0) {
        return Effect.fail(new DagError({ reason: "InvalidInput", detail: `path ${p} points outside the directory` }))
      }
      out.pop()
    } else out.push(seg)
  }
  return Effect.succeed(out.join("/"))
}
