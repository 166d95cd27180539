/**
 * The `Host` type: the client's host filesystem. Inputs are imported into the snapshot store and named by content.
 */
import { Effect } from "effect"
import * as path from "node:path"
import { HostSync } from "../Dag/HostSync.js"
import * as Op from "../Dag/Op.js"
import * as Api from "./Api.js"
import type { DirectoryState, FileState } from "./State.js"

/**
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const hostSync = yield* HostSync

  const spec: Api.ApiSpec = {
    objects: [
      {
        name: "Query",
        doc: "The root of the API.",
        fields: {
          host: {
            kind: "chain",
            type: "Host!",
            doc: "Queries the host environment (the calling client's machine).",
            run: () => Effect.succeed(Api.state(undefined))
          }
        }
      },
      {
        name: "Host",
        doc: "Information about the host environment.",
        fields: {
          directory: {
            kind: "chain",
            type: "Directory!",
            volatile: true,
            doc: "Accesses a directory on the host (relative to the client's working directory).",
            args: {
              path: { type: "String!", doc: "Location of the directory to access (e.g. \".\")." },
              exclude: { type: "[String!]", doc: "Exclude artifacts that match the given pattern (e.g. [\"node_modules/\", \".git*\"]).", default: [] },
              include: { type: "[String!]", doc: "Include only artifacts that match the given pattern (e.g. [\"app/\", \"package.*\"]).", default: [] },
              noCache: { type: "Boolean", doc: "Always re-read the directory (dirk re-reads it on every call).", default: false },
              gitignore: {
                type: "Boolean",
                doc: "Apply the .gitignore files of the directory and of its parents up to the git work tree's top.",
                default: false
              }
            },
            run: (_v, a: { path: string; exclude: Array<string>; include: Array<string>; gitignore: boolean }, ctx) =>
              Effect.gen(function*() {
                const abs = path.resolve(ctx.workdir, a.path)
                const imported = yield* hostSync.importDirectory(abs, { include: a.include, exclude: a.exclude }, a.gitignore)
                return Api.state<DirectoryState>(
                  { op: Op.local(abs, imported.contentDigest, imported.snapshot) },
                  imported.contentDigest
                )
              })
          },
          file: {
            kind: "chain",
            type: "File!",
            volatile: true,
            doc: "Accesses a file on the host (relative to the client's working directory).",
            args: {
              path: { type: "String!", doc: "Location of the file to retrieve (e.g. \"README.md\")." },
              noCache: { type: "Boolean", doc: "Always re-read the file (dirk re-reads it on every call).", default: false }
            },
            run: (_v, a: { path: string }, ctx) =>
              Effect.gen(function*() {
                const abs = path.resolve(ctx.workdir, a.path)
                const imported = yield* hostSync.importFile(abs)
                return Api.state<FileState>(
                  { op: Op.local(abs, imported.contentDigest, imported.snapshot), path: imported.name },
                  imported.contentDigest
                )
              })
          }
        }
      }
    ]
  }
  return spec
})
