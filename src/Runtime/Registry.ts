/**
 * Container registries: image references, credentials from the Docker client's config (`~/.docker/config.json`),
 * and pushing an OCI layout's image over the distribution API (HTTP for 127.0.0.0/8, `localhost` and `::1`, as
 * Docker treats them as insecure registries; HTTPS otherwise).
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Readable } from "node:stream"
import { blobPath, type LayoutImage } from "./OciLayout.js"

/**
 * A parsed image reference.
 *
 * @category models
 */
export interface Reference {
  /** `docker.io`, `127.0.0.1:5000`, … */
  readonly domain: string
  /** The repository path (`library/busybox`). */
  readonly repository: string
  readonly tag?: string | undefined
  readonly digest?: string | undefined
}

/**
 * Parses `[domain/]path[:tag][@digest]` with Docker's normalization (no domain → `docker.io`, one-component paths on
 * Docker Hub get `library/`).
 *
 * @category parsing
 */
export const parseReference = (ref: string): Reference | undefined => {
  const at = ref.indexOf("@")
  const digest = at >= 0 ? ref.slice(at + 1) : undefined
  const rest = at >= 0 ? ref.slice(0, at) : ref
  const slash = rest.indexOf("/")
  const first = slash >= 0 ? rest.slice(0, slash) : ""
  const hasDomain = slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost" || first.startsWith("["))
  let domain = hasDomain ? first : "docker.io"
  let remainder = hasDomain ? rest.slice(slash + 1) : rest
  const colon = remainder.lastIndexOf(":")
  const tag = colon >= 0 ? remainder.slice(colon + 1) : undefined
  if (colon >= 0) remainder = remainder.slice(0, colon)
  if (domain === "index.docker.io") domain = "docker.io"
  if (domain === "docker.io" && !remainder.includes("/")) remainder = `library/${remainder}`
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(remainder)) return undefined
  if (tag !== undefined && !/^[\w][\w.-]{0,127}$/.test(tag)) return undefined
  if (digest !== undefined && !/^[a-z0-9]+:[0-9a-fA-F]{32,}$/.test(digest)) return undefined
  return { domain, repository: remainder, tag, digest }
}

/**
 * The address of an image pinned to its registry digest, as Dagger's `imageRef` reads: `domain/repository:tag@sha256:…`
 * (a digest in the address itself wins; else the one of `repoDigests` for the same repository). Without a digest,
 * the normalized `domain/repository:tag`. `undefined` for an address that does not parse.
 *
 * @category parsing
 */
export const pinnedReference = (address: string, repoDigests: ReadonlyArray<string>): string | undefined => {
  const ref = parseReference(address)
  if (ref === undefined) return undefined
  const name = `${ref.domain}/${ref.repository}`
  const tagged = ref.digest !== undefined && ref.tag === undefined ? name : `${name}:${ref.tag ?? "latest"}`
  const digest = ref.digest ?? repoDigests.flatMap((rd) => {
    const known = parseReference(rd)
    return known?.digest !== undefined && `${known.domain}/${known.repository}` === name ? [known.digest] : []
  })[0]
  return digest === undefined ? tagged : `${tagged}@${digest}`
}

/**
 * The registry host an address names, as `withRegistryAuth` takes it: a host (`127.0.0.1:5000`, `registry.example.com`,
 * `localhost:5000`, with or without `http(s)://` and a path), or an image address (`127.0.0.1:5000/app:1`, `alpine`:
 * Docker Hub). Docker Hub's names (`index.docker.io`, `registry-1.docker.io`, `https://index.docker.io/v1/`) are
 * `docker.io`. `undefined` when no host can be read from it.
 *
 * @category parsing
 */
export const authHost = (address: string): string | undefined => {
  const plain = address.trim().replace(/^https?:\/\//i, "").replace(/\/+$/, "")
  if (plain === "") return undefined
  const slash = plain.indexOf("/")
  let first = (slash >= 0 ? plain.slice(0, slash) : plain).replace(/@.*$/, "").toLowerCase()
  // alone, a name's `:suffix` is a tag unless it is a port (`alpine:3.20`, but `127.0.0.1:5000`)
  if (slash < 0) first = first.replace(/:(?!\d+$)[^:]*$/, "")
  // a host has a dot or a port, or is `localhost`; anything else is an image on Docker Hub
  const isHost = first.includes(".") || first.includes(":") || first === "localhost" || first.startsWith("[")
  if (!isHost) return /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(first) ? "docker.io" : undefined
  if (["docker.io", "index.docker.io", "registry-1.docker.io"].includes(first)) return "docker.io"
  return /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/.test(first)
    ? first
    : undefined
}

/**
 * The canonical name of a reference (`domain/repository`).
 *
 * @category getters
 */
export const nameOf = (ref: Reference): string => `${ref.domain}/${ref.repository}`

/**
 * Credentials for a registry.
 *
 * @category models
 */
export interface Credentials {
  readonly username: string
  readonly password: string
}

const configFile = (): string =>
  path.join(process.env.DOCKER_CONFIG ?? path.join(os.homedir(), ".docker"), "config.json")

const hubKeys = ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"]

const hostOfKey = (key: string): string => key.replace(/^[a-z]+:\/\//, "").replace(/\/.*$/, "")

/** Asks `docker-credential-<helper>`; a missing helper (or any failure of it) means no credentials. */
const fromHelper = (helper: string, server: string): Credentials | undefined => {
  const r = spawnSync(`docker-credential-${helper}`, ["get"], { input: server, encoding: "utf8", timeout: 10_000 })
  if (r.error !== undefined || r.status !== 0) return undefined
  try {
    const out = JSON.parse(r.stdout) as { Username?: string; Secret?: string }
    return out.Username !== undefined && out.Secret !== undefined ? { username: out.Username, password: out.Secret } : undefined
  } catch {
    return undefined
  }
}

/**
 * Credentials for `domain` from the Docker client's config (`$DOCKER_CONFIG/config.json`, else
 * `~/.docker/config.json`): `credHelpers`/`credsStore`, else `auths`. No config, no entry, or a credential helper
 * that is missing or fails: no credentials.
 *
 * @category getters
 */
export const credentialsFor = (domain: string): Credentials | undefined => {
  let config: any
  try {
    config = JSON.parse(fs.readFileSync(configFile(), "utf8"))
  } catch {
    return undefined
  }
  const isHub = domain === "docker.io"
  const matches = (key: string) => (isHub ? hubKeys.includes(key) || hubKeys.includes(hostOfKey(key)) : hostOfKey(key) === domain)
  const server = isHub ? "https://index.docker.io/v1/" : domain
  const helper = Object.entries(config?.credHelpers ?? {}).find(([k]) => matches(k))?.[1] ?? config?.credsStore
  if (typeof helper === "string" && helper !== "") {
    const got = fromHelper(helper, server)
    if (got !== undefined) return got
  }
  const entry = Object.entries(config?.auths ?? {}).find(([k]) => matches(k))?.[1] as
    | { auth?: string; username?: string; password?: string }
    | undefined
  if (entry === undefined) return undefined
  if (typeof entry.auth === "string" && entry.auth !== "") {
    const decoded = Buffer.from(entry.auth, "base64").toString("utf8")
    const i = decoded.indexOf(":")
    if (i > 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1) }
  }
  if (typeof entry.username === "string" && typeof entry.password === "string") {
    return { username: entry.username, password: entry.password }
  }
  return undefined
}

const insecureHost = (domain: string): boolean => {
  const host = domain.startsWith("[") ? domain.slice(0, domain.indexOf("]") + 1) : domain.replace(/:\d+$/, "")
  return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host)
}

const apiBase = (domain: string): string =>
  `${insecureHost(domain) ? "http" : "https"}://${domain === "docker.io" ? "registry-1.docker.io" : domain}`

/**
 * A registry that refused or could not be reached; the message carries the registry's own.
 *
 * @category errors
 */
export class RegistryError extends Error {}

const registryMessage = async (res: Response): Promise<string> => {
  const text = await res.text().catch(() => "")
  try {
    const body = JSON.parse(text) as { errors?: ReadonlyArray<{ code?: string; message?: string; detail?: unknown }> }
    if (Array.isArray(body.errors) && body.errors.length > 0) {
      return body.errors.map((e) => [e.code, e.message].filter(Boolean).join(": ")).join("; ")
    }
  } catch {
    // not JSON
  }
  return text.trim().slice(0, 500) || res.statusText
}

type Body = NonNullable<RequestInit["body"]>

/** A request whose body is made afresh for each send (a retry after an auth challenge sends it again). */
interface Request {
  readonly method: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: () => Body
}

/** `fetch` against one registry and repository, answering its auth challenges (Basic or Bearer tokens). */
const client = (domain: string, repository: string, credentials: Credentials | undefined) => {
  let authorization: string | undefined
  const basic = credentials !== undefined
    ? "Basic " + Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")
    : undefined
  const send = async (url: string, init: Request): Promise<Response> => {
    try {
      return await fetch(url, {
        method: init.method,
        headers: { ...init.headers, ...(authorization ? { authorization } : {}) },
        redirect: "follow",
        ...(init.body !== undefined ? { body: init.body(), duplex: "half" } as RequestInit : {})
      })
    } catch (e) {
      const cause = (e as { cause?: { message?: string; code?: string } }).cause
      throw new RegistryError(`cannot reach registry ${domain}: ${cause?.message ?? cause?.code ?? String(e)}`)
    }
  }
  const challenge = async (res: Response): Promise<boolean> => {
    const header = res.headers.get("www-authenticate") ?? ""
    if (/^basic/i.test(header)) {
      if (basic === undefined || authorization === basic) return false
      authorization = basic
      return true
    }
    if (!/^bearer/i.test(header) || authorization?.startsWith("Bearer ")) return false
    const params = Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]))
    if (params.realm === undefined) return false
    const url = new URL(params.realm)
    if (params.service !== undefined) url.searchParams.set("service", params.service)
    url.searchParams.set("scope", `repository:${repository}:pull,push`)
    const res2 = await fetch(url, { headers: basic !== undefined ? { authorization: basic } : {} }).catch((e) => {
      throw new RegistryError(`cannot reach the token service of ${domain}: ${String(e?.cause?.message ?? e)}`)
    })
    if (!res2.ok) throw new RegistryError(`registry ${domain} refused the credentials: ${res2.status} ${await registryMessage(res2)}`)
    const body = (await res2.json()) as { token?: string; access_token?: string }
    const token = body.token ?? body.access_token
    if (token === undefined) return false
    authorization = `Bearer ${token}`
    return true
  }
  return async (url: string, init: Request): Promise<Response> => {
    const res = await send(url, init)
    if (res.status !== 401 || !(await challenge(res))) return res
    await res.body?.cancel()
    return send(url, init)
  }
}

/**
 * Pushes the image of a layout directory (written by `OciLayout.build`) to `ref` (tag `latest` when none); returns
 * the digest of the pushed manifest.
 *
 * @category constructors
 */
export const push = async (dir: string, image: LayoutImage, ref: Reference, credentials: Credentials | undefined): Promise<string> => {
  const base = `${apiBase(ref.domain)}/v2/${ref.repository}`
  const request = client(ref.domain, ref.repository, credentials)
  const fail = async (what: string, res: Response): Promise<never> => {
    throw new RegistryError(`registry ${ref.domain} refused ${what}: ${res.status} ${await registryMessage(res)}`)
  }
  for (const blob of [image.config, ...image.layers]) {
    const head = await request(`${base}/blobs/${blob.digest}`, { method: "HEAD" })
    await head.body?.cancel()
    if (head.ok) continue
    const start = await request(`${base}/blobs/uploads/`, { method: "POST" })
    if (start.status !== 202) await fail(`starting an upload to ${ref.repository}`, start)
    await start.body?.cancel()
    const location = new URL(start.headers.get("location") ?? "", base + "/")
    location.searchParams.set("digest", blob.digest)
    const put = await request(location.toString(), {
      method: "PUT",
      headers: { "content-type": "application/octet-stream" },
      body: () => Readable.toWeb(fs.createReadStream(blobPath(dir, blob.digest))) as unknown as Body
    })
    if (put.status !== 201) await fail(`blob ${blob.digest}`, put)
    await put.body?.cancel()
  }
  const manifest = fs.readFileSync(blobPath(dir, image.manifest.digest))
  const res = await request(`${base}/manifests/${ref.tag ?? "latest"}`, {
    method: "PUT",
    headers: { "content-type": image.manifest.mediaType },
    body: () => manifest
  })
  if (res.status !== 201) await fail(`the manifest of ${ref.repository}:${ref.tag ?? "latest"}`, res)
  await res.body?.cancel()
  return image.manifest.digest
}
