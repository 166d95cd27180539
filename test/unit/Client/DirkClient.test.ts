/**
 * How `layerFromEnv` picks a session from the environment, and the remote transport's errors (no engine involved).
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import * as net from "node:net"
import { Container, DirkClient } from "../../../src/Client/index.js"

const withEnv = (env: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("DirkClient", () => {
  it.scoped("layerFromEnv: DAGGER_SESSION_PORT and DAGGER_SESSION_TOKEN give the session at 127.0.0.1:PORT", () =>
    Effect.gen(function*() {
      const ctx = yield* Layer.build(DirkClient.layerFromEnv).pipe(withEnv({ DAGGER_SESSION_PORT: "4321", DAGGER_SESSION_TOKEN: "t" }))
      const client = yield* Effect.provide(DirkClient.DirkClient, ctx)
      assert.strictEqual(client.url, "http://127.0.0.1:4321/query")
    }))

  it.scoped("layerFromEnv: one of the two variables alone is an error naming both", () =>
    Effect.gen(function*() {
      const e = yield* Layer.build(DirkClient.layerFromEnv).pipe(withEnv({ DAGGER_SESSION_PORT: "4321" }), Effect.flip)
      assert.strictEqual(e._tag, "ConnectionError")
      assert.include(e.message, "DAGGER_SESSION_PORT and DAGGER_SESSION_TOKEN must be set together")
    }))

  it.live("layerRemote: nothing listening is a ConnectionError (Unreachable) naming the URL", () =>
    Effect.gen(function*() {
      // a port that was free a moment ago
      const port = yield* Effect.async<number>((resume) => {
        const server = net.createServer().listen(0, "127.0.0.1", () => {
          const p = (server.address() as net.AddressInfo).port
          server.close(() => resume(Effect.succeed(p)))
        })
      })
      const url = `http://127.0.0.1:${port}/query`
      const e = yield* Container.from("alpine").pipe(
        Container.stdout,
        Effect.provide(DirkClient.layerRemote({ url, token: "t" })),
        Effect.flip
      )
      assert.strictEqual(e._tag, "ConnectionError")
      assert.strictEqual(e._tag === "ConnectionError" && e.reason, "Unreachable")
      assert.include(e.message, url)
    }))
})
