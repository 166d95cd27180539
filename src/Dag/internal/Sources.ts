/**
 * Source ops evaluated on the engine's host: git checkouts (the host's `git`) and HTTP downloads (Node's fetch).
 * Containers never fetch anything; these run in the engine and produce snapshots.
 */
import { Effect } from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Readable, Transform } from "node:stream"
import { pipeline } from "node:stream/promises"
import type { ReadableStream as WebReadableStream } from "node:stream/web"
import { DagError } from "../Errors.js"
import type * as Op from "../Op.js"
import type { Snapshots } from "../Snapshots.js"
import * as Git from "../Git.js"

const sha256Hex = (value: string): string => createHash("sha256").update(value).digest("hex")

/**
 * Checks out a `Git` op into a snapshot named by the op's digest (the commit, plus the URL and options when the git
 * directory is kept).
 *
 * @category constructors
 */
export const git = (
  snapshots: Snapshots,
  op: Extract<Op.Op, { _tag: "Git" }>,
  auth?: Git.HttpAuth
): Effect.Effect<{ readonly path: string; readonly created: boolean }, DagError> =>
  snapshots.createWith(sha256Hex(JSON.stringify(["git", op.digest])), (dir) =>
    Git.checkout(dir, {
      url: op.url,
      commit: op.commit,
      branch: op.branch,
      keepGitDir: op.keepGitDir,
      depth: op.depth,
      includeTags: op.includeTags,
      auth
    }))

/**
 * Parses a `checksum` argument: `sha256:<64 hex digits>`.
 *
 * @category constructors
 */
export const parseChecksum = (checksum: string): Effect.Effect<string, DagError> =>
  /^sha256:[0-9a-f]{64}$/.test(checksum.toLowerCase())
    ? Effect.succeed(checksum.toLowerCase())
    : Effect.fail(
      new DagError({
        reason: "InvalidInput",
        detail: `invalid checksum ${JSON.stringify(checksum)}: expected sha256:<64 hex digits>`
      })
    )

/**
 * Downloads an `Http` op's URL into a snapshot holding the file `name` with mode `permissions`; the snapshot is
 * named by the content digest, name, mode and Last-Modified. A non-2xx status and a checksum mismatch fail.
 *
 * @category constructors
 */
export const http = (
  snapshots: Snapshots,
  op: Extract<Op.Op, { _tag: "Http" }>,
  authorization?: string
): Effect.Effect<string, DagError> =>
  Effect.scoped(Effect.gen(function*() {
    const expected = op.checksum === "" ? "" : yield* parseChecksum(op.checksum)
    const dir = yield* snapshots.scratch("http")
    const file = path.join(dir, op.name)
    const res = yield* Effect.tryPromise({
      try: (signal) => fetch(op.url, {
        signal,
        redirect: "follow",
        ...(authorization !== undefined ? { headers: { authorization } } : {})
      }),
      catch: (cause) => {
        const inner = cause instanceof Error ? (cause.cause instanceof Error ? cause.cause : cause) : undefined
        const reason = inner !== undefined ? inner.message : String(cause)
        return new DagError({ reason: "Runtime", detail: `http GET ${Git.redactUrl(op.url)}: ${reason}`, cause })
      }
    })
    if (!res.ok) {
      yield* Effect.promise(() => res.body?.cancel() ?? Promise.resolve())
      return yield* new DagError({
        reason: "Runtime",
        detail: `http GET ${Git.redactUrl(op.url)}: ${res.status} ${res.statusText}`.trimEnd()
      })
    }
    const hash = createHash("sha256")
    yield* Effect.tryPromise({
      try: async () => {
        const hashing = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            hash.update(chunk)
            cb(null, chunk)
          }
        })
        const body = res.body === null
          ? Readable.from([])
          : Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>)
        await pipeline(body, hashing, fs.createWriteStream(file, { mode: 0o600 }))
        await fs.promises.chmod(file, op.permissions)
        const lastModified = res.headers.get("last-modified")
        const mtime = lastModified !== null ? new Date(lastModified) : undefined
        if (mtime !== undefined && !Number.isNaN(mtime.getTime())) await fs.promises.utimes(file, mtime, mtime)
      },
      catch: (cause) =>
        new DagError({
          reason: "Runtime",
          detail: `http GET ${Git.redactUrl(op.url)}: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause
        })
    })
    const digest = "sha256:" + hash.digest("hex")
    if (expected !== "" && expected !== digest) {
      return yield* new DagError({
        reason: "InvalidInput",
        detail: `http GET ${Git.redactUrl(op.url)}: checksum mismatch: expected ${expected}, got ${digest}`
      })
    }
    const key = sha256Hex(JSON.stringify(["http", digest, op.name, op.permissions, res.headers.get("last-modified")]))
    return yield* snapshots.adopt(key, dir)
  }))
