/**
 * `dirk install <path|git-ref> [-n NAME]`, `dirk uninstall <name|source>` and `dirk update [NAME…]`: edit the
 * `dependencies` of a module's dagger.json. A local path is stored relative to the module; a git source is pinned
 * to the commit its version names (`pin`). Every other key of dagger.json is kept as it was.
 */
import { Args, Command, Options } from "@effect/cli"
import type { FileSystem, Path } from "@effect/platform"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as ModuleConfig from "../Modules/Config.js"
import * as GitSource from "../Modules/GitSource.js"
import * as ModuleRef from "../Modules/ModuleRef.js"
import { CliError, usage } from "./CliError.js"
import { CliIo, type CliIoShape } from "./CliIo.js"
import { modOption } from "./FunctionsCommand.js"
import * as ModuleLoader from "./ModuleLoader.js"

interface RawDependency {
  name?: string
  source: string
  pin?: string
  [key: string]: unknown
}

const moduleError = (e: { readonly detail: string }) => new CliError({ reason: "Module", detail: e.detail })

/** The module's dagger.json, raw (every key kept) and parsed (validated). */
const readConfig = (dir: string) =>
  Effect.gen(function*() {
    const configPath = path.join(dir, ModuleConfig.fileName)
    const text = yield* Effect.try({
      try: () => fs.readFileSync(configPath, "utf8"),
      catch: () => usage(`${configPath}: cannot read it`)
    })
    const parsed = yield* Effect.mapError(ModuleConfig.parse(text, configPath), moduleError)
    const raw = JSON.parse(text) as Record<string, unknown> & { dependencies?: Array<RawDependency> }
    return { configPath, raw, parsed }
  })

const writeConfig = (configPath: string, raw: Record<string, unknown>) =>
  Effect.try({
    try: () => {
      const tmp = `${configPath}.tmp-${process.pid}`
      fs.writeFileSync(tmp, JSON.stringify(raw, null, 2) + "\n")
      fs.renameSync(tmp, configPath)
    },
    catch: (e) => new CliError({ reason: "Io", detail: `${configPath}: cannot write it: ${e instanceof Error ? e.message : String(e)}` })
  })

/** What a reference resolves to: the entry to store and the dependency's own module name. */
const resolve = (ref: string, moduleDir: string, cwd: string) =>
  Effect.gen(function*() {
    const parsed = ModuleRef.parse(ref)
    if ("error" in parsed) return yield* usage(parsed.error)
    if (parsed.ok._tag === "Local") {
      const located = yield* Effect.mapError(ModuleConfig.read(parsed.ok.path, cwd), moduleError)
      if (fs.realpathSync(located.dir) === fs.realpathSync(moduleDir)) {
        return yield* usage(`${ref}: a module cannot depend on itself`)
      }
      return { entry: { source: ModuleRef.relativeLocal(moduleDir, located.dir) }, moduleName: located.config.name }
    }
    const gitRef = parsed.ok
    const commit = yield* Effect.mapError(GitSource.resolveCommit(gitRef), moduleError)
    // fetch it once to check that it is a module and to read its name
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-install-"))
    const located = yield* GitSource.checkout(scratch, gitRef, commit).pipe(
      Effect.flatMap((dir) => ModuleConfig.read(path.join(dir, gitRef.subdir), "/")),
      Effect.mapError((e) => new CliError({ reason: "Module", detail: `${ref}: ${e.detail}` })),
      Effect.ensuring(Effect.sync(() => fs.rmSync(scratch, { recursive: true, force: true })))
    )
    return { entry: { source: ModuleRef.format(gitRef), pin: commit }, moduleName: located.config.name }
  })

/**
 * @category handlers
 */
export const install = (
  io: CliIoShape,
  options: { readonly mod: string; readonly ref: string; readonly name: string | undefined }
): Effect.Effect<void, CliError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const dir = yield* ModuleLoader.findModuleRoot(path.resolve(io.cwd, options.mod))
    const { configPath, raw } = yield* readConfig(dir)
    const resolved = yield* resolve(options.ref, dir, io.cwd)
    const name = options.name ?? resolved.moduleName
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) return yield* usage(`invalid dependency name ${JSON.stringify(name)}`)
    const deps = (raw.dependencies ?? []).filter((d) => (d.name ?? "") !== name)
    const replaced = deps.length !== (raw.dependencies ?? []).length
    deps.push({ name, ...resolved.entry })
    raw.dependencies = deps.sort((a, b) => ((a.name ?? "") < (b.name ?? "") ? -1 : 1))
    yield* writeConfig(configPath, raw)
    const pin = "pin" in resolved.entry ? ` at ${String(resolved.entry.pin).slice(0, 12)}` : ""
    yield* io.stdout(`${replaced ? "updated" : "installed"} ${name} (${resolved.entry.source}${pin}) in ${configPath}\n`)
  })

const matches = (d: RawDependency, word: string) =>
  d.name === word || d.source === word || ModuleRef.format(ModuleRef.parseOr(d.source)) === word

/**
 * @category handlers
 */
export const uninstall = (
  io: CliIoShape,
  options: { readonly mod: string; readonly dep: string }
): Effect.Effect<void, CliError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const dir = yield* ModuleLoader.findModuleRoot(path.resolve(io.cwd, options.mod))
    const { configPath, raw, parsed } = yield* readConfig(dir)
    const all = raw.dependencies ?? []
    const kept = all.filter((d) => !matches(d, options.dep))
    if (kept.length === all.length) {
      const names = parsed.dependencies.map((d) => d.name ?? d.source)
      return yield* usage(
        `${configPath} has no dependency ${options.dep}` + (names.length === 0 ? " (it has none)" : ` (it has: ${names.join(", ")})`)
      )
    }
    raw.dependencies = kept
    yield* writeConfig(configPath, raw)
    yield* io.stdout(`uninstalled ${options.dep} from ${configPath}\n`)
  })

/**
 * @category handlers
 */
export const update = (
  io: CliIoShape,
  options: { readonly mod: string; readonly deps: ReadonlyArray<string> }
): Effect.Effect<void, CliError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const dir = yield* ModuleLoader.findModuleRoot(path.resolve(io.cwd, options.mod))
    const { configPath, raw } = yield* readConfig(dir)
    const all = raw.dependencies ?? []
    for (const word of options.deps) {
      if (!all.some((d) => matches(d, word))) return yield* usage(`${configPath} has no dependency ${word}`)
    }
    const chosen = all.filter((d) => options.deps.length === 0 || options.deps.some((w) => matches(d, w)))
    const lines: Array<string> = []
    for (const d of chosen) {
      const parsed = ModuleRef.parse(d.source)
      if ("error" in parsed || parsed.ok._tag === "Local") continue // local dependencies are read as they are
      const commit = yield* Effect.mapError(GitSource.resolveCommit(parsed.ok), moduleError)
      const label = d.name ?? d.source
      lines.push(d.pin === commit ? `${label}: up to date (${commit.slice(0, 12)})` : `${label}: ${d.pin?.slice(0, 12) ?? "unpinned"} -> ${commit.slice(0, 12)}`)
      d.pin = commit
    }
    raw.dependencies = all
    yield* writeConfig(configPath, raw)
    yield* io.stdout(lines.length === 0 ? "no git dependencies to update\n" : lines.join("\n") + "\n")
  })

/**
 * @category constructors
 */
export const installCommand = Command.make("install", {
  mod: modOption,
  name: Options.text("name").pipe(Options.withAlias("n"), Options.withDescription("The name to install it under"), Options.optional),
  ref: Args.text({ name: "source" }).pipe(Args.withDescription("A module directory or a git source (host/repo[/subdir][@version])"))
}, (o) =>
  Effect.gen(function*() {
    yield* install(yield* CliIo, { mod: o.mod, ref: o.ref, name: o.name._tag === "Some" ? o.name.value : undefined })
  })).pipe(Command.withDescription("Add a dependency to a module's dagger.json (git sources are pinned to a commit)"))

/**
 * @category constructors
 */
export const uninstallCommand = Command.make("uninstall", {
  mod: modOption,
  dep: Args.text({ name: "dependency" }).pipe(Args.withDescription("The dependency's name or source"))
}, (o) =>
  Effect.gen(function*() {
    yield* uninstall(yield* CliIo, o)
  })).pipe(Command.withDescription("Remove a dependency from a module's dagger.json"))

/**
 * @category constructors
 */
export const updateCommand = Command.make("update", {
  mod: modOption,
  deps: Args.text({ name: "dependency" }).pipe(Args.withDescription("Dependencies to update (default: all)"), Args.repeated)
}, (o) =>
  Effect.gen(function*() {
    yield* update(yield* CliIo, o)
  })).pipe(Command.withDescription("Re-resolve the versions of a module's git dependencies and update their pins"))
