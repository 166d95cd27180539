/**
 * The root `git` field and the `GitRepository` and `GitRef` types: git repositories fetched by the engine on the host
 * with the host's `git` (containers have no network).
 *
 * Caching follows Dagger: a ref is resolved to a commit once per client, when the `GitRef` is created (so a later
 * push is seen by a new client, not by this one); the `GitRef` is named by its content (URL, ref, commit), so its
 * `tree` is identified by the commit and served from the cache for any client that resolves to the same commit.
 */
import { Deferred, Effect, Exit, FiberId } from "effect"
import { createHash } from "node:crypto"
import * as Git from "../Dag/Git.js"
import * as Op from "../Dag/Op.js"
import * as Api from "./Api.js"
import { type ApiError, QueryError } from "./Errors.js"
import * as Secret from "./Secret.js"
import type { DirectoryState, SecretState } from "./State.js"

/**
 * @category models
 */
export interface GitRepositoryState {
  readonly url: string
  readonly keepGitDir: boolean
  /** Credentials for an HTTP(S) remote: a secret, by handle (`httpAuthToken` or `httpAuthHeader`). */
  readonly auth?: Op.SourceAuth | undefined
}

/**
 * @category models
 */
export interface GitRefState extends GitRepositoryState {
  /** The fully qualified ref (`refs/heads/main`, `refs/tags/v1`), or the commit for `commit(id)`. */
  readonly ref: string
  readonly commit: string
}

type Repo = Api.Value<GitRepositoryState>
type Ref = Api.Value<GitRefState>

type Kind = "head" | "branch" | "tag" | "ref" | "commit" | "latestVersion"

const unsupported = (what: string) => new QueryError({ reason: "Unsupported", detail: `${what} is not supported yet` })

const hashOf = (value: unknown): string => "sha256:" + createHash("sha256").update(JSON.stringify(value)).digest("hex")

/**
 * The URL git is given: scheme URLs, absolute paths and scp-like `user@host:path` as they are; `host/path` gets
 * `https://` (as Dagger does).
 *
 * @category constructors
 */
export const normalizeUrl = (url: string): Effect.Effect<string, QueryError> => {
  const u = url.trim()
  if (u === "") return Effect.fail(new QueryError({ reason: "InvalidArgument", detail: "git: the URL is empty" }))
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(u) || u.startsWith("/") || /^[^/@\s]+@[^/:\s]+:/.test(u)) return Effect.succeed(u)
  if (u.startsWith(".")) {
    return Effect.fail(
      new QueryError({
        reason: "InvalidArgument",
        detail: `git: relative path ${u}: use an absolute path or a file:// URL`
      })
    )
  }
  return Effect.succeed(`https://${u}`)
}

const what = (kind: Kind, name: string): string =>
  kind === "head" ? "HEAD" : kind === "latestVersion" ? "the latest version" : `${kind} ${JSON.stringify(name)}`

/** The credentials of a repository, with the secret's plaintext from the calling client's session. */
const httpAuth = (state: GitRepositoryState, ctx: Api.ClientContext): Effect.Effect<Git.HttpAuth | undefined, ApiError> => {
  const auth = state.auth
  if (auth === undefined) return Effect.succeed(undefined)
  return Effect.map(
    Secret.available(
      { name: auth.secret, handle: auth.handle, uri: auth.uri, cacheKey: auth.cacheKey },
      ctx,
      `git ${Git.redactUrl(state.url)}`
    ),
    (value) => Git.authOf(auth, value)
  )
}

const listRefs = (url: string, kind: "heads" | "tags", patterns: ReadonlyArray<string>, auth?: Git.HttpAuth) =>
  Git.listRefs(url, kind, patterns, auth).pipe(
    Effect.mapError((e) =>
      new QueryError({
        reason: "NotFound",
        detail: `git: cannot list ${kind === "heads" ? "branches" : "tags"} of ${Git.redactUrl(url)}: ${e.detail}`
      })
    )
  )

/** Resolves a ref of `url` to a commit with `git ls-remote`. */
interface Resolved {
  readonly ref: string
  readonly commit: string
}

const resolveRemote = (url: string, kind: Kind, name: string, auth?: Git.HttpAuth): Effect.Effect<Resolved, ApiError> =>
  Effect.gen(function*() {
    const notFound = () =>
      new QueryError({ reason: "NotFound", detail: `git: ${what(kind, name)} not found in ${Git.redactUrl(url)}` })
    if (kind === "latestVersion") {
      // as Dagger: the tags matching `refs/tags/v*` that are valid semantic versions, the highest one
      const latest = Git.latestSemver(yield* listRefs(url, "tags", ["refs/tags/v*"], auth))
      if (latest === undefined) {
        return yield* new QueryError({ reason: "NotFound", detail: `git: no valid semver tags found in ${Git.redactUrl(url)}` })
      }
      return yield* resolveRemote(url, "tag", latest, auth)
    }
    if (kind === "commit" || (kind === "ref" && Git.isFullHash(name.toLowerCase()))) {
      const id = name.toLowerCase()
      if (!Git.isFullHash(id)) {
        return yield* new QueryError({
          reason: "InvalidArgument",
          detail: `git: commit ${JSON.stringify(name)} in ${Git.redactUrl(url)}: a full commit hash is required ` +
            "(short hashes are not supported yet)"
        })
      }
      return { ref: id, commit: id }
    }
    const patterns = kind === "head"
      ? ["HEAD"]
      : kind === "branch"
      ? [`refs/heads/${name.replace(/^refs\/heads\//, "")}`]
      : kind === "tag"
      ? [`refs/tags/${name.replace(/^refs\/tags\//, "")}`, `refs/tags/${name.replace(/^refs\/tags\//, "")}^{}`]
      : [name, `${name}^{}`]
    const refs = yield* Git.lsRemote(url, patterns, kind === "head", auth).pipe(
      Effect.mapError((e) =>
        new QueryError({ reason: "NotFound", detail: `git: cannot resolve ${what(kind, name)} in ${Git.redactUrl(url)}: ${e.detail}` })
      )
    )
    const byName = new Map(refs.map((r) => [r.name, r]))
    const candidates = kind === "head"
      ? ["HEAD"]
      : kind === "branch" || kind === "tag"
      ? [patterns[0]!]
      : [
        ...(name.startsWith("refs/") || name === "HEAD" ? [name] : []),
        `refs/${name}`,
        `refs/tags/${name}`,
        `refs/heads/${name}`,
        `refs/remotes/${name}`
      ]
    for (const c of candidates) {
      const direct = byName.get(c)
      if (direct === undefined) continue
      const peeled = byName.get(`${c}^{}`)
      return { ref: c === "HEAD" ? (direct.target ?? "HEAD") : c, commit: (peeled ?? direct).commit }
    }
    return yield* notFound()
  })

/**
 * @category constructors
 */
export const make = Effect.gen(function*() {
  // per client: `${clientId}\0${url}\0${credentials}\0${kind}\0${name}` → the resolution; failures are not kept
  const resolved = new Map<string, Deferred.Deferred<Resolved, ApiError>>()
  const resolve = (ctx: Api.ClientContext, repo: GitRepositoryState, kind: Kind, name: string) =>
    Effect.suspend(() => {
      const url = repo.url
      const credentials = repo.auth === undefined ? "" : JSON.stringify([repo.auth.kind, repo.auth.username, repo.auth.handle])
      const key = [ctx.clientId, url, credentials, kind, name].join("\0")
      const hit = resolved.get(key)
      if (hit !== undefined) return Deferred.await(hit)
      const deferred = Deferred.unsafeMake<Resolved, ApiError>(FiberId.none)
      resolved.set(key, deferred)
      Api.onSessionEnd(ctx, () => resolved.delete(key))
      return Effect.flatMap(httpAuth(repo, ctx), (auth) => resolveRemote(url, kind, name, auth)).pipe(
        Effect.onExit((exit) => {
          if (Exit.isFailure(exit) && resolved.get(key) === deferred) resolved.delete(key)
          return Deferred.done(deferred, exit)
        })
      )
    })

  const refField = (kind: Kind, doc: string, arg?: { name: string; doc: string }): Api.ChainFieldSpec => ({
    kind: "chain",
    type: "GitRef!",
    volatile: true,
    doc,
    ...(arg !== undefined ? { args: { [arg.name]: { type: "String!", doc: arg.doc } } } : {}),
    run: (v: Repo, a: Record<string, string>, ctx) =>
      Effect.map(resolve(ctx, v.state, kind, arg !== undefined ? a[arg.name]! : "HEAD"), (r) =>
        Api.state<GitRefState>(
          { ...v.state, ref: r.ref, commit: r.commit },
          hashOf([
            "git-ref",
            v.state.url,
            v.state.keepGitDir,
            r.ref,
            r.commit,
            ...(v.state.auth !== undefined ? [[v.state.auth.kind, v.state.auth.username, v.state.auth.handle]] : [])
          ])
        ))
  })

  const spec: Api.ApiSpec = {
    objects: [
      {
        name: "Query",
        doc: "The root of the API.",
        fields: {
          git: {
            kind: "chain",
            type: "GitRepository!",
            doc: "Queries a Git repository (fetched by the engine on its host).",
            args: {
              url: {
                type: "String!",
                doc: "URL of the git repository (e.g. \"https://github.com/dagger/dagger\", \"git://host/repo.git\", \"file:///srv/repo.git\" or an absolute path)."
              },
              keepGitDir: { type: "Boolean", doc: "DEPRECATED: set to false to remove .git from trees.", default: true },
              sshKnownHosts: { type: "String", doc: "Set SSH known hosts (not supported yet).", default: "" },
              sshAuthSocket: { type: "String", doc: "Set SSH auth socket, a SocketID (not supported yet)." },
              httpAuthUsername: { type: "String", doc: "Username used to populate the password during basic HTTP Authorization (with httpAuthToken; default x-access-token).", default: "" },
              httpAuthToken: { type: "SecretID", doc: "Secret used to populate the password during basic HTTP Authorization." },
              httpAuthHeader: { type: "SecretID", doc: "Secret used to populate the Authorization HTTP header (its whole value; wins over httpAuthToken)." },
              experimentalServiceHost: { type: "String", doc: "A service which must be started before the repo is fetched, a ServiceID (not supported yet)." }
            },
            run: (_v, a: {
              url: string
              keepGitDir: boolean | null
              sshKnownHosts: string | null
              sshAuthSocket?: string | null
              httpAuthUsername: string | null
              httpAuthToken?: Api.Value<SecretState> | null
              httpAuthHeader?: Api.Value<SecretState> | null
              experimentalServiceHost?: string | null
            }, ctx) =>
              Effect.gen(function*() {
                if (a.sshKnownHosts) return yield* unsupported("git: sshKnownHosts")
                if (a.sshAuthSocket != null) return yield* unsupported("git: sshAuthSocket")
                if (a.experimentalServiceHost != null) return yield* unsupported("git: experimentalServiceHost")
                const url = yield* normalizeUrl(a.url)
                const secret = a.httpAuthHeader ?? a.httpAuthToken
                if (secret != null) yield* Secret.available(secret.state, ctx, "git: " + (a.httpAuthHeader != null ? "httpAuthHeader" : "httpAuthToken"))
                const auth = secret == null
                  ? undefined
                  : Secret.sourceAuth(secret.state, a.httpAuthHeader != null ? "header" : "token", a.httpAuthUsername ?? "")
                return Api.state<GitRepositoryState>({ url, keepGitDir: a.keepGitDir ?? true, ...(auth !== undefined ? { auth } : {}) })
              })
          }
        }
      },
      {
        name: "GitRepository",
        doc: "A git repository.",
        fields: {
          head: refField("head", "Returns details for HEAD (the remote's default branch)."),
          branch: refField("branch", "Returns details of a branch.", {
            name: "name",
            doc: "Branch's name (e.g. \"main\")."
          }),
          tag: refField("tag", "Returns details of a tag.", { name: "name", doc: "Tag's name (e.g. \"v0.3.9\")." }),
          commit: refField("commit", "Returns details of a commit.", {
            name: "id",
            doc: "Identifier of the commit (a full hash, e.g. \"b6315d8f2810962c601af73f86831f6866ea798b\")."
          }),
          ref: refField("ref", "Returns details of a ref.", {
            name: "name",
            doc: "Ref's name (can be a commit identifier, a tag name, a branch name, or a fully-qualified ref)."
          }),
          latestVersion: refField("latestVersion", "Returns details for the latest semver tag."),
          tags: {
            kind: "leaf",
            type: "[String!]!",
            doc: "tags that match any of the given glob patterns.",
            args: { patterns: { type: "[String!]", doc: "Glob patterns (e.g., \"refs/tags/v*\")." } },
            run: (v: Repo, a: { patterns?: ReadonlyArray<string> | null }, ctx) =>
              Effect.flatMap(httpAuth(v.state, ctx), (auth) => listRefs(v.state.url, "tags", a.patterns ?? [], auth))
          },
          branches: {
            kind: "leaf",
            type: "[String!]!",
            doc: "branches that match any of the given glob patterns.",
            args: { patterns: { type: "[String!]", doc: "Glob patterns (e.g., \"refs/tags/v*\")." } },
            run: (v: Repo, a: { patterns?: ReadonlyArray<string> | null }, ctx) =>
              Effect.flatMap(httpAuth(v.state, ctx), (auth) => listRefs(v.state.url, "heads", a.patterns ?? [], auth))
          },
          url: {
            kind: "leaf",
            type: "String",
            doc: "The URL of the git repository.",
            run: (v: Repo) => Effect.succeed(v.state.url)
          }
        }
      },
      {
        name: "GitRef",
        doc: "A git ref (tag, branch, or commit), resolved to a commit.",
        fields: {
          tree: {
            kind: "chain",
            type: "Directory!",
            doc: "The filesystem tree at this ref.",
            args: {
              discardGitDir: { type: "Boolean", doc: "Set to true to discard .git directory.", default: false },
              depth: { type: "Int", doc: "The depth of the tree to fetch (0 or less: all history).", default: 1 },
              includeTags: { type: "Boolean", doc: "Set to true to populate tag refs in the local checkout .git.", default: false }
            },
            run: (v: Ref, a: { discardGitDir: boolean | null; depth: number | null; includeTags: boolean | null }) =>
              Effect.succeed(Api.state<DirectoryState>({
                op: Op.git({
                  url: v.state.url,
                  commit: v.state.commit,
                  branch: v.state.ref.startsWith("refs/heads/") ? v.state.ref.slice("refs/heads/".length) : "",
                  keepGitDir: v.state.keepGitDir && !(a.discardGitDir ?? false),
                  depth: a.depth ?? 1,
                  includeTags: a.includeTags ?? false,
                  ...(v.state.auth !== undefined ? { auth: v.state.auth } : {})
                })
              }))
          },
          commit: {
            kind: "leaf",
            type: "String!",
            doc: "The resolved commit id at this ref.",
            run: (v: Ref) => Effect.succeed(v.state.commit)
          },
          ref: {
            kind: "leaf",
            type: "String!",
            doc: "The resolved ref name at this ref (fully qualified, or the commit for a commit).",
            run: (v: Ref) => Effect.succeed(v.state.ref)
          }
        }
      }
    ]
  }
  return spec
})
