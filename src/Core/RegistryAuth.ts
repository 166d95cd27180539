/**
 * Registry credentials of a container: `withRegistryAuth` and `withoutRegistryAuth` (fields merged into the
 * `Container` type), and the lookup that `from` and `publish` use.
 *
 * The credentials are part of the container's state, one per registry host, and apply to that container's later
 * `from` and `publish` for that host; they are not part of its image config. The container's ID names them by the
 * secret's ID only (name and keyed hash), never by the plaintext, which is read from the session at the time of use.
 * Without them, the Docker client's config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`) is used.
 */
import { Effect } from "effect"
import { createHash } from "node:crypto"
import type { ImageAuth } from "../Dag/Solver.js"
import * as Registry from "../Runtime/Registry.js"
import * as Api from "./Api.js"
import { type ApiError, invalid } from "./Errors.js"
import * as Secret from "./Secret.js"
import type { ContainerState, SecretState } from "./State.js"

type C = Api.Value<ContainerState>

const hostOf = (field: string, address: string): Effect.Effect<string, ApiError> => {
  const host = Registry.authHost(address)
  return host === undefined
    ? Effect.fail(invalid(
      `${field}: invalid registry address ${JSON.stringify(address)} ` +
        "(expected a host such as \"registry.example.com\" or \"127.0.0.1:5000\", or an image address)"
    ))
    : Effect.succeed(host)
}

/**
 * The credentials `withRegistryAuth` gave the container for `domain` (a reference's domain), with a key that names
 * them without the password; `undefined` when it gave none. `what` names the caller in errors.
 *
 * @category getters
 */
export const imageAuth = (
  s: ContainerState,
  domain: string,
  ctx: Api.ClientContext,
  what: string
): Effect.Effect<ImageAuth | undefined, ApiError> => {
  const entry = s.registryAuth?.find((e) => e.host === domain.toLowerCase())
  if (entry === undefined) return Effect.succeed(undefined)
  const key = createHash("sha256").update(JSON.stringify([entry.host, entry.username, entry.secret.handle])).digest("hex")
  return Effect.map(Secret.plaintext(entry.secret, ctx, what), (password) => ({
    credentials: { username: entry.username, password },
    key: key.slice(0, 32)
  }))
}

/**
 * The `withRegistryAuth` and `withoutRegistryAuth` fields of `Container`.
 *
 * @category constructors
 */
export const make = Effect.succeed<Api.ApiSpec>({
  objects: [
    {
      name: "Container",
      doc: "An OCI-compatible container, also known as a Docker container.",
      fields: {
        withRegistryAuth: {
          kind: "chain",
          type: "Container!",
          doc: "Attach credentials for future publishing to a registry. Use in combination with publish (and from).",
          args: {
            address: {
              type: "String!",
              doc: "Registry's address to bind the authentication to. Formatted as [host]/[user]/[repo]:[tag] (e.g. docker.io/dagger/dagger:main)."
            },
            username: { type: "String!", doc: "The username to authenticate with." },
            secret: { type: "SecretID!", doc: "The API key, password or token to authenticate to this registry." }
          },
          run: (p: C, a: { address: string; username: string; secret: Api.Value<SecretState> }) =>
            Effect.map(hostOf("withRegistryAuth", a.address), (host) =>
              Api.state<ContainerState>({
                ...p.state,
                registryAuth: [
                  ...(p.state.registryAuth ?? []).filter((e) => e.host !== host),
                  { host, username: a.username, secret: a.secret.state }
                ]
              }))
        },
        withoutRegistryAuth: {
          kind: "chain",
          type: "Container!",
          doc: "Retrieves this container without the registry authentication of a given address.",
          args: {
            address: {
              type: "String!",
              doc: "Registry's address to remove the authentication from. Formatted as [host]/[user]/[repo]:[tag] (e.g. docker.io/dagger/dagger:main)."
            }
          },
          run: (p: C, a: { address: string }) =>
            Effect.map(hostOf("withoutRegistryAuth", a.address), (host) => {
              const rest = (p.state.registryAuth ?? []).filter((e) => e.host !== host)
              return Api.state<ContainerState>({ ...p.state, registryAuth: rest.length > 0 ? rest : undefined })
            })
        }
      }
    }
  ]
})
