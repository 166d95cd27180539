/**
 * The composition root's layers: the only place that merges every service. `src/main.ts` runs the CLI on them;
 * tests and libraries that embed an engine use `engineLayer` too.
 */
import { Layer } from "effect"
import { HostSync } from "./Dag/HostSync.js"
import { Snapshots } from "./Dag/Snapshots.js"
import { Solver } from "./Dag/Solver.js"
import { Engine, ExtraSpecs } from "./Engine/EngineLive.js"
import * as Docker from "./Runtime/Docker.js"

const runtime = Docker.layer.pipe(Layer.provide(Docker.layerClient))

const dag = Layer.mergeAll(Solver.Default, HostSync.Default).pipe(
  Layer.provideMerge(Snapshots.Default),
  Layer.provide(runtime)
)

/**
 * An in-process engine over the local Docker daemon.
 *
 * @category layers
 */
export const engineLayer = Engine.Default.pipe(
  Layer.provide(ExtraSpecs.none),
  Layer.provide(dag)
)
