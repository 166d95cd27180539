/**
 * The root `http` field: a file downloaded by the engine on its host (Node's fetch; containers have no network).
 *
 * Caching follows Dagger: the download happens once per session (the `Http` op is scoped by the session), eagerly
 * when the `File` is created, and the `File` is named by its content (digest, name, permissions, mtime), so the same
 * bytes from another session or URL are the same value downstream.
 */
import { Effect } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Op from "../Dag/Op.js"
import { Solver } from "../Dag/Solver.js"
import * as Api from "./Api.js"
import { QueryError } from "./Errors.js"
import { ioError } from "./internal/hostio.js"
import * as Secret from "./Secret.js"
import type { FileState, SecretState } from "./State.js"

const unsupported = (what: string) => new QueryError({ reason: "Unsupported", detail: `${what} is not supported yet` })
const invalid = (detail: string) => new QueryError({ reason: "InvalidArgument", detail })

/**
 * The file name Dagger gives a download: the last segment of the URL's path, or `index`.
 *
 * @category getters
 */
export const defaultName = (url: URL): string => {
  let decoded = url.pathname
  try {
    decoded = decodeURIComponent(url.pathname)
  } catch {
    // a malformed escape: keep the path as it is
  }
  const base = path.posix.basename(decoded)
  return base === "" || base === "." || base === "/" || base === ".." ? "index" : base
}

const fileDigest = (file: string): Effect.Effect<string, QueryError> =>
  Effect.tryPromise({
    try: async () => {
      const hash = createHash("sha256")
      for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer)
      const st = await fs.promises.stat(file)
      return `sha256:${hash.digest("hex")}:${st.mtimeMs}`
    },
    catch: (e) => ioError(e, `http: downloaded file is missing: ${file}`)
  })

/**
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const solver = yield* Solver

  const spec: Api.ApiSpec = {
    objects: [
      {
        name: "Query",
        doc: "The root of the API.",
        fields: {
          http: {
            kind: "chain",
            type: "File!",
            volatile: true,
            doc: "Returns a file containing an http remote url content (downloaded by the engine, once per session).",
            args: {
              url: { type: "String!", doc: "HTTP url to get the content from (e.g., \"https://docs.dagger.io\")." },
              name: { type: "String", doc: "File name to use for the file. Defaults to the last part of the URL." },
              permissions: { type: "Int", doc: "Permissions to set on the file (default 0600)." },
              checksum: { type: "String", doc: "Expected digest of the downloaded content (e.g., \"sha256:...\")." },
              authHeader: { type: "SecretID", doc: "Secret used to populate the Authorization HTTP header (its value is the header's whole value, e.g. \"Bearer …\")." },
              experimentalServiceHost: { type: "String", doc: "A service which must be started before the URL is fetched, a ServiceID (not supported yet)." }
            },
            run: (_v, a: {
              url: string
              name?: string | null
              permissions?: number | null
              checksum?: string | null
              authHeader?: Api.Value<SecretState> | null
              experimentalServiceHost?: string | null
            }, ctx) =>
              Effect.gen(function*() {
                if (a.experimentalServiceHost != null) return yield* unsupported("http: experimentalServiceHost")
                let url: URL
                try {
                  url = new URL(a.url)
                } catch {
                  return yield* invalid(`http: invalid URL ${JSON.stringify(a.url)}`)
                }
                if (url.protocol !== "http:" && url.protocol !== "https:") {
                  return yield* invalid(
                    `http: unsupported URL scheme ${url.protocol} in ${a.url} (http and https only)`
                  )
                }
                const name = a.name ?? defaultName(url)
                if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
                  return yield* invalid(`http: invalid file name ${JSON.stringify(name)}`)
                }
                const permissions = a.permissions ?? 0o600
                if (!Number.isInteger(permissions) || permissions < 0 || permissions > 0o7777) {
                  return yield* invalid(`http: invalid permissions ${permissions}`)
                }
                const auth = a.authHeader == null ? undefined : a.authHeader.state
                if (auth !== undefined) yield* Secret.available(auth, ctx, "http: authHeader")
                const op = Op.http({
                  url: a.url,
                  name,
                  permissions,
                  checksum: a.checksum ?? "",
                  scope: ctx.sessionId,
                  ...(auth !== undefined ? { auth: Secret.sourceAuth(auth, "header") } : {})
                })
                const dir = yield* solver.snapshot(op)
                const content = yield* fileDigest(path.join(dir, name))
                const named = createHash("sha256").update(JSON.stringify(["http", content, name, permissions]))
                return Api.state<FileState>({ op, path: name }, "sha256:" + named.digest("hex"))
              })
          }
        }
      }
    ]
  }
  return spec
})
