/**
 * Path helpers shared by the core types.
 */
import * as posix from "node:path/posix"

/** An absolute container path: `p` resolved against `workdir` (default "/"). */
export const containerPath = (workdir: string, p: string): string => posix.resolve(workdir === "" ? "/" : workdir, p)

/** A path inside a snapshot, relative, normalized, without leading "/" ("" for the root). */
export const relPath = (p: string): string => {
  const n = posix.normalize("/" + p).replace(/^\/+/, "").replace(/\/+$/, "")
  return n === "." ? "" : n
}

/** Joins relative snapshot paths. */
export const joinRel = (a: string, b: string): string => relPath(posix.join(a, b))

/** Whether `p` is `dir` or inside it (both absolute). */
export const isUnder = (p: string, dir: string): boolean =>
  p === dir || dir === "/" || p.startsWith(dir.endsWith("/") ? dir : dir + "/")

/** Expands `$VAR` and `${VAR}` with the given environment (unknown variables become ""). */
export const expandVars = (s: string, env: ReadonlyArray<readonly [string, string]>): string => {
  const lookup = (name: string) => {
    for (let i = env.length - 1; i >= 0; i--) if (env[i]![0] === name) return env[i]![1]
    return ""
  }
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, a, b) => lookup(a ?? b))
}
