/**
 * The snapshot store: immutable directories in the engine's state dir, named by a key (a digest's hex).
 *
 * Layout under the state dir (`DIRK_STATE_DIR`, else `$XDG_STATE_HOME/dirk`, else `~/.local/state/dirk`):
 * - `snapshots/<key>`: a finished snapshot; never modified after it appears.
 * - `tmp/`: directories being filled (`create`) and exec working copies (`scratch`); a snapshot is filled in `tmp/`
 *   and renamed into `snapshots/` in one step, so a crash never leaves a half-written snapshot, and two concurrent
 *   `create`s of one key both succeed (the second rename loses and its copy is dropped). Leftovers in `tmp/` from a
 *   crashed process are removed when the service starts (entries older than one hour).
 */
import { Config, Effect, Option, type Scope } from "effect"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { DagError } from "./Errors.js"
import { errnoCode, removeAll, tryFs } from "./internal/Fs.js"

/**
 * The engine's state dir from config: `DIRK_STATE_DIR`, else `$XDG_STATE_HOME/dirk`, else `~/.local/state/dirk`.
 *
 * @category constructors
 */
export const stateDir: Config.Config<string> = Config.all({
  explicit: Config.option(Config.nonEmptyString("DIRK_STATE_DIR")),
  xdg: Config.option(Config.nonEmptyString("XDG_STATE_HOME"))
}).pipe(Config.map(({ explicit, xdg }) =>
  path.resolve(Option.getOrElse(explicit, () =>
    path.join(Option.getOrElse(xdg, () => path.join(os.homedir(), ".local", "state")), "dirk")))
))

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/

const checkKey = (key: string): Effect.Effect<string, DagError> => {
  const k = key.startsWith("sha256:") ? key.slice(7) : key
  return KEY.test(k)
    ? Effect.succeed(k)
    : Effect.fail(new DagError({ reason: "InvalidInput", detail: `invalid snapshot key ${key}` }))
}

const STALE_TMP_MS = 60 * 60 * 1000

/**
 * @category tags
 */
export class Snapshots extends Effect.Service<Snapshots>()("dirk/Dag/Snapshots", {
  scoped: Effect.gen(function*() {
    const state = yield* stateDir
    const root = path.join(state, "snapshots")
    const tmpRoot = path.join(state, "tmp")
    yield* tryFs("create", root, () => fs.promises.mkdir(root, { recursive: true }))
    yield* tryFs("create", tmpRoot, () => fs.promises.mkdir(tmpRoot, { recursive: true }))

    // Leftovers of crashed processes (recent ones may belong to another live process sharing the dir).
    yield* tryFs("clean", tmpRoot, async () => {
      const now = Date.now()
      for (const name of await fs.promises.readdir(tmpRoot)) {
        const p = path.join(tmpRoot, name)
        const st = await fs.promises.lstat(p).catch(() => undefined)
        if (st !== undefined && now - st.mtimeMs > STALE_TMP_MS) {
          await fs.promises.rm(p, { recursive: true, force: true }).catch(() => undefined)
        }
      }
    }).pipe(Effect.ignore)

    const freshTmp = (label: string) =>
      Effect.sync(() => path.join(tmpRoot, `${label.slice(0, 80)}.${process.pid}.${randomBytes(6).toString("hex")}`))

    /** Marks snapshot `key` as used now (its directory's mtime: GC removes the least recently used first). */
    const touch = (key: string): void => {
      const now = new Date()
      try {
        fs.utimesSync(pathOf(key), now, now)
      } catch {
        // gone meanwhile: the caller finds out when it reads it
      }
    }

    /** The path of the snapshot `key` (whether or not it exists). Keys may carry a `sha256:` prefix. */
    const pathOf = (key: string): string => path.join(root, key.startsWith("sha256:") ? key.slice(7) : key)

    const exists = Effect.fn("Snapshots.exists")(function*(key: string) {
      const p = pathOf(yield* checkKey(key))
      return yield* tryFs("stat", p, () =>
        fs.promises.lstat(p).then(
          (st) => st.isDirectory(),
          (e: unknown) => (errnoCode(e) === "ENOENT" ? false : Promise.reject(e))
        ))
    })

    /** Moves a finished directory into place as snapshot `key`; if another writer won, drops ours. */
    const publish = (key: string, dir: string): Effect.Effect<string, DagError> => {
      const target = pathOf(key)
      return tryFs("publish snapshot", target, () =>
        fs.promises.rename(dir, target).then(
          () => true,
          (e: unknown) => {
            const code = errnoCode(e)
            return code === "ENOTEMPTY" || code === "EEXIST" ? false : Promise.reject(e)
          }
        )).pipe(
          Effect.flatMap((won) => (won ? Effect.void : removeAll(dir))),
          Effect.as(target)
        )
    }

    /**
     * The snapshot `key`, filled by `fill` (given an empty directory) if it does not exist yet. `created` tells
     * whether this call made it.
     */
    const createWith = <E>(
      key: string,
      fill: (dir: string) => Effect.Effect<void, E>
    ): Effect.Effect<{ readonly path: string; readonly created: boolean }, E | DagError> =>
      Effect.gen(function*() {
        const k = yield* checkKey(key)
        if (yield* exists(k)) {
          touch(k)
          return { path: pathOf(k), created: false }
        }
        const dir = yield* freshTmp(k)
        return yield* Effect.acquireUseRelease(
          tryFs("create", dir, () => fs.promises.mkdir(dir, { mode: 0o755 })).pipe(Effect.as(dir)),
          (d) =>
            fill(d).pipe(
              Effect.zipRight(publish(k, d)),
              Effect.map((p) => ({ path: p, created: true }))
            ),
          (d) => removeAll(d).pipe(Effect.ignore)
        )
      })

    /** The snapshot `key`, filled by `fill` if it does not exist yet; returns its path. */
    const create = <E>(
      key: string,
      fill: (dir: string) => Effect.Effect<void, E>
    ): Effect.Effect<string, E | DagError> =>
      Effect.map(createWith(key, fill), (r) => r.path)

    /**
     * Turns an existing directory (on the same filesystem, e.g. from {@link scratch}) into snapshot `key` by renaming
     * it. If the snapshot exists already, the directory is removed and the existing one is kept.
     */
    const adopt = Effect.fn("Snapshots.adopt")(function*(key: string, dir: string) {
      const k = yield* checkKey(key)
      return yield* publish(k, dir)
    })

    /**
     * A fresh empty directory under the state dir (same filesystem as the snapshots), removed with everything in it
     * when the scope closes. For exec working copies and staging.
     */
    const scratch = (label = "scratch"): Effect.Effect<string, DagError, Scope.Scope> =>
      Effect.acquireRelease(
        Effect.flatMap(freshTmp(label), (dir) =>
          tryFs("create", dir, () => fs.promises.mkdir(dir, { mode: 0o755 })).pipe(Effect.as(dir))),
        (dir) => removeAll(dir).pipe(Effect.ignore)
      )

    return { root, stateDir: state, tmpRoot, pathOf, exists, touch, create, createWith, adopt, scratch } as const
  })
}) {}
