/**
 * dirk's own options of `dirk call` (`-m/--mod`, `-o/--output`, `-j/--json`, `-q/--quiet`, `-i/--interactive`,
 * `-h/--help`), read from
 * the same words as the module's flags.
 *
 * Rule (Dagger issue #7032: arguments named like these options must still work): a long flag `--name` belongs to
 * the function it follows (the module's constructor before the first function name) when that function has an
 * argument `name`; otherwise it is dirk's option of that name. Short forms (`-o PATH`, `-jq`) are always dirk's,
 * anywhere, since module flags are never short. `-m/--mod` is read before the module is loaded, so it has to come
 * first (`leading`); `CallCommand` fails when the full parse disagrees with it.
 */
import { Either } from "effect"
import { type CliError, usage } from "./CliError.js"
import * as Scalars from "./Scalars.js"

/**
 * dirk's options as given (`undefined`: not given).
 *
 * @category models
 */
export interface CallOptions {
  readonly mod: string | undefined
  readonly output: string | undefined
  readonly json: boolean
  readonly quiet: boolean
  readonly help: boolean
  /** `--explain-cache`: progress says why each op that ran was not served from the cache. */
  readonly explainCache: boolean
  /** `-i/--interactive`: a terminal in the container of an exec that fails. */
  readonly interactive: boolean
  /** `--progress=auto|plain|tty` (docs/progress.md). */
  readonly progress: "auto" | "plain" | "tty" | undefined
  /** `-v/--verbose`: every op in the progress. */
  readonly verbose: boolean
  /** `--debug`: engine internals in the progress too. */
  readonly debug: boolean
  /** `--graph PATH`: an SVG picture of the run. */
  readonly graph: string | undefined
}

/**
 * No option given.
 *
 * @category constructors
 */
export const empty: CallOptions = {
  mod: undefined,
  output: undefined,
  json: false,
  quiet: false,
  help: false,
  explainCache: false,
  interactive: false,
  progress: undefined,
  verbose: false,
  debug: false,
  graph: undefined
}

/**
 * The long names of dirk's options.
 *
 * @category models
 */
export const longNames: ReadonlyArray<string> = [
  "mod",
  "output",
  "json",
  "quiet",
  "help",
  "explain-cache",
  "interactive",
  "progress",
  "verbose",
  "debug",
  "graph"
]

type Name =
  | "mod"
  | "output"
  | "json"
  | "quiet"
  | "help"
  | "explain-cache"
  | "interactive"
  | "progress"
  | "verbose"
  | "debug"
  | "graph"

const shortNames: Record<string, "mod" | "output" | "json" | "quiet" | "help" | "interactive" | "verbose"> = {
  m: "mod",
  o: "output",
  j: "json",
  q: "quiet",
  h: "help",
  i: "interactive",
  v: "verbose"
}

/**
 * The modes `--progress` takes.
 *
 * @category models
 */
export const progressModes: ReadonlyArray<string> = ["auto", "plain", "tty"]

const progressMode = (value: string): Either.Either<"auto" | "plain" | "tty", CliError> =>
  progressModes.includes(value)
    ? Either.right(value as "auto" | "plain" | "tty")
    : Either.left(usage(`invalid value "${value}" for --progress (use auto, plain or tty)`))

/**
 * The result of reading one option: the index of the next word and the options updated.
 *
 * @category models
 */
export interface Read {
  readonly next: number
  readonly options: CallOptions
}

const withValue = (options: CallOptions, name: Name, value: string | boolean): CallOptions => ({
  ...options,
  [name === "explain-cache" ? "explainCache" : name]: value
})

/**
 * Reads dirk's long option `--name` / `--name=value` at `words[i]` (the caller has checked that `name` is one of
 * `longNames` and is not an argument of the current function). Boolean options take no separate value
 * (`--json=false` is allowed); `--mod` and `--output` take the next word when there is no `=value`.
 *
 * @category combinators
 */
export const readLong = (
  words: ReadonlyArray<string>,
  i: number,
  name: string,
  inline: string | undefined,
  options: CallOptions
): Either.Either<Read, CliError> => {
  if (name === "mod" || name === "output" || name === "graph" || name === "progress") {
    const value = inline ?? words[i + 1]
    if (value === undefined) return Either.left(usage(`flag needs an argument: --${name}`))
    const next = inline !== undefined ? i + 1 : i + 2
    if (name === "progress") return Either.map(progressMode(value), (mode) => ({ next, options: { ...options, progress: mode } }))
    return Either.right({ next, options: withValue(options, name, value) })
  }
  if (
    name === "json" || name === "quiet" || name === "help" || name === "explain-cache" || name === "interactive" ||
    name === "verbose" || name === "debug"
  ) {
    if (inline === undefined) return Either.right({ next: i + 1, options: withValue(options, name, true) })
    const parsed = Scalars.parseScalar({ _tag: "Boolean" }, inline)
    if (Either.isLeft(parsed) || parsed.right._tag !== "Value") {
      return Either.left(usage(`invalid value "${inline}" for dirk's --${name} (use true or false)`))
    }
    return Either.right({ next: i + 1, options: withValue(options, name, parsed.right.value === true) })
  }
  return Either.left(usage(`unknown flag --${name}`))
}

/**
 * Reads dirk's short options at `words[i]`: `-q`, `-jq`, `-o PATH`, `-oPATH`, `-o=PATH`. `undefined` when the word
 * holds a letter that is not one of dirk's short options (the caller reports it).
 *
 * @category combinators
 */
export const readShort = (
  words: ReadonlyArray<string>,
  i: number,
  options: CallOptions
): Either.Either<Read, CliError> | undefined => {
  const word = words[i]!
  let current = options
  for (let k = 1; k < word.length; k++) {
    const name = shortNames[word[k]!]
    if (name === undefined) return undefined
    if (name === "mod" || name === "output") {
      const rest = word.slice(k + 1)
      if (rest !== "") {
        return Either.right({ next: i + 1, options: withValue(current, name, rest.startsWith("=") ? rest.slice(1) : rest) })
      }
      const value = words[i + 1]
      if (value === undefined) return Either.left(usage(`flag needs an argument: -${word[k]}`))
      return Either.right({ next: i + 2, options: withValue(current, name, value) })
    }
    current = withValue(current, name, true)
  }
  return Either.right({ next: i + 1, options: current })
}

/**
 * What can be known before the module is loaded: the options at the start of the words (up to the first word that
 * is not one of dirk's options), and whether help or quiet was asked for anywhere (used only to hide progress).
 *
 * @category combinators
 */
export const leading = (words: ReadonlyArray<string>): CallOptions => {
  let options = empty
  let i = 0
  while (i < words.length) {
    const word = words[i]!
    let read: Either.Either<Read, CliError> | undefined
    if (word.startsWith("--") && word.length > 2) {
      const body = word.slice(2)
      const eq = body.indexOf("=")
      const name = eq === -1 ? body : body.slice(0, eq)
      if (longNames.includes(name)) read = readLong(words, i, name, eq === -1 ? undefined : body.slice(eq + 1), options)
    } else if (word.startsWith("-") && word.length > 1 && word !== "--") {
      read = readShort(words, i, options)
    }
    if (read === undefined || Either.isLeft(read)) break
    options = read.right.options
    i = read.right.next
  }
  const stop = words.indexOf("--")
  const before = stop === -1 ? words : words.slice(0, stop)
  return {
    ...options,
    help: options.help || before.some((w) => w === "--help" || w === "-h"),
    quiet: options.quiet || before.some((w) => w === "--quiet" || w === "-q"),
    explainCache: options.explainCache || before.some((w) => w === "--explain-cache"),
    interactive: options.interactive || before.some((w) => w === "--interactive" || w === "-i"),
    verbose: options.verbose || before.some((w) => w === "--verbose" || w === "-v"),
    debug: options.debug || before.some((w) => w === "--debug"),
    progress: options.progress ?? valueAnywhere(before, "progress", progressModes),
    graph: options.graph ?? valueAnywhere(before, "graph")
  }
}

/** The value of `--name=V` or `--name V` anywhere in `words` (one of `allowed`, when given). */
const valueAnywhere = <A extends string>(
  words: ReadonlyArray<string>,
  name: string,
  allowed?: ReadonlyArray<string>
): A | undefined => {
  for (let i = words.length - 1; i >= 0; i--) {
    const word = words[i]!
    const value = word.startsWith(`--${name}=`) ? word.slice(name.length + 3) : word === `--${name}` ? words[i + 1] : undefined
    if (value !== undefined && (allowed === undefined || allowed.includes(value))) return value as A
  }
  return undefined
}
