/**
 * Secret URIs (`Query.secret(uri:)`, Secret flags of `dirk call`): parsing, and resolution on the client's side.
 *
 * Providers: `env://NAME` (an environment variable of the client), `file://PATH` (a file on the client's host; `~`
 * is the client's home, a relative path is relative to the client's working directory), `cmd://COMMAND` (the stdout
 * (trailing newlines removed, as in a shell's `$(…)`) of `sh -c COMMAND` run on the client's host, in its working directory and environment). Other providers of Dagger
 * (`op://`, `vault://`, `libsecret://`, `gcp://`, `aws://`) are refused with an error that names them.
 *
 * Errors name the URI and the provider, never a value: a command's output is not quoted in them.
 */
import { Effect, Either } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

/**
 * The providers dirk resolves.
 *
 * @category models
 */
export type Provider = "env" | "file" | "cmd"

/**
 * A parsed secret URI.
 *
 * @category models
 */
export interface SecretUri {
  readonly provider: Provider
  /** The variable name, the path or the command. */
  readonly target: string
  /** The URI as given. */
  readonly uri: string
}

/** Providers of Dagger that dirk does not resolve. */
const unsupported = new Set(["op", "vault", "libsecret", "gcp", "aws"])

/** Dagger's limit on a secret's plaintext (bytes). */
export const maxPlaintextBytes = 128_000

/**
 * Parses `env://NAME`, `file://PATH`, `cmd://COMMAND`.
 *
 * @category constructors
 */
export const parse = (uri: string): Either.Either<SecretUri, string> => {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(uri)
  if (m === null) {
    return Either.left(`invalid secret URI ${JSON.stringify(uri)}: expected env://NAME, file://PATH or cmd://COMMAND`)
  }
  const scheme = m[1]!.toLowerCase()
  const target = m[2]!
  if (scheme !== "env" && scheme !== "file" && scheme !== "cmd") {
    return Either.left(
      unsupported.has(scheme)
        ? `secret ${JSON.stringify(uri)}: the ${scheme} provider is not supported by dirk (use env://, file:// or cmd://)`
        : `secret ${JSON.stringify(uri)}: unknown secret provider ${JSON.stringify(scheme)} (use env://, file:// or cmd://)`
    )
  }
  if (target === "") return Either.left(`secret ${JSON.stringify(uri)}: the ${scheme} provider needs ${what(scheme)}`)
  return Either.right({ provider: scheme, target, uri })
}

const what = (p: Provider): string => (p === "env" ? "a variable name" : p === "file" ? "a path" : "a command")

/**
 * A Secret flag's value as `dirk call` takes it (reference §5), normalized to a URI and an optional cache key:
 * `env:NAME`, `file:PATH`, `cmd:COMMAND` (or the `://` forms), a trailing `?cacheKey=KEY`; a value with no `:` at all
 * is the name of an environment variable (Dagger's deprecated form).
 *
 * @category constructors
 */
export const fromFlag = (raw: string): { readonly uri: string; readonly cacheKey?: string } => {
  let value = raw
  let cacheKey: string | undefined
  const at = value.lastIndexOf("?cacheKey=")
  if (at >= 0) {
    cacheKey = value.slice(at + "?cacheKey=".length)
    value = value.slice(0, at)
  }
  let uri: string
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value)) uri = value
  else {
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(value)
    uri = m === null ? `env://${value}` : `${m[1]}://${m[2]}`
  }
  return cacheKey !== undefined && cacheKey !== "" ? { uri, cacheKey } : { uri }
}

/**
 * Where a client resolves secrets: its environment, working directory and home.
 *
 * @category models
 */
export interface ClientHost {
  readonly env: Readonly<Record<string, string | undefined>>
  readonly cwd: string
  readonly home: string
}

/**
 * This process as the client.
 *
 * @category constructors
 */
export const thisProcess = (cwd: string = process.cwd()): ClientHost => ({ env: process.env, cwd, home: os.homedir() })

const tooBig = (s: SecretUri, size: number) =>
  `secret ${JSON.stringify(s.uri)} (${s.provider} provider): the value is ${size} bytes; the limit is ${maxPlaintextBytes}`

/**
 * Reads a secret's value on the client's host; fails with a message naming the URI and the provider, never the value.
 *
 * @category combinators
 */
export const resolve = (s: SecretUri, host: ClientHost): Effect.Effect<string, string> => {
  const named = `secret ${JSON.stringify(s.uri)} (${s.provider} provider)`
  switch (s.provider) {
    case "env": {
      const value = host.env[s.target]
      if (value === undefined) return Effect.fail(`${named}: the environment variable ${s.target} is not set`)
      const size = Buffer.byteLength(value, "utf8")
      return size > maxPlaintextBytes ? Effect.fail(tooBig(s, size)) : Effect.succeed(value)
    }
    case "file": {
      const p = s.target === "~" || s.target.startsWith("~/")
        ? path.join(host.home, s.target.slice(1))
        : path.resolve(host.cwd, s.target)
      return Effect.tryPromise({
        try: () => fs.promises.readFile(p),
        catch: (e) => {
          const code = (e as NodeJS.ErrnoException).code
          return `${named}: cannot read ${p}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code ?? "read error"}`
        }
      }).pipe(
        Effect.filterOrFail((b) => b.length <= maxPlaintextBytes, (b) => tooBig(s, b.length)),
        Effect.map((b) => b.toString("utf8"))
      )
    }
    case "cmd":
      return Effect.async<string, string>((resume) => {
        const child = spawn("sh", ["-c", s.target], {
          cwd: host.cwd,
          env: host.env as NodeJS.ProcessEnv,
          stdio: ["ignore", "pipe", "ignore"]
        })
        const out: Array<Buffer> = []
        let size = 0
        child.stdout.on("data", (c: Buffer) => {
          size += c.length
          if (size <= maxPlaintextBytes) out.push(c)
        })
        child.on("error", (e) => resume(Effect.fail(`${named}: cannot run sh: ${e.message}`)))
        child.on("close", (code, signal) => {
          if (code !== 0) {
            resume(Effect.fail(`${named}: the command failed (${signal !== null ? `signal ${signal}` : `exit code ${code}`})`))
          } else if (size > maxPlaintextBytes) resume(Effect.fail(tooBig(s, size)))
          else resume(Effect.succeed(Buffer.concat(out).toString("utf8").replace(/(\r?\n)+$/, "")))
        })
        return Effect.sync(() => child.kill("SIGKILL"))
      })
  }
}
