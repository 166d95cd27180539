/**
 * Resolving the `owner` of file actions and cache mounts at solve time: numbers as given, names through the
 * `/etc/passwd` and `/etc/group` of the rootfs the owner names (read out of the image, symlinks followed inside it).
 */
import { Effect, Either, Option } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { PathStat } from "../../Runtime/ContainerRuntime.js"
import { DagError, type SolveError } from "../Errors.js"
import * as Op from "../Op.js"
import * as Owner from "../Owner.js"
import * as FileActions from "./FileActions.js"

/** What the resolver needs from the solver. */
export interface Deps {
  readonly statPath: (op: Op.Op, p: string) => Effect.Effect<Option.Option<PathStat>, SolveError>
  readonly snapshot: (op: Op.Op) => Effect.Effect<string, SolveError>
}

const invalid = (detail: string) => new DagError({ reason: "InvalidInput", detail })

/** The text of a file in an image ("" when it is missing or not a regular file), symlinks followed in the image. */
const readImageText = (deps: Deps, image: Op.Op, file: string): Effect.Effect<string, SolveError> =>
  Effect.gen(function*() {
    let target = file
    for (let hops = 0; hops < 16; hops++) {
      const st = yield* deps.statPath(image, target)
      if (Option.isNone(st)) return ""
      if (st.value.type === "symlink") {
        target = path.posix.resolve(path.posix.dirname(target), st.value.linkTarget)
        continue
      }
      if (st.value.type !== "file") return ""
      const dir = yield* deps.snapshot(Op.extract(image, target))
      const abs = path.join(dir, path.posix.basename(target))
      return yield* Effect.try({
        try: () => fs.readFileSync(abs, "utf8"),
        catch: (cause) => new DagError({ reason: "Io", detail: `read ${target} of the container: ${String(cause)}`, cause })
      })
    }
    return yield* invalid(`${file}: too many levels of symbolic links`)
  })

/**
 * A resolver of owners: `undefined` stays `undefined` (root, or the copied entries' own owners).
 */
export const resolver = (deps: Deps) => (owner: Op.FileOwner | undefined): Effect.Effect<Owner.Ids | undefined, SolveError> =>
  Effect.gen(function*() {
    if (owner === undefined || owner.spec === "") return undefined
    const spec = Owner.parse(owner.spec)
    if (Either.isLeft(spec)) return yield* invalid(spec.left)
    if (!Owner.hasNames(spec.right) || owner.names === undefined) {
      const ids = Owner.numeric(owner.spec)
      return Either.isLeft(ids) ? yield* invalid(ids.left) : ids.right
    }
    const [passwd, group] = yield* Effect.all([
      readImageText(deps, owner.names, "/etc/passwd"),
      spec.right.group?._tag === "Name" ? readImageText(deps, owner.names, "/etc/group") : Effect.succeed("")
    ], { concurrency: 2 })
    const ids = Owner.resolve(owner.spec, spec.right, { passwd, group })
    return Either.isLeft(ids) ? yield* invalid(ids.left) : ids.right
  })

/**
 * The directories an owned action creates in an image (see `FileActions.ownedDirs`): those from the first one the
 * image lacks on.
 */
export const newDirs = (
  deps: Deps,
  image: Op.Op,
  action: Op.FileAction
): Effect.Effect<ReadonlyArray<string>, SolveError> =>
  Effect.gen(function*() {
    const dirs = FileActions.ownedDirs(action)
    for (const [i, d] of dirs.entries()) {
      const st = yield* deps.statPath(image, "/" + d)
      if (Option.isNone(st)) return dirs.slice(i)
    }
    return []
  })
