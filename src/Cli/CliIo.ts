/**
 * The CLI's contact with its process: stdout/stderr, stdin, the working directory, and child processes that
 * inherit the terminal (`dirk run`). Tests use `layerTest`, which records the output.
 */
import { spawn } from "node:child_process"
import { constants } from "node:os"
import { Context, Effect, Layer, Ref } from "effect"
import { CliError } from "./CliError.js"

/**
 * @category models
 */
export interface CliIoShape {
  readonly stdout: (text: string) => Effect.Effect<void>
  readonly stderr: (text: string) => Effect.Effect<void>
  readonly stdoutIsTTY: boolean
  readonly stdinIsTTY: boolean
  /** The size of the terminal stderr is, now; `undefined` when stderr is not a terminal (none: not a terminal). */
  readonly stderrSize?: () => { readonly columns: number; readonly rows: number } | undefined
  readonly readStdin: Effect.Effect<string, CliError>
  readonly cwd: string
  readonly env: Readonly<Record<string, string | undefined>>
  /**
   * Runs a command with the terminal (stdio inherited) and `env` added; succeeds with its exit code
   * (128 + n when killed by signal n). Interruption sends SIGTERM (then SIGKILL after 10 s) and waits for it.
   */
  readonly spawnInherit: (
    command: string,
    args: ReadonlyArray<string>,
    env: Readonly<Record<string, string>>
  ) => Effect.Effect<number, CliError>
}

/**
 * @category tags
 */
export class CliIo extends Context.Tag("dirk/Cli/CliIo")<CliIo, CliIoShape>() {}

const write = (stream: NodeJS.WriteStream, text: string): Effect.Effect<void> =>
  text === "" ? Effect.void : Effect.async<void>((resume) => {
    stream.write(text, () => resume(Effect.void))
  })

const signalCode = (signal: NodeJS.Signals | null): number =>
  signal === null ? 1 : 128 + (constants.signals[signal] ?? 0)

const spawnInherit: CliIoShape["spawnInherit"] = (command, args, env) =>
  Effect.async<number, CliError>((resume) => {
    const child = spawn(command, [...args], { stdio: "inherit", env: { ...process.env, ...env } })
    let exited = false
    child.on("error", (error) => {
      exited = true
      resume(Effect.fail(new CliError({ reason: "Io", detail: `cannot run "${command}": ${error.message}` })))
    })
    child.on("exit", (code, signal) => {
      exited = true
      resume(Effect.succeed(code ?? signalCode(signal)))
    })
    return Effect.async<void>((done) => {
      if (exited) return done(Effect.void)
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
      child.once("exit", () => {
        clearTimeout(timer)
        done(Effect.void)
      })
      child.kill("SIGTERM")
    })
  })

const readStdin: Effect.Effect<string, CliError> = Effect.async<string, CliError>((resume) => {
  const chunks: Array<Buffer> = []
  const onData = (chunk: Buffer) => chunks.push(chunk)
  const onEnd = () => resume(Effect.succeed(Buffer.concat(chunks).toString("utf8")))
  const onError = (error: Error) => resume(Effect.fail(new CliError({ reason: "Io", detail: error.message })))
  process.stdin.on("data", onData)
  process.stdin.once("end", onEnd)
  process.stdin.once("error", onError)
  return Effect.sync(() => {
    process.stdin.off("data", onData)
    process.stdin.off("end", onEnd)
    process.stdin.off("error", onError)
    process.stdin.pause()
  })
})

/**
 * The real process.
 *
 * @category layers
 */
export const layerNode: Layer.Layer<CliIo> = Layer.sync(CliIo, () => ({
  stdout: (text) => write(process.stdout, text),
  stderr: (text) => write(process.stderr, text),
  stdoutIsTTY: process.stdout.isTTY === true,
  stdinIsTTY: process.stdin.isTTY === true,
  stderrSize: () =>
    process.stderr.isTTY === true ? { columns: process.stderr.columns ?? 80, rows: process.stderr.rows ?? 24 } : undefined,
  readStdin,
  cwd: process.cwd(),
  env: process.env,
  spawnInherit
}))

/**
 * What a test run printed.
 *
 * @category models
 */
export interface Captured {
  readonly stdout: Ref.Ref<string>
  readonly stderr: Ref.Ref<string>
}

/**
 * A fake process: records stdout/stderr into `captured`; other members can be overridden.
 *
 * @category layers
 */
export const layerTest = (captured: Captured, overrides: Partial<CliIoShape> = {}): Layer.Layer<CliIo> =>
  Layer.succeed(CliIo, {
    stdout: (text) => Ref.update(captured.stdout, (s) => s + text),
    stderr: (text) => Ref.update(captured.stderr, (s) => s + text),
    stdoutIsTTY: false,
    stdinIsTTY: true,
    readStdin: Effect.succeed(""),
    cwd: "/",
    env: {},
    spawnInherit: () => Effect.die("CliIo.spawnInherit not faked"),
    ...overrides
  })
