/**
 * Which engine the CLI uses (the composition root decides, from `--engine`, `DIRK_ENGINE` and the state dir), and
 * how to run one in this process (`dirk engine serve`).
 */
import { Context, type Effect } from "effect"
import type * as Address from "../Engine/Address.js"
import type * as Protocol from "../Engine/Protocol.js"
import type { CliError } from "./CliError.js"

/**
 * @category models
 */
export interface EngineHostShape {
  /** Where the engine is: the daemon's address, or embedded. */
  readonly address: Address.Address
  /** The state dir (its socket is the default address). */
  readonly stateDir: string
  /** Whether `address` is the default one (a daemon is started there when none answers). */
  readonly isDefault: boolean
  /** Runs the engine daemon in this process until it is stopped. */
  readonly serve: (options: {
    readonly address: Exclude<Address.Address, { _tag: "Embedded" }>
    readonly idleTimeoutMs: number | undefined
    readonly keepStorage: number | undefined
  }) => Effect.Effect<void, CliError>
  /** Runs GC on the state dir in this process (no engine answers there). */
  readonly prune: (options: { readonly all: boolean; readonly keepStorage: number | undefined }) => Effect.Effect<Protocol.PruneReport, CliError>
}

/**
 * @category tags
 */
export class EngineHost extends Context.Tag("dirk/Cli/EngineHost")<EngineHost, EngineHostShape>() {}
