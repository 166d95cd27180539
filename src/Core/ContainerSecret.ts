/**
 * Secrets of a container's execs: `withSecretVariable`, `withoutSecretVariable` and `withMountedSecret` (fields merged
 * into the `Container` type), and what the exec op carries of them.
 *
 * A container's state names its secrets by their state (name and handle), never by plaintext. When an exec runs, the
 * solver looks the plaintexts up in the requesting session (`Solver.currentSecrets`): secret variables go into the
 * process's environment only (not into the image config, `envVariables`, export or publish), mounted secrets are files
 * bound from outside the rootfs (never committed), and the exec's output is scrubbed of their values.
 */
import { Effect } from "effect"
import type * as Op from "../Dag/Op.js"
import type * as Api from "./Api.js"
import { invalid } from "./Errors.js"
import { abs, same } from "./internal/container.js"
import * as OwnerArg from "./internal/owner.js"
import type { ContainerState, SecretState } from "./State.js"

type C = Api.Value<ContainerState>
type S = Api.Value<SecretState>

const validName = /^[^=\0]+$/

/**
 * The secret parts of an exec's meta for a container state (none when it has no secrets).
 *
 * @category getters
 */
export const execMeta = (
  s: ContainerState
): { readonly secretEnv?: ReadonlyArray<Op.ExecSecretEnv>; readonly secretMounts?: ReadonlyArray<Op.ExecSecretMount> } => ({
  ...(s.secretEnv !== undefined && s.secretEnv.length > 0
    ? { secretEnv: s.secretEnv.map((e) => ({ name: e.name, secret: e.secret.name, handle: e.secret.handle })) }
    : {}),
  ...(s.secretMounts !== undefined && s.secretMounts.length > 0
    ? {
      secretMounts: s.secretMounts.map((m) => ({
        target: m.target,
        secret: m.secret.name,
        handle: m.secret.handle,
        mode: m.mode,
        ...(m.owner !== undefined ? { owner: m.owner } : {})
      }))
    }
    : {})
})

/**
 * The `withSecretVariable`, `withoutSecretVariable` and `withMountedSecret` fields of `Container`.
 *
 * @category constructors
 */
export const make = Effect.succeed<Api.ApiSpec>({
  objects: [
    {
      name: "Container",
      doc: "An OCI-compatible container, also known as a Docker container.",
      fields: {
        withSecretVariable: {
          kind: "chain",
          type: "Container!",
          doc: "Sets an environment variable of the following execs to a secret's value (never part of the image " +
            "config, envVariables, export or publish; scrubbed from the execs' output).",
          args: {
            name: { type: "String!", doc: "The name of the secret variable (e.g., \"API_SECRET\")." },
            secret: { type: "SecretID!", doc: "The identifier of the secret value." }
          },
          run: (p: C, a: { name: string; secret: S }) =>
            validName.test(a.name)
              ? same({
                ...p.state,
                secretEnv: [...(p.state.secretEnv ?? []).filter((e) => e.name !== a.name), { name: a.name, secret: a.secret.state }],
                imageRef: undefined
              })
              : Effect.fail(invalid(`withSecretVariable: invalid variable name ${JSON.stringify(a.name)}`))
        },
        withoutSecretVariable: {
          kind: "chain",
          type: "Container!",
          doc: "Removes a secret environment variable from the following execs.",
          args: { name: { type: "String!", doc: "The name of the secret variable." } },
          run: (p: C, a: { name: string }) => {
            const rest = (p.state.secretEnv ?? []).filter((e) => e.name !== a.name)
            return same({ ...p.state, secretEnv: rest.length > 0 ? rest : undefined, imageRef: undefined })
          }
        },
        withMountedSecret: {
          kind: "chain",
          type: "Container!",
          doc: "Mounts a secret as a file at a path for the following execs (bound from outside the container's " +
            "filesystem: its value is never committed into the image).",
          args: {
            path: { type: "String!", doc: "Location of the secret file (e.g., \"/tmp/secret.txt\")." },
            source: { type: "SecretID!", doc: "Identifier of the secret to mount." },
            owner: {
              type: "String",
              doc: "A user:group owning the file (names resolved in the container's /etc/passwd and /etc/group); " +
                "default root.",
              default: ""
            },
            mode: { type: "Int", doc: "Permission bits of the mounted secret file (default 0400).", default: 0o400 },
            expand: { type: "Boolean", doc: "Expand ${VAR} in the path.", default: false }
          },
          run: (p: C, a: { path: string; source: S; owner: string; mode: number; expand: boolean }) =>
            Effect.gen(function*() {
              if (!Number.isInteger(a.mode) || a.mode < 0 || a.mode > 0o7777) {
                return yield* Effect.fail(invalid(`withMountedSecret: invalid mode ${a.mode}`))
              }
              const owner = yield* OwnerArg.ofContainer("withMountedSecret", p.state, a.owner)
              const target = abs(p.state, a.path, a.expand)
              return yield* same({
                ...p.state,
                secretMounts: [
                  ...(p.state.secretMounts ?? []).filter((m) => m.target !== target),
                  { target, secret: a.source.state, mode: a.mode, ...(owner !== undefined ? { owner } : {}) }
                ],
                imageRef: undefined
              })
            })
        }
      }
    }
  ]
})
