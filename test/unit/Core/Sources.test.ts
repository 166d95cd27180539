import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { normalizeUrl } from "../../../src/Core/Git.js"
import { defaultName } from "../../../src/Core/Http.js"

describe("git URLs", () => {
  it.effect("keeps scheme URLs, absolute paths and scp-like addresses, and adds https:// to host/path", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* normalizeUrl("git://127.0.0.1:9418/r.git"), "git://127.0.0.1:9418/r.git")
      assert.strictEqual(yield* normalizeUrl("/srv/r.git"), "/srv/r.git")
      assert.strictEqual(yield* normalizeUrl("git@github.com:dagger/dagger.git"), "git@github.com:dagger/dagger.git")
      assert.strictEqual(yield* normalizeUrl("github.com/dagger/dagger"), "https://github.com/dagger/dagger")
      const rel = yield* Effect.flip(normalizeUrl("./repo"))
      assert.match(rel.message, /relative path/)
      const empty = yield* Effect.flip(normalizeUrl(" "))
      assert.match(empty.message, /empty/)
    }))
})

describe("http names", () => {
  it("uses the URL path's last segment, or index", () => {
    assert.strictEqual(defaultName(new URL("http://h/a/b.tar.gz?x=1")), "b.tar.gz")
    assert.strictEqual(defaultName(new URL("http://h/")), "index")
    assert.strictEqual(defaultName(new URL("http://h")), "index")
    assert.strictEqual(defaultName(new URL("http://h/a%20b")), "a b")
  })
})
