/**
 * Modules from git: resolving a version to a commit (`git ls-remote` on the host) and checking a commit out once
 * into the engine's state directory (`modules-git/<digest of url and commit>`, written to a temporary directory
 * and renamed, so a half-fetched checkout is never used).
 */
import { Effect } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { QueryError } from "../Core/Errors.js"
import * as Git from "../Dag/Git.js"
import type * as ModuleRef from "./ModuleRef.js"

type GitRef = Extract<ModuleRef.ModuleRef, { _tag: "Git" }>

const failed = (ref: GitRef, detail: string) =>
  new QueryError({ reason: "NotFound", detail: `module source ${ref.repo}${ref.version === undefined ? "" : `@${ref.version}`}: ${detail}` })

/**
 * The commit a reference's version names: a full commit hash as is, else a tag, else a branch (`HEAD` without a
 * version).
 *
 * @category constructors
 */
export const resolveCommit = (ref: GitRef): Effect.Effect<string, QueryError> =>
  Effect.gen(function*() {
    const v = ref.version
    if (v !== undefined && Git.isFullHash(v)) return v
    const patterns = v === undefined ? ["HEAD"] : [`refs/tags/${v}`, `refs/tags/${v}^{}`, `refs/heads/${v}`]
    const refs = yield* Git.lsRemote(ref.cloneUrl, patterns).pipe(
      Effect.mapError((e) => failed(ref, `cannot list the refs of ${ref.cloneUrl}: ${e.detail}`))
    )
    const pick = (name: string) => refs.find((r) => r.name === name)?.commit
    const commit = v === undefined
      ? pick("HEAD")
      : pick(`refs/tags/${v}^{}`) ?? pick(`refs/tags/${v}`) ?? pick(`refs/heads/${v}`)
    if (commit === undefined) {
      return yield* failed(ref, v === undefined ? "the repository has no HEAD" : `no tag or branch named ${v}`)
    }
    return commit
  })

/**
 * Checks `commit` of `cloneUrl` out under `root` (once) and returns the checkout's directory.
 *
 * @category constructors
 */
export const checkout = (root: string, ref: GitRef, commit: string): Effect.Effect<string, QueryError> =>
  Effect.gen(function*() {
    const dir = path.join(root, createHash("sha256").update(`${ref.cloneUrl}\n${commit}`).digest("hex").slice(0, 32))
    if (fs.existsSync(dir)) return dir
    const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
    yield* Effect.sync(() => fs.mkdirSync(tmp, { recursive: true }))
    yield* Git.checkout(tmp, { url: ref.cloneUrl, commit, branch: "", keepGitDir: false, depth: 1, includeTags: false }).pipe(
      Effect.mapError((e) => failed(ref, e.detail)),
      Effect.zipRight(Effect.sync(() => {
        try {
          fs.renameSync(tmp, dir)
        } catch {
          // another load won the race: its checkout is the same commit
        }
      })),
      Effect.ensuring(Effect.sync(() => fs.rmSync(tmp, { recursive: true, force: true })))
    )
    return dir
  })
