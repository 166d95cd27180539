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
import { HostSync } from "../Dag/HostSync.js"
import { Solver } from "../Dag/Solver.js"
import * as Snapshots from "../Dag/Snapshots.js"
import { ExtraSpecs } from "../Engine/EngineLive.js"
import { ContainerRuntime } from "../Runtime/ContainerRuntime.js"
import type * as CallContext from "./CallContext.js"
import * as ModuleConfig from "./Config.js"
import type * as Model from "./Model.js"
import * as ModuleSource from "./ModuleSource.js"
import * as Runtime from "./Runtime.js"
import * as ToApi from "./ToApi.js"
import * as TypeDefs from "./TypeDefs.js"

/** Patterns left out of a module's snapshot (the engine provides the SDK's node_modules itself). */
const sourceExclude: ReadonlyArray<string> = ["**/node_modules", ".git", "**/.DS_Store"]

type MemoMap<A> = Map<string, Deferred.Deferred<A, ApiError>>

/** Concurrent callers of one key share one run; failures and interruptions are not kept. */
const memoize = <A>(entries: MemoMap<A>, key: string, compute: Effect.Effect<A, ApiError>): Effect.Effect<A, ApiError> =>
  Effect.suspend(() => {
    const hit = entries.get(key)
    if (hit !== undefined) return Deferred.await(hit)
    const deferred = Deferred.unsafeMake<A, ApiError>(FiberId.none)
    entries.set(key, deferred)
    return compute.pipe(
      Effect.onExit((exit) => {
        if (Exit.isFailure(exit)) entries.delete(key)
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

    /** Runs a function, memoized according to its cache policy. */
    const invoker = (source: Model.SourceInfo): ToApi.Invoker => ({
      call: (request: CallContext.CallRequest, fn: Model.FunctionData, ctx: Api.ClientContext) => {
        const policy = source.disableDefaultFunctionCaching && fn.cachePolicy === "Default" ? "PerSession" : fn.cachePolicy
        const label = `${source.name}.${request.name === "" ? "constructor" : request.name}${request.parentName !== "" && request.parentName.toLowerCase() !== source.name.replace(/[-_]/g, "").toLowerCase() ? ` on ${request.parentName}` : ""}`
        const compute = solver.track(`call ${label}`, Runtime.run(config, runtime, source, request, ctx, randomUUID())).pipe(
          Effect.map((o) => o.value),
          Effect.withSpan("Modules.call", { attributes: { module: source.name, parent: request.parentName, function: request.name } })
        )
        if (policy === "Never") return compute
        const key = hash([source.contentDigest, sdkVersion, request, policy === "PerSession" ? ctx.sessionId : ""])
        return memoize(calls, key, compute)
      }
    })

    /** Installs the module into the calling client's schema, once per client and source digest. */
    const serve = Effect.fn("Modules.serve")(function*(source: Model.SourceInfo, ctx: Api.ClientContext) {
      const key = `${ctx.sessionId}|${ctx.clientId}|${source.contentDigest}`
      if (served.has(key)) return
      const def = yield* register(source, ctx)
      const spec = ToApi.toApiSpec(source.name, def, invoker(source), `${source.contentDigest}|${sdkVersion}`)
      if (Either.isLeft(spec)) return yield* Effect.fail(spec.left)
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
