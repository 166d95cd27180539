/**
 * Tar streams in and out of snapshots: `pack` builds an archive from a list of items (files streamed from disk, one
 * at a time), `extractTo` unpacks an archive into a directory.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import { Readable } from "node:stream"
import * as TarFs from "tar-fs"
import * as TarStream from "tar-stream"
import { DagError } from "../Errors.js"

/** An entry's owner in an archive (root when not given). */
export interface ItemOwner {
  readonly uid?: number | undefined
  readonly gid?: number | undefined
}

/**
 * One archive entry. Names are relative (no leading `/`); owners are root unless `uid`/`gid` are given.
 */
export type Item = ItemOwner & ItemBody

type ItemBody =
  | { readonly type: "file"; readonly name: string; readonly mode: number; readonly mtime: Date; readonly data: Buffer }
  | {
    readonly type: "file"
    readonly name: string
    readonly mode: number
    readonly mtime: Date
    readonly abs: string
    readonly size: number
  }
  | { readonly type: "dir"; readonly name: string; readonly mode: number; readonly mtime: Date }
  | { readonly type: "symlink"; readonly name: string; readonly linkname: string; readonly mtime: Date }

const writeItem = (pack: TarStream.Pack, item: Item): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve())
    const base = { name: item.name, mtime: item.mtime, uid: item.uid ?? 0, gid: item.gid ?? 0 }
    switch (item.type) {
      case "dir":
        pack.entry({ ...base, type: "directory", mode: item.mode }, done)
        return
      case "symlink":
        pack.entry({ ...base, type: "symlink", linkname: item.linkname, mode: 0o777 }, done)
        return
      case "file": {
        if ("data" in item) {
          pack.entry({ ...base, type: "file", mode: item.mode, size: item.data.length }, item.data, done)
          return
        }
        const entry = pack.entry({ ...base, type: "file", mode: item.mode, size: item.size }, done)
        const rs = fs.createReadStream(item.abs)
        rs.on("error", (e) => {
          entry.destroy(e)
          reject(e)
        })
        rs.pipe(entry)
        return
      }
    }
  })

/**
 * A fresh tar stream of `items`, in order.
 */
export const pack = (items: ReadonlyArray<Item>): Readable => {
  const p = TarStream.pack()
  const run = async () => {
    for (const item of items) await writeItem(p, item)
    p.finalize()
  }
  run().catch((e: unknown) => p.destroy(e instanceof Error ? e : new Error(String(e))))
  return Readable.from(p)
}

/**
 * Unpacks a tar stream into `dir` (modes and, when running as root, owners kept; absolute symlinks kept verbatim;
 * device nodes and other special files skipped).
 */
export const extractTo = (tar: Readable, dir: string): Effect.Effect<void, DagError> =>
  Effect.async<void, DagError>((resume) => {
    let settled = false
    const fail = (cause: unknown) => {
      if (settled) return
      settled = true
      resume(Effect.fail(new DagError({
        reason: "Io",
        detail: `unpack into ${dir}: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      })))
    }
    const extractor = TarFs.extract(dir, {
      umask: 0,
      strict: false,
      validateSymlinks: false,
      finish: () => {
        if (settled) return
        settled = true
        resume(Effect.void)
      }
    } as TarFs.ExtractOptions)
    extractor.on("error", fail)
    tar.on("error", fail)
    tar.pipe(extractor)
    return Effect.sync(() => {
      tar.destroy()
      extractor.destroy()
    })
  })

/**
 * The entry names of a tar stream, in order (contents are skipped), for resolving wildcards in an image.
 */
export const listNames = (tar: Readable): Effect.Effect<Array<string>, DagError> =>
  Effect.async<Array<string>, DagError>((resume) => {
    const names: Array<string> = []
    let settled = false
    const fail = (cause: unknown) => {
      if (settled) return
      settled = true
      resume(Effect.fail(new DagError({
        reason: "Io",
        detail: `read archive: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause
      })))
    }
    const extract = TarStream.extract()
    extract.on("entry", (header, stream, next) => {
      names.push(header.name)
      stream.on("end", next)
      stream.resume()
    })
    extract.on("finish", () => {
      if (settled) return
      settled = true
      resume(Effect.succeed(names))
    })
    extract.on("error", fail)
    tar.on("error", fail)
    tar.pipe(extract)
    return Effect.sync(() => {
      tar.destroy()
      extract.destroy()
    })
  })
