/**
 * The part of `dirk call` known only at run time: the words after the static options are split into a chain of
 * function calls (the functions of the module's main object, then of each returned object type), and each call's
 * flags are parsed by a command built with @effect/cli from the function's arguments.
 *
 * Flag mapping: Dagger spells every argument `--kebab-name`, also one-letter ones (`--a`), while @effect/cli turns
 * a one-letter option name into a short flag `-a` and reserves `--help`, `--version`, `--wizard`, `--completions`
 * and `--log-level`. So the @effect/cli option of argument `x` is named `arg-<kebab(x)>` (`optionName`), and the
 * user's `--x value` / `--x=value` is rewritten to `--arg-x value` before parsing. Help text comes from the
 * typedefs (`functionHelp`), with the user's spelling. dirk's own options are read from the same words
 * (`CallOptions`): a function's own `--output` wins over dirk's.
 */
import { CliConfig, CommandDescriptor, HelpDoc, Options } from "@effect/cli"
import type { FileSystem, Path, Terminal } from "@effect/platform"
import { Effect, Either, Option } from "effect"
import * as CallOptions from "./CallOptions.js"
import { type CliError, usage } from "./CliError.js"
import * as Naming from "./Naming.js"
import * as Output from "./Output.js"
import * as Scalars from "./Scalars.js"
import * as Suggest from "./Suggest.js"
import * as TypeInfo from "./TypeInfo.js"

/**
 * One call of the chain with its parsed argument values (unset optional flags are absent).
 *
 * @category models
 */
export interface PlannedCall {
  readonly spec: TypeInfo.FunctionSpec
  readonly values: ReadonlyArray<{ readonly arg: TypeInfo.ArgSpec; readonly value: Scalars.ArgValue }>
}

/**
 * @category models
 */
export type Plan =
  | { readonly _tag: "Help"; readonly text: string; readonly options: CallOptions.CallOptions }
  /** `calls[0]` is the module constructor (root field). */
  | { readonly _tag: "Call"; readonly calls: ReadonlyArray<PlannedCall>; readonly options: CallOptions.CallOptions }

/**
 * The @effect/cli option name used for an argument.
 *
 * @category combinators
 */
export const optionName = (arg: TypeInfo.ArgSpec): string => `arg-${arg.flag}`

interface Segment {
  readonly spec: TypeInfo.FunctionSpec
  /** Command words that led here (for help). */
  readonly path: ReadonlyArray<string>
  /** Raw values per argument name, in order given. */
  readonly raw: Map<string, Array<string>>
  readonly order: Array<TypeInfo.ArgSpec>
}

const findArg = (spec: TypeInfo.FunctionSpec, name: string): TypeInfo.ArgSpec | undefined => {
  const wanted = Naming.kebab(name)
  return spec.args.find((a) => a.flag === wanted)
}

const findFunction = (
  functions: ReadonlyArray<TypeInfo.FunctionSpec>,
  word: string
): TypeInfo.FunctionSpec | undefined => {
  const wanted = Naming.kebab(word)
  return functions.find((f) => f.command === wanted)
}

const commandOf = (module: TypeInfo.ModuleSchema): string => module.command ?? "dirk call"

const whereIn = (module: TypeInfo.ModuleSchema) => (segment: Segment): string =>
  segment.path.length === 0 ? commandOf(module) : `"${segment.path[segment.path.length - 1]}"`

/**
 * Splits the words into calls and reads dirk's own options among them (`CallOptions`: a long flag goes to the
 * current function when it has an argument of that name, else to dirk). Fails with a usage error naming the
 * unknown flag or function. A scalar flag given twice keeps the last value; a list flag accumulates.
 */
const segment = (
  module: TypeInfo.ModuleSchema,
  words: ReadonlyArray<string>
): Either.Either<{ readonly segments: ReadonlyArray<Segment>; readonly options: CallOptions.CallOptions }, CliError> => {
  const where = whereIn(module)
  const segments: Array<Segment> = [{ spec: module.constructor, path: [], raw: new Map(), order: [] }]
  let options = CallOptions.empty
  let flagsDone = false
  let i = 0
  while (i < words.length) {
    const word = words[i]!
    const current = segments[segments.length - 1]!
    if (word === "--" && !flagsDone) {
      flagsDone = true
      i++
      continue
    }
    if (!flagsDone && word.startsWith("--") && word.length > 2) {
      const body = word.slice(2)
      const eq = body.indexOf("=")
      const name = eq === -1 ? body : body.slice(0, eq)
      const inline = eq === -1 ? undefined : body.slice(eq + 1)
      const arg = findArg(current.spec, name)
      if (arg === undefined) {
        if (CallOptions.longNames.includes(name)) {
          const read = CallOptions.readLong(words, i, name, inline, options)
          if (Either.isLeft(read)) return Either.left(read.left)
          options = read.right.options
          i = read.right.next
          continue
        }
        const hint = Suggest.didYouMean(Naming.kebab(name), [...current.spec.args.map((a) => a.flag), ...CallOptions.longNames], "--")
        return Either.left(usage(`unknown flag --${name} for ${where(current)}${hint}${flagHint(current.spec)}`))
      }
      let value: string
      if (arg.kind._tag === "Boolean" && !arg.list) {
        value = inline ?? "true"
        i++
      } else if (inline !== undefined) {
        value = inline
        i++
      } else {
        const next = words[i + 1]
        if (next === undefined) return Either.left(usage(`flag needs an argument: --${arg.flag}`))
        value = next
        i += 2
      }
      const values = current.raw.get(arg.name)
      if (values === undefined) {
        current.raw.set(arg.name, [value])
        current.order.push(arg)
      } else if (arg.list) {
        values.push(value)
      } else {
        values.splice(0, values.length, value)
      }
      continue
    }
    if (!flagsDone && word.startsWith("-") && word.length > 1) {
      const read = CallOptions.readShort(words, i, options)
      if (read === undefined) {
        return Either.left(usage(`unknown shorthand flag ${word} for ${where(current)} (arguments are spelled --name)`))
      }
      if (Either.isLeft(read)) return Either.left(read.left)
      options = read.right.options
      i = read.right.next
      continue
    }
    const typeName = TypeInfo.chainType(current.spec.returns)
    if (typeName === undefined) {
      return Either.left(usage(
        `unexpected argument "${word}": ${where(current)} returns ${
          TypeInfo.showReturn(current.spec.returns)
        }, which has no functions`
      ))
    }
    const functions = TypeInfo.functionsOf(module.schema, typeName)
    const fn = findFunction(functions, word)
    if (fn === undefined) {
      return Either.left(usage(
        `unknown function "${word}" for ${typeName}${Suggest.didYouMean(Naming.kebab(word), functions.map((f) => f.command))}` +
          `; available: ${functions.map((f) => f.command).join(", ")}`
      ))
    }
    segments.push({ spec: fn, path: [...current.path, fn.command], raw: new Map(), order: [] })
    i++
  }
  return Either.right({ segments, options })
}

const flagHint = (spec: TypeInfo.FunctionSpec): string =>
  spec.args.length === 0 ? " (it takes no flags)" : `; flags: ${spec.args.map((a) => `--${a.flag}`).join(", ")}`

const baseOption = (arg: TypeInfo.ArgSpec): Options.Options<unknown> => {
  const name = optionName(arg)
  if (arg.list) return Options.repeated(Options.text(name))
  switch (arg.kind._tag) {
    case "Boolean":
      return Options.boolean(name)
    default:
      return Options.text(name)
  }
}

/**
 * The @effect/cli option for an argument (optional unless the argument is required).
 *
 * @category constructors
 */
export const option = (arg: TypeInfo.ArgSpec): Options.Options<unknown> => {
  const described = Options.withDescription(baseOption(arg), arg.description === "" ? arg.display : arg.description)
  return arg.required ? described : Options.optional(described)
}

/**
 * The @effect/cli command of one function: its name is the kebab-case function name, one option per argument.
 *
 * @category constructors
 */
export const descriptor = (spec: TypeInfo.FunctionSpec) =>
  CommandDescriptor.make(
    spec.command === "" ? "call" : spec.command,
    spec.args.length === 0
      ? Options.map(Options.none, (): Record<string, unknown> => ({}))
      : Options.all(Object.fromEntries(spec.args.map((arg) => [arg.name, option(arg)] as const)))
  )

const config = CliConfig.make({ isCaseSensitive: true, autoCorrectLimit: 0, finalCheckBuiltIn: false })

const parseSegment = (module: TypeInfo.ModuleSchema) => (
  segment: Segment
): Effect.Effect<PlannedCall, CliError, FileSystem.FileSystem | Path.Path | Terminal.Terminal> =>
  Effect.gen(function*() {
    const where = whereIn(module)
    const missing = segment.spec.args.filter((a) => a.required && !segment.raw.has(a.name))
    if (missing.length > 0) {
      const flags = missing.map((a) => `--${a.flag}`).join(", ")
      return yield* Effect.fail(
        usage(`required flag${missing.length > 1 ? "s" : ""} ${flags} not set for ${where(segment)}`)
      )
    }
    const tokens: Array<string> = [segment.spec.command === "" ? "call" : segment.spec.command]
    for (const arg of segment.order) {
      for (const raw of segment.raw.get(arg.name) ?? []) {
        const value = arg.kind._tag === "Boolean" && !arg.list
          ? Either.match(Scalars.parseScalar(arg.kind, raw), {
            onLeft: () => raw,
            onRight: (v) => String(v._tag === "Value" ? v.value : raw)
          })
          : raw
        tokens.push(`--${optionName(arg)}`, value)
      }
    }
    const directive = yield* CommandDescriptor.parse(descriptor(segment.spec), tokens, config).pipe(
      Effect.mapError((e) => usage(`${where(segment)}: ${validationText(e.error)}`))
    )
    const parsed: Record<string, unknown> = directive._tag === "UserDefined" ? directive.value.options : {}
    if (directive._tag === "UserDefined" && directive.leftover.length > 0) {
      const leftover = directive.leftover.map((word) => word.replace(/^--arg-/, "--")).join(" ")
      return yield* Effect.fail(usage(`${where(segment)}: unexpected arguments ${leftover}`))
    }
    const values: Array<{ arg: TypeInfo.ArgSpec; value: Scalars.ArgValue }> = []
    for (const arg of segment.order) {
      const typed = parsed[arg.name]
      const unwrapped = Option.isOption(typed) ? Option.getOrUndefined(typed) : typed
      const boolean = !arg.list && arg.kind._tag === "Boolean"
      const value: Either.Either<Scalars.ArgValue, string> = boolean && unwrapped !== undefined
        ? Either.right({ _tag: "Value", value: unwrapped })
        : Scalars.parseFlagValues(arg.kind, arg.list, segment.raw.get(arg.name) ?? [])
      if (Either.isLeft(value)) return yield* Effect.fail(usage(`flag --${arg.flag}: ${value.left}`))
      values.push({ arg, value: value.right })
    }
    return { spec: segment.spec, values }
  })

// eslint-disable-next-line no-control-regex
const ansi = /\u001b\[[0-9;]*m/g

const validationText = (doc: HelpDoc.HelpDoc): string =>
  HelpDoc.toAnsiText(doc).replace(ansi, "").replace(/--arg-/g, "--").trim() || "invalid flags"

/**
 * Plans a call (or help) from the words after `dirk call`: dirk's options, the constructor's flags, then functions
 * and their flags.
 *
 * @category constructors
 */
export const plan = (
  module: TypeInfo.ModuleSchema,
  words: ReadonlyArray<string>,
  settings: { readonly staticHelp: string }
): Effect.Effect<Plan, CliError, FileSystem.FileSystem | Path.Path | Terminal.Terminal> =>
  Effect.gen(function*() {
    const { options, segments } = yield* segment(module, words)
    const last = segments[segments.length - 1]!
    if (options.help) {
      return {
        _tag: "Help",
        text: segments.length === 1 ? callHelp(module, settings.staticHelp, options.mod) : functionHelp(module, last, options.mod),
        options
      } as const
    }
    if (segments.length === 1) {
      return yield* Effect.fail(usage(`no function given\n\n${callHelp(module, settings.staticHelp, options.mod)}`))
    }
    const calls = yield* Effect.forEach(segments, parseSegment(module))
    return { _tag: "Call", calls, options } as const
  })

const flagRows = (args: ReadonlyArray<TypeInfo.ArgSpec>): ReadonlyArray<readonly [string, string]> =>
  args.map((arg) => {
    const notes = [
      arg.required ? "required" : undefined,
      arg.defaultValue !== undefined ? `default ${arg.defaultValue}` : undefined
    ].filter((n) => n !== undefined)
    const description = TypeInfo.firstLine(arg.description)
    return [
      `--${arg.flag} ${arg.display}`,
      [description, notes.length > 0 ? `(${notes.join(", ")})` : ""].filter((s) => s !== "").join(" ")
    ] as const
  })

const functionRows = (functions: ReadonlyArray<TypeInfo.FunctionSpec>): ReadonlyArray<readonly [string, string]> =>
  functions.map((f) => [f.command, TypeInfo.firstLine(f.description)] as const)

const indent = (text: string): string =>
  text.trimEnd().split("\n").map((line) => `  ${line}`).join("\n")

/**
 * `dirk call --help`: the module's functions, its constructor flags and the static options.
 *
 * @category constructors
 */
export const callHelp = (module: TypeInfo.ModuleSchema, staticHelp: string, mod?: string): string => {
  const call = `${commandOf(module)}${modArg(mod)}`
  const typeName = TypeInfo.chainType(module.constructor.returns)
  const functions = typeName === undefined ? [] : TypeInfo.functionsOf(module.schema, typeName)
  const type = typeName === undefined ? undefined : module.schema.getType(typeName)
  const lines = [
    module.moduleName === "" ? "Call functions of the core API, from its root." : `Call a function of module "${module.moduleName}".`,
    ...(type?.description ? ["", TypeInfo.firstLine(type.description)] : []),
    "",
    "USAGE",
    `  ${call} [options]${
      module.constructor.args.length > 0 ? " [flags]" : ""
    } <function> [flags] [<function> [flags]]...`,
    "",
    "FUNCTIONS",
    indent(Output.table(["Name", "Description"], functionRows(functions)))
  ]
  if (module.constructor.args.length > 0) {
    lines.push("", "FLAGS (module constructor)", indent(Output.table(["Flag", "Description"], flagRows(module.constructor.args))))
  }
  if (staticHelp !== "") lines.push("", "OPTIONS", indent(staticHelp))
  lines.push("", `Run "${call} <function> --help" to see a function's flags.`)
  return lines.join("\n") + "\n"
}

/** ` -m DIR` as the user gave it (quoted when it needs to be), or nothing. */
const modArg = (mod: string | undefined): string =>
  mod === undefined ? "" : ` -m ${/^[\w./@:+-]+$/.test(mod) ? mod : JSON.stringify(mod)}`

const segmentHelp = (
  module: TypeInfo.ModuleSchema,
  spec: TypeInfo.FunctionSpec,
  path: ReadonlyArray<string>,
  mod?: string
) => {
  const next = TypeInfo.chainType(spec.returns)
  const functions = next === undefined ? [] : TypeInfo.functionsOf(module.schema, next)
  const lines = [
    ...(spec.description !== "" ? [spec.description.trim(), ""] : []),
    "USAGE",
    `  ${commandOf(module)}${modArg(mod)} ${path.join(" ")}${spec.args.length > 0 ? " [flags]" : ""}${
      functions.length > 0 ? " [<function> [flags]]..." : ""
    }`,
    ""
  ]
  if (spec.args.length > 0) {
    lines.push("FLAGS", indent(Output.table(["Flag", "Description"], flagRows(spec.args))), "")
  }
  lines.push(`RETURNS ${TypeInfo.showReturn(spec.returns)}`)
  if (functions.length > 0) {
    lines.push("", `FUNCTIONS OF ${next}`, indent(Output.table(["Name", "Description"], functionRows(functions))))
  }
  return lines.join("\n") + "\n"
}

/**
 * `dirk call build --help`: the function's description, flags (with types, required, defaults), return type, and
 * the functions that can be chained after it.
 */
const functionHelp = (module: TypeInfo.ModuleSchema, segment: Segment, mod?: string): string =>
  segmentHelp(module, segment.spec, segment.path, mod)
