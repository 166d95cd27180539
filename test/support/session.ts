/**
 * Test support: an in-process engine session over the real Docker daemon, and a tiny GraphQL client for it.
 */
import { Effect, ExecutionStrategy, Exit, Layer, ManagedRuntime, Scope } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { SessionInfo } from "../../src/Engine/Engine.js"
import { Engine } from "../../src/Engine/EngineLive.js"
import { engineLayer } from "../../src/layers.js"
import { removeCachedImages } from "./cli.js"
import { busyboxImage, requireDocker } from "./docker.js"
import * as Docker from "../../src/Runtime/Docker.js"

export interface GraphQLResponse {
  readonly data?: any
  readonly errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>
}

/** POSTs a query to a session as its client. */
export const query = async (session: SessionInfo, q: string, token = session.token): Promise<GraphQLResponse & { status: number }> => {
  const res = await fetch(session.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: "Basic " + Buffer.from(token + ":").toString("base64")
    },
    body: JSON.stringify({ query: q })
  })
  const text = await res.text()
  let body: GraphQLResponse = {}
  try {
    body = JSON.parse(text)
  } catch {
    body = { errors: [{ message: text }] }
  }
  return { status: res.status, ...body }
}

/**
 * Starts an engine with a fresh state dir; sessions opened on it close with it. Fails loudly when Docker or the
 * test images are missing.
 */
export const startEngine = async (images: ReadonlyArray<string> = [busyboxImage]) => {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-test-state-"))
  process.env.DIRK_STATE_DIR = stateDir
  const check = Layer.effectDiscard(requireDocker(images)).pipe(Layer.provide(Layer.orDie(Docker.layerClient)))
  const runtime = ManagedRuntime.make(Layer.merge(engineLayer, check))
  const scope = await runtime.runPromise(Scope.make())
  const openSession = (workdir: string = process.cwd()): Promise<SessionInfo> =>
    runtime.runPromise(Effect.flatMap(Engine, (engine) => engine.openSession({ workdir })).pipe(Scope.extend(scope)))
  /** A session with its own scope: `close` ends it (and only it). */
  const openClosable = async (workdir: string = process.cwd()) => {
    const own = await runtime.runPromise(Scope.fork(scope, ExecutionStrategy.sequential))
    const session = await runtime.runPromise(Effect.flatMap(Engine, (engine) => engine.openSession({ workdir })).pipe(Scope.extend(own)))
    return { session, close: () => runtime.runPromise(Scope.close(own, Exit.void)) }
  }
  const close = async () => {
    await runtime.runPromise(Scope.close(scope, Exit.void))
    await runtime.dispose()
    removeCachedImages(stateDir)
    fs.rmSync(stateDir, { recursive: true, force: true })
  }
  return { openSession, openClosable, close, stateDir }
}

/**
 * Starts an engine and opens one session with `workdir`; `close` ends both.
 */
export const openSession = async (workdir: string = process.cwd(), images: ReadonlyArray<string> = [busyboxImage]) => {
  const engine = await startEngine(images)
  const session = await engine.openSession(workdir)
  return { session, close: engine.close, stateDir: engine.stateDir }
}
