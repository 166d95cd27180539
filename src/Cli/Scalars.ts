/**
 * Flag text → argument values, by the argument's GraphQL type (reference §5: scalars from strings, lists as CSV or
 * repeated flags, Directory/File as host paths, Container as an image address, Secret as `env:NAME`, `file:PATH`,
 * `cmd:COMMAND` with an optional `?cacheKey=KEY`, resolved by this process when the engine asks).
 */
import { Either } from "effect"
import * as SecretUri from "../Core/SecretUri.js"
import type { InputKind } from "./TypeInfo.js"

/**
 * An argument value before the engine is asked for the IDs of host paths and containers.
 *
 * @category models
 */
export type ArgValue =
  | { readonly _tag: "Value"; readonly value: unknown }
  | { readonly _tag: "HostDirectory"; readonly path: string }
  | { readonly _tag: "HostFile"; readonly path: string }
  | { readonly _tag: "ContainerAddress"; readonly address: string }
  | { readonly _tag: "SecretUri"; readonly uri: string; readonly cacheKey?: string }
  | { readonly _tag: "HostService"; readonly host: string; readonly port: number; readonly protocol: "TCP" | "UDP" }
  | { readonly _tag: "List"; readonly items: ReadonlyArray<ArgValue> }

const trueWords = new Set(["1", "t", "true"])
const falseWords = new Set(["0", "f", "false"])

/**
 * Parses one flag value (Go's `strconv` rules for Int and Boolean).
 *
 * @category constructors
 */
export const parseScalar = (kind: InputKind, raw: string): Either.Either<ArgValue, string> => {
  switch (kind._tag) {
    case "String":
    case "Scalar":
      return Either.right({ _tag: "Value", value: raw })
    case "Int": {
      const text = raw.trim()
      if (!/^[+-]?\d+$/.test(text)) return Either.left(`"${raw}" is not an integer`)
      const n = Number(text)
      if (!Number.isSafeInteger(n) || n > 2147483647 || n < -2147483648) {
        return Either.left(`"${raw}" is out of range for an Int (32 bits)`)
      }
      return Either.right({ _tag: "Value", value: n })
    }
    case "Float": {
      const text = raw.trim()
      const n = Number(text)
      if (text === "" || !Number.isFinite(n)) return Either.left(`"${raw}" is not a number`)
      return Either.right({ _tag: "Value", value: n })
    }
    case "Boolean": {
      const text = raw.trim().toLowerCase()
      if (trueWords.has(text)) return Either.right({ _tag: "Value", value: true })
      if (falseWords.has(text)) return Either.right({ _tag: "Value", value: false })
      return Either.left(`invalid Boolean "${raw}" (use true or false)`)
    }
    case "Enum": {
      // by member name, as the schema spells it (`HIGH`), or in any case with `-` for `_` (`high`, `very-high`)
      const loose = (s: string) => s.toLowerCase().replace(/-/g, "_")
      const found = kind.values.find((v) => v === raw) ?? kind.values.find((v) => loose(v) === loose(raw))
      return found === undefined
        ? Either.left(`invalid value "${raw}", expected one of: ${kind.values.join(", ")}`)
        : Either.right({ _tag: "Value", value: found })
    }
    case "Directory":
      return Either.right({ _tag: "HostDirectory", path: raw })
    case "File":
      return Either.right({ _tag: "HostFile", path: raw })
    case "Container":
      return Either.right({ _tag: "ContainerAddress", address: raw })
    case "Secret":
      return Either.right({ _tag: "SecretUri", ...SecretUri.fromFlag(raw) })
    case "Service": {
      // tcp://host:port → host.service(host, ports: [{frontend: port, backend: port}]) (Dagger's CLI rule)
      const m = /^(tcp|udp):\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/i.exec(raw.trim())
      const port = m === null ? NaN : Number(m[3])
      if (m === null || !(port >= 1 && port <= 65535)) {
        return Either.left(`invalid service "${raw}" (expected tcp://host:port or udp://host:port, a port of this machine)`)
      }
      return Either.right({ _tag: "HostService", host: m[2]!.replace(/^\[|\]$/g, ""), port, protocol: m[1]!.toLowerCase() === "udp" ? "UDP" : "TCP" })
    }
    case "PortForward": {
      const f = parsePortForward(raw)
      return "error" in f ? Either.left(f.error) : Either.right({ _tag: "Value", value: f })
    }
    case "Unsupported":
      return Either.left(`arguments of type ${kind.name} are not supported by dirk call yet`)
  }
}

/**
 * Parses a port forward (`--ports 8080:80`): `FRONTEND:BACKEND` (a host port to the service's port), or `PORT` (the
 * same number on both sides), with an optional `/tcp` or `/udp`.
 *
 * @category constructors
 */
export const parsePortForward = (
  text: string
): { readonly frontend: number; readonly backend: number; readonly protocol: "TCP" | "UDP" } | { readonly error: string } => {
  const m = /^\s*(?:(\d+):)?(\d+)(?:\/(tcp|udp))?\s*$/i.exec(text)
  if (m === null) return { error: `invalid port forward "${text}" (expected FRONTEND:BACKEND, e.g. 8080:80)` }
  const backend = Number(m[2])
  const frontend = m[1] === undefined ? backend : Number(m[1])
  for (const [what, n] of [["frontend", frontend], ["backend", backend]] as const) {
    if (!Number.isSafeInteger(n) || n < 1 || n > 65535) {
      return { error: `invalid port forward "${text}": the ${what} port ${m[what === "frontend" ? 1 : 2]} is not in 1-65535` }
    }
  }
  return { frontend, backend, protocol: m[3]?.toLowerCase() === "udp" ? "UDP" : "TCP" }
}

/**
 * Splits a list flag value as CSV (`a,b`, `"a,b",c`, `"say ""hi"""`), like Go's `encoding/csv` used by pflag.
 *
 * @category combinators
 */
export const splitCsv = (raw: string): ReadonlyArray<string> => {
  if (raw === "") return []
  const out: Array<string> = []
  let field = ""
  let i = 0
  let quoted = false
  let atStart = true
  while (i < raw.length) {
    const c = raw[i]!
    if (quoted) {
      if (c === "\"") {
        if (raw[i + 1] === "\"") {
          field += "\""
          i += 2
          continue
        }
        quoted = false
        i++
        continue
      }
      field += c
      i++
      continue
    }
    if (c === "\"" && atStart) {
      quoted = true
      atStart = false
      i++
      continue
    }
    if (c === ",") {
      out.push(field)
      field = ""
      atStart = true
      i++
      continue
    }
    field += c
    atStart = false
    i++
  }
  out.push(field)
  return out
}

/**
 * Parses the values given for one flag: a list flag takes every occurrence, each split as CSV.
 *
 * @category constructors
 */
export const parseFlagValues = (
  kind: InputKind,
  list: boolean,
  raws: ReadonlyArray<string>
): Either.Either<ArgValue, string> => {
  if (!list) {
    const last = raws[raws.length - 1]
    return last === undefined ? Either.left("missing value") : parseScalar(kind, last)
  }
  return Either.map(
    Either.all(raws.flatMap(splitCsv).map((raw) => parseScalar(kind, raw))),
    (items): ArgValue => ({ _tag: "List", items })
  )
}
