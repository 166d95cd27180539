/**
 * The `Stat` type (what `Directory.stat`, `File.stat` and `Container.stat` return) and the enums `FileType` and
 * `ExistsType`. A Stat is lazy: its state names a path in a snapshot, and each field stats it.
 */
import { Effect } from "effect"
import * as Inspect from "../Dag/Inspect.js"
import type * as Op from "../Dag/Op.js"
import { Solver } from "../Dag/Solver.js"
import * as Api from "./Api.js"

/**
 * A path inside a snapshot, and whether the last symlink is followed.
 *
 * @category models
 */
export interface StatState {
  /** A snapshot op. */
  readonly op: Op.Op
  /** Path inside the snapshot (absolute paths are taken relative to its root). */
  readonly path: string
  readonly follow: boolean
}

/**
 * The chain result of a `stat` field.
 *
 * @category constructors
 */
export const state = (op: Op.Op, path: string, follow: boolean) => Api.state<StatState>({ op, path, follow })

/**
 * `ExistsType` value → the file type it expects.
 *
 * @category constants
 */
export const existsTypes: Readonly<Record<string, Inspect.StatInfo["fileType"]>> = {
  REGULAR_TYPE: "REGULAR",
  DIRECTORY_TYPE: "DIRECTORY",
  SYMLINK_TYPE: "SYMLINK"
}

/**
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const solver = yield* Solver
  const info = (v: Api.Value<StatState>) =>
    Effect.flatMap(solver.snapshot(v.state.op), (root) => Inspect.stat(root, v.state.path, v.state.follow))
  const spec: Api.ApiSpec = {
    enums: [
      {
        name: "FileType",
        doc: "File type.",
        // The aliases come first: graphql-js serializes a value as the LAST name holding it, so results read
        // "REGULAR", not "REGULAR_TYPE".
        values: [
          { name: "UNKNOWN_TYPE", value: "UNKNOWN", doc: "unknown file type" },
          { name: "REGULAR_TYPE", value: "REGULAR", doc: "regular file type" },
          { name: "DIRECTORY_TYPE", value: "DIRECTORY", doc: "directory file type" },
          { name: "SYMLINK_TYPE", value: "SYMLINK", doc: "symlink file type" },
          { name: "UNKNOWN", doc: "unknown file type" },
          { name: "REGULAR", doc: "regular file type" },
          { name: "DIRECTORY", doc: "directory file type" },
          { name: "SYMLINK", doc: "symlink file type" }
        ]
      },
      {
        name: "ExistsType",
        doc: "File type.",
        values: [
          { name: "REGULAR_TYPE", doc: "Tests path is a regular file" },
          { name: "DIRECTORY_TYPE", doc: "Tests path is a directory" },
          { name: "SYMLINK_TYPE", doc: "Tests path is a symlink" }
        ]
      }
    ],
    objects: [
      {
        name: "Stat",
        doc: "A file or directory status object.",
        sync: (v: Api.Value<StatState>) => info(v).pipe(Effect.asVoid),
        fields: {
          name: {
            kind: "leaf",
            type: "String!",
            doc: "file name",
            run: (v: Api.Value<StatState>) => Effect.map(info(v), (s) => s.name)
          },
          size: {
            kind: "leaf",
            type: "Int!",
            doc: "file size",
            run: (v: Api.Value<StatState>) => Effect.map(info(v), (s) => s.size)
          },
          permissions: {
            kind: "leaf",
            type: "Int!",
            doc: "permission bits",
            run: (v: Api.Value<StatState>) => Effect.map(info(v), (s) => s.permissions)
          },
          fileType: {
            kind: "leaf",
            type: "FileType!",
            doc: "file type",
            run: (v: Api.Value<StatState>) => Effect.map(info(v), (s) => s.fileType)
          }
        }
      }
    ]
  }
  return spec
})
