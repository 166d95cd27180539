/**
 * Git on the engine's host: the host's `git` binary run through child_process, with the user's and the system's
 * git config ignored and no prompts. Used to resolve refs (`ls-remote`) and to check out commits into snapshots.
 */
import { Effect } from "effect"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { DagError } from "./Errors.js"

const gitEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
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
export const run = (args: ReadonlyArray<string>, cwd?: string): Effect.Effect<string, DagError> =>
  Effect.async<string, DagError>((resume, signal) => {
    execFile(
      "git",
      ["-c", "advice.detachedHead=false", "-c", "init.defaultBranch=main", ...args],
      { cwd, env: gitEnv(), signal, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error === null) return resume(Effect.succeed(stdout))
        const message = stderr.trim() !== "" ? stderr.trim() : error.message
        resume(Effect.fail(new DagError({ reason: "Runtime", detail: message, cause: error })))
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
export const lsRemote = (url: string, patterns: ReadonlyArray<string>, symref = false) =>
  Effect.map(run(["ls-remote", ...(symref ? ["--symref"] : []), "--", url, ...patterns]), (out) => {
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
}

/**
 * Fetches `commit` from `url` into the empty directory `dir` and checks it out; removes `.git` unless kept.
 *
 * @category constructors
 */
export const checkout = (dir: string, o: CheckoutOptions): Effect.Effect<void, DagError> =>
  Effect.gen(function*() {
    yield* run(["init", "-q"], dir)
    yield* run(["remote", "add", "origin", "--", o.url], dir)
    const fetchArgs = [
      "fetch",
      "-q",
      ...(o.includeTags ? ["--tags"] : ["--no-tags"]),
      ...(o.depth > 0 ? [`--depth=${o.depth}`] : []),
      "origin",
      o.commit
    ]
    yield* run(fetchArgs, dir)
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
        detail: `git: cannot fetch commit ${o.commit} from ${o.url}: ${e.detail}`,
        cause: e
      })
    )
  )
