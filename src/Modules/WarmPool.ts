/**
 * Warm module runtimes: long-lived containers, each running the warm runner (`WarmRunner.ts`) for one module
 * identity, that serve calls one at a time over a control socket. A call takes an idle worker of its module or
 * starts one; workers idle for `DIRK_MODULE_IDLE` seconds (default 300) are stopped, at most `DIRK_MODULE_WORKERS`
 * (default 8) live at once (the least recently used idle one makes room), and all of them end with the engine
 * (their containers are removed like every container the engine runs, also by the next engine after a crash).
 *
 * Each worker has two host directories: `run` (bound read-write at `/run/dirk`: the control socket, the calls'
 * sockets) and `src` (bound read-only at `/src`: the module's files, filled on the host). Because `src` is filled on
 * the host, a worker can be started before it knows its module: the pool keeps one such spare (when
 * {@link Pool.enableSpare} was called), already warm, and gives it to the next module that needs a new worker and
 * can use one (`spare: true`: a module whose runtime needs nothing bound besides `/src`); a new spare is then started
 * in the background. The spare is not stopped for being idle.
 */
import { Deferred, Duration, Effect, Exit, Fiber, Option, Scope } from "effect"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { QueryError } from "../Core/Errors.js"
import * as Protocol from "../Engine/Protocol.js"
import type { ContainerError, ContainerRuntime, RunResult, RunSpec } from "../Runtime/ContainerRuntime.js"

/**
 * What a worker answers for one call: an error of the runner itself (not of the function, which the call's own
 * client receives), and what the module printed.
 *
 * @category models
 */
export interface Reply {
  readonly error: string | undefined
  readonly output: string
}

/**
 * A call request: the call's API socket (container path) and token.
 *
 * @category models
 */
export interface Request {
  readonly id: string
  readonly socket: string
  readonly token: string
  readonly moduleName: string
  /** The module's TypeScript files and working directory (container paths). */
  readonly files: ReadonlyArray<string>
  readonly workdir: string
}

/**
 * The host directories of a worker.
 *
 * @category models
 */
export interface Dirs {
  /** Bound read-write at `/run/dirk` (the control socket, the calls' sockets). */
  readonly run: string
  /** Bound read-only at `/src` (the module's files, written on the host). */
  readonly src: string
}

/**
 * How to start a worker: its container, and what its `/src` holds (written before the container starts, or when a
 * spare is given to the module).
 *
 * @category models
 */
export interface Launch {
  readonly spec: (dirs: Dirs) => RunSpec
  readonly fill: (src: string) => void
}

/**
 * A running worker, taken by one call at a time.
 *
 * @category models
 */
export interface Worker {
  /** The host directory bound at `/run/dirk` (the control socket, the calls' sockets). */
  readonly dir: string
  readonly send: (request: Request) => Effect.Effect<Reply, QueryError>
}

/** The key of the spare worker. */
const SPARE = "(spare)"

interface Entry {
  key: string
  /** The container's id (once created). */
  readonly created: { id: string | undefined }
  readonly dirs: Dirs
  readonly fiber: Fiber.RuntimeFiber<RunResult, ContainerError>
  readonly socket: net.Socket
  readonly pending: Map<string, Deferred.Deferred<Reply, QueryError>>
  readonly log: Array<string>
  busy: boolean
  dead: boolean
  lastUsed: number
}

const removeDirs = (dirs: Dirs): void => {
  for (const d of [dirs.run, dirs.src]) fs.rmSync(d, { recursive: true, force: true })
}

const tailOf = (log: ReadonlyArray<string>, lines = 30): string => log.join("").trimEnd().split("\n").slice(-lines).join("\n")

/**
 * The pool of a Modules service: `acquire(key, spec)` (key: `<module name>@<code identity>`) gives a worker of that key (started with `spec` when none is
 * idle), returned to the pool when the caller's scope closes.
 *
 * @category constructors
 */
export const make = (
  runtime: ContainerRuntime["Type"],
  options: {
    readonly idleMs: number
    readonly maxWorkers: number
    /** Where the workers' `src` directories are made (beside the snapshots they are linked from). */
    readonly srcRoot: string
  }
) =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const entries: Array<Entry> = []

    const stop = (e: Entry) =>
      Effect.gen(function*() {
        e.dead = true
        const i = entries.indexOf(e)
        if (i >= 0) entries.splice(i, 1)
        e.socket.destroy()
        yield* Fiber.interrupt(e.fiber)
        yield* Effect.sync(() => removeDirs(e.dirs))
      })

    yield* Effect.addFinalizer(() => Effect.forEach([...entries], stop, { discard: true, concurrency: "unbounded" }))

    // idle workers stop after a while
    yield* Effect.forkIn(
      Effect.gen(function*() {
        const now = Date.now()
        const idle = entries.filter((e) => !e.busy && e.key !== SPARE && now - e.lastUsed > options.idleMs)
        yield* Effect.forEach(idle, stop, { discard: true })
      }).pipe(Effect.delay(Duration.millis(Math.min(30_000, Math.max(1_000, options.idleMs / 2)))), Effect.forever),
      scope
    )

    const fail = (key: string, detail: string) =>
      new QueryError({ reason: "Module", detail: `module ${key.split("@")[0]}: the module runtime ${detail}` })

    /** Starts a worker's container and waits until its runner listens; an interruption stops it. */
    const launch = (key: string, dirs: Dirs, spec: (dirs: Dirs) => RunSpec): Effect.Effect<Entry, QueryError> =>
      Effect.gen(function*() {
        const log: Array<string> = []
        let logBytes = 0
        const onOutput = (_stream: "stdout" | "stderr", chunk: Buffer) => {
          log.push(chunk.toString("utf8"))
          logBytes += chunk.length
          while (logBytes > 64 * 1024 && log.length > 1) logBytes -= Buffer.byteLength(log.shift()!)
        }
        // interruptible whatever the caller's region: the pool stops it when it is idle or the engine ends
        const created: { id: string | undefined } = { id: undefined }
        const onCreated = (id: string) => {
          created.id = id
        }
        const fiber = yield* Effect.forkIn(Effect.interruptible(runtime.run({ ...spec(dirs), onOutput, onCreated })), scope)
        const cleanup = Fiber.interrupt(fiber).pipe(Effect.zipRight(Effect.sync(() => removeDirs(dirs))))
        return yield* ready(key, dirs, fiber, log, created).pipe(Effect.onInterrupt(() => cleanup), Effect.tapError(() => cleanup))
      })

    const ready = (
      key: string,
      dirs: Dirs,
      fiber: Fiber.RuntimeFiber<RunResult, ContainerError>,
      log: Array<string>,
      created: { id: string | undefined }
    ) =>
      Effect.gen(function*() {
        const dir = dirs.run
        // ready: the runner wrote its pid after listening on the control socket
        const readyFile = path.join(dir, "ready")
        const deadline = Date.now() + 120_000
        while (!fs.existsSync(readyFile)) {
          const done = yield* Fiber.poll(fiber)
          if (Option.isSome(done)) {
            const exit = done.value
            const detail = Exit.isSuccess(exit)
              ? `exited with code ${exit.value.exitCode} before it was ready` +
                (tailOf(log) === "" ? "" : `:\n${tailOf(log)}`)
              : `could not start: ${Exit.isFailure(exit) ? String(exit.cause) : ""}`
            return yield* fail(key, detail)
          }
          if (Date.now() > deadline) {
            return yield* fail(key, `was not ready after 120 s${tailOf(log) === "" ? "" : `:\n${tailOf(log)}`}`)
          }
          yield* Effect.sleep(Duration.millis(15))
        }
        const socket = yield* Effect.async<net.Socket, QueryError>((resume) => {
          const s = net.connect(path.join(dir, "control.sock"))
          s.once("connect", () => resume(Effect.succeed(s)))
          s.once("error", (e) => resume(Effect.fail(fail(key, `control socket: ${e.message}`))))
        })
        const entry: Entry = { key, created, dirs, fiber, socket, pending: new Map(), log, busy: true, dead: false, lastUsed: Date.now() }
        Protocol.onJsonLines<{ id: string; error?: string | null; output: string }>(socket, (r) => {
          const d = entry.pending.get(r.id)
          entry.pending.delete(r.id)
          if (d !== undefined) Deferred.unsafeDone(d, Exit.succeed({ error: r.error ?? undefined, output: r.output }))
        })
        socket.on("close", () => {
          entry.dead = true
          const i = entries.indexOf(entry)
          if (i >= 0) entries.splice(i, 1)
          // the runner is gone (the module's code exited it, or it crashed): give its last words to the calls
          setTimeout(() => {
            for (const [id, d] of entry.pending) {
              entry.pending.delete(id)
              Deferred.unsafeDone(d, Exit.fail(fail(key, `exited during the call${tailOf(log) === "" ? "" : `:\n${tailOf(log)}`}`)))
            }
          }, 200)
        })
        socket.on("error", () => socket.destroy())
        entries.push(entry)
        return entry
      })

    const start = (key: string, launchWith: Launch): Effect.Effect<Entry, QueryError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          // make room: the least recently used idle worker goes
          while (entries.length >= options.maxWorkers) {
            const idle = entries.filter((e) => !e.busy).sort((a, b) => a.lastUsed - b.lastUsed)[0]
            if (idle === undefined) break
            yield* stop(idle)
          }
          const dirs = yield* makeDirs(key, launchWith)
          return yield* restore(launch(key, dirs, launchWith.spec)).pipe(Effect.onError(() => Effect.sync(() => removeDirs(dirs))))
        })
      )

    const makeDirs = (key: string, launchWith: Launch): Effect.Effect<Dirs, QueryError> =>
      Effect.try({
        try: () => {
          const run = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-warm-"))
          fs.chmodSync(run, 0o777)
          try {
            fs.mkdirSync(options.srcRoot, { recursive: true })
            const src = fs.mkdtempSync(path.join(options.srcRoot, "src-"))
            fs.chmodSync(src, 0o755)
            const dirs = { run, src }
            try {
              launchWith.fill(src)
            } catch (e) {
              removeDirs(dirs)
              throw e
            }
            return dirs
          } catch (e) {
            fs.rmSync(run, { recursive: true, force: true })
            throw e
          }
        },
        catch: (e) => fail(key, `could not be prepared: ${e instanceof Error ? e.message : String(e)}`)
      })

    // the spare: a worker started before it knows its module
    let spareLaunch: Launch | undefined
    let spare: Fiber.RuntimeFiber<Entry, QueryError> | undefined

    const startSpare: Effect.Effect<void> = Effect.suspend(() => {
      if (spareLaunch === undefined || spare !== undefined) return Effect.void
      return Effect.forkIn(start(SPARE, spareLaunch).pipe(Effect.tap((e) => Effect.sync(() => (e.busy = false)))), scope).pipe(
        Effect.tap((f) => Effect.sync(() => (spare = f))),
        Effect.asVoid
      )
    })

    /** Keeps a spare worker ready from now on (and starts it now), started with `launchWith`. */
    const enableSpare = (launchWith: Launch): Effect.Effect<void> =>
      Effect.suspend(() => {
        spareLaunch = launchWith
        return startSpare
      })

    /** The spare, given to `key` (its `/src` filled with `fill`), when there is one that works; a new spare is started. */
    const takeSpare = (key: string, fill: (src: string) => void): Effect.Effect<Option.Option<Entry>> =>
      Effect.gen(function*() {
        const f = spare
        if (f === undefined) return Option.none()
        spare = undefined
        yield* startSpareLater
        const exit = yield* Fiber.await(f)
        if (Exit.isFailure(exit)) return Option.none()
        const e = exit.value
        if (e.dead || e.busy) return Option.none()
        try {
          fill(e.dirs.src)
        } catch {
          yield* stop(e)
          return Option.none()
        }
        e.key = key
        e.busy = true
        // the spare warmed up on idle CPU only (`Launch.spec` gave it the least weight): it serves at full weight now
        if (e.created.id !== undefined) yield* runtime.setCpuShares(e.created.id, 1024).pipe(Effect.ignore)
        return Option.some(e)
      })

    // the next spare starts once the current call had the machine to itself for a moment
    const startSpareLater = Effect.forkIn(startSpare.pipe(Effect.delay(Duration.seconds(2))), scope).pipe(Effect.asVoid)

    const sendOn = (entry: Entry) => (request: Request): Effect.Effect<Reply, QueryError> =>
      Effect.gen(function*() {
        if (entry.dead) return yield* fail(entry.key, "is gone")
        const d = yield* Deferred.make<Reply, QueryError>()
        entry.pending.set(request.id, d)
        entry.socket.write(JSON.stringify(request) + "\n")
        return yield* Deferred.await(d)
      }).pipe(
        // a call given up (interrupted) leaves the runner in an unknown state: it is not reused
        Effect.onInterrupt(() => stop(entry))
      )

    /**
     * A worker for `key`, busy until the scope closes: an idle one of that key, else the spare (when `spare`), else a
     * new one.
     */
    const acquire = (key: string, launchWith: Launch & { readonly spare: boolean }): Effect.Effect<Worker, QueryError, Scope.Scope> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.suspend(() => {
          const idle = entries.find((e) => e.key === key && !e.busy && !e.dead)
          if (idle !== undefined) {
            idle.busy = true
            return Effect.succeed(idle)
          }
          return (launchWith.spare ? restore(takeSpare(key, launchWith.fill)) : Effect.succeed(Option.none<Entry>())).pipe(
            Effect.flatMap(Option.match({ onNone: () => restore(start(key, launchWith)), onSome: Effect.succeed }))
          )
        }).pipe(
          Effect.tap((e) =>
            Effect.addFinalizer(() =>
              Effect.sync(() => {
                e.busy = false
                e.lastUsed = Date.now()
              })
            )
          )
        )
      ).pipe(Effect.map((e): Worker => ({ dir: e.dirs.run, send: sendOn(e) })))

    return {
      acquire,
      enableSpare,
      size: () => entries.length,
      /** Whether a spare worker is ready or starting. */
      hasSpare: () => spare !== undefined
    } as const
  })

/**
 * @category models
 */
export type Pool = Effect.Effect.Success<ReturnType<typeof make>>
