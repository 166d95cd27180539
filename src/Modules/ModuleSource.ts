/**
 * Loading modules: `Query.moduleSource(refString)`, `ModuleSource`, and `Module`'s getters and `serve`. The
 * operations that need the engine's services (importing the source, registering, serving) are passed in as
 * {@link ModuleOps}; `Modules.ts` provides them.
 */
import { Effect } from "effect"
import * as Api from "../Core/Api.js"
import { type ApiError, invalid } from "../Core/Errors.js"
import * as Model from "./Model.js"

/**
 * What the `ModuleSource` / `Module` fields need from the engine.
 *
 * @category models
 */
export interface ModuleOps {
  /** Locates a local module (relative to `workdir`), reads dagger.json and imports the directory. */
  readonly load: (ref: string, workdir: string) => Effect.Effect<Model.SourceInfo, ApiError>
  /** The module's typedefs (registration, done once per source digest). */
  readonly register: (source: Model.SourceInfo, ctx: Api.ClientContext) => Effect.Effect<Model.ModuleDef, ApiError>
  /** Installs the module into the calling client's schema (once per client and source digest). */
  readonly serve: (source: Model.SourceInfo, ctx: Api.ClientContext) => Effect.Effect<void, ApiError>
  /** TypeScript declarations of the API of the module's dependencies ("" without dependencies). */
  readonly declarations: (source: Model.SourceInfo, ctx: Api.ClientContext) => Effect.Effect<string, ApiError>
}

const arg = (type: string, doc: string, def?: unknown): Api.ArgSpec =>
  def === undefined ? { type, doc } : { type, doc, default: def }

const leaf = <T>(type: string, doc: string, get: (s: T) => unknown): Api.LeafFieldSpec => ({
  kind: "leaf",
  type,
  doc,
  run: (p: Api.Value<T>) => Effect.succeed(get(p.state))
})

/** A module's typedefs: registered ones for a loaded module, built ones otherwise. */
const defOf = (ops: ModuleOps, s: Model.ModuleState, ctx: Api.ClientContext): Effect.Effect<Model.ModuleDef, ApiError> =>
  s.source === undefined || s.source.sdk === undefined ? Effect.succeed(s.def) : ops.register(s.source, ctx)

const requireSource = (s: Model.ModuleState, what: string): Effect.Effect<Model.SourceInfo, ApiError> =>
  s.source === undefined
    ? Effect.fail(invalid(`${what}: this module was not loaded from a source (use moduleSource(...).asModule)`))
    : Effect.succeed(s.source)

/**
 * The spec of `moduleSource`, `ModuleSource` and the engine-backed part of `Module`.
 *
 * @category constructors
 */
export const make = (ops: ModuleOps): Api.ApiSpec => ({
  objects: [
    {
      name: "Query",
      doc: "The root of the API.",
      fields: {
        moduleSource: {
          kind: "chain",
          type: "ModuleSource!",
          doc: "Creates a module source from a local directory (absolute, or relative to the client's workdir) holding a dagger.json.",
          args: {
            refString: arg("String!", "The path of the module's directory."),
            refPin: arg("String", "A pin for a git source (not supported).", ""),
            disableFindUp: arg("Boolean", "Do not look for dagger.json in parent directories (always the case here).", false),
            allowNotExists: arg("Boolean", "Not supported; a missing module is an error.", false)
          },
          // re-reads the host each time; the result is named by the directory's content
          volatile: true,
          run: (_p, a: { refString: string }, ctx) =>
            ops.load(a.refString, ctx.workdir).pipe(
              Effect.map((s) => Api.state(s, `${s.contentDigest}@${s.dir}`))
            )
        }
      }
    },
    {
      name: "ModuleSource",
      doc: "The source needed to load and run a module, along with any metadata about the source such as versions/urls/etc.",
      fields: {
        moduleName: leaf<Model.SourceInfo>("String!", "The name of the module, including any setting via the withName API.", (s) => s.name),
        moduleOriginalName: leaf<Model.SourceInfo>("String!", "The original name of the module as read from the module's dagger.json.", (s) => s.name),
        asString: leaf<Model.SourceInfo>("String!", "A human readable ref string representation of this module source.", (s) => s.dir),
        localContextDirectoryPath: leaf<Model.SourceInfo>("String!", "The full absolute path to the context directory on the caller's host filesystem.", (s) => s.dir),
        sourceRootSubpath: leaf<Model.SourceInfo>("String!", "The path, relative to the context directory, that contains the module's dagger.json.", () => "."),
        sourceSubpath: leaf<Model.SourceInfo>("String!", "The path, relative to the context directory, that contains the module's source code.", (s) => s.source),
        configExists: leaf<Model.SourceInfo>("Boolean!", "Whether an existing dagger.json for the module was found.", () => true),
        digest: leaf<Model.SourceInfo>("String!", "A content-hash of the module source.", (s) => s.contentDigest),
        dirkDependencyDeclarations: {
          kind: "leaf",
          type: "String!",
          doc: "dirk: TypeScript declarations of the API of the module's dependencies (`dag.<dependency>()` and their types, " +
            "augmenting `@dagger.io/dagger`), as `dirk develop` writes them; empty without dependencies.",
          run: (p: Api.Value<Model.SourceInfo>, _a, ctx) => ops.declarations(p.state, ctx)
        },
        asModule: {
          kind: "chain",
          type: "Module!",
          doc: "Load the source as a module. If this is a local source, the parent directory must have been provided during module source creation.",
          run: (p: Api.Value<Model.SourceInfo>) =>
            Effect.succeed(Api.state<Model.ModuleState>({ def: Model.emptyModule, source: p.state }))
        }
      }
    },
    {
      name: "Module",
      doc: "A Dagger module.",
      sync: (v: Api.Value<Model.ModuleState>, ctx) => defOf(ops, v.state, ctx).pipe(Effect.asVoid),
      fields: {
        name: leaf<Model.ModuleState>("String!", "The name of the module.", (s) => s.source?.name ?? ""),
        description: {
          kind: "leaf",
          type: "String!",
          doc: "The doc string of the module, if any.",
          run: (p: Api.Value<Model.ModuleState>, _a, ctx) => defOf(ops, p.state, ctx).pipe(Effect.map((d) => d.description))
        },
        objects: {
          kind: "chain",
          type: "[TypeDef!]!",
          doc: "Objects served by this module.",
          run: (p: Api.Value<Model.ModuleState>, _a, ctx) =>
            defOf(ops, p.state, ctx).pipe(Effect.map((d) => d.objects.map((t) => Api.state(t))))
        },
        interfaces: {
          kind: "chain",
          type: "[TypeDef!]!",
          doc: "Interfaces served by this module.",
          run: (p: Api.Value<Model.ModuleState>, _a, ctx) =>
            defOf(ops, p.state, ctx).pipe(Effect.map((d) => d.interfaces.map((t) => Api.state(t))))
        },
        enums: {
          kind: "chain",
          type: "[TypeDef!]!",
          doc: "Enumerations served by this module.",
          run: (p: Api.Value<Model.ModuleState>, _a, ctx) =>
            defOf(ops, p.state, ctx).pipe(Effect.map((d) => d.enums.map((t) => Api.state(t))))
        },
        source: {
          kind: "chain",
          type: "ModuleSource!",
          doc: "The source for the module.",
          run: (p: Api.Value<Model.ModuleState>) =>
            requireSource(p.state, "source").pipe(Effect.map((s) => Api.state(s, `${s.contentDigest}@${s.dir}`)))
        },
        serve: {
          kind: "leaf",
          type: "Void",
          doc: "Serve a module's API in the current session (its main object's constructor becomes a root field).",
          args: {
            includeDependencies: arg("Boolean", "Expose the dependencies of this module to the client (not supported yet).", false),
            entrypoint: arg("Boolean", "Install the module as the entrypoint (its functions also appear on Query; not supported yet).", false)
          },
          run: (p: Api.Value<Model.ModuleState>, _a, ctx) =>
            requireSource(p.state, "serve").pipe(
              Effect.flatMap((s) => ops.serve(s, ctx)),
              Effect.as(null)
            )
        }
      }
    }
  ]
})
