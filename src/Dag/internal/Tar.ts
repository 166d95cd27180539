/**
 * Tar streams in and out of snapshots: `pack` builds an archive from a list of items (headers from `TarHeader.ts`,
 * file contents read from disk as the archive is consumed), `extractTo` unpacks an archive into a directory.
 */
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { Readable } from "node:stream"
import * as TarStream from "tar-stream"
import { DagError } from "../Errors.js"
import * as TarHeader from "./TarHeader.js"

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

const headerOf = (item: Item): TarHeader.Header => ({
  type: item.type,
  name: item.name,
  mode: item.type === "symlink" ? 0o777 : item.mode,
  uid: item.uid ?? 0,
  gid: item.gid ?? 0,
  size: item.type !== "file" ? 0 : "data" in item ? item.data.length : item.size,
  mtime: Math.floor(item.mtime.getTime() / 1000),
  linkname: item.type === "symlink" ? item.linkname : undefined
})

/**
 * `items` with each name once: the last item of a name, at the place of its first (what extracting them all in order
 * leaves, as far as names go; a layer may not hold a name twice). Pure.
 */
export const lastPerName = (items: ReadonlyArray<Item>): ReadonlyArray<Item> => {
  // a Map keeps a key where it was first set, with the value it was set to last
  const byName = new Map<string, Item>()
  for (const item of items) byName.set(item.name.replace(/\/+$/, ""), item)
  return byName.size === items.length ? items : [...byName.values()]
}

/**
 * The exact length of `pack(items)`'s stream (headers, contents, padding, end blocks), and its entry names: what a
 * runtime needs to add the archive to an image as a layer (`ArchivePut.layer`).
 */
export const layerInfo = (items: ReadonlyArray<Item>): { readonly size: number; readonly names: Array<string> } => {
  let size = 2 * TarHeader.BLOCK
  const names: Array<string> = []
  for (const item of items) {
    const h = headerOf(item)
    size += TarHeader.encode(h).length + h.size + TarHeader.padding(h.size).length
    names.push(item.name)
  }
  return { size, names }
}

/** How much of a file one read takes. */
const CHUNK = 1 << 20

/**
 * A fresh tar stream of `items`, in order. Pull-based: each `read` encodes headers and reads file contents (1 MiB at
 * a time, synchronously) until the stream's buffer is full, so memory stays bounded and no stream or promise is made
 * per entry. A file that is shorter than its item says when it is read fails the stream (it changed on the way).
 */
export const pack = (items: ReadonlyArray<Item>): Readable => {
  let next = 0
  let fd: number | undefined
  let left = 0
  let current: Extract<Item, { abs: string }> | undefined
  const close = () => {
    if (fd !== undefined) fs.closeSync(fd)
    fd = undefined
  }
  return new Readable({
    highWaterMark: 4 * CHUNK,
    read() {
      try {
        for (;;) {
          if (fd !== undefined && current !== undefined) {
            const buf = Buffer.allocUnsafe(Math.min(CHUNK, left))
            const n = buf.length === 0 ? 0 : fs.readSync(fd, buf, 0, buf.length, null)
            if (n === 0 && left > 0) throw new Error(`${current.abs} changed while being archived (shorter than ${current.size} bytes)`)
            left -= n
            const more = this.push(n === buf.length ? buf : buf.subarray(0, n))
            if (left === 0) {
              close()
              if (!this.push(TarHeader.padding(current.size))) return
            }
            if (!more) return
            continue
          }
          if (next >= items.length) {
            this.push(TarHeader.trailer())
            this.push(null)
            return
          }
          const item = items[next++]!
          const header = TarHeader.encode(headerOf(item))
          if (item.type === "file" && "data" in item) {
            if (!this.push(Buffer.concat([header, item.data, TarHeader.padding(item.data.length)]))) return
          } else if (item.type === "file" && item.size > 0) {
            fd = fs.openSync(item.abs, "r")
            current = item
            left = item.size
            if (!this.push(header)) return
          } else if (!this.push(header)) return
        }
      } catch (e) {
        close()
        this.destroy(e instanceof Error ? e : new Error(String(e)))
      }
    },
    destroy(err, cb) {
      close()
      cb(err)
    }
  })
}

/** How much of GNU tar's stderr an error keeps. */
const STDERR_TAIL = 4096

/**
 * Unpacks a tar stream into `dir` with GNU tar (`tar -x`, a child process: several times faster than unpacking in
 * JS): modes kept exactly, owners by number when running as root, symlinks verbatim. GNU tar refuses members with
 * `..`, strips a leading `/`, and never writes through a symlink the archive made (it places links last), so
 * nothing lands outside `dir`; any such member fails the unpack with tar's message.
 */
export const extractTo = (
  tar: Readable,
  dir: string,
  options: { readonly stripComponents?: number; readonly sameOwner?: boolean } = {}
): Effect.Effect<void, DagError> =>
  Effect.async<void, DagError>((resume) => {
    let settled = false
    let stderr = ""
    const settle = (effect: Effect.Effect<void, DagError>) => {
      if (settled) return
      settled = true
      resume(effect)
    }
    const fail = (what: string, cause?: unknown) =>
      settle(Effect.fail(new DagError({ reason: "Io", detail: `unpack into ${dir}: ${what}`, cause })))
    const args = ["-x", "-f", "-", "-C", dir, "--numeric-owner", "-p"]
    if (options.sameOwner === false) args.push("--no-same-owner")
    if (options.stripComponents !== undefined && options.stripComponents > 0) args.push(`--strip-components=${options.stripComponents}`)
    const child = spawn("tar", args, {
      stdio: ["pipe", "ignore", "pipe"]
    })
    child.stderr.setEncoding("utf8")
    child.stderr.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL)
    })
    child.on("error", (e) => fail(`cannot run tar: ${e.message}`, e))
    child.on("close", (code, signal) => {
      if (code === 0) settle(Effect.void)
      else fail(`tar ${signal !== null ? `was killed by ${signal}` : `exited with code ${code}`}: ${stderr.trim()}`)
    })
    // tar closing its input early (a bad archive) is reported by its exit, not as a write error
    child.stdin.on("error", () => {})
    tar.on("error", (e) => {
      fail(e.message, e)
      child.kill("SIGKILL")
    })
    tar.pipe(child.stdin)
    return Effect.sync(() => {
      tar.destroy()
      child.kill("SIGKILL")
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
