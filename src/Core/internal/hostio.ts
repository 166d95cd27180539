/**
 * Writing snapshot contents to the client's host (exports).
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { QueryError } from "../Errors.js"

/** A QueryError from a filesystem error, with a message naming the path. */
export const ioError = (e: unknown, fallback: string): QueryError => {
  const code = (e as { code?: string }).code
  return new QueryError({
    reason: code === "ENOENT" || code === "ENOTDIR" ? "NotFound" : "Internal",
    detail: code === "ENOENT" || code === "ENOTDIR" ? fallback : `${fallback}: ${e instanceof Error ? e.message : String(e)}`
  })
}

/** Copies a snapshot directory's contents to `dest` on the host; with `wipe`, `dest` ends up holding exactly them. */
export const exportTree = (src: string, dest: string, wipe: boolean): Effect.Effect<void, QueryError> =>
  Effect.try({
    try: () => {
      if (wipe) fs.rmSync(dest, { recursive: true, force: true })
      fs.mkdirSync(dest, { recursive: true })
      fs.cpSync(src, dest, { recursive: true, force: true, preserveTimestamps: true, verbatimSymlinks: true })
    },
    catch: (e) => ioError(e, `cannot export to ${dest}`)
  })

/** Copies one file to `dest` on the host (parents created). */
export const exportFile = (src: string, dest: string): Effect.Effect<void, QueryError> =>
  Effect.try({
    try: () => {
      fs.mkdirSync(path.dirname(dest), { recursive: true })
      fs.copyFileSync(src, dest)
      fs.chmodSync(dest, fs.statSync(src).mode & 0o7777)
    },
    catch: (e) => ioError(e, `cannot export to ${dest}`)
  })
