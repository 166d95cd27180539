/**
 * One engine per state dir. An engine (the daemon or an embedded one) takes the state dir when it starts:
 *
 * - the dir must be a dirk state dir: empty or new (it is then marked with `dirk-state.json`), or marked with a
 *   format this engine knows; anything else (another program's files, a newer format) is refused with a message
 *   and never wiped;
 * - `engine.lock/` (made with `mkdir`, which is atomic) holds the owner's pid and the start time of that process; a
 *   second engine is refused while the owner lives; the lock of a dead owner (crash, `kill -9`) is taken over.
 */
import { Effect, Schema, type Scope } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"

/** The state dir's format (bump when the layout changes incompatibly). */
export const format = 1

const markerName = "dirk-state.json"
const lockName = "engine.lock"

/** What an older dirk left in a state dir before it was marked: accepted and marked. */
const known = new Set(["snapshots", "tmp", "npm", "cache", "engine.sock", "engine.log", lockName, markerName])

/**
 * @category errors
 */
export class StateDirError extends Schema.TaggedError<StateDirError>()("StateDirError", {
  reason: Schema.Literal("Foreign", "Locked", "Io"),
  detail: Schema.String
}) {
  override get message(): string {
    return this.detail
  }
}

/**
 * Who holds a state dir.
 *
 * @category models
 */
export interface Holder {
  readonly pid: number
  /** The holder process's start time (clock ticks since boot, from /proc), to tell a reused pid apart. */
  readonly start: string
}

/**
 * The start time of process `pid` (field 22 of /proc/pid/stat), or undefined when no such process runs (a zombie
 * does not).
 */
export const processStart = (pid: number): string | undefined => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    // the command name (field 2) is in parentheses and may hold spaces: split after its closing parenthesis
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    // a zombie (dead, not reaped yet by its parent) holds nothing
    return fields[0] === "Z" ? undefined : fields[19]
  } catch {
    return undefined
  }
}

/**
 * The live holder of `stateDir`'s lock, if any.
 *
 * @category getters
 */
export const holder = (stateDir: string): Holder | undefined => {
  const h = readHolder(path.join(stateDir, lockName))
  return h !== undefined && processStart(h.pid) === h.start ? h : undefined
}

const readHolder = (lockDir: string): Holder | undefined => {
  try {
    const [pid, start] = fs.readFileSync(path.join(lockDir, "owner"), "utf8").trim().split(" ")
    const n = Number(pid)
    return Number.isInteger(n) && n > 0 && start !== undefined ? { pid: n, start } : undefined
  } catch {
    return undefined
  }
}

const io = (what: string, e: unknown) =>
  new StateDirError({ reason: "Io", detail: `${what}: ${e instanceof Error ? e.message : String(e)}` })

/** Checks (and on first use marks) that `stateDir` is a dirk state dir. */
const checkMarker = (stateDir: string): Effect.Effect<void, StateDirError> =>
  Effect.try({
    try: () => {
      fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 })
      const marker = path.join(stateDir, markerName)
      if (fs.existsSync(marker)) {
        let f: unknown
        try {
          f = (JSON.parse(fs.readFileSync(marker, "utf8")) as { format?: unknown }).format
        } catch {
          f = undefined
        }
        if (f === format) return undefined
        return new StateDirError({
          reason: "Foreign",
          detail: `${stateDir} holds dirk state of format ${JSON.stringify(f ?? null)}, and this dirk reads format ${format}: ` +
            `use another DIRK_STATE_DIR, or remove that directory yourself`
        })
      }
      const foreign = fs.readdirSync(stateDir).filter((n) => !known.has(n))
      if (foreign.length > 0) {
        return new StateDirError({
          reason: "Foreign",
          detail: `${stateDir} is not a dirk state directory (it holds ${foreign.slice(0, 5).join(", ")}` +
            `${foreign.length > 5 ? ", …" : ""} and no ${markerName}): set DIRK_STATE_DIR to an empty or new directory`
        })
      }
      const tmp = `${marker}.${process.pid}.tmp`
      fs.writeFileSync(tmp, JSON.stringify({ format }) + "\n")
      fs.renameSync(tmp, marker)
      return undefined
    },
    catch: (e) => io(`cannot use the state directory ${stateDir}`, e)
  }).pipe(Effect.flatMap((e) => (e === undefined ? Effect.void : Effect.fail(e))))

/** Takes the lock, or says who holds it. */
const tryLock = (stateDir: string): StateDirError | undefined => {
  const lockDir = path.join(stateDir, lockName)
  const me: Holder = { pid: process.pid, start: processStart(process.pid) ?? "0" }
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.mkdirSync(lockDir)
      fs.writeFileSync(path.join(lockDir, "owner"), `${me.pid} ${me.start}\n`)
      return undefined
    } catch (e) {
      if ((e as { code?: string }).code !== "EEXIST") return io(`cannot lock ${stateDir}`, e)
    }
    const h = readHolder(lockDir)
    if (h === undefined) {
      // being written by its owner right now, or left half-made by a crash: a moment, then look again
      const age = Date.now() - (fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? 0)
      if (age < 2000) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100)
        continue
      }
    } else if (processStart(h.pid) === h.start) {
      return new StateDirError({
        reason: "Locked",
        detail: `another dirk engine (pid ${h.pid}) uses the state directory ${stateDir}: connect to it ` +
          `(DIRK_ENGINE=unix://${path.join(stateDir, "engine.sock")}), stop it (dirk engine stop), or use another DIRK_STATE_DIR`
      })
    }
    // the owner is dead: move its lock aside (only one of several racing engines wins the rename), then retry
    const aside = `${lockDir}.stale.${process.pid}`
    try {
      fs.renameSync(lockDir, aside)
      const moved = readHolder(aside)
      if (moved !== undefined && h !== undefined && (moved.pid !== h.pid || moved.start !== h.start)) {
        // we moved a fresh lock another engine had just taken: give it back
        fs.renameSync(aside, lockDir)
        continue
      }
      fs.rmSync(aside, { recursive: true, force: true })
    } catch {
      // someone else moved it first
    }
  }
  return new StateDirError({ reason: "Locked", detail: `cannot lock the state directory ${stateDir} (busy)` })
}

/**
 * Takes `stateDir` for this process until the scope closes.
 *
 * @category constructors
 */
export const acquire = (stateDir: string): Effect.Effect<void, StateDirError, Scope.Scope> =>
  Effect.acquireRelease(
    checkMarker(stateDir).pipe(
      Effect.zipRight(Effect.suspend(() => {
        const e = tryLock(stateDir)
        return e === undefined ? Effect.void : Effect.fail(e)
      }))
    ),
    () =>
      Effect.sync(() => {
        const lockDir = path.join(stateDir, lockName)
        const h = readHolder(lockDir)
        if (h?.pid === process.pid) fs.rmSync(lockDir, { recursive: true, force: true })
      })
  )
