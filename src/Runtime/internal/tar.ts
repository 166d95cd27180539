/**
 * Small tar streams built in memory.
 */
import * as posix from "node:path/posix"
import { Readable } from "node:stream"
import * as TarStream from "tar-stream"

/** An archive of one empty directory entry `path` (relative to `/`), to create a missing directory and its parents. */
export const directory = (path: string): Readable => {
  const pack = TarStream.pack()
  const name = posix.normalize(path).replace(/^\/+/, "").replace(/\/+$/, "")
  if (name.length > 0 && name !== ".") {
    pack.entry({ name: `${name}/`, type: "directory", mode: 0o755, uid: 0, gid: 0 })
  }
  pack.finalize()
  return Readable.from(pack)
}

/** An empty archive (two zero blocks): the content of the scratch image. */
export const empty = (): Readable => Readable.from([Buffer.alloc(1024)])
