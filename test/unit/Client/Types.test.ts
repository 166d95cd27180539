/**
 * Compile-time guarantees of the client, checked by `tsc --noEmit` (each `@ts-expect-error` fails the typecheck
 * when the line it marks compiles): a pipeline cannot run without a session layer, and combinators of one type do
 * not apply to another.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Container, Directory, DirkClient } from "../../../src/Client/index.js"

describe("client types", () => {
  it("a leaf needs a DirkClient; running it without a session layer does not compile", () => {
    const leaf = Container.from("alpine").pipe(Container.withExec(["true"]), Container.stdout)
    // @ts-expect-error: DirkClient is not provided
    const bare = () => Effect.runPromise(leaf)
    const provided = () => Effect.runPromise(Effect.provide(leaf, DirkClient.layerEmbedded))
    assert.isFunction(bare)
    assert.isFunction(provided)
  })

  it("a Directory combinator does not apply to a Container", () => {
    const ctr = Container.from("alpine")
    // @ts-expect-error: withNewFile of Directory takes a Directory
    const wrong = () => ctr.pipe(Directory.withNewFile("a", "b"))
    assert.isFunction(wrong)
    // @ts-expect-error: required arguments are required
    const missing = () => ctr.pipe(Container.withExec())
    assert.isFunction(missing)
  })
})
