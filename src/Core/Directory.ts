/**
 * The `Directory` type: an immutable directory in the engine's snapshot store, and the root `directory` field.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as posix from "node:path/posix"
import * as Inspect from "../Dag/Inspect.js"
import * as Op from "../Dag/Op.js"
import { Solver } from "../Dag/Solver.js"
import * as Api from "./Api.js"
import { exportTree, ioError } from "./internal/hostio.js"
import * as OwnerArg from "./internal/owner.js"
import { joinRel, relPath } from "./internal/paths.js"
import * as Stat from "./Stat.js"
import type { DirectoryState, FileState } from "./State.js"

type D = Api.Value<DirectoryState>
type F = Api.Value<FileState>

/** Dagger's `Directory.name`: the basename of the directory's path with a trailing "/", "/" for a root. */
const nameOf = (op: Op.Op): string => {
  switch (op._tag) {
    case "Subdir":
      return posix.basename(op.path) + "/"
    case "DirFile": {
      const first = op.actions[0]
      // filter() copies the whole directory into an empty one
      const wholeCopy = first?._tag === "Copy" && relPath(first.sourcePath) === "" && relPath(first.dest) === ""
      if (op.input._tag === "EmptyDir" && first?._tag === "Copy" && wholeCopy) {
        return nameOf(first.source)
      }
      return nameOf(op.input)
    }
    case "Diff":
      return nameOf(op.lower)
    default:
      return "/"
  }
}

const dirOwnerDoc = "A user:group to set for the written entries, as numbers (e.g. \"1000:1000\"; a Directory has " +
  "no /etc/passwd to resolve names); the group defaults to the user."

const change = (v: D, actions: ReadonlyArray<Op.FileAction>) => Effect.succeed(Api.state<DirectoryState>({ op: Op.dirFile(v.state.op, actions) }))

/**
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const solver = yield* Solver

  const root = (v: D) => solver.snapshot(v.state.op)
  /** Digests of snapshot directories (immutable), by path. */
  const digests = new Map<string, string>()

  const spec: Api.ApiSpec = {
    objects: [
      {
        name: "Query",
        doc: "The root of the API.",
        fields: {
          directory: {
            kind: "chain",
            type: "Directory!",
            doc: "Creates an empty directory.",
            run: () => Effect.succeed(Api.state<DirectoryState>({ op: Op.emptyDir }))
          }
        }
      },
      {
        name: "Directory",
        doc: "A directory.",
        sync: (v: D) => root(v).pipe(Effect.asVoid),
        fields: {
          withNewFile: {
            kind: "chain",
            type: "Directory!",
            doc: "Writes a new file at the given path (parents are created).",
            args: {
              path: { type: "String!", doc: "Location of the new file (e.g. \"src/main.ts\")." },
              contents: { type: "String!", doc: "Contents of the new file." },
              permissions: { type: "Int", doc: "Permission bits of the new file.", default: 0o644 }
            },
            run: (v: D, a: { path: string; contents: string; permissions: number }) =>
              change(v, [{ _tag: "Mkfile", path: relPath(a.path), contents: a.contents, mode: a.permissions }])
          },
          withNewDirectory: {
            kind: "chain",
            type: "Directory!",
            doc: "Creates a new, empty directory at the given path (parents are created).",
            args: {
              path: { type: "String!", doc: "Location of the new directory." },
              permissions: { type: "Int", doc: "Permission bits of the new directory.", default: 0o755 }
            },
            run: (v: D, a: { path: string; permissions: number }) => change(v, [{ _tag: "Mkdir", path: relPath(a.path), mode: a.permissions }])
          },
          withDirectory: {
            kind: "chain",
            type: "Directory!",
            doc: "Merges the contents of another directory into this one at the given path.",
            args: {
              path: { type: "String!", doc: "Location of the written directory (e.g. \"/src/\")." },
              source: { type: "DirectoryID!", doc: "The directory to copy." },
              exclude: { type: "[String!]", doc: "Patterns to exclude.", default: [] },
              include: { type: "[String!]", doc: "Patterns to include.", default: [] },
              gitignore: { type: "Boolean", doc: "Apply the .gitignore files found in the directory (see docs/compatibility.md).", default: false },
              owner: { type: "String", doc: dirOwnerDoc, default: "" },
              permissions: { type: "Int", doc: "Permission bits of every copied file and directory (their own when not set)." }
            },
            run: (v: D, a: { path: string; source: D; exclude: Array<string>; include: Array<string>; gitignore: boolean; owner: string; permissions?: number | null }) =>
              Effect.flatMap(OwnerArg.ofDirectory("Directory.withDirectory", a.owner), (owner) =>
                change(v, [{
                  _tag: "Copy",
                  source: a.source.state.op,
                  sourcePath: "",
                  dest: relPath(a.path),
                  include: a.include,
                  exclude: a.exclude,
                  ...(a.gitignore ? { gitignore: true } : {}),
                  mode: a.permissions ?? undefined,
                  ...OwnerArg.field(owner)
                }]))
          },
          withFile: {
            kind: "chain",
            type: "Directory!",
            doc: "Copies a file to the given path.",
            args: {
              path: { type: "String!", doc: "Location of the copied file (e.g. \"/file.txt\")." },
              source: { type: "FileID!", doc: "The file to copy." },
              permissions: { type: "Int", doc: "Permission bits of the copied file." },
              owner: { type: "String", doc: dirOwnerDoc, default: "" }
            },
            run: (v: D, a: { path: string; source: F; permissions?: number | null; owner: string }) =>
              Effect.flatMap(OwnerArg.ofDirectory("Directory.withFile", a.owner), (owner) =>
                change(v, [{
                  _tag: "Copy",
                  source: a.source.state.op,
                  sourcePath: a.source.state.path,
                  // a path ending in "/" names the directory the file is copied into
                  dest: a.path.endsWith("/") ? joinRel(a.path, posix.basename(a.source.state.path)) : relPath(a.path),
                  include: [],
                  exclude: [],
                  mode: a.permissions ?? undefined,
                  ...OwnerArg.field(owner)
                }]))
          },
          withoutFile: {
            kind: "chain",
            type: "Directory!",
            doc: "Removes the file at the given path.",
            args: { path: { type: "String!", doc: "Location of the file to remove." } },
            run: (v: D, a: { path: string }) => change(v, [{ _tag: "Rm", path: relPath(a.path) }])
          },
          withoutDirectory: {
            kind: "chain",
            type: "Directory!",
            doc: "Removes the directory at the given path.",
            args: { path: { type: "String!", doc: "Location of the directory to remove." } },
            run: (v: D, a: { path: string }) => change(v, [{ _tag: "Rm", path: relPath(a.path) }])
          },
          file: {
            kind: "chain",
            type: "File!",
            doc: "Retrieves a file at the given path.",
            args: { path: { type: "String!", doc: "Location of the file to retrieve (e.g. \"README.md\")." } },
            run: (v: D, a: { path: string }) => Effect.succeed(Api.state<FileState>({ op: v.state.op, path: relPath(a.path) }))
          },
          directory: {
            kind: "chain",
            type: "Directory!",
            doc: "Retrieves a directory at the given path.",
            args: { path: { type: "String!", doc: "Location of the directory to retrieve (e.g. \"/src\")." } },
            run: (v: D, a: { path: string }) => Effect.succeed(Api.state<DirectoryState>({ op: Op.subdir(v.state.op, relPath(a.path)) }))
          },
          entries: {
            kind: "leaf",
            type: "[String!]!",
            doc: "Names of the entries at the given path, sorted; directories end with \"/\".",
            args: { path: { type: "String", doc: "Location of the directory to look at (e.g. \"/src\")." } },
            run: (v: D, a: { path?: string | null }) =>
              Effect.gen(function*() {
                const base = yield* root(v)
                const dir = path.join(base, relPath(a.path ?? ""))
                const entries = yield* Effect.try({
                  try: () => fs.readdirSync(dir, { withFileTypes: true }),
                  catch: (e) => ioError(e, `no such directory: ${a.path ?? "."}`)
                })
                return entries.map((e) => (e.isDirectory() ? e.name + "/" : e.name)).sort()
              })
          },
          withoutFiles: {
            kind: "chain",
            type: "Directory!",
            doc: "Removes the files at the given paths.",
            args: { paths: { type: "[String!]!", doc: "Locations of the files to remove." } },
            run: (v: D, a: { paths: ReadonlyArray<string> }) =>
              change(v, a.paths.map((p): Op.FileAction => ({ _tag: "Rm", path: relPath(p) })))
          },
          withFiles: {
            kind: "chain",
            type: "Directory!",
            doc: "Copies the given files into the directory at the given path (each keeps its name).",
            args: {
              path: { type: "String!", doc: "Location where the copied files are placed (e.g. \"/src\")." },
              sources: { type: "[FileID!]!", doc: "The files to copy." },
              permissions: { type: "Int", doc: "Permission bits of the copied files." }
            },
            run: (v: D, a: { path: string; sources: ReadonlyArray<F>; permissions?: number | null }) =>
              change(v, a.sources.map((f): Op.FileAction => ({
                _tag: "Copy",
                source: f.state.op,
                sourcePath: f.state.path,
                dest: joinRel(a.path, posix.basename(f.state.path)),
                include: [],
                exclude: [],
                mode: a.permissions ?? undefined
              })))
          },
          withSymlink: {
            kind: "chain",
            type: "Directory!",
            doc: "Creates a symbolic link.",
            args: {
              target: { type: "String!", doc: "The file or directory to link to (e.g. \"/existing/file\")." },
              linkName: { type: "String!", doc: "Where the symbolic link is created (e.g. \"/new-file-link\")." }
            },
            run: (v: D, a: { target: string; linkName: string }) =>
              change(v, [{ _tag: "Symlink", path: relPath(a.linkName), target: a.target }])
          },
          withTimestamps: {
            kind: "chain",
            type: "Directory!",
            doc: "Sets the modification and access times of every entry to the given time.",
            args: { timestamp: { type: "Int!", doc: "Unix time in seconds (e.g. 1672531199)." } },
            run: (v: D, a: { timestamp: number }) => change(v, [{ _tag: "Timestamps", path: "", mtime: a.timestamp }])
          },
          filter: {
            kind: "chain",
            type: "Directory!",
            doc: "Keeps only the paths matched by the include patterns and not by the exclude patterns.",
            args: {
              exclude: { type: "[String!]", doc: "Patterns to exclude (e.g. [\"node_modules/\"]).", default: [] },
              include: { type: "[String!]", doc: "Patterns to include (e.g. [\"app/\", \"package.*\"]).", default: [] },
              gitignore: { type: "Boolean", doc: "Apply the .gitignore files found in the directory (see docs/compatibility.md).", default: false }
            },
            run: (v: D, a: { exclude: Array<string>; include: Array<string>; gitignore: boolean }) =>
              Effect.succeed(Api.state<DirectoryState>({
                op: Op.dirFile(Op.emptyDir, [{
                  _tag: "Copy",
                  source: v.state.op,
                  sourcePath: "",
                  dest: "",
                  include: a.include,
                  exclude: a.exclude,
                  ...(a.gitignore ? { gitignore: true } : {})
                }])
              }))
          },
          diff: {
            kind: "chain",
            type: "Directory!",
            doc: "The entries of `other` that are new or changed relative to this directory (with their parents).",
            args: { other: { type: "DirectoryID!", doc: "The directory to compare against." } },
            run: (v: D, a: { other: D }) =>
              Effect.succeed(Api.state<DirectoryState>({ op: Op.diff(v.state.op, a.other.state.op) }))
          },
          stat: {
            kind: "chain",
            type: "Stat",
            doc: "The status of the file or directory at the given path.",
            args: {
              path: { type: "String!", doc: "Path to stat (e.g. \"/file.txt\")." },
              doNotFollowSymlinks: { type: "Boolean", doc: "Report a symlink itself, not its target.", default: false }
            },
            run: (v: D, a: { path: string; doNotFollowSymlinks: boolean }) =>
              Effect.succeed(Stat.state(v.state.op, a.path, !a.doNotFollowSymlinks))
          },
          exists: {
            kind: "leaf",
            type: "Boolean!",
            doc: "Whether a file or directory exists at the given path (and, with `expectedType`, has that type).",
            args: {
              path: { type: "String!", doc: "Path to check (e.g. \"/file.txt\")." },
              expectedType: { type: "ExistsType", doc: "The type the path must have." },
              doNotFollowSymlinks: { type: "Boolean", doc: "Do not follow a symlink at the path.", default: false }
            },
            run: (v: D, a: { path: string; expectedType?: string | null; doNotFollowSymlinks: boolean }) =>
              Effect.gen(function*() {
                const found = yield* Inspect.lookup(yield* root(v), a.path, !a.doNotFollowSymlinks)
                if (found === undefined) return false
                if (a.expectedType == null) return true
                const st = found.stat
                const type = st.isFile()
                  ? "REGULAR"
                  : st.isDirectory()
                  ? "DIRECTORY"
                  : st.isSymbolicLink()
                  ? "SYMLINK"
                  : "UNKNOWN"
                return Stat.existsTypes[a.expectedType] === type
              })
          },
          glob: {
            kind: "leaf",
            type: "[String!]!",
            doc: "The paths (files and directories) matching the pattern, relative to this directory; " +
              "`**` matches any depth.",
            args: { pattern: { type: "String!", doc: "Pattern to match (e.g. \"**/*.md\")." } },
            run: (v: D, a: { pattern: string }) => Effect.flatMap(root(v), (r) => Inspect.glob(r, a.pattern))
          },
          digest: {
            kind: "leaf",
            type: "String!",
            doc: "A content digest of the directory (names, types, permissions, owners, contents; not timestamps).",
            run: (v: D) =>
              Effect.flatMap(root(v), (dir) => {
                // snapshots never change: a directory's digest is computed once
                const known = digests.get(dir)
                return known !== undefined
                  ? Effect.succeed(known)
                  : Effect.tap(Inspect.treeDigest(dir), (d) => Effect.sync(() => digests.set(dir, d)))
              })
          },
          name: {
            kind: "leaf",
            type: "String!",
            doc: "The name of the directory (with a trailing \"/\"; \"/\" for a root directory).",
            run: (v: D) => Effect.succeed(nameOf(v.state.op))
          },
          export: {
            kind: "leaf",
            type: "String!",
            doc: "Writes the contents of the directory to a path on the host; returns the absolute path written.",
            args: {
              path: { type: "String!", doc: "Location of the copied directory (e.g. \"logs/\")." },
              wipe: { type: "Boolean", doc: "Delete files at the destination that are not in this directory.", default: false }
            },
            run: (v: D, a: { path: string; wipe: boolean }, ctx) =>
              Effect.gen(function*() {
                const dest = path.resolve(ctx.workdir, a.path)
                // a container's directory going to a new place on the host: straight there, one copy
                if (!fs.existsSync(dest) && fs.existsSync(path.dirname(dest)) && (yield* solver.exportNew(v.state.op, dest))) return dest
                const src = yield* root(v)
                yield* exportTree(src, dest, a.wipe)
                return dest
              })
          }
        }
      }
    ]
  }
  return spec
})
