/**
 * The composition root of the `dirk` CLI (loaded by `main.ts`): over the engine daemon (found or started on the fly)
 * or, with `--engine embedded` / `DIRK_ENGINE=embedded`, over an engine in this process.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Context, Effect, Layer, Logger, LogLevel } from "effect"
import * as Cli from "./Cli/Cli.js"
import { CliEngine } from "./Cli/CliEngine.js"
import { CliError } from "./Cli/CliError.js"
import * as EngineClient from "./Cli/EngineClient.js"
import { EngineHost } from "./Cli/EngineHost.js"
import * as Snapshots from "./Dag/Snapshots.js"
import * as Address from "./Engine/Address.js"
import { EngineError, type EngineShape } from "./Engine/Engine.js"

// The engine (Docker, the solver, the core API, modules) is loaded only by the commands that run one in this process:
// a CLI that talks to the daemon starts without it.
const engineParts = Effect.promise(async () => {
  const [layers, live, daemon] = await Promise.all([import("./layers.js"), import("./Engine/EngineLive.js"), import("./Engine/Daemon.js")])
  return { engineLayer: layers.engineLayer, Engine: live.Engine, Daemon: daemon }
})

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
      Effect.flatMap(engineParts, (parts) =>
        Layer.buildWithScope(parts.engineLayer, scope).pipe(Effect.map((ctx) => Context.get(ctx, parts.Engine)))).pipe(
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
    Effect.flatMap(engineParts, (parts) =>
      Effect.flatMap(parts.Engine, (engine) => engine.gc.collect({ all: o.all, keepStorage: o.keepStorage })).pipe(
        Effect.provide(parts.engineLayer)
      )).pipe(
      Effect.mapError((e) => new CliError({ reason: "Engine", detail: failed(e) })),
      Effect.catchAllDefect((d) => Effect.fail(new CliError({ reason: "Engine", detail: failed(d) })))
    ),
  serve: (o) =>
    Effect.flatMap(engineParts, (parts) => {
      if (o.keepStorage !== undefined) process.env.DIRK_KEEP_STORAGE = String(o.keepStorage)
      return parts.Daemon.serve({ address: o.address, stateDir, idleTimeoutMs: o.idleTimeoutMs }).pipe(
        Effect.provide(parts.engineLayer)
      )
    }).pipe(
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
