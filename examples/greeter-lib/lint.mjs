// Lint without dependencies: every src/*.js must parse (node --check); with --strict, no TODO/FIXME and no
// trailing whitespace either. Prints one line per problem and exits 1 when there is any.
import { spawnSync } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"

const strict = process.argv.includes("--strict")
const src = join(new URL(".", import.meta.url).pathname, "src")
const problems = []
const files = readdirSync(src).filter((f) => f.endsWith(".js")).sort()
for (const name of files) {
  const file = join(src, name)
  const check = spawnSync(process.execPath, ["--check", file], { encoding: "utf8" })
  if (check.status !== 0) problems.push(`${name}: does not parse\n${check.stderr}`)
  if (strict) {
    readFileSync(file, "utf8").split("\n").forEach((line, i) => {
      if (/\b(TODO|FIXME)\b/.test(line)) problems.push(`${name}:${i + 1}: TODO/FIXME left`)
      if (/\s+$/.test(line)) problems.push(`${name}:${i + 1}: trailing whitespace`)
    })
  }
}
for (const p of problems) console.log(p)
console.log(`${files.length} file(s) checked${strict ? " (strict)" : ""}, ${problems.length} problem(s)`)
process.exit(problems.length === 0 ? 0 : 1)
