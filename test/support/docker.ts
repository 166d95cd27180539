/**
 * Test support for integration tests against the real Docker daemon: a check that fails loudly (never skips) when
 * the daemon or the locally built images are missing, and a runtime layer that cleans up after itself.
 */
import type Dockerode from "dockerode"
import { Effect, Layer } from "effect"
import { ContainerRuntime } from "../../src/Runtime/ContainerRuntime.js"
import * as Docker from "../../src/Runtime/Docker.js"

/** Images built by `scripts/images.sh`. */
export const busyboxImage = "dirk.local/busybox:latest"
export const nodeImage = "dirk.local/node:20"
export const registry = "127.0.0.1:5000"

const setupHint = "run `bash scripts/setup.sh` (as root) to start Docker and the local registry and build the images"

/**
 * Fails (as a defect, so that every test of the group fails with this message) unless the daemon answers and
 * `images` exist locally.
 */
export const requireDocker = (images: ReadonlyArray<string> = [busyboxImage]) =>
  Effect.gen(function*() {
    const { docker, host } = yield* Docker.DockerClient
    yield* Docker.ping.pipe(
      Effect.orDieWith((error) =>
        new Error(`Docker is required by the integration tests: ${error.detail}; ${setupHint}`)
      )
    )
    for (const image of images) {
      yield* Effect.tryPromise(() => docker.getImage(image).inspect()).pipe(
        Effect.orDieWith(() => new Error(`image ${image} is missing in the Docker daemon at ${host}; ${setupHint}`))
      )
    }
  })

/** The Docker client from `DOCKER_HOST` (or the default socket), after checking the daemon and images. */
export const layerClient = (images?: ReadonlyArray<string>): Layer.Layer<Docker.DockerClient> =>
  Layer.effect(Docker.DockerClient, Effect.tap(Docker.DockerClient, () => requireDocker(images))).pipe(
    Layer.provide(Layer.orDie(Docker.layerClient))
  )

/**
 * The Docker runtime for `owner`, plus the client; everything labelled with `owner` is removed when the layer is
 * released.
 */
export const layerRuntime = (
  owner: string,
  images?: ReadonlyArray<string>,
  options?: { readonly layerMinBytes?: number }
): Layer.Layer<ContainerRuntime | Docker.DockerClient> => {
  const cleanup = Layer.scopedDiscard(
    Effect.addFinalizer(() => Effect.flatMap(ContainerRuntime, (runtime) => runtime.cleanup(owner)))
  )
  const runtime = Docker.layerWithOwner(owner, undefined, options)
  return Layer.provideMerge(cleanup.pipe(Layer.provideMerge(runtime)), layerClient(images))
}

/** A unique owner id for one test file. */
export const testOwner = (name: string): string => `test-${name}-${Docker.makeOwnerId().slice(5)}`

/** Containers (all states) carrying `dirk.owner=<owner>`. */
export const ownedContainers = (owner: string) =>
  Effect.flatMap(Docker.DockerClient, ({ docker }) =>
    Effect.promise(() =>
      docker.listContainers({ all: true, filters: { label: [`${Docker.labelOwner}=${owner}`] } })
    ))

/** Images carrying `dirk.owner=<owner>`. */
export const ownedImages = (owner: string) =>
  Effect.flatMap(Docker.DockerClient, ({ docker }) =>
    Effect.promise(() => docker.listImages({ all: true, filters: { label: [`${Docker.labelOwner}=${owner}`] } })))

/** Reads a dockerode progress stream (push, pull) to its end. */
export const followProgress = (docker: Dockerode, stream: NodeJS.ReadableStream) =>
  Effect.async<void, Error>((resume) => {
    docker.modem.followProgress(stream, (err: unknown, output: ReadonlyArray<{ readonly error?: string }>) => {
      const failed = output.find((entry) => entry.error !== undefined)
      if (err) resume(Effect.fail(err instanceof Error ? err : new Error(String(err))))
      else if (failed) resume(Effect.fail(new Error(failed.error)))
      else resume(Effect.void)
    })
  })
