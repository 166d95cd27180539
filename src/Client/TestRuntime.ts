/**
 * A container runtime for users' tests that runs no containers: it records what the engine asks of it and answers
 * execs from rules the test gives (`exec(["npm", "test"], { exitCode: 1, stderr: "…" })`). Everything above the
 * runtime is the real engine (IDs, caching, the solver, the GraphQL API), so a pipeline's logic — retries, fan-out,
 * caching, error handling — runs as it would on Docker, in milliseconds.
 *
 * What it does not simulate: file contents. Images are opaque ids; reading files or directories out of a container
 * gives empty ones; Dockerfile builds, image export and terminals fail with a `ContainerError` that says so.
 */
import { Context, Effect, Layer, Option } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Readable } from "node:stream"
import { ContainerError, ContainerRuntime, type ImageConfig, type RunSpec } from "../Runtime/ContainerRuntime.js"
import * as DirkClient from "./DirkClient.js"
import type { ConnectionError } from "./DirkError.js"

/**
 * How an exec ends. Defaults: exit code 0, no output.
 *
 * @category models
 */
export interface Reply {
  readonly exitCode?: number | undefined
  readonly stdout?: string | undefined
  readonly stderr?: string | undefined
}

/**
 * An exec the runtime was asked to run: its argv and what it ran with. `attempt` counts the runs of the same exec
 * (argv, image, env, workdir and user) before it: 0 for the first, 1 for its first retry…
 *
 * @category models
 */
export interface Exec {
  readonly args: ReadonlyArray<string>
  readonly env: ReadonlyArray<string>
  readonly workdir: string
  readonly user: string
  readonly image: string
  readonly attempt: number
}

/**
 * A rule: which execs it answers, and how.
 *
 * @category models
 */
export interface Rule {
  readonly describe: string
  readonly matches: (exec: Exec) => boolean
  readonly reply: (exec: Exec) => Reply
}

/**
 * Answers the exec whose argv is exactly `args` (the full argv: an image's entrypoint is part of it when used).
 * `reply` may depend on the exec (its `attempt`: fail twice, then pass).
 *
 * @category constructors
 */
export const exec = (args: ReadonlyArray<string>, reply: Reply | ((exec: Exec) => Reply)): Rule => ({
  describe: `exec ${JSON.stringify(args)}`,
  matches: (e) => e.args.length === args.length && e.args.every((a, i) => a === args[i]),
  reply: typeof reply === "function" ? reply : () => reply
})

/**
 * Answers the execs for which `predicate` holds.
 *
 * @category constructors
 */
export const execWhere = (
  describe: string,
  predicate: (exec: Exec) => boolean,
  reply: Reply | ((exec: Exec) => Reply)
): Rule => ({ describe, matches: predicate, reply: typeof reply === "function" ? reply : () => reply })

/**
 * What the runtime was asked to do, in order.
 *
 * @category models
 */
export type Op =
  | { readonly _tag: "Pull"; readonly ref: string }
  | ({ readonly _tag: "Exec"; readonly rule: string | undefined } & Exec & Required<Reply>)
  | { readonly _tag: "PutFiles"; readonly image: string; readonly paths: ReadonlyArray<string> }
  | { readonly _tag: "ReadFiles"; readonly image: string; readonly path: string }

/**
 * Settings of the test runtime.
 *
 * @category models
 */
export interface Options {
  /** Image references that do not exist (pulling them fails as a missing image would). */
  readonly missingImages?: ReadonlyArray<string> | undefined
  /** What an exec no rule answers does: succeed with no output (default), or fail with exit code 127. */
  readonly unmatched?: "succeed" | "fail" | undefined
  /** The config of every image (default: root user, workdir `/`, a standard PATH, no entrypoint). */
  readonly imageConfig?: Partial<ImageConfig> | undefined
}

/**
 * The recording of one test runtime.
 *
 * @category tags
 */
export class Recorder extends Context.Tag("dirk/Client/TestRuntime/Recorder")<Recorder, {
  /** Everything asked of the runtime so far, in order. */
  readonly ops: Effect.Effect<ReadonlyArray<Op>>
}>() {}

/**
 * Everything the test runtime was asked so far.
 *
 * @category combinators
 */
export const ops: Effect.Effect<ReadonlyArray<Op>, never, Recorder> = Effect.flatMap(Recorder, (r) => r.ops)

/**
 * The execs the test runtime ran so far (cached ones are not run again, so they are not here).
 *
 * @category combinators
 */
export const execs: Effect.Effect<ReadonlyArray<Extract<Op, { _tag: "Exec" }>>, never, Recorder> = Effect.map(
  ops,
  (all) => all.filter((o): o is Extract<Op, { _tag: "Exec" }> => o._tag === "Exec")
)

const unsupported = (what: string) =>
  Effect.fail(new ContainerError({ reason: "RunFailed", detail: `the test runtime does not simulate ${what}` }))

// an empty directory named after the last component of `p`, as a tar stream
const emptyDirTar = (p: string): Readable => {
  const name = (path.posix.basename(p.replace(/\/+$/, "")) || ".") + "/"
  const header = Buffer.alloc(512)
  header.write(name, 0, 100, "utf8")
  header.write("0000755\0", 100)
  header.write("0000000\0", 108)
  header.write("0000000\0", 116)
  header.write("00000000000\0", 124)
  header.write("00000000000\0", 136)
  header.write("        ", 148)
  header.write("5", 156)
  header.write("ustar\0", 257)
  header.write("00", 263)
  let sum = 0
  for (const b of header) sum += b
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148)
  return Readable.from([Buffer.concat([header, Buffer.alloc(1024)])])
}

/**
 * The runtime itself, and its recorder.
 *
 * @category constructors
 */
export const make = (rules: ReadonlyArray<Rule>, options: Options = {}): {
  readonly runtime: ContainerRuntime["Type"]
  readonly recorder: Recorder["Type"]
} => {
  const recorded: Array<Op> = []
  const attempts = new Map<string, number>()
  let counter = 0
  const newImage = (seed: string) => `sha256:${createHash("sha256").update(`${seed}\0${counter++}`).digest("hex")}`
  const config: ImageConfig = {
    env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    entrypoint: [],
    cmd: [],
    workdir: "/",
    user: "",
    labels: {},
    exposedPorts: [],
    ...options.imageConfig
  }
  const missing = new Set(options.missingImages ?? [])

  const run = (spec: RunSpec) =>
    Effect.sync(() => {
      const key = JSON.stringify(spec.args)
      // the same exec again (a retry): same argv, image, env and workdir
      const identity = JSON.stringify([spec.args, spec.image, spec.env, spec.workdir, spec.user])
      const attempt = attempts.get(identity) ?? 0
      attempts.set(identity, attempt + 1)
      const e: Exec = { args: spec.args, env: spec.env, workdir: spec.workdir, user: spec.user, image: spec.image, attempt }
      const rule = rules.find((r) => r.matches(e))
      const reply: Reply = rule !== undefined
        ? rule.reply(e)
        : options.unmatched === "fail"
        ? { exitCode: 127, stderr: `no rule of the test runtime answers ${key}` }
        : {}
      const result = { exitCode: reply.exitCode ?? 0, stdout: reply.stdout ?? "", stderr: reply.stderr ?? "" }
      recorded.push({ _tag: "Exec", rule: rule?.describe, ...e, ...result })
      if (result.stdout !== "") spec.onOutput?.("stdout", Buffer.from(result.stdout))
      if (result.stderr !== "") spec.onOutput?.("stderr", Buffer.from(result.stderr))
      return {
        exitCode: result.exitCode,
        stdout: Buffer.from(result.stdout),
        stderr: Buffer.from(result.stderr),
        ...(spec.commit ? { imageId: newImage(spec.image + key) } : {})
      }
    })

  const runtime: ContainerRuntime["Type"] = {
    resolveImage: (ref) =>
      Effect.suspend(() => {
        // an image id (one this runtime made, or gave for a reference): in the store already, not pulled
        if (ref.startsWith("sha256:")) return Effect.succeed({ imageId: ref, config })
        recorded.push({ _tag: "Pull", ref })
        return missing.has(ref)
          ? Effect.fail(new ContainerError({ reason: "ImageNotFound", detail: `pull access denied for ${ref} (test runtime: missing image)`, image: ref }))
          : Effect.succeed({ imageId: `sha256:${createHash("sha256").update(`image\0${ref}`).digest("hex")}`, config })
      }),
    scratchImage: Effect.succeed(`sha256:${"0".repeat(64)}`),
    run,
    runTerminal: () => unsupported("terminals"),
    start: () => unsupported("services"),
    setCpuShares: () => Effect.void,
    createNetwork: () => unsupported("services (networks)"),
    putArchives: (image, puts) =>
      Effect.sync(() => {
        recorded.push({ _tag: "PutFiles", image, paths: puts.map((p) => p.path) })
        return newImage(image)
      }),
    getArchive: (image, p, use) =>
      Effect.suspend(() => {
        recorded.push({ _tag: "ReadFiles", image, path: p })
        return use(emptyDirTar(p))
      }),
    statPath: (_image, p) =>
      Effect.succeed(p === "/" || p === "" ? Option.some({ name: "/", size: 0, permissions: 0o755, type: "dir" as const, linkTarget: "" }) : Option.none()),
    saveImage: () => unsupported("image export"),
    ownLabels: { "dirk.test": "1" },
    loadImage: () => unsupported("image import"),
    buildImage: () => unsupported("Dockerfile builds"),
    cleanup: () => Effect.void,
    reapOrphans: () => Effect.void,
    initLayerPaths: () => Effect.succeed([]),
    removeImage: () => Effect.void,
    imageSize: () => Effect.succeed(Option.some(0))
  }
  return { runtime, recorder: { ops: Effect.sync(() => [...recorded]) } }
}

/**
 * The test runtime as a `ContainerRuntime` layer, with its recorder.
 *
 * @category layers
 */
export const layerContainerRuntime = (
  rules: ReadonlyArray<Rule>,
  options: Options = {}
): Layer.Layer<ContainerRuntime | Recorder> =>
  Layer.unwrapEffect(Effect.sync(() => {
    const { recorder, runtime } = make(rules, options)
    return Layer.mergeAll(
      Layer.succeed(Recorder, recorder),
      Layer.succeed(ContainerRuntime, runtime)
    )
  }))

const memoryDir = (): string | undefined => {
  try {
    fs.accessSync("/dev/shm", fs.constants.W_OK)
    return "/dev/shm"
  } catch {
    return undefined
  }
}

/**
 * A session of an engine in this process over the test runtime (a fresh engine and state dir each time the layer
 * is built, removed when it is released), and the runtime's recorder. Programs written against `DirkClient` run on
 * it unchanged.
 *
 * @category layers
 */
export const layer = (rules: ReadonlyArray<Rule>, options: Options = {}): Layer.Layer<DirkClient.DirkClient | Recorder, ConnectionError> =>
  Layer.scopedContext(Effect.gen(function*() {
    const { recorder, runtime } = make(rules, options)
    const stateDir = yield* Effect.acquireRelease(
      // in memory when the host has a tmpfs: the engine syncs its cache entries to disk, and tests want speed
      Effect.sync(() => fs.mkdtempSync(path.join(memoryDir() ?? os.tmpdir(), "dirk-test-runtime-"))),
      (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
    )
    const client = yield* DirkClient.makeEmbedded({ stateDir }, Option.some(Layer.succeed(ContainerRuntime, runtime)))
    return Context.make(DirkClient.DirkClient, client).pipe(Context.add(Recorder, recorder))
  }))
