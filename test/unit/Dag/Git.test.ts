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

  it("a checkout's and a download's digests have the credentials' handle (and kind and user), never a value", () => {
    const auth = { secret: "token", handle: "hmac-sha256:" + "1".repeat(64), kind: "token" as const, username: "" }
    const digests = [
      Op.git(opts),
      Op.git({ ...opts, auth }),
      Op.git({ ...opts, auth: { ...auth, username: "bob" } }),
      Op.git({ ...opts, auth: { ...auth, kind: "header" } }),
      Op.git({ ...opts, auth: { ...auth, handle: "hmac-sha256:" + "2".repeat(64) } })
    ].map((o) => o.digest)
    assert.strictEqual(new Set(digests).size, digests.length)
    // the secret's name and URI are not part of it
    assert.strictEqual(Op.git({ ...opts, auth: { ...auth, secret: "other", uri: "env://X" } }).digest, digests[1])
    const h = { url: "http://x/f", name: "f", permissions: 0o600, checksum: "", scope: "s1" }
    assert.notStrictEqual(Op.http({ ...h, auth }).digest, Op.http(h).digest)
    assert.notStrictEqual(Op.http({ ...h, auth }).digest, Op.http({ ...h, auth: { ...auth, handle: "hmac-sha256:" + "2".repeat(64) } }).digest)
  })

  it("shows HTTP(S) URLs without their credentials, and sends those as a header", () => {
    assert.strictEqual(Git.redactUrl("https://user:pw@host/r.git"), "https://***@host/r.git")
    assert.strictEqual(Git.redactUrl("https://tok@host/r.git"), "https://***@host/r.git")
    assert.strictEqual(Git.redactUrl("ssh://git@host/r.git"), "ssh://git@host/r.git")
    assert.strictEqual(Git.redactUrl("https://host/a@b"), "https://host/a@b")
    const r = Git.remoteOf("https://me:p%40ss@host/r.git", undefined)
    assert.strictEqual(r.url, "https://host/r.git")
    assert.strictEqual(r.auth?.header, "Basic " + Buffer.from("me:p@ss").toString("base64"))
    // secrets given win; the URL loses its user info
    const given = Git.headerAuth("Bearer x")
    assert.deepStrictEqual(Git.remoteOf("https://me:pw@host/r.git", given), { url: "https://host/r.git", auth: given })
    // a user without a password is left to git
    assert.deepStrictEqual(Git.remoteOf("https://me@host/r.git", undefined), { url: "https://me@host/r.git", auth: undefined })
  })

  it("makes the Authorization header of a token (Basic, x-access-token unless a user is given) or takes it whole", () => {
    assert.strictEqual(Git.tokenAuth("", "t0k").header, "Basic " + Buffer.from("x-access-token:t0k").toString("base64"))
    assert.strictEqual(Git.tokenAuth("alice", "t0k\n").header, "Basic " + Buffer.from("alice:t0k").toString("base64"))
    assert.deepStrictEqual(Git.headerAuth("Bearer x\n"), { header: "Bearer x", secrets: ["Bearer x\n", "Bearer x"] })
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
