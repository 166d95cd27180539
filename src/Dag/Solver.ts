/**
 * The solver: a memoized function from op digest to result. Concurrent requests for one digest share one fiber,
 * independent inputs are evaluated in parallel, execs take a slot from a bounded pool, failures are never cached.
 *
 * Decisions the Core layer relies on:
 * - `snapshot(op)` returns an absolute directory path that must be treated as read-only. It may point INSIDE another
 *   snapshot (`Subdir` returns `<input>/<path>`, resolved without leaving the input), which is fine because
 *   snapshots are immutable.
 * - `Extract(image, path)` produces a snapshot holding the basename of `path` as its single top entry
 *   (`<snapshot>/<basename>`; for `path` "/" the image's root contents are the snapshot's root). Core builds
 *   `Container.directory(p)` as `Op.subdir(Op.extract(rootfs, p), extractEntryName(p))` and `Container.file(p)` as the
 *   File value `(Op.extract(rootfs, p), extractEntryName(p))`. A `Subdir` on a path that is not a directory fails with
 *   DagError "PathNotFound" ("not a directory: …").
 * - Writable exec mounts: the mount's output snapshot is `ExecOutput(exec, target)` with `target` exactly as in the
 *   mount. File mounts are bound read-only, or as a throwaway copy when not `readOnly`.
 * - Snapshots made by the solver are named by a digest of their resolved inputs (image ids, input snapshot paths,
 *   action parameters), not by op digest: a moved tag never serves a stale snapshot. Exec mount outputs are named
 *   `<execDigest hex>-<sha256(target) hex, 16 chars>`.
 * - Results live in memory for the life of the service (no persistent exec cache index yet).
 * - Progress: a run publishes `start` and `end` (with `cached` when its snapshot already existed on disk); a request
 *   served from memory by a finished run publishes one `end` event with `cached: true` and `durationMs: 0`.
 */
import {
  Cause,
  Clock,
  Config,
  Deferred,
  Effect,
  Exit,
  Fiber,
  FiberId,
  FiberRef,
  FiberSet,
  Option,
  PubSub,
  type Queue,
  type Scope,
  Stream
} from "effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { StringDecoder } from "node:string_decoder"
import {
  type ArchivePut,
  type Bind,
  type ContainerError,
  ContainerRuntime,
  type PathStat,
  type ResolvedImage,
  type RunSpec
} from "../Runtime/ContainerRuntime.js"
import type { Credentials } from "../Runtime/Registry.js"
import * as CacheIndex from "./CacheIndex.js"
import { DagError, ExecError, type SolveError } from "./Errors.js"
import * as Explain from "./Explain.js"
import * as Git from "./Git.js"
import { HostSync } from "./HostSync.js"
import * as CacheVolumes from "./internal/CacheVolumes.js"
import * as DockerBuild from "./internal/DockerBuild.js"
import * as FileActions from "./internal/FileActions.js"
import * as InitLayer from "./internal/InitLayer.js"
import * as Tracing from "./internal/OpSpan.js"
import * as Owners from "./internal/Owners.js"
import * as SecretFiles from "./internal/SecretFiles.js"
import * as Services from "./internal/Services.js"
import { copyContents, relPath, resolveIn, tryFs } from "./internal/Fs.js"
import * as Sources from "./internal/Sources.js"
import * as Tar from "./internal/Tar.js"
import * as Walk from "./internal/Walk.js"
import * as Op from "./Op.js"
import * as Owner from "./Owner.js"
import * as Scrub from "./Scrub.js"
import { Snapshots } from "./Snapshots.js"
import * as Wildcard from "./Wildcard.js"

/**
 * Captured output of an exec.
 *
 * @category models
 */
export interface ExecOutcome {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

/** The combined output from the chunks seen as they arrived, or stdout then stderr when some output was not seen. */
const combinedText = (chunks: ReadonlyArray<Buffer>, stdout: string, stderr: string): string => {
  const text = Buffer.concat(chunks).toString("utf8")
  return text.length === stdout.length + stderr.length ? text : stdout + stderr
}

/**
 * Everything an exec produced.
 *
 * @category models
 */
export interface ExecResult extends ExecOutcome {
  /** stdout and stderr interleaved in the order they arrived (redirected streams left out). */
  readonly combinedOutput: string
  /** The committed rootfs (with redirected output files written into it). */
  readonly imageId: string
  /** Output snapshot path per writable directory mount target. */
  readonly outputs: Readonly<Record<string, string>>
}

/**
 * Credentials for pulling one image, and a key that names them without holding the password (registry host,
 * user name and the secret's keyed hash).
 *
 * @category models
 */
export interface ImageAuth {
  readonly credentials: Credentials
  readonly key: string
}

/**
 * A progress event: one op started or ended.
 *
 * @category models
 */
export interface ProgressEvent {
  readonly digest: string
  readonly description: string
  /** "output": a chunk of a running exec's output (`output`), published between its "start" and "end". */
  readonly phase: "start" | "end" | "output"
  /** On "end": the result came from the cache. */
  readonly cached: boolean
  /** On "end" of a failed op. */
  readonly error?: string
  readonly durationMs: number
  /** The session the op ran (or was asked for) on behalf of ("" for none). */
  readonly session?: string
  /** On "end" of an exec that ran: why it was not served from the cache. */
  readonly why?: string
  /**
   * On "start" of a terminal: the session's client is asked to attach the user's terminal to this (created, not
   * started) Docker container, start it, and stay attached until it exits.
   */
  readonly terminal?: { readonly containerId: string }
  /** The op (digest) whose run asked for this one, when it ran inside another op's run. */
  readonly parent?: string
  /** On "output": the chunk, decoded as UTF-8 (invalid bytes become U+FFFD), and its stream. */
  readonly output?: { readonly stream: "stdout" | "stderr"; readonly text: string }
}

/**
 * The PATH an exec gets when its env has none.
 *
 * @category constants
 */
export const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/**
 * Whether an exit code counts as success for `expect`: SUCCESS → 0; FAILURE → 1–127 and 192–255;
 * ANY → 0–127 and 192–255. Codes 128–191 (killed by a signal) and anything outside 0–255 never do.
 *
 * @category guards
 */
export const exitCodeAllowed = (expect: Op.ExecMeta["expect"], exitCode: number): boolean => {
  if (!Number.isInteger(exitCode) || exitCode < 0 || exitCode > 255) return false
  if (exitCode >= 128 && exitCode <= 191) return false
  switch (expect) {
    case "SUCCESS":
      return exitCode === 0
    case "FAILURE":
      return exitCode !== 0
    case "ANY":
      return true
  }
}

/**
 * The name of the single top entry of an `Extract(image, path)` snapshot ("" when `path` is the root).
 *
 * @category getters
 */
export const extractEntryName = (imagePath: string): string =>
  path.posix.basename(path.posix.normalize("/" + imagePath))

/**
 * The snapshot key of a writable mount's output.
 *
 * @category getters
 */
export const mountOutputKey = (execDigest: string, target: string): string =>
  `${execDigest.replace(/^sha256:/, "")}-${sha256Hex(target).slice(0, 16)}`

const sha256Hex = (value: string): string => createHash("sha256").update(value).digest("hex")
const keyOf = (value: unknown): string => sha256Hex(JSON.stringify(value))

/** Maps a runtime failure to the solver's error. */
const fromContainer = (e: ContainerError): DagError =>
  new DagError({
    reason: e.reason === "ImageNotFound" ? "ImageNotFound" : e.reason === "PathNotFound" ? "PathNotFound" : "Runtime",
    detail: e.detail,
    cause: e
  })

/** The runtime's "unable to find user/group" as an error naming the user that `withUser` set. */
const unknownUser = (e: ContainerError, user: string): DagError | undefined => {
  const m = /unable to find (user|group) ([^:]+): no matching entries in (passwd|group) file/.exec(e.detail)
  if (m === null) return undefined
  const file = m[3] === "passwd" ? "/etc/passwd" : "/etc/group"
  return new DagError({
    reason: "InvalidInput",
    detail: `user ${JSON.stringify(user)} (withUser): no such ${m[1]} ${JSON.stringify(m[2])} in the container's ${file}`,
    cause: e
  })
}

const wrongKind = (op: Op.Op, expected: string): DagError =>
  new DagError({ reason: "InvalidInput", detail: `expected ${expected}, got "${Op.describe(op)}" (${op._tag})` })

type ExecOp = Extract<Op.Op, { _tag: "Exec" }>

/** A memoized run: its result, its fiber (once forked) and how many callers wait on it. */
interface Entry<A> {
  readonly deferred: Deferred.Deferred<A, SolveError>
  fiber: Fiber.RuntimeFiber<unknown, unknown> | undefined
  waiters: number
}

/**
 * The session on whose behalf the current fiber works ("" for none): progress events carry it, so each session's
 * client sees its own. The resolver bridge sets it per request.
 *
 * @category tags
 */
export const currentSession: FiberRef.FiberRef<string> = FiberRef.unsafeMake("")

/**
 * The op (digest) being run by this fiber, if any: ops asked for inside its run name it as their `parent`.
 *
 * @category models
 */
export const currentOp: FiberRef.FiberRef<string | undefined> = FiberRef.unsafeMake<string | undefined>(undefined)

/**
 * What the client of the session on whose behalf the current fiber works can do with a terminal: attach one
 * (`Container.terminal`), and open one in the container of a failed exec (`dirk call -i`). Set per request by the
 * resolver bridge, from the session.
 *
 * @category tags
 */
export const currentInteractive: FiberRef.FiberRef<Interactive> = FiberRef.unsafeMake<Interactive>({ terminal: false, debugFailures: false })

/**
 * The plaintexts of secrets, by handle, that the session on whose behalf the current fiber works holds (none by
 * default). Set per request by the resolver bridge; an exec that uses a secret looks its value up here when it runs.
 *
 * @category tags
 */
export const currentSecrets: FiberRef.FiberRef<(handle: string) => string | undefined> = FiberRef.unsafeMake<
  (handle: string) => string | undefined
>(() => undefined)

/**
 * @category models
 */
export interface Interactive {
  /** The session's client attaches terminals (it follows progress events carrying `terminal`). */
  readonly terminal: boolean
  /** Open a terminal in the container of an exec that fails. */
  readonly debugFailures: boolean
}

/** The command of the terminal opened in a failed exec's container. */
const debugShell: ReadonlyArray<string> = ["sh"]

interface RunCtx {
  cached: boolean
  /** For an op that ran: why it was not served from the cache (`Explain.ts`). */
  why?: string
}

/** Whether an op failed for lack of disk space (on the engine's side, or Docker's). */
const noSpace = (e: SolveError): boolean => /no space left on device|ENOSPC/i.test(e.message)

const errorText = (cause: Cause.Cause<unknown>): string => {
  if (Cause.isInterruptedOnly(cause)) return "interrupted"
  const e = Cause.squash(cause)
  return e instanceof Error ? e.message : String(e)
}

/**
 * @category tags
 */
export class Solver extends Effect.Service<Solver>()("dirk/Dag/Solver", {
  scoped: Effect.gen(function*() {
    const runtime = yield* ContainerRuntime
    const snapshots = yield* Snapshots
    const hostSync = yield* HostSync
    const index = yield* CacheIndex.CacheIndex
    const maxParallel = yield* Config.integer("DIRK_MAX_PARALLEL").pipe(
      Config.validate({ message: "DIRK_MAX_PARALLEL must be at least 1", validation: (n) => n >= 1 }),
      // execs mostly wait (on processes, on I/O): a few per CPU, at least 8
      Config.withDefault(Math.max(8, 4 * os.availableParallelism()))
    )
    const serviceGrace = yield* Config.number("DIRK_SERVICE_GRACE").pipe(Config.withDefault(10))
    const serviceTimeout = yield* Config.number("DIRK_SERVICE_TIMEOUT").pipe(Config.withDefault(60))
    const pool = yield* Effect.makeSemaphore(maxParallel)
    // mounted secrets' files a crashed engine left behind
    yield* Effect.try(() => SecretFiles.sweep()).pipe(Effect.ignore)
    const fibers = yield* FiberSet.make<unknown, unknown>()
    const pubsub = yield* Effect.acquireRelease(PubSub.unbounded<ProgressEvent>(), PubSub.shutdown)
    const memo = new Map<string, Entry<unknown>>()
    /** When each op (by digest) and each snapshot of the store (by key) was last asked for, in this engine. */
    const used = { ops: new Map<string, number>(), snapshots: new Map<string, number>() }

    const publish = (event: ProgressEvent) => PubSub.publish(pubsub, event)
    // the engine's tracer (Engine/Tracing.ts), for runs asked for by fibers that do not carry it (GraphQL resolvers)
    const tracer = yield* Effect.tracer

    /**
     * Runs `run` once per key: concurrent and later callers await the same result; the run is forked into the
     * solver's scope so that one interrupted caller does not cancel it for the others, but when every caller waiting
     * on an unfinished run is gone (interrupted: a closed session, Ctrl-C), the run is interrupted too, and its
     * containers removed. A failed (or interrupted) run is forgotten.
     */
    const once = <A>(
      key: string,
      description: string,
      run: (ctx: RunCtx) => Effect.Effect<A, SolveError>
    ): Effect.Effect<A, SolveError> =>
      Effect.uninterruptibleMask((restore) =>
        Effect.gen(function*() {
          const session = yield* FiberRef.get(currentSession)
          const parent = yield* FiberRef.get(currentOp)
          const from = parent !== undefined ? { parent } : {}
          used.ops.set(key, Date.now())
          const hit = memo.get(key) as Entry<A> | undefined
          if (hit !== undefined) {
            if (yield* Deferred.isDone(hit.deferred)) {
              yield* publish({ digest: key, description, phase: "end", cached: true, durationMs: 0, session, ...from })
            }
            return yield* wait(hit, restore)
          }
          const entry: Entry<A> = { deferred: Deferred.unsafeMake<A, SolveError>(FiberId.none), fiber: undefined, waiters: 0 }
          memo.set(key, entry as Entry<unknown>)
          const ctx: RunCtx = { cached: false }
          const tracked = Effect.flatMap(Clock.currentTimeMillis, (start) =>
            publish({ digest: key, description, phase: "start", cached: false, durationMs: 0, session, ...from }).pipe(
              Effect.zipRight(Effect.interruptible(Effect.suspend(() => withRoom(description, () => run(ctx))).pipe(
                Effect.tap(() => Effect.annotateCurrentSpan("dirk.cached", ctx.cached)),
                Effect.locally(currentOp, key),
                Tracing.opSpan(description, key, session),
                Effect.withTracer(tracer)
              ))),
              Effect.onExit((exit) =>
                Effect.gen(function*() {
                  if (Exit.isFailure(exit) && memo.get(key) === entry) memo.delete(key)
                  const end = yield* Clock.currentTimeMillis
                  yield* publish({
                    digest: key,
                    description,
                    phase: "end",
                    cached: Exit.isSuccess(exit) && ctx.cached,
                    durationMs: end - start,
                    session,
                    ...from,
                    ...(ctx.why !== undefined && !ctx.cached ? { why: ctx.why } : {}),
                    ...(Exit.isFailure(exit) ? { error: errorText(exit.cause) } : {})
                  })
                  yield* Deferred.done(entry.deferred, exit)
                })
              )
            ))
          entry.fiber = yield* FiberSet.run(fibers, tracked)
          return yield* wait(entry, restore)
        })
      )

    /**
     * What frees disk space when an op runs out of it (the engine's GC), for a first (`1`: some) and a second (`2`:
     * all it can) attempt; none by default.
     */
    let diskFull: ((attempt: 1 | 2) => Effect.Effect<{ readonly freedBytes: number; readonly remainingBytes: number }>) | undefined

    /**
     * Runs an op; when it fails for lack of disk space, frees space (GC: some of the cache, then all that no open
     * session holds) and runs it again; when that is not enough either, the error says what was tried.
     */
    const withRoom = <A>(description: string, run: () => Effect.Effect<A, SolveError>): Effect.Effect<A, SolveError> =>
      run().pipe(
        Effect.catchIf((e) => noSpace(e), (first) => {
          if (diskFull === undefined) return Effect.fail(first)
          const free = diskFull
          return Effect.gen(function*() {
            let freed = 0
            let last: SolveError = first
            for (const attempt of [1, 2] as const) {
              yield* Effect.logWarning(`${description}: no space left on device; collecting garbage, then trying again`)
              const gc = yield* free(attempt)
              freed += gc.freedBytes
              const again = yield* Effect.either(run())
              if (again._tag === "Right") return again.right
              if (!noSpace(again.left)) return yield* Effect.fail(again.left)
              last = again.left
              if (attempt === 2) {
                return yield* new DagError({
                  reason: "Io",
                  detail: `${description}: no space left on device, even after GC freed ${freed} bytes ` +
                    `(the cache holds ${gc.remainingBytes} bytes, some of it held by open sessions): free disk space ` +
                    `or lower the engine's --keep-storage (${last.message})`,
                  cause: last
                })
              }
            }
            return yield* Effect.fail(last)
          })
        })
      )

    /** Awaits a run as one of its waiters; the last waiter to be interrupted interrupts the unfinished run. */
    const wait = <A>(
      entry: Entry<A>,
      restore: <X, E, R>(self: Effect.Effect<X, E, R>) => Effect.Effect<X, E, R>
    ): Effect.Effect<A, SolveError> =>
      Effect.suspend(() => {
        entry.waiters++
        return restore(Deferred.await(entry.deferred)).pipe(
          Effect.onExit((exit) =>
            Effect.suspend(() => {
              entry.waiters--
              const abandoned = Exit.isInterrupted(exit) && entry.waiters === 0 && entry.fiber !== undefined
              return abandoned ? Effect.asVoid(Effect.forkDaemon(Fiber.interrupt(entry.fiber!))) : Effect.void
            })
          )
        )
      })

    /**
     * A result of the persistent cache (`CacheIndex`), verified before it is used (its images and snapshots still
     * exist: a stale entry is dropped and the op runs again), or `run`'s result, recorded once it succeeded. A
     * failure to record is logged, not the op's failure.
     */
    const persisted = <A, S>(
      ctx: RunCtx,
      kind: string,
      key: string,
      codec: { readonly encode: (a: A) => S; readonly decode: (s: S) => A },
      run: Effect.Effect<{ readonly value: A; readonly refs: CacheIndex.Refs }, SolveError>
    ): Effect.Effect<A, SolveError> =>
      Effect.gen(function*() {
        const hit = yield* index.get<S>(kind, key).pipe(Effect.orElseSucceed(() => Option.none<CacheIndex.Entry<S>>()))
        if (Option.isSome(hit)) {
          const e = hit.value
          const images = yield* Effect.forEach(e.images, (id) => runtime.imageSize(id), { concurrency: 4 }).pipe(
            Effect.orElseSucceed(() => [Option.none<number>()])
          )
          const snaps = yield* Effect.forEach(e.snapshots, (k) => snapshots.exists(k), { concurrency: 4 }).pipe(
            Effect.orElseSucceed(() => [false])
          )
          if (images.every(Option.isSome) && snaps.every((x) => x)) {
            ctx.cached = true
            yield* index.touch(kind, key).pipe(Effect.ignore)
            return codec.decode(e.value)
          }
          yield* index.remove(kind, key).pipe(Effect.ignore)
        }
        const { value, refs } = yield* run
        yield* index.put(kind, key, codec.encode(value), refs).pipe(
          Effect.tapError((e) => Effect.logWarning(`cannot record ${kind} ${key} in the cache: ${e.message}`)),
          Effect.ignore
        )
        return value
      })

    /** The bytes an image adds over its parent (Docker sizes include the parents'). */
    const ownBytes = (imageId: string, parentId: string | undefined) =>
      Effect.gen(function*() {
        const size = Option.getOrElse(yield* runtime.imageSize(imageId), () => 0)
        const parent = parentId === undefined ? 0 : Option.getOrElse(yield* runtime.imageSize(parentId), () => 0)
        return Math.max(0, size - parent)
      }).pipe(Effect.orElseSucceed(() => 0))

    const plain = <A>() => ({ encode: (a: A): A => a, decode: (a: A): A => a })

    // -----------------------------------------------------------------------------------------------------------
    // images

    // With credentials, `auth.key` (which never holds the password) keeps their runs apart from other callers'.
    const resolveImage = Effect.fn("Solver.resolveImage")(function*(ref: string, auth?: ImageAuth) {
      return yield* once<ResolvedImage>(
        auth === undefined ? `ref:${ref}` : `ref:${ref} auth:${auth.key}`,
        `resolve ${ref}`,
        () => Effect.mapError(runtime.resolveImage(ref, auth?.credentials), fromContainer)
      )
    }) as (ref: string, auth?: ImageAuth) => Effect.Effect<ResolvedImage, DagError>

    const image = (op: Op.Op): Effect.Effect<string, SolveError> => {
      switch (op._tag) {
        case "Image":
          return once(op.digest, Op.describe(op), () => Effect.map(resolveImage(op.ref), (r) => r.imageId))
        case "ScratchImage":
          return once(op.digest, Op.describe(op), () => Effect.mapError(runtime.scratchImage, fromContainer))
        case "ImageFile":
          return once(op.digest, Op.describe(op), (ctx) =>
            persisted(ctx, "image", op.digest, plain<string>(), Effect.gen(function*() {
              const r = yield* imageFile(op)
              return { value: r.imageId, refs: { images: [r.imageId], snapshots: [], bytes: yield* ownBytes(r.imageId, r.base) } }
            })))
        case "DockerBuild":
          return Effect.map(dockerBuild(op), (r) => r.imageId)
        case "ExecOutput":
          return op.output === "rootfs"
            ? Effect.map(execResult(op.exec), (r) => r.imageId)
            : Effect.fail(wrongKind(op, "a container rootfs"))
        default:
          return Effect.fail(wrongKind(op, "a container rootfs"))
      }
    }

    // Owners of file actions and cache mounts, names resolved in the rootfs they name (lambdas: defined below).
    const ownerDeps: Owners.Deps = { statPath: (o, p) => statPath(o, p), snapshot: (o) => snapshot(o) }
    const resolveOwner = Owners.resolver(ownerDeps)
    const actionOwner = (a: Op.FileAction) => resolveOwner("owner" in a ? a.owner : undefined)

    /** Builds a Dockerfile (once per op digest); the result's config is what `Directory.dockerBuild` starts from. */
    const dockerBuild = (op: Op.Op): Effect.Effect<ResolvedImage, SolveError> =>
      op._tag !== "DockerBuild"
        ? Effect.fail(wrongKind(op, "a docker build"))
        : once(op.digest, Op.describe(op), (run) =>
          persisted(run, "build", op.digest, plain<ResolvedImage>(), Effect.gen(function*() {
            const ctx = yield* DockerBuild.context(yield* snapshot(op.context), op.dockerfile)
            const secrets: Record<string, string> = {}
            for (const sec of op.secrets) {
              secrets[sec.name] = yield* sessionSecret({ secret: sec.name, handle: sec.handle }, `docker build of ${op.dockerfile}`, "fetches it")
            }
            const built = yield* pool.withPermits(1)(runtime.buildImage({
              context: () => Tar.pack(ctx.items),
              dockerfile: ctx.dockerfile,
              buildArgs: Object.fromEntries(op.buildArgs),
              target: op.target,
              ...(op.secrets.length > 0 ? { secrets, redact: Scrub.redactor(Object.values(secrets)) } : {})
            })).pipe(Effect.mapError(fromContainer))
            return { value: built, refs: { images: [built.imageId], snapshots: [], bytes: yield* ownBytes(built.imageId, undefined) } }
          })))

    /**
     * What a Copy into a rootfs reads: a host tree not yet in the snapshot store, copied whole, is streamed from the
     * host files (checked unchanged since they were hashed) instead of being copied into a snapshot first.
     */
    const copySource = (a: Op.FileAction): Effect.Effect<FileActions.CopySource | undefined, SolveError> => {
      if (a._tag !== "Copy") return Effect.succeed(undefined)
      if (a.source._tag !== "Local" || !FileActions.isWholeTree(a)) return snapshot(a.source)
      const local = a.source
      return Effect.flatMap(
        hostSync.liveEntries(local.contentDigest),
        (entries): Effect.Effect<FileActions.CopySource, SolveError> =>
          entries === undefined ? snapshot(local) : Effect.succeed({ entries })
      )
    }

    /** The rootfs an ImageFile op starts from, and the sources of its copies. */
    const imageFileInputs = (op: Extract<Op.Op, { _tag: "ImageFile" }>) =>
      Effect.all([
        image(op.input),
        Effect.forEach(op.actions, copySource, { concurrency: "unbounded" })
      ], { concurrency: "unbounded" })

    /** The archive that applies one (non-removal) action of an ImageFile op. */
    const actionPut = (
      op: Extract<Op.Op, { _tag: "ImageFile" }>,
      a: Op.FileAction,
      source: FileActions.CopySource | undefined
    ): Effect.Effect<ArchivePut, SolveError> =>
      Effect.gen(function*() {
        const owner = yield* actionOwner(a)
        const owned = owner === undefined
          ? undefined
          : { owner, newDirs: yield* Owners.newDirs(ownerDeps, op.input, a) }
        const items = Tar.lastPerName(yield* FileActions.tarItems(a, source, owned))
        return { path: "/", tar: () => Tar.pack(items), layer: Tar.layerInfo(items) }
      })

    /** Host trees streamed from the host must not have changed while they were read. */
    const unchangedSources = (
      op: Extract<Op.Op, { _tag: "ImageFile" }>,
      sources: ReadonlyArray<FileActions.CopySource | undefined>
    ): Effect.Effect<void, SolveError> =>
      Effect.gen(function*() {
        for (const [i, src] of sources.entries()) {
          if (src === undefined || typeof src === "string") continue
          const changed = yield* tryFs("stat", "host files", async () => Walk.firstChanged(src.entries))
          if (changed !== undefined) {
            const a = op.actions[i] as Extract<Op.FileAction, { _tag: "Copy" }>
            return yield* new DagError({
              reason: "InvalidInput",
              detail: `${Op.describe(a.source)} changed while being copied (${changed.rel}); read it again`
            })
          }
        }
      })

    const imageFile = (
      op: Extract<Op.Op, { _tag: "ImageFile" }>
    ): Effect.Effect<{ readonly imageId: string; readonly base: string }, SolveError> =>
      Effect.gen(function*() {
        const [imageId, sources] = yield* imageFileInputs(op)
        // Removals run as an exec of `rm -rf` in the image (the archive API cannot delete); the other actions go in
        // as archives, in order.
        let current = imageId
        let pending: Array<ArchivePut> = []
        const flush = Effect.suspend(() => {
          const puts = pending
          pending = []
          return puts.length === 0
            ? Effect.void
            : runtime.putArchives(current, puts).pipe(Effect.mapError(fromContainer), Effect.map((id) => {
              current = id
            }))
        })
        for (const [i, a] of op.actions.entries()) {
          if (a._tag === "Rm") {
            yield* flush
            current = yield* removeInImage(current, a.path)
            continue
          }
          pending.push(yield* actionPut(op, a, sources[i]))
        }
        yield* flush
        yield* unchangedSources(op, sources)
        return { imageId: current, base: imageId }
      })

    /**
     * An exec whose rootfs is an ImageFile op that is neither cached nor being made (the usual `withDirectory` then
     * `withExec`) gets that op's files with its own run: the runtime adds them to the exec's image as a layer (the
     * Docker runtime: `docker load`, the files written once), or, where a layer cannot hold them, puts them into the
     * exec's own container before it starts (one commit fewer than an image committed first). The ImageFile op itself
     * is then not cached; something else that needs it makes it. Removals need an image of their own: no fusing then.
     */
    const fusedRootfs = (op: ExecOp) =>
      Effect.gen(function*() {
        const r = op.rootfs
        if (r._tag !== "ImageFile" || r.actions.some((a) => a._tag === "Rm") || memo.has(r.digest)) return undefined
        const known = yield* index.get<string>("image", r.digest).pipe(Effect.map(Option.isSome), Effect.orElseSucceed(() => true))
        if (known) return undefined
        const [base, sources] = yield* imageFileInputs(r)
        const archives = yield* Effect.forEach(r.actions, (a, i) => actionPut(r, a, sources[i]))
        return { base, archives, check: unchangedSources(r, sources) }
      })

    /**
     * Wildcards in a removal path are resolved in the engine: the literal directory's archive is listed (entry
     * names only; no binary in the image needed) and matched (`Wildcard.ts`); no match leaves the image as is.
     */
    const wildcardTargets = (imageId: string, wild: Wildcard.Split): Effect.Effect<Array<string>, SolveError> =>
      Effect.gen(function*() {
        const dir = "/" + wild.literal
        const names = yield* runtime.getArchive(imageId, dir === "/" ? "/" : dir + "/", Tar.listNames).pipe(
          Effect.catchIf((e) => e._tag === "ContainerError" && e.reason === "PathNotFound", () => Effect.succeed([])),
          Effect.mapError((e) => (e._tag === "ContainerError" ? fromContainer(e) : e))
        )
        // entry names: "/x/y" for the root, "<basename>/x/y" otherwise
        const rels = names.map((n) => n.replace(/^\/+|\/+$/g, "")).map((n) =>
          dir === "/" ? n : n.split("/").slice(1).join("/")
        ).filter((n) => n !== "")
        return Wildcard.select(wild.pattern, rels).map((m) => path.posix.join(dir, m))
      })

    /** Removes `target` (recursively, a missing path is fine) from an image by running `rm -rf` in it. */
    const removeInImage = (imageId: string, target: string): Effect.Effect<string, SolveError> =>
      Effect.gen(function*() {
        const wild = Wildcard.split(path.posix.resolve("/", target))
        const targets = wild === undefined ? [path.posix.resolve("/", target)] : yield* wildcardTargets(imageId, wild)
        if (targets.length === 0) return imageId
        const abs = targets.join(" ")
        if (abs === "/") return yield* new DagError({ reason: "InvalidInput", detail: "cannot remove /" })
        const noRm = (why: string) =>
          new DagError({
            reason: "InvalidInput",
            detail: `cannot remove ${abs}: removing files from a container's filesystem runs rm in it, and ${why}`
          })
        const result = yield* pool.withPermits(1)(runtime.run({
          image: imageId,
          args: ["rm", "-rf", "--", ...targets],
          env: [`PATH=${defaultPath}`],
          workdir: "/",
          user: "0:0",
          binds: [],
          commit: true,
          labels: { "dirk.op": "rm" }
        })).pipe(Effect.mapError(fromContainer))
        if (result.exitCode === 127 || result.exitCode === 126) {
          return yield* noRm(`the image has no usable rm (${result.stderr.toString("utf8").trim()})`)
        }
        if (result.exitCode !== 0) {
          return yield* noRm(`rm failed with exit code ${result.exitCode}: ${result.stderr.toString("utf8").trim()}`)
        }
        if (result.imageId === undefined) {
          return yield* new DagError({ reason: "Runtime", detail: `the runtime did not commit the removal of ${abs}` })
        }
        return result.imageId
      })

    // -----------------------------------------------------------------------------------------------------------
    // snapshots

    /** A snapshot op's directory; records when a snapshot of the store was last used (GC keeps what is in use). */
    const snapshot = (op: Op.Op): Effect.Effect<string, SolveError> =>
      Effect.tap(snapshotOf(op), (p) =>
        Effect.sync(() => {
          if (p.startsWith(snapshots.root + path.sep)) {
            const key = p.slice(snapshots.root.length + 1).split(path.sep)[0]!
            used.snapshots.set(key, Date.now())
            let ops = snapshotOps.get(key)
            if (ops === undefined) snapshotOps.set(key, ops = new Set())
            ops.add(op.digest)
          }
        }))

    /** The ops whose memoized result is (in) each snapshot, so that GC can make the solver forget them. */
    const snapshotOps = new Map<string, Set<string>>()

    /**
     * Forgets memoized results that GC removed (an op by digest, or every op whose result is in a snapshot), so that
     * the next request computes them again instead of handing out a removed image or directory.
     */
    const forget = (what: { readonly op?: string; readonly snapshot?: string }): void => {
      if (what.op !== undefined) memo.delete(what.op)
      if (what.snapshot !== undefined) {
        for (const d of snapshotOps.get(what.snapshot) ?? []) memo.delete(d)
        snapshotOps.delete(what.snapshot)
      }
    }

    const snapshotOf = (op: Op.Op): Effect.Effect<string, SolveError> => {
      switch (op._tag) {
        case "EmptyDir":
          return once(op.digest, Op.describe(op), (ctx) =>
            Effect.map(snapshots.createWith(op.digest, () => Effect.void), (r) => {
              ctx.cached = !r.created
              return r.path
            }))
        case "Local":
          // host content is copied into the store when first needed as a directory (HostSync.materialize)
          return Effect.flatMap(
            tryFs("stat", op.snapshot, () => fs.promises.stat(op.snapshot).then((st) => st.isDirectory(), () => false)),
            (present) =>
              present ? Effect.succeed(op.snapshot) : once(op.digest, Op.describe(op), () => hostSync.materialize(op.contentDigest))
          )
        case "ExecOutput":
          return op.output === "rootfs"
            ? Effect.fail(wrongKind(op, "a directory"))
            : Effect.flatMap(execResult(op.exec), (r) => {
              const out = r.outputs[op.output]
              return out !== undefined
                ? Effect.succeed(out)
                : Effect.fail(new DagError({
                  reason: "InvalidInput",
                  detail: `the exec has no writable directory mount at ${op.output}`
                }))
            })
        case "DirFile":
          return once(op.digest, Op.describe(op), (ctx) => dirFile(op, ctx))
        case "Extract":
          return once(op.digest, Op.describe(op), (ctx) => extract(op, ctx))
        case "Subdir":
          return subdir(op)
        case "Git":
          return once(op.digest, Op.describe(op), (ctx) =>
            Effect.flatMap(secretValue(op.auth, `git ${Git.redactUrl(op.url)}`), (auth) =>
              Effect.map(
                Sources.git(snapshots, op, auth === undefined || op.auth === undefined ? undefined : Git.authOf(op.auth, auth)),
                (r) => {
                  ctx.cached = !r.created
                  return r.path
                }
              )))
        case "Http":
          return once(op.digest, Op.describe(op), () =>
            Effect.flatMap(secretValue(op.auth, `http ${Git.redactUrl(op.url)}`), (auth) => Sources.http(snapshots, op, auth)))
        case "Diff":
          return once(op.digest, Op.describe(op), (ctx) => diff(op, ctx))
        default:
          return Effect.fail(wrongKind(op, "a directory"))
      }
    }

    const dirFile = (op: Extract<Op.Op, { _tag: "DirFile" }>, ctx: RunCtx): Effect.Effect<string, SolveError> =>
      Effect.gen(function*() {
        const [input, sources, owners] = yield* Effect.all([
          snapshot(op.input),
          Effect.forEach(op.actions, (a) => (a._tag === "Copy" ? snapshot(a.source) : Effect.succeed(undefined)), {
            concurrency: "unbounded"
          }),
          Effect.forEach(op.actions, actionOwner, { concurrency: "unbounded" })
        ], { concurrency: "unbounded" })
        const ownerKey = (i: number) => (owners[i] === undefined ? [] : [Owner.format(owners[i])])
        const key = keyOf([
          "dir-file",
          input,
          op.actions.map((a, i) =>
            a._tag === "Mkfile"
              ? ["mkfile", a.path, sha256Hex(a.contents), a.mode, ...ownerKey(i)]
              : a._tag === "Copy"
              ? ["copy", sources[i], a.sourcePath, a.dest, a.include, a.exclude, a.mode ?? null, ...ownerKey(i)]
              : a._tag === "Chown"
              ? ["chown", a.path, ...ownerKey(i)]
              : a
          )
        ])
        const r = yield* snapshots.createWith(key, (dir) =>
          copyContents(input, dir).pipe(
            Effect.zipRight(
              Effect.forEach(op.actions, (a, i) => FileActions.apply(dir, a, sources[i], owners[i]), { discard: true })
            )
          ))
        ctx.cached = !r.created
        return r.path
      })

    /** The snapshot key of an image path read into the store. */
    const extractKey = (imageId: string, imagePath: string) => keyOf(["extract2", imageId, imagePath])

    /**
     * Reads `imagePath` of an image into `dir`, then puts back the image's own files where the container's init layer
     * showed others (below `fixupPath`; none when undefined). `stripped`: `dir` receives the directory's contents, not
     * the directory itself, and keeps the writer's owner (an export).
     */
    const readImagePath = (imageId: string, imagePath: string, dir: string, fixupPath: string | undefined, stripped: boolean) =>
      Effect.gen(function*() {
        const options = stripped ? { stripComponents: 1, sameOwner: false } : {}
        yield* runtime.getArchive(imageId, imagePath, (tar) => Tar.extractTo(tar, dir, options)).pipe(
          Effect.mapError((e) => (e._tag === "ContainerError" ? fromContainer(e) : e))
        )
        if (fixupPath === undefined) return
        const fixups = yield* Effect.mapError(runtime.initLayerPaths(imageId, fixupPath), fromContainer)
        yield* tryFs("read the image's own files at", imagePath, async () => InitLayer.apply(dir, fixupPath, fixups, { stripped }))
      })

    const extract = (op: Extract<Op.Op, { _tag: "Extract" }>, ctx: RunCtx): Effect.Effect<string, SolveError> =>
      Effect.gen(function*() {
        const imageId = yield* image(op.input)
        const rel = yield* relPath(op.path)
        // A trailing "/" asks the runtime to follow a symlink at the path (Container.directory).
        const imagePath = "/" + rel + (rel !== "" && op.path.endsWith("/") ? "/" : "")
        const r = yield* snapshots.createWith(extractKey(imageId, imagePath), (dir) =>
          Effect.gen(function*() {
            // followed through a symlink, the init layer's paths differ: keep what was read
            const throughLink = imagePath.endsWith("/") && imagePath !== "/" &&
              Option.exists(yield* Effect.mapError(runtime.statPath(imageId, "/" + rel), fromContainer), (st) => st.type === "symlink")
            yield* readImagePath(imageId, imagePath, dir, throughLink ? undefined : imagePath, false)
            if (rel !== "" && fs.lstatSync(path.join(dir, path.posix.basename(rel)), { throwIfNoEntry: false }) === undefined) {
              return yield* new DagError({ reason: "PathNotFound", detail: `no such file or directory in the image: ${imagePath}` })
            }
          }))
        ctx.cached = !r.created
        return r.path
      })

    const diff = (op: Extract<Op.Op, { _tag: "Diff" }>, ctx: RunCtx): Effect.Effect<string, SolveError> =>
      Effect.gen(function*() {
        const [lower, upper] = yield* Effect.all([snapshot(op.lower), snapshot(op.upper)], { concurrency: 2 })
        const r = yield* snapshots.createWith(keyOf(["diff", lower, upper]), (dir) =>
          Effect.flatMap(Walk.collect(upper), (entries) =>
            tryFs("diff", upper, async () => Walk.copyEntriesSync(Walk.changedEntries(lower, entries), dir))))
        ctx.cached = !r.created
        return r.path
      })

    const subdir = (op: Extract<Op.Op, { _tag: "Subdir" }>): Effect.Effect<string, SolveError> =>
      Effect.gen(function*() {
        const input = yield* snapshot(op.input)
        const abs = yield* resolveIn(input, yield* relPath(op.path))
        const st = yield* tryFs("stat", op.path, () => fs.promises.stat(abs).catch(() => undefined))
        if (st === undefined) {
          return yield* new DagError({ reason: "PathNotFound", detail: `no such file or directory: ${op.path}` })
        }
        if (!st.isDirectory()) {
          return yield* new DagError({ reason: "PathNotFound", detail: `not a directory: ${op.path}` })
        }
        return abs
      })

    // -----------------------------------------------------------------------------------------------------------
    // execs

    const execResult = (op: Op.Op): Effect.Effect<ExecResult, SolveError> =>
      op._tag === "Exec"
        ? once(op.digest, Op.describe(op), (ctx) =>
          runOrPersist(ctx, op, Effect.gen(function*() {
            yield* explainRun(op, ctx)
            const { result, base } = yield* runExec(op)
            const outputs = Object.values(result.outputs)
            const outBytes = outputs.reduce((n, dir) => n + Walk.treeBytesSync(dir), 0)
            return {
              value: result,
              refs: {
                images: [result.imageId],
                snapshots: outputs.map((p) => path.basename(p)),
                bytes: (yield* ownBytes(result.imageId, base)) + outBytes
              }
            }
          })))
        : Effect.fail(wrongKind(op, "an exec"))

    /** Runs `work` and persists its result, except for execs that must always run (`noCache`). */
    const runOrPersist = (
      ctx: RunCtx,
      op: Extract<Op.Op, { readonly _tag: "Exec" }>,
      work: Effect.Effect<{ readonly value: ExecResult; readonly refs: CacheIndex.Refs }, SolveError>
    ): Effect.Effect<ExecResult, SolveError> =>
      op.meta.nonce !== undefined ? Effect.map(work, (r) => r.value) : persisted(ctx, "exec", op.digest, execCodec, work)

    const mountSource = (root: string, sourcePath: string, kind: "dir" | "file", target: string) =>
      Effect.gen(function*() {
        const abs = yield* resolveIn(root, yield* relPath(sourcePath))
        const st = yield* tryFs("stat", abs, () => fs.promises.stat(abs).catch(() => undefined))
        const shown = sourcePath === "" ? "/" : sourcePath
        if (st === undefined) {
          return yield* new DagError({
            reason: "PathNotFound",
            detail: `mount ${target}: no such file or directory: ${shown}`
          })
        }
        if (kind === "dir" && !st.isDirectory()) {
          return yield* new DagError({ reason: "PathNotFound", detail: `mount ${target}: not a directory: ${shown}` })
        }
        if (kind === "file" && st.isDirectory()) {
          return yield* new DagError({
            reason: "InvalidInput",
            detail: `mount ${target}: ${shown} is a directory, not a file`
          })
        }
        return abs
      })

    /**
     * Records this run's inputs under the exec's site and sets why it ran (against the site's previous record): see
     * `Explain.ts`. Best effort: the index failing here never fails the exec.
     */
    const explainRun = (op: ExecOp, ctx: RunCtx): Effect.Effect<void> =>
      Effect.gen(function*() {
        const current = Explain.recordOf(op)
        if (op.site === undefined) {
          ctx.why = Explain.explain(undefined, current)
          return
        }
        const previous = yield* index.get<Explain.ExecRecord>("site", op.site)
        ctx.why = Explain.explain(Option.getOrUndefined(Option.map(previous, (e) => e.value)), current)
        yield* index.put("site", op.site, current, { images: [], snapshots: [], bytes: 0 })
      }).pipe(Effect.ignore)

    /** An exec result as the cache index keeps it: output snapshots by key, not by path. */
    const execCodec = {
      encode: (r: ExecResult) => ({ ...r, outputs: Object.fromEntries(Object.entries(r.outputs).map(([t, p]) => [t, path.basename(p)])) }),
      decode: (s: ExecResult) => ({ ...s, outputs: Object.fromEntries(Object.entries(s.outputs).map(([t, k]) => [t, snapshots.pathOf(k)])) })
    }

    /**
     * The container of an exec: its rootfs image, its mounts (writable ones as copies, kept until the scope closes;
     * `outputs` names them by target), its cache volumes, env, workdir and user. `combined` collects the output.
     */
    const execSetup = (op: ExecOp, options: { readonly fuse: boolean } = { fuse: false }) =>
      Effect.gen(function*() {
        const meta = op.meta
        const running = yield* FiberRef.get(currentOp)
        const session = yield* FiberRef.get(currentSession)
        const [fused, sources] = yield* Effect.all([
          options.fuse ? fusedRootfs(op) : Effect.succeed(undefined),
          Effect.forEach(op.mounts, (m) => snapshot(m.source), { concurrency: "unbounded" })
        ], { concurrency: "unbounded" })
        const imageId = fused?.base ?? (yield* image(op.rootfs))

        const work = op.mounts.some((m) => !m.readOnly) ? yield* snapshots.scratch("exec") : ""
        const outputs: Array<readonly [string, string]> = []
        const binds = yield* Effect.forEach(op.mounts, (m, i) =>
          Effect.gen(function*() {
            const src = yield* mountSource(sources[i]!, m.sourcePath, m.kind, m.target)
            if (m.readOnly) return { source: src, target: m.target, readOnly: true } satisfies Bind
            const copy = path.join(work, `m${i}`)
            if (m.kind === "dir") {
              yield* copyContents(src, copy)
              outputs.push([m.target, copy])
            } else {
              yield* tryFs("copy", m.sourcePath, async () => {
                await fs.promises.copyFile(src, copy, fs.constants.COPYFILE_FICLONE)
                const st = await fs.promises.stat(src)
                await fs.promises.chown(copy, st.uid, st.gid) // the copy keeps the file's owner (and mode)
                await fs.promises.chmod(copy, st.mode & 0o7777)
              })
            }
            return { source: copy, target: m.target, readOnly: false } satisfies Bind
          }), { concurrency: "unbounded" })

        const cacheBinds = yield* Effect.forEach(meta.caches ?? [], (c) => cacheBind(c), { concurrency: "unbounded" })
        const secrets = yield* execSecrets(op)
        // a secret variable replaces a plain one of the same name
        const plainEnv = meta.env.filter(([k]) => !secrets.env.some(([n]) => n === k))
        const env = plainEnv.map(([k, v]) => `${k}=${v}`)
        if (!plainEnv.some(([k]) => k === "PATH") && !secrets.env.some(([k]) => k === "PATH")) env.push(`PATH=${defaultPath}`)
        const scrub = { stdout: Scrub.stream(secrets.patterns), stderr: Scrub.stream(secrets.patterns) }
        // progress: the output as it comes (scrubbed like the result), as text (a character split between chunks whole)
        const decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") }
        const show = (stream: "stdout" | "stderr", chunk: Buffer, last = false) => {
          const text = last ? decoders[stream].write(chunk) + decoders[stream].end() : decoders[stream].write(chunk)
          if (running === undefined || text === "") return
          pubsub.unsafeOffer({
            digest: running,
            description: Op.describe(op),
            phase: "output",
            cached: false,
            durationMs: 0,
            session,
            output: { stream, text }
          })
        }
        const workdir = meta.workdir === "" ? "/" : meta.workdir
        const spec: RunSpec = {
          image: imageId,
          args: meta.args,
          env,
          workdir,
          user: meta.user,
          binds: [...binds, ...cacheBinds.map((c) => c.bind), ...secrets.binds],
          ...(secrets.env.length > 0 ? { secretEnv: secrets.env.map(([k, v]) => `${k}=${v}`) } : {}),
          commit: true,
          labels: { "dirk.op": op.digest },
          onOutput: (stream, chunk) => {
            if (stream === "stdout" ? meta.redirectStdout === "" : meta.redirectStderr === "") {
              const clean = scrub[stream].push(chunk)
              combined.push(clean)
              show(stream, clean)
            }
          },
          ...(meta.tmpfs.length > 0 ? { tmpfs: meta.tmpfs } : {}),
          ...(meta.tmpfsSize !== undefined ? { tmpfsSize: meta.tmpfsSize } : {}),
          ...(meta.stdin !== "" ? { stdin: meta.stdin } : {}),
          ...(meta.redirectStdin !== undefined && meta.redirectStdin !== ""
            ? { stdinFile: path.posix.resolve("/", workdir, meta.redirectStdin) }
            : {})
        }
        const combined: Array<Buffer> = []
        /** The combined output, scrubbed, once the process has exited. */
        const combinedDone = () => {
          for (const stream of ["stdout", "stderr"] as const) {
            if (stream === "stdout" ? meta.redirectStdout === "" : meta.redirectStderr === "") {
              const tail = scrub[stream].end()
              combined.push(tail)
              show(stream, tail, true)
            }
          }
          return combined
        }
        return {
          spec: fused === undefined ? spec : { ...spec, archives: fused.archives },
          imageId,
          outputs,
          cacheBinds,
          combined: combinedDone,
          patterns: secrets.patterns,
          /** What must hold once the exec ran (the host files it was given did not change meanwhile). */
          afterRun: fused?.check ?? Effect.void
        }
      })

    /**
     * Runs a terminal (a shell attached to the user's terminal) in a container: the session's client is asked (by
     * a progress event carrying the container's id) to attach to it; this waits until it has exited.
     */
    const openTerminal = (description: string, spec: RunSpec): Effect.Effect<number, SolveError> =>
      Effect.flatMap(FiberRef.get(currentSession), (session) => {
        const digest = `terminal:${Date.now()}:${Math.random().toString(36).slice(2)}`
        return track(
          description,
          runtime.runTerminal({ ...spec, commit: false, labels: { ...spec.labels, "dirk.terminal": "1" } }, (containerId) =>
            publish({ digest, description, phase: "start", cached: false, durationMs: 0, session, terminal: { containerId } })
              .pipe(Effect.asVoid))
        ).pipe(Effect.mapError(fromContainer))
      })

    /** A terminal running `args` in the container an exec op would run in (its rootfs, mounts, env, …). */
    const terminal = (op: Op.Op, args: ReadonlyArray<string>): Effect.Effect<number, SolveError> =>
      op._tag !== "Exec"
        ? Effect.fail(wrongKind(op, "an exec"))
        : Effect.scoped(Effect.gen(function*() {
          const setup = yield* execSetup(op)
          const spec = yield* withBindings(op, setup.spec)
          return yield* withCaches(setup.cacheBinds, openTerminal(`terminal ${args.join(" ")}`, { ...spec, args }))
        }))

    /**
     * The plaintext of a secret (by handle; its name for errors) from the session the current fiber works for; a
     * secret the session does not hold fails `use`, naming the secret and where it must be set (the session that
     * `doing`).
     */
    const sessionSecret = (
      s: { readonly secret: string; readonly handle: string },
      use: string,
      doing: string
    ): Effect.Effect<string, DagError> =>
      Effect.flatMap(FiberRef.get(currentSecrets), (lookup) => {
        const value = lookup(s.handle)
        return value !== undefined ? Effect.succeed(value) : Effect.fail(
          new DagError({
            reason: "InvalidInput",
            detail: `${use}: secret ${JSON.stringify(s.secret)} is not available in this session ` +
              `(set it with setSecret or secret() in the session that ${doing})`
          })
        )
      })

    /** The plaintext of a source's credentials, if it has any. */
    const secretValue = (
      auth: { readonly secret: string; readonly handle: string } | undefined,
      use: string
    ): Effect.Effect<string | undefined, DagError> =>
      auth === undefined ? Effect.succeed(undefined) : sessionSecret(auth, use, "fetches it")

    /**
     * The secrets of an exec, looked up in the requesting session: variables, files bound read-only from a private
     * directory on a tmpfs when the host has one (`/dev/shm`), removed when the scope closes, and the scrubbing
     * patterns of their values. A secret the session does not hold fails the exec, naming the secret.
     */
    const execSecrets = (op: ExecOp) =>
      Effect.gen(function*() {
        const env = op.meta.secretEnv ?? []
        const files = op.meta.secretMounts ?? []
        if (env.length === 0 && files.length === 0) {
          return { env: [] as Array<readonly [string, string]>, binds: [] as Array<Bind>, patterns: Scrub.patterns([]) }
        }
        const valueOf = (s: { readonly secret: string; readonly handle: string }, use: string) =>
          sessionSecret(s, use, "runs the exec")
        const envValues = yield* Effect.forEach(env, (e) =>
          Effect.map(valueOf(e, `secret variable ${e.name}`), (v) => [e.name, v] as const))
        const fileValues = yield* Effect.forEach(files, (m) => valueOf(m, `mounted secret ${m.target}`))
        const binds: Array<Bind> = []
        if (files.length > 0) {
          const dir = yield* Effect.acquireRelease(
            tryFs("create", "a secrets directory", () => fs.promises.mkdtemp(SecretFiles.dirPrefix())),
            (d) => Effect.promise(() => fs.promises.rm(d, { recursive: true, force: true }).catch(() => undefined))
          )
          yield* Effect.forEach(files, (m, i) =>
            Effect.gen(function*() {
              const ids = yield* resolveOwner(m.owner)
              const file = path.join(dir, `s${i}`)
              yield* tryFs("write", `the mounted secret ${m.target}`, async () => {
                await fs.promises.writeFile(file, fileValues[i]!, { mode: 0o600 })
                if (ids !== undefined) await fs.promises.chown(file, ids.uid, ids.gid)
                await fs.promises.chmod(file, m.mode)
              })
              binds.push({ source: file, target: m.target, readOnly: true })
            }), { discard: true })
        }
        return { env: envValues, binds, patterns: Scrub.patterns([...envValues.map(([, v]) => v), ...fileValues]) }
      })
    // -----------------------------------------------------------------------------------------------------------
    // services

    const services = yield* Services.make({
      runtime,
      containerSpec: (op) =>
        op._tag !== "Exec"
          ? Effect.fail(wrongKind(op, "an exec"))
          : op.meta.args.length === 0
          ? Effect.fail(new DagError({ reason: "NoCommand", detail: "the service has no command (set asService's args, or the container's default args or entrypoint)" }))
          : Effect.map(execSetup(op), (s): RunSpec => ({
            ...s.spec,
            // the values of its secrets never show in errors that quote its output
            redact: (text) => Scrub.scrubString(s.patterns, text)
          })),
      graceMs: Math.max(0, serviceGrace * 1000),
      healthTimeoutMs: Math.max(1, serviceTimeout * 1000)
    })

    /** An exec's run spec on the session's network with its bound services running (held by the scope). */
    const withBindings = (op: ExecOp, spec: RunSpec): Effect.Effect<RunSpec, SolveError, Scope.Scope> =>
      op.meta.services === undefined || op.meta.services.length === 0
        ? Effect.succeed(spec)
        : Effect.flatMap(FiberRef.get(currentSession), (session) =>
          Effect.map(services.bind(session, op.meta.services!), (b): RunSpec => ({
            ...spec,
            network: { name: b.network },
            extraHosts: b.extraHosts
          })))

    const runExec = (op: ExecOp): Effect.Effect<{ readonly result: ExecResult; readonly base: string }, SolveError> =>
      Effect.scoped(Effect.gen(function*() {
        const meta = op.meta
        if (meta.args.length === 0) {
          return yield* new DagError({ reason: "NoCommand", detail: "no command has been set" })
        }
        const setup = yield* execSetup(op, { fuse: true })
        const { afterRun, cacheBinds, combined, imageId, outputs, patterns } = setup
        const spec = yield* withBindings(op, setup.spec)
        const workdir = spec.workdir
        const result = yield* withCaches(cacheBinds, pool.withPermits(1)(runtime.run(spec))).pipe(
          Effect.mapError((e) => unknownUser(e, meta.user) ?? fromContainer(e))
        )
        yield* afterRun
        // secrets' values never leave the exec: output, errors, redirect files and the cache hold `***` instead
        const stdout = Scrub.scrub(patterns, result.stdout).toString("utf8")
        const stderr = Scrub.scrub(patterns, result.stderr).toString("utf8")
        if (!exitCodeAllowed(meta.expect, result.exitCode)) {
          // -i: a shell in the failed container (its changes, its mounts) before the failure is reported
          if (result.imageId !== undefined && (yield* FiberRef.get(currentInteractive)).debugFailures) {
            yield* openTerminal(`terminal in the failed exec ${meta.args.join(" ")}`, {
              ...spec,
              archives: [],
              image: result.imageId,
              args: debugShell
            }).pipe(Effect.ignore)
          }
          return yield* new ExecError({
            cmd: meta.args,
            exitCode: result.exitCode,
            stdout: stdout.trim(),
            stderr: stderr.trim()
          })
        }
        if (result.imageId === undefined) {
          return yield* new DagError({
            reason: "Runtime",
            detail: `the runtime did not commit the container of ${Op.describe(op)}`
          })
        }

        // Redirected streams become files in the committed rootfs.
        const redirects: Array<readonly [string, string]> = []
        if (meta.redirectStdout !== "") redirects.push([meta.redirectStdout, stdout])
        if (meta.redirectStderr !== "") redirects.push([meta.redirectStderr, stderr])
        let finalImage = result.imageId
        if (redirects.length > 0) {
          const items = yield* Effect.forEach(redirects, ([p, contents]) =>
            Effect.map(relPath(p.startsWith("/") ? p : path.posix.join("/", workdir, p)), (name): Tar.Item => ({
              type: "file",
              name,
              mode: 0o644,
              mtime: new Date(),
              data: Buffer.from(contents)
            })))
          finalImage = yield* runtime.putArchives(result.imageId, [{ path: "/", tar: () => Tar.pack(items), layer: Tar.layerInfo(items) }]).pipe(
            Effect.mapError(fromContainer)
          )
        }

        const published = yield* Effect.forEach(outputs, ([target, dir]) =>
          Effect.map(snapshots.adopt(mountOutputKey(op.digest, target), dir), (p) => [target, p] as const))

        const execResult: ExecResult = {
          imageId: finalImage,
          exitCode: result.exitCode,
          stdout: meta.redirectStdout !== "" ? "" : stdout,
          stderr: meta.redirectStderr !== "" ? "" : stderr,
          combinedOutput: combinedText(combined(), meta.redirectStdout !== "" ? "" : stdout, meta.redirectStderr !== "" ? "" : stderr),
          outputs: Object.fromEntries(published)
        }
        return { result: execResult, base: imageId }
      }))

    // -----------------------------------------------------------------------------------------------------------
    // cache volumes

    /** Per cache key: a lock (LOCKED) and the PRIVATE volumes in use. */
    const cacheLocks = new Map<string, Effect.Semaphore>()
    const privateInUse = new Map<string, Set<number>>()
    const lockOf = (key: string) => {
      let lock = cacheLocks.get(key)
      if (lock === undefined) {
        lock = Effect.unsafeMakeSemaphore(1)
        cacheLocks.set(key, lock)
      }
      return lock
    }

    interface CacheBind {
      readonly bind: Bind
      readonly cache: Op.ExecCache
      /** For PRIVATE: the index of the volume taken (released after the run). */
      readonly slot?: number
    }

    const cacheBind = (mounted: Op.ExecCache): Effect.Effect<CacheBind, SolveError> =>
      Effect.gen(function*() {
        // The owner resolved to numbers (names in the container's rootfs at withMountedCache) names the volume.
        const ids = yield* resolveOwner(mounted.owner === "" ? undefined : { spec: mounted.owner, names: mounted.ownerNames })
        const { ownerNames: _, ...rest } = mounted
        const c: Op.ExecCache = { ...rest, owner: ids === undefined ? "" : Owner.format(ids) }
        const root = c.source !== undefined ? yield* snapshot(c.source) : undefined
        const source = root !== undefined ? { root, entries: yield* Walk.collect(root) } : undefined
        let slot: number | undefined
        if (c.sharing === "PRIVATE") {
          const used = privateInUse.get(c.key) ?? new Set<number>()
          privateInUse.set(c.key, used)
          slot = 0
          while (used.has(slot)) slot++
          used.add(slot)
        }
        const name = CacheVolumes.volumeName(c, slot ?? 0)
        const init = CacheVolumes.init(c, source)
        return {
          bind: {
            source: name,
            target: c.target,
            readOnly: false,
            volume: { labels: { "dirk.cache": c.key.slice(0, 200) }, ...(init !== undefined ? { init } : {}) }
          },
          cache: c,
          ...(slot !== undefined ? { slot } : {})
        } satisfies CacheBind
      })

    /** Runs `effect` holding the LOCKED caches' locks; releases PRIVATE volumes afterwards. */
    const withCaches = <A, E>(binds: ReadonlyArray<CacheBind>, effect: Effect.Effect<A, E>): Effect.Effect<A, E> => {
      const locked = [...new Set(binds.filter((b) => b.cache.sharing === "LOCKED").map((b) => b.cache.key))].sort()
      const run = locked.reduceRight<Effect.Effect<A, E>>((inner, key) => lockOf(key).withPermits(1)(inner), effect)
      return Effect.ensuring(
        run,
        Effect.sync(() => {
          for (const b of binds) if (b.slot !== undefined) privateInUse.get(b.cache.key)?.delete(b.slot)
        })
      )
    }

    /**
     * Writes a directory of a container's rootfs (`Subdir(Extract(rootfs, path))`, not yet read into the snapshot
     * store) straight to `dest`, a new directory on the host: one copy instead of two (image → snapshot → host).
     * Files get the writer's owner and keep their modes and times, as `export` does. `false` (nothing written) when
     * the op is not such a directory or its snapshot exists already: the caller copies from the snapshot then.
     */
    const exportNew = (op: Op.Op, dest: string): Effect.Effect<boolean, SolveError> =>
      Effect.gen(function*() {
        if (op._tag !== "Subdir" || op.input._tag !== "Extract") return false
        const ex = op.input
        const rel = yield* relPath(ex.path)
        if (rel === "" || op.path !== path.posix.basename(rel)) return false
        const imageId = yield* image(ex.input)
        const imagePath = "/" + rel + (ex.path.endsWith("/") ? "/" : "")
        if (yield* snapshots.exists(extractKey(imageId, imagePath))) return false
        // through a symlink the init layer's paths differ: leave that to the snapshot path
        const st = yield* Effect.mapError(runtime.statPath(imageId, "/" + rel), fromContainer)
        if (Option.isNone(st) || st.value.type !== "dir") return false
        const tmp = `${dest}.dirk-${process.pid}-${Date.now()}.tmp`
        return yield* Effect.acquireUseRelease(
          tryFs("create", tmp, () => fs.promises.mkdir(tmp)),
          () =>
            Effect.gen(function*() {
              yield* readImagePath(imageId, imagePath, tmp, "/" + rel, true)
              yield* tryFs("export to", dest, () => fs.promises.rename(tmp, dest))
              return true
            }),
          () => tryFs("clean", tmp, () => fs.promises.rm(tmp, { recursive: true, force: true })).pipe(Effect.ignore)
        )
      })

    /** Stats a path in a rootfs (the last component is not followed); `None` when nothing is there. */
    const statPath = (op: Op.Op, p: string): Effect.Effect<Option.Option<PathStat>, SolveError> =>
      Effect.flatMap(image(op), (imageId) => Effect.mapError(runtime.statPath(imageId, p), fromContainer))

    const exec = Effect.fn("Solver.exec")(function*(op: Op.Op) {
      const r = yield* execResult(op)
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr } satisfies ExecOutcome
    }) as (op: Op.Op) => Effect.Effect<ExecOutcome, SolveError>

    /** Publishes start and end progress events around work that is not an op (a module function call). */
    const track = <A, E, R>(description: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      Effect.flatMap(Effect.all([Clock.currentTimeMillis, FiberRef.get(currentSession), FiberRef.get(currentOp)]), ([start, session, parent]) => {
        const digest = `track:${start}:${Math.random().toString(36).slice(2)}`
        const from = parent !== undefined ? { parent } : {}
        return publish({ digest, description, phase: "start", cached: false, durationMs: 0, session, ...from }).pipe(
          Effect.zipRight(effect.pipe(
            Effect.locally(currentOp, digest),
            Tracing.opSpan(description, digest, session),
            Effect.withTracer(tracer)
          )),
          Effect.onExit((exit) =>
            Effect.flatMap(Clock.currentTimeMillis, (end) =>
              publish({
                digest,
                description,
                phase: "end",
                cached: false,
                durationMs: end - start,
                session,
                ...from,
                ...(Exit.isFailure(exit) ? { error: errorText(exit.cause) } : {})
              })
            )
          )
        )
      })

    /** A subscription to progress events (for consumers that must not miss events published after this returns). */
    const subscribe: Effect.Effect<Queue.Dequeue<ProgressEvent>, never, Scope.Scope> = PubSub.subscribe(pubsub)

    /** Progress events; each run of the stream is its own subscription. */
    const events: Stream.Stream<ProgressEvent> = Stream.fromPubSub(pubsub)

    return {
      image: Effect.fn("Solver.image")(image) as (op: Op.Op) => Effect.Effect<string, SolveError>,
      snapshot: Effect.fn("Solver.snapshot")(snapshot) as (op: Op.Op) => Effect.Effect<string, SolveError>,
      exec,
      exportNew: Effect.fn("Solver.exportNew")(exportNew) as (op: Op.Op, dest: string) => Effect.Effect<boolean, SolveError>,
      statPath: Effect.fn("Solver.statPath")(statPath) as (
        op: Op.Op,
        p: string
      ) => Effect.Effect<Option.Option<PathStat>, SolveError>,
      terminal: Effect.fn("Solver.terminal")(terminal) as (op: Op.Op, args: ReadonlyArray<string>) => Effect.Effect<number, SolveError>,
      execResult: Effect.fn("Solver.execResult")(execResult) as (op: Op.Op) => Effect.Effect<ExecResult, SolveError>,
      resolveImage,
      dockerBuild: Effect.fn("Solver.dockerBuild")(dockerBuild) as (
        op: Op.Op
      ) => Effect.Effect<ResolvedImage, SolveError>,
      events,
      subscribe,
      track,
      /** Services of the session on whose behalf the current fiber works (`currentSession`). */
      services: {
        start: (spec: Op.ServiceSpec) =>
          Effect.flatMap(FiberRef.get(currentSession), (session) => services.start(session, spec)),
        stop: (digest: string, kill: boolean) =>
          Effect.flatMap(FiberRef.get(currentSession), (session) => services.stop(session, digest, kill)),
        up: (
          spec: Op.ServiceSpec,
          forwards: ReadonlyArray<Op.PortForward & { readonly frontend: number }>,
          onReady: Parameters<Services.Services["up"]>[3]
        ) => Effect.flatMap(FiberRef.get(currentSession), (session) => services.up(session, spec, forwards, onReady)),
        /** A loopback port of the engine's host forwarding to a port of the service (held by the scope). */
        forward: (spec: Op.ServiceSpec, port: number) =>
          Effect.flatMap(FiberRef.get(currentSession), (session) => services.forward(session, spec, port)),
        /** Stops every service of a session and removes its network (the session has ended). */
        endSession: services.endSession
      },
      forget,
      /** Registers what frees disk space when an op runs out of it (the engine's GC). */
      onDiskFull: (free: (attempt: 1 | 2) => Effect.Effect<{ readonly freedBytes: number; readonly remainingBytes: number }>) => {
        diskFull = free
      },
      lastUsed: {
        op: (digest: string): number | undefined => used.ops.get(digest),
        snapshot: (key: string): number | undefined => used.snapshots.get(key)
      }
    } as const
  }),
  dependencies: [Snapshots.Default, HostSync.Default, CacheIndex.CacheIndex.Default]
}) {}
