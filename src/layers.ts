/**
 * The composition root's layers: the only place that merges every service. `src/main.ts` runs the CLI on them;
 * tests and libraries that embed an engine use `engineLayer` too.
 */
import { Effect, Layer } from "effect"
import { CacheIndex } from "./Dag/CacheIndex.js"
import { HostSync } from "./Dag/HostSync.js"
import { Snapshots, stateDir } from "./Dag/Snapshots.js"
import { Solver } from "./Dag/Solver.js"
import { Engine } from "./Engine/EngineLive.js"
import * as StateLock from "./Engine/StateLock.js"
import * as Tracing from "./Engine/Tracing.js"
import * as Modules from "./Modules/Modules.js"
import { ContainerRuntime } from "./Runtime/ContainerRuntime.js"
import * as Docker from "./Runtime/Docker.js"

// Containers never outlive their engine; committed images do when the persistent cache refers to them (they are
// the cache). At start, what dead engines of this host left is removed (cached images excepted); at the end, this
// engine's images that no cache entry refers to.
const owner = Docker.makeOwnerId()
const runtime = Layer.unwrapEffect(Effect.map(Effect.orDie(stateDir), (dir) => Docker.layerWithOwner(owner, dir))).pipe(
  Layer.provide(Docker.layerClient)
)

/**
 * An in-process engine over `runtime` (the Docker runtime in `engineLayer`; the recording test runtime of
 * `Client/TestRuntime.ts` in users' tests).
 *
 * @category layers
 */
export const engineLayerWith = <E>(runtime: Layer.Layer<ContainerRuntime, E>) => {
  const cacheKeeper = Layer.scopedDiscard(Effect.gen(function*() {
    const docker = yield* ContainerRuntime
    const index = yield* CacheIndex
    const kept = Effect.map(index.list, (entries) => {
      const ids = new Set(entries.flatMap((e) => e.images))
      return (id: string) => ids.has(id)
    })
    yield* docker.reapOrphans(yield* kept)
    yield* Effect.addFinalizer(() => Effect.flatMap(kept, (keep) => docker.cleanup(owner, keep)))
  }))

  // One engine per state dir: taken before anything else of the engine starts, released when it ends.
  const stateLock = Layer.scopedDiscard(Effect.flatMap(Effect.orDie(stateDir), StateLock.acquire))

  const dag = Layer.mergeAll(Solver.Default, HostSync.Default, cacheKeeper).pipe(
    Layer.provideMerge(Snapshots.Default),
    Layer.provideMerge(CacheIndex.Default),
    Layer.provideMerge(runtime),
    Layer.provide(stateLock)
  )
  return Engine.Default.pipe(
    Layer.provide(Modules.layerSpecs),
    Layer.provide(Modules.Modules.Default),
    Layer.provide(dag),
    // built first: the layers above capture its tracer
    Layer.provide(Tracing.layer)
  )
}

/**
 * An in-process engine over the local Docker daemon.
 *
 * @category layers
 */
export const engineLayer = engineLayerWith(runtime)
