/**
 * The `File` type: a path inside an immutable snapshot.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { Solver } from "../Dag/Solver.js"
import * as Api from "./Api.js"
import { exportFile, ioError } from "./internal/hostio.js"
import { baseName, type FileState } from "./State.js"

type F = Api.Value<FileState>

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
