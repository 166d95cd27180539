/**
 * The engine daemon: serves the control protocol (`Protocol.ts`) on the engine's socket until it is stopped
 * (`POST /stop`, SIGTERM/SIGINT through the caller's interruption, or an idle timeout), with every session tied to
 * the connection that opened it.
 */
import { Deferred, Effect, Exit, Fiber, Runtime, Scope, Stream } from "effect"
import * as fs from "node:fs"
import * as http from "node:http"
import * as net from "node:net"
import type * as SecretUri from "../Core/SecretUri.js"
import * as Address from "./Address.js"
import { EngineError } from "./Engine.js"
import { Engine } from "./EngineLive.js"
import * as Protocol from "./Protocol.js"

/**
 * @category models
 */
export interface ServeOptions {
  readonly address: Exclude<Address.Address, { _tag: "Embedded" }>
  readonly stateDir: string
  /** Stop after this long without sessions (none: never). */
  readonly idleTimeoutMs?: number | undefined
  /** Called once the socket accepts connections. */
  readonly onReady?: (() => void) | undefined
}

interface OpenSession {
  readonly status: Protocol.SessionStatus
  readonly close: () => void
  readonly token: string
  /** Settles a pending secret request of this session; false when there is none with that id. */
  readonly answer: (id: number, result: { readonly value?: unknown; readonly error?: unknown }) => boolean
}

const sendJson = (res: http.ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
  res.end(text)
}

const readBody = (req: http.IncomingMessage): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    req.on("data", (c: Buffer) => chunks.push(c))
    req.on("error", reject)
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8").trim()
      try {
        resolve(text === "" ? {} : JSON.parse(text))
      } catch {
        reject(new Error("the request body is not JSON"))
      }
    })
  })

/** Whether something answers on a unix socket path. */
const answers = (socketPath: string): Promise<boolean> =>
  new Promise((resolve) => {
    const s = net.connect(socketPath)
    s.once("connect", () => {
      s.destroy()
      resolve(true)
    })
    s.once("error", () => resolve(false))
  })

/**
 * Serves until stopped. Requires the engine (built by the caller, who holds the state dir).
 *
 * @category constructors
 */
export const serve = (options: ServeOptions): Effect.Effect<void, EngineError, Engine> =>
  Effect.scoped(Effect.gen(function*() {
    const engine = yield* Engine
    const runtime = yield* Effect.runtime<never>()
    const stopped = yield* Deferred.make<void>()
    const sessions = new Map<string, OpenSession>()
    const startedAt = new Date().toISOString()
    let idleSince = Date.now()

    const hello: Protocol.Hello = {
      version: Protocol.version,
      protocol: Protocol.protocol,
      pid: process.pid,
      stateDir: options.stateDir
    }

    const status = (res: http.ServerResponse) =>
      Runtime.runFork(runtime)(Effect.map(engine.gc.usage, (cache) =>
        sendJson(res, 200, {
          ...hello,
          startedAt,
          sessions: [...sessions.values()].map((s) => s.status),
          cache
        } satisfies Protocol.Status)
      ))

    const prune = (res: http.ServerResponse, body: unknown) => {
      const b = body as { all?: unknown; keepStorage?: unknown }
      const keepStorage = typeof b.keepStorage === "number" && b.keepStorage >= 0 ? b.keepStorage : undefined
      Runtime.runFork(runtime)(Effect.map(engine.gc.collect({ all: b.all === true, keepStorage }), (report) =>
        sendJson(res, 200, report)
      ))
    }

    /** A session for the life of this response; progress events follow the first line. */
    const openSession = (req: http.IncomingMessage, res: http.ServerResponse, body: unknown) => {
      const workdir = (body as { workdir?: unknown }).workdir
      if (typeof workdir !== "string" || !workdir.startsWith("/")) {
        sendJson(res, 400, { error: "POST /session needs {\"workdir\": \"/absolute/path\"}" })
        return
      }
      const scope = Runtime.runSync(runtime)(Scope.make())
      const closeScope = () => Runtime.runFork(runtime)(Scope.close(scope, Exit.void))
      let ended = false
      const end = () => {
        if (ended) return
        ended = true
        closeScope()
      }
      // the client went away (closed connection, killed process): end the session
      res.on("close", end)
      req.on("aborted", end)
      const write = (line: unknown) => {
        if (!res.writableEnded && !res.destroyed) res.write(JSON.stringify(line) + "\n")
      }
      const asked = (body as { interactive?: { terminal?: unknown; debugFailures?: unknown } }).interactive
      const interactive = { terminal: asked?.terminal === true, debugFailures: asked?.debugFailures === true }
      // secret URIs are resolved by the client: asked on the session stream, answered by POST /session/secret
      const pending = new Map<number, (result: { readonly value?: unknown; readonly error?: unknown }) => void>()
      let nextRequest = 0
      const resolveSecret = (uri: SecretUri.SecretUri) =>
        Effect.async<string, string>((resume) => {
          if (ended || res.writableEnded || res.destroyed) {
            resume(Effect.fail(`secret ${JSON.stringify(uri.uri)}: the session's client is gone`))
            return
          }
          const id = ++nextRequest
          pending.set(id, (r) => {
            pending.delete(id)
            resume(typeof r.value === "string"
              ? Effect.succeed(r.value)
              : Effect.fail(typeof r.error === "string" ? r.error : `secret ${JSON.stringify(uri.uri)}: the client gave no value`))
          })
          write({ secret: { id, uri: uri.uri } satisfies Protocol.SecretRequest })
          return Effect.sync(() => pending.delete(id))
        })
      res.on("close", () => {
        for (const settle of [...pending.values()]) settle({ error: "the session's client went away before it answered" })
      })
      Runtime.runFork(runtime)(
        engine.openSession({ workdir, interactive, resolveSecret }).pipe(
          Scope.extend(scope),
          Effect.matchCauseEffect({
            onFailure: (cause) =>
              Effect.sync(() => {
                res.writeHead(200, { "content-type": "application/x-ndjson" })
                const e = cause._tag === "Fail" ? cause.error : undefined
                write({ error: e instanceof Error ? e.message : "cannot open a session" })
                res.end()
                end()
              }),
            onSuccess: (opened) =>
              Effect.gen(function*() {
                const { events, ...info } = opened
                const status: Protocol.SessionStatus = { id: info.id, workdir, openedAt: new Date().toISOString() }
                sessions.set(info.id, {
                  status,
                  close: () => res.destroy(),
                  token: info.token,
                  answer: (id, result) => {
                    const settle = pending.get(id)
                    if (settle === undefined) return false
                    settle(result)
                    return true
                  }
                })
                yield* Scope.addFinalizer(scope, Effect.sync(() => {
                  sessions.delete(info.id)
                  if (sessions.size === 0) idleSince = Date.now()
                }))
                res.writeHead(200, { "content-type": "application/x-ndjson" })
                write({ session: info })
                const follower = yield* Effect.forkIn(Stream.runForEach(events, (event) => Effect.sync(() => write({ event }))), scope)
                yield* Scope.addFinalizer(scope, Fiber.interrupt(follower))
                if (ended) yield* Scope.close(scope, Exit.void)
              })
          })
        )
      )
    }

    /** The client's answer to a secret request (`Protocol.SecretAnswer`). */
    const secretAnswer = (res: http.ServerResponse, body: unknown) => {
      const b = body as Partial<Record<keyof Protocol.SecretAnswer, unknown>>
      const open = typeof b.session === "string" ? sessions.get(b.session) : undefined
      if (open === undefined || typeof b.token !== "string" || b.token !== open.token) {
        return sendJson(res, 404, { error: "no such session" })
      }
      if (typeof b.id !== "number" || !open.answer(b.id, { value: b.value, error: b.error })) {
        return sendJson(res, 404, { error: "no such secret request" })
      }
      sendJson(res, 200, {})
    }

    const stop = (res: http.ServerResponse, body: unknown) => {
      const force = (body as { force?: unknown }).force === true
      if (sessions.size > 0 && !force) {
        sendJson(res, 409, {
          error: `the engine has ${sessions.size} open session(s) (${[...sessions.values()].map((s) => s.status.workdir).join(", ")}); ` +
            `stop it anyway with dirk engine stop --force`
        })
        return
      }
      sendJson(res, 200, { stopping: true })
      Runtime.runFork(runtime)(Deferred.succeed(stopped, undefined))
    }

    const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const url = new URL(req.url ?? "/", "http://engine")
      const route = `${req.method} ${url.pathname}`
      if (route === "GET /version") return sendJson(res, 200, hello)
      if (route === "GET /status") return status(res)
      if (route === "POST /session" || route === "POST /stop" || route === "POST /prune" || route === "POST /session/secret") {
        readBody(req).then(
          (body) =>
            route === "POST /session"
              ? openSession(req, res, body)
              : route === "POST /stop"
              ? stop(res, body)
              : route === "POST /session/secret"
              ? secretAnswer(res, body)
              : prune(res, body),
          (e: Error) => sendJson(res, 400, { error: e.message })
        )
        return
      }
      sendJson(res, 404, { error: `no such endpoint: ${route}` })
    }

    const address = options.address
    if (address._tag === "Unix") {
      if (fs.existsSync(address.path)) {
        if (yield* Effect.promise(() => answers(address.path))) {
          return yield* new EngineError({
            reason: "Unavailable",
            detail: `another engine already listens on ${Address.format(address)}`
          })
        }
        yield* Effect.sync(() => fs.rmSync(address.path, { force: true }))
      }
    }
    const server = yield* Effect.acquireRelease(
      Effect.async<http.Server, EngineError>((resume) => {
        const server = http.createServer({ keepAliveTimeout: 60_000 }, handle)
        server.requestTimeout = 0
        server.headersTimeout = 0
        server.once("error", (e) =>
          resume(Effect.fail(new EngineError({ reason: "Unavailable", detail: `cannot listen on ${Address.format(address)}: ${e.message}`, cause: e }))))
        server.once("listening", () => resume(Effect.succeed(server)))
        if (address._tag === "Unix") server.listen(address.path)
        else server.listen(address.port, address.host)
      }),
      (server) =>
        Effect.async<void>((resume) => {
          for (const s of sessions.values()) s.close()
          server.close(() => resume(Effect.void))
          server.closeAllConnections()
          if (address._tag === "Unix") fs.rmSync(address.path, { force: true })
        })
    )
    if (address._tag === "Unix") yield* Effect.sync(() => fs.chmodSync(address.path, 0o600))
    yield* Effect.logInfo(`engine ${Protocol.version} (pid ${process.pid}) listening on ${Address.format(address)}`)
    options.onReady?.()

    if (options.idleTimeoutMs !== undefined) {
      const idle = options.idleTimeoutMs
      yield* Effect.forkScoped(Effect.gen(function*() {
        for (;;) {
          yield* Effect.sleep(Math.min(idle, 10_000))
          if (sessions.size === 0 && Date.now() - idleSince >= idle) {
            yield* Effect.logInfo(`no session for ${Math.round(idle / 1000)} s: stopping`)
            yield* Deferred.succeed(stopped, undefined)
            return
          }
        }
      }))
    }
    void server
    yield* Deferred.await(stopped)
  }))
