/**
 * OCI image layouts and image tarballs, on the host filesystem (no daemon involved):
 * - `build` turns an extracted `docker save` archive plus an image config into an OCI layout directory
 *   (`oci-layout`, `index.json`, `blobs/sha256/…`) that also carries a `manifest.json`, so that both OCI tools and
 *   `docker load` (which reads `manifest.json` only, up to Docker 24) accept its tarball;
 * - `pack` writes a layout directory as a tarball;
 * - `extract` unpacks an archive safely (no entry escapes the target), and `read` finds the image in an extracted
 *   OCI layout or docker archive, for `docker load`.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Readable, Transform } from "node:stream"
import { pipeline } from "node:stream/promises"
import * as zlib from "node:zlib"
import * as TarStream from "tar-stream"
import type { ImageConfig } from "./ContainerRuntime.js"

/**
 * Layer compression of a written image.
 *
 * @category models
 */
export type Compression = "Gzip" | "Uncompressed"

/**
 * Media types of a written image's manifest, config and layers.
 *
 * @category models
 */
export type MediaTypes = "OCIMediaTypes" | "DockerMediaTypes"

/**
 * The image config fields a container carries (the `config` object of an OCI image config): the runtime's
 * `ImageConfig`.
 *
 * @category models
 */
export type RunConfig = ImageConfig

/**
 * A content descriptor.
 *
 * @category models
 */
export interface Descriptor {
  readonly mediaType: string
  readonly digest: string
  readonly size: number
}

/**
 * The manifest of an image in a layout directory, with the blobs it names.
 *
 * @category models
 */
export interface LayoutImage {
  readonly manifest: Descriptor
  readonly config: Descriptor
  readonly layers: ReadonlyArray<Descriptor>
}

const types = {
  OCIMediaTypes: {
    manifest: "application/vnd.oci.image.manifest.v1+json",
    config: "application/vnd.oci.image.config.v1+json",
    Gzip: "application/vnd.oci.image.layer.v1.tar+gzip",
    Uncompressed: "application/vnd.oci.image.layer.v1.tar"
  },
  DockerMediaTypes: {
    manifest: "application/vnd.docker.distribution.manifest.v2+json",
    config: "application/vnd.docker.container.image.v1+json",
    Gzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
    Uncompressed: "application/vnd.docker.image.rootfs.diff.tar"
  }
} as const

const indexMediaType = "application/vnd.oci.image.index.v1+json"
const dockerListMediaType = "application/vnd.docker.distribution.manifest.list.v2+json"

const sha256 = (data: Buffer | string): string => "sha256:" + createHash("sha256").update(data).digest("hex")

/**
 * The path of a blob in a layout directory.
 *
 * @category getters
 */
export const blobPath = (dir: string, digest: string): string => path.join(dir, "blobs", ...digest.split(":"))

const writeBlob = (dir: string, data: Buffer): string => {
  const digest = sha256(data)
  fs.mkdirSync(path.dirname(blobPath(dir, digest)), { recursive: true })
  fs.writeFileSync(blobPath(dir, digest), data)
  return digest
}

/** A pass-through stream that hashes what flows through it. */
const hasher = () => {
  const hash = createHash("sha256")
  let size = 0
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk)
      size += chunk.length
      cb(null, chunk)
    }
  })
  return { stream, result: () => ({ digest: "sha256:" + hash.digest("hex"), size }) }
}

const isGzip = (file: string): boolean => {
  const fd = fs.openSync(file, "r")
  try {
    const head = Buffer.alloc(2)
    return fs.readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b
  } finally {
    fs.closeSync(fd)
  }
}

/** Writes one layer file as a blob; returns its descriptor and its diff id (digest of the uncompressed tar). */
const writeLayer = async (
  dir: string,
  file: string,
  compression: Compression,
  mediaTypes: MediaTypes
): Promise<{ readonly desc: Descriptor; readonly diffId: string }> => {
  const tmp = path.join(dir, `layer.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`)
  const plain = hasher()
  const out = hasher()
  const stages: Array<NodeJS.ReadWriteStream> = []
  if (isGzip(file)) stages.push(zlib.createGunzip())
  stages.push(plain.stream)
  if (compression === "Gzip") stages.push(zlib.createGzip())
  stages.push(out.stream)
  const chain = pipeline as unknown as (...streams: ReadonlyArray<NodeJS.ReadableStream | NodeJS.WritableStream>) => Promise<void>
  await chain(fs.createReadStream(file), ...stages, fs.createWriteStream(tmp))
  const written = out.result()
  const target = blobPath(dir, written.digest)
  fs.mkdirSync(path.dirname(target), { recursive: true })
  fs.renameSync(tmp, target)
  return {
    desc: { mediaType: types[mediaTypes][compression], digest: written.digest, size: written.size },
    diffId: plain.result().digest
  }
}

const omitEmpty = (config: RunConfig): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  if (config.user !== "") out.User = config.user
  if (config.exposedPorts.length > 0) out.ExposedPorts = Object.fromEntries(config.exposedPorts.map((p) => [p, {}]))
  if (config.env.length > 0) out.Env = [...config.env]
  if (config.entrypoint.length > 0) out.Entrypoint = [...config.entrypoint]
  if (config.cmd.length > 0) out.Cmd = [...config.cmd]
  if (config.workdir !== "") out.WorkingDir = config.workdir
  if (Object.keys(config.labels).length > 0) out.Labels = { ...config.labels }
  return out
}

const readJson = (file: string): any => JSON.parse(fs.readFileSync(file, "utf8"))

/**
 * Builds an OCI layout in `outDir` from an extracted `docker save` archive in `saveDir`, with `config` as the
 * image's run config (the saved image's own config is replaced). Returns the image's descriptors.
 *
 * @category constructors
 */
export const build = async (
  saveDir: string,
  config: RunConfig,
  options: { readonly compression: Compression; readonly mediaTypes: MediaTypes },
  outDir: string
): Promise<LayoutImage> => {
  const saved = readJson(path.join(saveDir, "manifest.json"))[0] as { Config: string; Layers: ReadonlyArray<string> }
  const original = readJson(inside(saveDir, saved.Config))
  const layers: Array<Descriptor> = []
  const diffIds: Array<string> = []
  for (const layer of saved.Layers) {
    const { desc, diffId } = await writeLayer(outDir, inside(saveDir, layer), options.compression, options.mediaTypes)
    layers.push(desc)
    diffIds.push(diffId)
  }
  const imageConfig = {
    architecture: original.architecture,
    os: original.os,
    ...(original.variant !== undefined ? { variant: original.variant } : {}),
    ...(original.created !== undefined ? { created: original.created } : {}),
    config: omitEmpty(config),
    rootfs: { type: "layers", diff_ids: diffIds },
    ...(Array.isArray(original.history) ? { history: original.history } : {})
  }
  const configBytes = Buffer.from(JSON.stringify(imageConfig))
  const t = types[options.mediaTypes]
  const configDesc: Descriptor = { mediaType: t.config, digest: writeBlob(outDir, configBytes), size: configBytes.length }
  const manifestBytes = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: t.manifest,
    config: configDesc,
    layers
  }))
  const manifest: Descriptor = { mediaType: t.manifest, digest: writeBlob(outDir, manifestBytes), size: manifestBytes.length }
  const platform = {
    architecture: String(original.architecture),
    os: String(original.os),
    ...(original.variant !== undefined ? { variant: String(original.variant) } : {})
  }
  fs.writeFileSync(path.join(outDir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }))
  fs.writeFileSync(
    path.join(outDir, "index.json"),
    JSON.stringify({ schemaVersion: 2, mediaType: indexMediaType, manifests: [{ ...manifest, platform }] })
  )
  const rel = (d: string) => path.posix.join("blobs", ...d.split(":"))
  fs.writeFileSync(
    path.join(outDir, "manifest.json"),
    JSON.stringify([{ Config: rel(configDesc.digest), RepoTags: null, Layers: layers.map((l) => rel(l.digest)) }])
  )
  return { manifest, config: configDesc, layers }
}

/**
 * The image of a layout directory written by `build`.
 *
 * @category getters
 */
export const readBuilt = (dir: string): LayoutImage => {
  const index = readJson(path.join(dir, "index.json"))
  const manifest = index.manifests[0] as Descriptor
  const body = readJson(blobPath(dir, manifest.digest))
  return {
    manifest: { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size },
    config: body.config,
    layers: body.layers
  }
}

/**
 * Writes the files of a layout directory (or any directory) as a tar file at `dest` (written next to it, then renamed
 * into place). Entries are sorted and carry a fixed mtime, so the same layout gives the same bytes.
 *
 * @category constructors
 */
export const pack = async (dir: string, dest: string): Promise<void> => {
  const files: Array<string> = []
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel === "" ? e.name : `${rel}/${e.name}`
      if (e.isDirectory()) walk(r)
      else if (e.isFile()) files.push(r)
    }
  }
  walk("")
  files.sort()
  const p = TarStream.pack()
  const mtime = new Date(0)
  const tmp = `${dest}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  const writing = pipeline(p, fs.createWriteStream(tmp))
  try {
    const dirs = new Set<string>()
    for (const f of files) {
      const parts = f.split("/")
      for (let i = 1; i < parts.length; i++) {
        const d = parts.slice(0, i).join("/")
        if (!dirs.has(d)) {
          dirs.add(d)
          await new Promise<void>((resolve, reject) =>
            p.entry({ name: `${d}/`, type: "directory", mode: 0o755, mtime, uid: 0, gid: 0 }, (e) => (e ? reject(e) : resolve()))
          )
        }
      }
      const abs = path.join(dir, f)
      const size = fs.statSync(abs).size
      await new Promise<void>((resolve, reject) => {
        const entry = p.entry({ name: f, type: "file", mode: 0o644, size, mtime, uid: 0, gid: 0 }, (e) => (e ? reject(e) : resolve()))
        const rs = fs.createReadStream(abs)
        rs.on("error", (e) => {
          entry.destroy(e)
          reject(e)
        })
        rs.pipe(entry)
      })
    }
    p.finalize()
    await writing
    fs.renameSync(tmp, dest)
  } catch (e) {
    p.destroy()
    await writing.catch(() => undefined)
    fs.rmSync(tmp, { force: true })
    throw e
  }
}

/** `rel` resolved in `dir`; a path that leaves `dir` is an error. */
const inside = (dir: string, rel: string): string => {
  const abs = path.resolve(dir, rel)
  if (abs !== dir && !abs.startsWith(dir + path.sep)) throw new Error(`the archive names a path outside itself: ${rel}`)
  return abs
}

/**
 * Unpacks the regular files (and directories) of a tar stream into `dir`. An entry whose name is absolute or has
 * `..` is an error; symlinks and other entry types are skipped (image archives consist of plain files).
 *
 * @category constructors
 */
export const extract = async (tar: Readable, dir: string): Promise<void> => {
  const ex = TarStream.extract()
  const done = pipeline(tar, ex as unknown as NodeJS.WritableStream)
  const failed = done.then(() => undefined, (e: unknown) => e)
  try {
    await extractEntries(ex, dir)
  } catch (e) {
    tar.destroy()
    await failed
    throw e
  }
  const error = await failed
  if (error !== undefined) throw error
}

const extractEntries = async (ex: TarStream.Extract, dir: string): Promise<void> => {
  for await (const entry of ex) {
    const name = entry.header.name
    const parts = name.split("/").filter((s) => s !== "" && s !== ".")
    if (name.startsWith("/") || parts.includes("..")) {
      entry.resume()
      throw new Error(`unsafe entry name in the archive: ${JSON.stringify(name)}`)
    }
    if (parts.length === 0) {
      entry.resume()
      continue
    }
    const target = path.join(dir, ...parts)
    if (entry.header.type === "directory") {
      fs.mkdirSync(target, { recursive: true })
      entry.resume()
    } else if (entry.header.type === "file" || entry.header.type === "contiguous-file") {
      fs.mkdirSync(path.dirname(target), { recursive: true })
      await pipeline(entry, fs.createWriteStream(target))
    } else {
      entry.resume()
    }
  }
}

/**
 * An image found in an extracted archive, ready for `docker load`.
 *
 * @category models
 */
export interface ArchiveImage {
  /** The raw config (its digest is the image id Docker gives the loaded image). */
  readonly configBytes: Buffer
  readonly configPath: string
  /** Layer files, relative to the archive's root. */
  readonly layerPaths: ReadonlyArray<string>
  /** Config bytes to write instead of the archive's own (see `withLabels`). */
  readonly configOverride?: Buffer | undefined
}

/**
 * The image with `labels` added to its config (the loaded image's id changes accordingly: see `loadedId`).
 *
 * @category combinators
 */
export const withLabels = (image: ArchiveImage, labels: Readonly<Record<string, string>>): ArchiveImage => {
  const parsed = JSON.parse(image.configBytes.toString("utf8"))
  parsed.config = { ...parsed.config, Labels: { ...parsed.config?.Labels, ...labels } }
  return { ...image, configOverride: Buffer.from(JSON.stringify(parsed)) }
}

/**
 * The id Docker gives the image when `dockerArchive` of it is loaded.
 *
 * @category getters
 */
export const loadedId = (image: ArchiveImage): string => sha256(image.configOverride ?? image.configBytes)

const nativeArch = (): string => (process.arch === "x64" ? "amd64" : process.arch)

const refMatches = (name: string | undefined, tag: string): boolean =>
  name !== undefined && (name === tag || name.endsWith(`:${tag}`))

/**
 * Finds the image in an extracted OCI layout (`index.json`) or docker archive (`manifest.json`). With `tag`, the
 * image whose reference name (or RepoTag) is or ends with `:tag`; else the first (the native platform's in an index).
 *
 * @category getters
 */
export const read = (dir: string, tag: string): ArchiveImage => {
  const relBlob = (d: string) => path.posix.join("blobs", ...String(d).split(":"))
  if (fs.existsSync(path.join(dir, "index.json"))) {
    let index = readJson(path.join(dir, "index.json"))
    let manifests: ReadonlyArray<any> = index.manifests ?? []
    if (tag !== "") {
      manifests = manifests.filter((m) =>
        refMatches(m.annotations?.["org.opencontainers.image.ref.name"], tag) ||
        refMatches(m.annotations?.["io.containerd.image.name"], tag)
      )
      if (manifests.length === 0) throw new Error(`no image tagged ${JSON.stringify(tag)} in the archive`)
    }
    for (let depth = 0; depth < 4; depth++) {
      const pick = manifests.find((m) => m.platform?.architecture === nativeArch()) ?? manifests[0]
      if (pick === undefined) throw new Error("the archive's index names no image")
      const body = readJson(inside(dir, relBlob(pick.digest)))
      if (pick.mediaType === indexMediaType || pick.mediaType === dockerListMediaType || Array.isArray(body.manifests)) {
        index = body
        manifests = index.manifests ?? []
        continue
      }
      const configPath = relBlob(body.config.digest)
      return {
        configBytes: fs.readFileSync(inside(dir, configPath)),
        configPath,
        layerPaths: (body.layers as ReadonlyArray<Descriptor>).map((l) => relBlob(l.digest))
      }
    }
    throw new Error("the archive's index nests too deeply")
  }
  if (fs.existsSync(path.join(dir, "manifest.json"))) {
    const entries = readJson(path.join(dir, "manifest.json")) as ReadonlyArray<{ Config: string; RepoTags?: ReadonlyArray<string> | null; Layers: ReadonlyArray<string> }>
    const pick = tag === "" ? entries[0] : entries.find((e) => (e.RepoTags ?? []).some((t) => refMatches(t, tag)))
    if (pick === undefined) {
      throw new Error(tag === "" ? "the archive's manifest.json names no image" : `no image tagged ${JSON.stringify(tag)} in the archive`)
    }
    return { configBytes: fs.readFileSync(inside(dir, pick.Config)), configPath: pick.Config, layerPaths: pick.Layers }
  }
  throw new Error("not an image archive: it has neither index.json (OCI layout) nor manifest.json (docker archive)")
}

/**
 * A docker archive (`manifest.json` + config + layers) of an image found by `read`, as a tar stream for `docker load`.
 *
 * @category constructors
 */
export const dockerArchive = (dir: string, image: ArchiveImage): Readable => {
  const p = TarStream.pack()
  const run = async () => {
    const config = image.configOverride
    if (config !== undefined) {
      await new Promise<void>((resolve, reject) =>
        p.entry({ name: image.configPath, size: config.length }, config, (e) => (e ? reject(e) : resolve())))
    }
    const manifest = Buffer.from(JSON.stringify([{ Config: image.configPath, RepoTags: null, Layers: image.layerPaths }]))
    await new Promise<void>((resolve, reject) => p.entry({ name: "manifest.json", size: manifest.length }, manifest, (e) => (e ? reject(e) : resolve())))
    const files = [...new Set([...(config === undefined ? [image.configPath] : []), ...image.layerPaths])]
    for (const f of files) {
      const abs = inside(dir, f)
      const size = fs.statSync(abs).size
      await new Promise<void>((resolve, reject) => {
        const entry = p.entry({ name: f, type: "file", mode: 0o644, size }, (e) => (e ? reject(e) : resolve()))
        const rs = fs.createReadStream(abs)
        rs.on("error", (e) => {
          entry.destroy(e)
          reject(e)
        })
        rs.pipe(entry)
      })
    }
    p.finalize()
  }
  run().catch((e) => p.destroy(e))
  return Readable.from(p)
}

/**
 * The run config of an image config (as `read` returns its bytes).
 *
 * @category getters
 */
export const runConfig = (configBytes: Buffer): RunConfig => {
  const c = (JSON.parse(configBytes.toString("utf8")).config ?? {}) as Record<string, any>
  return {
    env: c.Env ?? [],
    entrypoint: typeof c.Entrypoint === "string" ? [c.Entrypoint] : c.Entrypoint ?? [],
    cmd: typeof c.Cmd === "string" ? [c.Cmd] : c.Cmd ?? [],
    workdir: c.WorkingDir ?? "",
    user: c.User ?? "",
    labels: c.Labels ?? {},
    exposedPorts: Object.keys(c.ExposedPorts ?? {})
  }
}
