/**
 * Runs a module written with Dagger's TypeScript SDK in a Node container that stays warm: one long-lived runner per
 * module identity (`WarmPool.ts`, `WarmRunner.ts`) serves its registration and its calls, one at a time.
 *
 * Layout inside the container (no network; everything bound read-only but `/run/dirk`):
 * - `/src`: a host directory of the worker (`WarmPool.Dirs.src`), filled on the host (so that a spare worker,
 *   started before it knows its module, can be given one): `/src/<dir>`, the module directory (hard links to its
 *   snapshot's files);
 * - `/node_modules`: the engine's own node_modules (`@dagger.io/dagger`, `tsx`, `typescript`), found by ESM
 *   resolution from the module's files; with dependencies, the SDK's `client.gen.js` is a generated copy that adds
 *   their bindings (`Bindings.ts`);
 * - `/src/node_modules`: a link to the module's own npm dependencies, when it has any (installed on the host by
 *   `Dependencies.ts` under the directory bound at `/dirk/npm`; they take precedence over the engine's);
 * - `/src/__dirk`: generated files: `client.gen.ts` (empty classes named after the core and dependency types, which
 *   the SDK's scan needs), `warm.mjs` (the runner), `warmup.ts` (what a spare runner warms up with),
 *   `tsconfig.json`;
 * - `/run/dirk`: the runner's control socket and each call's own API socket (the SDK dials
 *   `127.0.0.1:$port`: the runner relays a loopback port to the call's socket).
 */
import { Effect, Option } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type * as Api from "../Core/Api.js"
import { type ApiError, QueryError } from "../Core/Errors.js"
import { type ContainerError, ContainerRuntime, type RunSpec } from "../Runtime/ContainerRuntime.js"
import * as Bindings from "./Bindings.js"
import * as CallContext from "./CallContext.js"
import * as Dependencies from "./Dependencies.js"
import type * as Model from "./Model.js"
import type * as WarmPool from "./WarmPool.js"
import * as WarmRunner from "./WarmRunner.js"

/**
 * Where the runtime's pieces are on the host.
 *
 * @category models
 */
export interface RuntimeConfig {
  /** The Node image (`dirk.local/node:20` unless `DIRK_NODE_IMAGE` is set). */
  readonly image: string
  /** The engine's node_modules directory. */
  readonly nodeModules: string
  /** The version of `@dagger.io/dagger` found there. */
  readonly sdkVersion: string
  /** A directory for generated files (one subdirectory per module source digest). */
  readonly genRoot: string
  /** Where modules' npm dependencies are installed (one subdirectory per set of dependencies). */
  readonly depsRoot: string
}

/**
 * The default Node image of module runtimes.
 *
 * @category constants
 */
export const defaultImage = "dirk.local/node:20"

/**
 * The engine's package root: the nearest directory above this file whose package.json is named "dirk".
 *
 * @category constructors
 */
export const engineRoot: Effect.Effect<string, QueryError> = Effect.suspend(() => {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = path.join(dir, "package.json")
    try {
      const parsed = JSON.parse(fs.readFileSync(pkg, "utf8")) as { name?: unknown }
      if (parsed.name === "dirk") return Effect.succeed(dir)
    } catch {
      // not here: keep walking up
    }
    const up = path.dirname(dir)
    if (up === dir) {
      return Effect.fail(new QueryError({ reason: "Internal", detail: "cannot find the dirk package root (package.json named \"dirk\")" }))
    }
    dir = up
  }
})

/**
 * Reads the SDK version installed in `nodeModules`, checking that tsx and typescript are there too.
 *
 * @category constructors
 */
export const sdkVersion = (nodeModules: string): Effect.Effect<string, QueryError> =>
  Effect.try({
    try: () => {
      for (const p of ["tsx/dist/cli.mjs", "@dagger.io/dagger/package.json"]) {
        if (!fs.existsSync(path.join(nodeModules, p))) throw new Error(`${path.join(nodeModules, p)} is missing`)
      }
      const pkg = JSON.parse(fs.readFileSync(path.join(nodeModules, "@dagger.io/dagger/package.json"), "utf8")) as { version: string }
      return pkg.version
    },
    catch: (e) => new QueryError({ reason: "Internal", detail: `module runtime: ${e instanceof Error ? e.message : String(e)}` })
  })

// ---------------------------------------------------------------------------------------------------------------
// generated files

/**
 * The `client.gen.ts` stand-in: an empty class (or enum) for every class and enum the SDK's generated client
 * declares. The SDK's scan only checks that a referenced core type is declared in a file named `*client.gen.ts`.
 *
 * @category generated
 */
export const clientGen = (sdkDts: string): string => {
  const classes = [...new Set([...sdkDts.matchAll(/^export declare class ([A-Za-z_][A-Za-z0-9_]*)/gm)].map((m) => m[1]!))]
  const enums = [...new Set([...sdkDts.matchAll(/^export declare enum ([A-Za-z_][A-Za-z0-9_]*)/gm)].map((m) => m[1]!))]
  return [
    "// Generated by dirk: names of the core API types, for the TypeScript SDK's scan. Not used at run time.",
    ...classes.map((c) => `export class ${c} {}`),
    ...enums.map((e) => `export enum ${e} {}`),
    ""
  ].join("\n")
}

/**
 * The tsconfig the module's code is compiled with (as upstream's default: decorators are legacy decorators).
 *
 * @category generated
 */
export const tsconfig = JSON.stringify(
  {
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      experimentalDecorators: true,
      strict: true,
      skipLibCheck: true
    },
    // tsx applies a tsconfig only to the files it includes: cover the module under /src, not just /src/__dirk
    include: ["../**/*"]
  },
  null,
  2
)

/**
 * The tsconfig of an Effect SDK module: `dirk/client` and `dirk/module` are dirk's own sources, mounted at
 * `/dirk/src` (the module's editor finds them in the dirk package it links).
 *
 * @category generated
 */
export const effectTsconfig = JSON.stringify(
  {
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      skipLibCheck: true,
      paths: { "dirk/client": ["/dirk/src/Client/index.ts"], "dirk/module": ["/dirk/src/Client/Module.ts"] }
    },
    include: ["../**/*"]
  },
  null,
  2
)

// An Effect module's entry: src/index.ts (or .mts)
const effectEntry = (rels: ReadonlyArray<string>): string => {
  const entry = rels.find((r) => r === "index.ts" || r === "index.mts")
  if (entry === undefined) throw new Error("an Effect SDK module needs src/index.ts (its default export is the module)")
  return entry
}

/**
 * The version of the Effect SDK: a digest of dirk's sources it runs in a module's container (its module API and
 * runtime, the client's runtime, the generated client), so that registrations and cached calls of Effect modules
 * are not reused across changes to it.
 *
 * @category constructors
 */
export const effectSdkVersion = (engineRoot: string): Effect.Effect<string, QueryError> =>
  Effect.try({
    try: () => {
      const h = createHash("sha256")
      const client = path.join(engineRoot, "src", "Client")
      const walk = (dir: string) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
          const p = path.join(dir, e.name)
          if (e.isDirectory()) walk(p)
          else if (e.name.endsWith(".ts")) h.update(path.relative(client, p)).update("\0").update(fs.readFileSync(p)).update("\0")
        }
      }
      walk(client)
      return `effect-${h.digest("hex").slice(0, 16)}`
    },
    catch: (e) => new QueryError({ reason: "Internal", detail: `the Effect SDK's sources: ${e instanceof Error ? e.message : String(e)}` })
  })

const listTsFiles = (dir: string, rel = ""): ReadonlyArray<string> => {
  const out: Array<string> = []
  const entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))
  for (const e of entries) {
    const r = rel === "" ? e.name : `${rel}/${e.name}`
    if (e.isDirectory()) {
      if (e.name !== "node_modules") out.push(...listTsFiles(dir, r))
    } else if ((e.name.endsWith(".ts") || e.name.endsWith(".mts")) && !e.name.endsWith(".d.ts") && !e.name.endsWith(".d.mts")) {
      out.push(r)
    }
  }
  return out
}

/** The mount point name of the module directory under /src. */
const mountName = (dir: string): string => {
  const base = path.basename(dir).replace(/[^A-Za-z0-9._-]/g, "_")
  return base === "" || base === "src" || base === "node_modules" || base === "__dirk" || base.startsWith(".")
    ? "module"
    : base
}

/**
 * What a module's code runs with besides core: its dependencies' specs (served to its client) and their bindings.
 *
 * @category models
 */
export interface Deps {
  readonly specs: ReadonlyArray<Api.ApiSpec>
  readonly bindings: ReadonlyArray<Bindings.Binding>
  /** The module's identity (names the generated files). */
  readonly identity: string | undefined
}

/**
 * A module without dependencies.
 *
 * @category constants
 */
export const noDeps: Deps = { specs: [], bindings: [], identity: undefined }

/** Where the SDK's generated client is, in the engine's node_modules and in the container. */
const sdkClientGen = "@dagger.io/dagger/dist/src/api/client.gen.js"

/**
 * The container-side layout for one module source.
 *
 * @category models
 */
export interface Layout {
  readonly genDir: string
  /** The module's snapshot (host). */
  readonly snapshot: string
  readonly moduleMount: string
  readonly workdir: string
  readonly files: ReadonlyArray<string>
  /** The host path of the SDK client with the dependencies' bindings, when the module has dependencies. */
  readonly clientGen: string | undefined
  /** An Effect SDK module: its entry (container path). */
  readonly effectEntry?: string | undefined
}

/**
 * Writes the generated files of a module source (once per content digest) and returns the layout.
 *
 * @category constructors
 */
export const prepare = (config: RuntimeConfig, source: Model.SourceInfo, deps: Deps = noDeps): Effect.Effect<Layout, QueryError> =>
  Effect.try({
    try: (): Layout => {
      const moduleMount = `/src/${mountName(source.dir)}`
      const srcRel = path.posix.join(source.source.split(path.sep).join("/"), "src")
      const hostSrc = path.join(source.snapshot, srcRel)
      if (!fs.existsSync(hostSrc)) throw new Error(`${path.join(source.dir, srcRel)}: no such directory (the TypeScript SDK expects src/index.ts)`)
      const rels = listTsFiles(hostSrc)
      if (rels.length === 0) throw new Error(`${path.join(source.dir, srcRel)}: no TypeScript files`)
      const files = [...rels.map((r) => path.posix.join(moduleMount, srcRel, r)), "/src/__dirk/client.gen.ts"]
      const genDir = path.join(config.genRoot, (deps.identity ?? source.contentDigest).replace(/^sha256:/, "").slice(0, 32))
      if (!fs.existsSync(path.join(genDir, "client.gen.ts"))) {
        const tmp = `${genDir}.tmp${process.pid}${Math.random().toString(36).slice(2)}`
        fs.mkdirSync(tmp, { recursive: true })
        const dts = fs.readFileSync(path.join(config.nodeModules, "@dagger.io/dagger/dist/src/api/client.gen.d.ts"), "utf8")
        fs.writeFileSync(path.join(tmp, "client.gen.ts"), clientGen(dts) + Bindings.scanSource(deps.bindings))
        if (deps.bindings.length > 0) {
          // the SDK's client plus the dependencies' classes, mounted over the SDK's own
          const original = fs.readFileSync(path.join(config.nodeModules, sdkClientGen), "utf8")
          fs.writeFileSync(path.join(tmp, "sdk-client.gen.js"), original + Bindings.runtimeSource(deps.bindings))
        }
        try {
          fs.renameSync(tmp, genDir)
        } catch {
          fs.rmSync(tmp, { recursive: true, force: true }) // another call won the race
        }
      }
      return {
        genDir,
        snapshot: source.snapshot,
        moduleMount,
        workdir: path.posix.join(moduleMount, source.source.split(path.sep).join("/")),
        files,
        clientGen: deps.bindings.length > 0 ? path.join(genDir, "sdk-client.gen.js") : undefined,
        ...(source.sdk === "effect" ? { effectEntry: path.posix.join(moduleMount, srcRel, effectEntry(rels)) } : {})
      }
    },
    catch: (e) => new QueryError({ reason: "InvalidArgument", detail: `module ${source.name}: ${e instanceof Error ? e.message : String(e)}` })
  })

/**
 * Writes what every worker's `/src/__dirk` holds: the runner, its warm-up module, the tsconfig, and `clientGenTs`.
 *
 * @category generated
 */
export const fillBase = (src: string, clientGenTs: string): void => {
  const gen = path.join(src, "__dirk")
  fs.mkdirSync(gen, { recursive: true })
  fs.writeFileSync(path.join(gen, "client.gen.ts"), clientGenTs)
  fs.writeFileSync(path.join(gen, "tsconfig.json"), tsconfig)
  fs.writeFileSync(path.join(gen, "package.json"), JSON.stringify({ type: "module" }))
  fs.writeFileSync(path.join(gen, "warm.mjs"), WarmRunner.source())
  fs.writeFileSync(path.join(gen, "warmup.ts"), WarmRunner.warmupSource)
}

/**
 * Puts a module into a worker's `/src`: its generated `client.gen.ts`, its directory (hard links to the snapshot's
 * files, copies across filesystems) and a link to its npm dependencies (`npmDeps`, a directory under
 * `config.depsRoot`, seen at `/dirk/npm` in the container).
 *
 * @category generated
 */
export const fillModule = (config: RuntimeConfig, layout: Layout, npmDeps: string | undefined) => (src: string): void => {
  fillBase(src, fs.readFileSync(path.join(layout.genDir, "client.gen.ts"), "utf8"))
  if (layout.effectEntry !== undefined) {
    // an Effect SDK module: its own runner and tsconfig (dirk's sources, seen at /dirk/src, are ES modules)
    fs.writeFileSync(path.join(src, "__dirk", "tsconfig.json"), effectTsconfig)
    fs.writeFileSync(path.join(src, "__dirk", "warm.mjs"), WarmRunner.effectSource(layout.effectEntry))
  }
  linkTree(layout.snapshot, path.join(src, layout.moduleMount.slice("/src/".length)))
  if (npmDeps !== undefined) {
    const rel = path.relative(config.depsRoot, npmDeps)
    if (rel.startsWith("..") || path.isAbsolute(rel)) throw new Error(`${npmDeps} is not under ${config.depsRoot}`)
    fs.symlinkSync(path.posix.join(npmMount, rel.split(path.sep).join("/")), path.join(src, "node_modules"))
  }
}

/** A `package.json` making dirk's sources at /dirk/src ES modules (a module's ESM imports check their named exports). */
const effectPackageJson = (config: RuntimeConfig): string => {
  const p = path.join(config.genRoot, "dirk-package.json")
  if (!fs.existsSync(p)) fs.writeFileSync(p, JSON.stringify({ type: "module" }))
  return p
}

/** Where `config.depsRoot` is in the container. */
const npmMount = "/dirk/npm"

/** A copy of the tree at `from` made of hard links (copies where a link cannot be made), at `to`. */
const linkTree = (from: string, to: string): void => {
  fs.mkdirSync(to, { recursive: true })
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const a = path.join(from, e.name)
    const b = path.join(to, e.name)
    if (e.isDirectory()) linkTree(a, b)
    else if (e.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(a), b)
    else if (e.isFile()) {
      try {
        fs.linkSync(a, b)
      } catch {
        fs.copyFileSync(a, b)
      }
    }
  }
}

/**
 * The container of a worker: the runner under tsx in the Node image, `/src` and `/run/dirk` from `dirs`; with
 * `clientGen`, the SDK's `client.gen.js` replaced by it (a module with dependencies); with `warmup`, a spare that
 * warms up before it listens.
 *
 * @category running
 */
export const workerSpec = (
  config: RuntimeConfig,
  image: { readonly imageId: string; readonly config: { readonly env: ReadonlyArray<string> } },
  options: {
    readonly moduleName: string
    readonly clientGen?: string | undefined
    readonly warmup?: boolean
    /** An Effect SDK module: dirk's sources at /dirk/src (and a package.json making them ES modules). */
    readonly effect?: boolean
  }
) =>
(dirs: WarmPool.Dirs): RunSpec => ({
  image: image.imageId,
  args: ["node", "/node_modules/tsx/dist/cli.mjs", "--no-deprecation", "--tsconfig", "/src/__dirk/tsconfig.json", "/src/__dirk/warm.mjs"],
  env: [
    ...image.config.env.filter((e) => !e.startsWith("DAGGER_")),
    "NO_COLOR=1",
    ...(options.warmup === true ? ["DIRK_RUNNER_WARMUP=1"] : [])
  ],
  workdir: "/src",
  user: "",
  binds: [
    { source: config.nodeModules, target: "/node_modules", readOnly: true },
    ...(options.clientGen === undefined ? [] : [{ source: options.clientGen, target: `/node_modules/${sdkClientGen}`, readOnly: true }]),
    { source: config.depsRoot, target: npmMount, readOnly: true },
    ...(options.effect === true
      ? [
        { source: path.join(path.dirname(config.nodeModules), "src"), target: "/dirk/src", readOnly: true },
        { source: effectPackageJson(config), target: "/dirk/package.json", readOnly: true }
      ]
      : []),
    { source: dirs.src, target: "/src", readOnly: true },
    { source: dirs.run, target: "/run/dirk", readOnly: false }
  ],
  tmpfs: ["/tmp"],
  network: "none",
  commit: false,
  labels: { "dirk.module": options.moduleName },
  // a spare warms up on idle CPU only, so that it never slows the pipelines running meanwhile
  ...(options.warmup === true ? { cpuShares: 2 } : {})
})

/**
 * Keeps a spare worker ready in `pool` (warm, for the next module without dependency bindings that needs a new
 * worker). Fails when the Node image is not there.
 *
 * @category running
 */
export const enableSpare = (config: RuntimeConfig, runtime: ContainerRuntime["Type"], pool: WarmPool.Pool) =>
  Effect.gen(function*() {
    const image = yield* runtime.resolveImage(config.image)
    const dts = fs.readFileSync(path.join(config.nodeModules, "@dagger.io/dagger/dist/src/api/client.gen.d.ts"), "utf8")
    const core = clientGen(dts)
    fs.mkdirSync(config.depsRoot, { recursive: true })
    yield* pool.enableSpare({
      spec: workerSpec(config, image, { moduleName: "(spare)", warmup: true }),
      fill: (src) => fillBase(src, core)
    })
  })

// ---------------------------------------------------------------------------------------------------------------
// running one call


/**
 * The GraphQL extensions of a function's error: its values, JSON-decoded.
 *
 * @category encoding
 */
export const errorExtensions = (error: Model.ErrorData): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const v of error.values) {
    try {
      out[v.name] = JSON.parse(v.value)
    } catch {
      out[v.name] = v.value
    }
  }
  return out
}

const describe = (moduleName: string, request: CallContext.CallRequest): string =>
  request.parentName === ""
    ? `module ${moduleName}: registration`
    : `module ${moduleName}: ${request.parentName}.${request.name === "" ? "constructor" : request.name}`

/**
 * Runs one call of the module (`request`) on a warm runtime of its identity (one is started when none is idle),
 * serving it a nested client of the caller's session bound to this call. Succeeds with the recorded outcome; a
 * function's `returnError` becomes a `QueryError` (reason `Module`) carrying the error's values as extensions (so an
 * `EXEC_ERROR` stays one); a call that ends without returning fails with what the module printed.
 *
 * @category running
 */
export const run = (
  config: RuntimeConfig,
  runtime: ContainerRuntime["Type"],
  pool: WarmPool.Pool,
  source: Model.SourceInfo,
  request: CallContext.CallRequest,
  ctx: Api.ClientContext,
  callKey: string,
  moduleDeps: Deps = noDeps,
  /** What the nested client sees besides core, the module API and the dependencies (the module's own types, for its IDs). */
  ownSpecs: ReadonlyArray<Api.ApiSpec> = []
): Effect.Effect<Extract<CallContext.Outcome, { _tag: "Returned" }>, ApiError> =>
  Effect.scoped(
    Effect.gen(function*() {
      const layout = yield* prepare(config, source, moduleDeps)
      const call = yield* CallContext.make(source.name, request, callKey)
      const npmRequest = yield* Dependencies.read(path.join(source.snapshot, source.source), path.join(source.dir, source.source))
      const npmDeps = npmRequest === undefined ? undefined : yield* Dependencies.install(source.name, npmRequest, config.depsRoot)
      const image = yield* runtime.resolveImage(config.image).pipe(Effect.mapError(containerFailure(source.name)))
      yield* Effect.sync(() => fs.mkdirSync(config.depsRoot, { recursive: true }))
      const worker = yield* pool.acquire(`${source.name}@${layout.genDir}`, {
        spec: workerSpec(config, image, { moduleName: source.name, clientGen: layout.clientGen, effect: layout.effectEntry !== undefined }),
        fill: fillModule(config, layout, npmDeps),
        // a spare has the SDK loaded already: it cannot take a client with dependency bindings, nor an Effect module
        spare: layout.clientGen === undefined && layout.effectEntry === undefined
      })
      // a client of the caller's session for this call only: core, the module API and the module's dependencies
      // (never the caller's other modules), with `call` as its context
      const socketName = `${callKey}.sock`
      const nested = yield* ctx.session.nestedClient({
        specs: [...moduleDeps.specs, ...ownSpecs],
        module: call,
        workdir: source.dir,
        socketPath: path.join(worker.dir, socketName)
      })
      const reply = yield* worker.send({
        id: callKey,
        socket: `/run/dirk/${socketName}`,
        token: nested.token,
        moduleName: source.name,
        files: layout.files,
        workdir: layout.workdir
      })
      const outcome = yield* call.outcome.get
      if (Option.isSome(outcome)) {
        const o = outcome.value
        if (o._tag === "Returned") return o
        return yield* Effect.fail(
          new QueryError({ reason: "Module", detail: o.error.message, extensions: errorExtensions(o.error) })
        )
      }
      // paths in the module's container are shown as the host paths the user edits
      const onHost = (text: string) => text.split(layout.moduleMount + "/").join(source.dir + "/")
      const output = onHost([reply.output, reply.error ?? ""].join("\n").trim().split("\n").slice(-30).join("\n"))
      return yield* Effect.fail(
        new QueryError({
          reason: "Module",
          detail: `${describe(source.name, request)} ended without returning a result` + (output === "" ? "" : `:\n${output}`)
        })
      )
    })
  )

const containerFailure = (moduleName: string) => (e: ContainerError) =>
  new QueryError({ reason: "Module", detail: `module ${moduleName}: cannot run the module runtime: ${e.message}` })
