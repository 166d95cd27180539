/**
 * Attaches the user's terminal to a container the engine created for a terminal (`Container.terminal`, or a failed
 * exec under `-i`). The engine runs in a daemon that has no TTY of the user's, so it creates the container (TTY,
 * open stdin, not started) and asks the session's client for it by a progress event carrying the container's id;
 * the CLI then talks to Docker directly, as `docker start -ai` does: attach (hijacked stream), start, size the
 * container's TTY to the terminal (and again on each resize), put its own stdin in raw mode and relay bytes both
 * ways until the container exits. The engine waits for that exit, then removes the container. So the CLI must reach
 * the same Docker daemon as the engine (`DOCKER_HOST`).
 */
import { Effect } from "effect"
import { CliError } from "./CliError.js"

const problem = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/**
 * Runs the terminal session with the container `containerId` (created, not started) until it exits.
 *
 * @category constructors
 */
export const attach = (containerId: string): Effect.Effect<void, CliError> =>
  Effect.gen(function*() {
    const Docker = yield* Effect.promise(() => import("../Runtime/Docker.js"))
    const client = yield* Effect.provide(Docker.DockerClient, Docker.layerClient).pipe(
      Effect.mapError((e) => new CliError({ reason: "Engine", detail: `terminal: ${problem(e)}` }))
    )
    yield* Effect.tryPromise({
      try: () => session(client.docker, containerId),
      catch: (e) => new CliError({ reason: "Engine", detail: `terminal: cannot attach to container ${containerId}: ${problem(e)}` })
    })
  })

type Docker = import("dockerode")

const session = async (docker: Docker, containerId: string): Promise<void> => {
  const container = docker.getContainer(containerId)
  const stream = (await container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true })) as NodeJS.ReadWriteStream
  const stdin = process.stdin
  const stdout = process.stdout
  const wasRaw = stdin.isTTY === true && stdin.isRaw
  const ended = new Promise<void>((resolve) => {
    stream.once("end", () => resolve())
    stream.once("close", () => resolve())
    stream.once("error", () => resolve())
  })
  const toContainer = (chunk: Buffer) => {
    stream.write(chunk)
  }
  const toTerminal = (chunk: Buffer) => {
    stdout.write(chunk)
  }
  const resize = () => {
    if (stdout.rows !== undefined && stdout.columns !== undefined) {
      container.resize({ h: stdout.rows, w: stdout.columns }).catch(() => undefined)
    }
  }
  stream.on("data", toTerminal)
  try {
    if (stdin.isTTY === true) stdin.setRawMode(true)
    stdin.on("data", toContainer)
    stdin.resume()
    stdout.on("resize", resize)
    await container.start()
    resize()
    await container.wait()
    // the last output arrives with the end of the attach stream
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2000))])
  } finally {
    stdout.off("resize", resize)
    stdin.off("data", toContainer)
    stdin.pause()
    if (stdin.isTTY === true) stdin.setRawMode(wasRaw)
    stream.off("data", toTerminal)
    ;(stream as unknown as { destroy?: () => void }).destroy?.()
  }
}
