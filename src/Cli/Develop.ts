/**
 * `dirk init` and `dirk develop` on the local file system (no engine session): create a module, and set up what a
 * TypeScript module needs for an editor and `tsc`.
 *
 * dirk runs a module with the SDK from its own `node_modules` (`Modules/Runtime.ts`), so there is no SDK code to
 * generate: `develop` links `node_modules/@dagger.io/dagger` and `node_modules/typescript` (plus
 * `node_modules/.bin/tsc`) in the module's source directory to the engine's own, installs the module's npm
 * dependencies into the engine's cache (`Modules/Dependencies.ts`, the same install a run uses) and links them
 * there too. Every generated file is written by `generate`.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { apiVersion } from "../Core/Query.js"
import * as Config from "../Modules/Config.js"
import * as Dependencies from "../Modules/Dependencies.js"
import * as Runtime from "../Modules/Runtime.js"
import { CliError } from "./CliError.js"
import * as ModuleTemplate from "./ModuleTemplate.js"

/**
 * The engine's SDK: its `node_modules` and the version of `@dagger.io/dagger` there.
 *
 * @category models
 */
export interface EngineSdk {
  readonly nodeModules: string
  readonly version: string
}

const problem = (e: unknown): string => (e instanceof Error ? e.message : String(e))

const moduleError = (detail: string) => new CliError({ reason: "Module", detail })

const io = <A>(what: string, f: () => A): Effect.Effect<A, CliError> =>
  Effect.try({ try: f, catch: (e) => new CliError({ reason: "Io", detail: `${what}: ${problem(e)}` }) })

/**
 * Finds the engine's SDK (this dirk installation's node_modules).
 *
 * @category constructors
 */
export const engineSdk: Effect.Effect<EngineSdk, CliError> = Effect.gen(function*() {
  const root = yield* Runtime.engineRoot
  const nodeModules = path.join(root, "node_modules")
  const version = yield* Runtime.sdkVersion(nodeModules)
  return { nodeModules, version }
}).pipe(Effect.mapError((e) => new CliError({ reason: "Engine", detail: e.message })))

/**
 * What `init` is asked for.
 *
 * @category models
 */
export interface InitOptions {
  /** The module directory (absolute; created when missing). */
  readonly dir: string
  readonly name: string | undefined
  readonly sdk: string | undefined
  readonly source: string | undefined
}

const checkSdk = (sdk: string): Effect.Effect<void, CliError> =>
  Config.supportedSdks.includes(sdk)
    ? Effect.void
    : Effect.fail(new CliError({
      reason: "Usage",
      detail: `unsupported SDK ${JSON.stringify(sdk)} (supported: ${Config.supportedSdks.join(", ")})`
    }))

const checkSource = (source: string): Effect.Effect<void, CliError> =>
  path.isAbsolute(source) || path.normalize(source).split(path.sep)[0] === ".."
    ? Effect.fail(new CliError({ reason: "Usage", detail: `--source must be a path inside the module directory, got ${JSON.stringify(source)}` }))
    : Effect.void

/**
 * Writes the files of a TypeScript module's source directory that are missing; returns the paths written.
 *
 * @category constructors
 */
export const writeTemplate = (
  sourceDir: string,
  name: string,
  sdk: EngineSdk,
  language: string = "typescript"
): Effect.Effect<ReadonlyArray<string>, CliError> =>
  io(`cannot write the module's files in ${sourceDir}`, () => {
    const written: Array<string> = []
    const files = language === "effect" ? ModuleTemplate.effectFiles(name) : ModuleTemplate.typescriptFiles(name, sdk.version)
    for (const [rel, text] of files) {
      const file = path.join(sourceDir, rel)
      // an existing src/ holds the user's code: no template beside it
      if (fs.existsSync(file) || (rel.startsWith("src/") && fs.existsSync(path.join(sourceDir, "src")))) continue
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(file, text)
      written.push(file)
    }
    return written
  })

/**
 * Creates a module: `dagger.json`, and with an SDK its source files, then what `develop` generates. Refuses a
 * directory that has a `dagger.json` already. Returns the paths written.
 *
 * @category constructors
 */
export const init = (options: InitOptions): Effect.Effect<ReadonlyArray<string>, CliError> =>
  Effect.gen(function*() {
    const configPath = path.join(options.dir, Config.fileName)
    if (fs.existsSync(configPath)) {
      return yield* moduleError(`${configPath} exists already: ${options.dir} is a module (dirk develop updates it)`)
    }
    if (fs.existsSync(options.dir) && !fs.statSync(options.dir).isDirectory()) {
      return yield* moduleError(`${options.dir} is not a directory`)
    }
    if (options.sdk !== undefined) yield* checkSdk(options.sdk)
    if (options.source !== undefined) yield* checkSource(options.source)
    const name = options.name ?? path.basename(options.dir)
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) {
      return yield* new CliError({
        reason: "Usage",
        detail: `invalid module name ${JSON.stringify(name)}${options.name === undefined ? ` (the directory's name)` : ""}: ` +
          `a letter, then letters, digits, "-" or "_"; give one with --name`
      })
    }
    const entries = fs.existsSync(options.dir) ? yield* io(`cannot read ${options.dir}`, () => fs.readdirSync(options.dir)) : []
    const source = options.source ?? (options.sdk !== undefined ? ModuleTemplate.defaultSource(entries) : undefined)
    const sdk = options.sdk === undefined ? undefined : yield* engineSdk
    const json = ModuleTemplate.daggerJson({ name, sdk: options.sdk, source, engineVersion: apiVersion })
    yield* io(`cannot create ${configPath}`, () => {
      fs.mkdirSync(options.dir, { recursive: true })
      fs.writeFileSync(configPath, json, { flag: "wx" })
    })
    if (sdk === undefined) return [configPath]
    const sourceDir = path.join(options.dir, source ?? ".")
    const written = yield* writeTemplate(sourceDir, name, sdk, options.sdk)
    yield* generate(sourceDir, sdk, options.sdk)
    return [configPath, ...written]
  })

/**
 * What `develop` did.
 *
 * @category models
 */
export interface Developed {
  readonly name: string
  readonly sourceDir: string
  /** Files written (template files when an SDK was set, generated files). */
  readonly written: ReadonlyArray<string>
  /** The npm dependencies installed (besides the SDK). */
  readonly dependencies: ReadonlyArray<string>
  /** Whether the module depends on other modules (their bindings need the engine: `writeDeclarations`). */
  readonly hasModuleDependencies: boolean
}

/**
 * Sets the SDK (and source) of a module that has none, when asked; bumps `engineVersion`; writes the generated
 * files and installs the module's npm dependencies. `dir` holds the `dagger.json`.
 *
 * @category constructors
 */
export const develop = (
  dir: string,
  options: { readonly sdk: string | undefined; readonly source: string | undefined; readonly stateDir: string }
): Effect.Effect<Developed, CliError> =>
  Effect.gen(function*() {
    const configPath = path.join(dir, Config.fileName)
    const raw = yield* io(`cannot read ${configPath}`, () => JSON.parse(fs.readFileSync(configPath, "utf8")) as unknown)
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      return yield* moduleError(`${configPath}: expected a JSON object`)
    }
    const parsed = yield* Effect.mapError(
      Effect.suspend(() => Config.parse(JSON.stringify(raw), configPath)),
      (e) => moduleError(e.message)
    )
    const updated: Record<string, unknown> = { ...(raw as Record<string, unknown>) }
    let sdkName = parsed.sdk
    if (options.sdk !== undefined) {
      yield* checkSdk(options.sdk)
      if (parsed.sdk !== undefined && parsed.sdk !== options.sdk) {
        return yield* moduleError(`${configPath}: the module's SDK is ${parsed.sdk}, not ${options.sdk}`)
      }
      if (parsed.sdk === undefined) {
        updated.sdk = { source: options.sdk }
        sdkName = options.sdk
      }
    }
    if (options.source !== undefined) {
      yield* checkSource(options.source)
      if (parsed.sdk !== undefined && path.normalize(options.source) !== path.normalize(parsed.source)) {
        return yield* moduleError(
          `${configPath}: the module's source is ${parsed.source}; moving the code of a module to ${options.source} is not supported`
        )
      }
      updated.source = options.source
    }
    if (sdkName === undefined) {
      return yield* moduleError(`module ${parsed.name} (${configPath}) has no SDK: give one with dirk develop --sdk typescript`)
    }
    if (parsed.sdk === undefined && updated.source === undefined) {
      const entries = yield* io(`cannot read ${dir}`, () => fs.readdirSync(dir).filter((n) => n !== Config.fileName))
      updated.source = ModuleTemplate.defaultSource(entries)
    }
    updated.engineVersion = apiVersion
    const sdk = yield* engineSdk
    const written: Array<string> = []
    if (JSON.stringify(updated) !== JSON.stringify(raw)) {
      yield* io(`cannot write ${configPath}`, () => fs.writeFileSync(configPath, JSON.stringify(updated, null, 2) + "\n"))
      written.push(configPath)
    }
    const sourceDir = path.join(dir, typeof updated.source === "string" ? updated.source : parsed.source)
    if (parsed.sdk === undefined) written.push(...yield* writeTemplate(sourceDir, parsed.name, sdk, sdkName))
    written.push(...yield* generate(sourceDir, sdk, sdkName))
    const dependencies = yield* installDependencies(parsed.name, sourceDir, options.stateDir)
    return { name: parsed.name, sourceDir, written, dependencies, hasModuleDependencies: parsed.dependencies.length > 0 }
  })

/**
 * Points `link` (a path in a module's node_modules) at `target`, replacing an earlier link; a real directory
 * there (the user's own install) is left alone. Returns whether the link was written.
 */
const link = (target: string, at: string): boolean => {
  const st = fs.lstatSync(at, { throwIfNoEntry: false })
  if (st !== undefined && !st.isSymbolicLink()) return false
  if (st !== undefined) {
    if (fs.readlinkSync(at) === target) return false
    fs.unlinkSync(at)
  }
  fs.mkdirSync(path.dirname(at), { recursive: true })
  fs.symlinkSync(target, at)
  return true
}

/**
 * Writes the files a module's code needs for an editor and `tsc` in `sourceDir` (its package.json directory), and
 * returns the paths written. The one place where generated files go: bindings of module dependencies belong here
 * too.
 *
 * @category constructors
 */
export const generate = (sourceDir: string, sdk: EngineSdk, language: string = "typescript"): Effect.Effect<ReadonlyArray<string>, CliError> =>
  io(`cannot write the generated files in ${sourceDir}`, () => {
    const modules = path.join(sourceDir, "node_modules")
    // an Effect SDK module is written against the engine's own effect and dirk (`dirk/client`, `dirk/module`)
    const links: ReadonlyArray<readonly [string, string]> = language === "effect" ? [
      [path.join(sdk.nodeModules, "effect"), path.join(modules, "effect")],
      [path.dirname(sdk.nodeModules), path.join(modules, "dirk")],
      [path.join(sdk.nodeModules, "typescript"), path.join(modules, "typescript")],
      ["../typescript/bin/tsc", path.join(modules, ".bin/tsc")]
    ] : [
      [path.join(sdk.nodeModules, "@dagger.io/dagger"), path.join(modules, "@dagger.io/dagger")],
      [path.join(sdk.nodeModules, "typescript"), path.join(modules, "typescript")],
      ["../typescript/bin/tsc", path.join(modules, ".bin/tsc")]
    ]
    return links.filter(([target, at]) => link(target, at)).map(([, at]) => at)
  })

/**
 * Installs the module's npm dependencies (but the SDK, TypeScript and tsx, which the engine provides) into the
 * engine's cache, as a run does, and links each into the module's node_modules. Returns their names.
 *
 * @category constructors
 */
export const installDependencies = (
  moduleName: string,
  sourceDir: string,
  stateDir: string
): Effect.Effect<ReadonlyArray<string>, CliError> =>
  Effect.gen(function*() {
    const request = yield* Dependencies.read(sourceDir)
    if (request === undefined) return []
    const installed = yield* Dependencies.install(moduleName, request, path.join(stateDir, "npm"))
    const names = Object.keys(request.dependencies)
    yield* io(`cannot link the dependencies into ${sourceDir}/node_modules`, () => {
      for (const name of names) link(path.join(installed, name), path.join(sourceDir, "node_modules", name))
    })
    return names
  }).pipe(Effect.mapError((e) => (e._tag === "CliError" ? e : moduleError(e.message))))

/**
 * Where `dirk develop` writes the declarations of a module's dependencies (beside its code, so that a tsconfig that
 * includes `src` sees them).
 *
 * @category constants
 */
export const declarationsFile = (sourceDir: string): string => path.join(sourceDir, "src", "dependencies.gen.d.ts")

/**
 * Writes the declarations of the module's dependencies (`text`, from the engine), or removes an earlier file when
 * there are none (`text` empty). Returns what changed: `wrote`, `removed` or nothing.
 *
 * @category constructors
 */
export const writeDeclarations = (sourceDir: string, text: string): Effect.Effect<"wrote" | "removed" | undefined, CliError> =>
  io(`cannot write ${declarationsFile(sourceDir)}`, () => {
    const file = declarationsFile(sourceDir)
    const existing = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined
    if (text === "") {
      if (existing === undefined) return undefined
      fs.rmSync(file)
      return "removed"
    }
    if (existing === text) return undefined
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, text)
    return "wrote"
  })
