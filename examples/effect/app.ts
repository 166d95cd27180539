/**
 * dirk inside an Effect app: build a small Go-less "hello" tool in a container and read what it prints. The program
 * needs a `DirkClient`; `main` gives it the session of its environment (`dirk run npx tsx examples/effect/app.ts`),
 * else one of the local engine daemon. app.test.ts runs the same program on an engine in the test's process.
 */
import { Effect } from "effect"
import { Container, Directory, DirkClient } from "dirk/client"

export const greeting = (image: string, name: string) =>
  Effect.gen(function*() {
    const src = Directory.make().pipe(
      Directory.withNewFile("hello.sh", `#!/bin/sh\necho "hello, $1"\n`, { permissions: 0o755 })
    )
    const built = Container.from(image).pipe(
      Container.withDirectory("/app", src),
      Container.withWorkdir("/app")
    )
    const out = yield* built.pipe(Container.withExec(["./hello.sh", name]), Container.stdout)
    return out.trim()
  })

// run directly: `dirk run npx tsx examples/effect/app.ts`
if (process.argv[1]?.endsWith("app.ts") === true) {
  Effect.runPromise(greeting("dirk.local/busybox:latest", "effect").pipe(Effect.provide(DirkClient.layerFromEnv))).then(
    (text) => process.stdout.write(`${text}\n`),
    (e) => {
      process.stderr.write(`${String(e)}\n`)
      process.exitCode = 1
    }
  )
}
