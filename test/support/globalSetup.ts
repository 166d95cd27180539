// Builds the CLI bundle once before the tests that spawn `bin/dirk.js`.
import { execFileSync } from "node:child_process"
import * as path from "node:path"

export default function setup() {
  execFileSync(process.execPath, [path.resolve(__dirname, "../../scripts/build.mjs")], { stdio: "inherit" })
}
