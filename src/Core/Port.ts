/**
 * The `Port` type (an exposed port of a container, `Container.exposedPorts`) and the `NetworkProtocol` enum.
 */
import { Effect } from "effect"
import type * as Api from "./Api.js"

/**
 * @category models
 */
export interface PortState {
  readonly port: number
  readonly protocol: "TCP" | "UDP"
  readonly description: string | null
  readonly experimentalSkipHealthcheck: boolean
}

type V = Api.Value<PortState>

/**
 * The image-config key of a port: `8080/tcp`.
 *
 * @category getters
 */
export const key = (port: number, protocol: string): string => `${port}/${protocol.toLowerCase()}`

/**
 * Parses an image-config key (`8080/tcp`, `53/udp`, `80`).
 *
 * @category getters
 */
export const parseKey = (k: string): { readonly port: number; readonly protocol: "TCP" | "UDP" } => {
  const [p, proto] = k.split("/")
  return { port: Number(p), protocol: proto?.toLowerCase() === "udp" ? "UDP" : "TCP" }
}

/**
 * @category constructors
 */
export const make = Effect.succeed<Api.ApiSpec>({
  enums: [
    {
      name: "NetworkProtocol",
      doc: "Transport layer network protocol associated to a port.",
      values: [{ name: "TCP", doc: "TCP (Transmission Control Protocol)" }, { name: "UDP", doc: "UDP (User Datagram Protocol)" }]
    }
  ],
  objects: [
    {
      name: "Port",
      doc: "A port exposed by a container.",
      fields: {
        port: { kind: "leaf", type: "Int!", doc: "The port number.", run: (v: V) => Effect.succeed(v.state.port) },
        protocol: {
          kind: "leaf",
          type: "NetworkProtocol!",
          doc: "The transport layer protocol.",
          run: (v: V) => Effect.succeed(v.state.protocol)
        },
        description: {
          kind: "leaf",
          type: "String",
          doc: "The port description.",
          run: (v: V) => Effect.succeed(v.state.description)
        },
        experimentalSkipHealthcheck: {
          kind: "leaf",
          type: "Boolean!",
          doc: "Skip the health check when run as a service.",
          run: (v: V) => Effect.succeed(v.state.experimentalSkipHealthcheck)
        }
      }
    }
  ]
})
