/**
 * The CLI's side of the engine daemon: finds the engine (`DIRK_ENGINE`/`--engine`, else the socket in the state
 * dir), starts one in the background when none answers at the default place, checks versions, and opens sessions
 * over the control protocol (`Engine/Protocol.ts`).
 */
import { Effect, Either, Layer, Queue, Stream } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"
import * as SecretUri from "../Core/SecretUri.js"
import type { ProgressEvent } from "../Dag/Solver.js"
import * as Address from "../Engine/Address.js"
import { EngineError, type EngineShape, type SessionInfo, type SessionOptions } from "../Engine/Engine.js"
import * as Protocol from "../Engine/Protocol.js"
import * as StateLock from "../Engine/StateLock.js"
import { CliEngine } from "./CliEngine.js"

/**
 * @category models
 */
export interface ClientOptions {
  readonly address: Exclude<Address.Address, { _tag: "Embedded" }>
  readonly stateDir: string
  /** Start a daemon in the background when none answers (the default address only). */
  readonly autoStart: boolean
  /** The command that starts a daemon: `[node, bin/dirk.js]`. */
  readonly self: ReadonlyArray<string>
}

/** How long an auto-started engine waits without sessions before it stops. */
export const autoStartIdleTimeout = "30m"

const unavailable = (detail: string, cause?: unknown) =>
  new EngineError({ reason: "Unavailable", detail, ...(cause !== undefined ? { cause } : {}) })

const target = (a: ClientOptions["address"]) =>
  a._tag === "Unix" ? { socketPath: a.path } : { host: a.host, port: a.port }

/**
 * One request to the engine; the body is read whole and parsed as JSON.
 *
 * @category constructors
 */
export const request = <A>(
  address: ClientOptions["address"],
  method: "GET" | "POST",
  urlPath: string,
  body?: unknown
): Effect.Effect<{ readonly status: number; readonly body: A }, EngineError> =>
  Effect.async((resume) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = http.request({
      ...target(address),
      method,
      path: urlPath,
      headers: payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
    }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("error", (e) => resume(Effect.fail(unavailable(`engine at ${Address.format(address)}: ${e.message}`, e))))
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        try {
          resume(Effect.succeed({ status: res.statusCode ?? 0, body: JSON.parse(text) as A }))
        } catch {
          resume(Effect.fail(unavailable(`engine at ${Address.format(address)} answered ${res.statusCode}: ${text.slice(0, 200)}`)))
        }
      })
    })
    req.on("error", (e) => resume(Effect.fail(unavailable(`no engine answers at ${Address.format(address)} (${(e as { code?: string }).code ?? e.message})`, e))))
    req.end(payload)
    return Effect.sync(() => req.destroy())
  })

/**
 * The engine's greeting, or a failure when none answers.
 *
 * @category constructors
 */
export const hello = (address: ClientOptions["address"]): Effect.Effect<Protocol.Hello, EngineError> =>
  Effect.map(request<Protocol.Hello>(address, "GET", "/version"), (r) => r.body)

const mismatch = (address: ClientOptions["address"], h: Protocol.Hello) =>
  unavailable(
    `the engine at ${Address.format(address)} (pid ${h.pid}) is dirk ${h.version} (protocol ${h.protocol}), this CLI is dirk ` +
      `${Protocol.version} (protocol ${Protocol.protocol}): stop it with \`dirk engine stop\` once its sessions are done`
  )

/** Starts `dirk engine serve` in the background, its output in `<stateDir>/engine.log`. */
const startDaemon = (options: ClientOptions) =>
  Effect.try({
    try: () => {
      fs.mkdirSync(options.stateDir, { recursive: true, mode: 0o700 })
      const log = path.join(options.stateDir, "engine.log")
      const fd = fs.openSync(log, "a")
      const [cmd, ...args] = options.self
      const child = spawn(cmd!, [...args, "engine", "serve", "--idle-timeout", autoStartIdleTimeout], {
        detached: true,
        stdio: ["ignore", fd, fd],
        env: { ...process.env, DIRK_STATE_DIR: options.stateDir, DIRK_ENGINE: Address.format(options.address) }
      })
      fs.closeSync(fd)
      let exited: number | null | undefined
      child.on("exit", (code) => (exited = code))
      child.unref()
      return { log, exited: () => exited }
    },
    catch: (e) => unavailable(`cannot start an engine: ${e instanceof Error ? e.message : String(e)}`, e)
  })

const logTail = (log: string): string => {
  try {
    return fs.readFileSync(log, "utf8").trimEnd().split("\n").slice(-15).join("\n")
  } catch {
    return ""
  }
}

/**
 * The engine at the address after the version check; starts one (default address) when none answers, and replaces
 * an idle one of another version. Two CLIs starting at once end up on one engine (the state dir's lock lets one
 * daemon win; both wait for the socket).
 *
 * @category constructors
 */
export const ensure = (options: ClientOptions): Effect.Effect<Protocol.Hello, EngineError> =>
  Effect.gen(function*() {
    const first = yield* Effect.either(hello(options.address))
    if (first._tag === "Right") {
      const h = first.right
      if (h.protocol === Protocol.protocol) return h
      if (!options.autoStart) return yield* mismatch(options.address, h)
      const st = yield* request<Protocol.Status>(options.address, "GET", "/status")
      if (st.body.sessions.length > 0) return yield* mismatch(options.address, h)
      yield* Effect.logWarning(`replacing the idle engine of dirk ${h.version} (pid ${h.pid}) with dirk ${Protocol.version}`)
      yield* request(options.address, "POST", "/stop", { force: false })
      for (let i = 0; i < 200 && (yield* Effect.either(hello(options.address)))._tag === "Right"; i++) {
        yield* Effect.sleep("50 millis")
      }
    } else if (!options.autoStart) {
      return yield* unavailable(
        `${first.left.message}; start one with \`dirk engine start\` (or \`dirk engine serve\`), or use --engine embedded`
      )
    }
    const started = yield* startDaemon(options)
    const deadline = Date.now() + 60_000
    for (;;) {
      const h = yield* Effect.either(hello(options.address))
      if (h._tag === "Right") {
        if (h.right.protocol !== Protocol.protocol) return yield* mismatch(options.address, h.right)
        return h.right
      }
      const code = started.exited()
      // a daemon that lost the race to another one (started by another CLI at the same time) exits: the winner,
      // which holds the state dir, is coming up
      const lost = code !== undefined && StateLock.holder(options.stateDir) !== undefined
      if ((code !== undefined && code !== 0 && code !== null && !lost) || Date.now() > deadline) {
        return yield* unavailable(
          `the engine did not start (${code !== undefined ? `it exited with code ${code}` : "no answer after 60 s"}); ` +
            `its log ${started.log} ends with:\n${logTail(started.log)}`
        )
      }
      yield* Effect.sleep("50 millis")
    }
  })

/**
 * Opens a session on the engine; it lasts as long as the scope (the connection carrying it).
 *
 * @category constructors
 */
export const openSession = (
  options: ClientOptions,
  session: SessionOptions
): Effect.Effect<SessionInfo & { readonly events: Stream.Stream<ProgressEvent> }, EngineError, import("effect").Scope.Scope> =>
  Effect.gen(function*() {
    yield* ensure(options)
    const events = yield* Effect.acquireRelease(Queue.unbounded<ProgressEvent>(), Queue.shutdown)
    const secretRequests = yield* Effect.acquireRelease(Queue.unbounded<Protocol.SecretRequest>(), Queue.shutdown)
    const info = yield* Effect.acquireRelease(
      Effect.async<{ readonly info: SessionInfo; readonly req: http.ClientRequest }, EngineError>((resume) => {
        const payload = JSON.stringify(session)
        let settled = false
        const settle = (e: Effect.Effect<{ readonly info: SessionInfo; readonly req: http.ClientRequest }, EngineError>) => {
          if (settled) return
          settled = true
          resume(e)
        }
        const req = http.request({
          ...target(options.address),
          method: "POST",
          path: "/session",
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
        }, (res) => {
          Protocol.onJsonLines<{ session?: SessionInfo; event?: ProgressEvent; error?: string; secret?: Protocol.SecretRequest }>(res, (msg) => {
            if (msg.session !== undefined) settle(Effect.succeed({ info: msg.session, req }))
            else if (msg.error !== undefined) settle(Effect.fail(new EngineError({ reason: "SessionFailed", detail: msg.error })))
            else if (msg.event !== undefined) Queue.unsafeOffer(events, msg.event)
            else if (msg.secret !== undefined) Queue.unsafeOffer(secretRequests, msg.secret)
          })
          res.on("end", () => settle(Effect.fail(new EngineError({ reason: "SessionFailed", detail: "the engine closed the session before it opened" }))))
        })
        req.on("error", (e) => settle(Effect.fail(unavailable(`engine at ${Address.format(options.address)}: ${e.message}`, e))))
        req.end(payload)
        return Effect.sync(() => req.destroy())
      }),
      ({ req }) => Effect.sync(() => req.destroy())
    )
    // this process is the session's client: it resolves the secret URIs the engine asks for
    const host = SecretUri.thisProcess(session.workdir)
    yield* Effect.forkScoped(Stream.runForEach(Stream.fromQueue(secretRequests), (r) =>
      Effect.fork(Effect.flatMap(
        Either.match(SecretUri.parse(r.uri), {
          onLeft: (error) => Effect.succeed({ error }),
          onRight: (uri) => SecretUri.resolve(uri, host).pipe(Effect.match({ onFailure: (error) => ({ error }), onSuccess: (value) => ({ value }) }))
        }),
        (answer) =>
          request(options.address, "POST", "/session/secret", {
            session: info.info.id,
            token: info.info.token,
            id: r.id,
            ...answer
          } satisfies Protocol.SecretAnswer).pipe(Effect.ignore)
      ))))
    return { ...info.info, events: Stream.fromQueue(events) }
  })

/**
 * The CLI's engine over the daemon.
 *
 * @category layers
 */
export const layer = (options: ClientOptions): Layer.Layer<CliEngine> =>
  Layer.succeed(CliEngine, { openSession: (o) => openSession(options, o) } satisfies EngineShape)
