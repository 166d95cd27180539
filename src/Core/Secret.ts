/**
 * The `Secret` type and the root `setSecret` field.
 *
 * A secret's plaintext lives only in the memory of the session that set it: a store per session (dropped with the
 * session), keyed by the secret's handle. The handle is an HMAC-SHA256 of the plaintext under a random key made once
 * per engine, so equal secrets get equal IDs (and hit the same cache) within an engine, while an ID, a digest or a
 * memo key reveals nothing of the plaintext. `setSecret`'s `plaintext` argument is recorded in its ID as the handle
 * (see `ArgSpec.sensitive`). Loading a Secret's ID in a session that never set it fails.
 */
import { Effect } from "effect"
import { createHmac, randomBytes } from "node:crypto"
import * as Api from "./Api.js"
import { type ApiError, invalid, QueryError } from "./Errors.js"
import type { SecretState } from "./State.js"

type S = Api.Value<SecretState>

/** Dagger's limit on a secret's plaintext. */
const maxPlaintextBytes = 128_000

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
 * The handle of a plaintext under `key`: `hmac-sha256:<hex>`.
 *
 * @category constructors
 */
export const handleOf = (key: Uint8Array, value: string): string =>
  "hmac-sha256:" + createHmac("sha256", key).update(value, "utf8").digest("hex")

/**
 * The `Secret` type and `setSecret`, with a fresh per-engine key.
 *
 * @category constructors
 */
export const make = Effect.sync((): Api.ApiSpec => {
  const key = randomBytes(32)
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
          }
        }
      },
      {
        name: "Secret",
        doc: "A reference to a secret value, which can be handled more safely than the value itself.",
        check: (v: S, ctx) =>
          stores.get(ctx.session)?.has(v.state.handle) ? Effect.void : Effect.fail(notSet(v.state, "loading a Secret")),
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
          }
        }
      }
    ]
  }
})
