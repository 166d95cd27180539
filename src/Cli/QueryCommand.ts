/**
 * `dirk query [--doc FILE]`: sends a GraphQL document (from --doc or stdin), prints the JSON response.
 * Exits 1 when the response has `errors`.
 */
import { Command, Options } from "@effect/cli"
import { FileSystem, Path } from "@effect/platform"
import { Effect, Option } from "effect"
import type { EngineShape } from "../Engine/Engine.js"
import { CliEngine } from "./CliEngine.js"
import { CliError, ExitCode, ioProblem, usage } from "./CliError.js"
import { CliIo, type CliIoShape } from "./CliIo.js"
import * as Session from "./Session.js"

/** @category options */
export const docOption = Options.text("doc").pipe(
  Options.withDescription("File holding the GraphQL document (default: read stdin)"),
  Options.optional
)

/** @category options */
export const explainOption = Options.boolean("explain-cache").pipe(
  Options.withDescription("Say, for each op that ran, why it was not served from the cache")
)

/** @category options */
export const quietOption = Options.boolean("quiet").pipe(
  Options.withAlias("q"),
  Options.withDescription("Do not print progress on stderr")
)

/**
 * @category handlers
 */
export const query = (
  engine: EngineShape,
  io: CliIoShape,
  options: { readonly doc: string | undefined; readonly quiet: boolean; readonly explainCache?: boolean }
): Effect.Effect<void, CliError | ExitCode, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    let document: string
    if (options.doc !== undefined) {
      const doc = options.doc
      document = yield* fs.readFileString(path.resolve(io.cwd, doc)).pipe(
        Effect.mapError((e) => new CliError({ reason: "Io", detail: `dirk query: cannot read --doc ${doc}: ${ioProblem(e)}` }))
      )
    } else if (io.stdinIsTTY) {
      return yield* Effect.fail(usage("no document: pass --doc FILE or pipe a query on stdin"))
    } else {
      document = yield* io.readStdin
    }
    if (document.trim() === "") return yield* Effect.fail(usage("the GraphQL document is empty"))
    const response = yield* Session.withSession(
      engine,
      io,
      { progress: !options.quiet, explainCache: options.explainCache === true },
      (client) => client.request(document)
    )
    yield* io.stdout(JSON.stringify(response, null, 2) + "\n")
    if (response.errors !== undefined && response.errors.length > 0) return yield* Effect.fail(new ExitCode({ code: 1 }))
  })

/**
 * @category constructors
 */
export const command = Command.make("query", { doc: docOption, quiet: quietOption, explain: explainOption }, (options) =>
  Effect.gen(function*() {
    yield* query(yield* CliEngine, yield* CliIo, {
      doc: Option.getOrUndefined(options.doc),
      quiet: options.quiet,
      explainCache: options.explain
    })
  })).pipe(Command.withDescription("Send a GraphQL document to a new session and print the JSON response"))
