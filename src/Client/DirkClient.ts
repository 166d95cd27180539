/**
 * The session a typed pipeline runs in. A pipeline's leaves (`Container.stdout`, `Directory.entries`…) need a
 * `DirkClient`; a layer provides one:
 *
 * - `layerEmbedded`: an engine in this process (no daemon, no HTTP), over the local Docker daemon;
 * - `layerRemote({ url, token })`: a session someone else opened (its GraphQL endpoint and token);
 * - `layerFromEnv`: the session `dirk run` gives its command (`DAGGER_SESSION_PORT`/`DAGGER_SESSION_TOKEN`), else a
 *   session of the local engine daemon (started when none answers), else, with `DIRK_ENGINE=embedded`, an engine
 *   in this process.
 *
 * Each is scoped: a session it opened ends when the layer is released, and the engine removes what it created.
 */
import { Cause, Config, ConfigProvider, Context, Effect, Layer, Option, type Scope } from "effect"
import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { Engine } from "../Engine/EngineLive.js"
import type { ContainerRuntime } from "../Runtime/ContainerRuntime.js"
import { ConnectionError, type DirkError, fromGraphQL, type GraphQLErrorJson } from "./DirkError.js"

/**
 * A GraphQL request.
 *
 * @category models
 */
export interface Request {
  readonly query: string
  readonly variables?: Readonly<Record<string, unknown>> | undefined
}

/**
 * A GraphQL response.
 *
 * @category models
 */
export interface Response {
  readonly data?: unknown
  readonly errors?: ReadonlyArray<GraphQLErrorJson> | undefined
}

/**
 * The client of one session.
 *
 * @category tags
 */
export class DirkClient extends Context.Tag("dirk/Client/DirkClient")<DirkClient, {
  /** Runs a request; its data, or the first error as the client's error. */
  readonly execute: (request: Request) => Effect.Effect<unknown, DirkError>
  /** Where the session is served (`""` for an embedded session, which has no HTTP endpoint). */
  readonly url: string
}>() {}

/**
 * Runs a raw GraphQL request in the session (for what the generated functions do not cover).
 *
 * @category combinators
 */
export const execute = (request: Request): Effect.Effect<unknown, DirkError, DirkClient> =>
  Effect.flatMap(DirkClient, (client) => client.execute(request))

const dataOf = (response: Response): Effect.Effect<unknown, DirkError> => {
  const first = response.errors?.[0]
  return first === undefined ? Effect.succeed(response.data ?? null) : Effect.fail(fromGraphQL(first))
}

// ---------------------------------------------------------------------------------------------------------------
// remote

const post = (url: string, token: string, request: Request): Effect.Effect<Response, ConnectionError> =>
  Effect.async<Response, ConnectionError>((resume) => {
    const fail = (reason: ConnectionError["reason"], detail: string, cause?: unknown) =>
      resume(Effect.fail(new ConnectionError({ reason, detail, ...(cause !== undefined ? { cause } : {}) })))
    const body = JSON.stringify({ query: request.query, variables: request.variables ?? {} })
    let req: http.ClientRequest
    try {
      req = http.request(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          authorization: `Basic ${Buffer.from(`${token}:`).toString("base64")}`
        }
      }, (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("error", (e) => fail("Unreachable", `the session at ${url} failed: ${e.message}`, e))
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8")
          if (res.statusCode === 401) return fail("Unauthorized", `the session at ${url} refused the token`)
          try {
            resume(Effect.succeed(JSON.parse(text) as Response))
          } catch {
            fail("BadResponse", `the session at ${url} answered HTTP ${res.statusCode} with no JSON: ${text.slice(0, 300)}`)
          }
        })
      })
    } catch (e) {
      return fail("Unreachable", `bad session URL ${JSON.stringify(url)}: ${e instanceof Error ? e.message : String(e)}`, e)
    }
    req.on("error", (e) => fail("Unreachable", `cannot reach the session at ${url}: ${e.message}`, e))
    req.end(body)
    return Effect.sync(() => req.destroy())
  })

const remote = (url: string, token: string): DirkClient["Type"] => ({
  url,
  execute: (request) => Effect.flatMap(post(url, token, request), dataOf)
})

/**
 * A session served at `url` (`http://127.0.0.1:<port>/query`), with its token. The session belongs to whoever
 * opened it: releasing this layer does not end it.
 *
 * @category layers
 */
export const layerRemote = (options: { readonly url: string; readonly token: string }): Layer.Layer<DirkClient> =>
  Layer.succeed(DirkClient, remote(options.url, options.token))

// ---------------------------------------------------------------------------------------------------------------
// embedded

/**
 * How an embedded engine is set up.
 *
 * @category models
 */
export interface EmbeddedOptions {
  /** The session's working directory (host paths are relative to it). Default: the process's. */
  readonly workdir?: string | undefined
  /**
   * The engine's state dir (cache, snapshots). Default: `DIRK_STATE_DIR`, else `$XDG_STATE_HOME/dirk`. One engine
   * holds a state dir at a time: next to a running daemon, give another one.
   */
  readonly stateDir?: string | undefined
}

const failed = (e: unknown) => (e instanceof Error ? e.message : String(e))

/**
 * An engine in this process over `runtime`, with one session (no HTTP: requests run in this process). Internal:
 * `layerEmbedded` (Docker) and `TestRuntime.layer` (the recording runtime) are made with it.
 *
 * @category constructors
 */
export const makeEmbedded = <E>(
  options: EmbeddedOptions,
  runtime: Option.Option<Layer.Layer<ContainerRuntime, E>>
): Effect.Effect<DirkClient["Type"], ConnectionError, Scope.Scope> =>
  Effect.gen(function*() {
    // loaded on first use: a remote client never loads the engine
    const [layers, live] = yield* Effect.promise(() => Promise.all([import("../layers.js"), import("../Engine/EngineLive.js")]))
    const engineLayer: Layer.Layer<Engine, unknown> = Option.match(runtime, {
      onNone: () => layers.engineLayer,
      onSome: (r) => layers.engineLayerWith(r)
    })
    const configured = options.stateDir === undefined ? engineLayer : engineLayer.pipe(
      Layer.provide(Layer.setConfigProvider(
        ConfigProvider.fromMap(new Map([["DIRK_STATE_DIR", options.stateDir]])).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))
      ))
    )
    const scope = yield* Effect.scope
    const context = yield* Layer.buildWithScope(configured, scope).pipe(
      Effect.catchAllCause((cause) =>
        Effect.fail(new ConnectionError({ reason: "EngineFailed", detail: `cannot start the embedded engine: ${failed(Cause.squash(cause))}` }))
      )
    )
    const engine = Context.get(context as Context.Context<Engine>, live.Engine)
    const session = yield* engine.openSession({ workdir: path.resolve(options.workdir ?? process.cwd()), listen: false }).pipe(
      Effect.mapError((e) => new ConnectionError({ reason: "EngineFailed", detail: `cannot open a session: ${e.message}`, cause: e }))
    )
    return {
      url: "",
      execute: (request) => Effect.flatMap(session.execute(request), dataOf)
    } satisfies DirkClient["Type"]
  })

/**
 * An engine in this process with one session, over the local Docker daemon: no daemon, no HTTP. The engine and the
 * session end when the layer is released; the containers, networks and volumes it created are removed then.
 *
 * @category layers
 */
export const layerEmbeddedWith = (options: EmbeddedOptions): Layer.Layer<DirkClient, ConnectionError> =>
  Layer.scoped(DirkClient, makeEmbedded(options, Option.none()))

/**
 * `layerEmbeddedWith({})`: an engine in this process, its session working in the process's directory.
 *
 * @category layers
 */
export const layerEmbedded: Layer.Layer<DirkClient, ConnectionError> = layerEmbeddedWith({})

// ---------------------------------------------------------------------------------------------------------------
// from the environment

// bin/dirk.js of this package: the command that starts a daemon
const dirkBin = (): string | undefined => {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = path.join(dir, "package.json")
    if (fs.existsSync(pkg)) {
      try {
        if ((JSON.parse(fs.readFileSync(pkg, "utf8")) as { name?: unknown }).name === "dirk") return path.join(dir, "bin", "dirk.js")
      } catch {
        // not ours: keep going up
      }
    }
    const up = path.dirname(dir)
    if (up === dir) return undefined
    dir = up
  }
}

/**
 * A session of the engine daemon at the default address (`DIRK_ENGINE`, else the socket in the state dir; one is
 * started when none answers there), open while the layer is.
 *
 * @category layers
 */
export const layerDaemon = (options: { readonly workdir?: string | undefined } = {}): Layer.Layer<DirkClient, ConnectionError> =>
  Layer.scoped(
    DirkClient,
    Effect.gen(function*() {
      const [EngineClient, Address, Snapshots] = yield* Effect.promise(() =>
        Promise.all([import("../Cli/EngineClient.js"), import("../Engine/Address.js"), import("../Dag/Snapshots.js")])
      )
      const stateDir = yield* Effect.orDie(Snapshots.stateDir)
      const picked = Address.parse(yield* Effect.orDie(Config.string("DIRK_ENGINE").pipe(Config.withDefault(""))))
      if (picked !== undefined && "error" in picked) {
        return yield* new ConnectionError({ reason: "Unreachable", detail: `DIRK_ENGINE: ${picked.error}` })
      }
      if (picked?._tag === "Embedded") {
        return yield* new ConnectionError({ reason: "Unreachable", detail: "DIRK_ENGINE=embedded: use layerEmbedded (or layerFromEnv)" })
      }
      const address = picked ?? Address.defaultFor(stateDir)
      const bin = dirkBin()
      if (bin === undefined && picked === undefined) {
        return yield* new ConnectionError({
          reason: "Unreachable",
          detail: `cannot find the dirk package (bin/dirk.js) above ${fileURLToPath(import.meta.url)} to start an engine daemon`
        })
      }
      const session = yield* EngineClient.openSession(
        { address, stateDir, autoStart: picked === undefined, self: [process.execPath, bin ?? "dirk"] },
        { workdir: path.resolve(options.workdir ?? process.cwd()) }
      ).pipe(Effect.mapError((e) => new ConnectionError({ reason: "Unreachable", detail: e.message, cause: e })))
      return remote(session.url, session.token)
    })
  )

/**
 * The session `dirk run` gives its command (`DAGGER_SESSION_PORT` and `DAGGER_SESSION_TOKEN`), as Dagger's clients
 * find it; without them, with `DIRK_ENGINE=embedded` an engine in this process (`layerEmbedded`), else a session of
 * the local engine daemon (`layerDaemon`).
 *
 * @category layers
 */
export const layerFromEnv: Layer.Layer<DirkClient, ConnectionError> = Layer.unwrapEffect(
  Effect.gen(function*() {
    const port = yield* Config.option(Config.integer("DAGGER_SESSION_PORT"))
    const token = yield* Config.option(Config.string("DAGGER_SESSION_TOKEN"))
    if (Option.isSome(port) && Option.isSome(token)) {
      return layerRemote({ url: `http://127.0.0.1:${port.value}/query`, token: token.value })
    }
    if (Option.isSome(port) !== Option.isSome(token)) {
      return Layer.fail(new ConnectionError({
        reason: "Unreachable",
        detail: "DAGGER_SESSION_PORT and DAGGER_SESSION_TOKEN must be set together (as `dirk run` sets them)"
      }))
    }
    const engine = yield* Config.string("DIRK_ENGINE").pipe(Config.withDefault(""))
    return engine.trim() === "embedded" ? layerEmbedded : layerDaemon()
  }).pipe(
    Effect.mapError((e) => new ConnectionError({ reason: "Unreachable", detail: `bad session environment: ${e.message}` }))
  )
)
