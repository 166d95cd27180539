/**
 * The typed client (`dirk/client`) against the real engine: one program, unchanged, on every layer.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { execFileSync } from "node:child_process"
import * as path from "node:path"
import { afterAll, beforeAll } from "vitest"
import { Container, Directory, DirkClient, EnvVariable } from "../../src/Client/index.js"
import type { SessionInfo } from "../../src/Engine/Engine.js"
import { dirk, dirkBin, repoRoot, stateDirs } from "../support/cli.js"
import { busyboxImage } from "../support/docker.js"
import { startEngine } from "../support/session.js"

const dirs = stateDirs("dirk-client-")
let engine: Awaited<ReturnType<typeof startEngine>>
let session: SessionInfo

beforeAll(async () => {
  engine = await startEngine()
  session = await engine.openSession()
})
afterAll(async () => {
  await engine?.close()
  await dirs.cleanup()
})

// the program every layer runs
const program = Effect.gen(function*() {
  const src = Directory.make().pipe(Directory.withNewFile("a.txt", "A"), Directory.withNewFile("b.txt", "B"))
  const base = Container.from(busyboxImage).pipe(Container.withDirectory("/src", src), Container.withWorkdir("/src"))
  const listing = yield* base.pipe(Container.withExec(["ls"]), Container.stdout)
  const envs = yield* base.pipe(Container.withEnvVariable("GREETING", "hi"), Container.envVariables)
  const names = yield* Effect.forEach(envs, EnvVariable.name)
  const failure = yield* base.pipe(
    Container.withExec(["sh", "-c", "echo out; echo oops >&2; exit 7"]),
    Container.stdout,
    Effect.flip
  )
  return { listing, names, failure }
})

const checkProgram = (result: Effect.Effect.Success<typeof program>) => {
  assert.strictEqual(result.listing, "a.txt\nb.txt\n")
  assert.include(result.names, "GREETING")
  assert.strictEqual(result.failure._tag, "ExecError")
  if (result.failure._tag !== "ExecError") return
  assert.strictEqual(result.failure.exitCode, 7)
  assert.strictEqual(result.failure.stdout, "out")
  assert.strictEqual(result.failure.stderr, "oops")
  assert.deepStrictEqual(result.failure.cmd, ["sh", "-c", "echo out; echo oops >&2; exit 7"])
}

const containersOf = (stateDir: string) =>
  execFileSync("docker", ["ps", "-a", "-q", "--filter", `label=dirk.state=${stateDir}`], { encoding: "utf8" }).trim()

describe("Client", () => {
  it.live("layerEmbedded: runs the program in this process, and removes its containers when released", () =>
    Effect.gen(function*() {
      const stateDir = dirs.fresh()
      const layer = DirkClient.layerEmbeddedWith({ stateDir })
      const result = yield* Effect.scoped(Effect.gen(function*() {
        const ctx = yield* Layer.build(layer)
        const r = yield* Effect.provide(program, ctx)
        // a long exec, interrupted: its container must not outlive the layer
        yield* Container.from(busyboxImage).pipe(Container.withExec(["sleep", "30"]), Container.sync, Effect.provide(ctx), Effect.fork)
        yield* Effect.sleep("1500 millis")
        assert.notStrictEqual(containersOf(stateDir), "", "the sleeping exec has a container")
        return r
      }))
      checkProgram(result)
      assert.strictEqual(containersOf(stateDir), "", "no container of the embedded engine is left")
    }))

  it.live("layerRemote: runs the same program on a session opened elsewhere", () =>
    Effect.gen(function*() {
      checkProgram(yield* Effect.provide(program, DirkClient.layerRemote({ url: session.url, token: session.token })))
    }))

  it.live("layerFromEnv: picks up DAGGER_SESSION_PORT/TOKEN", () =>
    Effect.gen(function*() {
      const saved = { port: process.env.DAGGER_SESSION_PORT, token: process.env.DAGGER_SESSION_TOKEN }
      process.env.DAGGER_SESSION_PORT = String(session.port)
      process.env.DAGGER_SESSION_TOKEN = session.token
      const result = yield* Effect.provide(program, DirkClient.layerFromEnv).pipe(
        Effect.ensuring(Effect.sync(() => {
          for (const [k, v] of [["DAGGER_SESSION_PORT", saved.port], ["DAGGER_SESSION_TOKEN", saved.token]] as const) {
            if (v === undefined) delete process.env[k]
            else process.env[k] = v
          }
        }))
      )
      checkProgram(result)
    }))

  it.live("layerDaemon: a session of the state dir's daemon while the layer is open, none once it is released", () =>
    Effect.gen(function*() {
      const stateDir = dirs.fresh()
      const status = () =>
        execFileSync(process.execPath, [dirkBin, "engine", "status"], { env: { ...process.env, DIRK_STATE_DIR: stateDir }, encoding: "utf8" })
      const during = yield* Effect.scoped(Effect.gen(function*() {
        const ctx = yield* Layer.build(DirkClient.layerDaemon({ workdir: repoRoot }))
        checkProgram(yield* Effect.provide(program, ctx))
        return status()
      })).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["DIRK_STATE_DIR", stateDir]]))))
      assert.match(during, /sessions: 1\b/)
      let after = status()
      for (let i = 0; i < 50 && !/sessions: 0\b/.test(after); i++) {
        yield* Effect.sleep("100 millis")
        after = status()
      }
      assert.match(after, /sessions: 0\b/)
    }))

  it.live("a wrong token is a ConnectionError, an unknown image a QueryError naming it", () =>
    Effect.gen(function*() {
      const denied = yield* Container.from(busyboxImage).pipe(
        Container.stdout,
        Effect.provide(DirkClient.layerRemote({ url: session.url, token: "nope" })),
        Effect.flip
      )
      assert.strictEqual(denied._tag, "ConnectionError")
      assert.strictEqual(denied._tag === "ConnectionError" && denied.reason, "Unauthorized")
      const missing = yield* Container.from("127.0.0.1:5000/dirk-no-such-image:1").pipe(
        Container.withExec(["true"]),
        Container.sync,
        Effect.provide(DirkClient.layerRemote({ url: session.url, token: session.token })),
        Effect.flip
      )
      assert.strictEqual(missing._tag, "QueryError")
      assert.include(missing.message, "dirk-no-such-image")
    }))

  it("the published package under `dirk run` (session from the environment) and on the daemon (none)", async () => {
    const fixture = path.join(repoRoot, "test/fixtures/client/pipeline.mjs")
    const viaRun = await dirk(["run", process.execPath, fixture])
    assert.strictEqual(viaRun.code, 0, viaRun.stderr)
    assert.strictEqual(viaRun.stdout, "pipeline says: hello env\n")

    // no session variables: the client opens a session on the daemon of the state dir (started on the fly)
    const stateDir = dirs.fresh()
    const env: Record<string, string | undefined> = { ...process.env, DIRK_STATE_DIR: stateDir }
    delete env.DAGGER_SESSION_PORT
    delete env.DAGGER_SESSION_TOKEN
    const out = execFileSync(process.execPath, [fixture], { cwd: repoRoot, env, encoding: "utf8", timeout: 120_000 })
    assert.strictEqual(out, "pipeline says: hello env\n")
    const status = execFileSync(process.execPath, [dirkBin, "engine", "status"], { env, encoding: "utf8" })
    assert.match(status, /running|pid/i, "the client started the daemon")
  })
})
