/**
 * The build context of a `DockerBuild` op: the snapshot's tree as tar items, after checking that the Dockerfile is
 * a file in it (a missing Dockerfile is reported by its path before anything is sent to the daemon).
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import { DagError } from "../Errors.js"
import { relPath, resolveIn, tryFs } from "./Fs.js"
import type * as Tar from "./Tar.js"
import * as Walk from "./Walk.js"

/**
 * What the runtime needs: the Dockerfile's path inside the context and the context's entries.
 *
 * @category models
 */
export interface Context {
  readonly dockerfile: string
  readonly items: ReadonlyArray<Tar.Item>
}

/**
 * The context in snapshot `root` for the Dockerfile at `dockerfile` (relative to `root`).
 *
 * @category constructors
 */
export const context = (root: string, dockerfile: string): Effect.Effect<Context, DagError> =>
  Effect.gen(function*() {
    const rel = yield* relPath(dockerfile)
    if (rel === "") {
      return yield* new DagError({
        reason: "InvalidInput",
        detail: `dockerBuild: the dockerfile path "${dockerfile}" names no file`
      })
    }
    const abs = yield* resolveIn(root, rel)
    const st = yield* tryFs("stat", dockerfile, () => fs.promises.stat(abs).catch(() => undefined))
    if (st === undefined || !st.isFile()) {
      return yield* new DagError({
        reason: "PathNotFound",
        detail: `dockerBuild: Dockerfile "${dockerfile}" not found in the directory (${
          st === undefined ? "no such file" : "not a file"
        })`
      })
    }
    const entries = yield* Walk.collect(root)
    const items = entries.map((e): Tar.Item =>
      e.type === "dir"
        ? { type: "dir", name: e.rel, mode: e.mode, mtime: e.mtime }
        : e.type === "symlink"
        ? { type: "symlink", name: e.rel, linkname: e.linkTarget ?? "", mtime: e.mtime }
        : { type: "file", name: e.rel, mode: e.mode, mtime: e.mtime, abs: e.abs, size: e.size }
    )
    return { dockerfile: rel, items }
  })
