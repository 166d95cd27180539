/**
 * Helpers for the Dag unit tests: a temporary state dir, and the Dag services over a fake container runtime.
 */
import { ConfigProvider, Effect, Layer, type Scope } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { HostSync } from "../../../src/Dag/HostSync.js"
import { Snapshots } from "../../../src/Dag/Snapshots.js"
import { Solver } from "../../../src/Dag/Solver.js"
import * as ContainerRuntime from "../../../src/Runtime/ContainerRuntime.js"

/** A fresh temporary directory, removed when the scope closes. */
export const tempDir = (prefix = "dirk-dag-"): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), prefix))),
    (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
  )

/** Solver, Snapshots and HostSync over `fake`, with state in `stateDir`. */
export const dagLayer = (
  stateDir: string,
  fake: Partial<ContainerRuntime.ContainerRuntime["Type"]> = {},
  env: Record<string, string> = {}
): Layer.Layer<Solver | Snapshots | HostSync> =>
  Layer.mergeAll(Solver.Default, Snapshots.Default, HostSync.Default).pipe(
    Layer.provide(ContainerRuntime.layerTest(fake)),
    Layer.provide(Layer.setConfigProvider(
      ConfigProvider.fromMap(new Map([["DIRK_STATE_DIR", stateDir], ...Object.entries(env)]))
    )),
    Layer.orDie
  )

/** Runs `body` with the Dag services over `fake` and a temporary state dir (removed when the caller's scope closes). */
export const withDag = <A, E>(
  fake: Partial<ContainerRuntime.ContainerRuntime["Type"]>,
  body: Effect.Effect<A, E, Solver | Snapshots | HostSync>,
  env: Record<string, string> = {}
): Effect.Effect<A, E, Scope.Scope> =>
  Effect.flatMap(tempDir("dirk-state-"), (dir) => Effect.provide(body, dagLayer(dir, fake, env)))

/** Writes a tree: `{ "a/b.txt": "x", "d/": null }` (a trailing slash makes a directory). */
export const writeTree = (root: string, tree: Record<string, string | null>): void => {
  for (const [rel, contents] of Object.entries(tree)) {
    const abs = path.join(root, rel)
    if (rel.endsWith("/") || contents === null) {
      fs.mkdirSync(abs, { recursive: true })
    } else {
      fs.mkdirSync(path.dirname(abs), { recursive: true })
      fs.writeFileSync(abs, contents)
    }
  }
}

/** Lists a tree as sorted relative paths (directories with a trailing slash). */
export const listTree = (root: string): Array<string> => {
  const out: Array<string> = []
  const go = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const abs = path.join(dir, name)
      const r = rel === "" ? name : `${rel}/${name}`
      const st = fs.lstatSync(abs)
      if (st.isDirectory()) {
        out.push(r + "/")
        go(abs, r)
      } else {
        out.push(r)
      }
    }
  }
  go(root, "")
  return out
}
