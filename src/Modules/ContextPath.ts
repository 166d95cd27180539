/**
 * `defaultPath` of a module function's Directory or File argument (`@argument({ defaultPath, ignore })`): when the
 * argument is not given, the engine loads it from the module's **context directory**, the top of the git work tree
 * that holds `dagger.json` (the directory of `dagger.json` when it is not in git).
 *
 * - `/x` is relative to the context directory; `./x`, `x` and `../x` are relative to the directory of `dagger.json`;
 * - the result must stay inside the context directory: anything else is an error naming both paths.
 */
import { Either } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"

/**
 * The context directory of a module whose `dagger.json` is in `moduleDir` (absolute): the nearest directory at or
 * above it with a `.git` entry (a directory, or a file in a git worktree or submodule), else `moduleDir`.
 *
 * @category constructors
 */
export const contextDir = (moduleDir: string, exists: (p: string) => boolean = fs.existsSync): string => {
  let dir = path.resolve(moduleDir)
  for (;;) {
    if (exists(path.join(dir, ".git"))) return dir
    const up = path.dirname(dir)
    if (up === dir) return path.resolve(moduleDir)
    dir = up
  }
}

/**
 * Whether `p` is `dir` or below it (both absolute and normalized).
 *
 * @category guards
 */
export const isWithin = (dir: string, p: string): boolean => {
  const rel = path.relative(dir, p)
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel))
}

/**
 * The host path a `defaultPath` names, or why it names none.
 *
 * @category constructors
 */
export const resolve = (context: string, moduleDir: string, defaultPath: string): Either.Either<string, string> => {
  if (defaultPath === "") return Either.left("an empty defaultPath")
  const abs = defaultPath.startsWith("/")
    ? path.resolve(path.join(context, defaultPath))
    : path.resolve(moduleDir, defaultPath)
  return isWithin(context, abs)
    ? Either.right(abs)
    : Either.left(`${abs} is outside the module's context directory ${context}`)
}
