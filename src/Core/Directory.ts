/**
 * The `Directory` type: an immutable directory in the engine's snapshot store, and the root `directory` field.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Op from "../Dag/Op.js"
import { Solver } from "../Dag/Solver.js"
import * as Api from "./Api.js"
import { QueryError } from "./Errors.js"
import { exportTree, ioError } from "./internal/hostio.js"
import { relPath } from "./internal/paths.js"
import type { DirectoryState, FileState } from "./State.js"

type D = Api.Value<DirectoryState>
type F = Api.Value<FileState>

const change = (v: D, actions: ReadonlyArray<Op.FileAction>) => Effect.succeed(Api.state<DirectoryState>({ op: Op.dirFile(v.state.op, actions) }))

/**
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const solver = yield* Solver

  const root = (v: D) => solver.snapshot(v.state.op)

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
              gitignore: { type: "Boolean", doc: "Not supported yet.", default: false },
              owner: { type: "String", doc: "Not supported yet.", default: "" },
              permissions: { type: "Int", doc: "Not supported yet." }
            },
            run: (v: D, a: { path: string; source: D; exclude: Array<string>; include: Array<string>; gitignore: boolean; owner: string; permissions?: number | null }) =>
              a.gitignore || a.owner || (a.permissions !== undefined && a.permissions !== null)
                ? Effect.fail(new QueryError({ reason: "Unsupported", detail: "Directory.withDirectory: gitignore, owner and permissions are not supported yet" }))
                : change(v, [{ _tag: "Copy", source: a.source.state.op, sourcePath: "", dest: relPath(a.path), include: a.include, exclude: a.exclude }])
          },
          withFile: {
            kind: "chain",
            type: "Directory!",
            doc: "Copies a file to the given path.",
            args: {
              path: { type: "String!", doc: "Location of the copied file (e.g. \"/file.txt\")." },
              source: { type: "FileID!", doc: "The file to copy." },
              permissions: { type: "Int", doc: "Permission bits of the copied file." },
              owner: { type: "String", doc: "Not supported yet.", default: "" }
            },
            run: (v: D, a: { path: string; source: F; permissions?: number | null; owner: string }) =>
              a.owner
                ? Effect.fail(new QueryError({ reason: "Unsupported", detail: "Directory.withFile: owner is not supported yet" }))
                : change(v, [{
                  _tag: "Copy",
                  source: a.source.state.op,
                  sourcePath: a.source.state.path,
                  dest: relPath(a.path),
                  include: [],
                  exclude: [],
                  mode: a.permissions ?? undefined
                }])
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
                const src = yield* root(v)
                const dest = path.resolve(ctx.workdir, a.path)
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
