/**
 * A Dagger module written with Effect (`"sdk": "effect"` in dagger.json): functions declared with Effect Schema,
 * implemented as Effects that use the typed client. Call it like any module:
 *
 *   dirk call -m examples/effect-module hello --name world
 *   dirk call -m examples/effect-module count-lines --source ./src
 */
import { Effect, Schema } from "effect"
import { Container, Directory } from "dirk/client"
import * as Module from "dirk/module"

const LineCount = Schema.Struct({
  files: Schema.Number.annotations({ description: "How many files were counted" }),
  lines: Schema.Number.annotations({ description: "Their lines, all together" }),
  report: Schema.String
}).annotations({ identifier: "LineCount", description: "What count-lines found" })

export default Module.make("effect-greeter", {
  description: "Greetings and line counts, written with Effect",
  functions: {
    hello: Module.fn({
      description: "Says hello",
      args: {
        name: Schema.String.annotations({ description: "Who to greet" }),
        greeting: Schema.optional(Schema.String).annotations({ description: "The greeting (default: hello)" })
      },
      returns: Schema.String,
      run: ({ greeting, name }) => Effect.succeed(`${greeting ?? "hello"}, ${name}!`)
    }),

    countLines: Module.fn({
      description: "Counts the lines of the files of a directory, in a container",
      args: {
        source: Module.Directory,
        image: Schema.optional(Schema.String).annotations({ description: "The image to count in" })
      },
      returns: LineCount,
      run: ({ image, source }) =>
        Effect.gen(function*() {
          const files = yield* Directory.glob("**/*")(source)
          const report = yield* Container.from(image ?? "dirk.local/busybox:latest").pipe(
            Container.withDirectory("/src", source),
            Container.withWorkdir("/src"),
            Container.withExec(["sh", "-c", "find . -type f | sort | xargs wc -l"]),
            Container.stdout
          )
          const total = /(\d+)\s+total\s*$/.exec(report)?.[1] ?? /^\s*(\d+)/.exec(report)?.[1] ?? "0"
          const regular = yield* Effect.filter(files, (f) => Effect.map(Directory.exists(f, { expectedType: "REGULAR_TYPE" })(source), (b) => b))
          return { files: regular.length, lines: Number(total), report }
        })
    }),

    withTool: Module.fn({
      description: "A container with a greeting script installed",
      args: { image: Schema.optional(Schema.String) },
      returns: Module.Container,
      run: ({ image }) =>
        Effect.succeed(Container.from(image ?? "dirk.local/busybox:latest").pipe(
          Container.withNewFile("/usr/local/bin/greet", { contents: "#!/bin/sh\necho \"greetings, $1\"\n", permissions: 0o755 })
        ))
    }),

    check: Module.fn({
      description: "Runs a shell command; fails with its exit code and output when it fails",
      args: { script: Schema.String },
      returns: Schema.String,
      run: ({ script }) =>
        Container.from("dirk.local/busybox:latest").pipe(Container.withExec(["sh", "-c", script]), Container.stdout)
    })
  }
})
