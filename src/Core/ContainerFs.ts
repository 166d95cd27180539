/**
 * `Container` fields over its filesystem and mounts: `withFiles`, removals (`withoutFile(s)`, `withoutDirectory`),
 * `withSymlink`, `exists`, `stat`, `rootfs`/`withRootfs`, file, cache and tmpfs mounts, `withoutMount`, and
 * `combinedOutput`.
 *
 * Removals run as an exec of `rm -rf` in the container's image (the solver's `ImageFile` op); an image without `rm`
 * gets a clear error. `exists` and `stat` ask the runtime to stat the path in the image (no copy of the tree).
 */
import { Effect, Option } from "effect"
import * as Inspect from "../Dag/Inspect.js"
import * as Op from "../Dag/Op.js"
import { Solver } from "../Dag/Solver.js"
import type { PathStat } from "../Runtime/ContainerRuntime.js"
import * as Api from "./Api.js"
import type { CacheVolumeState } from "./CacheVolume.js"
import { type ApiError, invalid, QueryError } from "./Errors.js"
import { abs, addToRootfs, type C, expandIf, mountAt, same, withMount } from "./internal/container.js"
import * as OwnerArg from "./internal/owner.js"
import { joinRel } from "./internal/paths.js"
import * as Stat from "./Stat.js"
import { baseName, type ContainerState, type DirectoryState, type FileState, type Mount } from "./State.js"

type D = Api.Value<DirectoryState>
type F = Api.Value<FileState>
type Sharing = "SHARED" | "PRIVATE" | "LOCKED"

const unsupported = (detail: string) => new QueryError({ reason: "Unsupported", detail })
const notFound = (detail: string) => new QueryError({ reason: "NotFound", detail })

const fileTypes: Record<PathStat["type"], string> = {
  file: "REGULAR",
  dir: "DIRECTORY",
  symlink: "SYMLINK",
  other: "UNKNOWN"
}

/**
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const solver = yield* Solver

  /** Stats `path` in the rootfs, following the last symlink when `follow`. */
  const statRootfs = (s: ContainerState, path: string, follow: boolean) =>
    Effect.gen(function*() {
      let target = path
      for (let hops = 0; hops < 40; hops++) {
        const st = yield* solver.statPath(s.rootfs, target)
        if (Option.isNone(st)) return undefined
        if (follow && st.value.type === "symlink") {
          target = st.value.linkTarget
          continue
        }
        return { path: target, stat: st.value }
      }
      return yield* Effect.fail(invalid(`${path}: too many levels of symbolic links`))
    })

  /** Where `path` lives: a snapshot (mount) or the rootfs. */
  const locate = (s: ContainerState, path: string, what: string) => {
    const m = mountAt(s, path)
    if (m === undefined) return Effect.succeed({ _tag: "rootfs" } as const)
    if (m.kind === "dir") {
      return Effect.succeed({ _tag: "snapshot", op: m.source, path: joinRel(m.sourcePath, path.slice(m.target.length)) } as const)
    }
    if (m.kind === "file") {
      return path === m.target
        ? Effect.succeed({ _tag: "snapshot", op: m.source, path: m.sourcePath } as const)
        : Effect.fail(invalid(`${what} ${path}: ${m.target} is a mounted file`))
    }
    return Effect.fail(unsupported(`${what} ${path}: paths in ${m.kind} mounts are not supported yet`))
  }

  const exists = (p: C, a: { path: string; expectedType?: string | null; doNotFollowSymlinks: boolean; expand: boolean }) =>
    Effect.gen(function*() {
      const path = abs(p.state, a.path, a.expand)
      const where = yield* locate(p.state, path, "exists")
      let type: string | undefined
      if (where._tag === "snapshot") {
        const root = yield* solver.snapshot(where.op)
        const found = yield* Inspect.lookup(root, where.path, !a.doNotFollowSymlinks)
        type = found === undefined
          ? undefined
          : found.stat.isDirectory()
          ? "DIRECTORY"
          : found.stat.isSymbolicLink()
          ? "SYMLINK"
          : found.stat.isFile()
          ? "REGULAR"
          : "UNKNOWN"
      } else {
        const found = yield* statRootfs(p.state, path, !a.doNotFollowSymlinks)
        type = found === undefined ? undefined : fileTypes[found.stat.type]
      }
      if (type === undefined) return false
      if (a.expectedType === undefined || a.expectedType === null) return true
      return Stat.existsTypes[a.expectedType] === type
    })

  const stat = (p: C, a: { path: string; doNotFollowSymlinks: boolean; expand: boolean }) =>
    Effect.gen(function*() {
      const path = abs(p.state, a.path, a.expand)
      const where = yield* locate(p.state, path, "stat")
      if (where._tag === "snapshot") return Stat.state(where.op, where.path, !a.doNotFollowSymlinks)
      const found = yield* statRootfs(p.state, path, !a.doNotFollowSymlinks)
      if (found === undefined) return yield* Effect.fail(notFound(`stat ${path}: no such file or directory`))
      if (found.path === "/") return Stat.state(Op.extract(p.state.rootfs, "/"), "", false)
      const name = baseName(found.path)
      // A directory is described by an empty one with the same name and mode (no copy of its tree).
      if (found.stat.type === "dir") {
        return Stat.state(Op.dirFile(Op.emptyDir, [{ _tag: "Mkdir", path: name, mode: found.stat.permissions }]), name, false)
      }
      return Stat.state(Op.extract(p.state.rootfs, found.path), name, false)
    })

  const remove = (s: ContainerState, paths: ReadonlyArray<string>) =>
    same(addToRootfs(s, ...paths.map((path): Op.FileAction => ({ _tag: "Rm", path }))))

  const cacheMount = (
    s: ContainerState,
    a: { path: string; cache: Api.Value<CacheVolumeState>; source?: D | null; sharing?: Sharing | null; owner?: string | null; expand: boolean }
  ): Effect.Effect<Api.ChainResult, ApiError> => {
    const c = a.cache.state
    const owner = a.owner || c.owner || ""
    return Effect.flatMap(OwnerArg.ofContainer("withMountedCache", s, owner), (o) => {
      const mount: Mount = {
        target: abs(s, a.path, a.expand),
        source: Op.emptyDir,
        sourcePath: "",
        kind: "cache",
        readOnly: false,
        cache: {
          key: c.key,
          sharing: a.sharing ?? c.sharing ?? "SHARED",
          source: a.source?.state.op ?? c.source,
          owner,
          ...(o?.names !== undefined ? { ownerNames: o.names } : {})
        }
      }
      return same(withMount(s, mount))
    })
  }

  const spec: Api.ApiSpec = {
    objects: [
      {
        name: "Container",
        doc: "An OCI-compatible container, also known as a Docker container.",
        fields: {
          withFiles: {
            kind: "chain",
            type: "Container!",
            doc: "Retrieves this container plus the contents of the given files copied to the given path.",
            args: {
              path: { type: "String!", doc: "Location where copied files should be placed (e.g., \"/src\")." },
              sources: { type: "[FileID!]!", doc: "Identifiers of the files to copy." },
              permissions: { type: "Int", doc: "Permission given to the copied files (e.g., 0600)." },
              owner: { type: "String", doc: "A user:group to set for the copied files (names resolved in the container's /etc/passwd and /etc/group).", default: "" },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the path.", default: false }
            },
            run: (p: C, a: { path: string; sources: ReadonlyArray<F>; permissions?: number | null; owner: string; expand: boolean }) =>
              Effect.flatMap(OwnerArg.ofContainer("withFiles", p.state, a.owner), (owner) => {
                const dir = abs(p.state, a.path, a.expand)
                return same(addToRootfs(p.state, ...a.sources.map((f): Op.FileAction => ({
                  _tag: "Copy",
                  source: f.state.op,
                  sourcePath: f.state.path,
                  dest: (dir === "/" ? "" : dir) + "/" + baseName(f.state.path),
                  include: [],
                  exclude: [],
                  mode: a.permissions ?? undefined,
                  ...OwnerArg.field(owner)
                }))))
              })
          },
          withoutFile: {
            kind: "chain",
            type: "Container!",
            doc: "Retrieves this container with the file at the given path removed.",
            args: {
              path: { type: "String!", doc: "Location of the file to remove (e.g., \"/file.txt\")." },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the path.", default: false }
            },
            run: (p: C, a: { path: string; expand: boolean }) => remove(p.state, [abs(p.state, a.path, a.expand)])
          },
          withoutFiles: {
            kind: "chain",
            type: "Container!",
            doc: "Retrieves this container with the files at the given paths removed.",
            args: {
              paths: { type: "[String!]!", doc: "Locations of the files to remove (e.g., [\"/file.txt\"])." },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the paths.", default: false }
            },
            run: (p: C, a: { paths: ReadonlyArray<string>; expand: boolean }) =>
              remove(p.state, a.paths.map((x) => abs(p.state, x, a.expand)))
          },
          withoutDirectory: {
            kind: "chain",
            type: "Container!",
            doc: "Retrieves this container with the directory at the given path removed.",
            args: {
              path: { type: "String!", doc: "Location of the directory to remove (e.g., \".github/\")." },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the path.", default: false }
            },
            run: (p: C, a: { path: string; expand: boolean }) => remove(p.state, [abs(p.state, a.path, a.expand)])
          },
          withSymlink: {
            kind: "chain",
            type: "Container!",
            doc: "Return a snapshot with a symlink.",
            args: {
              target: { type: "String!", doc: "Location of the file or directory to link to (e.g., \"/existing/file\")." },
              linkName: { type: "String!", doc: "Location where the symbolic link will be created (e.g., \"/new-file-link\")." },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the paths.", default: false }
            },
            run: (p: C, a: { target: string; linkName: string; expand: boolean }) => {
              const link = abs(p.state, a.linkName, a.expand)
              if (link === "/") return Effect.fail(invalid("withSymlink: cannot replace / with a symlink"))
              return same(addToRootfs(p.state, { _tag: "Symlink", path: link, target: expandIf(p.state, a.expand, a.target) }))
            }
          },
          exists: {
            kind: "leaf",
            type: "Boolean!",
            doc: "Quickly check if a file or directory exists.",
            args: {
              path: { type: "String!", doc: "Path to check (e.g., \"/file.txt\")." },
              expectedType: { type: "ExistsType", doc: "If specified, also validate the type of file (e.g. \"REGULAR_TYPE\", \"DIRECTORY_TYPE\", or \"SYMLINK_TYPE\")." },
              doNotFollowSymlinks: { type: "Boolean", doc: "If specified, do not follow symlinks.", default: false },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the path.", default: false }
            },
            run: exists
          },
          stat: {
            kind: "chain",
            type: "Stat",
            doc: "Return file status.",
            args: {
              path: { type: "String!", doc: "Path to check (e.g., \"/file.txt\")." },
              doNotFollowSymlinks: { type: "Boolean", doc: "If specified, do not follow symlinks.", default: false },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the path.", default: false }
            },
            run: stat
          },
          rootfs: {
            kind: "chain",
            type: "Directory!",
            doc: "Retrieves this container's root filesystem (mounts not included).",
            run: (p: C) => Effect.succeed(Api.state<DirectoryState>({ op: Op.extract(p.state.rootfs, "/") }))
          },
          withRootfs: {
            kind: "chain",
            type: "Container!",
            doc: "Retrieves the container with the given directory mounted to /.",
            args: { directory: { type: "DirectoryID!", doc: "Directory to use as the root filesystem." } },
            run: (p: C, a: { directory: D }) =>
              same({
                ...p.state,
                rootfs: Op.imageFile(Op.scratchImage, [{
                  _tag: "Copy",
                  source: a.directory.state.op,
                  sourcePath: "",
                  dest: "/",
                  include: [],
                  exclude: []
                }]),
                exec: undefined,
                imageRef: undefined
              })
          },
          withMountedFile: {
            kind: "chain",
            type: "Container!",
            doc: "Retrieves this container plus a file mounted at the given path.",
            args: {
              path: { type: "String!", doc: "Location of the mounted file (e.g., \"/tmp/file.txt\")." },
              source: { type: "FileID!", doc: "Identifier of the mounted file." },
              owner: { type: "String", doc: "A user:group to set for the mounted file (names resolved in the container's /etc/passwd and /etc/group).", default: "" },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the path.", default: false }
            },
            run: (p: C, a: { path: string; source: F; owner: string; expand: boolean }) =>
              Effect.flatMap(OwnerArg.ofContainer("withMountedFile", p.state, a.owner), (owner) => {
                const name = baseName(a.source.state.path)
                // With an owner, the mounted file is a copy of it owned by it (alone in a new snapshot).
                const owned = owner === undefined
                  ? undefined
                  : Op.dirFile(Op.emptyDir, [{ _tag: "Copy", source: a.source.state.op, sourcePath: a.source.state.path, dest: name, include: [], exclude: [], owner }])
                return same(withMount(p.state, {
                  target: abs(p.state, a.path, a.expand),
                  source: owned ?? a.source.state.op,
                  sourcePath: owned === undefined ? a.source.state.path : name,
                  kind: "file",
                  readOnly: false
                }))
              })
          },
          withMountedCache: {
            kind: "chain",
            type: "Container!",
            doc: "Retrieves this container plus a cache volume mounted at the given path.",
            args: {
              path: { type: "String!", doc: "Location of the cache directory (e.g., \"/root/.npm\")." },
              cache: { type: "CacheVolumeID!", doc: "Identifier of the cache volume to mount." },
              source: { type: "DirectoryID", doc: "Identifier of the directory to use as the cache volume's root (when it is created)." },
              sharing: { type: "CacheSharingMode", doc: "Sharing mode of the cache volume (default: the cache volume's own, else SHARED)." },
              owner: { type: "String", doc: "A user:group for the cache volume's contents when it is created (names resolved in the container's /etc/passwd and /etc/group).", default: "" },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the path.", default: false }
            },
            run: (p: C, a: { path: string; cache: Api.Value<CacheVolumeState>; source?: D | null; sharing?: Sharing | null; owner?: string | null; expand: boolean }) =>
              cacheMount(p.state, a)
          },
          withMountedTemp: {
            kind: "chain",
            type: "Container!",
            doc: "Retrieves this container plus a temporary directory (tmpfs) mounted at the given path.",
            args: {
              path: { type: "String!", doc: "Location of the temporary directory (e.g., \"/tmp/temp_dir\")." },
              size: { type: "Int", doc: "Size of the temporary directory in bytes." },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the path.", default: false }
            },
            run: (p: C, a: { path: string; size?: number | null; expand: boolean }) =>
              a.size !== undefined && a.size !== null && a.size < 0
                ? Effect.fail(invalid(`withMountedTemp: invalid size ${a.size}`))
                : same(withMount(p.state, {
                  target: abs(p.state, a.path, a.expand),
                  source: Op.emptyDir,
                  sourcePath: "",
                  kind: "tmpfs",
                  readOnly: false,
                  size: a.size ?? 0
                }))
          },
          withoutMount: {
            kind: "chain",
            type: "Container!",
            doc: "Retrieves this container after unmounting everything at the given path.",
            args: {
              path: { type: "String!", doc: "Location of the cache directory (e.g., \"/root/.npm\")." },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the path.", default: false }
            },
            run: (p: C, a: { path: string; expand: boolean }) => {
              const target = abs(p.state, a.path, a.expand)
              const secretMounts = (p.state.secretMounts ?? []).filter((m) => m.target !== target)
              return same({
                ...p.state,
                mounts: p.state.mounts.filter((m) => m.target !== target),
                secretMounts: secretMounts.length > 0 ? secretMounts : undefined,
                imageRef: undefined
              })
            }
          },
          combinedOutput: {
            kind: "leaf",
            type: "String!",
            doc: "The combined buffered standard output and standard error stream of the last executed command.",
            run: (p: C) =>
              p.state.exec === undefined
                ? Effect.fail(invalid("no command has been set"))
                : Effect.map(solver.execResult(p.state.exec), (r) => r.combinedOutput)
          }
        }
      }
    ]
  }
  return spec
})
