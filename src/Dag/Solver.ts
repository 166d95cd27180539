/**
 * The solver: a memoized function from op digest to result. Concurrent requests for one digest share one fiber,
 * independent inputs are evaluated in parallel, execs take a slot from a bounded pool, failures are never cached.
 */
import { Effect, type Stream } from "effect"
import type { ResolvedImage } from "../Runtime/ContainerRuntime.js"
import type { DagError, SolveError } from "./Errors.js"
import type { Op } from "./Op.js"

/**
 * Captured output of an exec.
 *
 * @category models
 */
export interface ExecOutcome {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

/**
 * A progress event: one op started or ended.
 *
 * @category models
 */
export interface ProgressEvent {
  readonly digest: string
  readonly description: string
  readonly phase: "start" | "end"
  /** On "end": the result came from the cache. */
  readonly cached: boolean
  /** On "end" of a failed op. */
  readonly error?: string
  readonly durationMs: number
}

/**
 * @category tags
 */
export class Solver extends Effect.Service<Solver>()("dirk/Dag/Solver", {
  scoped: Effect.gen(function*() {
    // TODO(dag helper): implement; signatures are the contract used by src/Core.
    const image = (_op: Op): Effect.Effect<string, SolveError> => Effect.dieMessage("Solver.image")
    const snapshot = (_op: Op): Effect.Effect<string, SolveError> => Effect.dieMessage("Solver.snapshot")
    const exec = (_op: Op): Effect.Effect<ExecOutcome, SolveError> => Effect.dieMessage("Solver.exec")
    const resolveImage = (_ref: string): Effect.Effect<ResolvedImage, DagError> => Effect.dieMessage("Solver.resolveImage")
    const events: Stream.Stream<ProgressEvent> = undefined as never
    return { image, snapshot, exec, resolveImage, events } as const
  })
}) {}
