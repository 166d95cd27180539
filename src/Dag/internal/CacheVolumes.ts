/**
 * Cache volumes: their Docker volume names and the archive that initializes a new one (`source` contents, `owner`).
 *
 * A cache volume is a named Docker volume. Its name is a digest of the key, the source op and the owner, so the same
 * `cacheVolume(key)` mounted the same way finds the same volume, also in later engines (volumes outlive the engine,
 * as Dagger's cache does). PRIVATE mounts take numbered volumes of their own, one per concurrent exec.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import { Readable } from "node:stream"
import * as TarStream from "tar-stream"
import type * as Op from "../Op.js"
import type { Entry } from "./Walk.js"

/** The top directory of an init archive (where the runtime mounts the volume while initializing it). */
const top = "volume"

/**
 * The Docker volume name of a cache mount; `slot` numbers PRIVATE volumes.
 */
export const volumeName = (c: Op.ExecCache, slot: number): string => {
  const id = createHash("sha256").update(JSON.stringify([c.key, c.source?.digest ?? null, c.owner])).digest("hex")
  return `dirk-cache-${id.slice(0, 32)}${c.sharing === "PRIVATE" ? `-private-${slot}` : ""}`
}

/** `uid:gid` (or `uid`, gid = uid) as numbers; "" is root. */
export const parseOwner = (owner: string): { readonly uid: number; readonly gid: number } => {
  if (owner === "") return { uid: 0, gid: 0 }
  const [u, g] = owner.split(":")
  const uid = Number(u)
  return { uid, gid: g === undefined || g === "" ? uid : Number(g) }
}

/**
 * The archive that initializes a new volume (entries under `volume/`, the volume's root), or `undefined` when
 * nothing needs doing (no source and no owner). With an owner, every entry is owned by it.
 */
export const init = (
  c: Op.ExecCache,
  source: { readonly root: string; readonly entries: ReadonlyArray<Entry> } | undefined
): (() => Readable) | undefined => {
  if (source === undefined && c.owner === "") return undefined
  const { gid, uid } = parseOwner(c.owner)
  return () => {
    const pack = TarStream.pack()
    const add = (header: Parameters<TarStream.Pack["entry"]>[0], body?: Buffer | string) =>
      new Promise<void>((resolve, reject) => {
        const done = (err?: Error | null) => (err ? reject(err) : resolve())
        if (body !== undefined) pack.entry(header, body, done)
        else pack.entry(header, done)
      })
    const run = async () => {
      const now = new Date()
      await add({ name: `${top}/`, type: "directory", mode: 0o755, uid, gid, mtime: now })
      for (const e of source?.entries ?? []) {
        const name = `${top}/${e.rel}`
        const owned = c.owner === "" ? { uid: 0, gid: 0 } : { uid, gid }
        if (e.type === "dir") await add({ name, type: "directory", mode: e.mode, mtime: e.mtime, ...owned })
        else if (e.type === "symlink") {
          await add({ name, type: "symlink", linkname: e.linkTarget ?? "", mode: 0o777, mtime: e.mtime, ...owned })
        } else {
          await add({ name, type: "file", mode: e.mode, mtime: e.mtime, size: e.size, ...owned }, fs.readFileSync(e.abs))
        }
      }
      pack.finalize()
    }
    run().catch((e: unknown) => pack.destroy(e instanceof Error ? e : new Error(String(e))))
    return Readable.from(pack)
  }
}
