/**
 * Where an engine is: `DIRK_ENGINE` (or `--engine`) as `unix:///path/engine.sock`, `tcp://host:port` or `embedded`
 * (the engine in the client's own process); by default the unix socket `engine.sock` in the state dir (so that a
 * state dir has at most one engine, and `DIRK_STATE_DIR` alone picks both).
 */
import * as path from "node:path"

/**
 * @category models
 */
export type Address =
  | { readonly _tag: "Unix"; readonly path: string }
  | { readonly _tag: "Tcp"; readonly host: string; readonly port: number }
  | { readonly _tag: "Embedded" }

/**
 * An address a daemon listens on.
 *
 * @category models
 */
export type Listen = Exclude<Address, { _tag: "Embedded" }>

/** The control socket's name in the state dir. */
export const socketName = "engine.sock"

/**
 * The default address: the unix socket in `stateDir`.
 *
 * @category constructors
 */
export const defaultFor = (stateDir: string): Listen => ({ _tag: "Unix", path: path.join(stateDir, socketName) })

/**
 * Parses an address; `undefined` for an empty value (use the default). A value that is none of the forms is an
 * error message naming it.
 *
 * @category parsing
 */
export const parse = (value: string | undefined): Address | undefined | { readonly error: string } => {
  const v = value?.trim() ?? ""
  if (v === "") return undefined
  if (v === "embedded") return { _tag: "Embedded" }
  if (v.startsWith("unix://")) {
    const p = v.slice("unix://".length)
    if (!p.startsWith("/")) return { error: `engine address ${JSON.stringify(v)}: a unix socket path must be absolute (unix:///path)` }
    return { _tag: "Unix", path: p }
  }
  if (v.startsWith("tcp://")) {
    const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(v)
    const port = m === null ? NaN : Number(m[2])
    if (m === null || !(port > 0 && port < 65536)) {
      return { error: `engine address ${JSON.stringify(v)}: expected tcp://host:port` }
    }
    return { _tag: "Tcp", host: m[1]!.replace(/^\[|\]$/g, ""), port }
  }
  return {
    error: `engine address ${JSON.stringify(v)}: expected unix:///path/to/engine.sock, tcp://host:port or embedded`
  }
}

/**
 * The address as a string (`unix:///…`, `tcp://…`, `embedded`).
 *
 * @category getters
 */
export const format = (a: Address): string =>
  a._tag === "Unix" ? `unix://${a.path}` : a._tag === "Tcp" ? `tcp://${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}` : "embedded"
