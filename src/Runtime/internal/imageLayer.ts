/**
 * Files added to an image as a layer of its own, through `docker load`: the archive is written by Docker once, into
 * the new layer, where extracting it into a container and committing that container writes it twice (the commit
 * reads the container's layer and writes it again).
 *
 * A layer is not a container's filesystem: a directory the layer has but does not list (a parent of what it adds)
 * would be created with mode 0755 and owner root and would hide the image's own mode and owner of it; a parent that
 * is a symlink in the image is followed by an extraction into a container, and hidden by a layer. So the runtime
 * lists the image's existing parents (their headers as the image has them), and uses a layer only when every parent
 * the image has is a directory. (A name `.wh.<x>` deletes `<x>` either way: Docker reads it as a whiteout in a
 * layer, and a commit turns such a file into one.)
 */
import { createHash } from "node:crypto"
import * as posix from "node:path/posix"
import { Readable } from "node:stream"
import * as TarStream from "tar-stream"

/** The end of a tar archive: two zero blocks. */
export const TRAILER = 1024

/** A directory as the image has it, listed in the layer so that the layer keeps its mode, owner and time. */
export interface DirHeader {
  readonly name: string
  readonly mode: number
  readonly uid: number
  readonly gid: number
  readonly mtime: Date
}

/**
 * The parents of `names` that are not in `names` themselves, parents before their children. Pure.
 *
 * @category getters
 */
export const parentsOf = (names: Iterable<string>): Array<string> => {
  const listed = new Set(names)
  const out = new Set<string>()
  for (const name of listed) {
    for (let p = posix.dirname(name); p !== "." && p !== "/" && p !== "" && !out.has(p); p = posix.dirname(p)) {
      if (!listed.has(p)) out.add(p)
    }
  }
  return [...out].sort((a, b) => a.split("/").length - b.split("/").length || (a < b ? -1 : a > b ? 1 : 0))
}

/** Collects a small tar stream into a buffer without its end-of-archive blocks. */
const entriesOf = async (pack: TarStream.Pack): Promise<Buffer> => {
  const chunks: Array<Buffer> = []
  for await (const chunk of pack) chunks.push(chunk as Buffer)
  const all = Buffer.concat(chunks)
  return all.subarray(0, all.length - TRAILER)
}

/** The tar entries (no end blocks) of directories, as one buffer. */
export const dirEntries = (dirs: ReadonlyArray<DirHeader>): Promise<Buffer> => {
  const pack = TarStream.pack()
  for (const d of dirs) {
    // owners beyond the header's 6 octal digits go in PAX records (Docker reads those over the header's)
    const large = d.uid > 0o777777 || d.gid > 0o777777
    pack.entry({
      name: `${d.name}/`,
      type: "directory",
      mode: d.mode,
      uid: d.uid,
      gid: d.gid,
      mtime: d.mtime,
      ...(large ? { pax: { uid: String(d.uid), gid: String(d.gid) } } : {})
    })
  }
  pack.finalize()
  return entriesOf(pack)
}

/** One archive to concatenate: a stream factory and its exact length (end blocks included). */
export interface Part {
  readonly tar: () => Readable
  readonly size: number
}

/** The length of the layer made of `head` (entries only) and `parts`. Pure. */
export const layerSize = (head: Buffer, parts: ReadonlyArray<Part>): number =>
  head.length + parts.reduce((n, p) => n + p.size - TRAILER, 0) + TRAILER

/**
 * The layer's bytes: `head`, then each part without its end blocks, then one end. A part whose stream is not exactly
 * its announced length fails the stream (its files changed while being read). `onDone` gets the sha256 of all the
 * bytes (the layer's diff id) once they have been read.
 */
async function* layerBytes(head: Buffer, parts: ReadonlyArray<Part>, onDone: (diffId: string) => void) {
  const hash = createHash("sha256")
  const out = (b: Buffer) => {
    hash.update(b)
    return b
  }
  if (head.length > 0) yield out(head)
  for (const part of parts) {
    const keep = part.size - TRAILER
    let seen = 0
    for await (const chunk of part.tar()) {
      const b = chunk as Buffer
      const from = seen
      seen += b.length
      if (from < keep) yield out(seen <= keep ? b : b.subarray(0, keep - from))
    }
    if (seen !== part.size) throw new Error(`an archive was ${seen} bytes where ${part.size} were announced (its files changed while being read)`)
  }
  yield out(Buffer.alloc(TRAILER))
  onDone("sha256:" + hash.digest("hex"))
}

/**
 * The parts of an image configuration kept from the base image (`docker image inspect`).
 */
export interface BaseImage {
  readonly architecture: string
  readonly os: string
  readonly variant?: string | undefined
  readonly config: Readonly<Record<string, unknown>>
  readonly diffIds: ReadonlyArray<string>
}

/**
 * The configuration of the base image with one more layer, `labels` added to its config's labels. Pure.
 *
 * @category constructors
 */
export const imageConfig = (base: BaseImage, diffId: string, labels: Readonly<Record<string, string>>, created: Date): Buffer => {
  const config = base.config
  const own = (config.Labels ?? {}) as Record<string, string>
  return Buffer.from(JSON.stringify({
    architecture: base.architecture,
    os: base.os,
    ...(base.variant !== undefined && base.variant !== "" ? { variant: base.variant } : {}),
    created: created.toISOString(),
    config: { ...config, Labels: { ...own, ...labels } },
    rootfs: { type: "layers", diff_ids: [...base.diffIds, diffId] }
  }))
}

/**
 * A `docker load` archive of the base image plus one layer: `layer.tar` (streamed), the configuration, and a manifest
 * naming the base's layers by paths the archive does not hold (Docker loads only the layers it does not have; it has
 * the base's). `onConfig` gets the configuration (its sha256 is the image id) once the layer has been read.
 */
export const loadArchive = (
  base: BaseImage,
  head: Buffer,
  parts: ReadonlyArray<Part>,
  labels: Readonly<Record<string, string>>,
  onConfig: (config: Buffer) => void
): Readable => {
  const pack = TarStream.pack()
  const size = layerSize(head, parts)
  const mtime = new Date(0)
  let diffId = ""
  const layer = Readable.from(layerBytes(head, parts, (d) => {
    diffId = d
  }))
  const entry = pack.entry({ name: "layer.tar", size, mode: 0o644, mtime }, (err) => {
    if (err) return pack.destroy(err)
    const config = imageConfig(base, diffId, labels, new Date())
    onConfig(config)
    const manifest = [{
      Config: "config.json",
      RepoTags: null,
      Layers: [...base.diffIds.map((_, i) => `base-${i}/layer.tar`), "layer.tar"]
    }]
    pack.entry({ name: "config.json", mode: 0o644, mtime }, config)
    pack.entry({ name: "manifest.json", mode: 0o644, mtime }, JSON.stringify(manifest))
    pack.finalize()
  })
  // a failure of the layer's bytes fails the whole archive (reported once, by the archive's stream)
  entry.on("error", () => {})
  layer.on("error", (err) => {
    entry.destroy(err)
    pack.destroy(err)
  })
  layer.pipe(entry)
  return Readable.from(pack)
}
