/**
 * Undoes Docker's init layer in a tree read out of a container (`getArchive`): the paths the runtime reports as not in
 * the image are removed; those in the image are replaced by the image's own file when the runtime could read it (an
 * image's `/etc/hosts` is hidden by the container's empty one).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { InitPath } from "../../Runtime/ContainerRuntime.js"

/**
 * Where image path `p` is in a snapshot extracted from `extracted` (its basename is the snapshot's top entry; the
 * root's contents are the snapshot's root; `stripped`: the directory's own contents are the root).
 *
 * @category getters
 */
export const inSnapshot = (extracted: string, p: string, stripped = false): string | undefined => {
  const base = path.posix.resolve("/", extracted)
  if (base === "/") return p.slice(1)
  if (p !== base && !p.startsWith(base + "/")) return undefined
  return stripped ? p.slice(base.length + 1) : path.posix.basename(base) + p.slice(base.length)
}

/**
 * Applies the runtime's report to the snapshot under construction at `dir` (children before parents for removals;
 * a parent is removed only when nothing of the image's is left in it).
 *
 * @category combinators
 */
export const apply = (
  dir: string,
  extracted: string,
  paths: ReadonlyArray<InitPath>,
  options: { readonly stripped?: boolean } = {}
): void => {
  for (const p of [...paths].sort((a, b) => b.path.length - a.path.length)) {
    const rel = inSnapshot(extracted, p.path, options.stripped === true)
    if (rel === undefined || rel === "") continue
    const at = path.join(dir, rel)
    let st: fs.Stats | undefined
    try {
      st = fs.lstatSync(at)
    } catch {
      st = undefined
    }
    if (p.state === "absent") {
      if (st === undefined) continue
      if (st.isDirectory()) {
        if (fs.readdirSync(at).length === 0) fs.rmdirSync(at)
      } else fs.rmSync(at, { force: true })
      continue
    }
    if (p.source === undefined || st?.isDirectory() === true) continue
    const src = fs.lstatSync(p.source)
    if (src.isDirectory()) continue
    fs.rmSync(at, { force: true })
    if (src.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(p.source), at)
    else fs.copyFileSync(p.source, at)
    fs.lchownSync(at, src.uid, src.gid)
    if (!src.isSymbolicLink()) {
      fs.chmodSync(at, src.mode & 0o7777)
      fs.utimesSync(at, src.atime, src.mtime)
    }
  }
}
