/**
 * app.ts on an engine in the test's own process, over the real Docker daemon (a throwaway state dir).
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { execFileSync } from "node:child_process"
import { DirkClient } from "dirk/client"
import { afterAll, assert, describe, it } from "vitest"
import { greeting } from "./app.js"

const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-example-app-"))
afterAll(() => {
  // the images the engine's cache kept (labelled with the state dir) go with it
  const ids = execFileSync("docker", ["images", "-a", "-q", "--no-trunc", "--filter", `label=dirk.state=${stateDir}`], { encoding: "utf8" })
    .split("\n").filter((l) => l !== "")
  if (ids.length > 0) execFileSync("docker", ["rmi", "-f", ...ids], { stdio: "ignore" })
  fs.rmSync(stateDir, { recursive: true, force: true })
})

describe("app.ts", () => {
  it("greets from a container", async () => {
    const text = await Effect.runPromise(
      greeting("dirk.local/busybox:latest", "effect").pipe(Effect.provide(DirkClient.layerEmbeddedWith({ stateDir })))
    )
    assert.strictEqual(text, "hello, effect")
  })
})
