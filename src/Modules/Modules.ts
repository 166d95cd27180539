/**
 * The modules service: loads module sources, registers them (once per source digest and SDK version), serves them
 * into clients' schemas, and runs their functions (memoized by cache policy). Its `spec` is the module API plus
 * `moduleSource`, for every client of every session.
 */
import { Config, Deferred, Effect, Either, Exit, FiberId, Layer, Option } from "effect"
import { createHash, randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Api from "../Core/Api.js"
import { type ApiError, QueryError } from "../Core/Errors.js"
import { CacheIndex } from "../Dag/CacheIndex.js"
import * as CallId from "../Dag/CallId.js"
import { HostSync } from "../Dag/HostSync.js"
import * as Op from "../Dag/Op.js"
import { Solver } from "../Dag/Solver.js"
import * as Snapshots from "../Dag/Snapshots.js"
import { ExtraSpecs } from "../Engine/EngineLive.js"
import { ContainerRuntime } from "../Runtime/ContainerRuntime.js"
import * as Bindings from "./Bindings.js"
import * as CachePolicy from "./CachePolicy.js"
import type * as CallContext from "./CallContext.js"
import * as ContextPath from "./ContextPath.js"
import * as ModuleConfig from "./Config.js"
import * as GitSource from "./GitSource.js"
import type * as Model from "./Model.js"
import * as ModuleRef from "./ModuleRef.js"
import * as ModuleSource from "./ModuleSource.js"
import * as Naming from "./Naming.js"
import * as Runtime from "./Runtime.js"
import * as ToApi from "./ToApi.js"
import * as TypeDefs from "./TypeDefs.js"
import * as WarmPool from "./WarmPool.js"

/** Patterns left out of a module's snapshot (the engine provides the SDK's node_modules itself). */
const sourceExclude: ReadonlyArray<string> = ["**/node_modules", ".git", "**/.DS_Store"]

type MemoMap<A> = Map<string, { readonly deferred: Deferred.Deferred<A, ApiError>; readonly at: number; readonly ttl?: number }>

/**
 * Concurrent callers of one key share one run; failures and interruptions are not kept; an entry older than
 * `timeToLive` (ms, counted from the start of its run) is run again.
 */
const memoize = <A>(
  entries: MemoMap<A>,
  key: string,
  compute: Effect.Effect<A, ApiError>,
  timeToLive?: number
): Effect.Effect<A, ApiError> =>
  Effect.suspend(() => {
    const now = Date.now()
    const hit = entries.get(key)
    if (hit !== undefined && (timeToLive === undefined || now - hit.at < timeToLive)) return Deferred.await(hit.deferred)
    const deferred = Deferred.unsafeMake<A, ApiError>(FiberId.none)
    const entry = { deferred, at: now, ...(timeToLive !== undefined ? { ttl: timeToLive } : {}) }
    // expired entries go when the map has grown (a long-lived engine sees many TTL'd calls)
    if (entries.size >= sweepAt) {
      for (const [k, e] of entries) if (e.ttl !== undefined && now - e.at >= e.ttl) entries.delete(k)
    }
    entries.set(key, entry)
    return compute.pipe(
      Effect.onExit((exit) => {
        if (Exit.isFailure(exit) && entries.get(key) === entry) entries.delete(key)
        return Deferred.done(deferred, exit)
      })
    )
  })

/** The size of a memo map from which expired entries are swept on the next insertion. */
const sweepAt = 256

const hash = (value: unknown): string => createHash("sha256").update(JSON.stringify(value)).digest("hex")

/** Stamps the module's name on its own typedefs (`sourceModuleName`). */
const stamp = (name: string, def: Model.ModuleDef): Model.ModuleDef => {
  const fn = (f: Model.FunctionData): Model.FunctionData => ({ ...f, sourceModuleName: name })
  return {
    ...def,
    objects: def.objects.map((t) =>
      t.asObject === undefined ? t : {
        ...t,
        asObject: {
          ...t.asObject,
          sourceModuleName: name,
          functions: t.asObject.functions.map(fn),
          ctor: t.asObject.ctor === undefined ? undefined : fn(t.asObject.ctor)
        }
      }
    ),
    interfaces: def.interfaces.map((t) =>
      t.asInterface === undefined ? t : {
        ...t,
        asInterface: { ...t.asInterface, sourceModuleName: name, functions: t.asInterface.functions.map(fn) }
      }
    ),
    enums: def.enums.map((t) => (t.asEnum === undefined ? t : { ...t, asEnum: { ...t.asEnum, sourceModuleName: name } }))
  }
}

/**
 * @category tags
 */
export class Modules extends Effect.Service<Modules>()("dirk/Modules/Modules", {
  scoped: Effect.gen(function*() {
    const runtime = yield* ContainerRuntime
    const hostSync = yield* HostSync
    const solver = yield* Solver
    const index = yield* CacheIndex
    const image = yield* Config.string("DIRK_NODE_IMAGE").pipe(Config.withDefault(Runtime.defaultImage))
    const root = yield* Runtime.engineRoot.pipe(Effect.orDie)
    const nodeModules = path.join(root, "node_modules")
    const typescriptSdk = yield* Runtime.sdkVersion(nodeModules).pipe(Effect.orDie)
    // the Effect SDK is dirk's own code: a change to it registers Effect modules again (a digest of its sources)
    const effectSdk = yield* Runtime.effectSdkVersion(root).pipe(Effect.orDie)
    const sdkVersionOf = (source: Model.SourceInfo) => (source.sdk === "effect" ? effectSdk : typescriptSdk)
    const genRoot = yield* Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "dirk-modules-"))),
      (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
    )
    const depsRoot = path.join(yield* Snapshots.stateDir, "npm")
    const config: Runtime.RuntimeConfig = { image, nodeModules, sdkVersion: typescriptSdk, genRoot, depsRoot }

    const idleSeconds = yield* Config.number("DIRK_MODULE_IDLE").pipe(Config.withDefault(300))
    const maxWorkers = yield* Config.integer("DIRK_MODULE_WORKERS").pipe(Config.withDefault(8))
    const spare = yield* Config.boolean("DIRK_MODULE_SPARE").pipe(Config.withDefault(true))
    // the workers' /src directories, beside the snapshots they link to (one engine per state dir: leftovers go)
    const srcRoot = path.join(yield* Snapshots.stateDir, "modules-run")
    yield* Effect.sync(() => fs.rmSync(srcRoot, { recursive: true, force: true }))
    const pool = yield* WarmPool.make(runtime, { idleMs: idleSeconds * 1000, maxWorkers: Math.max(1, maxWorkers), srcRoot })
    if (spare) {
      // a warm runner for the next module loaded (in the background: the engine does not wait for it)
      yield* Effect.forkScoped(
        Runtime.enableSpare(config, runtime, pool).pipe(
          Effect.catchAllCause((cause) => Effect.logDebug("no spare module runner", cause))
        )
      )
    }

    const registrations: MemoMap<Model.ModuleDef> = new Map()
    const calls: MemoMap<string> = new Map()
    const served = new Set<string>()
    const specs = new Map<string, Api.ApiSpec>()

    const gitRoot = path.join(yield* Snapshots.stateDir, "modules-git")

    /** A module on the way to the one being loaded (for cycle errors). */
    interface Step {
      readonly name: string
      readonly dir: string
    }

    /**
     * Loads the module `ref` names (a path relative to `fromDir`, or a git source) with its dependencies, depth
     * first. `stack` is the chain of modules that led here: meeting one of them again is a cycle. Inside a git
     * checkout (`within`), local dependencies must stay inside it.
     */
    const loadRef = (
      ref: string,
      fromDir: string,
      stack: ReadonlyArray<Step>,
      within: string | undefined,
      pin: string | undefined,
      declaredBy: string | undefined
    ): Effect.Effect<Model.SourceInfo, ApiError> =>
      Effect.gen(function*() {
        const what = declaredBy === undefined ? "module source" : `${declaredBy}: dependency`
        const parsed = ModuleRef.parse(ref)
        if ("error" in parsed) return yield* new QueryError({ reason: "InvalidArgument", detail: `${what} ${parsed.error}` })
        let located: ModuleConfig.LocatedConfig
        let checkoutRoot = within
        let origin: string | undefined
        if (parsed.ok._tag === "Git") {
          const gitRef = parsed.ok
          const commit = pin ?? (yield* GitSource.resolveCommit(gitRef))
          checkoutRoot = yield* GitSource.checkout(gitRoot, gitRef, commit)
          origin = `${gitRef.repo}@${commit}`
          located = yield* ModuleConfig.read(path.join(checkoutRoot, gitRef.subdir), "/").pipe(
            Effect.mapError((e) => new QueryError({ reason: e.reason, detail: `${ModuleRef.format(gitRef)}: ${e.detail}` }))
          )
        } else {
          located = yield* ModuleConfig.read(parsed.ok.path, fromDir).pipe(
            Effect.mapError((e) => (declaredBy === undefined ? e : new QueryError({ reason: e.reason, detail: `${what} ${ref}: ${e.detail}` })))
          )
          if (within !== undefined && path.relative(within, located.dir).startsWith("..")) {
            return yield* new QueryError({ reason: "InvalidArgument", detail: `${what} ${ref} leaves its git repository` })
          }
        }
        const here: Step = { name: located.config.name, dir: fs.realpathSync(located.dir) }
        const seen = stack.findIndex((st) => st.dir === here.dir)
        if (seen >= 0) {
          const chain = [...stack.slice(seen), here].map((st) => `${st.name} (${st.dir})`).join(" -> ")
          return yield* new QueryError({ reason: "InvalidArgument", detail: `dependency cycle: ${chain}` })
        }
        const imported = yield* hostSync.importDirectory(located.dir, { exclude: sourceExclude })
        // the module's files are read from the snapshot (and mounted into its runtime container)
        yield* hostSync.materialize(imported.contentDigest)
        const dependencies = yield* Effect.forEach(located.config.dependencies, (d) =>
          loadRef(d.source, located.dir, [...stack, here], checkoutRoot, d.pin, located.configPath).pipe(
            Effect.map((source): Model.DependencyInfo => ({ name: d.name ?? source.name, source }))
          ))
        const names = new Map<string, string>()
        for (const d of dependencies) {
          const key = Naming.lowerCamel(d.name)
          const other = names.get(key)
          if (other !== undefined) {
            return yield* new QueryError({
              reason: "InvalidArgument",
              detail: `${located.configPath}: two dependencies are named ${d.name} (${other} and ${d.source.origin ?? d.source.dir}); rename one with "name"`
            })
          }
          names.set(key, d.source.origin ?? d.source.dir)
        }
        return {
          name: located.config.name,
          dir: located.dir,
          configPath: located.configPath,
          source: located.config.source,
          sdk: located.config.sdk,
          contentDigest: imported.contentDigest,
          snapshot: imported.snapshot,
          disableDefaultFunctionCaching: located.config.disableDefaultFunctionCaching,
          identity: dependencies.length === 0
            ? imported.contentDigest
            : "sha256:" + hash([imported.contentDigest, dependencies.map((d) => [d.name, d.source.identity])]),
          dependencies,
          origin,
          contextRoot: checkoutRoot
        } satisfies Model.SourceInfo
      })

    /** Locates a module (a local directory or a git source), reads its dagger.json, imports it and its dependencies. */
    const load = Effect.fn("Modules.load")(function*(ref: string, workdir: string) {
      return yield* loadRef(ref, workdir, [], undefined, undefined, undefined)
    })

    /** What a module's code runs with: its dependencies' specs (served to its client) and their bindings. */
    const runtimeDeps = (source: Model.SourceInfo, ctx: Api.ClientContext): Effect.Effect<Runtime.Deps, ApiError> =>
      Effect.gen(function*() {
        if (source.dependencies.length === 0) return Runtime.noDeps
        const direct = yield* Effect.forEach(source.dependencies, (d) =>
          Effect.map(specOf(d.source, d.name, ctx), (spec): Bindings.Binding => ({ rootField: Naming.lowerCamel(d.name), spec })))
        // the types of dependencies' dependencies (their values may be returned), without their constructors
        const directIds = new Set(source.dependencies.map((d) => d.source.identity))
        const transitive = new Map<string, Model.DependencyInfo>()
        const visit = (s: Model.SourceInfo) => {
          for (const d of s.dependencies) {
            if (!directIds.has(d.source.identity) && !transitive.has(d.source.identity)) transitive.set(d.source.identity, d)
            visit(d.source)
          }
        }
        visit(source)
        const indirect = yield* Effect.forEach([...transitive.values()], (d) =>
          Effect.map(specOf(d.source, d.name, ctx), (spec): Bindings.Binding => ({
            rootField: undefined,
            spec: { ...spec, objects: (spec.objects ?? []).filter((o) => o.name !== "Query") }
          })))
        const bindings = [...direct, ...indirect]
        return { specs: bindings.map((b) => b.spec), bindings, identity: source.identity }
      })

    /** The typedefs: runs the module with `parentName == ""` once per identity (source and dependencies) and SDK. */
    const register = (source: Model.SourceInfo, ctx: Api.ClientContext): Effect.Effect<Model.ModuleDef, ApiError> =>
      memoize(
        registrations,
        `${source.identity}|${sdkVersionOf(source)}`,
        Effect.gen(function*() {
          // registrations persist (the cache index's "module" entries): a restarted engine does not run them again
          const key = hash([source.identity, sdkVersionOf(source), "registration"])
          const hit = yield* index.get<Model.ModuleDef>("module", key).pipe(Effect.orElseSucceed(() => Option.none()))
          if (Option.isSome(hit)) {
            yield* index.touch("module", key).pipe(Effect.ignore)
            return hit.value.value
          }
          const deps = yield* runtimeDeps(source, ctx)
          const def = yield* solver.track(
            `register module ${source.name}`,
            Runtime.run(config, runtime, pool, source, { parentName: "", name: "", parent: "{}", inputArgs: [] }, ctx, randomUUID(), deps)
          ).pipe(
            Effect.flatMap((o) =>
              o.module === undefined
                ? Effect.fail(new QueryError({ reason: "Module", detail: `module ${source.name}: registration returned no module` }))
                : Effect.succeed(stamp(source.name, o.module))
            ),
            Effect.withSpan("Modules.register", { attributes: { module: source.name } })
          )
          yield* index.put("module", key, def, { images: [], snapshots: [], bytes: 0 }).pipe(Effect.ignore)
          return def
        })
      )

    /** The API spec of a module served under `servedName` (memoized per identity and name). */
    const specOf = (source: Model.SourceInfo, servedName: string, ctx: Api.ClientContext): Effect.Effect<Api.ApiSpec, ApiError> =>
      Effect.gen(function*() {
        const key = `${source.identity}|${servedName}`
        const hit = specs.get(key)
        if (hit !== undefined) return hit
        const def = yield* register(source, ctx)
        const spec = ToApi.toApiSpec(source.name, def, invoker(source), `${source.identity}|${sdkVersionOf(source)}`, servedName)
        if (Either.isLeft(spec)) return yield* Effect.fail(spec.left)
        specs.set(key, spec.right)
        return spec.right
      })

    /**
     * A `Default`-policy result that holds no object, kept in the cache index ("call" entries) so that a restarted
     * engine does not run the function again (within its time-to-live).
     */
    const persisted = (key: string, policy: CachePolicy.Effective, compute: Effect.Effect<string, ApiError>) =>
      Effect.gen(function*() {
        const hit = yield* index.get<string>("call", key).pipe(Effect.orElseSucceed(() => Option.none()))
        if (
          Option.isSome(hit) && policy._tag === "Default" &&
          (policy.timeToLive === undefined || Date.now() - hit.value.createdAt < policy.timeToLive)
        ) {
          yield* index.touch("call", key).pipe(Effect.ignore)
          return hit.value.value
        }
        const value = yield* compute
        yield* index.put("call", key, value, { images: [], snapshots: [], bytes: 0 }).pipe(Effect.ignore)
        return value
      })

    /**
     * The value of an omitted `defaultPath` argument: the host Directory (filtered by the argument's `ignore`
     * patterns) or File at that path of the module's context directory, named by its content as `host.directory` /
     * `host.file` name theirs.
     */
    const contextual = (source: Model.SourceInfo) => (fn: Model.FunctionData, arg: Model.FunctionArgData) =>
      Effect.gen(function*() {
        const what = `module ${source.name}: function ${fn.name === "" ? "constructor" : fn.name}, argument ${arg.name}: ` +
          `defaultPath ${JSON.stringify(arg.defaultPath)}`
        const fail = (detail: string) => Effect.fail(new QueryError({ reason: "InvalidArgument", detail: `${what}: ${detail}` }))
        const type = arg.typeDef.asObject?.name
        if (arg.typeDef.kind !== "OBJECT_KIND" || (type !== "Directory" && type !== "File")) {
          return yield* fail(`only Directory and File arguments can have a defaultPath`)
        }
        const context = source.contextRoot ?? ContextPath.contextDir(source.dir)
        const resolved = ContextPath.resolve(context, source.dir, arg.defaultPath)
        if (Either.isLeft(resolved)) return yield* fail(resolved.left)
        const abs = resolved.right
        const host = CallId.root("host", "Host")
        const cannot = (e: { readonly message: string }) => fail(`cannot load ${abs}: ${e.message}`)
        if (type === "Directory") {
          const imported = yield* hostSync.importDirectory(abs, { exclude: arg.ignore }).pipe(Effect.catchAll(cannot))
          const id = CallId.append(host, "directory", "Directory", [
            { name: "path", value: CallId.Lit.string(abs) },
            ...(arg.ignore.length === 0 ? [] : [{ name: "exclude", value: CallId.Lit.list(arg.ignore.map(CallId.Lit.string)) }])
          ])
          return {
            _type: "Directory",
            id: CallId.withContent(id, imported.contentDigest),
            state: { op: Op.local(abs, imported.contentDigest, imported.snapshot) }
          } satisfies Api.Value
        }
        const imported = yield* hostSync.importFile(abs).pipe(Effect.catchAll(cannot))
        const id = CallId.append(host, "file", "File", [{ name: "path", value: CallId.Lit.string(abs) }])
        return {
          _type: "File",
          id: CallId.withContent(id, imported.contentDigest),
          state: { op: Op.local(abs, imported.contentDigest, imported.snapshot), path: imported.name }
        } satisfies Api.Value
      })

    /** Runs a function, memoized according to its cache policy. */
    const invoker = (source: Model.SourceInfo): ToApi.Invoker => ({
      contextual: contextual(source),
      isStable: (fn) => CachePolicy.isStable(CachePolicy.effective(fn, source.disableDefaultFunctionCaching)),
      call: (request: CallContext.CallRequest, fn: Model.FunctionData, ctx: Api.ClientContext) => {
        const policy = CachePolicy.effective(fn, source.disableDefaultFunctionCaching)
        const label = `${source.name}.${request.name === "" ? "constructor" : request.name}${request.parentName !== "" && request.parentName.toLowerCase() !== source.name.replace(/[-_]/g, "").toLowerCase() ? ` on ${request.parentName}` : ""}`
        const compute = solver.track(
          `call ${label}`,
          // the module's own types are in its nested client's schema too: it loads its objects by ID (interface values)
          Effect.flatMap(Effect.all([runtimeDeps(source, ctx), specOf(source, source.name, ctx)]), ([deps, own]) =>
            Runtime.run(config, runtime, pool, source, request, ctx, randomUUID(), deps, [own]))
        ).pipe(
          Effect.map((o) => o.value),
          Effect.withSpan("Modules.call", { attributes: { module: source.name, parent: request.parentName, function: request.name } })
        )
        switch (policy._tag) {
          case "Never":
            return compute
          case "PerSession": {
            const key = hash([source.identity, sdkVersionOf(source), request, ctx.sessionId])
            if (!calls.has(key)) Api.onSessionEnd(ctx, () => calls.delete(key))
            return memoize(calls, key, compute)
          }
          case "Default": {
            const key = hash([source.identity, sdkVersionOf(source), request, ""])
            const run = request.name !== "" && CachePolicy.isPlain(fn.returnType) ? persisted(key, policy, compute) : compute
            return memoize(calls, key, run, policy.timeToLive)
          }
        }
      }
    })

    /**
     * Installs the module into the calling client's schema, once per client and identity; its dependencies (all of
     * them: their types may appear in its functions) are served first.
     */
    const serve = (source: Model.SourceInfo, ctx: Api.ClientContext): Effect.Effect<void, ApiError> =>
      serveAs(source, source.name, ctx)

    const serveAs = (source: Model.SourceInfo, servedName: string, ctx: Api.ClientContext): Effect.Effect<void, ApiError> =>
      Effect.gen(function*() {
        const key = `${ctx.sessionId}|${ctx.clientId}|${source.identity}|${servedName}`
        if (served.has(key)) return
        yield* Effect.forEach(source.dependencies, (d) => serveAs(d.source, d.name, ctx), { discard: true })
        const spec = yield* specOf(source, servedName, ctx)
        yield* ctx.session.serve(ctx.clientId, spec)
        served.add(key)
        Api.onSessionEnd(ctx, () => served.delete(key))
      }).pipe(Effect.withSpan("Modules.serve", { attributes: { module: source.name } }))

    const declarations = (source: Model.SourceInfo, ctx: Api.ClientContext) =>
      Effect.map(runtimeDeps(source, ctx), (d) => (d.bindings.length === 0 ? "" : Bindings.declarations(d.bindings)))
    const ops: ModuleSource.ModuleOps = { load, register, serve, declarations }
    /** The module API and `moduleSource`: every client of every session gets it. */
    const moduleSpecs: ReadonlyArray<Api.ApiSpec> = [TypeDefs.spec, ModuleSource.make(ops)]

    return { specs: moduleSpecs, load, register, serve, invoker, config } as const
  })
}) {}

/**
 * The module API as the engine's extra specs (every client of every session sees it).
 *
 * @category layers
 */
export const layerSpecs: Layer.Layer<ExtraSpecs, never, Modules> = Layer.effect(
  ExtraSpecs,
  Effect.map(Modules, (m) => ({ specs: m.specs }))
)
