/**
 * Running services, per session: one instance per service digest, started when something needs it (an exec that
 * binds it, `start`, `up`, a tunnel), health-checked before anyone uses it, and stopped when nothing uses it any more
 * (after a grace period, as Dagger does, so that consecutive execs share one run) or when its session ends.
 *
 * Each session gets a Docker bridge network (created on first use, removed with the session). A container service
 * joins it under its hostname (a network alias); an exec that binds services joins it too, and gets its binding
 * aliases in `/etc/hosts`. A host service (`host.service`) is a relay the engine runs on the network's gateway
 * address; a tunnel (`host.tunnel`, `up`) is a relay on the host's loopback to a service.
 */
import { Cause, Deferred, Effect, ExecutionStrategy, Exit, Fiber, FiberId, Option, Scope } from "effect"
import type { ContainerRuntime, NetworkInfo, RunningContainer, RunSpec } from "../../Runtime/ContainerRuntime.js"
import { DagError, type SolveError } from "../Errors.js"
import type * as Op from "../Op.js"
import * as Service from "../Service.js"
import * as Forward from "./Forward.js"

/**
 * What the manager needs from the solver.
 *
 * @category models
 */
export interface Deps {
  readonly runtime: ContainerRuntime["Type"]
  /** The container an exec op would run in (rootfs, mounts, env…); its resources are held by the scope. */
  readonly containerSpec: (op: Op.Op) => Effect.Effect<RunSpec, SolveError, Scope.Scope>
  /** How long an unused service keeps running (a later user gets the same run). */
  readonly graceMs: number
  /** How long a service's ports may take to accept connections. */
  readonly healthTimeoutMs: number
}

/**
 * A running instance, as its users see it.
 *
 * @category models
 */
export interface Running {
  readonly spec: Op.ServiceSpec
  /** Where the session's containers reach it: its address on the session's network. */
  readonly address: string
  /** For a tunnel: where each backend port listens on the host (frontend = the port actually bound). */
  readonly forwards: ReadonlyArray<Op.PortForward & { readonly frontend: number }>
  readonly container?: RunningContainer | undefined
}

interface Instance {
  readonly spec: Op.ServiceSpec
  readonly scope: Scope.CloseableScope
  readonly ready: Deferred.Deferred<Running, SolveError>
  refs: number
  /** Started by `start` (or `up`): runs until `stop` or the session's end. */
  explicit: boolean
  linger: Fiber.RuntimeFiber<void> | undefined
}

interface SessionServices {
  readonly id: string
  readonly scope: Scope.CloseableScope
  readonly instances: Map<string, Instance>
  network: Deferred.Deferred<NetworkInfo, SolveError> | undefined
}

const serviceError = (detail: string, cause?: unknown) =>
  new DagError({ reason: "Service", detail, ...(cause !== undefined ? { cause } : {}) })

const describe = (spec: Op.ServiceSpec) => `service ${spec.hostname}`

const indent = (text: string) => (text === "" ? "  (no output)" : text.split("\n").map((l) => "  " + l).join("\n"))

/**
 * `/etc/hosts` entries an exec gets for a binding.
 *
 * @category getters
 */
export const hostEntries = (alias: string, running: Running): ReadonlyArray<string> =>
  running.spec._tag === "Host"
    ? [`${alias}:${running.address}`, `${running.spec.hostname}:${running.address}`]
    : [`${alias}:${running.address}`]

/**
 * @category constructors
 */
export const make = (deps: Deps) =>
  Effect.gen(function*() {
    const sessions = new Map<string, SessionServices>()
    const lock = yield* Effect.makeSemaphore(1)

    /** Sessions that ended: nothing starts for them any more (a late request of a closing session). */
    const ended = new Set<string>()

    const sessionOf = (id: string): Effect.Effect<SessionServices, SolveError> =>
      Effect.suspend(() => {
        const found = sessions.get(id)
        if (found !== undefined) return Effect.succeed(found)
        if (ended.has(id)) return Effect.fail(serviceError(`session ${id} has ended: its services cannot start`))
        return Effect.map(Scope.make(), (scope) => {
          const s: SessionServices = { id, scope, instances: new Map(), network: undefined }
          sessions.set(id, s)
          return s
        })
      })

    /** The session's network, created once (a failure is not kept: the next caller tries again). */
    const network = (s: SessionServices): Effect.Effect<NetworkInfo, SolveError> =>
      Effect.flatMap(
        lock.withPermits(1)(Effect.suspend(() => {
          if (s.network !== undefined) return Effect.succeed({ d: s.network, mine: false })
          const d = Deferred.unsafeMake<NetworkInfo, SolveError>(FiberId.none)
          s.network = d
          return Effect.succeed({ d, mine: true })
        })),
        ({ d, mine }) =>
          mine
            ? deps.runtime.createNetwork(`dirk-${s.id.slice(0, 12) || "nosession"}-${Math.random().toString(36).slice(2, 8)}`, {
              "dirk.session": s.id
            }).pipe(
              Scope.extend(s.scope),
              Effect.mapError((e) => serviceError(`cannot create the session's network: ${e.message}`, e)),
              Effect.exit,
              Effect.tap((exit) => {
                if (Exit.isFailure(exit)) s.network = undefined
                return Deferred.done(d, exit)
              }),
              Effect.flatten
            )
            : Deferred.await(d)
      )

    const stopInstance = (s: SessionServices, inst: Instance, kill: boolean): Effect.Effect<void> =>
      Effect.gen(function*() {
        if (s.instances.get(inst.spec.digest) === inst) s.instances.delete(inst.spec.digest)
        if (inst.linger !== undefined) yield* Fiber.interrupt(inst.linger)
        const running = yield* Deferred.poll(inst.ready)
        if (Option.isSome(running)) {
          const r = yield* Effect.either(running.value)
          if (r._tag === "Right" && r.right.container !== undefined) yield* r.right.container.stop(kill).pipe(Effect.ignore)
        }
        yield* Scope.close(inst.scope, Exit.void)
      })

    /** Takes a reference on the session's instance of `spec`, starting it when there is none. */
    const reference = (s: SessionServices, spec: Op.ServiceSpec, explicit: boolean): Effect.Effect<Instance> =>
      lock.withPermits(1)(Effect.gen(function*() {
        const found = s.instances.get(spec.digest)
        if (found !== undefined) {
          found.refs++
          if (explicit) found.explicit = true
          if (found.linger !== undefined) {
            const linger = found.linger
            found.linger = undefined
            yield* Fiber.interrupt(linger).pipe(Effect.forkDaemon)
          }
          return found
        }
        const scope = yield* Scope.fork(s.scope, ExecutionStrategy.sequential)
        const inst: Instance = {
          spec,
          scope,
          ready: Deferred.unsafeMake<Running, SolveError>(FiberId.none),
          refs: 1,
          explicit,
          linger: undefined
        }
        s.instances.set(spec.digest, inst)
        // forked under the lock (uninterruptible): the run itself must be interruptible (races, the session's end)
        yield* Effect.interruptible(run(s, inst)).pipe(
          Effect.onExit((exit) =>
            Effect.zipRight(
              Deferred.done(inst.ready, exit),
              Exit.isFailure(exit) ? stopInstance(s, inst, true) : Effect.void
            )
          ),
          Effect.ignore,
          Effect.forkIn(s.scope)
        )
        return inst
      }))

    const release = (s: SessionServices, inst: Instance): Effect.Effect<void> =>
      lock.withPermits(1)(Effect.gen(function*() {
        inst.refs--
        if (inst.refs > 0 || inst.explicit || s.instances.get(inst.spec.digest) !== inst) return
        if (deps.graceMs <= 0) {
          yield* Effect.forkIn(Effect.interruptible(stopInstance(s, inst, false)), s.scope)
          return
        }
        const idle = lock.withPermits(1)(Effect.sync(() => {
          if (inst.refs > 0 || inst.explicit) return false
          inst.linger = undefined // this fiber: stopInstance must not interrupt it
          return true
        }))
        inst.linger = yield* Effect.forkIn(
          Effect.interruptible(Effect.sleep(deps.graceMs)).pipe(
            Effect.zipRight(idle),
            Effect.flatMap((stop) => (stop ? stopInstance(s, inst, false) : Effect.void))
          ),
          s.scope
        )
      }))

    /** The running instance of `spec` in session `sessionId`, held until the scope closes. */
    const acquire = (sessionId: string, spec: Op.ServiceSpec): Effect.Effect<Running, SolveError, Scope.Scope> =>
      Effect.gen(function*() {
        const s = yield* sessionOf(sessionId)
        const inst = yield* Effect.acquireRelease(reference(s, spec, false), (i) => release(s, i))
        return yield* Deferred.await(inst.ready)
      })

    /** Starts `spec` in the session (if it is not running) and keeps it running until `stop` or the session's end. */
    const start = (sessionId: string, spec: Op.ServiceSpec): Effect.Effect<Running, SolveError> =>
      Effect.gen(function*() {
        const s = yield* sessionOf(sessionId)
        const inst = yield* reference(s, spec, true)
        return yield* Deferred.await(inst.ready)
      })

    /** Stops the session's instance of a service (nothing when it is not running). */
    const stop = (sessionId: string, digest: string, kill: boolean): Effect.Effect<void> =>
      Effect.gen(function*() {
        const s = sessions.get(sessionId)
        const inst = s?.instances.get(digest)
        if (s !== undefined && inst !== undefined) yield* stopInstance(s, inst, kill)
      })

    /** Stops every service of the session and removes its network. */
    const endSession = (sessionId: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (sessionId !== "") ended.add(sessionId)
        const s = sessions.get(sessionId)
        if (s === undefined) return Effect.void
        sessions.delete(sessionId)
        return Scope.close(s.scope, Exit.void)
      })

    /** The session's network and the `/etc/hosts` entries of an exec's bindings (their services held by the scope). */
    const bind = (
      sessionId: string,
      bindings: ReadonlyArray<Op.ServiceBinding>
    ): Effect.Effect<{ readonly network: string; readonly extraHosts: ReadonlyArray<string> }, SolveError, Scope.Scope> =>
      Effect.gen(function*() {
        const s = yield* sessionOf(sessionId)
        const net = yield* network(s)
        const entries = yield* Effect.forEach(bindings, (b) => Effect.map(acquire(sessionId, b.service), (r) => hostEntries(b.alias, r)), {
          concurrency: "unbounded"
        })
        return { network: net.name, extraHosts: entries.flat() }
      })

    /** Waits until every health-checked TCP port accepts connections; fails when the container exits first. */
    const healthCheck = (spec: Extract<Op.ServiceSpec, { _tag: "Container" }>, c: RunningContainer) =>
      Effect.gen(function*() {
        const ports = spec.ports.filter((p) => p.protocol === "TCP" && !p.skipHealthcheck)
        const tail = () => indent(c.logs(20))
        const waitPort = (port: number) =>
          Effect.gen(function*() {
            let delay = 50
            while (!(yield* Forward.accepts(c.ip, port, 1000))) {
              yield* Effect.sleep(delay)
              delay = Math.min(500, delay * 2)
            }
          })
        const exited = Effect.flatMap(c.exited.pipe(Effect.either), (code) =>
          Effect.fail(serviceError(
            `${describe(spec)} exited${code._tag === "Right" ? ` with code ${code.right}` : ""} before ` +
              `${ports.map((p) => `port ${p.port}/tcp`).join(", ")} accepted connections; the last lines of its output:\n${tail()}`
          )))
        yield* Effect.raceFirst(
          Effect.forEach(ports, (p) => waitPort(p.port), { concurrency: "unbounded", discard: true }),
          exited
        ).pipe(
          Effect.timeoutFail({
            duration: deps.healthTimeoutMs,
            onTimeout: () =>
              serviceError(
                `${describe(spec)}: ${ports.map((p) => `port ${p.port}/tcp`).join(", ")} did not accept connections within ` +
                  `${Math.round(deps.healthTimeoutMs / 1000)} s (health check; skip it with ` +
                  `withExposedPort(experimentalSkipHealthcheck: true)); the last lines of its output:\n${tail()}`
              )
          })
        )
      })

    /** Starts an instance (in its scope) and returns it once it is ready. */
    const run = (s: SessionServices, inst: Instance): Effect.Effect<Running, SolveError> => {
      const spec = inst.spec
      const inScope = <A, E>(e: Effect.Effect<A, E, Scope.Scope>) => Scope.extend(e, inst.scope)
      switch (spec._tag) {
        case "Container":
          return Effect.gen(function*() {
            const net = yield* network(s)
            const exec = spec.exec
            const bindings = exec._tag === "Exec" ? exec.meta.services ?? [] : []
            const nested = yield* inScope(Effect.forEach(bindings, (b) => Effect.map(acquire(s.id, b.service), (r) => hostEntries(b.alias, r)), {
              concurrency: "unbounded"
            }))
            const base = yield* inScope(deps.containerSpec(exec))
            const c = yield* inScope(deps.runtime.start({
              ...base,
              commit: false,
              init: spec.noInit !== true,
              network: { name: net.name, aliases: [spec.hostname] },
              extraHosts: nested.flat(),
              labels: { ...base.labels, "dirk.service": spec.hostname, "dirk.session": s.id }
            })).pipe(Effect.mapError((e) => serviceError(`${describe(spec)}: cannot start its container: ${e.message}`, e)))
            yield* healthCheck(spec, c)
            // a service whose process ends is gone: the next user starts it again
            yield* c.exited.pipe(
              Effect.ignore,
              Effect.zipRight(lock.withPermits(1)(Effect.sync(() => {
                if (s.instances.get(spec.digest) === inst) s.instances.delete(spec.digest)
              }))),
              Effect.forkIn(inst.scope)
            )
            return { spec, address: c.ip, forwards: [], container: c } satisfies Running
          })
        case "Host":
          return Effect.gen(function*() {
            const net = yield* network(s)
            const forwards = yield* Effect.forEach(spec.forwards, (f) => {
              if (f.protocol !== "TCP") return Effect.fail(serviceError(`${describe(spec)}: only TCP ports can be forwarded (got ${f.backend}/udp)`))
              const frontend = f.frontend ?? f.backend
              return Effect.map(
                inScope(Forward.listen({
                  host: net.gateway,
                  port: frontend,
                  target: () => ({ host: spec.host, port: f.backend }),
                  inUse: (p) =>
                    `host.service: port ${p} of the session's network (${net.gateway}) is already in use (by another host ` +
                    `service of this session, or a server on the host listening on all addresses); use another frontend port`
                })),
                (l) => ({ frontend: l.port, backend: f.backend, protocol: f.protocol })
              )
            })
            return { spec, address: net.gateway, forwards } satisfies Running
          })
        case "Tunnel":
          return Effect.gen(function*() {
            const upstream = yield* inScope(acquire(s.id, spec.upstream))
            const wanted = Service.forwardsFor(spec.forwards, Service.portsOf(spec.upstream), false).map((f) => {
              const given = spec.forwards.find((g) => g.backend === f.backend)
              return { ...f, frontend: spec.native ? f.backend : given?.frontend ?? 0 }
            })
            const forwards = yield* Effect.forEach(wanted, (f) =>
              f.protocol !== "TCP"
                ? Effect.fail(serviceError(`${describe(spec)}: only TCP ports can be tunnelled (got ${f.backend}/udp)`))
                : Effect.map(
                  inScope(Forward.listen({
                    host: "127.0.0.1",
                    port: f.frontend,
                    target: () => ({ host: upstream.address, port: f.backend }),
                    inUse: (p) => `host.tunnel: port ${p} on 127.0.0.1 is already in use; choose another frontend port`
                  })),
                  (l) => ({ ...f, frontend: l.port })
                ))
            return { spec, address: "127.0.0.1", forwards } satisfies Running
          })
      }
    }

    /**
     * Forwards host ports (127.0.0.1) to a service until interrupted (`Service.up`). `onReady` gets the forwards once
     * they listen.
     */
    const up = (
      sessionId: string,
      spec: Op.ServiceSpec,
      forwards: ReadonlyArray<Op.PortForward & { readonly frontend: number }>,
      onReady: (forwards: ReadonlyArray<Op.PortForward & { readonly frontend: number }>, running: Running) => Effect.Effect<void>
    ): Effect.Effect<never, SolveError> =>
      Effect.scoped(Effect.gen(function*() {
        const running = yield* acquire(sessionId, spec)
        const bound = yield* Effect.forEach(forwards, (f) =>
          f.protocol !== "TCP"
            ? Effect.fail(serviceError(`up: only TCP ports can be forwarded (got ${f.backend}/udp)`))
            : Effect.map(
              Forward.listen({
                host: "127.0.0.1",
                port: f.frontend,
                target: () => ({ host: running.address, port: tunnelPort(running, f.backend) }),
                inUse: (p) =>
                  `up: port ${p} on 127.0.0.1 is already in use; free it, forward another host port to the service's ` +
                  `port ${f.backend} (--ports <free port>:${f.backend}), or pass --random`
              }),
              (l) => ({ ...f, frontend: l.port })
            ))
        yield* onReady(bound, running)
        const c = running.container
        if (c === undefined) return yield* Effect.never
        // the service's process ending ends `up` too
        const code = yield* c.exited.pipe(Effect.mapError((e) => serviceError(e.message, e)))
        return yield* Effect.fail(serviceError(`${describe(spec)} exited with code ${code}; the last lines of its output:\n${indent(c.logs(20))}`))
      }))

    /** A loopback port of the host forwarding to `port` of the service, held (with the service) by the scope. */
    const forward = (sessionId: string, spec: Op.ServiceSpec, port: number): Effect.Effect<{ readonly port: number }, SolveError, Scope.Scope> =>
      Effect.flatMap(acquire(sessionId, spec), (running) =>
        Forward.listen({
          host: "127.0.0.1",
          port: 0,
          target: () => ({ host: running.address, port: tunnelPort(running, port) }),
          inUse: (p) => `port ${p} on 127.0.0.1 is already in use`
        }))

    /** The port a tunnel listens on for `backend` (other services: `backend` itself). */
    const tunnelPort = (running: Running, backend: number) =>
      running.spec._tag === "Tunnel" ? running.forwards.find((f) => f.backend === backend)?.frontend ?? backend : backend

    yield* Effect.addFinalizer(() =>
      Effect.forEach([...sessions.keys()], endSession, { discard: true }).pipe(
        Effect.catchAllCause((cause) => Effect.logWarning(`stopping services: ${Cause.pretty(cause)}`))
      ))

    return { acquire, start, stop, endSession, bind, up, forward } as const
  })

/**
 * @category models
 */
export type Services = Effect.Effect.Success<ReturnType<typeof make>>
