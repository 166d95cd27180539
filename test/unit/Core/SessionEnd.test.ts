import { assert, describe, it } from "@effect/vitest"
import * as Api from "../../../src/Core/Api.js"

const onSessionEnd = Api.onSessionEnd

const fakeCtx = (sessionId: string, hooks: Array<() => void>): Api.ClientContext =>
  ({ sessionId, clientId: "c", workdir: "/", session: { id: sessionId, serve: () => undefined, onEnd: (f: () => void) => hooks.push(f) } }) as unknown as Api.ClientContext

describe("Api.onSessionEnd", () => {
  it("drops what a session kept when it ends, with one hook per session, and starts over for a reused id", () => {
    const hooks: Array<() => void> = []
    const dropped: Array<string> = []
    const a = fakeCtx("s-a", hooks)
    onSessionEnd(a, () => dropped.push("a1"))
    onSessionEnd(a, () => dropped.push("a2"))
    onSessionEnd(fakeCtx("s-b", hooks), () => dropped.push("b1"))
    assert.strictEqual(hooks.length, 2)
    hooks[0]!()
    assert.deepStrictEqual(dropped, ["a1", "a2"])
    hooks[1]!()
    assert.deepStrictEqual(dropped, ["a1", "a2", "b1"])
    // after its end, the same id registers a new hook
    onSessionEnd(a, () => dropped.push("a3"))
    assert.strictEqual(hooks.length, 3)
  })
})
