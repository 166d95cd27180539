/**
 * The composition root's layers: the only place that merges every service. `src/main.ts` runs the CLI on them;
 * tests and libraries that embed an engine use `engineLayer` too.
 */
import { Effect, Layer } from "effect"
import { HostSync } from "./Dag/HostSync.js"
import { Snapshots } from "./Dag/Snapshots.js"
import { Solver } from "./Dag/Solver.js"
import { Engine } from "./Engine/EngineLive.js"
import * as Modules from "./Modules/Modules.js"
import { ContainerRuntime } from "./Runtime/ContainerRuntime.js"
import * as Docker from "./Runtime/Docker.js"

// The cache does not outlive the engine yet (persistence comes with the daemon), so the images this engine
// committed are removed with it, like its containers.
const owner = Docker.makeOwnerId()
const removeOwnImages = Layer.scopedDiscard(
  Effect.flatMap(ContainerRuntime, (runtime) => Effect.addFinalizer(() => runtime.cleanup(owner)))
)
const runtime = removeOwnImages.pipe(
  Layer.provideMerge(Docker.layerWithOwner(owner)),
  Layer.provide(Docker.layerClient)
)

const dag = Layer.mergeAll(Solver.Default, HostSync.Default).pipe(
  Layer.provideMerge(Snapshots.Default),
  Layer.provideMerge(runtime)
)

/**
 * An in-process engine over the local Docker daemon.
 *
 * @category layers
 */
export const engineLayer = Engine.Default.pipe(
  Layer.provide(Modules.layerSpecs),
  Layer.provide(Modules.Modules.Default),
  Layer.provide(dag)
)
