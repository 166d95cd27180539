/**
 * The engine: holds sessions (each with its own port, token and schema) and the shared solver.
 * In this slice it runs in the CLI's process; the daemon comes later.
 */
import { Effect, Schema, type Scope, type Stream } from "effect"
import type { SecretUri } from "../Core/SecretUri.js"
import type { ProgressEvent } from "../Dag/Solver.js"

/**
 * How a client reaches a session.
 *
 * @category models
 */
export interface SessionInfo {
  readonly id: string
  readonly port: number
  readonly token: string
  /** `http://127.0.0.1:<port>/query` */
  readonly url: string
}

/**
 * @category errors
 */
export class EngineError extends Schema.TaggedError<EngineError>()("EngineError", {
  reason: Schema.Literal("SessionFailed", "Unavailable"),
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * The contract the CLI uses (implementation: `EngineLive.ts`).
 *
 * @category models
 */
export interface EngineShape {
  /**
   * Opens a session served on 127.0.0.1; it ends (and removes what it created) when the scope closes. Its `events`
   * are the progress events of the ops run (or found cached) on its behalf, from the moment it was opened.
   */
  readonly openSession: (options: SessionOptions) => Effect.Effect<OpenedSession, EngineError, Scope.Scope>
}

/**
 * What a session is opened with.
 *
 * @category models
 */
export interface SessionOptions {
  readonly workdir: string
  /**
   * The opener attaches terminals (it follows the events, and attaches to the container of each one carrying
   * `terminal`), and wants one in the container of a failed exec (`-i`). Default: neither.
   */
  readonly interactive?: { readonly terminal: boolean; readonly debugFailures: boolean }
  /**
   * Resolves secret URIs on the opener's side (its environment, files, commands); default: the engine's process,
   * with `workdir` as working directory (right for an engine in the opener's process).
   */
  readonly resolveSecret?: ((uri: SecretUri) => Effect.Effect<string, string>) | undefined
  /**
   * Serve the session over HTTP on 127.0.0.1 (default). An in-process opener may do without (`false`): it reaches
   * the session through `execute` only (see `EngineLive.ts`); the daemon always listens.
   */
  readonly listen?: boolean
}

/**
 * A session as its opener sees it.
 *
 * @category models
 */
export interface OpenedSession extends SessionInfo {
  readonly events: Stream.Stream<ProgressEvent>
}
