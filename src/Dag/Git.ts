/**
 * Git on the engine's host: the host's `git` binary run through child_process, with the user's and the system's
 * git config ignored and no prompts. Used to resolve refs (`ls-remote`) and to check out commits into snapshots.
 */
import { Effect } from "effect"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { DagError } from "./Errors.js"
import * as Scrub from "./Scrub.js"

/**
 * Credentials for a git remote over HTTP(S): the value of the `Authorization` header git sends (`Basic …` for a token,
 * or a header given whole), and the plaintexts that must never show in an error (git's stderr is scrubbed of them).
 * Given to git through the environment (`GIT_CONFIG_COUNT`…, as `http.extraHeader`), never on its command line.
 *
 * @category models
 */
export interface HttpAuth {
  readonly header: string
  readonly secrets: ReadonlyArray<string>
}

/** The value of an HTTP Basic `Authorization` header. */
const basic = (user: string, password: string): string =>
  "Basic " + Buffer.from(`${user}:${password}`, "utf8").toString("base64")

/**
 * The `Authorization` header of a token: Basic with `username` (default `x-access-token`, as Dagger and BuildKit do)
 * and the token as the password.
 *
 * @category constructors
 */
export const tokenAuth = (username: string, token: string): HttpAuth => ({
  // a token read from a file often ends with a newline, which is never part of it
  header: basic(username === "" ? "x-access-token" : username, token.trim()),
  secrets: [token, token.trim()]
})

/**
 * An `Authorization` header given whole.
 *
 * @category constructors
 */
export const headerAuth = (header: string): HttpAuth => ({ header: header.trim(), secrets: [header, header.trim()] })

/**
 * The credentials of a source (a token or a whole header, see `Op.SourceAuth`) with its secret's plaintext.
 *
 * @category constructors
 */
export const authOf = (auth: { readonly kind: "token" | "header"; readonly username: string }, value: string): HttpAuth =>
  auth.kind === "token" ? tokenAuth(auth.username, value) : headerAuth(value)

/**
 * An HTTP(S) URL with its user info (`user:password@`, credentials) shown as `***@`, for messages and progress; other
 * URLs as they are.
 *
 * @category constructors
 */
export const redactUrl = (url: string): string => url.replace(/^(https?:\/\/)[^/?#@]*@/i, "$1***@")

/**
 * The URL git is given and the credentials it sends: credentials given as secrets win; else those written in an
 * HTTP(S) URL (`https://user:password@host/…`) become the header, so that git's messages and a kept `.git/config`
 * hold the URL without them.
 *
 * @category constructors
 */
export const remoteOf = (url: string, auth: HttpAuth | undefined): { readonly url: string; readonly auth: HttpAuth | undefined } => {
  const m = /^(https?:\/\/)([^/?#@]*)@(.*)$/i.exec(url)
  if (m === null) return { url, auth }
  const clean = m[1]! + m[3]!
  if (auth !== undefined) return { url: clean, auth }
  const info = m[2]!
  const colon = info.indexOf(":")
  if (colon < 0) return { url, auth }
  const decode = (x: string) => {
    try {
      return decodeURIComponent(x)
    } catch {
      return x
    }
  }
  const user = decode(info.slice(0, colon))
  const password = decode(info.slice(colon + 1))
  return { url: clean, auth: { header: basic(user, password), secrets: [password, info] } }
}

const scrubAuth = (text: string, auth: HttpAuth | undefined): string =>
  auth === undefined ? text : Scrub.scrubString(Scrub.patterns([auth.header, ...auth.secrets].filter((s) => s.trim() !== "")), text)

/** What to do when git's stderr says the remote wants credentials (git's own words, in the C locale). */
const credentialsHint = (stderr: string, auth: HttpAuth | undefined): string =>
  !/could not read Username|Authentication failed|HTTP 40[13]/.test(stderr)
    ? ""
    : auth === undefined
    ? " (the remote asks for credentials: give git() an httpAuthToken or httpAuthHeader secret)"
    : " (the remote refused the credentials given)"

const gitEnv = (auth?: HttpAuth): NodeJS.ProcessEnv => ({
  ...process.env,
  GIT_CONFIG_COUNT: auth === undefined ? "0" : "1",
  ...(auth === undefined ? {} : { GIT_CONFIG_KEY_0: "http.extraHeader", GIT_CONFIG_VALUE_0: `Authorization: ${auth.header}` }),
  GIT_TERMINAL_PROMPT: "0",
  GIT_ASKPASS: "",
  SSH_ASKPASS: "",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  LC_ALL: "C",
  GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? "ssh -o BatchMode=yes"
})

/**
 * Runs `git args` (in `cwd` when given); fails with git's own message (its stderr) on a non-zero exit.
 *
 * @category constructors
 */
export const run = (args: ReadonlyArray<string>, cwd?: string, auth?: HttpAuth): Effect.Effect<string, DagError> =>
  Effect.async<string, DagError>((resume, signal) => {
    execFile(
      "git",
      ["-c", "advice.detachedHead=false", "-c", "init.defaultBranch=main", ...args],
      { cwd, env: gitEnv(auth), signal, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error === null) return resume(Effect.succeed(stdout))
        const message = scrubAuth(stderr.trim() !== "" ? stderr.trim() : error.message, auth) + credentialsHint(stderr, auth)
        // the cause is left out when credentials were given: its message repeats git's stderr
        resume(Effect.fail(new DagError({ reason: "Runtime", detail: message, ...(auth === undefined ? { cause: error } : {}) })))
      }
    )
  })

/**
 * A ref line of `git ls-remote`.
 *
 * @category models
 */
export interface RemoteRef {
  readonly name: string
  readonly commit: string
  /** For `HEAD` with `--symref`: the branch it points to. */
  readonly target?: string | undefined
}

/**
 * `git ls-remote [--symref] url patterns…`.
 *
 * @category constructors
 */
export const lsRemote = (url: string, patterns: ReadonlyArray<string>, symref = false, auth?: HttpAuth) => {
  const remote = remoteOf(url, auth)
  return Effect.map(run(["ls-remote", ...(symref ? ["--symref"] : []), "--", remote.url, ...patterns], undefined, remote.auth), (out) => {
    const refs: Array<RemoteRef> = []
    const targets = new Map<string, string>()
    for (const line of out.split("\n")) {
      if (line === "") continue
      const [left, name] = line.split("\t")
      if (left === undefined || name === undefined) continue
      if (left.startsWith("ref: ")) targets.set(name, left.slice(5))
      else refs.push({ name, commit: left })
    }
    return refs.map((r) => ({ ...r, target: targets.get(r.name) }))
  })
}

/**
 * Whether `s` is a full commit hash (sha1 or sha256).
 *
 * @category guards
 */
export const isFullHash = (s: string): boolean => /^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(s)

/**
 * What to check out.
 *
 * @category models
 */
export interface CheckoutOptions {
  readonly url: string
  readonly commit: string
  /** A branch to create at the commit when the git directory is kept ("" for a detached HEAD). */
  readonly branch: string
  readonly keepGitDir: boolean
  /** History depth to fetch; 0 or less fetches everything. */
  readonly depth: number
  readonly includeTags: boolean
  readonly auth?: HttpAuth | undefined
}

/**
 * Fetches `commit` from `url` into the empty directory `dir` and checks it out; removes `.git` unless kept.
 *
 * @category constructors
 */
export const checkout = (dir: string, o: CheckoutOptions): Effect.Effect<void, DagError> => {
  const remote = remoteOf(o.url, o.auth)
  return Effect.gen(function*() {
    yield* run(["init", "-q"], dir)
    yield* run(["remote", "add", "origin", "--", remote.url], dir)
    const fetchArgs = [
      "fetch",
      "-q",
      ...(o.includeTags ? ["--tags"] : ["--no-tags"]),
      ...(o.depth > 0 ? [`--depth=${o.depth}`] : []),
      "origin",
      o.commit
    ]
    yield* run(fetchArgs, dir, remote.auth)
    const checkoutArgs = o.branch !== "" && o.keepGitDir
      ? ["checkout", "-q", "-B", o.branch, o.commit]
      : ["checkout", "-q", "--detach", o.commit]
    yield* run(checkoutArgs, dir)
    if (!o.keepGitDir) {
      const gitDir = path.join(dir, ".git")
      yield* Effect.tryPromise({
        try: () => fs.promises.rm(gitDir, { recursive: true, force: true }),
        catch: (cause) => new DagError({ reason: "Io", detail: `remove ${gitDir}: ${String(cause)}`, cause })
      })
    }
  }).pipe(
    Effect.mapError((e) =>
      new DagError({
        reason: e.reason,
        detail: `git: cannot fetch commit ${o.commit} from ${redactUrl(o.url)}: ${e.detail}`,
        cause: e
      })
    )
  )
}

/**
 * The short names of the remote's branches (`refs/heads/…`) or tags (`refs/tags/…`, peeled entries left out) that
 * match any of `patterns` (git ls-remote patterns: matched against the tail of the full ref name, `*` crosses `/`;
 * none means all), in git's order (by ref name). git does the matching itself, so the semantics are git's.
 *
 * @category constructors
 */
export const listRefs = (url: string, kind: "heads" | "tags", patterns: ReadonlyArray<string>, auth?: HttpAuth) => {
  const remote = remoteOf(url, auth)
  return Effect.map(run(["ls-remote", `--${kind}`, "--", remote.url, ...patterns], undefined, remote.auth), (out) => {
    const prefix = `refs/${kind}/`
    const names: Array<string> = []
    for (const line of out.split("\n")) {
      const name = line.split("\t")[1]
      if (name === undefined || !name.startsWith(prefix) || name.endsWith("^{}")) continue
      names.push(name.slice(prefix.length))
    }
    return names
  })
}

interface Semver {
  readonly major: string
  readonly minor: string
  readonly patch: string
  readonly prerelease: ReadonlyArray<string>
}

const numeric = /^(0|[1-9][0-9]*)$/
const ident = /^[0-9A-Za-z-]+$/

/**
 * Parses a Go-style semantic version: `v` then MAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]] (the shorthands `v1` and
 * `v1.2` stand for `v1.0.0` and `v1.2.0`), no leading zeros; `undefined` when it is not one.
 */
const parseSemver = (v: string): Semver | undefined => {
  const m = /^v([0-9]+)(?:\.([0-9]+)(?:\.([0-9]+)(?:-([^+]*))?(?:\+(.*))?)?)?$/.exec(v)
  if (m === null) return undefined
  const [, major, minor, patch, pre, build] = m
  if (![major, minor ?? "0", patch ?? "0"].every((n) => numeric.test(n!))) return undefined
  const prerelease = pre === undefined ? [] : pre.split(".")
  if (prerelease.some((p) => !ident.test(p) || (/^[0-9]+$/.test(p) && !numeric.test(p)))) return undefined
  if (build !== undefined && build.split(".").some((p) => !ident.test(p))) return undefined
  return { major: major!, minor: minor ?? "0", patch: patch ?? "0", prerelease }
}

/**
 * Whether `v` is a valid semantic version in Go's sense (a leading `v`, shorthands allowed).
 *
 * @category guards
 */
export const isSemver = (v: string): boolean => parseSemver(v) !== undefined

const compareNum = (a: string, b: string): number =>
  a.length !== b.length ? Math.sign(a.length - b.length) : a < b ? -1 : a > b ? 1 : 0

const compareIdent = (a: string, b: string): number => {
  const an = /^[0-9]+$/.test(a)
  const bn = /^[0-9]+$/.test(b)
  if (an && bn) return compareNum(a, b)
  if (an !== bn) return an ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Compares two semantic versions (build metadata ignored; a prerelease sorts before its release); an invalid version
 * sorts before every valid one, two invalid ones are equal.
 *
 * @category combinators
 */
export const compareSemver = (a: string, b: string): number => {
  const x = parseSemver(a)
  const y = parseSemver(b)
  if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? -1 : 1
  const core = compareNum(x.major, y.major) || compareNum(x.minor, y.minor) || compareNum(x.patch, y.patch)
  if (core !== 0) return core
  if (x.prerelease.length === 0 || y.prerelease.length === 0) {
    return x.prerelease.length === y.prerelease.length ? 0 : x.prerelease.length === 0 ? 1 : -1
  }
  for (let i = 0; i < Math.min(x.prerelease.length, y.prerelease.length); i++) {
    const c = compareIdent(x.prerelease[i]!, y.prerelease[i]!)
    if (c !== 0) return c
  }
  return Math.sign(x.prerelease.length - y.prerelease.length)
}

/**
 * The highest semantic version among `tags` (ties between equal versions go to the greater string, as Go's
 * `semver.Sort` leaves them); `undefined` when none is valid.
 *
 * @category combinators
 */
export const latestSemver = (tags: ReadonlyArray<string>): string | undefined =>
  tags.filter(isSemver).reduce<string | undefined>((best, t) => {
    if (best === undefined) return t
    const c = compareSemver(t, best)
    return c > 0 || (c === 0 && t > best) ? t : best
  }, undefined)
