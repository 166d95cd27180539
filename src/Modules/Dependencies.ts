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
}

/**
 * Reads the request from a module's source directory (where its package.json is); `undefined` when there is
 * nothing to install.
 *
 * @category constructors
 */
export const read = (sourceDir: string): Effect.Effect<Request | undefined, QueryError> =>
  Effect.try({
    try: () => {
      const pkgPath = path.join(sourceDir, "package.json")
      if (!fs.existsSync(pkgPath)) return undefined
      const pkg = JSON.parse(fs.readFileSync(pkgPath, "utf8")) as { dependencies?: Record<string, string> }
      const dependencies = Object.fromEntries(
        Object.entries(pkg.dependencies ?? {}).filter(([name]) => !provided.has(name)).sort(([a], [b]) => (a < b ? -1 : 1))
      )
      if (Object.keys(dependencies).length === 0) return undefined
      const lockPath = path.join(sourceDir, "package-lock.json")
      return { dependencies, lockfile: fs.existsSync(lockPath) ? fs.readFileSync(lockPath, "utf8") : undefined }
    },
    catch: (e) =>
      new QueryError({
        reason: "InvalidArgument",
        detail: `${path.join(sourceDir, "package.json")}: ${e instanceof Error ? e.message : String(e)}`
      })
  })

/**
 * The cache key of a request.
 *
 * @category getters
 */
export const key = (request: Request): string =>
  createHash("sha256").update(JSON.stringify([request.dependencies, request.lockfile ?? null])).digest("hex").slice(0, 32)

const npmInstall = (cwd: string): Effect.Effect<{ code: number; output: string }> =>
  Effect.async((resume) => {
    const child = spawn("npm", ["install", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"], {
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
