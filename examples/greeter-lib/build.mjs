// Build without network or dependencies: copy src/*.js to dist/ with comments and blank lines stripped,
// and write dist/manifest.json (name, version, files with size and sha256).
import { createHash } from "node:crypto"
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"

const root = new URL(".", import.meta.url).pathname
const src = join(root, "src")
const dist = join(root, "dist")
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"))

const strip = (code) =>
  code
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split("\n")
    .filter((line) => !/^\s*\/\//.test(line))
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== "")
    .join("\n") + "\n"

rmSync(dist, { recursive: true, force: true })
mkdirSync(dist, { recursive: true })
const files = []
for (const name of readdirSync(src).filter((f) => f.endsWith(".js")).sort()) {
  const out = strip(readFileSync(join(src, name), "utf8"))
  writeFileSync(join(dist, name), out)
  files.push({ name, bytes: Buffer.byteLength(out), sha256: createHash("sha256").update(out).digest("hex") })
}
writeFileSync(join(dist, "manifest.json"), JSON.stringify({ name: pkg.name, version: pkg.version, files }, null, 2) + "\n")
console.log(`built ${files.length} file(s) into dist/`)
