/**
 * Function cache policies (`Function.withCachePolicy`): how long a function's result may be reused.
 *
 * - `Default`: reused by every session of the engine, for `timeToLive` when one is set (a Go duration such as "10m",
 *   at most a week), else for the life of the engine (results that hold no object also survive a restart: the cache
 *   index's "call" entries); `dagger.json`'s `disableDefaultFunctionCaching` turns it into `PerSession`;
 * - `PerSession`: reused within the session that computed it;
 * - `Never`: every call runs the function.
 */
import { Either } from "effect"
import type * as Model from "./Model.js"

/**
 * The longest time-to-live a function may ask for.
 *
 * @category constants
 */
export const maxTimeToLive = 7 * 24 * 3600 * 1000

const units: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000
}

/**
 * Parses a Go duration (`time.ParseDuration`: `300ms`, `1.5h`, `2h45m`, `0`) into milliseconds.
 *
 * @category parsing
 */
export const parseDuration = (text: string): Either.Either<number, string> => {
  const s = text.trim()
  if (s === "0") return Either.right(0)
  if (s === "") return Either.left("an empty duration")
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y
  let total = 0
  let at = 0
  while (at < s.length) {
    part.lastIndex = at
    const m = part.exec(s)
    if (m === null) return Either.left(`"${text}" is not a duration (e.g. "30s", "10m", "1h30m")`)
    total += Number(m[1]) * units[m[2]!]!
    at = part.lastIndex
  }
  return Either.right(total)
}

/**
 * What a call of a function may reuse.
 *
 * @category models
 */
export type Effective =
  | { readonly _tag: "Default"; readonly timeToLive: number | undefined }
  | { readonly _tag: "PerSession" }
  | { readonly _tag: "Never" }

/**
 * The policy a function's calls follow (a `timeToLive` was checked when the function was declared).
 *
 * @category constructors
 */
export const effective = (fn: Model.FunctionData, disableDefaultFunctionCaching: boolean): Effective => {
  switch (fn.cachePolicy) {
    case "Never":
      return { _tag: "Never" }
    case "PerSession":
      return { _tag: "PerSession" }
    case "Default": {
      if (disableDefaultFunctionCaching) return { _tag: "PerSession" }
      const ttl = fn.timeToLive === undefined || fn.timeToLive === "" ? undefined : parseDuration(fn.timeToLive)
      return { _tag: "Default", timeToLive: ttl === undefined || Either.isLeft(ttl) ? undefined : ttl.right }
    }
  }
}

/**
 * Whether a result of this policy names the same value for as long as the engine runs, so the engine may memoize
 * objects built from it by their call (a `Default` policy without a time-to-live).
 *
 * @category guards
 */
export const isStable = (policy: Effective): boolean => policy._tag === "Default" && policy.timeToLive === undefined

/**
 * Checks a `withCachePolicy(timeToLive:)` value: a Go duration, positive, at most a week.
 *
 * @category parsing
 */
export const checkTimeToLive = (text: string): Either.Either<number, string> =>
  Either.flatMap(parseDuration(text), (ms) =>
    ms <= 0
      ? Either.left(`"${text}" is not a positive duration`)
      : ms > maxTimeToLive
      ? Either.left(`"${text}" is longer than a week, the longest a result may be cached`)
      : Either.right(ms))

/**
 * Whether values of this type hold no object (scalars, enums, void, and lists of them): such results can be kept
 * across engine restarts, since they name nothing the engine would have to rebuild.
 *
 * @category guards
 */
export const isPlain = (t: Model.TypeDefData): boolean =>
  t.kind === "LIST_KIND" ? t.asList !== undefined && isPlain(t.asList.elementTypeDef) : !["OBJECT_KIND", "INTERFACE_KIND", "INPUT_KIND"].includes(t.kind)
