import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Git from "../../../src/Dag/Git.js"
import * as Sources from "../../../src/Dag/internal/Sources.js"
import * as Op from "../../../src/Dag/Op.js"
import { makeRepo } from "../../support/sources.js"

const commit = "a".repeat(40)
const opts = { url: "git://h/r.git", commit, branch: "main", keepGitDir: false, depth: 1, includeTags: false }

describe("Git", () => {
  it("names a checkout without .git by its commit alone", () => {
    const a = Op.git(opts)
    const b = Op.git({ ...opts, url: "file:///other", branch: "", depth: 0, includeTags: true })
    assert.strictEqual(a.digest, b.digest)
    const kept = Op.git({ ...opts, keepGitDir: true })
    assert.notStrictEqual(Op.git({ ...opts, keepGitDir: true, url: "file:///other" }).digest, kept.digest)
    assert.notStrictEqual(kept.digest, a.digest)
  })

  it("scopes an http download by its session", () => {
    const h = { url: "http://x/f", name: "f", permissions: 0o600, checksum: "" }
    assert.notStrictEqual(Op.http({ ...h, scope: "s1" }).digest, Op.http({ ...h, scope: "s2" }).digest)
    assert.strictEqual(Op.http({ ...h, scope: "s1" }).digest, Op.http({ ...h, scope: "s1" }).digest)
  })

  it("keeps credentials out of a git checkout's digest; an http download's digest has the secret's handle only", () => {
    const auth = { secret: "token", handle: "hmac-sha256:" + "1".repeat(64), kind: "token" as const, username: "" }
    assert.strictEqual(Op.git({ ...opts, auth }).digest, Op.git(opts).digest)
    const h = { url: "http://x/f", name: "f", permissions: 0o600, checksum: "", scope: "s1" }
    assert.notStrictEqual(Op.http({ ...h, auth }).digest, Op.http(h).digest)
    assert.notStrictEqual(Op.http({ ...h, auth }).digest, Op.http({ ...h, auth: { ...auth, handle: "hmac-sha256:" + "2".repeat(64) } }).digest)
  })

  it("makes the Authorization header of a token (Basic, x-access-token unless a user is given) or takes it whole", () => {
    assert.strictEqual(Git.tokenAuth("", "t0k").header, "Basic " + Buffer.from("x-access-token:t0k").toString("base64"))
    assert.strictEqual(Git.tokenAuth("alice", "t0k").header, "Basic " + Buffer.from("alice:t0k").toString("base64"))
    assert.deepStrictEqual(Git.headerAuth("Bearer x"), { header: "Bearer x", secrets: ["Bearer x"] })
  })

  it("recognizes full commit hashes only", () => {
    assert.isTrue(Git.isFullHash(commit))
    assert.isTrue(Git.isFullHash("b".repeat(64)))
    assert.isFalse(Git.isFullHash("abc123"))
    assert.isFalse(Git.isFullHash("A".repeat(40)))
  })

  it.effect("lists remote refs, peeled tags and HEAD's branch", () =>
    Effect.gen(function*() {
      const repo = makeRepo()
      try {
        const head = yield* Git.lsRemote(repo.bare, ["HEAD"], true)
        assert.deepStrictEqual(head, [{ name: "HEAD", commit: repo.second, target: "refs/heads/main" }])
        const tags = yield* Git.lsRemote(repo.bare, ["refs/tags/v1", "refs/tags/v1^{}"])
        assert.strictEqual(tags.find((t) => t.name === "refs/tags/v1^{}")?.commit, repo.first)
        const missing = yield* Effect.flip(Git.lsRemote("/nonexistent/repo.git", ["HEAD"]))
        assert.match(missing.detail, /does not appear to be a git repository/)
      } finally {
        repo.cleanup()
      }
    }))

  it.effect("parses sha256 checksums only", () =>
    Effect.gen(function*() {
      const ok = "sha256:" + "AB".repeat(32)
      assert.strictEqual(yield* Sources.parseChecksum(ok), ok.toLowerCase())
      const bad = yield* Effect.flip(Sources.parseChecksum("md5:abc"))
      assert.match(bad.detail, /invalid checksum "md5:abc"/)
    }))
})
