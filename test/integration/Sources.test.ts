/**
 * `git` and `http` sources against repositories and a server the test serves locally (no internet).
 */
import { createHash } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { SessionInfo } from "../../src/Engine/Engine.js"
import { query, startEngine } from "../support/session.js"
import { makeRepo, startGitDaemon, startHttpServer, type TestRepo } from "../support/sources.js"

let engine: Awaited<ReturnType<typeof startEngine>>
let session: SessionInfo
let repo: TestRepo
let daemon: Awaited<ReturnType<typeof startGitDaemon>>
let server: Awaited<ReturnType<typeof startHttpServer>>

const payload = Buffer.from("downloaded content\n")
const sha = (b: Buffer) => "sha256:" + createHash("sha256").update(b).digest("hex")

beforeAll(async () => {
  repo = makeRepo()
  daemon = await startGitDaemon(repo.base)
  server = await startHttpServer({
    "/files/data.txt": { body: payload },
    "/same/other.txt": { body: payload },
    "/counted.txt": { body: "counted\n" },
    "/": { body: "root\n" },
    "/boom": { status: 500, body: "boom" }
  })
  engine = await startEngine()
  session = await engine.openSession()
})
afterAll(async () => {
  await engine?.close()
  await daemon?.close()
  await server?.close()
  repo?.cleanup()
})

const q = async (s: SessionInfo, text: string) => {
  const r = await query(s, text)
  return r
}
const ok = async (text: string, s: SessionInfo = session) => {
  const r = await q(s, text)
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined()
  return r.data
}
const str = JSON.stringify

describe("git", () => {
  it("resolves head, branch, tag, ref and commit of a bare repo by path", async () => {
    const d = await ok(`{ git(url: ${str(repo.bare)}) {
      head { commit ref }
      branch(name: "feature") { commit ref }
      tag(name: "v1") { commit ref }
      r1: ref(name: "v1") { commit ref }
      r2: ref(name: "refs/heads/feature") { commit }
      r3: ref(name: "main") { commit ref }
      commit(id: ${str(repo.first)}) { commit ref }
    } }`)
    expect(d.git.head).toEqual({ commit: repo.second, ref: "refs/heads/main" })
    expect(d.git.branch).toEqual({ commit: repo.feature, ref: "refs/heads/feature" })
    expect(d.git.tag).toEqual({ commit: repo.first, ref: "refs/tags/v1" })
    expect(d.git.r1).toEqual({ commit: repo.first, ref: "refs/tags/v1" })
    expect(d.git.r2.commit).toBe(repo.feature)
    expect(d.git.r3).toEqual({ commit: repo.second, ref: "refs/heads/main" })
    expect(d.git.commit).toEqual({ commit: repo.first, ref: repo.first })
  })

  it("checks out trees (with .git by default, without on request) over file:// and git://", async () => {
    const d = await ok(`{
      a: git(url: ${str("file://" + repo.bare)}) { head { tree { entries } } }
      b: git(url: ${str(repo.bare)}) { branch(name: "feature") { tree(discardGitDir: true) { entries file(path: "feature.txt") { contents } } } }
      c: git(url: ${str(daemon.url("repo.git"))}) { tag(name: "v1") { tree(discardGitDir: true) { file(path: "README") { contents } } } }
      d: git(url: ${str(daemon.url("repo.git"))}) { commit(id: ${str(repo.second)}) { tree { file(path: "sub/file.txt") { contents } } } }
      e: git(url: ${str(repo.bare)}, keepGitDir: false) { head { tree { entries } } }
    }`)
    expect(d.a.head.tree.entries).toEqual([".git/", "README", "sub/"])
    expect(d.b.branch.tree.entries).toEqual(["README", "feature.txt"])
    expect(d.b.branch.tree.file.contents).toBe("feature\n")
    expect(d.c.tag.tree.file.contents).toBe("one\n")
    expect(d.d.commit.tree.file.contents).toBe("sub file\n")
    expect(d.e.head.tree.entries).toEqual(["README", "sub/"])
  })

  it("keeps a shallow .git at depth 1 and the whole history at depth 0, on the branch", async () => {
    const d = await ok(`{ git(url: ${str("file://" + repo.bare)}) { head {
      shallow: tree { directory(path: ".git") { entries } file(path: ".git/HEAD") { contents } }
      full: tree(depth: 0) { directory(path: ".git") { entries } }
    } } }`)
    expect(d.git.head.shallow.directory.entries).toContain("shallow")
    expect(d.git.head.shallow.file.contents).toBe("ref: refs/heads/main\n")
    expect(d.git.head.full.directory.entries).not.toContain("shallow")
  })

  it("mounts a tree into a container (fetched on the host, not in the container)", async () => {
    const d = await ok(`{ container { from(address: "dirk.local/busybox:latest") {
      withMountedDirectory(path: "/src", source: ${await treeId()}) { withExec(args: ["cat", "/src/README"]) { stdout } }
    } } }`)
    expect(d.container.from.withMountedDirectory.withExec.stdout).toBe("two\n")
  })

  it("names the repository and the ref in errors, with git's message", async () => {
    const missing = await q(session, `{ git(url: "/nonexistent/repo.git") { head { commit } } }`)
    expect(missing.errors?.[0]?.message).toContain("/nonexistent/repo.git")
    expect(missing.errors?.[0]?.message).toMatch(/does not appear to be a git repository/)
    const daemonMissing = await q(session, `{ git(url: ${str(daemon.url("nope.git"))}) { head { commit } } }`)
    expect(daemonMissing.errors?.[0]?.message).toContain(daemon.url("nope.git"))
    const branch = await q(session, `{ git(url: ${str(repo.bare)}) { branch(name: "nope") { commit } } }`)
    expect(branch.errors?.[0]?.message).toBe(`git: branch "nope" not found in ${repo.bare}`)
    const tag = await q(session, `{ git(url: ${str(repo.bare)}) { tag(name: "v9") { commit } } }`)
    expect(tag.errors?.[0]?.message).toBe(`git: tag "v9" not found in ${repo.bare}`)
    const commit = await q(session, `{ git(url: ${str(repo.bare)}) { commit(id: "${"0".repeat(40)}") { tree { entries } } } }`)
    expect(commit.errors?.[0]?.message).toContain(`${"0".repeat(40)} from ${repo.bare}`)
    const short = await q(session, `{ git(url: ${str(repo.bare)}) { commit(id: "abc123") { commit } } }`)
    expect(short.errors?.[0]?.message).toMatch(/full commit hash/)
  })

  it("refuses the arguments that need sockets or services; credentials must be Secret IDs", async () => {
    for (const arg of [`sshAuthSocket: "x"`, `experimentalServiceHost: "x"`, `sshKnownHosts: "x"`]) {
      const r = await q(session, `{ git(url: ${str(repo.bare)}, ${arg}) { head { commit } } }`)
      expect(r.errors?.[0]?.message, arg).toMatch(/is not supported yet$/)
    }
    for (const arg of [`httpAuthToken: "x"`, `httpAuthHeader: "x"`]) {
      const r = await q(session, `{ git(url: ${str(repo.bare)}, ${arg}) { head { commit } } }`)
      expect(r.errors?.[0]?.message, arg).toMatch(/SecretID|Secret ID|invalid ID|cannot load/i)
    }
    // a user name alone (no token) changes nothing
    const user = await ok(`{ git(url: ${str(repo.bare)}, httpAuthUsername: "u") { head { commit } } }`)
    expect(user.git.head.commit).toBe(repo.second)
  })

  it("resolves a ref once per client: a later push is seen by a new session, not by this one", async () => {
    const r = makeRepo()
    try {
      const s1 = await engine.openSession()
      const before = await ok(`{ git(url: ${str(r.bare)}) { head { commit } } }`, s1)
      expect(before.git.head.commit).toBe(r.second)
      const third = r.pushMain("three\n")
      const again = await ok(`{ git(url: ${str(r.bare)}) { head { commit tree { file(path: "README") { contents } } } } }`, s1)
      expect(again.git.head).toEqual({ commit: r.second, tree: { file: { contents: "two\n" } } })
      const s2 = await engine.openSession()
      const after = await ok(`{ git(url: ${str(r.bare)}) { head { commit tree { file(path: "README") { contents } } } } }`, s2)
      expect(after.git.head).toEqual({ commit: third, tree: { file: { contents: "three\n" } } })
    } finally {
      r.cleanup()
    }
  })

  it("gives a GitRef an ID that loads with node(id)", async () => {
    const d = await ok(`{ git(url: ${str(repo.bare)}) { branch(name: "feature") { id } } }`)
    const n = await ok(`{ node(id: ${str(d.git.branch.id)}) { ... on GitRef { commit ref } } }`)
    expect(n.node).toEqual({ commit: repo.feature, ref: "refs/heads/feature" })
  })
})

const treeId = async () => {
  const d = await ok(`{ git(url: ${str(repo.bare)}) { head { tree(discardGitDir: true) { id } } } }`)
  return str(d.git.head.tree.id)
}

const modeOf = async (fileId: string): Promise<string> => {
  const d = await ok(`{ container { from(address: "dirk.local/busybox:latest") {
    withFile(path: "/f", source: ${str(fileId)}) { withExec(args: ["stat", "-c", "%a", "/f"]) { stdout } } } } }`)
  return d.container.from.withFile.withExec.stdout
}

describe("http", () => {
  it("downloads a file named after the URL, mode 0600 by default", async () => {
    const d = await ok(`{ http(url: ${str(server.url("/files/data.txt"))}) { name contents size id } }`)
    expect({ ...d.http, id: undefined }).toEqual({ name: "data.txt", contents: payload.toString(), size: payload.length, id: undefined })
    expect(await modeOf(d.http.id)).toBe("600\n")
  })

  it("takes name and permissions, and names / as index", async () => {
    const d = await ok(`{
      a: http(url: ${str(server.url("/files/data.txt"))}, name: "renamed.bin", permissions: 493) { name id }
      b: http(url: ${str(server.url("/"))}) { name contents }
    }`)
    expect(d.a.name).toBe("renamed.bin")
    expect(await modeOf(d.a.id)).toBe("755\n")
    expect(d.b).toEqual({ name: "index", contents: "root\n" })
  })

  it("verifies a checksum and names both digests on a mismatch", async () => {
    const good = await ok(`{ http(url: ${str(server.url("/files/data.txt"))}, checksum: ${str(sha(payload))}) { contents } }`)
    expect(good.http.contents).toBe(payload.toString())
    const wrong = sha(Buffer.from("something else"))
    const bad = await q(session, `{ http(url: ${str(server.url("/files/data.txt"))}, checksum: ${str(wrong)}) { contents } }`)
    expect(bad.errors?.[0]?.message).toContain(`expected ${wrong}, got ${sha(payload)}`)
    const invalid = await q(session, `{ http(url: ${str(server.url("/files/data.txt"))}, checksum: "md5:abc") { contents } }`)
    expect(invalid.errors?.[0]?.message).toMatch(/invalid checksum/)
  })

  it("fails on a non-2xx status with the status and the URL", async () => {
    const r = await q(session, `{ http(url: ${str(server.url("/missing"))}) { contents } }`)
    expect(r.errors?.[0]?.message).toBe(`http GET ${server.url("/missing")}: 404 Not Found`)
    const e = await q(session, `{ http(url: ${str(server.url("/boom"))}) { contents } }`)
    expect(e.errors?.[0]?.message).toBe(`http GET ${server.url("/boom")}: 500 Internal Server Error`)
  })

  it("downloads once per session and names the file by its content", async () => {
    const url = str(server.url("/counted.txt"))
    const s1 = await engine.openSession()
    await ok(`{ http(url: ${url}) { contents } }`, s1)
    await ok(`{ a: http(url: ${url}) { contents } b: http(url: ${url}) { size } }`, s1)
    expect(server.hits("/counted.txt")).toBe(1)
    const s2 = await engine.openSession()
    await ok(`{ http(url: ${url}) { contents } }`, s2)
    expect(server.hits("/counted.txt")).toBe(2)
    // the same bytes under the same name from another URL: the same content, one exec
    const a = await ok(`{ http(url: ${str(server.url("/files/data.txt"))}, name: "same") { id } }`)
    const b = await ok(`{ http(url: ${str(server.url("/same/other.txt"))}, name: "same") { id } }`)
    const run = (id: string) => `{ container { from(address: "dirk.local/busybox:latest") {
      withFile(path: "/f", source: ${str(id)}) { withExec(args: ["sh", "-c", "cat /f; head -c 8 /dev/urandom | od -An -tx1"]) { stdout } } } } }`
    const ra = await ok(run(a.http.id))
    const rb = await ok(run(b.http.id))
    expect(ra.container.from.withFile.withExec.stdout).toBe(rb.container.from.withFile.withExec.stdout)
  })

  it("refuses experimentalServiceHost, non-http URLs and an authHeader that is not a Secret ID", async () => {
    const a = await q(session, `{ http(url: ${str(server.url("/files/data.txt"))}, authHeader: "x") { contents } }`)
    expect(a.errors?.[0]?.message).toMatch(/SecretID|Secret ID|invalid ID|cannot load/i)
    const s = await q(session, `{ http(url: ${str(server.url("/files/data.txt"))}, experimentalServiceHost: "x") { contents } }`)
    expect(s.errors?.[0]?.message).toBe("http: experimentalServiceHost is not supported yet")
    const f = await q(session, `{ http(url: "file:///etc/passwd") { contents } }`)
    expect(f.errors?.[0]?.message).toMatch(/unsupported URL scheme/)
  })
})
