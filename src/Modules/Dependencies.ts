/**
 * A module's npm dependencies. Function containers have no network, so the engine installs them on the host, with
 * the host's npm, into a cache keyed by what was asked for (the dependencies and the lockfile), and binds the
 * result into the container at `/src/node_modules` (read-only). `@dagger.io/dagger`, `typescript` and `tsx` come
 * from the engine itself (bound at `/node_modules`), so they are left out of the install.
 */
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { QueryError } from "../Core/Errors.js"

/** Packages the engine provides to every module. */
const provided = new Set(["@dagger.io/dagger", "typescript", "tsx"])

/**
 * What a module asks to install: its package.json `dependencies` less what the engine provides.
 *
 * @category models
 */
export interface Request {
  readonly dependencies: Readonly<Record<string, string>>
  readonly lockfile: string | undefined
  /** Fingerprints of local (`file:`) dependencies. */
  readonly locals?: ReadonlyArray<string>
}

/**
 * Reads the request from a module's source directory (where its package.json is); `undefined` when there is
 * nothing to install. `hostDir` is where that directory is on the host: local dependencies (`file:../lib`,
 * `../lib`) are resolved against it, must exist, and are installed as copies (they could not be reached from the
 * container through a link), and their files' sizes and times are part of the request, so a change reinstalls.
 *
 * @category constructors
 */
export const read = (sourceDir: string, hostDir: string = sourceDir): Effect.Effect<Request | undefined, QueryError> =>
  Effect.try({
    try: () => {
      const pkgPath = path.join(sourceDir, "package.json")
      if (!fs.existsSync(pkgPath)) return undefined
      const pkg = JSON.parse(fs.readFileSync(pkgPath, "utf8")) as { dependencies?: Record<string, string> }
      const locals: Array<string> = []
      const dependencies = Object.fromEntries(
        Object.entries(pkg.dependencies ?? {})
          .filter(([name]) => !provided.has(name))
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([name, spec]) => {
            const local = localPath(spec)
            if (local === undefined) return [name, spec]
            const abs = path.resolve(hostDir, local)
            if (!fs.existsSync(path.join(abs, "package.json"))) {
              throw new Error(`dependency ${name}: ${spec} is not a package (no ${path.join(abs, "package.json")})`)
            }
            locals.push(`${name}:${fingerprint(abs)}`)
            return [name, `file:${abs}`]
          })
      )
      if (Object.keys(dependencies).length === 0) return undefined
      const lockPath = path.join(sourceDir, "package-lock.json")
      return {
        dependencies,
        lockfile: fs.existsSync(lockPath) ? fs.readFileSync(lockPath, "utf8") : undefined,
        ...(locals.length > 0 ? { locals } : {})
      }
    },
    catch: (e) =>
      new QueryError({
        reason: "InvalidArgument",
        detail: `${path.join(sourceDir, "package.json")}: ${e instanceof Error ? e.message : String(e)}`
      })
  })

/** The path of a local dependency spec (`file:x`, `./x`, `../x`, `/x`), or `undefined` for a registry/git spec. */
const localPath = (spec: string): string | undefined =>
  spec.startsWith("file:")
    ? spec.slice(5)
    : spec.startsWith("./") || spec.startsWith("../") || spec.startsWith("/")
    ? spec
    : undefined

/** Sizes and modification times of a local package's files (its `node_modules` left out). */
const fingerprint = (dir: string): string => {
  const h = createHash("sha256")
  const walk = (d: string, rel: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      if (name === "node_modules" || name === ".git") continue
      const abs = path.join(d, name)
      const st = fs.lstatSync(abs)
      h.update(`${rel}/${name}\0${st.size}\0${st.mtimeMs}\0`)
      if (st.isDirectory()) walk(abs, `${rel}/${name}`)
    }
  }
  walk(dir, "")
  return h.digest("hex").slice(0, 16)
}

/**
 * The cache key of a request.
 *
 * @category getters
 */
export const key = (request: Request): string =>
  createHash("sha256")
    .update(JSON.stringify([request.dependencies, request.lockfile ?? null, ...(request.locals !== undefined ? [request.locals] : [])]))
    .digest("hex")
    .slice(0, 32)

const npmInstall = (cwd: string): Effect.Effect<{ code: number; output: string }> =>
  Effect.async((resume) => {
    // --install-links: local packages are copied in, not linked to host paths the container cannot see
    const child = spawn("npm", ["install", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--install-links"], {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, npm_config_update_notifier: "false" }
    })
    let output = ""
    child.stdout.on("data", (c: Buffer) => (output += c.toString("utf8")))
    child.stderr.on("data", (c: Buffer) => (output += c.toString("utf8")))
    child.on("error", (e) => resume(Effect.succeed({ code: 127, output: `cannot run npm: ${e.message}` })))
    child.on("close", (code) => resume(Effect.succeed({ code: code ?? 1, output })))
    return Effect.sync(() => child.kill("SIGTERM"))
  })

/**
 * Installs a request under `cacheRoot` (once per key; a failed install leaves nothing behind) and returns the
 * `node_modules` directory to bind.
 *
 * @category constructors
 */
export const install = (moduleName: string, request: Request, cacheRoot: string): Effect.Effect<string, QueryError> =>
  Effect.gen(function*() {
    const dir = path.join(cacheRoot, key(request))
    const modules = path.join(dir, "node_modules")
    if (fs.existsSync(modules)) return modules
    const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
    yield* Effect.acquireUseRelease(
      Effect.sync(() => {
        fs.mkdirSync(tmp, { recursive: true })
        fs.writeFileSync(
          path.join(tmp, "package.json"),
          JSON.stringify({ name: "dirk-module-deps", private: true, type: "module", dependencies: request.dependencies }, null, 2)
        )
        if (request.lockfile !== undefined) fs.writeFileSync(path.join(tmp, "package-lock.json"), request.lockfile)
        return tmp
      }),
      (t) =>
        Effect.gen(function*() {
          const r = yield* npmInstall(t)
          if (r.code !== 0) {
            const tail = r.output.trimEnd().split("\n").slice(-20).join("\n")
            return yield* Effect.fail(
              new QueryError({
                reason: "Module",
                detail: `module ${moduleName}: installing its npm dependencies (${Object.keys(request.dependencies).join(", ")}) failed with exit code ${r.code}:\n${tail}`
              })
            )
          }
          if (!fs.existsSync(path.join(t, "node_modules"))) fs.mkdirSync(path.join(t, "node_modules"))
          try {
            fs.renameSync(t, dir)
          } catch {
            // another engine call installed the same dependencies first: keep theirs
          }
        }),
      (t) => Effect.sync(() => fs.rmSync(t, { recursive: true, force: true }))
    )
    return modules
  })
