/**
 * The `File` type: a path inside an immutable snapshot.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Inspect from "../Dag/Inspect.js"
import * as Op from "../Dag/Op.js"
import { Solver } from "../Dag/Solver.js"
import * as Api from "./Api.js"
import { invalid } from "./Errors.js"
import { exportFile, ioError } from "./internal/hostio.js"
import * as Stat from "./Stat.js"
import { baseName, type FileState } from "./State.js"

type F = Api.Value<FileState>

/** The file alone in a new snapshot, named `name`, with `actions` applied to it there. */
const isolated = (v: F, name: string, actions: ReadonlyArray<Op.FileAction>) =>
  Api.state<FileState>({
    op: Op.dirFile(Op.emptyDir, [
      { _tag: "Copy", source: v.state.op, sourcePath: v.state.path, dest: name, include: [], exclude: [] },
      ...actions
    ]),
    path: name
  })

const plainName = (name: string, what: string) =>
  name === "" || name === "." || name === ".." || name.includes("/")
    ? Effect.fail(invalid(`${what}: file name ${JSON.stringify(name)} must not contain a directory`))
    : Effect.succeed(name)

/**
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const solver = yield* Solver

  const hostPath = (v: F) => solver.snapshot(v.state.op).pipe(Effect.map((root) => path.join(root, v.state.path)))
  const statFile = (v: F) =>
    Effect.flatMap(hostPath(v), (p) =>
      Effect.try({
        try: () => {
          const st = fs.statSync(p)
          if (!st.isFile()) throw Object.assign(new Error("not a file"), { code: "ENOENT" })
          return { p, st }
        },
        catch: (e) => ioError(e, `no such file: ${v.state.path}`)
      }))

  const spec: Api.ApiSpec = {
    objects: [
      {
        name: "Query",
        doc: "The root of the API.",
        fields: {
          file: {
            kind: "chain",
            type: "File!",
            doc: "Creates a file with the given contents.",
            args: {
              name: { type: "String!", doc: "Name of the new file (e.g. \"file.txt\")." },
              contents: { type: "String!", doc: "Contents of the new file." },
              permissions: { type: "Int", doc: "Permission bits of the new file.", default: 0o644 }
            },
            run: (_v: unknown, a: { name: string; contents: string; permissions: number }) =>
              Effect.map(plainName(a.name, "file"), (name) =>
                Api.state<FileState>({
                  op: Op.dirFile(Op.emptyDir, [
                    { _tag: "Mkfile", path: name, contents: a.contents, mode: a.permissions }
                  ]),
                  path: name
                }))
          }
        }
      },
      {
        name: "File",
        doc: "A file.",
        sync: (v: F) => statFile(v).pipe(Effect.asVoid),
        fields: {
          contents: {
            kind: "leaf",
            type: "String!",
            doc: "The contents of the file.",
            args: {
              offsetLines: { type: "Int", doc: "Start reading after this many lines." },
              limitLines: { type: "Int", doc: "Read at most this many lines." }
            },
            run: (v: F, a: { offsetLines?: number | null; limitLines?: number | null }) =>
              Effect.gen(function*() {
                const { p } = yield* statFile(v)
                const text = yield* Effect.try({ try: () => fs.readFileSync(p, "utf8"), catch: (e) => ioError(e, `no such file: ${v.state.path}`) })
                if (a.offsetLines == null && a.limitLines == null) return text
                const lines = text.split(/(?<=\n)/)
                const start = a.offsetLines ?? 0
                return lines.slice(start, a.limitLines == null ? undefined : start + a.limitLines).join("")
              })
          },
          size: {
            kind: "leaf",
            type: "Int!",
            doc: "The size of the file, in bytes.",
            run: (v: F) => statFile(v).pipe(Effect.map(({ st }) => st.size))
          },
          name: {
            kind: "leaf",
            type: "String!",
            doc: "The name of the file.",
            run: (v: F) => Effect.succeed(baseName(v.state.path))
          },
          digest: {
            kind: "leaf",
            type: "String!",
            doc: "The file's digest (`sha256:<hex>`); with `excludeMetadata`, the sha256 of its contents alone.",
            args: {
              excludeMetadata: { type: "Boolean", doc: "Leave permissions and owner out of the digest.", default: false }
            },
            run: (v: F, a: { excludeMetadata: boolean }) =>
              Effect.flatMap(statFile(v), ({ p }) => Inspect.fileDigest(p, a.excludeMetadata))
          },
          stat: {
            kind: "chain",
            type: "Stat",
            doc: "The status of the file.",
            run: (v: F) => Effect.succeed(Stat.state(v.state.op, v.state.path, true))
          },
          withName: {
            kind: "chain",
            type: "File!",
            doc: "This file with its name set to the given name.",
            args: { name: { type: "String!", doc: "Name to set the file to." } },
            run: (v: F, a: { name: string }) =>
              Effect.map(plainName(a.name, "withName"), (name) => isolated(v, name, []))
          },
          withTimestamps: {
            kind: "chain",
            type: "File!",
            doc: "This file with its modification and access times set to the given time.",
            args: { timestamp: { type: "Int!", doc: "Unix time in seconds (e.g. 1672531199)." } },
            run: (v: F, a: { timestamp: number }) => {
              const name = baseName(v.state.path)
              return Effect.succeed(isolated(v, name, [{ _tag: "Timestamps", path: name, mtime: a.timestamp }]))
            }
          },
          withReplaced: {
            kind: "chain",
            type: "File!",
            doc: "This file with `search` replaced by `replacement`: the single match, every match with `all`, or the " +
              "first match from line `firstFrom`. No match, or several without `all` or `firstFrom`, is an error.",
            args: {
              search: { type: "String!", doc: "The text to replace." },
              replacement: { type: "String!", doc: "The replacement text." },
              all: { type: "Boolean", doc: "Replace every occurrence.", default: false },
              firstFrom: { type: "Int", doc: "Replace the first match starting from this line (1-based)." }
            },
            run: (v: F, a: { search: string; replacement: string; all: boolean; firstFrom?: number | null }) => {
              const name = baseName(v.state.path)
              return Effect.succeed(isolated(v, name, [{
                _tag: "Replace",
                path: name,
                search: a.search,
                replacement: a.replacement,
                all: a.all,
                firstFrom: a.firstFrom ?? undefined
              }]))
            }
          },
          export: {
            kind: "leaf",
            type: "String!",
            doc: "Writes the file to a path on the host; returns the absolute path written.",
            args: {
              path: { type: "String!", doc: "Location of the written file (e.g. \"output.txt\")." },
              allowParentDirPath: { type: "Boolean", doc: "If the path is an existing directory, write the file into it.", default: false }
            },
            run: (v: F, a: { path: string; allowParentDirPath: boolean }, ctx) =>
              Effect.gen(function*() {
                const { p } = yield* statFile(v)
                let dest = path.resolve(ctx.workdir, a.path)
                if (a.allowParentDirPath && fs.existsSync(dest) && fs.statSync(dest).isDirectory()) {
                  dest = path.join(dest, baseName(v.state.path))
                }
                yield* exportFile(p, dest)
                return dest
              })
          }
        }
      }
    ]
  }
  return spec
})
