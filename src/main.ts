/**
 * The composition root: the `dirk` CLI over an in-process engine.
 */
import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Logger, LogLevel } from "effect"
import * as Cli from "./Cli/Cli.js"
import * as CliEngine from "./Cli/CliEngine.js"
import { Engine } from "./Engine/EngineLive.js"
import { engineLayer } from "./layers.js"

// Results go to stdout; everything the engine logs goes to stderr, warnings and above unless DIRK_DEBUG is set.
const logging = Layer.mergeAll(
  Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger)),
  Logger.minimumLogLevel(process.env.DIRK_DEBUG ? LogLevel.Debug : LogLevel.Warning)
)

const cliEngine = Layer.effect(CliEngine.CliEngine, Engine).pipe(Layer.provide(engineLayer))

Cli.watchSignals()
NodeRuntime.runMain(
  Cli.run(process.argv.slice(2)).pipe(Effect.provide(Layer.mergeAll(cliEngine, NodeContext.layer)), Effect.provide(logging)),
  { teardown: Cli.teardown, disableErrorReporting: true, disablePrettyLogger: true }
)
