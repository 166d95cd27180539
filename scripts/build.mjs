// Bundles the CLI (src/main.ts) into dist/dirk.mjs with esbuild: one file loads far faster than the unbundled tree.
import { build } from "esbuild"
import { fileURLToPath } from "node:url"
import * as path from "node:path"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

await build({
  entryPoints: [path.join(root, "src/main.ts")],
  outfile: path.join(root, "dist/dirk.mjs"),
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: "linked",
  logLevel: "warning",
  // dockerode pulls in ssh2 and optional native addons: keep it (and its tree) as a runtime dependency.
  external: ["dockerode", "ssh2", "cpu-features", "tar-stream"],
  banner: {
    js: "import { createRequire as __dirkCreateRequire } from \"node:module\"; const require = __dirkCreateRequire(import.meta.url);"
  }
})
