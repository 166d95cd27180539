/**
 * The `Secret` type and the root `setSecret` and `secret` fields.
 *
 * A secret's plaintext lives only in the memory of the session that set (or resolved) it: a store per session
 * (dropped with the session), keyed by the secret's handle. The handle is an HMAC-SHA256 of the plaintext (or, for
 * `secret(uri, cacheKey)`, of the cache key) under a key made once per engine state dir and kept there (0600, see
 * `loadKey`), so equal secrets get equal IDs and hit the same cache, across sessions and engine restarts, while an ID,
 * a digest or a memo key reveals nothing of the plaintext. `setSecret`'s `plaintext` argument is recorded in its ID as
 * the handle (see `ArgSpec.sensitive`). Loading a `setSecret` ID in a session that never set it fails.
 *
 * `secret(uri)` secrets are resolved by the session's client (`SessionOps.resolveSecret`, see `SecretUri.ts`) when
 * the field runs; their ID holds the URI and, as its content, the handle of the value it resolved to. Loading such an
 * ID in another session resolves the URI again through that session's client.
 */
import { Effect, Either } from "effect"
import { createHash, createHmac, randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import type { SourceAuth } from "../Dag/Op.js"
import { stateDir } from "../Dag/Snapshots.js"
import * as Api from "./Api.js"
import { type ApiError, invalid, QueryError } from "./Errors.js"
import * as SecretUri from "./SecretUri.js"
import type { SecretState } from "./State.js"

type S = Api.Value<SecretState>

/** Dagger's limit on a secret's plaintext. */
const maxPlaintextBytes = SecretUri.maxPlaintextBytes

/** Plaintexts by handle, per session (`ClientContext.session` is one object per session, shared by its clients). */
const stores = new WeakMap<Api.SessionOps, Map<string, string>>()

const storeOf = (session: Api.SessionOps): Map<string, string> => {
  let store = stores.get(session)
  if (store === undefined) {
    store = new Map()
    stores.set(session, store)
  }
  return store
}

/**
 * A session's lookup of plaintexts by handle (what the solver uses to run execs that use secrets).
 *
 * @category getters
 */
export const lookup = (session: Api.SessionOps) => (handle: string): string | undefined => stores.get(session)?.get(handle)

const notSet = (s: SecretState, what: string) =>
  new QueryError({
    reason: "NotFound",
    detail: `${what}: secret ${JSON.stringify(s.name)} was not set in this session ` +
      "(a Secret's ID is valid only in the session that set it)"
  })

/**
 * The plaintext of a secret, from the calling client's session; `what` names the caller in the error.
 *
 * @category getters
 */
export const plaintext = (s: SecretState, ctx: Api.ClientContext, what: string): Effect.Effect<string, ApiError> =>
  Effect.suspend(() => {
    const value = stores.get(ctx.session)?.get(s.handle)
    return value === undefined ? Effect.fail(notSet(s, what)) : Effect.succeed(value)
  })

/**
 * The plaintext of a secret for the calling client's session: from its store, or, for a `secret(uri)` secret made in
 * another session, resolved again by this session's client (an error when the value changed since). `what` names
 * the caller in the error.
 *
 * @category getters
 */
export const available = (s: SecretState, ctx: Api.ClientContext, what: string): Effect.Effect<string, ApiError> =>
  Effect.suspend(() => {
    const value = stores.get(ctx.session)?.get(s.handle)
    if (value !== undefined) return Effect.succeed(value)
    const keys = [...engineKeys]
    if (s.uri === undefined || keys.length === 0) return Effect.fail(notSet(s, what))
    return Effect.flatMap(resolveUri(keys[0]!, { uri: s.uri, cacheKey: s.cacheKey }, ctx), ({ value }) => {
      // the handle under the key of the engine that made the ID (one key per engine; a process may run several)
      const matches = keys.some((k) =>
        (s.cacheKey !== undefined && s.cacheKey !== "" ? cacheKeyHandle(k, s.cacheKey) : handleOf(k, value)) === s.handle
      )
      if (!matches) {
        return Effect.fail(invalid(`${what}: the value of secret ${JSON.stringify(s.uri)} changed since its ID was made; call secret() again`))
      }
      storeOf(ctx.session).set(s.handle, value)
      return Effect.succeed(value)
    })
  })

/**
 * A secret as a source's credentials (`git`, `http`): by handle, with what another session needs to resolve it again.
 *
 * @category constructors
 */
export const sourceAuth = (s: SecretState, kind: "token" | "header", username = ""): SourceAuth => ({
  secret: s.name,
  handle: s.handle,
  kind,
  username,
  ...(s.uri !== undefined ? { uri: s.uri } : {}),
  ...(s.cacheKey !== undefined ? { cacheKey: s.cacheKey } : {})
})

/** The keys of the engines made in this process (`available` checks a re-resolved URI's handle with them). */
const engineKeys = new Set<Uint8Array>()

/**
 * The handle of a plaintext under `key`: `hmac-sha256:<hex>`.
 *
 * @category constructors
 */
export const handleOf = (key: Uint8Array, value: string): string =>
  "hmac-sha256:" + createHmac("sha256", key).update(value, "utf8").digest("hex")

/** The handle of a `secret(uri, cacheKey)` whose cache key is given (never equal to a plaintext's handle). */
const cacheKeyHandle = (key: Uint8Array, cacheKey: string): string =>
  "hmac-sha256:" + createHmac("sha256", key).update("dirk-secret-cache-key\0" + cacheKey, "utf8").digest("hex")

/**
 * The engine's secret key, kept in `<dir>/secret.key` (32 random bytes, mode 0600, created once): handles, and so the
 * cache keys of execs that use secrets, stay the same across engine restarts.
 *
 * @category constructors
 */
export const loadKey = (dir: string): Effect.Effect<Uint8Array> =>
  Effect.sync(() => {
    const file = path.join(dir, "secret.key")
    fs.mkdirSync(dir, { recursive: true })
    try {
      const fd = fs.openSync(file, "wx", 0o600)
      try {
        fs.writeSync(fd, randomBytes(32))
      } finally {
        fs.closeSync(fd)
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
    }
    const key = fs.readFileSync(file)
    if (key.length !== 32) throw new Error(`${file} is not a dirk secret key (32 bytes); remove it to make a new one`)
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600)
    return key
  }).pipe(Effect.orDie)

/** Resolves a URI through the session's client, as a value and its handle. */
const resolveUri = (
  key: Uint8Array,
  a: { readonly uri: string; readonly cacheKey?: string | null | undefined },
  ctx: Api.ClientContext
): Effect.Effect<{ readonly value: string; readonly handle: string }, ApiError> =>
  Effect.gen(function*() {
    const parsed = SecretUri.parse(a.uri)
    if (Either.isLeft(parsed)) return yield* Effect.fail(invalid(parsed.left))
    const resolver = ctx.session.resolveSecret ?? ((u: SecretUri.SecretUri) => SecretUri.resolve(u, SecretUri.thisProcess(ctx.workdir)))
    const value = yield* resolver(parsed.right).pipe(Effect.mapError((e) => invalid(e)))
    const size = Buffer.byteLength(value, "utf8")
    if (size > maxPlaintextBytes) {
      return yield* Effect.fail(invalid(`secret ${JSON.stringify(a.uri)}: the value is ${size} bytes; the limit is ${maxPlaintextBytes}`))
    }
    const handle = a.cacheKey !== undefined && a.cacheKey !== null && a.cacheKey !== ""
      ? cacheKeyHandle(key, a.cacheKey)
      : handleOf(key, value)
    return { value, handle }
  })

/**
 * The `Secret` type, `setSecret` and `secret`, with the engine's persisted key (in the state dir).
 *
 * @category constructors
 */
export const make = Effect.flatMap(Effect.orDie(stateDir), loadKey).pipe(Effect.map((key) => spec(key)))

/**
 * The same with a given key (tests; a fresh key per engine).
 *
 * @category constructors
 */
export const makeWithKey = (key: Uint8Array = randomBytes(32)) => Effect.sync(() => spec(key))

const spec = (key: Uint8Array): Api.ApiSpec => {
  engineKeys.add(key)
  return {
    objects: [
      {
        name: "Query",
        doc: "The root of the API.",
        fields: {
          setSecret: {
            kind: "chain",
            type: "Secret!",
            doc: "Sets a secret given a user defined name to its plaintext and returns the secret. The plaintext value is limited to a size of 128000 bytes.",
            args: {
              name: { type: "String!", doc: "The user defined name for this secret." },
              plaintext: {
                type: "String!",
                doc: "The plaintext of the secret (kept in the session's memory only; never part of an ID).",
                sensitive: (value) => handleOf(key, value)
              }
            },
            // every call stores the plaintext in its own session, even when another session set an equal secret
            volatile: true,
            run: (_p, a: { name: string; plaintext: string | Api.Recorded }, ctx) => {
              if (a.plaintext instanceof Api.Recorded) {
                // an ID replayed: `check` tells whether this session holds the plaintext
                return Effect.succeed(Api.state<SecretState>({ name: a.name, handle: a.plaintext.recorded }))
              }
              const size = Buffer.byteLength(a.plaintext, "utf8")
              if (size > maxPlaintextBytes) {
                const name = JSON.stringify(a.name)
                return Effect.fail(invalid(`setSecret: the plaintext of secret ${name} is ${size} bytes; the limit is ${maxPlaintextBytes}`))
              }
              const handle = handleOf(key, a.plaintext)
              storeOf(ctx.session).set(handle, a.plaintext)
              return Effect.succeed(Api.state<SecretState>({ name: a.name, handle }))
            }
          },
          secret: {
            kind: "chain",
            type: "Secret!",
            doc: "Creates a new secret from a URI, resolved by the session's client on its host: env://NAME (an " +
              "environment variable), file://PATH (a file; ~ is the home, relative paths are relative to the client's " +
              "working directory), cmd://COMMAND (the stdout of sh -c COMMAND, trailing newlines removed).",
            args: {
              uri: { type: "String!", doc: "The URI of the secret." },
              cacheKey: {
                type: "String",
                doc: "If set, the secret's cache identity (execs that use it are cached by this key, not by its value)."
              }
            },
            // resolved again on every call (the client's environment may have changed)
            volatile: true,
            run: (_p, a: { uri: string; cacheKey?: string | null }, ctx) =>
              Effect.map(resolveUri(key, a, ctx), ({ handle, value }) => {
                storeOf(ctx.session).set(handle, value)
                // named by content (the URI and the value's handle): IDs of different values differ, and each loads
                // its own state; execs are keyed by the handle alone, so other URIs of an equal value still hit
                const content = "sha256:" + createHash("sha256").update(JSON.stringify([a.uri, handle])).digest("hex")
                return Api.state<SecretState>({ name: a.uri, handle, uri: a.uri, ...(a.cacheKey ? { cacheKey: a.cacheKey } : {}) }, content)
              })
          }
        }
      },
      {
        name: "Secret",
        doc: "A reference to a secret value, which can be handled more safely than the value itself.",
        // a URI secret made in another session: this session's client resolves it (`available`)
        check: (v: S, ctx) => Effect.asVoid(available(v.state, ctx, "loading a Secret")),
        fields: {
          name: {
            kind: "leaf",
            type: "String!",
            doc: "The name of this secret.",
            run: (v: S) => Effect.succeed(v.state.name)
          },
          plaintext: {
            kind: "leaf",
            type: "String!",
            doc: "The value of this secret (never cached).",
            run: (v: S, _a, ctx) => plaintext(v.state, ctx, "Secret.plaintext")
          },
          uri: {
            kind: "leaf",
            type: "String!",
            doc: "The URI of this secret (\"\" for a secret made by setSecret).",
            run: (v: S) => Effect.succeed(v.state.uri ?? "")
          }
        }
      }
    ]
  }
}
