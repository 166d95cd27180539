/**
 * Content hashes of host files, for host sync: a stat cache (a file's hash is reused while its size, mtime, inode and
 * change time stay the same, so re-reading an unchanged tree costs one `lstat` per entry), and a pool of worker
 * threads that hash the files the cache does not know in parallel when there are many bytes to read.
 */
import { Effect } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import { Worker } from "node:worker_threads"
import type * as Walk from "./Walk.js"

const CHUNK = 1 << 20

/** Hashes one file with synchronous reads (a file that keeps growing is cut somewhere past its walked size). */
export const hashFileSync = (abs: string, size: number, buf: Buffer): string => {
  const h = createHash("sha256")
  const fd = fs.openSync(abs, "r")
  try {
    let pos = 0
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, pos)
      if (n === 0) break
      h.update(n === buf.length ? buf : buf.subarray(0, n))
      pos += n
      if (pos > size * 2 + CHUNK) break
    }
  } finally {
    fs.closeSync(fd)
  }
  return h.digest("hex")
}

interface Known {
  readonly size: number
  readonly mtimeMs: number
  readonly ino: number
  readonly ctimeMs: number
  readonly hash: string
}

const sameFile = (k: Known, e: Walk.Entry): boolean =>
  k.size === e.size && k.mtimeMs === e.mtime.getTime() && k.ino === e.ino && k.ctimeMs === e.ctimeMs

// The worker: hashes the files it is sent ([abs, size] pairs) and answers with their hex hashes, or an error.
const workerSource = `
const { parentPort } = require("node:worker_threads")
const fs = require("node:fs")
const { createHash } = require("node:crypto")
const buf = Buffer.allocUnsafe(${CHUNK})
parentPort.on("message", ({ id, files }) => {
  const out = []
  for (const [abs, size] of files) {
    try {
      const h = createHash("sha256")
      const fd = fs.openSync(abs, "r")
      try {
        let pos = 0
        for (;;) {
          const n = fs.readSync(fd, buf, 0, buf.length, pos)
          if (n === 0) break
          h.update(n === buf.length ? buf : buf.subarray(0, n))
          pos += n
          if (pos > size * 2 + ${CHUNK}) break
        }
      } finally {
        fs.closeSync(fd)
      }
      out.push(h.digest("hex"))
    } catch (e) {
      parentPort.postMessage({ id, error: { path: abs, message: e && e.message ? e.message : String(e), code: e && e.code } })
      return
    }
  }
  parentPort.postMessage({ id, out })
})
`

/** Below this many bytes to read, hashing stays on the calling thread (a worker round trip costs more). */
const PARALLEL_BYTES = 16 * CHUNK

/**
 * @category models
 */
export interface Hasher {
  /**
   * The hash of each file entry (`undefined` for other entries), from the stat cache or read now. A read error
   * fails with the path.
   */
  readonly hashFiles: (entries: ReadonlyArray<Walk.Entry>) => Effect.Effect<ReadonlyArray<string | undefined>, HashError>
}

/**
 * @category errors
 */
export interface HashError {
  readonly path: string
  readonly cause: unknown
}

/**
 * A hasher with its stat cache (bounded: the least recently recorded files go first) and, for large reads, a pool of
 * worker threads (one per CPU, at most 4), started on first use and ended with the scope.
 *
 * @category constructors
 */
export const make = (options: { readonly maxEntries?: number } = {}) =>
  Effect.gen(function*() {
    const maxEntries = options.maxEntries ?? 1_000_000
    const known = new Map<string, Known>()
    const workers: Array<Worker> = []
    let nextId = 0
    yield* Effect.addFinalizer(() => Effect.promise(() => Promise.all(workers.map((w) => w.terminate()))))

    const pool = (): ReadonlyArray<Worker> => {
      if (workers.length === 0) {
        const n = Math.max(1, Math.min(4, os.availableParallelism()))
        for (let i = 0; i < n; i++) {
          const w = new Worker(workerSource, { eval: true })
          w.unref()
          workers.push(w)
        }
      }
      return workers
    }

    const onWorker = (w: Worker, files: ReadonlyArray<readonly [string, number]>) =>
      Effect.async<ReadonlyArray<string>, HashError>((resume) => {
        const id = nextId++
        const onMessage = (m: { id: number; out?: Array<string>; error?: { path: string; message: string; code?: string } }) => {
          if (m.id !== id) return
          w.off("message", onMessage)
          if (m.error !== undefined) {
            resume(Effect.fail({ path: m.error.path, cause: Object.assign(new Error(m.error.message), { code: m.error.code }) }))
          } else resume(Effect.succeed(m.out ?? []))
        }
        w.on("message", onMessage)
        w.postMessage({ id, files })
      })

    const remember = (e: Walk.Entry, hash: string) => {
      known.delete(e.abs)
      known.set(e.abs, { size: e.size, mtimeMs: e.mtime.getTime(), ino: e.ino ?? -1, ctimeMs: e.ctimeMs ?? -1, hash })
      if (known.size > maxEntries) {
        const first = known.keys().next()
        if (first.done !== true) known.delete(first.value)
      }
    }

    const hashFiles: Hasher["hashFiles"] = (entries) =>
      Effect.gen(function*() {
        const out: Array<string | undefined> = entries.map(() => undefined)
        const todo: Array<number> = []
        let bytes = 0
        for (const [i, e] of entries.entries()) {
          if (e.type !== "file") continue
          const k = known.get(e.abs)
          if (k !== undefined && e.ino !== undefined && sameFile(k, e)) out[i] = k.hash
          else {
            todo.push(i)
            bytes += e.size
          }
        }
        if (todo.length === 0) return out
        if (bytes < PARALLEL_BYTES) {
          // on this thread, in batches (the event loop gets a turn between them)
          const buf = Buffer.allocUnsafe(CHUNK)
          for (let start = 0; start < todo.length; start += 256) {
            const batch = todo.slice(start, start + 256)
            yield* Effect.try({
              try: () => {
                for (const i of batch) out[i] = hashFileSync(entries[i]!.abs, entries[i]!.size, buf)
              },
              catch: (cause) => ({ path: entries[batch.find((i) => out[i] === undefined) ?? batch[0]!]!.abs, cause })
            })
            yield* Effect.yieldNow()
          }
        } else {
          // in parallel: batches of about 8 MiB (or 128 files) handed to the workers as they come free
          const batches: Array<Array<number>> = []
          let cur: Array<number> = []
          let curBytes = 0
          for (const i of todo) {
            cur.push(i)
            curBytes += entries[i]!.size
            if (curBytes >= 8 * CHUNK || cur.length >= 128) {
              batches.push(cur)
              cur = []
              curBytes = 0
            }
          }
          if (cur.length > 0) batches.push(cur)
          const ws = pool()
          let next = 0
          yield* Effect.forEach(ws, (w) =>
            Effect.gen(function*() {
              while (next < batches.length) {
                const batch = batches[next++]!
                const hashes = yield* onWorker(w, batch.map((i) => [entries[i]!.abs, entries[i]!.size] as const))
                batch.forEach((i, j) => (out[i] = hashes[j]))
              }
            }), { concurrency: "unbounded", discard: true })
        }
        for (const i of todo) remember(entries[i]!, out[i]!)
        return out
      })

    return { hashFiles } satisfies Hasher
  })
