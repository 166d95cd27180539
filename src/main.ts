/**
 * The `dirk` entry point: answers `dirk --version` at once, and loads the CLI (`cliMain.ts`, the composition root)
 * for everything else. The CLI, and the engine it may run in-process, are separate chunks of the bundle, loaded only
 * when needed, so that start-up costs only what the command uses.
 */
import { version } from "./Engine/Protocol.js"

const argv = process.argv.slice(2)
if (argv.length === 1 && argv[0] === "--version") {
  process.stdout.write(`${version}\n\n`)
} else {
  await import("./cliMain.js")
}
