/**
 * Helpers shared by the files that use `Service` values (`Service.ts`, `Container.from`, `publish`).
 */
import * as CallId from "../../Dag/CallId.js"
import type * as Op from "../../Dag/Op.js"
import * as Service from "../../Dag/Service.js"
import type * as Api from "../Api.js"
import type { ServiceState } from "../State.js"

/**
 * How to run a Service value: its state, named by its ID's digest, with its hostname (the one `withHostname` set, or
 * one derived from the digest).
 */
export const specOf = (v: Api.Value<ServiceState>): Op.ServiceSpec => {
  const digest = CallId.digest(v.id)
  const hostname = v.state.hostname ?? Service.hostnameOf(digest)
  const { hostname: _, ...rest } = v.state
  return { ...rest, digest, hostname } as Op.ServiceSpec
}

/**
 * The registry port of an image address served by a service (`registryService`): the address's own port, else the
 * service's first port, else 5000.
 */
export const registryPort = (domain: string, spec: Op.ServiceSpec): number => {
  const m = /:(\d+)$/.exec(domain)
  return m !== null ? Number(m[1]) : Service.portsOf(spec)[0]?.port ?? 5000
}
