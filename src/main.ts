/**
 * The composition root: the `dirk` CLI, over the engine daemon (found or started on the fly) or, with
 * `--engine embedded` / `DIRK_ENGINE=embedded`, over an engine in this process.
 */
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Context, Effect, Layer, Logger, LogLevel } from "effect"
import * as Cli from "./Cli/Cli.js"
import { CliEngine } from "./Cli/CliEngine.js"
import { CliError } from "./Cli/CliError.js"
import * as EngineClient from "./Cli/EngineClient.js"
import { EngineHost } from "./Cli/EngineHost.js"
import * as Snapshots from "./Dag/Snapshots.js"
import * as Address from "./Engine/Address.js"
import * as Daemon from "./Engine/Daemon.js"
import { EngineError, type EngineShape } from "./Engine/Engine.js"
import { Engine } from "./Engine/EngineLive.js"
import { engineLayer } from "./layers.js"

// Results go to stdout; everything the engine logs goes to stderr, warnings and above unless DIRK_DEBUG is set
// (the daemon logs its start and stop too).
const logging = (level: LogLevel.LogLevel) =>
  Layer.mergeAll(
    Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger)),
    Logger.minimumLogLevel(process.env.DIRK_DEBUG ? LogLevel.Debug : level)
  )

const failed = (e: unknown) => (e instanceof Error ? e.message : String(e))

const picked = Cli.pickEngine(process.argv.slice(2), process.env.DIRK_ENGINE)
const stateDir = Effect.runSync(Effect.orDie(Snapshots.stateDir))
const address = picked.address ?? Address.defaultFor(stateDir)

// The in-process engine, built on first use (commands that need no engine never start one).
const embedded = Layer.scoped(
  CliEngine,
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const engine = yield* Effect.cached(
      Layer.buildWithScope(engineLayer, scope).pipe(
        Effect.map((ctx) => Context.get(ctx, Engine)),
        Effect.catchAllCause((cause) =>
          Effect.fail(new EngineError({ reason: "Unavailable", detail: `cannot start the engine: ${failed(Cli.squash(cause))}` }))
        )
      )
    )
    return { openSession: (o) => Effect.flatMap(engine, (e) => e.openSession(o)) } satisfies EngineShape
  })
)

const cliEngine = address._tag === "Embedded"
  ? embedded
  : EngineClient.layer({
    address,
    stateDir,
    autoStart: picked.address === undefined && address._tag === "Unix",
    self: [process.execPath, process.argv[1] ?? "dirk"]
  })

const host = Layer.succeed(EngineHost, {
  address,
  stateDir,
  isDefault: picked.address === undefined,
  prune: (o) =>
    Effect.flatMap(Engine, (engine) => engine.gc.collect({ all: o.all, keepStorage: o.keepStorage })).pipe(
      Effect.provide(engineLayer),
      Effect.mapError((e) => new CliError({ reason: "Engine", detail: failed(e) })),
      Effect.catchAllDefect((d) => Effect.fail(new CliError({ reason: "Engine", detail: failed(d) })))
    ),
  serve: (o) =>
    Effect.suspend(() => {
      if (o.keepStorage !== undefined) process.env.DIRK_KEEP_STORAGE = String(o.keepStorage)
      return Daemon.serve({ address: o.address, stateDir, idleTimeoutMs: o.idleTimeoutMs })
    }).pipe(
      Effect.provide(engineLayer),
      Logger.withMinimumLogLevel(process.env.DIRK_DEBUG ? LogLevel.Debug : LogLevel.Info),
      Effect.mapError((e) => new CliError({ reason: "Engine", detail: failed(e) })),
      Effect.catchAllDefect((d) => Effect.fail(new CliError({ reason: "Engine", detail: failed(d) })))
    )
})

Cli.watchSignals()
NodeRuntime.runMain(
  Cli.run(picked.argv, picked.error).pipe(
    Effect.provide(Layer.mergeAll(cliEngine, host, NodeContext.layer)),
    Effect.provide(logging(LogLevel.Warning))
  ),
  { teardown: Cli.teardown, disableErrorReporting: true, disablePrettyLogger: true }
)
