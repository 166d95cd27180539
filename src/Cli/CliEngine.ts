/**
 * The engine as the CLI needs it (the `EngineShape` contract). The composition root provides it from the engine
 * service, e.g. `Layer.effect(CliEngine.CliEngine, Engine.Engine)`; tests provide a fake.
 */
import { Context, Layer } from "effect"
import type { EngineShape } from "../Engine/Engine.js"

/**
 * @category tags
 */
export class CliEngine extends Context.Tag("dirk/Cli/CliEngine")<CliEngine, EngineShape>() {}

/**
 * @category layers
 */
export const layer = (engine: EngineShape): Layer.Layer<CliEngine> => Layer.succeed(CliEngine, engine)
