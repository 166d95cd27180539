// Bundles the CLI (src/main.ts) into dist/dirk.mjs and its chunks with esbuild: far faster to load than the unbundled
// tree; the CLI and the engine are chunks loaded only by the commands that need them.
import { build } from "esbuild"
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"
import * as path from "node:path"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")

const cli = await build({
  absWorkingDir: root,
  metafile: true,
  entryPoints: { dirk: path.join(root, "src/main.ts") },
  outdir: path.join(root, "dist"),
  outExtension: { ".js": ".mjs" },
  // the CLI and the engine are separate chunks (dynamic imports in src/main.ts and src/cliMain.ts)
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
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

// dist/client.mjs and dist/module.mjs are `dirk/client` and `dirk/module` (package.json "exports"), a library: its dependencies (effect above all: the
// program's Effects and the client's must be one copy of it) stay imports of the user's node_modules.
const lib = await build({
  absWorkingDir: root,
  metafile: true,
  entryPoints: { client: path.join(root, "src/Client/index.ts"), module: path.join(root, "src/Client/Module.ts") },
  outdir: path.join(root, "dist"),
  outExtension: { ".js": ".mjs" },
  splitting: true,
  chunkNames: "client-chunks/[name]-[hash]",
  bundle: true,
  packages: "external",
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: "linked",
  logLevel: "warning"
})

// Chunks are named by their content hash: remove those of earlier builds (and their maps), or dist/ grows with every
// build. An engine daemon started from an earlier build has loaded its chunks when it started.
const outputs = new Set(
  [...Object.keys(cli.metafile.outputs), ...Object.keys(lib.metafile.outputs)].map((f) => path.resolve(root, f))
)
for (const dir of ["chunks", "client-chunks"]) {
  const full = path.join(root, "dist", dir)
  for (const name of fs.existsSync(full) ? fs.readdirSync(full) : []) {
    const file = path.join(full, name)
    if (!outputs.has(file)) fs.rmSync(file, { force: true })
  }
}
