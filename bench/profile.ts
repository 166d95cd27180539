/**
 * CPU profiles (node --cpu-prof) of the CLI or the engine daemon, read through the source maps of dist/'s files: self
 * time by package, by dirk's src file or function, or by the part of Node it is in. Used by bench/startup.ts and
 * bench/engine-profile.ts.
 */
import * as fs from "node:fs"
import { SourceMap } from "node:module"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { root } from "./support.js"

/** The original source of a frame in one of dist/'s files (through its source map), else undefined. */
const sourceOf = (() => {
  const maps = new Map<string, SourceMap | null>()
  const dist = pathToFileURL(path.join(root, "dist")).href + "/"
  return (frame: ProfileNode["callFrame"]): string | undefined => {
    if (!frame.url.startsWith(dist) || !frame.url.endsWith(".mjs")) return undefined
    let map = maps.get(frame.url)
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(fs.readFileSync(fileURLToPath(frame.url) + ".map", "utf8")))
      } catch {
        map = null
      }
      maps.set(frame.url, map)
    }
    if (map === null) return ""
    return (map.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string }).originalSource ?? ""
  }
})()

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly url: string; readonly functionName: string; readonly lineNumber: number; readonly columnNumber: number }
  readonly children?: ReadonlyArray<number>
}

/** Where a frame's code comes from: a package (bundled or not), dirk's src, or a part of Node. */
const origin = (frame: ProfileNode["callFrame"]): string | undefined => {
  const pkg = (p: string) => {
    const rest = p.split("node_modules/").pop()!
    return rest.split("/").slice(0, rest.startsWith("@") ? 2 : 1).join("/")
  }
  const src = sourceOf(frame)
  if (src !== undefined) {
    return src.includes("node_modules/") ? `${pkg(src)} (bundled)` : src.includes("/src/") ? "dirk's src (bundled)" : "bundle glue"
  }
  if (frame.url.includes("node_modules/")) return `${pkg(frame.url)} (external)`
  return undefined
}

const internal = (frame: ProfileNode["callFrame"]): string => {
  const u = frame.url
  if (u === "") return frame.functionName.startsWith("(") ? frame.functionName : `native ${frame.functionName}`
  if (u.includes("modules/esm")) return "node ESM loader (compiles and links the bundle's files)"
  if (u.includes("modules/cjs")) return "node CJS loader"
  return "node internals (bootstrap, other)"
}

/**
 * Self time (ms) of CPU profiles by origin: each sample goes to the innermost frame of its stack that comes from a
 * package (bundled or not) or from dirk's src (`bySrcFile`: dirk's src files by name, and a sample goes to the
 * innermost frame in dirk's src when there is one), else to the part of Node it is in. `(idle)` samples are kept
 * apart under their own name. `byFunction`: dirk's src frames by file, function and bundle line. `window`: only the samples taken between these two `monotonicUs()` readings.
 */
export const profileByOrigin = (
  files: ReadonlyArray<string>,
  options: { bySrcFile?: boolean; byFunction?: boolean; window?: readonly [number, number] } = {}
): Array<[string, number]> => {
  const totals = new Map<string, number>()
  for (const f of files) {
    const p = JSON.parse(fs.readFileSync(f, "utf8")) as {
      nodes: ReadonlyArray<ProfileNode>
      samples: ReadonlyArray<number>
      timeDeltas: ReadonlyArray<number>
      startTime: number
    }
    const byId = new Map(p.nodes.map((n) => [n.id, n]))
    const parent = new Map<number, number>()
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
    const memo = new Map<number, string>()
    const classify = (id: number): string => {
      const hit = memo.get(id)
      if (hit !== undefined) return hit
      let found: string | undefined
      if (options.bySrcFile === true) {
        for (let cur: number | undefined = id; cur !== undefined && found === undefined; cur = parent.get(cur)) {
          const frame = byId.get(cur)!.callFrame
          found = srcFile(frame)
          if (found !== undefined && options.byFunction === true) found += ` ${frame.functionName || "(anonymous)"}:${frame.lineNumber + 1}`
        }
      }
      for (let cur: number | undefined = id; cur !== undefined && found === undefined; cur = parent.get(cur)) {
        found = origin(byId.get(cur)!.callFrame)
      }
      const k = found ?? internal(byId.get(id)!.callFrame)
      memo.set(id, k)
      return k
    }
    let at = p.startTime
    for (let i = 0; i < p.samples.length; i++) {
      at += p.timeDeltas[i] ?? 0
      if (options.window !== undefined && (at < options.window[0] || at > options.window[1])) continue
      const k = classify(p.samples[i]!)
      totals.set(k, (totals.get(k) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000)
    }
  }
  return [...totals].sort((a, b) => b[1] - a[1])
}

const srcFile = (frame: ProfileNode["callFrame"]): string | undefined => {
  const src = sourceOf(frame)
  if (src === undefined) return undefined
  const i = src.lastIndexOf("/src/")
  return i >= 0 && !src.includes("node_modules/") ? src.slice(i + 1) : undefined
}

