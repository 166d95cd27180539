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
import type * as Api from "../Core/Api.js"
import { type ApiError, QueryError } from "../Core/Errors.js"
import { CacheIndex } from "../Dag/CacheIndex.js"
import * as CallId from "../Dag/CallId.js"
import { HostSync } from "../Dag/HostSync.js"
import * as Op from "../Dag/Op.js"
import { Solver } from "../Dag/Solver.js"
import * as Snapshots from "../Dag/Snapshots.js"
import { ExtraSpecs } from "../Engine/EngineLive.js"
import { ContainerRuntime } from "../Runtime/ContainerRuntime.js"
import * as CachePolicy from "./CachePolicy.js"
import type * as CallContext from "./CallContext.js"
import * as ContextPath from "./ContextPath.js"
import * as ModuleConfig from "./Config.js"
import type * as Model from "./Model.js"
import * as ModuleSource from "./ModuleSource.js"
import * as Runtime from "./Runtime.js"
import * as ToApi from "./ToApi.js"
import * as TypeDefs from "./TypeDefs.js"

/** Patterns left out of a module's snapshot (the engine provides the SDK's node_modules itself). */
const sourceExclude: ReadonlyArray<string> = ["**/node_modules", ".git", "**/.DS_Store"]

type MemoMap<A> = Map<string, { readonly deferred: Deferred.Deferred<A, ApiError>; readonly at: number }>

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
    const entry = { deferred, at: now }
    entries.set(key, entry)
    return compute.pipe(
      Effect.onExit((exit) => {
        if (Exit.isFailure(exit) && entries.get(key) === entry) entries.delete(key)
        return Deferred.done(deferred, exit)
      })
    )
  })

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
    const sdkVersion = yield* Runtime.sdkVersion(nodeModules).pipe(Effect.orDie)
    const genRoot = yield* Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "dirk-modules-"))),
      (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
    )
    const depsRoot = path.join(yield* Snapshots.stateDir, "npm")
    const config: Runtime.RuntimeConfig = { image, nodeModules, sdkVersion, genRoot, depsRoot }

    const registrations: MemoMap<Model.ModuleDef> = new Map()
    const calls: MemoMap<string> = new Map()
    const served = new Set<string>()
    /** The API spec of each served module source, by content digest. */
    const ownSpecs = new Map<string, Api.ApiSpec>()

    /** Locates a local module, reads its dagger.json and imports the directory into the snapshot store. */
    const load = Effect.fn("Modules.load")(function*(ref: string, workdir: string) {
      const located = yield* ModuleConfig.read(ref, workdir)
      const imported = yield* hostSync.importDirectory(located.dir, { exclude: sourceExclude })
      // the module's files are read from the snapshot (and mounted into its runtime container)
      yield* hostSync.materialize(imported.contentDigest)
      return {
        name: located.config.name,
        dir: located.dir,
        configPath: located.configPath,
        source: located.config.source,
        sdk: located.config.sdk,
        contentDigest: imported.contentDigest,
        snapshot: imported.snapshot,
        disableDefaultFunctionCaching: located.config.disableDefaultFunctionCaching
      } satisfies Model.SourceInfo
    })

    /** The module's typedefs: runs the module with `parentName == ""` once per source digest and SDK version. */
    const register = (source: Model.SourceInfo, ctx: Api.ClientContext): Effect.Effect<Model.ModuleDef, ApiError> =>
      memoize(
        registrations,
        `${source.contentDigest}|${sdkVersion}`,
        Effect.gen(function*() {
          // registrations persist (the cache index's "module" entries): a restarted engine does not run them again
          const key = hash([source.contentDigest, sdkVersion, "registration"])
          const hit = yield* index.get<Model.ModuleDef>("module", key).pipe(Effect.orElseSucceed(() => Option.none()))
          if (Option.isSome(hit)) {
            yield* index.touch("module", key).pipe(Effect.ignore)
            return hit.value.value
          }
          const def = yield* solver.track(
            `register module ${source.name}`,
            Runtime.run(config, runtime, source, { parentName: "", name: "", parent: "{}", inputArgs: [] }, ctx, randomUUID())
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
        const context = ContextPath.contextDir(source.dir)
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
        // the module's own types are in its nested client's schema: it loads its objects by ID (interface values)
        const own = ownSpecs.get(source.contentDigest)
        const compute = solver.track(
          `call ${label}`,
          Runtime.run(config, runtime, source, request, ctx, randomUUID(), own === undefined ? [] : [own])
        ).pipe(
          Effect.map((o) => o.value),
          Effect.withSpan("Modules.call", { attributes: { module: source.name, parent: request.parentName, function: request.name } })
        )
        switch (policy._tag) {
          case "Never":
            return compute
          case "PerSession":
            return memoize(calls, hash([source.contentDigest, sdkVersion, request, ctx.sessionId]), compute)
          case "Default": {
            const key = hash([source.contentDigest, sdkVersion, request, ""])
            const run = request.name !== "" && CachePolicy.isPlain(fn.returnType) ? persisted(key, policy, compute) : compute
            return memoize(calls, key, run, policy.timeToLive)
          }
        }
      }
    })

    /** Installs the module into the calling client's schema, once per client and source digest. */
    const serve = Effect.fn("Modules.serve")(function*(source: Model.SourceInfo, ctx: Api.ClientContext) {
      const key = `${ctx.sessionId}|${ctx.clientId}|${source.contentDigest}`
      if (served.has(key)) return
      const def = yield* register(source, ctx)
      const spec = ToApi.toApiSpec(source.name, def, invoker(source), `${source.contentDigest}|${sdkVersion}`)
      if (Either.isLeft(spec)) return yield* Effect.fail(spec.left)
      ownSpecs.set(source.contentDigest, spec.right)
      yield* ctx.session.serve(ctx.clientId, spec.right)
      served.add(key)
    })

    const ops: ModuleSource.ModuleOps = { load, register, serve }
    /** The module API and `moduleSource`: every client of every session gets it. */
    const specs: ReadonlyArray<Api.ApiSpec> = [TypeDefs.spec, ModuleSource.make(ops)]

    return { specs, load, register, serve, invoker, config } as const
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
