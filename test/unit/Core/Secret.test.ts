/**
 * Secrets in IDs and sessions (pure logic, no Docker): `setSecret`'s plaintext is in no ID (encoded or decoded),
 * digest or display; equal secrets have equal IDs within an engine; the plaintext lives in the session that set it.
 * Also the `withRegistryAuth` state of a container, and `Registry.authHost`.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck as fc } from "effect"
import { execute, parse } from "graphql"
import * as ApiM from "../../../src/Core/Api.js"
import type * as Api from "../../../src/Core/Api.js"
import * as Build from "../../../src/Core/Build.js"
import * as RegistryAuth from "../../../src/Core/RegistryAuth.js"
import * as Secret from "../../../src/Core/Secret.js"
import { type ContainerState, emptyContainer } from "../../../src/Core/State.js"
import * as CallId from "../../../src/Dag/CallId.js"
import * as Registry from "../../../src/Runtime/Registry.js"
import * as Memo from "../../../src/Session/Memo.js"

const containerRoot: Api.ApiSpec = {
  objects: [{
    name: "Query",
    doc: "root",
    fields: {
      container: { kind: "chain", type: "Container!", doc: "A container.", run: () => Effect.succeed(ApiM.state(emptyContainer("linux/amd64"))) }
    }
  }, {
    name: "Container",
    doc: "A container.",
    fields: {
      auth: {
        kind: "leaf",
        type: "String!",
        doc: "The registry auth entries, as JSON (for the test).",
        run: (v: Api.Value<ContainerState>) => Effect.succeed(JSON.stringify(v.state.registryAuth ?? []))
      }
    }
  }]
}

/** One engine (one secret key, one memo); `session()` opens a client of a new session. */
const makeEngine = Effect.gen(function*() {
  const memo = yield* Memo.make
  const secret = yield* Secret.makeWithKey()
  const registryAuth = yield* RegistryAuth.make
  const built = Build.build([containerRoot, secret, registryAuth], memo)
  const session = () => {
    const ops: Api.SessionOps = { id: "s", serve: () => Effect.void, nestedClient: () => Effect.die("unused") }
    const client: Api.ClientContext = {
      sessionId: "s",
      clientId: "c",
      workdir: "/",
      load: (id) => built.load(id, client),
      session: ops
    }
    return (q: string, variables?: Record<string, unknown>) =>
      Effect.promise(async () => {
        const r = await execute({ schema: built.schema, document: parse(q), contextValue: { client }, variableValues: variables })
        return { errors: r.errors?.map((e) => e.message), data: r.data as any }
      })
  }
  return { session }
})

/** Every string inside the JSON an ID encodes. */
const strings = (id: string): Array<string> => {
  const out: Array<string> = []
  const walk = (v: unknown): void => {
    if (typeof v === "string") out.push(v)
    else if (Array.isArray(v)) v.forEach(walk)
    else if (v !== null && typeof v === "object") Object.values(v).forEach(walk)
  }
  walk(JSON.parse(Buffer.from(id.slice("dirk1.".length), "base64url").toString("utf8")))
  return out
}

const assertHidden = (id: string, plaintext: string) => {
  assert.notInclude(id, plaintext)
  const decoded = Buffer.from(id.slice("dirk1.".length), "base64url").toString("utf8")
  assert.notInclude(decoded, plaintext)
  for (const s of strings(id)) assert.notInclude(s, plaintext)
  const callId = CallId.decode(id)
  assert.notInclude(callId.toString(), plaintext)
  assert.notInclude(callId.digest, plaintext)
}

const plaintexts = fc.oneof(
  fc.string({ minLength: 12, maxLength: 80, unit: "grapheme-ascii" }),
  fc.string({ minLength: 12, maxLength: 40, unit: "grapheme" })
).filter((s) => s.trim().length >= 12)

const setSecret = `query($p: String!) { setSecret(name: "token", plaintext: $p) { id name } }`

describe("Secret", () => {
  it.effect.prop("the plaintext is in no Secret ID (encoded, decoded, display, digest)", [plaintexts], ([plaintext]) =>
    Effect.gen(function*() {
      const { session } = yield* makeEngine
      const run = session()
      const r = yield* run(setSecret, { p: plaintext })
      assert.isUndefined(r.errors)
      assert.strictEqual(r.data.setSecret.name, "token")
      const id: string = r.data.setSecret.id
      assertHidden(id, plaintext)
      assert.match(id, /^dirk1\./)
      assert.include(strings(id).join(" "), "hmac-sha256:")
      // nor in the ID of a container that uses it
      const c = yield* run(`query($s: SecretID!) { container { withRegistryAuth(address: "127.0.0.1:5000", username: "me", secret: $s) { id auth } } }`, { s: id })
      assert.isUndefined(c.errors)
      assertHidden(c.data.container.withRegistryAuth.id, plaintext)
      assert.notInclude(c.data.container.withRegistryAuth.auth, plaintext)
      // and the session still gives it back
      const back = yield* run(`query($s: SecretID!) { loadSecretFromID(id: $s) { plaintext } }`, { s: id })
      assert.strictEqual(back.data.loadSecretFromID.plaintext, plaintext)
    }), { fastCheck: { numRuns: 60 } })

  it.effect.prop("equal secrets have equal IDs within an engine, other values or another engine other IDs", [plaintexts], ([plaintext]) =>
    Effect.gen(function*() {
      const engine = yield* makeEngine
      const a = yield* engine.session()(setSecret, { p: plaintext })
      const b = yield* engine.session()(setSecret, { p: plaintext })
      const other = yield* engine.session()(setSecret, { p: plaintext + "x" })
      const elsewhere = yield* (yield* makeEngine).session()(setSecret, { p: plaintext })
      assert.strictEqual(a.data.setSecret.id, b.data.setSecret.id)
      assert.notStrictEqual(a.data.setSecret.id, other.data.setSecret.id)
      assert.notStrictEqual(a.data.setSecret.id, elsewhere.data.setSecret.id)
    }), { fastCheck: { numRuns: 30 } })

  it.effect("a literal plaintext in the query is hidden too; the name is kept", () =>
    Effect.gen(function*() {
      const run = (yield* makeEngine).session()
      const r = yield* run(`{ setSecret(name: "gh-token", plaintext: "literal-secret-value-123") { id name plaintext } }`)
      assert.isUndefined(r.errors)
      assert.strictEqual(r.data.setSecret.name, "gh-token")
      assert.strictEqual(r.data.setSecret.plaintext, "literal-secret-value-123")
      assertHidden(r.data.setSecret.id, "literal-secret-value-123")
      assert.include(strings(r.data.setSecret.id), "gh-token")
    }))

  it.effect("another session of the same engine cannot load the ID until it sets the same secret itself", () =>
    Effect.gen(function*() {
      const engine = yield* makeEngine
      const a = engine.session()
      const b = engine.session()
      const id = (yield* a(setSecret, { p: "session-a-only-value" })).data.setSecret.id
      // loaded once in A: the value is in the engine's memo, yet B is still refused
      assert.strictEqual((yield* a(`query($s: SecretID!) { loadSecretFromID(id: $s) { name } }`, { s: id })).data.loadSecretFromID.name, "token")
      for (const q of [
        `query($s: SecretID!) { loadSecretFromID(id: $s) { plaintext } }`,
        `query($s: ID!) { node(id: $s) { id } }`,
        `query($s: SecretID!) { container { withRegistryAuth(address: "docker.io", username: "u", secret: $s) { id } } }`
      ]) {
        const refused = yield* b(q, { s: id })
        assert.match(refused.errors?.[0] ?? "", /secret "token" was not set in this session/, q)
        assert.notInclude(refused.errors?.[0] ?? "", "session-a-only-value")
      }
      const own = yield* b(setSecret, { p: "session-a-only-value" })
      assert.strictEqual(own.data.setSecret.id, id)
      const now = yield* b(`query($s: SecretID!) { loadSecretFromID(id: $s) { plaintext } }`, { s: id })
      assert.strictEqual(now.data.loadSecretFromID.plaintext, "session-a-only-value")
    }))

  it.effect("a plaintext over 128000 bytes is refused without echoing it", () =>
    Effect.gen(function*() {
      const run = (yield* makeEngine).session()
      const big = "é".repeat(64_001)
      const r = yield* run(setSecret, { p: big })
      assert.match(r.errors?.[0] ?? "", /the plaintext of secret "token" is 128002 bytes; the limit is 128000/)
      assert.notInclude(r.errors?.[0] ?? "", "éé")
      const ok = yield* run(setSecret, { p: "x".repeat(128_000) })
      assert.isUndefined(ok.errors)
    }))
})

describe("withRegistryAuth", () => {
  it.effect("one entry per registry host, replaced by a later call, removed by withoutRegistryAuth", () =>
    Effect.gen(function*() {
      const run = (yield* makeEngine).session()
      const id = (yield* run(setSecret, { p: "registry-password-1" })).data.setSecret.id
      const r = yield* run(`query($s: SecretID!) { container {
        withRegistryAuth(address: "127.0.0.1:5000/app:1", username: "a", secret: $s) {
          withRegistryAuth(address: "http://127.0.0.1:5000/", username: "b", secret: $s) {
            withRegistryAuth(address: "alpine", username: "hub", secret: $s) {
              auth
              withoutRegistryAuth(address: "docker.io") { auth withoutRegistryAuth(address: "127.0.0.1:5000") { auth } }
            } } } } }`, { s: id })
      const top = r.data.container.withRegistryAuth.withRegistryAuth.withRegistryAuth
      const entries = JSON.parse(top.auth) as Array<{ host: string; username: string }>
      assert.deepStrictEqual(entries.map((e) => [e.host, e.username]), [["127.0.0.1:5000", "b"], ["docker.io", "hub"]])
      assert.deepStrictEqual(JSON.parse(top.withoutRegistryAuth.auth).map((e: { host: string }) => e.host), ["127.0.0.1:5000"])
      assert.strictEqual(top.withoutRegistryAuth.withoutRegistryAuth.auth, "[]")
      assert.isUndefined(r.errors)
      const bad = yield* run(`{ container { withoutRegistryAuth(address: "not a host/x") { auth } } }`)
      assert.match(bad.errors?.[0] ?? "", /withoutRegistryAuth: invalid registry address "not a host\/x"/)
    }))

  it("Registry.authHost reads the host of a host, URL or image address", () => {
    const cases: ReadonlyArray<readonly [string, string | undefined]> = [
      ["127.0.0.1:5000", "127.0.0.1:5000"],
      ["127.0.0.1:5000/app:v1", "127.0.0.1:5000"],
      ["http://127.0.0.1:5000/", "127.0.0.1:5000"],
      ["https://Registry.Example.com/v2/", "registry.example.com"],
      ["localhost:5000", "localhost:5000"],
      ["localhost", "localhost"],
      ["myhost:5000/team/app", "myhost:5000"],
      ["myhost:5000", "myhost:5000"],
      ["alpine", "docker.io"],
      ["alpine:3.20", "docker.io"],
      ["dagger/dagger:main", "docker.io"],
      ["docker.io/dagger/dagger:main", "docker.io"],
      ["index.docker.io", "docker.io"],
      ["https://index.docker.io/v1/", "docker.io"],
      ["registry-1.docker.io", "docker.io"],
      ["ghcr.io/owner/image@sha256:" + "a".repeat(64), "ghcr.io"],
      ["[::1]:5000/x", "[::1]:5000"],
      ["", undefined],
      ["bad host/x", undefined],
      ["-bad/x", undefined],
      ["registry.example.com:latest", "registry.example.com"]
    ]
    for (const [address, host] of cases) assert.strictEqual(Registry.authHost(address), host, address)
  })
})
