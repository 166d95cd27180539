/**
 * The container runtime port: what the engine needs from a container engine, and nothing more.
 * The Docker implementation lives in `Docker.ts`; tests of pure logic use `layerTest`.
 */
import { Context, Effect, Layer, Option, Schema, type Scope } from "effect"
import type { Readable } from "node:stream"
import type { Credentials } from "./Registry.js"

/**
 * The parts of an image's config that a container inherits.
 *
 * @category models
 */
export interface ImageConfig {
  readonly env: ReadonlyArray<string>
  readonly entrypoint: ReadonlyArray<string>
  readonly cmd: ReadonlyArray<string>
  readonly workdir: string
  readonly user: string
  readonly labels: Readonly<Record<string, string>>
  readonly exposedPorts: ReadonlyArray<string>
}

/**
 * A resolved image: its id in the local image store and its config.
 *
 * @category models
 */
export interface ResolvedImage {
  /** `sha256:…` image id in the local store. */
  readonly imageId: string
  readonly config: ImageConfig
  /** Registry digests the image is known by (`name@sha256:…`, Docker's RepoDigests; none for an image never pushed or pulled). */
  readonly repoDigests?: ReadonlyArray<string> | undefined
}

/**
 * A bind mount of a host path into a container.
 *
 * @category models
 */
export interface Bind {
  /** A host path, or the name of a Docker volume when `volume` is set. */
  readonly source: string
  readonly target: string
  readonly readOnly: boolean
  /** `source` names a volume: it is created (with `labels` besides the dirk.* ones) on first use. */
  readonly volume?: VolumeOptions | undefined
}

/**
 * How a named volume is created.
 *
 * @category models
 */
export interface VolumeOptions {
  readonly labels?: Readonly<Record<string, string>> | undefined
  /** A tar stream extracted into the volume's root when the volume is created (initial contents, owner). */
  readonly init?: (() => Readable) | undefined
}

/**
 * What `statPath` tells about a path in an image.
 *
 * @category models
 */
export interface PathStat {
  readonly name: string
  readonly size: number
  /** Permission bits (0o7777). */
  readonly permissions: number
  readonly type: "file" | "dir" | "symlink" | "other"
  /** For a symlink: its target, as an absolute path in the image. */
  readonly linkTarget: string
}

/**
 * One run of a process in a new container.
 *
 * @category models
 */
export interface RunSpec {
  /** Image id or reference of the rootfs. */
  readonly image: string
  /** The full argv (no entrypoint is applied by the runtime). */
  readonly args: ReadonlyArray<string>
  /** `NAME=value` pairs. */
  readonly env: ReadonlyArray<string>
  /**
   * `NAME=value` pairs whose values are secrets: in the process's environment, in no container config (so in no
   * committed image: the Docker runtime runs such a command as an exec in a paused container).
   */
  readonly secretEnv?: ReadonlyArray<string>
  readonly workdir: string
  readonly user: string
  readonly binds: ReadonlyArray<Bind>
  /** Paths to mount as tmpfs. */
  readonly tmpfs?: ReadonlyArray<string>
  /** Size limits (bytes) of tmpfs mounts, by path. */
  readonly tmpfsSize?: Readonly<Record<string, number>>
  /** Written to the process's stdin, which is then closed. */
  readonly stdin?: string
  /**
   * An absolute path in the container (its mounts included) whose contents are written to the process's stdin
   * instead (`redirectStdin`); a missing path is an error.
   */
  readonly stdinFile?: string
  /** `none` (default), `host`, or a network (created by `createNetwork`) with this container's aliases on it. */
  readonly network?: "none" | "host" | NetworkAttachment
  /** Run an init process as PID 1 (it forwards signals and reaps zombies: a service stops at SIGTERM). */
  readonly init?: boolean
  /** `name:ip` entries added to the container's `/etc/hosts` (service binding aliases). */
  readonly extraHosts?: ReadonlyArray<string>
  /** Commit the container's filesystem to a new image after it exits. */
  readonly commit: boolean
  /** Relative CPU weight of the container (Docker's `CpuShares`, default 1024): 2 runs it only on idle CPU. */
  readonly cpuShares?: number
  /** Called with the container's id once it is created. */
  readonly onCreated?: (containerId: string) => void
  /** Applied to what a started container (a service) printed before it is shown (`RunningContainer.logs`). */
  readonly redact?: (text: string) => string
  /**
   * Added to the run's filesystem, in order, before it starts: as a layer of its image (as `putArchives` does), or
   * put into the container after it is created.
   */
  readonly archives?: ReadonlyArray<ArchivePut>
  /** Labels added to the container (the runtime always adds its own `dirk.*` labels too). */
  readonly labels?: Readonly<Record<string, string>>
  /** Called with each chunk of output as it arrives (progress display). */
  readonly onOutput?: (stream: "stdout" | "stderr", chunk: Buffer) => void
}

/**
 * A container's place on a network.
 *
 * @category models
 */
export interface NetworkAttachment {
  readonly name: string
  /** Names other containers of the network reach this one by. */
  readonly aliases?: ReadonlyArray<string>
}

/**
 * A network created by the runtime (a bridge: its containers reach each other, the host reaches them).
 *
 * @category models
 */
export interface NetworkInfo {
  readonly name: string
  /** The host's address on the network (containers reach the host there). */
  readonly gateway: string
}

/**
 * A started, long-running container (a service).
 *
 * @category models
 */
export interface RunningContainer {
  readonly id: string
  /** Its address on its network ("" without one). */
  readonly ip: string
  /** Waits until it exits; succeeds with its exit code. */
  readonly exited: Effect.Effect<number, ContainerError>
  /** The last `lines` lines of its output (stdout and stderr as they arrived). */
  readonly logs: (lines: number) => string
  /** Stops it: SIGTERM then SIGKILL after a grace period, or SIGKILL at once. */
  readonly stop: (kill: boolean) => Effect.Effect<void, ContainerError>
}

/**
 * The outcome of a run.
 *
 * @category models
 */
export interface RunResult {
  readonly exitCode: number
  readonly stdout: Buffer
  readonly stderr: Buffer
  /** Present when `commit` was requested. */
  readonly imageId?: string
}

/**
 * A file or tree to put into an image at `path` (the parent directory of the archive's entries).
 *
 * @category models
 */
export interface ArchivePut {
  /** Directory in the container the tar stream is extracted into. */
  readonly path: string
  /** Produces a fresh tar stream (it may be called more than once on retries). */
  readonly tar: () => Readable
  /**
   * What the runtime needs to add the archive to an image as a layer of its own instead of extracting it into a
   * container (the Docker runtime then writes the files once, where a container and its commit write them twice):
   * the exact byte length of `tar()`'s stream (its end-of-archive blocks included) and its entry names (relative to
   * `path`, without a trailing `/`). Without it, the archive goes into a container.
   */
  readonly layer?: { readonly size: number; readonly names: ReadonlyArray<string> }
}

/**
 * A path of a container's init layer and what the image itself has there.
 *
 * @category models
 */
export type InitPath =
  | { readonly path: string; readonly state: "absent" }
  | { readonly path: string; readonly state: "present"; readonly source?: string | undefined }

/**
 * An image build from a Dockerfile (`docker build`).
 *
 * @category models
 */
export interface BuildSpec {
  /** Produces a fresh tar stream of the build context. */
  readonly context: () => Readable
  /** The Dockerfile's path inside the context (relative, `/`-separated). */
  readonly dockerfile: string
  /** Build arguments (`ARG`), by name. */
  readonly buildArgs: Readonly<Record<string, string>>
  /** The stage to build ("" = the last one). */
  readonly target: string
  /**
   * Secrets the Dockerfile can mount (`RUN --mount=type=secret,id=<name>`): plaintexts by name, served to BuildKit
   * through the build's session, never written anywhere.
   */
  readonly secrets?: Readonly<Record<string, string>> | undefined
  /** Applied to each line of build output passed on and to the failure message (the caller scrubs its secrets). */
  readonly redact?: ((text: string) => string) | undefined
  /** Called with each line of build output as it arrives (progress display). */
  readonly onOutput?: (line: string) => void
}

/**
 * Errors of the container runtime.
 *
 * @category errors
 */
export class ContainerError extends Schema.TaggedError<ContainerError>()("ContainerError", {
  reason: Schema.Literal("ImageNotFound", "DaemonUnavailable", "CreateFailed", "RunFailed", "CommitFailed", "ArchiveFailed", "PathNotFound", "BuildFailed"),
  detail: Schema.String,
  image: Schema.optional(Schema.String),
  containerId: Schema.optional(Schema.String),
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * The container runtime service.
 *
 * @category tags
 */
export class ContainerRuntime extends Context.Tag("dirk/Runtime/ContainerRuntime")<ContainerRuntime, {
  /**
   * A reference present in the local image store is used as is; otherwise it is pulled, with `credentials` when
   * given, else with those of the Docker client's config for the reference's registry (`Registry.credentialsFor`).
   */
  readonly resolveImage: (ref: string, credentials?: Credentials) => Effect.Effect<ResolvedImage, ContainerError>
  /** An empty image (no files), created once and reused. */
  readonly scratchImage: Effect.Effect<string, ContainerError>
  /** Create, attach, start, wait, optionally commit, and always remove a container. Interruption removes it too. */
  readonly run: (spec: RunSpec) => Effect.Effect<RunResult, ContainerError>
  /**
   * A container for a terminal: created with a TTY and an open stdin but NOT started; `attach` hands its id to the
   * client whose terminal it is (the client attaches, starts it, resizes it), then this waits until it has run and
   * exited, and removes it. Succeeds with its exit code. Interruption (the session ends) removes it.
   */
  readonly runTerminal: (
    spec: RunSpec,
    attach: (containerId: string) => Effect.Effect<void>
  ) => Effect.Effect<number, ContainerError>
  /**
   * Creates and starts a container that keeps running (a service; `commit` is ignored); it is killed and removed
   * when the scope closes.
   */
  readonly start: (spec: RunSpec) => Effect.Effect<RunningContainer, ContainerError, Scope.Scope>
  /**
   * Creates a bridge network (labelled like every object of this runtime), removed with the containers still on it
   * when the scope closes.
   */
  readonly createNetwork: (name: string, labels: Readonly<Record<string, string>>) => Effect.Effect<NetworkInfo, ContainerError, Scope.Scope>
  /**
   * Adds archives to `image`, in order, and returns the new image id: as one new layer when every put tells its size
   * (`ArchivePut.layer`) and the image's parents of its entries are directories, else extracted into a created
   * (never started) container of `image` that is then committed.
   */
  readonly putArchives: (image: string, puts: ReadonlyArray<ArchivePut>) => Effect.Effect<string, ContainerError>
  /**
   * Reads `path` of `image` as a tar stream (the entry names start with the basename of `path`; with a trailing `/`,
   * a symlink at `path` is followed and its target's contents come under that name), and hands it to
   * `use`; the temporary container is removed after `use` completes.
   */
  readonly getArchive: <A, E>(
    image: string,
    path: string,
    use: (tar: Readable) => Effect.Effect<A, E>
  ) => Effect.Effect<A, E | ContainerError>
  /**
   * Stats `path` in `image` (symlinks in parent directories are followed, the last component is not); `None` when
   * nothing is there.
   */
  readonly statPath: (image: string, path: string) => Effect.Effect<Option.Option<PathStat>, ContainerError>
  /** Reads `image` as a `docker save` archive (a tar stream) and hands it to `use`. */
  readonly saveImage: <A, E>(image: string, use: (tar: Readable) => Effect.Effect<A, E>) => Effect.Effect<A, E | ContainerError>
  /** The labels this runtime puts on what it creates (loaded images carry them too, so that cleanup finds them). */
  readonly ownLabels: Readonly<Record<string, string>>
  /** Loads a docker archive (`manifest.json`, config, layers) into the image store (`docker load`). */
  readonly loadImage: (tar: () => Readable) => Effect.Effect<void, ContainerError>
  /**
   * Builds an image from a Dockerfile. The image carries this runtime's labels (removed with its owner); its config's
   * labels are the Dockerfile's, without the runtime's own. A failed build is a "BuildFailed" error naming the
   * failing step, with the tail of its output.
   */
  readonly buildImage: (spec: BuildSpec) => Effect.Effect<ResolvedImage, ContainerError>
  /**
   * Removes every object carrying this engine's labels, or all objects of one owner; images for which `keep` holds
   * (the persistent cache's) stay.
   */
  readonly cleanup: (owner?: string, keep?: (imageId: string) => boolean) => Effect.Effect<void>
  /**
   * Removes what engines of this host whose process is gone (a crash, kill -9) left in Docker: their containers, and
   * their images for which `keep` does not hold.
   */
  readonly reapOrphans: (keep: (imageId: string) => boolean) => Effect.Effect<void>
  /**
   * What a container adds over its image that `getArchive` shows but the image does not hold (Docker's init layer:
   * `/.dockerenv`, `/etc/hosts`, `/etc/hostname`, `/etc/resolv.conf`, `/etc/mtab`, `/dev/console`, `/dev/pts`,
   * `/dev/shm`, `/proc`, `/sys` and their parents), for the paths at or below `path`: each is either not in the image
   * (`absent`) or in it, with `source` the host path of the image's own file when the runtime can read its layers.
   */
  readonly initLayerPaths: (image: string, path: string) => Effect.Effect<ReadonlyArray<InitPath>, ContainerError>
  /** Removes an image (a missing one is fine; one with child images stays: Docker keeps it for them). */
  readonly removeImage: (imageId: string) => Effect.Effect<void, ContainerError>
  /** The size in bytes of an image with its parents (Docker's `Size`), or `None` when it is not in the store. */
  readonly imageSize: (imageId: string) => Effect.Effect<Option.Option<number>, ContainerError>
  /** Changes the CPU weight of a running container (see `RunSpec.cpuShares`). */
  readonly setCpuShares: (containerId: string, shares: number) => Effect.Effect<void, ContainerError>
}>() {}

/**
 * A runtime whose unimplemented methods die: for unit tests of pure logic.
 *
 * @category layers
 */
export const layerTest = (impl: Partial<ContainerRuntime["Type"]>): Layer.Layer<ContainerRuntime> =>
  Layer.succeed(ContainerRuntime, {
    resolveImage: () => Effect.dieMessage("ContainerRuntime.resolveImage not implemented in this test"),
    scratchImage: Effect.dieMessage("ContainerRuntime.scratchImage not implemented in this test"),
    run: () => Effect.dieMessage("ContainerRuntime.run not implemented in this test"),
    runTerminal: () => Effect.dieMessage("ContainerRuntime.runTerminal not implemented in this test"),
    start: () => Effect.dieMessage("ContainerRuntime.start not implemented in this test"),
    createNetwork: () => Effect.dieMessage("ContainerRuntime.createNetwork not implemented in this test"),
    putArchives: () => Effect.dieMessage("ContainerRuntime.putArchives not implemented in this test"),
    getArchive: () => Effect.dieMessage("ContainerRuntime.getArchive not implemented in this test"),
    statPath: () => Effect.dieMessage("ContainerRuntime.statPath not implemented in this test"),
    ownLabels: {},
    saveImage: () => Effect.dieMessage("ContainerRuntime.saveImage not implemented in this test"),
    loadImage: () => Effect.dieMessage("ContainerRuntime.loadImage not implemented in this test"),
    buildImage: () => Effect.dieMessage("ContainerRuntime.buildImage not implemented in this test"),
    cleanup: () => Effect.void,
    reapOrphans: () => Effect.void,
    initLayerPaths: () => Effect.succeed([]),
    imageSize: () => Effect.succeed(Option.some(0)),
    setCpuShares: () => Effect.void,
    removeImage: () => Effect.void,
    ...impl
  })
