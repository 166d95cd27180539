/**
 * The states behind core API objects: pure data over the op graph.
 */
import * as posix from "node:path/posix"
import * as Op from "../Dag/Op.js"

/**
 * A directory (or file) mounted into a container's execs.
 *
 * @category models
 */
export interface Mount {
  readonly target: string
  /** A snapshot op. */
  readonly source: Op.Op
  readonly sourcePath: string
  /** `cache` and `tmpfs` mounts have no source (their `source` is `Op.emptyDir` and is not read). */
  readonly kind: "dir" | "file" | "cache" | "tmpfs"
  readonly readOnly: boolean
  /** For `cache` mounts: the volume and how execs share it. */
  readonly cache?: CacheMount | undefined
  /** For `tmpfs` mounts: the size limit in bytes (0 = none). */
  readonly size?: number | undefined
}

/**
 * A cache volume mounted into a container's execs.
 *
 * @category models
 */
export interface CacheMount {
  readonly key: string
  readonly sharing: "SHARED" | "PRIVATE" | "LOCKED"
  /** The initial contents (a snapshot op and a path in it), copied in when the volume is created. */
  readonly source?: Op.Op | undefined
  /** `uid:gid` of the volume's root when it is created ("" = root). */
  readonly owner: string
}

/**
 * An exposed port's metadata besides its `port/protocol` key.
 *
 * @category models
 */
export interface PortInfo {
  readonly description?: string | undefined
  readonly experimentalSkipHealthcheck: boolean
}

/**
 * The image config a container carries.
 *
 * @category models
 */
export interface ContainerConfig {
  readonly env: ReadonlyArray<readonly [string, string]>
  readonly workdir: string
  readonly user: string
  readonly entrypoint: ReadonlyArray<string>
  readonly cmd: ReadonlyArray<string>
  readonly labels: ReadonlyArray<readonly [string, string]>
  readonly exposedPorts: ReadonlyArray<string>
}

/**
 * @category models
 */
export interface ContainerState {
  /** An image op. */
  readonly rootfs: Op.Op
  readonly config: ContainerConfig
  readonly mounts: ReadonlyArray<Mount>
  /** The last exec of this container state (for stdout, stderr, exitCode). */
  readonly exec?: Op.Op | undefined
  /** The address given to `from`, while no other change was made. */
  readonly imageRef?: string | undefined
  readonly platform: string
  /** Descriptions and health check flags of exposed ports, by `port/protocol`. */
  readonly portInfo?: Readonly<Record<string, PortInfo>> | undefined
  /** Credentials for later `from` and `publish`, one per registry host (`withRegistryAuth`). */
  readonly registryAuth?: ReadonlyArray<RegistryAuth> | undefined
  /** Services its execs reach by alias (`withServiceBinding`), in the order they were bound. */
  readonly services?: ReadonlyArray<Op.ServiceBinding> | undefined
  /** Secret environment variables of execs (`withSecretVariable`), not part of the image config. */
  readonly secretEnv?: ReadonlyArray<SecretEnv> | undefined
  /** Secrets mounted as files into execs (`withMountedSecret`), never part of the rootfs. */
  readonly secretMounts?: ReadonlyArray<SecretMount> | undefined
}

/**
 * @category models
 */
export interface SecretEnv {
  readonly name: string
  readonly secret: SecretState
}

/**
 * @category models
 */
export interface SecretMount {
  readonly target: string
  readonly secret: SecretState
  readonly mode: number
  readonly owner?: Op.FileOwner | undefined
}

/**
 * A service: how to run it (its identity, the digest, and the hostname derived from it come from its ID, see
 * `Service.ts`).
 *
 * @category models
 */
export type ServiceState =
  | {
    readonly _tag: "Container"
    /** The exec the service runs (an `Exec` op, never committed). */
    readonly exec: Op.Op
    readonly ports: ReadonlyArray<Op.ServicePort>
    readonly noInit?: boolean | undefined
    readonly hostname?: string | undefined
  }
  | {
    readonly _tag: "Host"
    readonly host: string
    readonly forwards: ReadonlyArray<Op.PortForward>
    readonly hostname?: string | undefined
  }
  | {
    readonly _tag: "Tunnel"
    readonly upstream: Op.ServiceSpec
    readonly forwards: ReadonlyArray<Op.PortForward>
    readonly native: boolean
    readonly hostname?: string | undefined
  }

/**
 * A secret: its name and a handle (a keyed hash of its plaintext, see `Secret.ts`); the plaintext itself lives only
 * in the memory of the session that set it.
 *
 * @category models
 */
export interface SecretState {
  readonly name: string
  readonly handle: string
  /** For `secret(uri)`: the URI its value is resolved from (by the session's client). */
  readonly uri?: string | undefined
  /** For `secret(uri, cacheKey)`: the cache key given (the handle is derived from it, not from the value). */
  readonly cacheKey?: string | undefined
}

/**
 * Credentials for one registry host.
 *
 * @category models
 */
export interface RegistryAuth {
  /** `docker.io`, `127.0.0.1:5000`, … */
  readonly host: string
  readonly username: string
  readonly secret: SecretState
}

/**
 * A directory is a snapshot op (its root).
 *
 * @category models
 */
export interface DirectoryState {
  readonly op: Op.Op
}

/**
 * A file is a path inside a snapshot.
 *
 * @category models
 */
export interface FileState {
  readonly op: Op.Op
  /** Relative path inside the snapshot. */
  readonly path: string
}

/**
 * The engine's platform in OCI form.
 *
 * @category constructors
 */
export const nativePlatform = (): string => {
  const arch = process.arch === "x64" ? "amd64" : process.arch === "arm64" ? "arm64" : process.arch
  return `linux/${arch}`
}

/**
 * An empty container: scratch rootfs, no config.
 *
 * @category constructors
 */
export const emptyContainer = (platform: string): ContainerState => ({
  rootfs: Op.scratchImage,
  config: { env: [], workdir: "", user: "", entrypoint: [], cmd: [], labels: [], exposedPorts: [] },
  mounts: [],
  platform
})

/**
 * The basename of a relative or absolute path.
 *
 * @category getters
 */
export const baseName = (p: string): string => posix.basename(p)
