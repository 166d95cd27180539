/**
 * `Directory.dockerBuild` and the `BuildArg` input: builds the Dockerfile of a directory (the directory is the build
 * context) into a Container, as `from` would give it: the built rootfs and its config (env, entrypoint, cmd, workdir,
 * user, labels, exposed ports). The build is an op (`Op.dockerBuild`), run once per context digest, Dockerfile path,
 * build arguments, target and secrets (by handle). Secrets are mounted by their names
 * (`RUN --mount=type=secret,id=<name>`, at `/run/secrets/<name>` by default), served to BuildKit from the session.
 */
import { Effect } from "effect"
import * as Op from "../Dag/Op.js"
import { Solver } from "../Dag/Solver.js"
import * as Api from "./Api.js"
import { QueryError } from "./Errors.js"
import * as Secret from "./Secret.js"
import type { ContainerState, DirectoryState, SecretState } from "./State.js"
import { emptyContainer, nativePlatform } from "./State.js"

type D = Api.Value<DirectoryState>

const unsupported = (detail: string) =>
  new QueryError({ reason: "Unsupported", detail: `Directory.dockerBuild: ${detail}` })

const splitEnv = (kv: string): readonly [string, string] => {
  const i = kv.indexOf("=")
  return i < 0 ? [kv, ""] : [kv.slice(0, i), kv.slice(i + 1)]
}

interface Args {
  readonly dockerfile: string
  readonly platform?: string | null
  readonly buildArgs: ReadonlyArray<{ readonly name: string; readonly value: string }>
  readonly target: string
  readonly secrets: ReadonlyArray<Api.Value<SecretState>>
  readonly noInit: boolean
  readonly ssh?: string | null
}

/**
 * @category constructors
 */
export const make = Effect.gen(function*() {
  const solver = yield* Solver

  const spec: Api.ApiSpec = {
    inputs: [
      {
        name: "BuildArg",
        doc: "Key value object that represents a build argument.",
        fields: {
          name: { type: "String!", doc: "The build argument name." },
          value: { type: "String!", doc: "The build argument value." }
        }
      }
    ],
    objects: [
      {
        name: "Directory",
        doc: "A directory.",
        fields: {
          dockerBuild: {
            kind: "chain",
            type: "Container!",
            doc: "Use Dockerfile compatibility to build a container from this directory. Only use this function " +
              "for Dockerfile compatibility. Otherwise use the native Container type directly, it is feature-complete and " +
              "supports all Dockerfile features.",
            args: {
              dockerfile: {
                type: "String",
                doc: "Path to the Dockerfile to use, relative to this directory (e.g., \"frontend.Dockerfile\").",
                default: "Dockerfile"
              },
              platform: { type: "Platform", doc: "The platform to build (only the engine's native platform)." },
              buildArgs: { type: "[BuildArg!]", doc: "Build arguments to use in the build.", default: [] },
              target: { type: "String", doc: "Target build stage to build (the last stage when empty).", default: "" },
              secrets: {
                type: "[SecretID!]",
                doc: "Secrets to pass to the build. They are mounted at /run/secrets/[secret-name] in the build " +
                  "container: RUN --mount=type=secret,id=[secret-name] in the Dockerfile.",
                default: []
              },
              noInit: {
                type: "Boolean",
                doc: "If set, skip the automatic init process injected into containers created by RUN statements " +
                  "(dirk never injects one).",
                default: false
              },
              ssh: {
                type: "String",
                doc: "A socket to use for SSH authentication during the build, a SocketID (not supported yet)."
              }
            },
            run: (v: D, a: Args, ctx) =>
              Effect.gen(function*() {
                // each secret must be available to this session now (the build runs when the field resolves)
                for (const s of a.secrets) yield* Secret.available(s.state, ctx, "Directory.dockerBuild")
                if (a.ssh !== undefined && a.ssh !== null && a.ssh !== "") {
                  return yield* unsupported("ssh is not supported yet")
                }
                const platform = nativePlatform()
                if (a.platform !== undefined && a.platform !== null && a.platform !== platform) {
                  return yield* unsupported(`platform ${a.platform} is not supported (only the engine's ${platform})`)
                }
                const op = Op.dockerBuild({
                  context: v.state.op,
                  dockerfile: a.dockerfile === "" ? "Dockerfile" : a.dockerfile,
                  buildArgs: a.buildArgs.map((b) => [b.name, b.value] as const),
                  target: a.target,
                  secrets: a.secrets.map((s) => ({ name: s.state.name, handle: s.state.handle }))
                })
                const c = (yield* solver.dockerBuild(op)).config
                const empty = emptyContainer(platform)
                return Api.state<ContainerState>({
                  ...empty,
                  rootfs: op,
                  config: {
                    env: c.env.map(splitEnv),
                    labels: Object.entries(c.labels),
                    exposedPorts: [...c.exposedPorts],
                    entrypoint: c.entrypoint,
                    cmd: c.cmd,
                    workdir: c.workdir,
                    user: c.user
                  }
                })
              })
          }
        }
      }
    ]
  }
  return spec
})
