/**
 * Services, the pure part: hostnames derived from a service's digest, binding aliases, and which ports `up` and
 * `host.tunnel` listen on. The running part is `internal/Services.ts`.
 */
import { createHash } from "node:crypto"
import type * as Op from "./Op.js"

const base32 = "abcdefghijklmnopqrstuvwxyz234567"

/**
 * The hostname of a service: 13 base32 characters of a hash of its digest (as Dagger's short service names), so the
 * same service has the same name from every client and module of a session, and in every session.
 *
 * @category constructors
 */
export const hostnameOf = (digest: string): string => {
  const bytes = createHash("sha256").update("dirk-service:" + digest).digest()
  let out = ""
  let bits = 0
  let value = 0
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5 && out.length < 13) {
      out += base32[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    if (out.length >= 13) break
  }
  return out
}

/**
 * Why `name` is not a valid hostname or binding alias (RFC 1123 labels: letters, digits and `-`, not at either end of
 * a label, 1–63 characters per label, 253 in all), or `undefined` when it is one.
 *
 * @category guards
 */
export const hostnameError = (name: string): string | undefined => {
  if (name.length === 0) return "it is empty"
  if (name.length > 253) return "it is longer than 253 characters"
  for (const label of name.split(".")) {
    if (label.length === 0) return "it has an empty label (two dots, or a dot at an end)"
    if (label.length > 63) return `its label "${label}" is longer than 63 characters`
    if (!/^[A-Za-z0-9-]+$/.test(label)) return `its label "${label}" holds characters other than letters, digits and -`
    if (label.startsWith("-") || label.endsWith("-")) return `its label "${label}" starts or ends with -`
  }
  return undefined
}

/**
 * The forwards `up` (and a tunnel) listens on: the ones asked for, else one per port of the service, on the same
 * number or, with `random`, on a port the system picks (frontend 0).
 *
 * @category constructors
 */
export const forwardsFor = (
  asked: ReadonlyArray<Op.PortForward>,
  ports: ReadonlyArray<Op.ServicePort>,
  random: boolean
): ReadonlyArray<Op.PortForward & { readonly frontend: number }> =>
  asked.length > 0
    ? asked.map((f) => ({ ...f, frontend: random ? 0 : f.frontend ?? f.backend }))
    : ports.map((p) => ({ frontend: random ? 0 : p.port, backend: p.port, protocol: p.protocol }))

/**
 * The ports a service offers: its exposed ports, or for a host service or a tunnel the frontends of its forwards.
 *
 * @category getters
 */
export const portsOf = (spec: Op.ServiceSpec): ReadonlyArray<Op.ServicePort> => {
  switch (spec._tag) {
    case "Container":
      return spec.ports
    case "Host":
      return spec.forwards.map((f) => ({ port: f.frontend ?? f.backend, protocol: f.protocol, skipHealthcheck: true }))
    case "Tunnel":
      return spec.forwards.length > 0
        ? spec.forwards.map((f) => ({ port: f.frontend ?? f.backend, protocol: f.protocol, skipHealthcheck: true }))
        : portsOf(spec.upstream)
  }
}
