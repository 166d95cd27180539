/**
 * The `Service` type and the fields that make and use services: `Container.asService`, `withServiceBinding`,
 * `host.service` (containers reach the client's host), `host.tunnel` (the client's host reaches a service), and the
 * `PortForward` input. Running them is the solver's (`Dag/internal/Services.ts`); see docs/services.md.
 */
import { Effect } from "effect"
import * as CallId from "../Dag/CallId.js"
import * as Op from "../Dag/Op.js"
import * as Service from "../Dag/Service.js"
import { Solver } from "../Dag/Solver.js"
import * as Api from "./Api.js"
import { execOp } from "./Container.js"
import { type ApiError, invalid, QueryError } from "./Errors.js"
import { expandIf, same } from "./internal/container.js"
import { specOf } from "./internal/service.js"
import * as Port from "./Port.js"
import type { ContainerState, ServiceState } from "./State.js"

type C = Api.Value<ContainerState>
type S = Api.Value<ServiceState>

interface PortForwardArg {
  readonly frontend?: number | null
  readonly backend: number
  readonly protocol?: "TCP" | "UDP" | null
}

const checkPort = (field: string, what: string, n: number | null | undefined) =>
  n === undefined || n === null || (Number.isInteger(n) && n >= 1 && n <= 65535)
    ? Effect.void
    : Effect.fail(invalid(`${field}: invalid ${what} port ${n} (expected 1-65535)`))

const forwardsOf = (field: string, ports: ReadonlyArray<PortForwardArg>) =>
  Effect.forEach(ports, (p) =>
    Effect.zipRight(
      Effect.zipRight(checkPort(field, "frontend", p.frontend), checkPort(field, "backend", p.backend)),
      Effect.succeed<Op.PortForward>({
        ...(p.frontend !== undefined && p.frontend !== null ? { frontend: p.frontend } : {}),
        backend: p.backend,
        protocol: p.protocol ?? "TCP"
      })
    ))

const portForwardArg = (doc: string) => ({ type: "[PortForward!]", doc, default: [] })

/**
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const solver = yield* Solver

  /** A tunnel's forwards are only known once it runs: it is started first. */
  const runningForwards = (v: S) =>
    Effect.map(solver.services.start(specOf(v)), (r) => r.forwards)

  const portsOf = (v: S): Effect.Effect<ReadonlyArray<Op.ServicePort>, ApiError> =>
    v.state._tag === "Tunnel"
      ? Effect.map(runningForwards(v), (fs) => fs.map((f) => ({ port: f.frontend, protocol: f.protocol, skipHealthcheck: true })))
      : Effect.succeed(Service.portsOf(specOf(v)))

  const hostnameOf = (v: S): Effect.Effect<string, ApiError> =>
    v.state._tag === "Tunnel" ? Effect.as(runningForwards(v), "localhost") : Effect.succeed(specOf(v).hostname)

  const spec: Api.ApiSpec = {
    inputs: [
      {
        name: "PortForward",
        doc: "Port forwarding rules for tunnelling network traffic.",
        fields: {
          frontend: { type: "Int", doc: "Port to expose to clients. If unspecified, a default will be chosen." },
          backend: { type: "Int!", doc: "Destination port for traffic." },
          protocol: { type: "NetworkProtocol", doc: "Transport layer protocol to use for traffic.", default: "TCP" }
        }
      }
    ],
    objects: [
      {
        name: "Container",
        doc: "An OCI-compatible container, also known as a Docker container.",
        fields: {
          asService: {
            kind: "chain",
            type: "Service!",
            doc: "Turns the container into a service: a long-running process other containers reach by hostname. Exposed " +
              "ports (withExposedPort, set before) are health-checked before any user of the service runs.",
            args: {
              args: { type: "[String!]", doc: "The command to run (no shell). Empty: the entrypoint and default args.", default: [] },
              useEntrypoint: { type: "Boolean", doc: "Prepend the container's entrypoint to args.", default: false },
              experimentalPrivilegedNesting: { type: "Boolean", doc: "Not supported (must be false).", default: false },
              insecureRootCapabilities: { type: "Boolean", doc: "Not supported (must be false).", default: false },
              expand: { type: "Boolean", doc: "Expand ${VAR} in args with the container's environment.", default: false },
              noInit: { type: "Boolean", doc: "Run the command as PID 1, without an init process (which forwards signals: stop).", default: false }
            },
            run: (p: C, a: {
              args: ReadonlyArray<string>
              useEntrypoint: boolean
              experimentalPrivilegedNesting: boolean
              insecureRootCapabilities: boolean
              expand: boolean
              noInit: boolean
            }, ctx) =>
              Effect.gen(function*() {
                for (const flag of ["experimentalPrivilegedNesting", "insecureRootCapabilities"] as const) {
                  if (a[flag]) return yield* Effect.fail(new QueryError({ reason: "Unsupported", detail: `asService: ${flag} is not supported yet` }))
                }
                const s = p.state
                let args = a.args.map((x) => expandIf(s, a.expand, x))
                // no args: the image's entrypoint and default args (Dagger's rule)
                if (args.length === 0) args = [...s.config.entrypoint, ...s.config.cmd]
                else if (a.useEntrypoint) args = [...s.config.entrypoint, ...args]
                if (args.length === 0) {
                  return yield* Effect.fail(invalid("asService: the container has no command (pass args, or set withDefaultArgs or withEntrypoint)"))
                }
                const exec = execOp(p, args, { stdin: "", redirectStdout: "", redirectStderr: "", expect: "ANY" }, ctx)
                const ports = s.config.exposedPorts.map((k): Op.ServicePort => {
                  const { port, protocol } = Port.parseKey(k)
                  return { port, protocol, skipHealthcheck: s.portInfo?.[k]?.experimentalSkipHealthcheck ?? false }
                })
                return Api.state<ServiceState>({ _tag: "Container", exec, ports, ...(a.noInit ? { noInit: true } : {}) })
              })
          },
          withServiceBinding: {
            kind: "chain",
            type: "Container!",
            doc: "Binds a service to the container's execs: it is started (and health-checked) before each exec that " +
              "runs, which reaches it by the hostname `alias`.",
            args: {
              alias: { type: "String!", doc: "The hostname the execs reach the service by." },
              service: { type: "ServiceID!", doc: "The service to bind." }
            },
            run: (p: C, a: { alias: string; service: S }) => {
              const bad = Service.hostnameError(a.alias)
              if (bad !== undefined) {
                return Effect.fail(invalid(`withServiceBinding: the alias ${JSON.stringify(a.alias)} is not a valid hostname: ${bad}`))
              }
              if (a.service.state._tag === "Tunnel") {
                return Effect.fail(invalid("withServiceBinding: a host.tunnel service is reached from the host, it cannot be bound into a container"))
              }
              const binding: Op.ServiceBinding = { alias: a.alias, service: specOf(a.service) }
              const others = (p.state.services ?? []).filter((b) => b.alias !== a.alias)
              return same({ ...p.state, services: [...others, binding], imageRef: undefined })
            }
          }
        }
      },
      {
        name: "Host",
        doc: "Information about the host environment.",
        fields: {
          service: {
            kind: "chain",
            type: "Service!",
            doc: "A service that forwards to ports of the client's host: containers that bind it reach host:backend " +
              "through its hostname (or their alias) on the frontend port.",
            args: {
              ports: { type: "[PortForward!]!", doc: "Ports to forward (frontend: the port containers connect to; default the backend)." },
              host: { type: "String", doc: "The host to forward to (resolved by the engine, which runs on the client's host).", default: "localhost" }
            },
            run: (_h, a: { ports: ReadonlyArray<PortForwardArg>; host: string }) =>
              Effect.gen(function*() {
                if (a.ports.length === 0) return yield* Effect.fail(invalid("host.service: give at least one port to forward"))
                const forwards = yield* forwardsOf("host.service", a.ports)
                return Api.state<ServiceState>({ _tag: "Host", host: a.host, forwards })
              })
          },
          tunnel: {
            kind: "chain",
            type: "Service!",
            doc: "A tunnel from the client's host (127.0.0.1) to a service; its endpoint is where to connect once it runs.",
            args: {
              service: { type: "ServiceID!", doc: "The service to reach." },
              native: { type: "Boolean", doc: "Listen on the service's own port numbers (else on ports the system picks).", default: false },
              ports: portForwardArg("Ports to forward (default: all of the service's ports; frontend 0 or unset: a random port).")
            },
            run: (_h, a: { service: S; native: boolean; ports: ReadonlyArray<PortForwardArg> }) =>
              Effect.map(forwardsOf("host.tunnel", a.ports), (forwards) =>
                Api.state<ServiceState>({ _tag: "Tunnel", upstream: specOf(a.service), forwards, native: a.native }))
          }
        }
      },
      {
        name: "Service",
        doc: "A content-addressed service providing TCP connectivity.",
        sync: (v: S) => (v.state._tag === "Container" && v.state.exec._tag === "Exec" ? Effect.asVoid(solver.image(v.state.exec.rootfs)) : Effect.void),
        fields: {
          hostname: {
            kind: "leaf",
            type: "String!",
            doc: "The hostname of the service in its session (stable: derived from its ID), or `localhost` for a tunnel.",
            run: (v: S) => hostnameOf(v)
          },
          endpoint: {
            kind: "leaf",
            type: "String!",
            doc: "`host:port` of the service (the first port when none is given), or a URL when scheme is set.",
            args: {
              port: { type: "Int", doc: "The port (default: the service's first port)." },
              scheme: { type: "String", doc: "A URL scheme (e.g. \"http\"): the endpoint is then a URL.", default: "" }
            },
            run: (v: S, a: { port?: number | null; scheme: string }) =>
              Effect.gen(function*() {
                const host = yield* hostnameOf(v)
                const ports = yield* portsOf(v)
                const port = a.port ?? ports[0]?.port
                if (port === undefined) {
                  return yield* Effect.fail(invalid(`endpoint: service ${host} has no port (expose one with withExposedPort, or pass port)`))
                }
                return a.scheme === "" ? `${host}:${port}` : `${a.scheme}://${host}:${port}`
              })
          },
          ports: {
            kind: "chain",
            type: "[Port!]!",
            doc: "The ports the service offers (a tunnel's: where it listens on the host).",
            run: (v: S) =>
              Effect.map(portsOf(v), (ps) =>
                ps.map((p) =>
                  Api.state<Port.PortState>({
                    port: p.port,
                    protocol: p.protocol,
                    description: null,
                    experimentalSkipHealthcheck: p.skipHealthcheck
                  })
                ))
          },
          withHostname: {
            kind: "chain",
            type: "Service!",
            doc: "The same service under a hostname of your choice.",
            args: { hostname: { type: "String!", doc: "The hostname." } },
            run: (v: S, a: { hostname: string }) => {
              const bad = Service.hostnameError(a.hostname)
              return bad !== undefined
                ? Effect.fail(invalid(`withHostname: ${JSON.stringify(a.hostname)} is not a valid hostname: ${bad}`))
                : Effect.succeed(Api.state<ServiceState>({ ...v.state, hostname: a.hostname }))
            }
          },
          start: {
            kind: "leaf",
            type: "ServiceID!",
            doc: "Starts the service (once its ports accept connections) and keeps it running until stop or the session's end.",
            run: (v: S) => Effect.as(solver.services.start(specOf(v)), CallId.encode(v.id))
          },
          stop: {
            kind: "leaf",
            type: "ServiceID!",
            doc: "Stops the service in this session (SIGTERM, then SIGKILL after 10 s; at once with kill).",
            args: { kill: { type: "Boolean", doc: "Kill at once (SIGKILL).", default: false } },
            run: (v: S, a: { kill: boolean }) => Effect.as(solver.services.stop(specOf(v).digest, a.kill), CallId.encode(v.id))
          },
          up: {
            kind: "leaf",
            type: "Void",
            doc: "Forwards ports of the client's host (127.0.0.1) to the service until the request is cancelled (Ctrl-C). " +
              "With no ports, every port of the service on the same number (random: ports the system picks).",
            args: {
              ports: portForwardArg("Ports to forward (frontend: the host port; default the backend)."),
              random: { type: "Boolean", doc: "Listen on random host ports.", default: false }
            },
            run: (v: S, a: { ports: ReadonlyArray<PortForwardArg>; random: boolean }) =>
              Effect.gen(function*() {
                const spec = specOf(v)
                const asked = yield* forwardsOf("up", a.ports)
                const forwards = Service.forwardsFor(asked, Service.portsOf(spec), a.random)
                if (forwards.length === 0) {
                  return yield* Effect.fail(invalid(`up: service ${spec.hostname} has no port to forward (expose one, or pass ports)`))
                }
                return yield* solver.services.up(spec, forwards, (bound) =>
                  solver.track(
                    `up: ${bound.map((f) => `127.0.0.1:${f.frontend} → ${spec.hostname}:${f.backend}`).join(", ")} (Ctrl-C to stop)`,
                    Effect.void
                  ))
              })
          }
        }
      }
    ]
  }
  return spec
})
