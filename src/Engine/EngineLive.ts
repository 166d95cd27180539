/**
 * The in-process engine: one solver and one value memo shared by all its sessions.
 */
import { Config, Effect, Layer, Option, type Scope, Stream } from "effect"
import type * as Api from "../Core/Api.js"
import * as Core from "../Core/Core.js"
import { Solver } from "../Dag/Solver.js"
import * as Memo from "../Session/Memo.js"
import * as Session from "../Session/Session.js"
import type { EngineError, OpenedSession, SessionOptions } from "./Engine.js"
import * as Gc from "./Gc.js"
import * as Size from "./Size.js"

/**
 * GC's settings: `DIRK_KEEP_STORAGE` (a size: `10GB`, `500MiB`, bytes; default relative to free disk, see `Gc.ts`)
 * and `DIRK_GC_INTERVAL` (seconds between background runs, default 60).
 */
const gcSettings = Effect.gen(function*() {
  const keep = yield* Config.option(Config.string("DIRK_KEEP_STORAGE"))
  const interval = yield* Config.integer("DIRK_GC_INTERVAL").pipe(Config.withDefault(60))
  let keepStorage: number | undefined
  if (Option.isSome(keep) && keep.value.trim() !== "") {
    const parsed = Size.parse(keep.value)
    if (typeof parsed !== "number") return yield* Effect.dieMessage(`DIRK_KEEP_STORAGE: ${parsed.error}`)
    keepStorage = parsed
  }
  return { keepStorage, intervalMs: Math.max(1, interval) * 1000 }
}).pipe(Effect.orDie)

/**
 * A session opened in the engine's own process: what any opener gets, and its root client's requests run without
 * HTTP (`execute`; with `listen: false` that is the only way in).
 *
 * @category models
 */
export interface LocalSession extends OpenedSession {
  readonly execute: Session.Opened["execute"]
}

/**
 * The engine service.
 *
 * @category tags
 */
export class Engine extends Effect.Service<Engine>()("dirk/Engine/Engine", {
  scoped: Effect.gen(function*() {
    const solver = yield* Solver
    const core = yield* Core.specs
    const extra = yield* ExtraSpecs
    const memo = yield* Memo.make
    const baseSpecs: ReadonlyArray<Api.ApiSpec> = [...core, ...extra.specs]
    const settings = yield* gcSettings
    /** Open sessions, by id: when each opened (GC keeps what they may hold). */
    const open = new Map<string, { readonly workdir: string; readonly openedAt: number }>()
    const gc = yield* Gc.make({
      keepStorage: settings.keepStorage,
      liveSince: () => (open.size === 0 ? undefined : Math.min(...[...open.values()].map((s) => s.openedAt)))
    })
    yield* Gc.background(gc, settings.intervalMs)
    // out of disk space: first half of what the cache holds goes (least recently used first), then all it can
    solver.onDiskFull((attempt) =>
      attempt === 1
        ? Effect.flatMap(gc.usage, (u) => gc.collect({ keepStorage: Math.floor(u.bytes / 2) }))
        : gc.collect({ all: true }))

    const openSession = (options: SessionOptions): Effect.Effect<LocalSession, EngineError, Scope.Scope> =>
      Effect.gen(function*() {
        const openedAt = Date.now()
        // subscribed before the session exists, so that none of its events is missed
        const queue = yield* solver.subscribe
        const info = yield* Session.make({
          workdir: options.workdir,
          baseSpecs,
          memo,
          ...(options.interactive !== undefined ? { interactive: options.interactive } : {}),
          ...(options.resolveSecret !== undefined ? { resolveSecret: options.resolveSecret } : {}),
          ...(options.listen !== undefined ? { listen: options.listen } : {})
        })
        open.set(info.id, { workdir: options.workdir, openedAt })
        yield* Effect.addFinalizer(() => Effect.sync(() => open.delete(info.id)))
        // the session's services stop, and its network goes, when it ends
        yield* Effect.addFinalizer(() => solver.services.endSession(info.id))
        return { ...info, events: Stream.fromQueue(queue).pipe(Stream.filter((e) => e.session === info.id)) }
      })
    return { openSession, events: solver.events, gc }
  })
}) {}

/**
 * API specs contributed from outside src/Core (the module API): every client of every session sees them.
 *
 * @category tags
 */
export class ExtraSpecs extends Effect.Tag("dirk/Engine/ExtraSpecs")<ExtraSpecs, { readonly specs: ReadonlyArray<Api.ApiSpec> }>() {
  static readonly none = Layer.succeed(ExtraSpecs, { specs: [] })
}
