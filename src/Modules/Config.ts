/**
 * `dagger.json`: reading and validating a module's configuration.
 */
import { Effect, Either } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { QueryError } from "../Core/Errors.js"

/**
 * A module dependency as declared in `dagger.json`: `source` is a path relative to the declaring module or a git
 * source (`ModuleRef.ts`), `pin` the commit a git source was resolved to.
 *
 * @category models
 */
export interface Dependency {
  /** The name it is served under; undefined: the dependency's own module name. */
  readonly name: string | undefined
  readonly source: string
  readonly pin?: string | undefined
}

/**
 * The parts of `dagger.json` the engine uses.
 *
 * @category models
 */
export interface ModuleConfig {
  readonly name: string
  /** The SDK (`typescript`), from `sdk` or `sdk.source`; undefined for a module without code. */
  readonly sdk: string | undefined
  /** The SDK source subdirectory, relative to the directory of dagger.json (default "."). */
  readonly source: string
  readonly engineVersion: string | undefined
  readonly dependencies: ReadonlyArray<Dependency>
  readonly include: ReadonlyArray<string>
  readonly disableDefaultFunctionCaching: boolean
}

/**
 * The file name of a module's configuration.
 *
 * @category constants
 */
export const fileName = "dagger.json"

/**
 * SDKs this engine can run.
 *
 * @category constants
 */
export const supportedSdks: ReadonlyArray<string> = ["typescript", "effect"]

const bad = (configPath: string, detail: string) =>
  new QueryError({ reason: "InvalidArgument", detail: `${configPath}: ${detail}` })

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/**
 * Parses the text of a `dagger.json`; every error names `configPath`.
 *
 * @category parsing
 */
export const parse = (text: string, configPath: string): Either.Either<ModuleConfig, QueryError> => {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (e) {
    return Either.left(bad(configPath, `invalid JSON: ${e instanceof Error ? e.message : String(e)}`))
  }
  if (!isRecord(raw)) return Either.left(bad(configPath, "expected a JSON object"))
  if (typeof raw.name !== "string" || raw.name.trim() === "") {
    return Either.left(bad(configPath, `"name" is required (a non-empty string)`))
  }
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(raw.name)) {
    return Either.left(bad(configPath, `invalid module name ${JSON.stringify(raw.name)}`))
  }
  let sdk: string | undefined
  if (typeof raw.sdk === "string") sdk = raw.sdk
  else if (isRecord(raw.sdk) && typeof raw.sdk.source === "string") sdk = raw.sdk.source
  else if (raw.sdk !== undefined && raw.sdk !== null) {
    return Either.left(bad(configPath, `"sdk" must be a string or an object with a "source" string`))
  }
  if (sdk !== undefined && !supportedSdks.includes(sdk)) {
    return Either.left(bad(configPath, `unsupported sdk ${JSON.stringify(sdk)} (supported: ${supportedSdks.join(", ")})`))
  }
  if (raw.source !== undefined && typeof raw.source !== "string") {
    return Either.left(bad(configPath, `"source" must be a string`))
  }
  const source = raw.source === undefined || raw.source === "" ? "." : raw.source
  if (path.isAbsolute(source) || path.normalize(source).split(path.sep)[0] === "..") {
    return Either.left(bad(configPath, `"source" must be a path inside the module directory, got ${JSON.stringify(source)}`))
  }
  const dependencies: Array<Dependency> = []
  if (raw.dependencies !== undefined) {
    if (!Array.isArray(raw.dependencies)) return Either.left(bad(configPath, `"dependencies" must be an array`))
    for (const d of raw.dependencies) {
      if (!isRecord(d) || typeof d.source !== "string") {
        return Either.left(bad(configPath, `each dependency needs a "source" string`))
      }
      dependencies.push({
        name: typeof d.name === "string" && d.name !== "" ? d.name : undefined,
        source: d.source,
        pin: typeof d.pin === "string" ? d.pin : undefined
      })
    }
  }
  const include = Array.isArray(raw.include) ? raw.include.filter((x): x is string => typeof x === "string") : []
  return Either.right({
    name: raw.name,
    sdk,
    source,
    engineVersion: typeof raw.engineVersion === "string" ? raw.engineVersion : undefined,
    dependencies,
    include,
    disableDefaultFunctionCaching: raw.disableDefaultFunctionCaching === true
  })
}

/**
 * A module directory and its configuration.
 *
 * @category models
 */
export interface LocatedConfig {
  /** Absolute path of the directory holding dagger.json. */
  readonly dir: string
  readonly configPath: string
  readonly config: ModuleConfig
  /** Absolute path of the SDK source directory (`dir/source`). */
  readonly sourceDir: string
}

/**
 * Resolves a local module reference (absolute, or relative to `workdir`; a directory or its dagger.json) and
 * reads its configuration. Errors name the path.
 *
 * @category constructors
 */
export const read = (ref: string, workdir: string): Effect.Effect<LocatedConfig, QueryError> =>
  Effect.gen(function*() {
    if (ref.trim() === "") return yield* new QueryError({ reason: "InvalidArgument", detail: "module source: empty path" })
    if (/^[a-z]+:\/\//.test(ref) || /^(github\.com|gitlab\.com)\//.test(ref)) {
      return yield* new QueryError({ reason: "Unsupported", detail: `module source ${ref}: only local modules are supported` })
    }
    const abs = path.resolve(workdir, ref)
    const st = yield* Effect.promise(() => fs.promises.stat(abs).catch(() => undefined))
    if (st === undefined) {
      return yield* new QueryError({ reason: "NotFound", detail: `module source ${abs}: no such directory` })
    }
    const dir = st.isDirectory() ? abs : path.dirname(abs)
    if (!st.isDirectory() && path.basename(abs) !== fileName) {
      return yield* new QueryError({ reason: "InvalidArgument", detail: `module source ${abs}: not a directory` })
    }
    const configPath = path.join(dir, fileName)
    const text = yield* Effect.promise(() => fs.promises.readFile(configPath, "utf8").catch(() => undefined))
    if (text === undefined) {
      return yield* new QueryError({ reason: "NotFound", detail: `module source ${dir}: no ${fileName} found (expected ${configPath})` })
    }
    const config = yield* parse(text, configPath)
    const sourceDir = path.join(dir, config.source)
    if (config.sdk !== undefined) {
      const sst = yield* Effect.promise(() => fs.promises.stat(sourceDir).catch(() => undefined))
      if (sst === undefined || !sst.isDirectory()) {
        return yield* new QueryError({ reason: "NotFound", detail: `${configPath}: source directory ${sourceDir} does not exist` })
      }
    }
    return { dir, configPath, config, sourceDir }
  })
