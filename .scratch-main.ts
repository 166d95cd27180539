import { NodeContext, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import * as Cli from "./src/Cli/Cli.js"
import * as CliEngine from "./src/Cli/CliEngine.js"
import { Engine } from "./src/Engine/EngineLive.js"
import { engineLayer } from "./src/layers.js"

const cliEngine = Layer.effect(CliEngine.CliEngine, Engine).pipe(Layer.provide(engineLayer))
NodeRuntime.runMain(
  Cli.run(process.argv.slice(2)).pipe(Effect.provide(Layer.mergeAll(cliEngine, NodeContext.layer))),
  { teardown: Cli.teardown }
)
