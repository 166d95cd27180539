/**
 * The persistent cache index: what an op (or a module registration) produced, by kind and key, so that results
 * survive the end of a session and a restart of the engine.
 *
 * Layout: `$DIRK_STATE_DIR/cache/<kind>/<key>.json`, one file per entry, written to a temporary file and renamed into
 * place (a crash, even `kill -9`, never leaves a half-written entry; leftover temporary files are removed when the
 * index starts). An entry names the Docker images and snapshots it refers to, and their size; its file's mtime is
 * when it was last used (a hit touches it), which GC orders by. Only successes are written.
 */
import { Effect, Option } from "effect"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { DagError } from "./Errors.js"
import { stateDir } from "./Snapshots.js"

/**
 * What an entry refers to (a hit is trusted only when they all still exist), and how much storage it holds.
 *
 * @category models
 */
export interface Refs {
  /** Docker image ids. */
  readonly images: ReadonlyArray<string>
  /** Snapshot keys (names under `snapshots/`). */
  readonly snapshots: ReadonlyArray<string>
  /** Bytes this entry holds of its own (its image's own layer, its snapshots). */
  readonly bytes: number
}

/**
 * @category models
 */
export interface Entry<A> extends Refs {
  readonly kind: string
  readonly key: string
  readonly value: A
  /** Unix ms. */
  readonly createdAt: number
  /** Unix ms (the file's mtime). */
  readonly usedAt: number
}

/** The entry format's version (entries of another version are ignored, and removed by GC). */
const version = 1

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/

const keyName = (key: string): string => (key.startsWith("sha256:") ? key.slice(7) : key)

const ioError = (what: string, p: string, cause: unknown) =>
  new DagError({ reason: "Io", detail: `cache index: ${what} ${p}: ${cause instanceof Error ? cause.message : String(cause)}`, cause })

/**
 * @category tags
 */
export class CacheIndex extends Effect.Service<CacheIndex>()("dirk/Dag/CacheIndex", {
  effect: Effect.gen(function*() {
    const root = path.join(yield* Effect.orDie(stateDir), "cache")
    yield* Effect.try({
      try: () => {
        fs.mkdirSync(root, { recursive: true })
        // temporary files of writers that died (the state dir belongs to this engine alone: see StateLock)
        for (const kind of fs.readdirSync(root)) {
          const dir = path.join(root, kind)
          if (!fs.statSync(dir).isDirectory()) continue
          for (const name of fs.readdirSync(dir)) if (name.endsWith(".tmp")) fs.rmSync(path.join(dir, name), { force: true })
        }
      },
      catch: (e) => ioError("cannot prepare", root, e)
    })

    const fileOf = (kind: string, key: string): Effect.Effect<string, DagError> => {
      const k = keyName(key)
      return KEY.test(kind) && KEY.test(k)
        ? Effect.succeed(path.join(root, kind, `${k}.json`))
        : Effect.fail(new DagError({ reason: "InvalidInput", detail: `invalid cache key ${kind}/${key}` }))
    }

    const read = <A>(file: string): Entry<A> | undefined => {
      let text: string
      let st: fs.Stats
      try {
        text = fs.readFileSync(file, "utf8")
        st = fs.statSync(file)
      } catch {
        return undefined
      }
      try {
        const raw = JSON.parse(text) as Omit<Entry<A>, "usedAt"> & { readonly v?: number }
        if (raw.v !== version) return undefined
        return { ...raw, usedAt: st.mtimeMs }
      } catch {
        return undefined
      }
    }

    /** The entry, if there is one (not yet verified: see `Solver`). */
    const get = <A>(kind: string, key: string): Effect.Effect<Option.Option<Entry<A>>, DagError> =>
      Effect.map(fileOf(kind, key), (file) => Option.fromNullable(read<A>(file)))

    /** Marks an entry as used now (GC keeps what was used last). */
    const touch = (kind: string, key: string): Effect.Effect<void, DagError> =>
      Effect.flatMap(fileOf(kind, key), (file) =>
        Effect.sync(() => {
          const now = new Date()
          try {
            fs.utimesSync(file, now, now)
          } catch {
            // removed meanwhile (GC): the caller has its value already
          }
        }))

    /** Records an entry (atomically: readers see the old one or the new one, never a part). */
    const put = <A>(kind: string, key: string, value: A, refs: Refs): Effect.Effect<void, DagError> =>
      Effect.flatMap(fileOf(kind, key), (file) =>
        Effect.try({
          try: () => {
            fs.mkdirSync(path.dirname(file), { recursive: true })
            const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`
            const entry = { v: version, kind, key, value, createdAt: Date.now(), ...refs }
            const fd = fs.openSync(tmp, "w", 0o600)
            try {
              fs.writeSync(fd, JSON.stringify(entry))
              fs.fsyncSync(fd)
            } finally {
              fs.closeSync(fd)
            }
            fs.renameSync(tmp, file)
          },
          catch: (e) => ioError("cannot write", file, e)
        }))

    /** Forgets an entry (what it refers to is not touched). */
    const remove = (kind: string, key: string): Effect.Effect<void, DagError> =>
      Effect.flatMap(fileOf(kind, key), (file) => Effect.sync(() => fs.rmSync(file, { force: true })))

    /** Removes every entry of a kind. */
    const clear = (kind: string): Effect.Effect<void> =>
      Effect.sync(() => {
        if (KEY.test(kind)) fs.rmSync(path.join(root, kind), { recursive: true, force: true })
      })

    /**
     * Every result entry (of this format), for GC and status: the `site` records (inputs of each step's last run,
     * for `--explain-cache`) are bookkeeping, not results, and are left out.
     */
    const list = Effect.sync(() => {
      const out: Array<Entry<unknown>> = []
      let kinds: Array<string> = []
      try {
        kinds = fs.readdirSync(root)
      } catch {
        return out
      }
      for (const kind of kinds) {
        if (kind === "site") continue
        let names: Array<string> = []
        try {
          names = fs.readdirSync(path.join(root, kind))
        } catch {
          continue
        }
        for (const name of names) {
          if (!name.endsWith(".json")) continue
          const e = read<unknown>(path.join(root, kind, name))
          if (e !== undefined) out.push(e)
        }
      }
      return out
    })

    return { root, get, touch, put, remove, list, clear } as const
  })
}) {}
