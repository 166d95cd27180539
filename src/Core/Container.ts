/**
 * The `Container` type: an immutable container state (rootfs, config, mounts) and the execs run on it.
 */
import { Effect } from "effect"
import { createHash, randomUUID } from "node:crypto"
import * as CallId from "../Dag/CallId.js"
import * as Op from "../Dag/Op.js"
import { type ExecOutcome, Solver } from "../Dag/Solver.js"
import * as Registry from "../Runtime/Registry.js"
import * as Api from "./Api.js"
import { type ApiError, invalid, QueryError } from "./Errors.js"
import { abs, addToRootfs, expandIf, mountAt, same, setPair, withConfig } from "./internal/container.js"
import * as OwnerArg from "./internal/owner.js"
import { relPath } from "./internal/paths.js"
import * as ContainerSecret from "./ContainerSecret.js"
import * as RegistryAuth from "./RegistryAuth.js"
import { registryPort, specOf } from "./internal/service.js"
import type { ContainerConfig, ContainerState, DirectoryState, FileState, ServiceState } from "./State.js"
import { baseName, emptyContainer, nativePlatform } from "./State.js"

type C = Api.Value<ContainerState>
type D = Api.Value<DirectoryState>
type F = Api.Value<FileState>

const setEnv = setPair
const mergePairs = (base: ContainerConfig["env"], over: ReadonlyArray<readonly [string, string]>) =>
  over.reduce((acc, [k, v]) => setEnv(acc, k, v), base)
const splitEnv = (kv: string): readonly [string, string] => {
  const i = kv.indexOf("=")
  return i < 0 ? [kv, ""] : [kv.slice(0, i), kv.slice(i + 1)]
}

const ownerDoc = "A user:group to set for the written entries (e.g. \"app\", \"app:staff\", \"1000:1000\"): names are " +
  "resolved in the container's /etc/passwd and /etc/group; a user alone means its primary group (gid = uid for a number)."

const execDoc = {
  args: { type: "[String!]!", doc: "Command to run (no shell: use [\"sh\",\"-c\",\"...\"]). Empty means the default args." },
  useEntrypoint: { type: "Boolean", doc: "Prepend the container's entrypoint to the args.", default: false },
  stdin: { type: "String", doc: "Written to the command's standard input, which is then closed.", default: "" },
  redirectStdin: {
    type: "String",
    doc: "Redirect the command's standard input from a file in the container (relative to the workdir; its mounts " +
      "included). Example: \"./stdin.txt\"",
    default: ""
  },
  redirectStdout: { type: "String", doc: "Write stdout to this path in the container instead of capturing it.", default: "" },
  redirectStderr: { type: "String", doc: "Write stderr to this path in the container instead of capturing it.", default: "" },
  expect: { type: "ReturnType", doc: "Which exit codes are a success.", default: "SUCCESS" },
  experimentalPrivilegedNesting: { type: "Boolean", doc: "Not supported yet.", default: false },
  insecureRootCapabilities: { type: "Boolean", doc: "Not supported yet.", default: false },
  expand: { type: "Boolean", doc: "Expand ${VAR} in the args with the container's environment.", default: false },
  noInit: { type: "Boolean", doc: "Run without an init process (dirk never injects one).", default: false },
  noCache: {
    type: "Boolean",
    doc: "dirk: always run this command (its result is never reused, and everything built on it runs again).",
    default: false
  }
} as const

/** `linux/x86_64` → `linux/amd64`, `linux/aarch64` and `linux/arm64/v8` → `linux/arm64`, lower case. */
const normalizePlatform = (p: string): string => {
  const [os = "", arch = "", variant] = p.toLowerCase().split("/")
  const a = arch === "x86_64" || arch === "x86-64" ? "amd64" : arch === "aarch64" ? "arm64" : arch
  return a === "arm64" && variant === "v8" ? `${os}/${a}` : variant === undefined ? `${os}/${a}` : `${os}/${a}/${variant}`
}

/**
 * Where an exec sits: the shape of its container's call chain (its field names), and, inside a module function, that
 * function (`Op.exec`'s `site`).
 */
const siteOf = (p: Api.Value<ContainerState>, ctx: Api.ClientContext): string => {
  const m = ctx.module as { readonly moduleName?: string; readonly request?: { readonly parentName: string; readonly name: string } } | undefined
  const where = m?.request !== undefined ? `${m.moduleName}/${m.request.parentName}.${m.request.name}:` : ""
  return createHash("sha256").update(where + CallId.shape(p.id) + ".withExec").digest("hex").slice(0, 32)
}

/**
 * The Container type and the root `container` field.
 *
 * @category constructors
 */
/**
 * The exec op running `args` in a container (its rootfs, mounts, caches, tmpfs, env, workdir, user).
 *
 * @category constructors
 */
export const execOp = (
  p: C,
  args: ReadonlyArray<string>,
  options: Pick<Op.ExecMeta, "stdin" | "redirectStdin" | "redirectStdout" | "redirectStderr" | "expect"> & { readonly nonce?: string },
  ctx: Api.ClientContext
) => {
  const s = p.state
  const caches = s.mounts.flatMap((m): Array<Op.ExecCache> =>
    m.kind === "cache" && m.cache !== undefined ? [{ target: m.target, ...m.cache }] : [])
  const temps = s.mounts.filter((m) => m.kind === "tmpfs")
  const sizes = Object.fromEntries(temps.flatMap((m) => (m.size ? [[m.target, m.size] as const] : [])))
  return Op.exec(
    s.rootfs,
    s.mounts.flatMap((m): Array<Op.ExecMount> =>
      m.kind === "dir" || m.kind === "file"
        ? [{ target: m.target, source: m.source, sourcePath: m.sourcePath, kind: m.kind, readOnly: m.readOnly }]
        : []),
    {
      args,
      env: s.config.env,
      workdir: s.config.workdir || "/",
      user: s.config.user,
      ...options,
      tmpfs: temps.map((m) => m.target),
      ...(Object.keys(sizes).length > 0 ? { tmpfsSize: sizes } : {}),
      ...(caches.length > 0 ? { caches } : {}),
      ...ContainerSecret.execMeta(s),
      ...(s.services !== undefined && s.services.length > 0 ? { services: s.services } : {})
    },
    siteOf(p, ctx)
  )
}

export const make = Effect.gen(function*() {
  const solver = yield* Solver

  const lastExec = (s: ContainerState): Effect.Effect<ExecOutcome, ApiError> =>
    s.exec === undefined
      ? Effect.fail(new QueryError({ reason: "InvalidArgument", detail: "no command has been set" }))
      : solver.exec(s.exec)

  const sync = (v: C) =>
    Effect.gen(function*() {
      yield* solver.image(v.state.rootfs)
      yield* Effect.forEach(v.state.mounts, (m) => solver.snapshot(m.source), { concurrency: "unbounded", discard: true })
    })

  const spec: Api.ApiSpec = {
    objects: [
      {
        name: "Query",
        doc: "The root of the API.",
        fields: {
          container: {
            kind: "chain",
            type: "Container!",
            doc: "Creates a scratch container, with no image or metadata.",
            args: { platform: { type: "Platform", doc: "Platform (only the engine's native platform is supported)." } },
            run: (_p, a: { platform?: string | null }) =>
              a.platform === undefined || a.platform === null || normalizePlatform(a.platform) === nativePlatform()
                ? same(emptyContainer(nativePlatform()))
                : Effect.fail(new QueryError({
                  reason: "Unsupported",
                  detail: `container: platform ${a.platform} is not supported (only the engine's native platform, ${nativePlatform()})`
                }))
          }
        }
      },
      {
        name: "Container",
        doc: "An OCI-compatible container, also known as a Docker container.",
        sync: (v: C) => sync(v),
        fields: {
          from: {
            kind: "chain",
            type: "Container!",
            doc: "Initializes this container from a pulled base image.",
            args: {
              address: { type: "String!", doc: "Image's address from its registry, e.g. \"busybox:latest\"." },
              registryService: {
                type: "ServiceID",
                doc: "A service that is the registry (started for the pull, reached on the address's port, else its first port)."
              }
            },
            run: (p: C, a: { address: string; registryService?: Api.Value<ServiceState> | null }, ctx) =>
              Effect.scoped(Effect.gen(function*() {
                const parsed = Registry.parseReference(a.address)
                const domain = parsed?.domain
                const auth = domain === undefined
                  ? undefined
                  : yield* RegistryAuth.imageAuth(p.state, domain, ctx, `from ${a.address}`)
                // a registry service: pulled through a loopback port of the engine's host forwarding to it
                const service = a.registryService != null ? specOf(a.registryService) : undefined
                const pulled = service === undefined || parsed === undefined || domain === undefined
                  ? a.address
                  : `127.0.0.1:${(yield* solver.services.forward(service, registryPort(domain, service))).port}/` +
                    a.address.slice(a.address.indexOf("/") + 1)
                if (service !== undefined && !a.address.startsWith(`${domain}/`)) {
                  return yield* Effect.fail(invalid(`from: with registryService, the address must name the registry (e.g. "${service.hostname}:5000/app:latest"), got ${JSON.stringify(a.address)}`))
                }
                const img = yield* solver.resolveImage(pulled, auth)
                const c = img.config
                const s = p.state
                return Api.state<ContainerState>({
                  ...s,
                  rootfs: Op.image(img.imageId),
                  config: {
                    env: mergePairs(s.config.env, c.env.map(splitEnv)),
                    labels: mergePairs(s.config.labels, Object.entries(c.labels)),
                    exposedPorts: [...new Set([...s.config.exposedPorts, ...c.exposedPorts])],
                    entrypoint: c.entrypoint,
                    cmd: c.cmd,
                    workdir: c.workdir,
                    user: c.user
                  },
                  exec: undefined,
                  // pulled through the forward: its digests are named by the address's own registry
                  imageRef: Registry.pinnedReference(
                    a.address,
                    (img.repoDigests ?? []).map((d) => (pulled !== a.address && domain !== undefined ? d.replace(/^127\.0\.0\.1:\d+\//, `${domain}/`) : d))
                  ) ?? a.address
                })
              }))
          },
          withExec: {
            kind: "chain",
            type: "Container!",
            doc: "Executes a command in the container, and returns the container with its changes.",
            args: execDoc,
            volatile: (a: { noCache?: boolean }) => a.noCache === true,
            run: (p: C, a: {
              args: ReadonlyArray<string>
              useEntrypoint: boolean
              stdin: string
              redirectStdin: string
              redirectStdout: string
              redirectStderr: string
              expect: "SUCCESS" | "FAILURE" | "ANY"
              expand: boolean
              experimentalPrivilegedNesting: boolean
              insecureRootCapabilities: boolean
              noCache: boolean
            }, ctx) =>
              Effect.gen(function*() {
                const s = p.state
                if (a.redirectStdin && a.stdin) {
                  return yield* Effect.fail(invalid("withExec: give stdin or redirectStdin, not both"))
                }
                for (const flag of ["experimentalPrivilegedNesting", "insecureRootCapabilities"] as const) {
                  if (a[flag]) return yield* Effect.fail(new QueryError({ reason: "Unsupported", detail: `withExec: ${flag} is not supported yet` }))
                }
                let args = a.args.map((x) => expandIf(s, a.expand, x))
                if (args.length === 0) args = [...s.config.cmd]
                if (a.useEntrypoint) args = [...s.config.entrypoint, ...args]
                const exec = execOp(p, args, {
                  stdin: a.stdin,
                  ...(a.redirectStdin ? { redirectStdin: a.redirectStdin } : {}),
                  redirectStdout: a.redirectStdout,
                  redirectStderr: a.redirectStderr,
                  expect: a.expect,
                  ...(a.noCache ? { nonce: randomUUID() } : {})
                }, ctx)
                return Api.state<ContainerState>({
                  ...s,
                  rootfs: Op.execOutput(exec, "rootfs"),
                  mounts: s.mounts.map((m) =>
                    m.readOnly || m.kind !== "dir" ? m : { ...m, source: Op.execOutput(exec, m.target), sourcePath: "" }
                  ),
                  exec,
                  imageRef: undefined
                }, a.noCache ? exec.digest : undefined)
              })
          },
          terminal: {
            kind: "chain",
            type: "Container!",
            doc: "Opens an interactive terminal in this container (attached to the terminal of the session's client, " +
              "e.g. `dirk call … terminal`), and returns the container unchanged once the shell exits.",
            args: {
              cmd: { type: "[String!]", doc: "The command to run (default: sh).", default: ["sh"] },
              experimentalPrivilegedNesting: { type: "Boolean", doc: "Not supported (must be false).", default: false },
              insecureRootCapabilities: { type: "Boolean", doc: "Not supported (must be false).", default: false }
            },
            volatile: true,
            run: (p: C, a: { cmd: ReadonlyArray<string>; experimentalPrivilegedNesting: boolean; insecureRootCapabilities: boolean }, ctx) =>
              Effect.gen(function*() {
                for (const flag of ["experimentalPrivilegedNesting", "insecureRootCapabilities"] as const) {
                  if (a[flag]) return yield* Effect.fail(new QueryError({ reason: "Unsupported", detail: `terminal: ${flag} is not supported yet` }))
                }
                if (ctx.session.interactive?.terminal !== true) {
                  return yield* Effect.fail(new QueryError({
                    reason: "Unsupported",
                    detail: "terminal: no terminal is attached to this session (run dirk call or dirk core from a terminal: " +
                      "stdin and stdout must be a TTY)"
                  }))
                }
                const cmd = a.cmd.length === 0 ? ["sh"] : a.cmd
                const op = execOp(p, cmd, { stdin: "", redirectStdout: "", redirectStderr: "", expect: "ANY" }, ctx)
                yield* solver.terminal(op, cmd)
                return Api.existing(p)
              })
          },
          withWorkdir: {
            kind: "chain",
            type: "Container!",
            doc: "Changes the container's working directory.",
            args: {
              path: { type: "String!", doc: "The path to set as the working directory (relative to the current one)." },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the path.", default: false }
            },
            run: (p: C, a: { path: string; expand: boolean }) => same(withConfig(p.state, { workdir: abs(p.state, a.path, a.expand) }))
          },
          workdir: {
            kind: "leaf",
            type: "String!",
            doc: "The working directory for all commands.",
            run: (p: C) => Effect.succeed(p.state.config.workdir)
          },
          withEnvVariable: {
            kind: "chain",
            type: "Container!",
            doc: "Sets an environment variable.",
            args: {
              name: { type: "String!", doc: "The name of the environment variable." },
              value: { type: "String!", doc: "The value of the environment variable." },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the value with the current environment.", default: false }
            },
            run: (p: C, a: { name: string; value: string; expand: boolean }) =>
              same(withConfig(p.state, { env: setEnv(p.state.config.env, a.name, expandIf(p.state, a.expand, a.value)) }))
          },
          withoutEnvVariable: {
            kind: "chain",
            type: "Container!",
            doc: "Removes an environment variable.",
            args: { name: { type: "String!", doc: "The name of the environment variable." } },
            run: (p: C, a: { name: string }) => same(withConfig(p.state, { env: setEnv(p.state.config.env, a.name, undefined) }))
          },
          envVariable: {
            kind: "leaf",
            type: "String",
            doc: "The value of an environment variable, or null.",
            args: { name: { type: "String!", doc: "The name of the environment variable." } },
            run: (p: C, a: { name: string }) =>
              Effect.succeed([...p.state.config.env].reverse().find(([k]) => k === a.name)?.[1] ?? null)
          },
          withNewFile: {
            kind: "chain",
            type: "Container!",
            doc: "Writes a new file into the container's filesystem.",
            args: {
              path: { type: "String!", doc: "Path of the new file (relative to the workdir)." },
              contents: { type: "String", doc: "Contents of the new file.", default: "" },
              permissions: { type: "Int", doc: "Permission bits of the new file.", default: 0o644 },
              owner: { type: "String", doc: ownerDoc, default: "" },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the path.", default: false }
            },
            run: (p: C, a: { path: string; contents: string; permissions: number; owner: string; expand: boolean }) =>
              Effect.flatMap(OwnerArg.ofContainer("withNewFile", p.state, a.owner), (owner) =>
                same(addToRootfs(p.state, { _tag: "Mkfile", path: abs(p.state, a.path, a.expand), contents: a.contents, mode: a.permissions, ...OwnerArg.field(owner) })))
          },
          withFile: {
            kind: "chain",
            type: "Container!",
            doc: "Copies a file into the container's filesystem.",
            args: {
              path: { type: "String!", doc: "Destination path (relative to the workdir)." },
              source: { type: "FileID!", doc: "The file to copy." },
              permissions: { type: "Int", doc: "Permission bits of the copied file." },
              owner: { type: "String", doc: ownerDoc, default: "" },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the path.", default: false }
            },
            run: (p: C, a: { path: string; source: F; permissions?: number | null; owner: string; expand: boolean }) =>
              Effect.flatMap(OwnerArg.ofContainer("withFile", p.state, a.owner), (owner) =>
                same(addToRootfs(p.state, {
                  _tag: "Copy",
                  source: a.source.state.op,
                  sourcePath: a.source.state.path,
                  dest: abs(p.state, a.path, a.expand),
                  include: [],
                  exclude: [],
                  mode: a.permissions ?? undefined,
                  ...OwnerArg.field(owner)
                })))
          },
          withDirectory: {
            kind: "chain",
            type: "Container!",
            doc: "Copies a directory's contents into the container's filesystem at a path.",
            args: {
              path: { type: "String!", doc: "Destination path (relative to the workdir)." },
              source: { type: "DirectoryID!", doc: "The directory to copy." },
              exclude: { type: "[String!]", doc: "Patterns to exclude.", default: [] },
              include: { type: "[String!]", doc: "Patterns to include.", default: [] },
              gitignore: { type: "Boolean", doc: "Apply the .gitignore files found in the directory (see docs/compatibility.md).", default: false },
              owner: { type: "String", doc: ownerDoc, default: "" },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the path.", default: false },
              permissions: { type: "Int", doc: "Permission bits of every copied file and directory (their own when not set)." }
            },
            run: (p: C, a: { path: string; source: D; exclude: Array<string>; include: Array<string>; gitignore: boolean; owner: string; expand: boolean; permissions?: number | null }) =>
              Effect.flatMap(OwnerArg.ofContainer("withDirectory", p.state, a.owner), (owner) =>
                same(addToRootfs(p.state, {
                  _tag: "Copy",
                  source: a.source.state.op,
                  sourcePath: "",
                  dest: abs(p.state, a.path, a.expand),
                  include: a.include,
                  exclude: a.exclude,
                  ...(a.gitignore ? { gitignore: true } : {}),
                  mode: a.permissions ?? undefined,
                  ...OwnerArg.field(owner)
                })))
          },
          withMountedDirectory: {
            kind: "chain",
            type: "Container!",
            doc: "Mounts a directory at a path for the following execs; writable unless readOnly, and its changes are kept.",
            args: {
              path: { type: "String!", doc: "Where to mount (relative to the workdir)." },
              source: { type: "DirectoryID!", doc: "The directory to mount." },
              owner: { type: "String", doc: ownerDoc + " Applies to the mounted directory and its contents.", default: "" },
              readOnly: { type: "Boolean", doc: "Mount read-only.", default: false },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the path.", default: false }
            },
            run: (p: C, a: { path: string; source: D; owner: string; readOnly: boolean; expand: boolean }) =>
              Effect.flatMap(OwnerArg.ofContainer("withMountedDirectory", p.state, a.owner), (owner) => {
                const target = abs(p.state, a.path, a.expand)
                // With an owner, the mount's source is a copy of the directory owned by it (root included).
                const source = owner === undefined ? a.source.state.op : Op.dirFile(a.source.state.op, [{ _tag: "Chown", path: "", owner }])
                return same({
                  ...p.state,
                  mounts: [...p.state.mounts.filter((m) => m.target !== target), { target, source, sourcePath: "", kind: "dir", readOnly: a.readOnly }],
                  imageRef: undefined
                })
              })
          },
          withEntrypoint: {
            kind: "chain",
            type: "Container!",
            doc: "Sets the entrypoint; clears the default args unless keepDefaultArgs.",
            args: {
              args: { type: "[String!]!", doc: "The entrypoint." },
              keepDefaultArgs: { type: "Boolean", doc: "Keep the default args.", default: false }
            },
            run: (p: C, a: { args: ReadonlyArray<string>; keepDefaultArgs: boolean }) =>
              same(withConfig(p.state, { entrypoint: a.args, cmd: a.keepDefaultArgs ? p.state.config.cmd : [] }))
          },
          entrypoint: {
            kind: "leaf",
            type: "[String!]!",
            doc: "The entrypoint of the container.",
            run: (p: C) => Effect.succeed(p.state.config.entrypoint)
          },
          withDefaultArgs: {
            kind: "chain",
            type: "Container!",
            doc: "Sets the default arguments (the command when withExec gets no args).",
            args: { args: { type: "[String!]!", doc: "The default arguments." } },
            run: (p: C, a: { args: ReadonlyArray<string> }) => same(withConfig(p.state, { cmd: a.args }))
          },
          defaultArgs: {
            kind: "leaf",
            type: "[String!]!",
            doc: "The default arguments.",
            run: (p: C) => Effect.succeed(p.state.config.cmd)
          },
          stdout: {
            kind: "leaf",
            type: "String!",
            doc: "The output stream of the last executed command.",
            run: (p: C) => lastExec(p.state).pipe(Effect.map((o) => o.stdout))
          },
          stderr: {
            kind: "leaf",
            type: "String!",
            doc: "The error stream of the last executed command.",
            run: (p: C) => lastExec(p.state).pipe(Effect.map((o) => o.stderr))
          },
          exitCode: {
            kind: "leaf",
            type: "Int!",
            doc: "The exit code of the last executed command.",
            run: (p: C) => lastExec(p.state).pipe(Effect.map((o) => o.exitCode))
          },
          file: {
            kind: "chain",
            type: "File!",
            doc: "Retrieves a file at the given path (mounts included).",
            args: {
              path: { type: "String!", doc: "The path of the file (relative to the workdir)." },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the path.", default: false }
            },
            run: (p: C, a: { path: string; expand: boolean }) => {
              const path = abs(p.state, a.path, a.expand)
              const m = mountAt(p.state, path)
              if (m !== undefined && m.kind === "dir") {
                return Effect.succeed(Api.state<FileState>({ op: m.source, path: relPath(m.sourcePath + "/" + path.slice(m.target.length)) }))
              }
              if (m !== undefined && m.kind !== "file") {
                return Effect.fail(new QueryError({ reason: "Unsupported", detail: `file ${path}: reading from a ${m.kind} mount is not supported yet` }))
              }
              if (m !== undefined) return Effect.succeed(Api.state<FileState>({ op: m.source, path: m.sourcePath }))
              // Extract keeps the basename of the path as the single entry of its snapshot.
              return Effect.succeed(Api.state<FileState>({ op: Op.extract(p.state.rootfs, path), path: baseName(path) }))
            }
          },
          directory: {
            kind: "chain",
            type: "Directory!",
            doc: "Retrieves a directory at the given path (mounts included).",
            args: {
              path: { type: "String!", doc: "The path of the directory (relative to the workdir)." },
              expand: { type: "Boolean", doc: "Expand ${VAR} in the path.", default: false }
            },
            run: (p: C, a: { path: string; expand: boolean }) => {
              const path = abs(p.state, a.path, a.expand)
              const m = mountAt(p.state, path)
              if (m !== undefined && m.kind === "dir") {
                return Effect.succeed(Api.state<DirectoryState>({ op: Op.subdir(m.source, relPath(m.sourcePath + "/" + path.slice(m.target.length))) }))
              }
              if (m !== undefined && m.kind !== "file") {
                return Effect.fail(new QueryError({ reason: "Unsupported", detail: `directory ${path}: reading from a ${m.kind} mount is not supported yet` }))
              }
              if (m !== undefined) return Effect.fail(invalid(`${path} is a mounted file, not a directory`))
              if (path === "/") return Effect.succeed(Api.state<DirectoryState>({ op: Op.extract(p.state.rootfs, path) }))
              // The trailing "/" makes the runtime follow a symlink at the path (its contents come under the path's name).
              const ex = Op.extract(p.state.rootfs, path + "/")
              return Effect.succeed(Api.state<DirectoryState>({ op: Op.subdir(ex, baseName(path)) }))
            }
          },
          platform: {
            kind: "leaf",
            type: "Platform!",
            doc: "The platform this container executes and publishes as.",
            run: (p: C) => Effect.succeed(p.state.platform)
          },
          imageRef: {
            kind: "leaf",
            type: "String!",
            doc: "The unique image reference, only valid directly after `from`.",
            run: (p: C) =>
              p.state.imageRef === undefined
                ? Effect.fail(invalid("imageRef is only valid directly after from()"))
                : Effect.succeed(p.state.imageRef)
          },
          user: {
            kind: "leaf",
            type: "String!",
            doc: "The user that runs commands.",
            run: (p: C) => Effect.succeed(p.state.config.user)
          },
          withUser: {
            kind: "chain",
            type: "Container!",
            doc: "Sets the user that runs commands.",
            args: { name: { type: "String!", doc: "The user (name or uid[:gid])." } },
            run: (p: C, a: { name: string }) => same(withConfig(p.state, { user: a.name }))
          },
          mounts: {
            kind: "leaf",
            type: "[String!]!",
            doc: "The paths where directories are mounted.",
            run: (p: C) => Effect.succeed([...p.state.mounts.map((m) => m.target), ...(p.state.secretMounts ?? []).map((m) => m.target)])
          }
        }
      }
    ]
  }
  return spec
})
