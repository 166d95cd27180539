/**
 * The op graph: the low-level operations that API call chains compile to, each with a digest over its parameters
 * and its inputs' digests. Ops are plain immutable values; the `Solver` evaluates them.
 *
 * Two kinds of filesystem state meet here:
 * - a **rootfs** is a Docker image (`Image`, `ScratchImage`, `ExecOutput` "rootfs", `ImageFile`);
 * - a **snapshot** is an immutable directory in the engine's state dir (`EmptyDir`, `Local`, `DirFile`,
 *   `Extract`, `Subdir`, `ExecOutput` for a writable mount).
 */
import { createHash } from "node:crypto"
import { redactUrl } from "./Git.js"

/**
 * What an exec needs besides its inputs.
 *
 * @category models
 */
export interface ExecMeta {
  readonly args: ReadonlyArray<string>
  /** `[name, value]` pairs, in order. */
  readonly env: ReadonlyArray<readonly [string, string]>
  readonly workdir: string
  readonly user: string
  readonly stdin: string
  /** A path in the container (relative to workdir) whose contents are the process's stdin (absent: none). */
  readonly redirectStdin?: string | undefined
  /** Paths (relative to workdir) that receive stdout/stderr instead of capturing them; "" = capture. */
  readonly redirectStdout: string
  readonly redirectStderr: string
  /** Which exit codes count as success. */
  readonly expect: "SUCCESS" | "FAILURE" | "ANY"
  readonly tmpfs: ReadonlyArray<string>
  /** Size limits (bytes) of tmpfs mounts, by path; a missing entry means no limit. */
  readonly tmpfsSize?: Readonly<Record<string, number>> | undefined
  /** Cache volumes mounted into the exec (their contents are not part of the exec's identity). */
  readonly caches?: ReadonlyArray<ExecCache> | undefined
  /** `withExec(noCache: true)`: a fresh value per request, so the exec (and all that builds on it) runs again. */
  readonly nonce?: string | undefined
  /**
   * Services the exec reaches by alias (`withServiceBinding`): started (and health-checked) before it runs, on the
   * session's network. Part of the exec's identity by alias and service digest.
   */
  readonly services?: ReadonlyArray<ServiceBinding> | undefined
  /** Environment variables whose values are secrets (looked up by handle when the exec runs). */
  readonly secretEnv?: ReadonlyArray<ExecSecretEnv> | undefined
  /** Secrets mounted as files (from outside the rootfs: never committed). */
  readonly secretMounts?: ReadonlyArray<ExecSecretMount> | undefined
}

/**
 * A secret given to an exec as an environment variable. Only its handle (a keyed hash of the value, or of its cache
 * key) is part of the exec's identity.
 *
 * @category models
 */
export interface ExecSecretEnv {
  readonly name: string
  /** The secret's name, for errors. */
  readonly secret: string
  readonly handle: string
}

/**
 * A secret mounted into an exec as a file.
 *
 * @category models
 */
export interface ExecSecretMount {
  readonly target: string
  /** The secret's name, for errors. */
  readonly secret: string
  readonly handle: string
  /** Permission bits of the file. */
  readonly mode: number
  readonly owner?: FileOwner | undefined
}

/**
 * Credentials of a source fetched over HTTP (`git`, `http`): a secret, by handle (its plaintext is looked up in the
 * session when the op runs), used as a token (HTTP Basic with `username`, default `x-access-token`) or as the whole
 * `Authorization` header.
 *
 * @category models
 */
export interface SourceAuth {
  /** The secret's name, for errors. */
  readonly secret: string
  readonly handle: string
  readonly kind: "token" | "header"
  readonly username: string
  /** For a `secret(uri)` secret: its URI and cache key, so that another session can resolve it again. */
  readonly uri?: string | undefined
  readonly cacheKey?: string | undefined
}

/**
 * A port of a service and whether its health check is skipped.
 *
 * @category models
 */
export interface ServicePort {
  readonly port: number
  readonly protocol: "TCP" | "UDP"
  readonly skipHealthcheck: boolean
}

/**
 * A port forward: `frontend` (where the forward listens; undefined = the backend's number, or a random one when asked
 * for) to `backend` (the service's port).
 *
 * @category models
 */
export interface PortForward {
  readonly frontend?: number | undefined
  readonly backend: number
  readonly protocol: "TCP" | "UDP"
}

/**
 * How to run a service. `digest` is its identity (the digest of the Service's ID): one instance per digest and
 * session; `hostname` is how other containers of the session reach it.
 *
 * @category models
 */
export type ServiceSpec =
  /** A container running `exec` (an `Exec` op, not committed) with `ports` health-checked. */
  | {
    readonly _tag: "Container"
    readonly digest: string
    readonly hostname: string
    readonly exec: Op
    readonly ports: ReadonlyArray<ServicePort>
    /** `asService(noInit: true)`: the command is PID 1 itself (no init process forwarding signals). */
    readonly noInit?: boolean | undefined
  }
  /** Ports of the client's host (`host.service`): containers reach `host`:backend through `hostname`:frontend. */
  | {
    readonly _tag: "Host"
    readonly digest: string
    readonly hostname: string
    readonly host: string
    readonly forwards: ReadonlyArray<PortForward>
  }
  /** A service reached from the client's host (`host.tunnel`): 127.0.0.1:frontend forwards to `upstream`:backend. */
  | {
    readonly _tag: "Tunnel"
    readonly digest: string
    readonly hostname: string
    readonly upstream: ServiceSpec
    readonly forwards: ReadonlyArray<PortForward>
    readonly native: boolean
  }

/**
 * A service bound into an exec under `alias`.
 *
 * @category models
 */
export interface ServiceBinding {
  readonly alias: string
  readonly service: ServiceSpec
}

/**
 * A cache volume mounted into an exec.
 *
 * @category models
 */
export interface ExecCache {
  readonly target: string
  /** The cache volume's key. */
  readonly key: string
  /** SHARED: one volume for all execs; PRIVATE: a volume no other running exec uses; LOCKED: one exec at a time. */
  readonly sharing: "SHARED" | "PRIVATE" | "LOCKED"
  /** A snapshot op whose contents initialize the volume when it is created. */
  readonly source?: Op | undefined
  /** Dagger's `owner` (`user[:group]`) of the volume's root when it is created ("" = root). */
  readonly owner: string
  /** When `owner` holds names: the rootfs (an image op) whose `/etc/passwd` and `/etc/group` resolve them. */
  readonly ownerNames?: Op | undefined
}

/**
 * A directory or file mounted into an exec.
 *
 * @category models
 */
export interface ExecMount {
  readonly target: string
  /** A snapshot op. */
  readonly source: Op
  /** A path inside the source snapshot ("" for its root). For a file mount, the file's path. */
  readonly sourcePath: string
  readonly kind: "dir" | "file"
  readonly readOnly: boolean
}

/**
 * The owner of the entries an action writes: Dagger's `owner` argument (`user[:group]`, names or numbers, see
 * `Owner.ts`) and, when it holds names, the rootfs (an image op) whose `/etc/passwd` and `/etc/group` resolve them.
 *
 * @category models
 */
export interface FileOwner {
  readonly spec: string
  readonly names?: Op | undefined
}

/**
 * Filesystem actions on a snapshot (run by the engine, not in containers).
 *
 * @category models
 */
export type FileAction =
  | {
    readonly _tag: "Mkfile"
    readonly path: string
    readonly contents: string
    readonly mode: number
    readonly owner?: FileOwner | undefined
  }
  | { readonly _tag: "Mkdir"; readonly path: string; readonly mode: number }
  | {
    readonly _tag: "Copy"
    /** A snapshot op. */
    readonly source: Op
    /** Path inside the source; a directory's contents are merged into `dest`, a file is written to `dest`. */
    readonly sourcePath: string
    readonly dest: string
    readonly include: ReadonlyArray<string>
    readonly exclude: ReadonlyArray<string>
    /** Also leave out what the source's `.gitignore` files exclude (`Gitignore.ts`, Dagger's rule). */
    readonly gitignore?: boolean | undefined
    readonly mode?: number | undefined
    /** Owner of every copied entry and of the destination directories the copy creates. */
    readonly owner?: FileOwner | undefined
  }
  /** Removes `path` (recursively; nothing there is fine); wildcards in it remove every match (`Wildcard.ts`). */
  | { readonly _tag: "Rm"; readonly path: string }
  /** Sets the owner of `path` and everything below it (symlinks themselves, not their targets). */
  | { readonly _tag: "Chown"; readonly path: string; readonly owner: FileOwner }
  /** A symbolic link at `path` pointing to `target` (verbatim); parents are created. */
  | { readonly _tag: "Symlink"; readonly path: string; readonly target: string }
  /** Sets the access and modification times of `path` and everything below it (unix seconds). */
  | { readonly _tag: "Timestamps"; readonly path: string; readonly mtime: number }
  /** Replaces `search` in the file at `path` (File.withReplaced semantics, see internal/Replace.ts). */
  | {
    readonly _tag: "Replace"
    readonly path: string
    readonly search: string
    readonly replacement: string
    readonly all: boolean
    readonly firstFrom?: number | undefined
  }

/**
 * An op, with its digest.
 *
 * @category models
 */
export type Op =
  | { readonly _tag: "Image"; readonly digest: string; readonly ref: string }
  | { readonly _tag: "ScratchImage"; readonly digest: string }
  | { readonly _tag: "EmptyDir"; readonly digest: string }
  | {
    readonly _tag: "Local"
    readonly digest: string
    /** Where the content was read from, for provenance only; the digest covers the content. */
    readonly hostPath: string
    readonly contentDigest: string
    /** The snapshot that holds the content, or will once it is needed as a directory (`HostSync.materialize`). */
    readonly snapshot: string
  }
  | {
    readonly _tag: "Exec"
    readonly digest: string
    readonly rootfs: Op
    readonly mounts: ReadonlyArray<ExecMount>
    readonly meta: ExecMeta
    /**
     * Where the exec sits in its pipeline, independent of its inputs (the call chain's field names): runs of the same
     * site are compared to explain a cache miss. Not part of the digest.
     */
    readonly site?: string | undefined
  }
  | { readonly _tag: "ExecOutput"; readonly digest: string; readonly exec: Op; readonly output: "rootfs" | string }
  | { readonly _tag: "DirFile"; readonly digest: string; readonly input: Op; readonly actions: ReadonlyArray<FileAction> }
  | {
    readonly _tag: "ImageFile"
    readonly digest: string
    readonly input: Op
    /** Applied to the rootfs through the archive API; `dest` paths are absolute. */
    readonly actions: ReadonlyArray<FileAction>
  }
  | { readonly _tag: "Extract"; readonly digest: string; readonly input: Op; readonly path: string }
  | { readonly _tag: "Subdir"; readonly digest: string; readonly input: Op; readonly path: string }
  /** A git commit checked out into a snapshot (fetched by the engine on the host). */
  | {
    readonly _tag: "Git"
    readonly digest: string
    readonly url: string
    readonly commit: string
    /** The branch to create at the commit when the git directory is kept ("" for a detached HEAD). */
    readonly branch: string
    readonly keepGitDir: boolean
    readonly depth: number
    readonly includeTags: boolean
    /**
     * Credentials for an HTTP(S) remote. Part of the digest (by handle): a checkout made with credentials is served
     * only to those who give the same ones (and a failed fetch without them does not stand for one with them).
     */
    readonly auth?: SourceAuth | undefined
  }
  /** A file downloaded over HTTP into a snapshot (as its single entry `name`), per `scope` (a session). */
  | {
    readonly _tag: "Http"
    readonly digest: string
    readonly url: string
    readonly name: string
    readonly permissions: number
    /** Expected content digest (`sha256:…`), or "" for none. */
    readonly checksum: string
    readonly scope: string
    /** The `Authorization` header, a secret (its handle is part of the digest). */
    readonly auth?: SourceAuth | undefined
  }
  /** The entries of snapshot `upper` that are new or changed relative to snapshot `lower`, with their parents. */
  | { readonly _tag: "Diff"; readonly digest: string; readonly lower: Op; readonly upper: Op }
  /** An image built from a Dockerfile in a snapshot (the build context). */
  | {
    readonly _tag: "DockerBuild"
    readonly digest: string
    /** A snapshot op: the build context. */
    readonly context: Op
    /** The Dockerfile's path relative to the context. */
    readonly dockerfile: string
    /** `[name, value]` pairs, one per name, sorted by name. */
    readonly buildArgs: ReadonlyArray<readonly [string, string]>
    /** The stage to build ("" = the last one). */
    readonly target: string
    /** Secrets the Dockerfile mounts by name (`RUN --mount=type=secret,id=<name>`), by handle; sorted by name. */
    readonly secrets: ReadonlyArray<BuildSecret>
  }

/**
 * Whether an op produces an image (rootfs) or a snapshot (directory), or an exec result.
 *
 * @category getters
 */
export const kindOf = (op: Op): "image" | "snapshot" | "exec" => {
  switch (op._tag) {
    case "Image":
    case "ScratchImage":
    case "ImageFile":
    case "DockerBuild":
      return "image"
    case "Exec":
      return "exec"
    case "ExecOutput":
      return op.output === "rootfs" ? "image" : "snapshot"
    default:
      return "snapshot"
  }
}

/**
 * The ops an op reads from.
 *
 * @category getters
 */
export const inputs = (op: Op): ReadonlyArray<Op> => {
  switch (op._tag) {
    case "Exec":
      return [
        op.rootfs,
        ...op.mounts.map((m) => m.source),
        ...(op.meta.caches ?? []).flatMap((c) => (c.source !== undefined ? [c.source] : [])),
        ...(op.meta.caches ?? []).flatMap((c) => (c.ownerNames !== undefined ? [c.ownerNames] : [])),
        ...(op.meta.secretMounts ?? []).flatMap((m) => (m.owner?.names !== undefined ? [m.owner.names] : []))
      ]
    case "ExecOutput":
      return [op.exec]
    case "DirFile":
    case "ImageFile":
      return [
        op.input,
        ...op.actions.flatMap((a) => (a._tag === "Copy" ? [a.source] : [])),
        ...op.actions.flatMap((a) => ("owner" in a && a.owner?.names !== undefined ? [a.owner.names] : []))
      ]
    case "Extract":
    case "Subdir":
      return [op.input]
    case "Diff":
      return [op.lower, op.upper]
    case "DockerBuild":
      return [op.context]
    default:
      return []
  }
}

const hash = (value: unknown): string =>
  "sha256:" + createHash("sha256").update(JSON.stringify(value)).digest("hex")

const ownerCanon = (o: FileOwner | undefined): Array<unknown> =>
  o === undefined ? [] : [["owner", o.spec, o.names?.digest ?? null]]

const actionCanon = (a: FileAction): unknown => {
  switch (a._tag) {
    case "Mkfile":
      return ["mkfile", a.path, hash(a.contents), a.mode, ...ownerCanon(a.owner)]
    case "Mkdir":
      return ["mkdir", a.path, a.mode]
    case "Copy":
      return [
        "copy", a.source.digest, a.sourcePath, a.dest, a.include, a.exclude, a.mode ?? null, ...ownerCanon(a.owner),
        ...(a.gitignore === true ? [["gitignore"]] : [])
      ]
    case "Chown":
      return ["chown", a.path, ...ownerCanon(a.owner)]
    case "Rm":
      return ["rm", a.path]
    case "Symlink":
      return ["symlink", a.path, a.target]
    case "Timestamps":
      return ["timestamps", a.path, a.mtime]
    case "Replace":
      return ["replace", a.path, hash(a.search), hash(a.replacement), a.all, a.firstFrom ?? null]
  }
}

/**
 * Op constructors; each computes the op's digest.
 *
 * @category constructors
 */
export const image = (ref: string): Op => ({ _tag: "Image", ref, digest: hash(["image", ref]) })

/** @category constructors */
export const scratchImage: Op = { _tag: "ScratchImage", digest: hash(["scratch-image"]) }

/** @category constructors */
export const emptyDir: Op = { _tag: "EmptyDir", digest: hash(["empty-dir"]) }

/** @category constructors */
export const local = (hostPath: string, contentDigest: string, snapshot: string): Op => ({
  _tag: "Local",
  hostPath,
  contentDigest,
  snapshot,
  digest: hash(["local", contentDigest])
})

/** @category constructors */
export const exec = (rootfs: Op, mounts: ReadonlyArray<ExecMount>, meta: ExecMeta, site?: string): Op => ({
  _tag: "Exec",
  rootfs,
  mounts,
  meta,
  ...(site !== undefined ? { site } : {}),
  digest: hash([
    "exec",
    rootfs.digest,
    mounts.map((m) => [m.target, m.source.digest, m.sourcePath, m.kind, m.readOnly]),
    {
      ...meta,
      stdin: hash(meta.stdin),
      ...(meta.caches !== undefined
        ? {
          caches: meta.caches.map((c) => ({
            ...c,
            source: c.source?.digest ?? null,
            ...(c.ownerNames !== undefined ? { ownerNames: c.ownerNames.digest } : {})
          }))
        }
        : {}),
      // a secret counts by its handle only (not by its display name)
      ...(meta.secretEnv !== undefined ? { secretEnv: meta.secretEnv.map((e) => [e.name, e.handle]) } : {}),
      ...(meta.secretMounts !== undefined
        ? { secretMounts: meta.secretMounts.map((m) => [m.target, m.handle, m.mode, ownerCanon(m.owner)]) }
        : {}),
      ...(meta.services !== undefined && meta.services.length > 0
        ? { services: meta.services.map((b) => [b.alias, b.service.digest]) }
        : { services: undefined })
    }
  ])
})

/** @category constructors */
export const execOutput = (execOp: Op, output: "rootfs" | string): Op => ({
  _tag: "ExecOutput",
  exec: execOp,
  output,
  digest: hash(["exec-output", execOp.digest, output])
})

/** @category constructors */
export const dirFile = (input: Op, actions: ReadonlyArray<FileAction>): Op =>
  actions.length === 0
    ? input
    : { _tag: "DirFile", input, actions, digest: hash(["dir-file", input.digest, actions.map(actionCanon)]) }

/** @category constructors */
export const imageFile = (input: Op, actions: ReadonlyArray<FileAction>): Op =>
  actions.length === 0
    ? input
    : { _tag: "ImageFile", input, actions, digest: hash(["image-file", input.digest, actions.map(actionCanon)]) }

/** @category constructors */
export const extract = (input: Op, path: string): Op => ({
  _tag: "Extract",
  input,
  path,
  digest: hash(["extract", input.digest, path])
})

/** @category constructors */
export const subdir = (input: Op, path: string): Op =>
  path === "" || path === "." || path === "/"
    ? input
    : { _tag: "Subdir", input, path, digest: hash(["subdir", input.digest, path]) }

/** @category constructors */
export const diff = (lower: Op, upper: Op): Op => ({
  _tag: "Diff",
  lower,
  upper,
  digest: hash(["diff", lower.digest, upper.digest])
})

/**
 * A one-line description of an op for progress output.
 *
 * @category getters
 */
export const describe = (op: Op): string => {
  switch (op._tag) {
    case "Image":
      return `from ${op.ref}`
    case "ScratchImage":
      return "scratch"
    case "EmptyDir":
      return "empty directory"
    case "Local":
      return `host ${op.hostPath}`
    case "Exec":
      return `exec ${op.meta.args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ")}`
    case "ExecOutput":
      return `output ${op.output}`
    case "DirFile":
    case "ImageFile":
      return op.actions.map((a) => (a._tag === "Copy" ? `copy ${a.dest}` : `${a._tag.toLowerCase()} ${a.path}`)).join(", ")
    case "Extract":
      return `extract ${op.path}`
    case "Subdir":
      return `subdir ${op.path}`
    case "Git":
      return `git ${redactUrl(op.url)} ${op.commit}`
    case "Http":
      return `http ${redactUrl(op.url)}`
    case "Diff":
      return "diff"
    case "DockerBuild":
      return `docker build ${op.dockerfile}${op.target !== "" ? ` --target ${op.target}` : ""}`
  }
}

/**
 * A git checkout. Without the git directory the content depends on the commit alone, so the digest leaves out the
 * URL, the branch and the fetch options.
 *
 * @category constructors
 */
export const git = (o: Omit<Extract<Op, { _tag: "Git" }>, "_tag" | "digest">): Op => ({
  _tag: "Git",
  ...o,
  digest: hash([
    ...(o.keepGitDir ? ["git", o.url, o.commit, o.branch, true, o.depth, o.includeTags] : ["git", o.commit, false]),
    ...(o.auth !== undefined ? [[o.auth.kind, o.auth.username, o.auth.handle]] : [])
  ])
})

/**
 * An HTTP download, scoped (cached) per `scope`.
 *
 * @category constructors
 */
export const http = (o: Omit<Extract<Op, { _tag: "Http" }>, "_tag" | "digest">): Op => ({
  _tag: "Http",
  ...o,
  digest: hash([
    "http",
    o.url,
    o.name,
    o.permissions,
    o.checksum,
    o.scope,
    ...(o.auth !== undefined ? [o.auth.handle] : [])
  ])
})

/**
 * An image built from a Dockerfile. Build arguments are canonical: for a name given twice the last value counts, and
 * their order does not matter. The digest covers the context's digest, the Dockerfile path, the arguments and the
 * target.
 *
 * @category constructors
 */
export const dockerBuild = (o: {
  readonly context: Op
  readonly dockerfile: string
  readonly buildArgs: ReadonlyArray<readonly [string, string]>
  readonly target: string
  readonly secrets?: ReadonlyArray<BuildSecret> | undefined
}): Op => {
  const buildArgs = [...new Map(o.buildArgs).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  // one per name (the last given wins), sorted; a secret counts by its handle
  const secrets = [...new Map((o.secrets ?? []).map((s) => [s.name, s] as const)).values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return {
    _tag: "DockerBuild",
    context: o.context,
    dockerfile: o.dockerfile,
    buildArgs,
    target: o.target,
    secrets,
    digest: hash([
      "docker-build",
      o.context.digest,
      o.dockerfile,
      buildArgs,
      o.target,
      ...(secrets.length > 0 ? [secrets.map((s) => [s.name, s.handle])] : [])
    ])
  }
}

/**
 * A secret of a Dockerfile build: the name the Dockerfile mounts it by, and its handle.
 *
 * @category models
 */
export interface BuildSecret {
  readonly name: string
  readonly handle: string
}
