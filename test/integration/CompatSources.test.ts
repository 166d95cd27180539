/**
 * `git` and `http` with Dagger's own npm client through `dirk run`; the repositories and files are served locally.
 */
import { createHash } from "node:crypto"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dirk, repoRoot } from "../support/cli.js"
import { git, makeRepo, startGitDaemon, startHttpServer, type TestRepo } from "../support/sources.js"

let repo: TestRepo
let daemon: Awaited<ReturnType<typeof startGitDaemon>>
let server: Awaited<ReturnType<typeof startHttpServer>>
const payload = Buffer.from("downloaded content\n")
const sha = "sha256:" + createHash("sha256").update(payload).digest("hex")

beforeAll(async () => {
  repo = makeRepo()
  // semver tags for tags() and latestVersion: v1.10.0 (annotated, on feature) beats v1.9.0 by number, its own
  // prerelease, and the invalid v01.20.0 / vnext
  git(repo.bare, "tag", "v1.9.0", repo.second)
  git(repo.bare, "tag", "-a", "-m", "1.10", "v1.10.0", repo.feature)
  git(repo.bare, "tag", "v1.10.0-rc.1", repo.second)
  git(repo.bare, "tag", "v01.20.0", repo.second)
  git(repo.bare, "tag", "vnext", repo.second)
  git(repo.bare, "tag", "next", repo.first)
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
    expect(out.branches).toEqual(["feature", "main"])
    expect(out.branchesMatching).toEqual(["main"])
    expect(out.tags).toEqual(["next", "v01.20.0", "v1", "v1.10.0", "v1.10.0-rc.1", "v1.9.0", "vnext"])
    expect(out.tagsMatching).toEqual(["next", "v1.10.0", "v1.10.0-rc.1", "v1.9.0"])
    expect(out.tagsTail).toEqual(["v1"])
    expect(out.tagsNone).toEqual([])
    expect(out.url).toBe(repo.bare)
    expect(out.daemonUrl).toBe(daemon.url("repo.git"))
    expect(out.latestRef).toBe("refs/tags/v1.10.0")
    expect(out.latestCommit).toBe(repo.feature)
    expect(out.latestTree).toBe("feature\n")
    expect(out.daemonTags).toEqual(["v1", "v1.10.0", "v1.10.0-rc.1", "v1.9.0"])
    expect(out.tagsMissingRepo.error).toMatch(/git: cannot list tags of \/nonexistent\/repo\.git: .*does not appear/s)
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
