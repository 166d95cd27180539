/**
 * `git` and `http` with Dagger's own npm client through `dirk run`; the repositories and files are served locally.
 */
import { createHash } from "node:crypto"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dirk, repoRoot } from "../support/cli.js"
import { makeRepo, startGitDaemon, startHttpServer, type TestRepo } from "../support/sources.js"

let repo: TestRepo
let daemon: Awaited<ReturnType<typeof startGitDaemon>>
let server: Awaited<ReturnType<typeof startHttpServer>>
const payload = Buffer.from("downloaded content\n")
const sha = "sha256:" + createHash("sha256").update(payload).digest("hex")

beforeAll(async () => {
  repo = makeRepo()
  daemon = await startGitDaemon(repo.base)
  server = await startHttpServer({ "/files/data.txt": { body: payload } })
})
afterAll(async () => {
  await daemon?.close()
  await server?.close()
  repo?.cleanup()
})

describe("Dagger's client: sources", () => {
  it("git: head, branch, tag, ref, commit, trees over a path, file:// and git://", async () => {
    const r = await dirk(["run", "--", process.execPath, path.join(repoRoot, "test/compat/git.mjs")], {
      env: { DIRK_TEST_GIT_PATH: repo.bare, DIRK_TEST_GIT_DAEMON: daemon.url("repo.git") }
    })
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.headCommit).toBe(repo.second)
    expect(out.headRef).toBe("refs/heads/main")
    expect(out.headEntries).toEqual([".git/", "README", "sub/"])
    expect(out.branch).toBe("feature\n")
    expect(out.tagCommit).toBe(repo.first)
    expect(out.refCommit).toBe(repo.feature)
    expect(out.fileUrl).toEqual(["README", "sub/"])
    expect(out.daemon).toBe("one\n")
    expect(out.commitTree).toBe("one\n")
    expect(out.inContainer).toBe("sub file\n")
    expect(out.byId).toBe(repo.feature)
    expect(out.missingBranch.error).toContain(`git: branch "nope" not found in ${repo.bare}`)
    expect(out.missingRepo.error).toMatch(/\/nonexistent\/repo\.git.*does not appear to be a git repository/s)
    expect(out.unsupported.error).toContain("git: sshKnownHosts is not supported yet")
  })

  it("http: contents, name, permissions, checksum, errors", async () => {
    const r = await dirk(["run", "--", process.execPath, path.join(repoRoot, "test/compat/http.mjs")], {
      env: { DIRK_TEST_HTTP: server.url(""), DIRK_TEST_HTTP_SHA: sha }
    })
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.contents).toBe(payload.toString())
    expect(out.name).toBe("data.txt")
    expect(out.size).toBe(payload.length)
    expect(out.named).toBe("x.sh")
    expect(out.mode).toBe("755\n")
    expect(out.checksum).toBe(payload.toString())
    expect(out.mismatch.error).toContain(`checksum mismatch: expected sha256:${"0".repeat(64)}, got ${sha}`)
    expect(out.notFound.error).toContain(`http GET ${server.url("/missing")}: 404 Not Found`)
    expect(out.byId).toBe(payload.toString())
  })
})
