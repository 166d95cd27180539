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
  readonly kind: "dir" | "file"
  readonly readOnly: boolean
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
