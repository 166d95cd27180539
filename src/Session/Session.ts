/**
 * A session: its own GraphQL server on 127.0.0.1 (Basic auth with a random token as the user name), and the clients
 * it serves. The root client is the one that opened the session (the CLI, or the program `dirk run` starts); nested
 * clients are module function calls, each with its own token and schema, served on a unix socket.
 */
import { Effect, FiberRef, Scope } from "effect"
import { type DocumentNode, execute, type GraphQLError, type GraphQLSchema, Kind, parse, specifiedRules, validate, ValuesOfCorrectTypeRule } from "graphql"
import { randomBytes, randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import type * as Api from "../Core/Api.js"
import * as Build from "../Core/Build.js"
import { QueryError } from "../Core/Errors.js"
import * as Solver from "../Dag/Solver.js"
import type { SessionInfo } from "../Engine/Engine.js"
import { EngineError } from "../Engine/Engine.js"

/**
 * What a session is made from.
 *
 * @category models
 */
export interface SessionOptions {
  readonly workdir: string
  /** Specs every client sees (core API, module API). */
  readonly baseSpecs: ReadonlyArray<Api.ApiSpec>
  readonly memo: Build.Memo
  /** What the opener does with terminals (default: none). */
  readonly interactive?: Api.SessionOps["interactive"]
  /** How the opener resolves secret URIs (default: this process; see `Api.SessionOps.resolveSecret`). */
  readonly resolveSecret?: Api.SessionOps["resolveSecret"]
  /**
   * Serve the root client over HTTP on 127.0.0.1 (default). Without it the session has no port (`port` 0, `url` "")
   * and its root client is reached only by `execute`, in this process.
   */
  readonly listen?: boolean
}

/**
 * A GraphQL request as a client sends it.
 *
 * @category models
 */
export interface Request {
  readonly query: string
  readonly variables?: Readonly<Record<string, unknown>> | undefined
  readonly operationName?: string | undefined
}

/**
 * A GraphQL response as the session's server sends it (errors as graphql-js serializes them).
 *
 * @category models
 */
export interface Response {
  readonly data: unknown
  readonly errors?: ReadonlyArray<ReturnType<GraphQLError["toJSON"]>>
}

/**
 * An opened session: how clients reach it, and the root client's requests run in this process.
 *
 * @category models
 */
export interface Opened extends SessionInfo {
  /** Runs a request as the root client, with no HTTP in between (interruption cancels it). */
  readonly execute: (request: Request) => Effect.Effect<Response>
}

interface Client {
  readonly id: string
  readonly token: string
  readonly workdir: string
  readonly module: unknown
  specs: ReadonlyArray<Api.ApiSpec>
  built: Build.Built | undefined
  readonly ctx: Api.ClientContext
}

// Dagger's SDKs quote enums nested in input objects; graphql-js would reject them here (see Build.LenientEnumType).
const rules = specifiedRules.filter((r) => r !== ValuesOfCorrectTypeRule)

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers })
  res.end(text)
}

const errorJson = (e: GraphQLError) => e.toJSON()

/** Introspection results by schema and request (query, variables, operation name), as sent. */
const introspected = new WeakMap<GraphQLSchema, Map<string, string>>()

/** Whether every operation of `document` selects only introspection fields (`__schema`, `__type`, `__typename`). */
const isIntrospection = (document: DocumentNode): boolean =>
  document.definitions.every((d) =>
    d.kind === Kind.OPERATION_DEFINITION && d.operation === "query" &&
    d.selectionSet.selections.every((sel) => sel.kind === Kind.FIELD && sel.name.value.startsWith("__"))
  )

/**
 * Opens a session; it is closed (servers stopped, clients dropped) when the scope closes.
 *
 * @category constructors
 */
export const make = (options: SessionOptions): Effect.Effect<Opened, EngineError, Scope.Scope> =>
  Effect.gen(function*() {
    const sessionId = randomUUID()
    const clients = new Map<string, Client>()
    const scope = yield* Effect.scope

    const builtOf = (client: Client): Build.Built => {
      if (client.built === undefined) client.built = Build.buildShared(client.specs, options.memo)
      return client.built
    }

    const ops: Api.SessionOps = {
      id: sessionId,
      interactive: options.interactive ?? { terminal: false, debugFailures: false },
      ...(options.resolveSecret !== undefined ? { resolveSecret: options.resolveSecret } : {}),
      onEnd: (f) => Effect.runSync(Scope.addFinalizer(scope, Effect.sync(f))),
      serve: (clientId, spec) =>
        Effect.try({
          try: () => {
            const client = [...clients.values()].find((c) => c.id === clientId)
            if (client === undefined) throw new Error(`no client ${clientId}`)
            const specs = [...client.specs, spec]
            const built = Build.buildShared(specs, options.memo) // fails on conflicts before anything changes
            client.specs = specs
            client.built = built
          },
          catch: (e) => new QueryError({ reason: "Module", detail: `cannot serve module: ${e instanceof Error ? e.message : String(e)}` })
        }),
      nestedClient: (o) =>
        Effect.gen(function*() {
          // asked for inside the function call's op (Solver.track): the ops of its requests are that call's children
          const parentOp = yield* FiberRef.get(Solver.currentOp)
          const client = addClient(o.workdir, [...options.baseSpecs, ...o.specs], o.module, parentOp)
          yield* Effect.addFinalizer(() => Effect.sync(() => clients.delete(client.token)))
          const socketPath = o.socketPath !== undefined
            ? yield* Effect.acquireRelease(Effect.succeed(o.socketPath), (p) => Effect.sync(() => fs.rmSync(p, { force: true })))
            : path.join(
              yield* Effect.acquireRelease(
                Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "dirk-sock-"))),
                (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
              ),
              "api.sock"
            )
          yield* listen((server) => server.listen(socketPath)).pipe(
            Effect.mapError((e) => new QueryError({ reason: "Internal", detail: `cannot listen on ${socketPath}: ${e.message}` }))
          )
          fs.chmodSync(socketPath, 0o777)
          return { clientId: client.id, token: client.token, socketPath }
        })
    }

    const addClient = (
      workdir: string,
      specs: ReadonlyArray<Api.ApiSpec>,
      module: unknown,
      parentOp?: string | undefined
    ): Client => {
      const token = randomBytes(24).toString("base64url")
      const id = randomUUID()
      const client: Client = {
        id,
        token,
        workdir,
        module,
        specs,
        built: undefined,
        ctx: {
          sessionId,
          clientId: id,
          workdir,
          ...(module !== undefined ? { module } : {}),
          ...(parentOp !== undefined ? { parentOp } : {}),
          session: ops,
          load: (callId) => builtOf(client).load(callId, client.ctx)
        }
      }
      clients.set(token, client)
      return client
    }

    const authorize = (req: http.IncomingMessage): Client | undefined => {
      const header = req.headers.authorization ?? ""
      const m = /^Basic\s+(.+)$/i.exec(header)
      if (m === null) return undefined
      const decoded = Buffer.from(m[1]!, "base64").toString("utf8")
      const token = decoded.includes(":") ? decoded.slice(0, decoded.indexOf(":")) : decoded
      return clients.get(token)
    }

    const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const client = authorize(req)
      if (client === undefined) {
        res.writeHead(401, { "www-authenticate": "Basic realm=\"Access to the dirk engine session\"", "content-type": "text/plain" })
        res.end("unauthorized\n")
        return
      }
      const url = new URL(req.url ?? "/", "http://127.0.0.1")
      if (url.pathname !== "/query") {
        json(res, 404, { errors: [{ message: `no such endpoint ${url.pathname}; POST GraphQL to /query` }] })
        return
      }
      if (req.method !== "POST") {
        json(res, 405, { errors: [{ message: "POST a JSON body {\"query\": …} to /query" }] }, { allow: "POST" })
        return
      }
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("error", () => res.destroy())
      req.on("end", () => {
        try {
          serveBody(client, Buffer.concat(chunks), res)
        } catch (e) {
          if (!res.headersSent) json(res, 500, { errors: [{ message: `internal error: ${e instanceof Error ? e.message : String(e)}` }] })
          else res.destroy()
        }
      })
    }

    const serveBody = (client: Client, raw: Buffer, res: http.ServerResponse) => {
      {
        let body: { query?: unknown; variables?: unknown; operationName?: unknown }
        try {
          body = JSON.parse(raw.toString("utf8"))
        } catch {
          json(res, 400, { errors: [{ message: "the request body is not JSON" }] })
          return
        }
        if (typeof body?.query !== "string") {
          json(res, 400, { errors: [{ message: "the request body has no \"query\" string" }] })
          return
        }
        let built: Build.Built
        try {
          built = builtOf(client)
        } catch (e) {
          json(res, 500, { errors: [{ message: `schema error: ${e instanceof Error ? e.message : String(e)}` }] })
          return
        }
        let document
        try {
          document = parse(body.query)
        } catch (e) {
          json(res, 200, { errors: [errorJson(e as GraphQLError)] })
          return
        }
        const invalid = validate(built.schema, document, rules)
        if (invalid.length > 0) {
          json(res, 200, { errors: invalid.map(errorJson) })
          return
        }
        const variables = body.variables ?? undefined
        if (variables !== undefined && (typeof variables !== "object" || Array.isArray(variables))) {
          json(res, 400, { errors: [{ message: "\"variables\" must be a JSON object" }] })
          return
        }
        if (body.operationName !== undefined && body.operationName !== null && typeof body.operationName !== "string") {
          json(res, 400, { errors: [{ message: "\"operationName\" must be a string" }] })
          return
        }
        // an introspection query (every CLI command sends the same one) is answered once per schema
        const introspection = isIntrospection(document) ? `${body.query}\n${JSON.stringify(variables ?? null)}\n${body.operationName ?? ""}` : undefined
        const known = introspection === undefined ? undefined : introspected.get(built.schema)?.get(introspection)
        if (known !== undefined) {
          res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(known) })
          res.end(known)
          return
        }
        const abort = new AbortController()
        res.on("close", () => {
          if (!res.writableFinished) abort.abort()
        })
        // execute() throws synchronously on some bad input: never let that reach the process
        new Promise((resolve) =>
          resolve(execute({
            schema: built.schema,
            document,
            contextValue: { client: client.ctx, signal: abort.signal } satisfies Build.RequestContext,
            variableValues: variables as Record<string, unknown> | undefined,
            operationName: typeof body.operationName === "string" ? body.operationName : undefined
          }))
        ).then(
          (value) => {
            const result = value as Awaited<ReturnType<typeof execute>>
            const reply = { data: result.data ?? null, ...(result.errors ? { errors: result.errors.map(errorJson) } : {}) }
            if (introspection !== undefined && result.errors === undefined) {
              let bySchema = introspected.get(built.schema)
              if (bySchema === undefined) {
                bySchema = new Map()
                introspected.set(built.schema, bySchema)
              }
              if (bySchema.size < 8) bySchema.set(introspection, JSON.stringify(reply))
            }
            if (!res.writableEnded) json(res, 200, reply)
          },
          (e) => {
            if (!res.writableEnded) json(res, 500, { errors: [{ message: `internal error: ${e instanceof Error ? e.message : String(e)}` }] })
          }
        )
      }
    }

    // A server listening until the session's scope (or the nested client's scope) closes.
    const listen = (start: (server: http.Server) => void) =>
      Effect.acquireRelease(
        Effect.async<http.Server, Error>((resume) => {
          const server = http.createServer({ keepAliveTimeout: 60_000 }, handle)
          server.requestTimeout = 0
          server.headersTimeout = 0
          server.once("error", (e) => resume(Effect.fail(e)))
          server.once("listening", () => resume(Effect.succeed(server)))
          start(server)
        }),
        (server) =>
          Effect.async<void>((resume) => {
            server.close(() => resume(Effect.void))
            server.closeAllConnections()
          })
      )

    const root = addClient(options.workdir, options.baseSpecs, undefined)

    const executeRequest = (request: Request): Effect.Effect<Response> =>
      Effect.async<Response>((resume, signal) => {
        let built: Build.Built
        let document: DocumentNode
        try {
          built = builtOf(root)
          document = parse(request.query)
        } catch (e) {
          resume(Effect.succeed({ data: null, errors: [errorJson(e as GraphQLError)] }))
          return
        }
        const invalid = validate(built.schema, document, rules)
        if (invalid.length > 0) {
          resume(Effect.succeed({ data: null, errors: invalid.map(errorJson) }))
          return
        }
        new Promise((ok) =>
          ok(execute({
            schema: built.schema,
            document,
            contextValue: { client: root.ctx, signal } satisfies Build.RequestContext,
            variableValues: request.variables as Record<string, unknown> | undefined,
            operationName: request.operationName
          }))
        ).then(
          (value) => {
            const result = value as Awaited<ReturnType<typeof execute>>
            resume(Effect.succeed({ data: result.data ?? null, ...(result.errors ? { errors: result.errors.map(errorJson) } : {}) }))
          },
          (e) => resume(Effect.succeed({ data: null, errors: [{ message: `internal error: ${e instanceof Error ? e.message : String(e)}` }] }))
        )
      })

    if (options.listen === false) {
      yield* Effect.try({
        try: () => builtOf(root),
        catch: (e) => new EngineError({ reason: "SessionFailed", detail: `invalid schema: ${e instanceof Error ? e.message : String(e)}`, cause: e })
      })
      return { id: sessionId, port: 0, token: root.token, url: "", execute: executeRequest }
    }
    const server = yield* listen((s) => s.listen(0, "127.0.0.1")).pipe(
      Scope.extend(scope),
      Effect.mapError((e) => new EngineError({ reason: "SessionFailed", detail: `cannot start the session's server: ${e.message}`, cause: e }))
    )
    // Building the root schema now makes schema errors fail the session start, not the first request.
    yield* Effect.try({
      try: () => builtOf(root),
      catch: (e) => new EngineError({ reason: "SessionFailed", detail: `invalid schema: ${e instanceof Error ? e.message : String(e)}`, cause: e })
    })
    const port = (server.address() as AddressInfo).port
    yield* Effect.annotateLogs(Effect.logDebug(`session ${sessionId} listening on 127.0.0.1:${port}`), { component: "Session" })
    return { id: sessionId, port, token: root.token, url: `http://127.0.0.1:${port}/query`, execute: executeRequest }
  })

