/**
 * The Docker implementation of the container runtime port, over dockerode.
 *
 * Every object it creates carries the labels `dirk.engine=1` and `dirk.owner=<owner>`, where the owner is an id of
 * this engine process (random unless given), so that `cleanup` and crash recovery can find them. Committed images
 * inherit the labels from their container's config. Containers are created with an empty entrypoint and the full argv
 * as command, and are always removed; interruption kills and removes them.
 */
import Dockerode from "dockerode"
import { Config, ConfigError, Context, Deferred, Effect, Exit, FiberSet, Layer, Option, Ref, Schedule } from "effect"
import { createHash, randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as posix from "node:path/posix"
import type { Duplex, Readable } from "node:stream"
import { Writable } from "node:stream"
import * as TarStream from "tar-stream"
import {
  type ArchivePut,
  type BuildSpec,
  ContainerError,
  ContainerRuntime,
  type ImageConfig,
  type InitPath,
  type NetworkInfo,
  type RunningContainer,
  type ResolvedImage,
  type RunResult,
  type PathStat,
  type RunSpec,
  type VolumeOptions
} from "./ContainerRuntime.js"
import * as DockerBuild from "./internal/dockerBuild.js"
import * as DockerErrors from "./internal/dockerErrors.js"
import * as Pause from "./internal/Pause.js"
import * as ImageLayer from "./internal/imageLayer.js"
import * as Tar from "./internal/tar.js"
import * as Registry from "./Registry.js"

/**
 * Label carried by every container and image the engine creates.
 *
 * @category constants
 */
export const labelEngine = "dirk.engine"

/**
 * Label naming the engine process (owner) that created a container or image.
 *
 * @category constants
 */
export const labelOwner = "dirk.owner"

/**
 * Label carried by every volume the engine creates (cache volumes).
 *
 * @category constants
 */
export const labelVolume = "dirk.volume"

/**
 * Where a volume is mounted in the container that initializes it: `VolumeOptions.init` archives name their entries
 * under this directory (`volume/…`; the entry `volume/` is the volume's root).
 *
 * @category constants
 */
export const volumeInitDir = "volume"

/**
 * The tag of the empty image.
 *
 * @category constants
 */
export const scratchTag = "dirk.local/scratch:latest"

/**
 * The default daemon address when `DOCKER_HOST` is not set.
 *
 * @category constants
 */
export const defaultHost = "unix:///var/run/docker.sock"

/**
 * A connection to a Docker daemon.
 *
 * @category tags
 */
export class DockerClient extends Context.Tag("dirk/Runtime/Docker/DockerClient")<DockerClient, {
  readonly docker: Dockerode
  /** The daemon address, for messages (`unix:///var/run/docker.sock`, `tcp://host:2375`). */
  readonly host: string
}>() {}

/**
 * Parses a `DOCKER_HOST` value (`unix:///path`, `tcp://host:port`, `http(s)://host:port`) into dockerode options.
 *
 * @category constructors
 */
export const parseHost = (host: string): Option.Option<Dockerode.DockerOptions> => {
  if (host.startsWith("unix://")) {
    const socketPath = host.slice("unix://".length)
    return Option.some({ socketPath: socketPath.length > 0 ? socketPath : "/var/run/docker.sock" })
  }
  const match = /^(tcp|http|https):\/\/([^:/]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(host)
  if (match === null) return Option.none()
  const [, scheme, hostname, port] = match
  const protocol = scheme === "https" ? "https" : "http"
  return Option.some({
    host: hostname ?? "localhost",
    port: Number(port ?? (protocol === "https" ? 2376 : 2375)),
    protocol
  })
}

/**
 * A client for the daemon at `host`.
 *
 * @category constructors
 */
export const makeClient = (host: string): Effect.Effect<DockerClient["Type"], ConfigError.ConfigError> =>
  Option.match(parseHost(host), {
    onNone: () =>
      Effect.fail(
        ConfigError.InvalidData(
          ["DOCKER_HOST"],
          `unsupported DOCKER_HOST ${host} (expected unix:///path or tcp://host:port)`
        )
      ),
    onSome: (options) => Effect.sync(() => ({ docker: new Dockerode(options), host }))
  })

/**
 * The daemon named by `DOCKER_HOST`, else the default socket `/var/run/docker.sock`.
 *
 * @category layers
 */
export const layerClient: Layer.Layer<DockerClient, ConfigError.ConfigError> = Layer.effect(
  DockerClient,
  Effect.gen(function*() {
    const host = yield* Config.string("DOCKER_HOST").pipe(
      Config.withDefault(defaultHost),
      Config.map((value) => value.trim().length > 0 ? value.trim() : defaultHost)
    )
    return yield* makeClient(host)
  })
)

const unreachable = (host: string, code: string, cause: unknown): ContainerError =>
  new ContainerError({
    reason: "DaemonUnavailable",
    detail: code === "EACCES" || code === "EPERM"
      ? `permission denied on the Docker daemon socket at ${host}: run as root or join the docker group`
      : `cannot reach the Docker daemon at ${host} (${code}): is dockerd running? (bash scripts/setup.sh starts one)`,
    cause
  })

/**
 * Checks that the daemon answers.
 *
 * @category constructors
 */
export const ping: Effect.Effect<void, ContainerError, DockerClient> = Effect.gen(function*() {
  const { docker, host } = yield* DockerClient
  yield* Effect.tryPromise({
    try: () => docker.ping(),
    catch: (cause) =>
      unreachable(host, DockerErrors.unreachableCode(cause) ?? DockerErrors.daemonMessage(cause), cause)
  })
})

interface CallContext {
  readonly reason: ContainerError["reason"]
  readonly detail: string
  readonly image?: string | undefined
  readonly containerId?: string | undefined
}

/** Where the pause program is bound in containers whose command runs as an exec (on /dev's tmpfs, not the rootfs). */
const pauseTarget = "/dev/.dirk-pause"

const isStatus = (status: number) => (error: ContainerError): boolean =>
  error.reason !== "DaemonUnavailable" && DockerErrors.statusOf(error.cause) === status

const imageConfig = (info: Dockerode.ImageInspectInfo): ImageConfig => {
  const config = info.Config
  return {
    env: config?.Env ?? [],
    entrypoint: typeof config?.Entrypoint === "string" ? [config.Entrypoint] : config?.Entrypoint ?? [],
    cmd: config?.Cmd ?? [],
    workdir: config?.WorkingDir ?? "",
    user: config?.User ?? "",
    labels: config?.Labels ?? {},
    exposedPorts: Object.keys(config?.ExposedPorts ?? {})
  }
}

/** A writable that collects chunks and reports each one. */
const collector = (onChunk: (chunk: Buffer) => void): { readonly sink: Writable; readonly chunks: Array<Buffer> } => {
  const chunks: Array<Buffer> = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk)
      try {
        onChunk(chunk)
      } catch {
        // A failing progress callback must not lose the output or crash the demultiplexer.
      }
      callback()
    }
  })
  return { sink, chunks }
}

// The grammar of image references (distribution's reference package): [domain/]path[:tag][@digest], or an image id.
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`
const pathComponent = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
const name = `(?:${domain}/)?${pathComponent}(?:/${pathComponent})*`
const tag = "[\\w][\\w.-]{0,127}"
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
const referencePattern = new RegExp(`^${name}(?::${tag})?(?:@${digest})?$`)
const imageIdPattern = /^(?:sha256:)?[0-9a-f]{64}$/

/**
 * Why `ref` is not a valid image reference (or image id), or `undefined` when it is.
 *
 * @category parsing
 */
export const invalidReference = (ref: string): string | undefined => {
  if (ref === "") return "the address is empty"
  if (imageIdPattern.test(ref)) return undefined
  if (ref.length > 255 + 128 + 80) return "the address is too long"
  if (!referencePattern.test(ref)) return "not a valid reference (expected [registry/]name[:tag][@digest], e.g. \"busybox:latest\")"
  return undefined
}

/**
 * The label holding the pid of the engine process that created an object, and the one holding its host name: an
 * object whose engine process is gone is an orphan (the engine crashed or was killed), removed by the next engine.
 *
 * @category constants
 */
export const labelPid = "dirk.pid"

/** @category constants */
export const labelHost = "dirk.host"

/**
 * The label holding the state dir of the engine that made an image: its persistent cache may keep the image after
 * that engine ends; engines of other state dirs leave it alone, unless that state dir is gone.
 *
 * @category constants
 */
export const labelState = "dirk.state"

const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch (e) {
    return (e as { code?: string }).code === "EPERM"
  }
  // a zombie (killed, not reaped yet by its parent) answers signal 0 but is dead
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return true
  }
}

/** The paths Docker's init layer puts into every container (daemon/initlayer), parents before children. */
const initPaths: ReadonlyArray<string> = [
  "/.dockerenv",
  "/dev",
  "/dev/console",
  "/dev/pts",
  "/dev/shm",
  "/etc",
  "/etc/hostname",
  "/etc/hosts",
  "/etc/mtab",
  "/etc/resolv.conf",
  "/proc",
  "/sys"
]

/**
 * A fresh owner id for an engine process (`dirk-` and 12 hex digits).
 *
 * @category constructors
 */
export const makeOwnerId = (): string => `dirk-${randomBytes(6).toString("hex")}`

/** Whether a run has something for its process's stdin. */
const hasStdin = (spec: RunSpec): boolean => spec.stdin !== undefined || spec.stdinFile !== undefined

/**
 * Builds the Docker runtime for `owner` (a random id when not given).
 *
 * @category constructors
 */
export const make = (options?: {
  readonly owner?: string
  readonly stateDir?: string
  /** Archives smaller than this go into containers, not layers (default `DIRK_LAYER_MIN_BYTES`, else 8 MiB). */
  readonly layerMinBytes?: number
}) =>
  Effect.gen(function*() {
    const { docker, host } = yield* DockerClient
    const owner = options?.owner ?? makeOwnerId()
    const ownLabels: Readonly<Record<string, string>> = {
      [labelEngine]: "1",
      [labelOwner]: owner,
      [labelPid]: String(process.pid),
      [labelHost]: os.hostname(),
      ...(options?.stateDir !== undefined ? { [labelState]: options.stateDir } : {})
    }

    /** Fails (DaemonUnavailable) once the daemon stops answering; never succeeds. */
    const daemonGone: Effect.Effect<never, ContainerError> = Effect.tryPromise({
      try: () => docker.ping(),
      catch: (cause) => unreachable(host, DockerErrors.unreachableCode(cause) ?? "no answer", cause)
    }).pipe(
      Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => unreachable(host, "no answer in 10 s", undefined) }),
      Effect.zipRight(Effect.sleep("2 seconds")),
      Effect.forever
    )

    /** Runs one dockerode call; failures become ContainerErrors (DaemonUnavailable when the socket is dead). */
    const call = <A>(ctx: CallContext, f: (signal: AbortSignal) => Promise<A>): Effect.Effect<A, ContainerError> =>
      Effect.tryPromise({
        try: f,
        catch: (cause) => {
          const code = DockerErrors.unreachableCode(cause)
          if (code !== undefined) return unreachable(host, code, cause)
          return new ContainerError({
            reason: ctx.reason,
            detail: `${ctx.detail}: ${DockerErrors.daemonMessage(cause)}`,
            ...(ctx.image !== undefined ? { image: ctx.image } : {}),
            ...(ctx.containerId !== undefined ? { containerId: ctx.containerId } : {}),
            cause
          })
        }
      })

    const removals = yield* FiberSet.make<void, never>()
    yield* Effect.addFinalizer(() => FiberSet.awaitEmpty(removals).pipe(Effect.timeout("60 seconds"), Effect.ignore))

    const removeContainer = (container: Dockerode.Container): Effect.Effect<void> =>
      call(
        { reason: "RunFailed", detail: `removing container ${container.id}`, containerId: container.id },
        (signal) => container.remove({ force: true, v: true, abortSignal: signal })
      ).pipe(
        // already gone, or another finalizer is removing it (Ctrl-C races the run's own cleanup): both are success
        Effect.catchIf((error) => isStatus(404)(error) || isStatus(409)(error), () => Effect.void),
        Effect.timeout("10 seconds"),
        Effect.tapError((error) => Effect.logWarning(`could not remove container ${container.id}: ${error.message}`)),
        Effect.ignore
      )

    /** A container of `options.Image` that is removed (killed first if running) when the scope closes. */
    const createContainer = (createOptions: Dockerode.ContainerCreateOptions) => {
      const image = createOptions.Image ?? ""
      return Effect.acquireRelease(
        call(
          { reason: "CreateFailed", detail: `creating a container of ${image}`, image },
          () => docker.createContainer({ ...createOptions, Labels: { ...createOptions.Labels, ...ownLabels } })
        ).pipe(
          Effect.mapError((error) =>
            isStatus(404)(error)
              ? new ContainerError({
                reason: "ImageNotFound",
                detail: `image ${image} not found: ${DockerErrors.daemonMessage(error.cause)}`,
                image,
                cause: error.cause
              })
              : error
          )
        ),
        // after a success, removed in the background: deleting a container with a large filesystem takes a while,
        // and nothing the caller gets depends on it (the engine waits for these removals before it ends); after a
        // failure or an interruption, removed before going on
        (container, exit) =>
          Exit.isSuccess(exit) ? Effect.asVoid(FiberSet.run(removals, removeContainer(container))) : removeContainer(container)
      )
    }

    const inspectImage = (ref: string): Effect.Effect<Option.Option<Dockerode.ImageInspectInfo>, ContainerError> =>
      call({ reason: "ImageNotFound", detail: `inspecting image ${ref}`, image: ref }, () =>
        docker.getImage(ref).inspect()).pipe(
          Effect.map(Option.some),
          Effect.catchIf(isStatus(404), () => Effect.succeedNone)
        )

    /** Reads a progress stream (pull, import) to its end; an error entry in it fails. */
    const followProgress = (stream: NodeJS.ReadableStream, ctx: CallContext): Effect.Effect<void, ContainerError> =>
      Effect.async<void, ContainerError>((resume) => {
        docker.modem.followProgress(stream, (err: unknown, output: ReadonlyArray<unknown>) => {
          const failed = output.find((entry) =>
            typeof entry === "object" && entry !== null && "error" in entry
          ) as { readonly error?: unknown; readonly errorDetail?: { readonly message?: unknown } } | undefined
          if (err !== null && err !== undefined) {
            resume(Effect.fail(
              new ContainerError({ ...ctx, detail: `${ctx.detail}: ${DockerErrors.daemonMessage(err)}`, cause: err })
            ))
          } else if (failed !== undefined) {
            const message = String(failed.errorDetail?.message ?? failed.error)
            resume(Effect.fail(new ContainerError({ ...ctx, detail: `${ctx.detail}: ${message}`, cause: failed })))
          } else {
            resume(Effect.void)
          }
        })
        return Effect.sync(() => (stream as Readable).destroy())
      })

    const resolveImage = Effect.fn("ContainerRuntime.resolveImage")(function*(ref: string, explicit?: Registry.Credentials) {
      const invalid = invalidReference(ref)
      if (invalid !== undefined) {
        return yield* new ContainerError({ reason: "ImageNotFound", detail: `invalid image address ${JSON.stringify(ref)}: ${invalid}`, image: ref })
      }
      const local = yield* inspectImage(ref)
      if (Option.isSome(local)) {
        return { imageId: local.value.Id, config: imageConfig(local.value), repoDigests: local.value.RepoDigests ?? [] } satisfies ResolvedImage
      }
      const notFound = `image ${ref} not found (not in the local image store, and pulling it failed)`
      yield* Effect.logDebug(`pulling ${ref}`)
      const pullCtx: CallContext = { reason: "ImageNotFound", detail: notFound, image: ref }
      const parsed = Registry.parseReference(ref)
      const credentials = explicit ??
        (parsed === undefined ? undefined : yield* Effect.sync(() => Registry.credentialsFor(parsed.domain)))
      const authconfig = credentials === undefined || parsed === undefined
        ? {}
        : { authconfig: { ...credentials, serveraddress: parsed.domain === "docker.io" ? "https://index.docker.io/v1/" : parsed.domain } }
      const stream = yield* call(pullCtx, (signal) => docker.pull(ref, { abortSignal: signal, ...authconfig }))
      yield* followProgress(stream, pullCtx)
      const pulled = yield* inspectImage(ref)
      if (Option.isNone(pulled)) {
        return yield* new ContainerError({
          reason: "ImageNotFound",
          detail: `image ${ref} not found after pulling it`,
          image: ref
        })
      }
      return { imageId: pulled.value.Id, config: imageConfig(pulled.value), repoDigests: pulled.value.RepoDigests ?? [] } satisfies ResolvedImage
    })

    const scratchId = yield* Ref.make(Option.none<string>())
    const scratchLock = yield* Effect.makeSemaphore(1)
    const createScratch = Effect.gen(function*() {
      const existing = yield* inspectImage(scratchTag)
      if (Option.isSome(existing)) return existing.value.Id
      const ctx: CallContext = {
        reason: "CreateFailed",
        detail: `creating the empty image ${scratchTag}`,
        image: scratchTag
      }
      const stream = yield* call(ctx, () =>
        docker.importImage(Tar.empty(), {
          repo: "dirk.local/scratch",
          tag: "latest",
          message: "dirk: empty image",
          changes: ["LABEL dirk.image=scratch"]
        }))
      yield* followProgress(stream, ctx)
      const created = yield* inspectImage(scratchTag)
      if (Option.isNone(created)) {
        return yield* new ContainerError({ ...ctx, detail: `${ctx.detail}: not found after the import` })
      }
      return created.value.Id
    })
    const scratchImage: Effect.Effect<string, ContainerError> = scratchLock.withPermits(1)(
      Effect.flatMap(Ref.get(scratchId), (cached) =>
        Option.match(cached, {
          onSome: Effect.succeed,
          onNone: () => createScratch.pipe(Effect.tap((id) => Ref.set(scratchId, Option.some(id))))
        }))
    ).pipe(Effect.withSpan("ContainerRuntime.scratchImage"))

    const commit = (container: Dockerode.Container, image: string) =>
      call(
        { reason: "CommitFailed", detail: `committing container ${container.id}`, image, containerId: container.id },
        (signal) => container.commit({ abortSignal: signal }) as Promise<{ readonly Id: string }>
      ).pipe(Effect.map((result) => result.Id))

    /**
     * The create options of a container that runs `spec` (no entrypoint: `args` is the whole argv): with a TTY (a
     * terminal, `TERM=xterm` added) or without, and with stdin open or not.
     */
    const containerOptions = (
      spec: RunSpec,
      o: { readonly tty: boolean; readonly stdin: boolean; readonly withSecrets?: boolean }
    ): Dockerode.ContainerCreateOptions => ({
      Image: spec.image,
      Entrypoint: [],
      Cmd: [...spec.args],
      Env: [...spec.env, ...(o.withSecrets ? spec.secretEnv ?? [] : []), ...(o.tty ? ["TERM=xterm"] : [])],
      ...(spec.workdir.length > 0 ? { WorkingDir: spec.workdir } : {}),
      ...(spec.user.length > 0 ? { User: spec.user } : {}),
      Labels: { ...spec.labels },
      Tty: o.tty,
      AttachStdin: o.stdin,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: o.stdin,
      StdinOnce: o.stdin,
      HostConfig: {
        ...(spec.cpuShares !== undefined ? { CpuShares: spec.cpuShares } : {}),
        Binds: spec.binds.map((bind) =>
          `${bind.source}:${bind.target}:${bind.readOnly ? "ro" : "rw"}${bind.volume !== undefined ? ",nocopy" : ""}`
        ),
        ...(spec.tmpfs !== undefined && spec.tmpfs.length > 0
          ? {
            Tmpfs: Object.fromEntries(spec.tmpfs.map((path) => {
              const size = spec.tmpfsSize?.[path]
              return [path, size !== undefined && size > 0 ? `rw,exec,size=${size}` : "rw,exec"]
            }))
          }
          : {}),
        NetworkMode: typeof spec.network === "object" ? spec.network.name : spec.network ?? "none",
        ...(spec.extraHosts !== undefined && spec.extraHosts.length > 0 ? { ExtraHosts: [...spec.extraHosts] } : {}),
        ...(spec.init === true ? { Init: true } : {})
      },
      ...(typeof spec.network === "object"
        ? { NetworkingConfig: { EndpointsConfig: { [spec.network.name]: { Aliases: [...(spec.network.aliases ?? [])] } } } }
        : {})
    })

    /** The pause program on the host (written once), bound into containers whose command runs as an exec. */
    const pauseProgram = Effect.sync(() => {
      const dir = options?.stateDir !== undefined ? posix.join(options.stateDir, "bin") : os.tmpdir()
      const file = posix.join(dir, `dirk-pause-${process.arch}`)
      if (!fs.existsSync(file)) {
        const bytes = Pause.program()
        if (bytes === undefined) return undefined
        fs.mkdirSync(dir, { recursive: true })
        const tmp = `${file}.${process.pid}.tmp`
        fs.writeFileSync(tmp, bytes, { mode: 0o755 })
        fs.renameSync(tmp, file)
      }
      return file
    })

    /** Creates the named volumes `spec` binds (when they do not exist yet). */
    const ensureVolumes = (spec: RunSpec) =>
      Effect.forEach(spec.binds, (bind) => (bind.volume !== undefined ? ensureVolume(bind.source, bind.volume) : Effect.void), {
        discard: true
      })

    /**
     * Splits an attached (multiplexed) stream into stdout and stderr, kept and passed to `spec.onOutput` as they
     * arrive; `ended` resolves when the stream is done.
     */
    const demux = (stream: Duplex, spec: RunSpec) => {
      const stdout = collector((chunk) => spec.onOutput?.("stdout", chunk))
      const stderr = collector((chunk) => spec.onOutput?.("stderr", chunk))
      const ended = new Promise<void>((resolve) => {
        stream.once("end", () => resolve())
        stream.once("close", () => resolve())
        stream.on("error", () => resolve())
      })
      docker.modem.demuxStream(stream, stdout.sink, stderr.sink)
      return { stdout, stderr, ended }
    }

    /**
     * Runs a command with secret variables: the container's PID 1 is the pause program (bound at `pauseTarget`, in
     * the container's /dev tmpfs, so not in its filesystem), and the command runs as a Docker exec whose environment
     * adds the secrets. Docker records a container's create config in the images committed from it (Docker 20's
     * `ContainerConfig`): this way the secrets are in no container config, so in no image.
     */
    const runViaExec = (spec: RunSpec) =>
      Effect.scoped(Effect.gen(function*() {
        const withStdin = hasStdin(spec)
        const pause = yield* pauseProgram
        if (pause === undefined) {
          return yield* new ContainerError({
            reason: "RunFailed",
            detail: `secret variables are not supported on ${process.arch} (no pause program for it)`,
            image: spec.image
          })
        }
        const base = containerOptions(spec, { tty: false, stdin: false })
        const container = yield* createContainer({
          ...base,
          Cmd: [pauseTarget],
          User: "",
          HostConfig: { ...base.HostConfig, Binds: [...(base.HostConfig?.Binds ?? []), `${pause}:${pauseTarget}:ro`] }
        })
        const id = container.id
        if (spec.archives !== undefined) yield* putAll(container, spec.image, spec.archives)
        const input = yield* stdinOf(container, spec)
        const ctx = (detail: string): CallContext => ({ reason: "RunFailed", detail, image: spec.image, containerId: id })
        yield* call(ctx(`starting container ${id}`), (signal) => container.start({ abortSignal: signal }))
        const exec = yield* call(ctx(`creating the exec in container ${id}`), () =>
          container.exec({
            Cmd: [...spec.args],
            Env: [...(spec.secretEnv ?? [])],
            ...(spec.user.length > 0 ? { User: spec.user } : {}),
            ...(spec.workdir.length > 0 ? { WorkingDir: spec.workdir } : {}),
            AttachStdin: withStdin,
            AttachStdout: true,
            AttachStderr: true
          }))
        const stream = yield* Effect.acquireRelease(
          call(ctx(`starting the exec in container ${id}`), () =>
            exec.start({ hijack: true, stdin: withStdin }) as Promise<Duplex>),
          (attached) => Effect.sync(() => attached.destroy())
        )
        const { stdout, stderr, ended } = demux(stream as Duplex, spec)
        if (input !== undefined) {
          yield* Effect.sync(() => {
            stream.write(input)
            stream.end()
          })
        }
        yield* Effect.raceFirst(Effect.promise(() => ended), daemonGone)
        // the stream may end just before Docker records the exit code: ask until it has one
        const inspect = call(ctx(`inspecting the exec in container ${id}`), () =>
          exec.inspect() as Promise<{ readonly ExitCode: number | null; readonly Running: boolean }>)
        let inspected = yield* inspect
        for (let i = 0; i < 250 && (inspected.Running || inspected.ExitCode === null); i++) {
          yield* Effect.sleep("20 millis")
          inspected = yield* inspect
        }
        let exitCode = inspected.ExitCode ?? 126
        // a command that cannot start: the runtime's message comes on stdout; report it as the exec's error
        const message = Buffer.concat(stdout.chunks).toString("utf8")
        const noUser = /unable to find (user|group) [^:\n]+: no matching entries in (passwd|group) file/.exec(message)
        if (noUser !== null && exitCode !== 0) {
          return yield* new ContainerError({
            reason: "RunFailed",
            detail: `starting the exec in container ${id}: ${noUser[0]}`,
            image: spec.image,
            containerId: id
          })
        }
        const failedStart = /OCI runtime exec failed/.test(message) ? DockerErrors.execFailureExitCode(message) : undefined
        if (failedStart !== undefined) {
          exitCode = failedStart
          stderr.chunks.push(...stdout.chunks.splice(0))
        }
        yield* call(ctx(`stopping container ${id}`), (signal) => container.kill({ abortSignal: signal })).pipe(Effect.ignore)
        yield* call(ctx(`waiting for container ${id}`), (signal) => container.wait({ abortSignal: signal }))
        const imageId = spec.commit ? yield* commit(container, spec.image) : undefined
        const result: RunResult = {
          exitCode,
          stdout: Buffer.concat(stdout.chunks),
          stderr: Buffer.concat(stderr.chunks),
          ...(imageId !== undefined ? { imageId } : {})
        }
        return result
      }))

    const run = Effect.fn("ContainerRuntime.run")(function*(given: RunSpec) {
      yield* ensureVolumes(given)
      const spec = yield* layered(given)
      if (spec.secretEnv !== undefined && spec.secretEnv.length > 0) return yield* runViaExec(spec)
      const withStdin = hasStdin(spec)
      const ctx = (detail: string, containerId: string): CallContext => ({
        reason: "RunFailed",
        detail,
        image: spec.image,
        containerId
      })
      return yield* Effect.scoped(Effect.gen(function*() {
        const container = yield* createContainer(containerOptions(spec, { tty: false, stdin: withStdin }))
        const id = container.id
        spec.onCreated?.(id)
        if (spec.archives !== undefined) yield* putAll(container, spec.image, spec.archives)
        const input = yield* stdinOf(container, spec)

        // Attach before start, so that no output is lost.
        const stream = yield* Effect.acquireRelease(
          call(ctx(`attaching to container ${id}`, id), () =>
            container.attach({ stream: true, stdout: true, stderr: true, stdin: withStdin, hijack: withStdin })),
          (attached) => Effect.sync(() => (attached as Duplex).destroy())
        )
        const { stdout, stderr, ended } = demux(stream as Duplex, spec)

        const started = yield* call(ctx(`starting container ${id}`, id), (signal) =>
          container.start({ abortSignal: signal })).pipe(
            Effect.as(Option.none<{ readonly exitCode: number; readonly message: string }>()),
            Effect.catchIf(
              (error) =>
                error.reason !== "DaemonUnavailable" &&
                DockerErrors.execFailureExitCode(DockerErrors.daemonMessage(error.cause)) !== undefined,
              (error) => {
                const message = DockerErrors.daemonMessage(error.cause)
                return Effect.succeed(Option.some({
                  exitCode: DockerErrors.execFailureExitCode(message) ?? 127,
                  message
                }))
              }
            )
          )

        let exitCode: number
        if (Option.isSome(started)) {
          // Dagger reports a missing binary as an exec error, not as an engine failure.
          exitCode = started.value.exitCode
          stderr.chunks.push(Buffer.from(`${started.value.message}\n`))
        } else {
          if (input !== undefined) {
            yield* Effect.sync(() => {
              const writable = stream as NodeJS.ReadWriteStream
              writable.write(input)
              writable.end()
            })
          }
          // A daemon that goes away can leave the wait hanging: while waiting, check every 2 s that it still answers
          const waited = yield* Effect.raceFirst(
            call(ctx(`waiting for container ${id}`, id), (signal) =>
              container.wait({ abortSignal: signal }) as Promise<{ readonly StatusCode: number }>),
            daemonGone
          )
          exitCode = waited.StatusCode
          // All output has arrived once the attach stream ends (shortly after the exit).
          yield* Effect.promise(() => ended).pipe(Effect.timeout("10 seconds"), Effect.ignore)
        }

        const imageId = spec.commit ? yield* commit(container, spec.image) : undefined
        const result: RunResult = {
          exitCode,
          stdout: Buffer.concat(stdout.chunks),
          stderr: Buffer.concat(stderr.chunks),
          ...(imageId !== undefined ? { imageId } : {})
        }
        return result
      }))
    })

    /** Keeps the last `max` bytes written to it (a service's output, for errors). */
    const tailBuffer = (max: number) => {
      let chunks: Array<Buffer> = []
      let size = 0
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          chunks.push(chunk)
          size += chunk.length
          while (size - (chunks[0]?.length ?? 0) >= max && chunks.length > 1) size -= chunks.shift()!.length
          callback()
        }
      })
      const lines = (n: number) => {
        const text = Buffer.concat(chunks).toString("utf8").replace(/\n$/, "")
        return text === "" ? "" : text.split("\n").slice(-n).join("\n")
      }
      return { sink, lines, reset: () => { chunks = []; size = 0 } }
    }

    const start = (spec: RunSpec) =>
      Effect.gen(function*() {
        yield* ensureVolumes(spec)
        // a service is never committed: its secret variables can be in its environment
        const container = yield* createContainer(containerOptions(spec, { tty: false, stdin: false, withSecrets: true }))
        // a service is removed (killed first) before its scope is done closing, not in the background: whoever ends
        // it (stop, the session's end, Ctrl-C) finds it gone, and its network can go next
        yield* Effect.addFinalizer(() => removeContainer(container))
        const id = container.id
        const ctx = (detail: string): CallContext => ({ reason: "RunFailed", detail, image: spec.image, containerId: id })
        const stream = yield* Effect.acquireRelease(
          call(ctx(`attaching to container ${id}`), () => container.attach({ stream: true, stdout: true, stderr: true })),
          (attached) => Effect.sync(() => (attached as Duplex).destroy())
        )
        const output = tailBuffer(64 * 1024)
        docker.modem.demuxStream(stream, output.sink, output.sink)
        yield* call(ctx(`starting container ${id}`), (signal) => container.start({ abortSignal: signal }))
        const info = yield* call(ctx(`inspecting container ${id}`), (signal) => container.inspect({ abortSignal: signal }))
        const networkName = typeof spec.network === "object" ? spec.network.name : undefined
        const ip = networkName === undefined ? "" : info.NetworkSettings.Networks[networkName]?.IPAddress ?? ""
        // one wait for all who ask (a waiter that gives up does not cancel it for the others)
        const exit = yield* Deferred.make<number, ContainerError>()
        yield* Effect.raceFirst(
          call(ctx(`waiting for container ${id}`), (signal) =>
            container.wait({ abortSignal: signal }) as Promise<{ readonly StatusCode: number }>),
          daemonGone
        ).pipe(Effect.map((w) => w.StatusCode), Effect.exit, Effect.flatMap((e) => Deferred.done(exit, e)), Effect.forkScoped)
        const exited = Deferred.await(exit)
        const stop = (kill: boolean) =>
          call(ctx(`stopping container ${id}`), (signal) =>
            kill ? container.kill({ abortSignal: signal }) : container.stop({ t: 10, abortSignal: signal })).pipe(
              // not running any more: stopped already
              Effect.catchIf((e) => isStatus(304)(e) || isStatus(404)(e) || isStatus(409)(e), () => Effect.void),
              Effect.asVoid
            )
        const logs = (lines: number) => (spec.redact === undefined ? output.lines(lines) : spec.redact(output.lines(lines)))
        return { id, ip, exited, logs, stop } satisfies RunningContainer
      }).pipe(Effect.withSpan("ContainerRuntime.start"))

    const removeNetwork = (name: string): Effect.Effect<void> =>
      Effect.gen(function*() {
        const network = docker.getNetwork(name)
        const ctx: CallContext = { reason: "RunFailed", detail: `removing network ${name}` }
        const info = yield* call(ctx, () => network.inspect() as Promise<{ Containers?: Record<string, unknown> }>)
        // containers still on it (removed in the background after their run): off the network first
        yield* Effect.forEach(Object.keys(info.Containers ?? {}), (cid) =>
          call(ctx, () => network.disconnect({ Container: cid, Force: true })).pipe(Effect.ignore), { discard: true })
        yield* call(ctx, (signal) => network.remove({ abortSignal: signal })).pipe(
          Effect.retry({ times: 5, schedule: Schedule.spaced("300 millis") })
        )
      }).pipe(
        Effect.catchIf((e) => isStatus(404)(e), () => Effect.void),
        Effect.timeout("20 seconds"),
        Effect.tapError((error) => Effect.logWarning(`could not remove network ${name}: ${String(error)}`)),
        Effect.ignore
      )

    const createNetwork = (name: string, labels: Readonly<Record<string, string>>) =>
      Effect.acquireRelease(
        Effect.gen(function*() {
          const ctx: CallContext = { reason: "CreateFailed", detail: `creating network ${name}` }
          const network = yield* call(ctx, () =>
            docker.createNetwork({ Name: name, Driver: "bridge", CheckDuplicate: true, Labels: { ...labels, ...ownLabels } }))
          const info = yield* call(ctx, () => network.inspect() as Promise<{ IPAM?: { Config?: Array<{ Gateway?: string }> } }>)
          const gateway = info.IPAM?.Config?.find((c) => c.Gateway !== undefined)?.Gateway ?? ""
          return { name, gateway } satisfies NetworkInfo
        }),
        (n) => removeNetwork(n.name)
      ).pipe(Effect.withSpan("ContainerRuntime.createNetwork"))

    const runTerminal = Effect.fn("ContainerRuntime.runTerminal")(function*(
      spec: RunSpec,
      attach: (containerId: string) => Effect.Effect<void>
    ) {
      yield* ensureVolumes(spec)
      return yield* Effect.scoped(Effect.gen(function*() {
        const container = yield* createContainer(containerOptions(spec, { tty: true, stdin: true, withSecrets: true }))
        const id = container.id
        yield* attach(id)
        // the client starts it: wait until it has started and exited (a created container has not run yet)
        for (;;) {
          const info = yield* call(
            { reason: "RunFailed", detail: `inspecting container ${id}`, image: spec.image, containerId: id },
            (signal) => container.inspect({ abortSignal: signal })
          )
          const state = info.State
          if (state.Status === "exited" || state.Status === "dead") return state.ExitCode
          yield* Effect.sleep(state.Status === "created" ? "200 millis" : "100 millis")
        }
      }))
    })

    /**
     * A created, never started container of `image`. Its command is the image's own when it has one (so that a
     * commit keeps the image's config), else a dummy one (Docker refuses to create a container without a command).
     */
    const createIdle = (image: string) =>
      Effect.gen(function*() {
        const info = yield* inspectImage(image)
        if (Option.isNone(info)) {
          return yield* new ContainerError({ reason: "ImageNotFound", detail: `image ${image} not found`, image })
        }
        const config = imageConfig(info.value)
        const hasCommand = config.cmd.length > 0 || config.entrypoint.length > 0
        return yield* createContainer({
          Image: info.value.Id,
          ...(hasCommand ? {} : { Cmd: ["/dirk-noop"] }),
          NetworkDisabled: true,
          HostConfig: { NetworkMode: "none" }
        })
      })

    const putArchive = (container: Dockerode.Container, image: string, path: string, tar: Readable) =>
      call(
        {
          reason: "ArchiveFailed",
          detail: `putting an archive at ${path} into ${image}`,
          image,
          containerId: container.id
        },
        (signal) => container.putArchive(tar, { path, abortSignal: signal })
      )

    /** Puts `puts` into a created container, in order. */
    const putAll = (container: Dockerode.Container, image: string, puts: ReadonlyArray<ArchivePut>) =>
      Effect.forEach(puts, (put) => {
        const path = posix.resolve("/", put.path)
        return putArchive(container, image, path, put.tar()).pipe(
          // The target directory must exist: create it (and its parents, which Docker adds) and retry.
          Effect.catchIf(isStatus(404), () =>
            putArchive(container, image, "/", Tar.directory(path)).pipe(
              Effect.zipRight(putArchive(container, image, path, put.tar()))
            ))
        )
      }, { discard: true })

    /**
     * The first entry of `path`'s archive in `container` (its own header: Docker does not follow a symlink at the
     * last component; with `withData`, its contents too), or None when nothing is there. Only that entry is read.
     */
    const firstEntry = (container: Dockerode.Container, image: string, path: string, withData: boolean) =>
      Effect.scoped(Effect.gen(function*() {
        type Entry = { readonly header: TarStream.Header; readonly data: Buffer }
        const tar = yield* Effect.acquireRelease(
          call(
            { reason: "ArchiveFailed", detail: `reading ${path} from ${image}`, image, containerId: container.id },
            (signal) => container.getArchive({ path, abortSignal: signal }) as Promise<Readable>
          ),
          (stream) => Effect.sync(() => stream.destroy())
        ).pipe(Effect.map(Option.some), Effect.catchIf(isStatus(404), () => Effect.succeedNone))
        if (Option.isNone(tar)) return Option.none<Entry>()
        return yield* Effect.async<Option.Option<Entry>, ContainerError>((resume) => {
          const extract = TarStream.extract()
          let done = false
          const settle = (r: Effect.Effect<Option.Option<Entry>, ContainerError>) => {
            if (done) return
            done = true
            resume(r)
            extract.destroy()
          }
          const failed = (e: unknown) =>
            settle(Effect.fail(new ContainerError({ reason: "ArchiveFailed", detail: `reading ${path} from ${image}: ${String(e)}`, image, cause: e })))
          extract.on("entry", (header, stream) => {
            if (!withData) return settle(Effect.succeed(Option.some({ header, data: Buffer.alloc(0) })))
            const chunks: Array<Buffer> = []
            stream.on("data", (c: unknown) => void chunks.push(c as Buffer))
            stream.on("end", () => settle(Effect.succeed(Option.some({ header, data: Buffer.concat(chunks) }))))
            stream.on("error", failed)
          })
          extract.on("finish", () => settle(Effect.succeed(Option.none())))
          extract.on("error", failed)
          tar.value.on("error", failed)
          tar.value.pipe(extract)
          return Effect.sync(() => extract.destroy())
        })
      }))

    const firstHeader = (container: Dockerode.Container, image: string, path: string) =>
      Effect.map(firstEntry(container, image, path, false), Option.map((e) => e.header))

    /**
     * The contents of the file at `path` in a (created) container, its mounts included, symlinks followed (up to 16);
     * for `redirectStdin`. A missing path, a directory or a special file: an error naming the path (`/dev/null` is
     * empty; the rest of `/dev` and `/proc` exist only once the container runs).
     */
    const readFileIn = (container: Dockerode.Container, image: string, path: string, hops = 0): Effect.Effect<Buffer, ContainerError> =>
      Effect.gen(function*() {
        // Docker's devices are not in the container's filesystem until it runs: /dev/null is what it is everywhere
        if (path === "/dev/null") return Buffer.alloc(0)
        const fail = (why: string) =>
          new ContainerError({ reason: "RunFailed", detail: `redirectStdin: ${path}: ${why}`, image, containerId: container.id })
        const found = yield* firstEntry(container, image, path, true)
        if (Option.isNone(found)) return yield* fail("no such file in the container")
        const entry = found.value
        if (entry.header.type === "symlink" && entry.header.linkname !== undefined && entry.header.linkname !== null) {
          if (hops >= 16) return yield* fail("too many levels of symbolic links")
          return yield* readFileIn(container, image, posix.resolve(posix.dirname(path), entry.header.linkname), hops + 1)
        }
        if (entry.header.type !== "file" && entry.header.type !== "contiguous-file") {
          return yield* fail(entry.header.type === "directory" ? "is a directory" : `not a regular file (${entry.header.type})`)
        }
        return entry.data
      })

    /** What a run writes to its process's stdin: `stdin`, or the contents of `stdinFile` in its created container. */
    const stdinOf = (container: Dockerode.Container, spec: RunSpec): Effect.Effect<string | Buffer | undefined, ContainerError> =>
      spec.stdinFile !== undefined ? readFileIn(container, spec.image, spec.stdinFile) : Effect.succeed(spec.stdin)

    /** Set after Docker refused an image archive for no reason of its content: the layer path is not tried again. */
    let layersRefused = process.env.DIRK_LAYER_LOAD === "0"
    /**
     * Archives smaller than this (bytes) go into a container instead of a layer: for a few small files that is as
     * quick, and a fused exec then makes one layer, not two (Docker's overlay2 stacks at most ~125 layers).
     */
    const layerMinBytes = options?.layerMinBytes ?? Number(process.env.DIRK_LAYER_MIN_BYTES ?? 8 * 1024 * 1024)
    /** Docker's refusals that are about one archive (or one image), not about loading layers at all. */
    const refusedForContent = /duplicates of file paths|max depth exceeded/i

    /**
     * Adds `puts` to `image` as one new layer (`docker load`, see internal/imageLayer.ts), or None when they cannot be a
     * layer (no sizes, a parent in the image that is not a directory) or Docker does not take the
     * archive: the caller extracts them into a container then.
     */
    const layerImage = (image: string, puts: ReadonlyArray<ArchivePut>): Effect.Effect<Option.Option<string>, ContainerError> =>
      Effect.gen(function*() {
        if (layersRefused || puts.length === 0) return Option.none()
        const parts: Array<ImageLayer.Part> = []
        const names: Array<string> = []
        for (const put of puts) {
          if (put.layer === undefined || posix.resolve("/", put.path) !== "/") return Option.none()
          parts.push({ tar: put.tar, size: put.layer.size })
          for (const n of put.layer.names) names.push(n)
        }
        if (parts.reduce((n, p) => n + p.size, 0) < layerMinBytes) return Option.none()
        // a layer may hold a path once (Docker refuses duplicates; an extraction lets the last one win)
        if (new Set(names.map((n) => n.replace(/\/+$/, ""))).size !== names.length) return Option.none()
        const info = yield* inspectImage(image)
        if (Option.isNone(info)) return yield* new ContainerError({ reason: "ImageNotFound", detail: `image ${image} not found`, image })
        // the image's own parents of the new entries: listed as they are; one that is not a directory: no layer
        const parents = ImageLayer.parentsOf(names)
        const dirs: Array<ImageLayer.DirHeader> = []
        if (parents.length > 0) {
          const absent = new Set<string>()
          const ok = yield* Effect.scoped(Effect.gen(function*() {
            const container = yield* createIdle(image)
            for (const p of parents) {
              if (absent.has(posix.dirname(p))) {
                absent.add(p)
                continue
              }
              const h = yield* firstHeader(container, image, "/" + p)
              if (Option.isNone(h)) {
                absent.add(p)
                continue
              }
              if (h.value.type !== "directory") return false
              // large owners are in the entry's PAX records (the header's octal fields are too short for them)
              const pax = (h.value.pax ?? {}) as Record<string, string | undefined>
              const uid = pax.uid !== undefined ? Number(pax.uid) : h.value.uid ?? 0
              const gid = pax.gid !== undefined ? Number(pax.gid) : h.value.gid ?? 0
              if (!Number.isSafeInteger(uid) || !Number.isSafeInteger(gid) || uid < 0 || gid < 0) return false
              dirs.push({ name: p, mode: h.value.mode ?? 0o755, uid, gid, mtime: h.value.mtime ?? new Date(0) })
            }
            return true
          }))
          if (!ok) return Option.none()
        }
        const head = yield* Effect.promise(() => ImageLayer.dirEntries(dirs))
        const base: ImageLayer.BaseImage = {
          architecture: info.value.Architecture,
          os: info.value.Os,
          variant: (info.value as { Variant?: string }).Variant,
          config: (info.value.Config ?? {}) as unknown as Record<string, unknown>,
          diffIds: info.value.RootFS?.Layers ?? []
        }
        let config: Buffer | undefined
        let streamError: unknown
        const ctx: CallContext = { reason: "ArchiveFailed", detail: `adding a layer to ${image}`, image }
        const loaded = yield* Effect.gen(function*() {
          const tar = ImageLayer.loadArchive(base, head, parts, ownLabels, (c) => {
            config = c
          })
          tar.on("error", (e) => {
            streamError = e
          })
          const stream = yield* call(ctx, () => docker.loadImage(tar, { quiet: true }) as Promise<NodeJS.ReadableStream>)
          yield* followProgress(stream, ctx)
        }).pipe(Effect.either)
        if (streamError !== undefined) {
          return yield* new ContainerError({ ...ctx, detail: `${ctx.detail}: ${String(streamError instanceof Error ? streamError.message : streamError)}`, cause: streamError })
        }
        if (loaded._tag === "Left" || config === undefined) {
          if (loaded._tag === "Left" && loaded.left.reason === "DaemonUnavailable") return yield* loaded.left
          if (loaded._tag === "Left" && refusedForContent.test(loaded.left.message)) {
            yield* Effect.logDebug(`Docker did not load a layer on ${image} (${loaded.left.message}); its files go in through a container`)
            return Option.none()
          }
          layersRefused = true
          yield* Effect.logWarning(
            `Docker did not load an image layer (${loaded._tag === "Left" ? loaded.left.message : "no configuration"}); files go in through containers from now on`
          )
          return Option.none()
        }
        const id = "sha256:" + createHash("sha256").update(config).digest("hex")
        const present = yield* inspectImage(id)
        if (Option.isNone(present)) {
          layersRefused = true
          yield* Effect.logWarning(`Docker loaded an image layer but has no image ${id}; files go in through containers from now on`)
          return Option.none()
        }
        return Option.some(id)
      }).pipe(Effect.withSpan("ContainerRuntime.layerImage", { attributes: { image } }))

    const putArchives = Effect.fn("ContainerRuntime.putArchives")(
      function*(image: string, puts: ReadonlyArray<ArchivePut>) {
        const added = yield* layerImage(image, puts)
        if (Option.isSome(added)) return added.value
        return yield* Effect.scoped(Effect.gen(function*() {
          const container = yield* createIdle(image)
          yield* putAll(container, image, puts)
          return yield* commit(container, image)
        }))
      }
    )

    /** A run whose archives become a layer of its image when they can (else they go into its container). */
    const layered = (spec: RunSpec): Effect.Effect<RunSpec, ContainerError> =>
      spec.archives === undefined
        ? Effect.succeed(spec)
        : Effect.map(layerImage(spec.image, spec.archives), Option.match({
          onNone: () => spec,
          onSome: (image): RunSpec => {
            const { archives: _, ...rest } = spec
            return { ...rest, image }
          }
        }))

    const getArchive = <A, E>(
      image: string,
      path: string,
      use: (tar: Readable) => Effect.Effect<A, E>
    ): Effect.Effect<A, E | ContainerError> =>
      Effect.scoped(Effect.gen(function*() {
        const container = yield* createIdle(image)
        // A trailing "/" is kept: Docker then follows a symlink at the path (entries keep the path's basename).
        const resolved = posix.resolve("/", path)
        const target = resolved !== "/" && path.endsWith("/") ? resolved + "/" : resolved
        const tar = yield* Effect.acquireRelease(
          call(
            {
              reason: "ArchiveFailed",
              detail: `reading ${target} from ${image}`,
              image,
              containerId: container.id
            },
            (signal) => container.getArchive({ path: target, abortSignal: signal })
          ).pipe(
            Effect.mapError((error) =>
              isStatus(404)(error)
                ? new ContainerError({
                  reason: "PathNotFound",
                  detail: `path ${target} not found in image ${image}`,
                  image,
                  containerId: container.id,
                  cause: error.cause
                })
                : error
            )
          ),
          (stream) => Effect.sync(() => (stream as Readable).destroy())
        )
        return yield* use(tar as Readable)
      })).pipe(Effect.withSpan("ContainerRuntime.getArchive", { attributes: { image, path } }))

    /**
     * Creates the named volume when it does not exist yet (labelled dirk.*, without an owner: volumes outlive the
     * engine, like Dagger's cache), and extracts `options.init` into it then.
     */
    const volumeLock = yield* Effect.makeSemaphore(1)
    const ensureVolume = (name: string, options: VolumeOptions): Effect.Effect<void, ContainerError> =>
      volumeLock.withPermits(1)(Effect.gen(function*() {
        const ctx: CallContext = { reason: "CreateFailed", detail: `creating volume ${name}` }
        const exists = yield* call(ctx, () => docker.getVolume(name).inspect()).pipe(
          Effect.as(true),
          Effect.catchIf(isStatus(404), () => Effect.succeed(false))
        )
        if (exists) return
        yield* call(ctx, () =>
          docker.createVolume({ Name: name, Labels: { ...options.labels, [labelEngine]: "1", [labelVolume]: "1" } }))
        if (options.init === undefined) return
        const init = options.init
        yield* Effect.scoped(Effect.gen(function*() {
          const image = yield* scratchImage
          const container = yield* createContainer({
            Image: image,
            Cmd: ["/dirk-noop"],
            NetworkDisabled: true,
            HostConfig: { NetworkMode: "none", Binds: [`${name}:/${volumeInitDir}:rw,nocopy`] }
          })
          yield* putArchive(container, image, "/", init())
        })).pipe(
          Effect.tapError(() =>
            call(ctx, () => docker.getVolume(name).remove({ force: true })).pipe(Effect.ignore)
          )
        )
      }))

    const statPath = Effect.fn("ContainerRuntime.statPath")(function*(image: string, path: string) {
      return yield* Effect.scoped(Effect.gen(function*() {
        const container = yield* createIdle(image)
        const target = posix.resolve("/", path)
        const response = yield* call(
          { reason: "ArchiveFailed", detail: `stat ${target} in ${image}`, image, containerId: container.id },
          (signal) => container.infoArchive({ path: target, abortSignal: signal }) as Promise<unknown>
        ).pipe(
          Effect.map(Option.some),
          Effect.catchIf(isStatus(404), () => Effect.succeedNone)
        )
        if (Option.isNone(response)) return Option.none<PathStat>()
        const res = response.value as { readonly headers?: Record<string, string | undefined>; readonly destroy?: () => void }
        res.destroy?.()
        const header = res.headers?.["x-docker-container-path-stat"]
        if (header === undefined) {
          return yield* new ContainerError({ reason: "ArchiveFailed", detail: `stat ${target} in ${image}: no stat header`, image })
        }
        const st = JSON.parse(Buffer.from(header, "base64").toString("utf8")) as {
          readonly name: string
          readonly size: number
          readonly mode: number
          readonly linkTarget: string
        }
        // Go's os.FileMode: type bits at the top, permission bits (and setuid/setgid/sticky) below.
        const mode = st.mode >>> 0
        const type = mode & 0x80000000 ? "dir" : mode & 0x08000000 ? "symlink" : (mode & 0x8f280000) === 0 ? "file" : "other"
        const permissions = (mode & 0o777) | (mode & 0x00800000 ? 0o4000 : 0) | (mode & 0x00400000 ? 0o2000 : 0) |
          (mode & 0x00100000 ? 0o1000 : 0)
        return Option.some<PathStat>({ name: st.name, size: st.size, permissions, type, linkTarget: st.linkTarget })
      }))
    })

    const saveImage = <A, E>(
      image: string,
      use: (tar: Readable) => Effect.Effect<A, E>
    ): Effect.Effect<A, E | ContainerError> =>
      Effect.scoped(Effect.gen(function*() {
        const tar = yield* Effect.acquireRelease(
          call({ reason: "ArchiveFailed", detail: `saving image ${image}`, image }, () =>
            docker.getImage(image).get() as Promise<NodeJS.ReadableStream>),
          (stream) => Effect.sync(() => (stream as Readable).destroy())
        )
        return yield* use(tar as Readable)
      })).pipe(Effect.withSpan("ContainerRuntime.saveImage", { attributes: { image } }))

    const loadImage = Effect.fn("ContainerRuntime.loadImage")(function*(tar: () => Readable) {
      const ctx: CallContext = { reason: "CreateFailed", detail: "loading an image archive" }
      const stream = yield* call(ctx, () => docker.loadImage(tar(), { quiet: true }) as Promise<NodeJS.ReadableStream>)
      yield* followProgress(stream, ctx)
    })

    const removeLabelled = (containersOnly: boolean, who?: string, keep: (imageId: string) => boolean = () => false) =>
      Effect.gen(function*() {
        const filters = { label: [`${labelEngine}=1`, ...(who !== undefined ? [`${labelOwner}=${who}`] : [])] }
        const containers = yield* call(
          { reason: "RunFailed", detail: "listing containers" },
          () => docker.listContainers({ all: true, filters })
        )
        yield* Effect.forEach(containers, (info) => removeContainer(docker.getContainer(info.Id)), {
          concurrency: 8,
          discard: true
        })
        // networks (services' session networks) never outlive their engine either
        const networks = yield* call({ reason: "RunFailed", detail: "listing networks" }, () => docker.listNetworks({ filters }))
        yield* Effect.forEach(networks, (n) => removeNetwork(n.Name), { concurrency: 4, discard: true })
        if (containersOnly) return
        // Children before parents (newest first); a few passes for images created in the same second.
        for (let pass = 0; pass < 3; pass++) {
          const images = (yield* call(
            { reason: "RunFailed", detail: "listing images" },
            () => docker.listImages({ all: true, filters })
          )).filter((i) => !keep(i.Id))
          if (images.length === 0) break
          const sorted = [...images].sort((a, b) => b.Created - a.Created)
          for (const info of sorted) {
            yield* call(
              { reason: "RunFailed", detail: `removing image ${info.Id}`, image: info.Id },
              () => docker.getImage(info.Id).remove({ force: true })
            ).pipe(Effect.ignore)
          }
        }
        // Volumes (cache volumes) belong to no owner: only a full cleanup removes them.
        if (who !== undefined) return
        const volumes = yield* call(
          { reason: "RunFailed", detail: "listing volumes" },
          () => docker.listVolumes({ filters: { label: [`${labelEngine}=1`] } })
        )
        for (const volume of volumes.Volumes ?? []) {
          yield* call(
            { reason: "RunFailed", detail: `removing volume ${volume.Name}` },
            () => docker.getVolume(volume.Name).remove({ force: true })
          ).pipe(Effect.ignore)
        }
      })

    const cleanup = Effect.fn("ContainerRuntime.cleanup")(function*(who?: string, keep?: (imageId: string) => boolean) {
      yield* removeLabelled(false, who, keep).pipe(
        Effect.timeout("2 minutes"),
        Effect.tapError((error) => Effect.logWarning("cleanup failed", error)),
        Effect.ignore
      )
    })

    // Objects left by engines of this host whose process is gone (a crash, kill -9): removed when an engine starts
    // (two list calls when there is nothing to remove), images of the persistent cache excepted.
    const reapOrphans = (keep: (imageId: string) => boolean) =>
      Effect.gen(function*() {
        const filters = { label: [`${labelEngine}=1`, `${labelHost}=${os.hostname()}`] }
        const containers = yield* call({ reason: "RunFailed", detail: "listing containers" }, () => docker.listContainers({ all: true, filters }))
        const images = yield* call({ reason: "RunFailed", detail: "listing images" }, () => docker.listImages({ all: true, filters }))
        const deadOwner = (labels: Record<string, string>) => {
          const pid = Number(labels[labelPid])
          const who = labels[labelOwner]
          return who !== undefined && who !== owner && Number.isInteger(pid) && pid > 0 && !processAlive(pid) ? who : undefined
        }
        // containers of dead engines: always
        const networks = yield* call({ reason: "RunFailed", detail: "listing networks" }, () => docker.listNetworks({ filters }))
        const dead = new Set([...containers.map((c) => c.Labels), ...networks.map((n) => n.Labels ?? {})].flatMap((l) => deadOwner(l) ?? []))
        for (const who of dead) {
          yield* Effect.logDebug(`removing the containers the dead engine ${who} left in Docker`)
          yield* removeLabelled(true, who)
        }
        // images of dead engines: of this state dir, those its cache does not keep; of another state dir, only when
        // that dir is gone (its own engine manages the rest)
        const mine = options?.stateDir
        const stale = images.filter((i) => {
          const labels = i.Labels ?? {}
          if (deadOwner(labels) === undefined) return false
          const state = labels[labelState]
          if (state === undefined || state === mine) return !keep(i.Id)
          return !fs.existsSync(`${state}/dirk-state.json`)
        })
        for (const info of [...stale].sort((a, b) => b.Created - a.Created)) {
          yield* call({ reason: "RunFailed", detail: `removing image ${info.Id}`, image: info.Id }, () =>
            docker.getImage(info.Id).remove({ force: true })).pipe(Effect.ignore)
        }
      }).pipe(Effect.ignore, Effect.withSpan("ContainerRuntime.reapOrphans"))

    /**
     * The image's own state of the init layer's paths, read from its overlay2 layers (top to bottom; a character
     * device 0:0 is a whiteout) when the daemon's storage is overlay2 and readable here; otherwise only `/.dockerenv`
     * is known to be the container's.
     */
    const initLayerPaths = (image: string, at: string) =>
      Effect.gen(function*() {
        const base = posix.resolve("/", at)
        const under = initPaths.filter((p) => p === base || base === "/" || p.startsWith(base + "/"))
        if (under.length === 0) return []
        const info = yield* inspectImage(image)
        const data = Option.isSome(info) ? (info.value.GraphDriver as { Name?: string; Data?: Record<string, string> } | undefined) : undefined
        const layers = data?.Name === "overlay2" && data.Data?.UpperDir !== undefined
          ? [data.Data.UpperDir, ...(data.Data.LowerDir ?? "").split(":").filter((d) => d !== "")]
          : []
        const readable = layers.length > 0 && layers.every((d) => {
          try {
            fs.accessSync(d, fs.constants.R_OK)
            return true
          } catch {
            return false
          }
        })
        if (!readable) return under.filter((p) => p === "/.dockerenv").map((p): InitPath => ({ path: p, state: "absent" }))
        return under.map((p): InitPath => {
          const segs = p.slice(1).split("/")
          for (const layer of layers) {
            for (let i = 1; i <= segs.length; i++) {
              const rel = segs.slice(0, i).join("/")
              let st: fs.Stats | undefined
              try {
                st = fs.lstatSync(`${layer}/${rel}`)
              } catch {
                st = undefined
              }
              if (st === undefined) continue
              if (st.isCharacterDevice() && st.rdev === 0) return { path: p, state: "absent" } // whiteout
              if (i === segs.length) return { path: p, state: "present", source: `${layer}/${rel}` }
            }
          }
          return { path: p, state: "absent" }
        })
      }).pipe(Effect.withSpan("ContainerRuntime.initLayerPaths"))

    const removeImage = (imageId: string) =>
      call({ reason: "RunFailed", detail: `removing image ${imageId}`, image: imageId }, () =>
        docker.getImage(imageId).remove({ force: true })).pipe(
          Effect.catchIf((e) => isStatus(404)(e) || isStatus(409)(e), () => Effect.void),
          Effect.asVoid
        )

    const imageSize = (imageId: string) =>
      Effect.map(inspectImage(imageId), Option.map((info) => info.Size))

    const setCpuShares = (containerId: string, shares: number) =>
      call(
        { reason: "RunFailed", detail: `updating the CPU shares of container ${containerId}`, containerId },
        (signal) => docker.getContainer(containerId).update({ CpuShares: shares, abortSignal: signal })
      ).pipe(Effect.asVoid)

    // Containers of this engine never outlive it (images do: they are the cache).
    yield* Effect.addFinalizer(() =>
      removeLabelled(true, owner).pipe(Effect.timeout("30 seconds"), Effect.ignore)
    )

    yield* Effect.annotateLogs(Effect.logDebug(`Docker runtime at ${host}, owner ${owner}`), "component", "runtime")

    // BuildKit (see internal/dockerBuild.ts): the final image, labelled like every other, is all a build leaves.
    const buildImage = Effect.fn("ContainerRuntime.buildImage")(function*(spec: BuildSpec) {
      const imageId = yield* DockerBuild.build(docker, spec, ownLabels, (detail, cause) => {
        const code = cause === undefined ? undefined : DockerErrors.unreachableCode(cause)
        if (code !== undefined) return unreachable(host, code, cause)
        return new ContainerError({
          reason: "BuildFailed",
          detail: cause === undefined
            ? detail
            : `docker build of ${spec.dockerfile}: ${detail}: ${DockerErrors.daemonMessage(cause)}`,
          ...(cause !== undefined ? { cause } : {})
        })
      })
      const info = yield* inspectImage(imageId)
      if (Option.isNone(info)) {
        return yield* new ContainerError({
          reason: "BuildFailed",
          detail: `the built image ${imageId} is missing`,
          image: imageId
        })
      }
      const config = imageConfig(info.value)
      const labels = Object.fromEntries(Object.entries(config.labels).filter(([k]) => !(k in ownLabels)))
      return { imageId: info.value.Id, config: { ...config, labels } } satisfies ResolvedImage
    })

    return ContainerRuntime.of({
      resolveImage,
      scratchImage,
      run,
      runTerminal,
      start,
      createNetwork,
      putArchives,
      getArchive,
      statPath,
      ownLabels,
      saveImage,
      loadImage,
      buildImage,
      cleanup,
      reapOrphans,
      imageSize,
      setCpuShares,
      removeImage,
      initLayerPaths
    })
  })

/**
 * The Docker runtime with a random owner id.
 *
 * @category layers
 */
export const layer: Layer.Layer<ContainerRuntime, never, DockerClient> = Layer.scoped(ContainerRuntime, make())

/**
 * The Docker runtime for a known owner id (tests, or an engine that records its owner to clean up after a crash).
 *
 * @category layers
 */
export const layerWithOwner = (
  owner: string,
  stateDir?: string,
  more?: { readonly layerMinBytes?: number }
): Layer.Layer<ContainerRuntime, never, DockerClient> =>
  Layer.scoped(ContainerRuntime, make({ owner, ...(stateDir !== undefined ? { stateDir } : {}), ...more }))
