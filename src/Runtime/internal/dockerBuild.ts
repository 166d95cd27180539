/**
 * One image build through Docker's build API with BuildKit (`POST /build?version=2`). BuildKit needs a session: a
 * hijacked `/session` connection on which the engine serves the build's secrets (`buildSession.ts`), opened before
 * the build and closed after it whatever happens (an interrupted build included). `spec.redact` is applied to the
 * build output passed on and to the failure message. BuildKit runs
 * the steps outside Docker's container list and keeps no intermediate images: the only Docker object a build leaves
 * is the final image, which carries the labels given here.
 */
import type Dockerode from "dockerode"
import { Effect } from "effect"
import type { Readable } from "node:stream"
import type { BuildSpec } from "../ContainerRuntime.js"
import * as BuildOutput from "./buildOutput.js"
import * as BuildSession from "./buildSession.js"

/**
 * How a failure is reported: `detail` says what failed, `cause` is the underlying error when there is one.
 *
 * @category models
 */
export type Fail<E> = (detail: string, cause?: unknown) => E

/**
 * Builds `spec` and returns the image id. Build errors (reported inside the 200 response) fail with the failing
 * step and the tail of its output (`BuildOutput.failureMessage`).
 *
 * @category constructors
 */
export const build = <E>(
  docker: Dockerode,
  spec: BuildSpec,
  labels: Readonly<Record<string, string>>,
  fail: Fail<E>
): Effect.Effect<string, E> =>
  Effect.scoped(Effect.gen(function*() {
    const secrets = new Map(Object.entries(spec.secrets ?? {}).map(([k, v]) => [k, Buffer.from(v, "utf8")] as const))
    const scrub = spec.redact ?? ((text: string) => text)
    const session = yield* Effect.acquireRelease(
      Effect.async<BuildSession.BuildSession, E>((resume) => {
        BuildSession.open(docker, secrets, (err, s) => {
          resume(err || s === undefined ? Effect.fail(fail("opening a BuildKit session", err)) : Effect.succeed(s))
        })
      }),
      (s) => Effect.sync(() => s.close())
    )
    const body = yield* Effect.acquireRelease(
      Effect.async<Readable, E>((resume, signal) => {
        docker.modem.dial({
          path: "/build?",
          method: "POST",
          file: spec.context(),
          options: {
            dockerfile: spec.dockerfile,
            buildargs: JSON.stringify(spec.buildArgs),
            labels: JSON.stringify(labels),
            ...(spec.target !== "" ? { target: spec.target } : {}),
            version: "2",
            session: session.id
          },
          abortSignal: signal,
          isStream: true,
          statusCodes: { 200: true, 400: "bad parameter", 500: "server error" }
        } as never, (err: unknown, stream: unknown) => {
          resume(err ? Effect.fail(fail("starting the build", err)) : Effect.succeed(stream as Readable))
        })
      }),
      (stream) => Effect.sync(() => stream.destroy())
    )
    const onOutput = spec.onOutput
    const output = BuildOutput.make(onOutput === undefined ? undefined : (line) => onOutput(scrub(line)))
    yield* Effect.async<void, E>((resume) => {
      let settled = false
      const finish = (error?: unknown) => {
        if (settled) return
        settled = true
        output.end()
        resume(error === undefined ? Effect.void : Effect.fail(fail("reading the build output", error)))
      }
      body.on("data", output.push)
      body.once("end", () => finish())
      body.once("close", () => finish())
      body.once("error", finish)
      return Effect.sync(() => body.off("data", output.push))
    })
    const report = output.report()
    if (report.error !== undefined || report.imageId === undefined) {
      return yield* Effect.fail(fail(scrub(BuildOutput.failureMessage(spec.dockerfile, report))))
    }
    return report.imageId
  }))
