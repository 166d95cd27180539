/**
 * `Container` fields over the image config: environment variables and labels as lists, exposed ports, and the
 * `without…` fields that clear entrypoint, default args, user and workdir.
 */
import { Effect } from "effect"
import * as Api from "./Api.js"
import type { EnvVariableState } from "./EnvVariable.js"
import { invalid } from "./Errors.js"
import { type C, same, setPair, withConfig } from "./internal/container.js"
import type { LabelState } from "./Label.js"
import * as Port from "./Port.js"
import type { ContainerState, PortInfo } from "./State.js"

type Protocol = "TCP" | "UDP"

const withPortInfo = (s: ContainerState, k: string, info: PortInfo | undefined): ContainerState => {
  const { [k]: _, ...rest } = s.portInfo ?? {}
  return { ...s, portInfo: info === undefined ? rest : { ...rest, [k]: info } }
}

/**
 * @category constructors
 */
export const make = Effect.succeed<Api.ApiSpec>({
  objects: [
    {
      name: "Container",
      doc: "An OCI-compatible container, also known as a Docker container.",
      fields: {
        envVariables: {
          kind: "chain",
          type: "[EnvVariable!]!",
          doc: "Retrieves the list of environment variables passed to commands.",
          run: (p: C) =>
            Effect.succeed(p.state.config.env.map(([name, value]) => Api.state<EnvVariableState>({ name, value })))
        },
        withLabel: {
          kind: "chain",
          type: "Container!",
          doc: "Retrieves this container plus the given label.",
          args: {
            name: { type: "String!", doc: "The name of the label (e.g., \"org.opencontainers.artifact.created\")." },
            value: { type: "String!", doc: "The value of the label (e.g., \"2023-01-01T00:00:00Z\")." }
          },
          run: (p: C, a: { name: string; value: string }) =>
            same(withConfig(p.state, { labels: setPair(p.state.config.labels, a.name, a.value) }))
        },
        withoutLabel: {
          kind: "chain",
          type: "Container!",
          doc: "Retrieves this container minus the given label.",
          args: { name: { type: "String!", doc: "The name of the label to remove." } },
          run: (p: C, a: { name: string }) =>
            same(withConfig(p.state, { labels: setPair(p.state.config.labels, a.name, undefined) }))
        },
        label: {
          kind: "leaf",
          type: "String",
          doc: "Retrieves the value of the specified label, or null.",
          args: { name: { type: "String!", doc: "The name of the label." } },
          run: (p: C, a: { name: string }) => Effect.succeed(p.state.config.labels.find(([k]) => k === a.name)?.[1] ?? null)
        },
        labels: {
          kind: "chain",
          type: "[Label!]!",
          doc: "Retrieves the list of labels passed to the container, sorted by name.",
          run: (p: C) =>
            Effect.succeed(
              [...p.state.config.labels]
                .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
                .map(([name, value]) => Api.state<LabelState>({ name, value }))
            )
        },
        withExposedPort: {
          kind: "chain",
          type: "Container!",
          doc: "Expose a network port (in the image config; services use it).",
          args: {
            port: { type: "Int!", doc: "Port number to expose." },
            protocol: { type: "NetworkProtocol", doc: "Network protocol (e.g., \"tcp\").", default: "TCP" },
            description: { type: "String", doc: "Optional port description." },
            experimentalSkipHealthcheck: { type: "Boolean", doc: "Skip the health check when run as a service.", default: false }
          },
          run: (p: C, a: { port: number; protocol: Protocol; description?: string | null; experimentalSkipHealthcheck: boolean }) => {
            if (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535) {
              return Effect.fail(invalid(`withExposedPort: invalid port ${a.port} (expected 1-65535)`))
            }
            const k = Port.key(a.port, a.protocol)
            const s = withConfig(p.state, {
              exposedPorts: p.state.config.exposedPorts.includes(k) ? p.state.config.exposedPorts : [...p.state.config.exposedPorts, k]
            })
            return same(withPortInfo(s, k, {
              description: a.description ?? undefined,
              experimentalSkipHealthcheck: a.experimentalSkipHealthcheck
            }))
          }
        },
        withoutExposedPort: {
          kind: "chain",
          type: "Container!",
          doc: "Unexpose a previously exposed port.",
          args: {
            port: { type: "Int!", doc: "Port number to unexpose." },
            protocol: { type: "NetworkProtocol", doc: "Port protocol to unexpose.", default: "TCP" }
          },
          run: (p: C, a: { port: number; protocol: Protocol }) => {
            const k = Port.key(a.port, a.protocol)
            const s = withConfig(p.state, { exposedPorts: p.state.config.exposedPorts.filter((x) => x !== k) })
            return same(withPortInfo(s, k, undefined))
          }
        },
        exposedPorts: {
          kind: "chain",
          type: "[Port!]!",
          doc: "Retrieves the list of exposed ports.",
          run: (p: C) =>
            Effect.succeed(p.state.config.exposedPorts.map((k) => {
              const { port, protocol } = Port.parseKey(k)
              const info = p.state.portInfo?.[k]
              return Api.state<Port.PortState>({
                port,
                protocol,
                description: info?.description ?? null,
                experimentalSkipHealthcheck: info?.experimentalSkipHealthcheck ?? false
              })
            }))
        },
        withoutEntrypoint: {
          kind: "chain",
          type: "Container!",
          doc: "Reset the container's entrypoint; clears the default args unless keepDefaultArgs.",
          args: { keepDefaultArgs: { type: "Boolean", doc: "Don't remove the default arguments.", default: false } },
          run: (p: C, a: { keepDefaultArgs: boolean }) =>
            same(withConfig(p.state, { entrypoint: [], cmd: a.keepDefaultArgs ? p.state.config.cmd : [] }))
        },
        withoutDefaultArgs: {
          kind: "chain",
          type: "Container!",
          doc: "Remove the container's default arguments.",
          run: (p: C) => same(withConfig(p.state, { cmd: [] }))
        },
        withoutUser: {
          kind: "chain",
          type: "Container!",
          doc: "Retrieves this container with an unset command user (commands then run as root).",
          run: (p: C) => same(withConfig(p.state, { user: "" }))
        },
        withoutWorkdir: {
          kind: "chain",
          type: "Container!",
          doc: "Unset the container's working directory (commands then run in /).",
          run: (p: C) => same(withConfig(p.state, { workdir: "" }))
        }
      }
    }
  ]
})
