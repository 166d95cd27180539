/**
 * Test support: the `kitchen` fixture module (test/fixtures/modules/kitchen) copied into a fresh git work tree.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/modules/kitchen")

/** A git work tree with `data/` at its top and the module in `mod/` (with `mod/local/`). */
export const kitchenRepo = (scratch: string): { repo: string; mod: string } => {
  const repo = path.join(scratch, "repo")
  const mod = path.join(repo, "mod")
  fs.mkdirSync(path.join(repo, "data"), { recursive: true })
  fs.mkdirSync(path.join(mod, "local"), { recursive: true })
  execFileSync("git", ["init", "-q", repo])
  fs.writeFileSync(path.join(repo, "data", "a.txt"), "a\n")
  fs.writeFileSync(path.join(repo, "data", "b.log"), "log\n")
  fs.writeFileSync(path.join(repo, "data", "readme.txt"), "read me\n")
  fs.writeFileSync(path.join(mod, "local", "x.txt"), "x\n")
  fs.cpSync(fixture, mod, { recursive: true })
  return { repo, mod }
}
