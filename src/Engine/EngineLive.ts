/**
 * The in-process engine: one solver and one value memo shared by all its sessions.
 */
import { Effect, Layer, Stream } from "effect"
import type * as Api from "../Core/Api.js"
import * as Core from "../Core/Core.js"
import { Solver } from "../Dag/Solver.js"
import * as Memo from "../Session/Memo.js"
import * as Session from "../Session/Session.js"
import type { EngineShape } from "./Engine.js"

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
    const openSession: EngineShape["openSession"] = (options) =>
      Effect.gen(function*() {
        // subscribed before the session exists, so that none of its events is missed
        const queue = yield* solver.subscribe
        const info = yield* Session.make({ workdir: options.workdir, baseSpecs, memo })
        return { ...info, events: Stream.fromQueue(queue).pipe(Stream.filter((e) => e.session === info.id)) }
      })
    return { openSession, events: solver.events }
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
