/**
 * Container images in and out: `export` and `asTarball` (an OCI layout tarball that `docker load` reads too),
 * `import` (an OCI layout or docker archive tarball), `publish` (push to a registry). These fields are merged into
 * the `Container` type.
 *
 * An image is written from the container's rootfs (`docker save` of its image, layers kept) and the container's
 * config (env, entrypoint, default args, workdir, user, labels, exposed ports); mounts are not part of it.
 */
import { Effect } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Op from "../Dag/Op.js"
import { Snapshots } from "../Dag/Snapshots.js"
import { Solver } from "../Dag/Solver.js"
import { type ContainerError, ContainerRuntime } from "../Runtime/ContainerRuntime.js"
import * as OciLayout from "../Runtime/OciLayout.js"
import * as Registry from "../Runtime/Registry.js"
import * as Api from "./Api.js"
import { type ApiError, invalid, QueryError } from "./Errors.js"
import { replaceFile } from "./internal/hostio.js"
import { expandVars } from "./internal/paths.js"
import * as RegistryAuth from "./RegistryAuth.js"
import { registryPort, specOf } from "./internal/service.js"
import type { ContainerConfig, ContainerState, FileState, ServiceState } from "./State.js"

type C = Api.Value<ContainerState>
type F = Api.Value<FileState>

type Compression = "Gzip" | "Zstd" | "EStarGZ" | "Uncompressed"
type MediaTypes = OciLayout.MediaTypes

interface ImageArgs {
  readonly platformVariants: ReadonlyArray<C>
  readonly forcedCompression?: Compression | null
  readonly mediaTypes: MediaTypes
}

const imageArgs = {
  platformVariants: {
    type: "[ContainerID!]",
    doc: "Containers of other platforms to include (not supported yet: only the container's own platform).",
    default: []
  },
  forcedCompression: {
    type: "ImageLayerCompression",
    doc: "Force each layer to use this compression (Gzip when not set; Zstd and EStarGZ are not supported yet)."
  },
  mediaTypes: { type: "ImageMediaTypes", doc: "Media types of the manifest, config and layers.", default: "OCIMediaTypes" }
} as const

const sha256Hex = (value: string): string => createHash("sha256").update(value).digest("hex")

/** The tarball's name inside the `asTarball` snapshot. */
const tarballName = "image.tar"

const fromRuntime = (what: string) => (e: ContainerError): QueryError =>
  new QueryError({ reason: "Internal", detail: `${what}: ${e.detail}` })

const promise = <A>(what: string, f: () => Promise<A>): Effect.Effect<A, QueryError> =>
  Effect.tryPromise({
    try: f,
    catch: (e) =>
      e instanceof Registry.RegistryError
        ? new QueryError({ reason: "InvalidArgument", detail: `${what}: ${e.message}` })
        : new QueryError({ reason: "Internal", detail: `${what}: ${e instanceof Error ? e.message : String(e)}` })
  })

const runConfig = (c: ContainerConfig): OciLayout.RunConfig => ({
  env: c.env.map(([k, v]) => `${k}=${v}`),
  entrypoint: c.entrypoint,
  cmd: c.cmd,
  workdir: c.workdir,
  user: c.user,
  labels: Object.fromEntries(c.labels),
  exposedPorts: c.exposedPorts
})

const containerConfig = (c: OciLayout.RunConfig): ContainerConfig => ({
  env: c.env.map((kv) => {
    const i = kv.indexOf("=")
    return i < 0 ? [kv, ""] as const : [kv.slice(0, i), kv.slice(i + 1)] as const
  }),
  entrypoint: c.entrypoint,
  cmd: c.cmd,
  workdir: c.workdir,
  user: c.user,
  labels: Object.entries(c.labels),
  exposedPorts: c.exposedPorts
})

const checkArgs = (field: string, a: ImageArgs): Effect.Effect<OciLayout.Compression, QueryError> => {
  if (a.platformVariants.length > 0) {
    return Effect.fail(new QueryError({ reason: "Unsupported", detail: `${field}: platformVariants is not supported yet` }))
  }
  const c = a.forcedCompression ?? "Gzip"
  if (c !== "Gzip" && c !== "Uncompressed") {
    return Effect.fail(new QueryError({ reason: "Unsupported", detail: `${field}: forcedCompression ${c} is not supported yet` }))
  }
  return Effect.succeed(c)
}

/**
 * The image fields of `Container` and the enums they use.
 *
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const solver = yield* Solver
  const runtime = yield* ContainerRuntime
  const snapshots = yield* Snapshots

  /** The OCI layout directory of a container's image (a snapshot named by image id, config and options). */
  const layout = (v: C, field: string, a: ImageArgs): Effect.Effect<{ readonly dir: string; readonly key: string }, ApiError> =>
    Effect.gen(function*() {
      const compression = yield* checkArgs(field, a)
      const imageId = yield* solver.image(v.state.rootfs)
      const config = runConfig(v.state.config)
      const key = sha256Hex(JSON.stringify(["oci-layout", imageId, config, compression, a.mediaTypes, v.state.platform]))
      const dir = yield* snapshots.create(key, (out) =>
        Effect.scoped(Effect.gen(function*() {
          const saveDir = yield* snapshots.scratch("image-save")
          yield* runtime.saveImage(imageId, (tar) => promise("reading the saved image", () => OciLayout.extract(tar, saveDir))).pipe(
            Effect.mapError((e) => (e._tag === "ContainerError" ? fromRuntime(`${field}: saving the image`)(e) : e))
          )
          yield* promise(`${field}: writing the OCI layout`, () =>
            OciLayout.build(saveDir, config, { compression, mediaTypes: a.mediaTypes }, out))
        })))
      return { dir, key }
    })

  /** The image tarball of a container (a snapshot holding `image.tar`). */
  const tarball = (v: C, field: string, a: ImageArgs) =>
    Effect.gen(function*() {
      const { dir, key } = yield* layout(v, field, a)
      const tarKey = sha256Hex(JSON.stringify(["oci-tarball", key]))
      const snap = yield* snapshots.create(tarKey, (out) =>
        promise(`${field}: writing the tarball`, () => OciLayout.pack(dir, path.join(out, tarballName))))
      return { snap, tarKey }
    })

  const spec: Api.ApiSpec = {
    enums: [
      {
        name: "ImageLayerCompression",
        doc: "Compression algorithm to use for image layers.",
        values: [
          { name: "Gzip", doc: "gzip (the default)." },
          { name: "Zstd", doc: "zstd (not supported yet)." },
          { name: "EStarGZ", doc: "eStargz (not supported yet)." },
          { name: "ESTARGZ", value: "EStarGZ", doc: "eStargz (not supported yet)." },
          { name: "Uncompressed", doc: "No compression." }
        ]
      },
      {
        name: "ImageMediaTypes",
        doc: "Mediatypes to use in published or exported image metadata.",
        values: [
          { name: "OCIMediaTypes", doc: "OCI media types (the default)." },
          { name: "OCI", value: "OCIMediaTypes", doc: "OCI media types (the default)." },
          { name: "DockerMediaTypes", doc: "Docker image manifest v2 media types." },
          { name: "DOCKER", value: "DockerMediaTypes", doc: "Docker image manifest v2 media types." }
        ]
      }
    ],
    objects: [
      {
        name: "Container",
        doc: "An OCI-compatible container, also known as a Docker container.",
        fields: {
          export: {
            kind: "leaf",
            type: "String!",
            doc: "Writes the container as an OCI tarball (also readable by `docker load`) to a path on the host; returns the absolute path written.",
            args: {
              path: { type: "String!", doc: "Host's destination path (e.g. \"./tarball\"), relative to the client's working directory." },
              ...imageArgs,
              expand: { type: "Boolean", doc: "Expand ${VAR} in the path with the container's environment.", default: false }
            },
            run: (v: C, a: ImageArgs & { readonly path: string; readonly expand: boolean }, ctx) =>
              Effect.gen(function*() {
                const p = a.expand ? expandVars(a.path, v.state.config.env) : a.path
                if (p === "") return yield* Effect.fail(invalid("export: the path is empty"))
                const dest = path.resolve(ctx.workdir, p)
                const { snap } = yield* tarball(v, "export", a)
                yield* replaceFile(path.join(snap, tarballName), dest)
                return dest
              })
          },
          asTarball: {
            kind: "chain",
            type: "File!",
            doc: "Packages the container into an OCI tarball (also readable by `docker load`).",
            args: imageArgs,
            run: (v: C, a: ImageArgs) =>
              Effect.gen(function*() {
                const { snap, tarKey } = yield* tarball(v, "asTarball", a)
                return Api.state<FileState>({ op: Op.local("container.asTarball", tarKey, snap), path: tarballName })
              })
          },
          import: {
            kind: "chain",
            type: "Container!",
            doc: "Reads the container from an OCI tarball or a docker archive (`docker save`); the image's config becomes the container's.",
            args: {
              source: { type: "FileID!", doc: "File to read the container from." },
              tag: { type: "String", doc: "Identifies the tag to import from the archive, if the archive bundles multiple tags.", default: "" }
            },
            run: (v: C, a: { readonly source: F; readonly tag: string }) =>
              Effect.gen(function*() {
                const root = yield* solver.snapshot(a.source.state.op)
                const file = path.join(root, a.source.state.path)
                const loaded = yield* Effect.scoped(Effect.gen(function*() {
                  const dir = yield* snapshots.scratch("image-import")
                  yield* promise("import: reading the archive", () => OciLayout.extract(fs.createReadStream(file), dir))
                  const image = yield* Effect.try({
                    try: () => OciLayout.read(dir, a.tag),
                    catch: (e) => invalid(`import: ${e instanceof Error ? e.message : String(e)}`)
                  })
                  // The loaded image carries the runtime's labels (cleanup finds it); the container's config does not.
                  const labelled = OciLayout.withLabels(image, runtime.ownLabels)
                  yield* runtime.loadImage(() => OciLayout.dockerArchive(dir, labelled)).pipe(
                    Effect.mapError(fromRuntime("import: loading the image"))
                  )
                  return { imageId: OciLayout.loadedId(labelled), config: OciLayout.runConfig(image.configBytes) }
                }))
                return Api.state<ContainerState>({
                  ...v.state,
                  rootfs: Op.image(loaded.imageId),
                  config: containerConfig(loaded.config),
                  exec: undefined,
                  imageRef: undefined
                })
              })
          },
          publish: {
            kind: "leaf",
            type: "String!",
            doc: "Pushes the container's image to a registry; returns the reference with the pushed manifest's digest (`ref@sha256:…`). Credentials come from withRegistryAuth, else from ~/.docker/config.json.",
            args: {
              address: { type: "String!", doc: "Registry's address to publish the image to (e.g. \"127.0.0.1:5000/app:latest\")." },
              ...imageArgs,
              registryService: {
                type: "ServiceID",
                doc: "A service that is the registry (started for the push, reached on the address's port, else its first port)."
              }
            },
            run: (v: C, a: ImageArgs & { readonly address: string; readonly registryService?: Api.Value<ServiceState> | null }, ctx) =>
              Effect.scoped(Effect.gen(function*() {
                const ref = Registry.parseReference(a.address)
                if (ref === undefined || ref.digest !== undefined) {
                  return yield* Effect.fail(invalid(`publish: invalid address ${JSON.stringify(a.address)} (expected [registry/]name[:tag])`))
                }
                const { dir } = yield* layout(v, "publish", a)
                // withRegistryAuth's credentials for this registry, else the Docker client's config
                const auth = yield* RegistryAuth.imageAuth(v.state, ref.domain, ctx, `publish ${a.address}`)
                const credentials = auth?.credentials ?? (yield* Effect.sync(() => Registry.credentialsFor(ref.domain)))
                // a registry service: pushed through a loopback port of the engine's host forwarding to it
                const service = a.registryService != null ? specOf(a.registryService) : undefined
                const target = service === undefined
                  ? ref
                  : { ...ref, domain: `127.0.0.1:${(yield* solver.services.forward(service, registryPort(ref.domain, service))).port}` }
                const digest = yield* promise(`publish ${a.address}`, () =>
                  Registry.push(dir, OciLayout.readBuilt(dir), target, credentials))
                return `${Registry.nameOf(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ""}@${digest}`
              }))
          }
        }
      }
    ]
  }
  return spec
})
