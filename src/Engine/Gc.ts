/**
 * Garbage collection of the cache: keeps the bytes of the cache index's entries and of the snapshot store under a
 * budget (`keepStorage`), and the free space of the state dir's filesystem above a reserved floor, removing what was
 * used least recently first. What a live session may hold (anything used since the oldest live session opened) is
 * never removed.
 *
 * What is counted: each index entry (its image's own layer and its snapshots, as recorded), and each snapshot that no
 * entry refers to (its files' sizes, measured once: snapshots never change). When it was last used: the later of
 * the entry's (or snapshot directory's) mtime, which hits touch, and the solver's in-memory record of this engine's
 * requests.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as CacheIndex from "../Dag/CacheIndex.js"
import * as Walk from "../Dag/internal/Walk.js"
import { Snapshots } from "../Dag/Snapshots.js"
import { Solver } from "../Dag/Solver.js"
import { ContainerRuntime } from "../Runtime/ContainerRuntime.js"
import type * as Protocol from "./Protocol.js"

/**
 * @category models
 */
export interface GcOptions {
  /** Remove everything that no live session may hold. */
  readonly all?: boolean | undefined
  /** The budget for this run (bytes); default: the engine's. */
  readonly keepStorage?: number | undefined
}

/**
 * @category models
 */
export interface Gc {
  readonly usage: Effect.Effect<Protocol.CacheStatus>
  readonly collect: (options?: GcOptions) => Effect.Effect<Protocol.PruneReport>
}

interface Item {
  readonly kind: "entry" | "snapshot"
  readonly name: string
  readonly usedAt: number
  readonly bytes: number
  readonly remove: Effect.Effect<void>
}

const GiB = 1024 ** 3

/**
 * The default budget: a quarter of what the cache could have (the free space of the state dir's filesystem plus
 * what the cache holds now), at least 1 GiB.
 *
 * @category constructors
 */
export const defaultKeepStorage = (stateDir: string, cacheBytes: number): number => {
  const free = freeBytes(stateDir)
  return Math.max(GiB, Math.floor((free + cacheBytes) / 4))
}

/**
 * The free space GC keeps on the state dir's filesystem whatever the budget: 5% of it, at least 256 MiB, at most
 * 10 GiB, and never more than a tenth of a small filesystem.
 *
 * @category constructors
 */
export const reservedBytes = (stateDir: string): number => {
  try {
    const st = fs.statfsSync(stateDir)
    const total = st.blocks * st.bsize
    return Math.min(Math.max(Math.floor(total * 0.05), 256 * 1024 ** 2), 10 * GiB, Math.floor(total * 0.1))
  } catch {
    return GiB
  }
}

/** Free bytes on the state dir's filesystem (for an unprivileged process; root may use a little more). */
export const freeBytes = (stateDir: string): number => {
  try {
    const st = fs.statfsSync(stateDir)
    return st.bavail * st.bsize
  } catch {
    return 0
  }
}


/**
 * Makes the collector. `liveSince` is when the oldest live session opened (undefined: none open).
 *
 * @category constructors
 */
export const make = (options: {
  readonly keepStorage: number | undefined
  readonly liveSince: () => number | undefined
}) =>
  Effect.gen(function*() {
    const solver = yield* Solver
    const index = yield* CacheIndex.CacheIndex
    const snapshots = yield* Snapshots
    const runtime = yield* ContainerRuntime
    const stateDir = snapshots.stateDir
    const sizes = new Map<string, number>()
    const lock = yield* Effect.makeSemaphore(1)

    const snapshotBytes = (key: string): number => {
      const known = sizes.get(key)
      if (known !== undefined) return known
      const n = Walk.treeBytesSync(snapshots.pathOf(key))
      sizes.set(key, n)
      return n
    }

    const mtime = (p: string): number => fs.statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? 0

    /** Removes a snapshot: renamed aside first (readers never see half of one), then deleted. */
    const removeSnapshot = (key: string) =>
      Effect.sync(() => {
        const aside = path.join(snapshots.tmpRoot, `gc-${key}-${process.pid}-${Date.now()}`)
        solver.forget({ snapshot: key })
        try {
          fs.renameSync(snapshots.pathOf(key), aside)
        } catch {
          return
        }
        fs.rmSync(aside, { recursive: true, force: true })
        sizes.delete(key)
      })

    /** Everything that can be collected, with when it was last used and its size. */
    const items = Effect.gen(function*() {
      const entries = yield* index.list
      const referenced = new Set(entries.flatMap((e) => e.snapshots))
      const out: Array<Item> = entries.map((e) => ({
        kind: "entry",
        name: `${e.kind}/${e.key}`,
        usedAt: Math.max(e.usedAt, solver.lastUsed.op(e.key) ?? 0),
        bytes: e.bytes,
        remove: Effect.gen(function*() {
          yield* index.remove(e.kind, e.key).pipe(Effect.ignore)
          solver.forget({ op: e.key })
          // a parent of another image cannot go (Docker keeps it for its child): its bytes stay counted there
          for (const id of e.images) {
            yield* runtime.removeImage(id).pipe(Effect.ignore)
          }
          for (const key of e.snapshots) yield* removeSnapshot(key)
        })
      }))
      let names: Array<string> = []
      try {
        names = fs.readdirSync(snapshots.root)
      } catch {
        names = []
      }
      for (const key of names) {
        if (referenced.has(key)) continue
        out.push({
          kind: "snapshot",
          name: key,
          usedAt: Math.max(mtime(snapshots.pathOf(key)), solver.lastUsed.snapshot(key) ?? 0),
          bytes: snapshotBytes(key),
          remove: removeSnapshot(key)
        })
      }
      return out
    })

    const usage: Effect.Effect<Protocol.CacheStatus> = Effect.gen(function*() {
      const entries = yield* index.list
      const all = yield* items
      const counts: Record<string, number> = {}
      for (const e of entries) counts[e.kind] = (counts[e.kind] ?? 0) + 1
      counts.snapshot = all.filter((i) => i.kind === "snapshot").length
      const bytes = all.reduce((n, i) => n + i.bytes, 0)
      return { entries: counts, bytes, keepStorage: options.keepStorage ?? defaultKeepStorage(stateDir, bytes) }
    })

    const collect = (o: GcOptions = {}): Effect.Effect<Protocol.PruneReport> =>
      lock.withPermits(1)(Effect.gen(function*() {
        const all = yield* items
        const total = all.reduce((n, i) => n + i.bytes, 0)
        const budget = o.all === true ? 0 : o.keepStorage ?? options.keepStorage ?? defaultKeepStorage(stateDir, total)
        const reserve = reservedBytes(stateDir)
        const since = options.liveSince()
        // least recently used first; what a live session may hold stays
        const candidates = all
          .filter((i) => since === undefined || i.usedAt < since)
          .sort((a, b) => a.usedAt - b.usedAt)
        let held = total
        let removed = 0
        let freed = 0
        for (const item of candidates) {
          const overBudget = held > budget
          const diskLow = o.all !== true && freeBytes(stateDir) < reserve
          if (o.all !== true && !overBudget && !diskLow) break
          yield* item.remove
          held -= item.bytes
          freed += item.bytes
          removed++
        }
        // --all: the records of past runs (for --explain-cache) go too
        if (o.all === true) yield* index.clear("site")
        if (removed > 0) yield* Effect.logInfo(`gc: removed ${removed} cache item(s), ${freed} bytes; ${held} bytes kept (budget ${budget})`)
        return { removedEntries: removed, freedBytes: freed, remainingBytes: held }
      }))

    return { usage, collect } satisfies Gc
  })

/**
 * Runs `gc` every `interval` in the background (and once at start), for the life of the scope.
 *
 * @category constructors
 */
export const background = (gc: Gc, interval: number) =>
  Effect.forkScoped(
    Effect.gen(function*() {
      for (;;) {
        yield* gc.collect().pipe(Effect.catchAllCause((c) => Effect.logWarning("gc failed", c)))
        yield* Effect.sleep(interval)
      }
    })
  )
