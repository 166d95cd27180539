/**
 * `git` (GitRepository and GitRef) through Dagger's own npm client (`test/compat/git.mjs` via `dirk run`); the
 * repository is a local bare one, also served by `git daemon`.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCompat, type Steps } from "../support/compat.js"
import { basicAuth, git, makeRepo, startGitDaemon, startGitHttpServer, type TestRepo } from "../support/sources.js"

let repo: TestRepo
let daemon: Awaited<ReturnType<typeof startGitDaemon>>
let httpServer: Awaited<ReturnType<typeof startGitHttpServer>>
const token = "git-t0ken-5b8e"
const bearer = "Bearer git-b3arer-a41c"
const wrong = "git-wr0ng-77d0"
let out: Steps
let reloaded: Steps
const tokenFile = () => {
  const file = path.join(repo.base, "token.txt")
  fs.writeFileSync(file, `${token}\n`)
  return file
}

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
  httpServer = await startGitHttpServer(repo.base, [basicAuth("x-access-token", token), basicAuth("alice", token), bearer])
  out = await runCompat("git.mjs", [], {
    DIRK_TEST_GIT_PATH: repo.bare,
    DIRK_TEST_GIT_DAEMON: daemon.url("repo.git"),
    DIRK_TEST_GIT_HTTP: httpServer.url("repo.git"),
    DIRK_TEST_GIT_TOKEN: token,
    DIRK_TEST_GIT_BEARER: bearer,
    DIRK_TEST_GIT_WRONG: wrong,
    DIRK_TEST_GIT_SECOND: repo.second,
    DIRK_TEST_GIT_URL_CREDS: httpServer.url("repo.git").replace("http://", `http://x-access-token:${token}@`),
    DIRK_TEST_GIT_URL_WRONG: httpServer.url("repo.git").replace("http://", `http://x-access-token:${wrong}@`),
    DIRK_TEST_GIT_TOKEN_FILE: tokenFile(),
    DIRK_TEST_GIT_TOKEN_ENV: token
  })
  reloaded = await runCompat("git.mjs", ["reload"], { DIRK_TEST_GIT_REPO_ID: String(out.envRepoId), DIRK_TEST_GIT_TOKEN_ENV: token })
})

afterAll(async () => {
  await daemon?.close()
  await httpServer?.close()
  repo?.cleanup()
})

describe("GitRepository and GitRef, through Dagger's client", () => {
  it("head: the default branch's commit and full ref", () => {
    expect(out.headCommit).toBe(repo.second)
    expect(out.headRef).toBe("refs/heads/main")
  })

  it("tree keeps .git by default", () => {
    expect(out.headEntries).toEqual([".git/", "README", "sub/"])
    expect(out.treeKeepsGitDir).toEqual([".git/", "README", "feature.txt"])
  })

  it("tree(discardGitDir) and git(keepGitDir: false) leave .git out", () => {
    expect(out.branch).toBe("feature\n")
    expect(out.fileUrl).toEqual(["README", "sub/"])
    expect(out.keepGitDirFalse).toEqual(["README", "sub/"])
  })

  it("tag: an annotated tag resolves to its commit", () => {
    expect(out.tagCommit).toBe(repo.first)
  })

  it("ref: a full ref name", () => {
    expect(out.refCommit).toBe(repo.feature)
  })

  it("commit(id): that commit's tree", () => {
    expect(out.commitTree).toBe("one\n")
  })

  it("URLs: a path, file:// and git://", () => {
    expect(out.fileUrl).toEqual(["README", "sub/"])
    expect(out.daemon).toBe("one\n")
  })

  it("a tree in a container", () => {
    expect(out.inContainer).toBe("sub file\n")
  })

  it("id and loadGitRefFromID, loadGitRepositoryFromID", () => {
    expect(out.byId).toBe(repo.feature)
    expect(out.repositoryById).toBe(repo.feature)
  })

  it("a missing branch or repository is an error naming it", () => {
    expect(out.missingBranch.error).toContain(`git: branch "nope" not found in ${repo.bare}`)
    expect(out.missingRepo.error).toMatch(/\/nonexistent\/repo\.git.*does not appear to be a git repository/s)
  })

  it("branches, with patterns", () => {
    expect(out.branches).toEqual(["feature", "main"])
    expect(out.branchesMatching).toEqual(["main"])
  })

  it("tags, with patterns", () => {
    expect(out.tags).toEqual(["next", "v01.20.0", "v1", "v1.10.0", "v1.10.0-rc.1", "v1.9.0", "vnext"])
    expect(out.tagsMatching).toEqual(["next", "v1.10.0", "v1.10.0-rc.1", "v1.9.0"])
    expect(out.tagsTail).toEqual(["v1"])
    expect(out.tagsNone).toEqual([])
    expect(out.daemonTags).toEqual(["v1", "v1.10.0", "v1.10.0-rc.1", "v1.9.0"])
  })

  it("tags of a missing repository is an error", () => {
    expect(out.tagsMissingRepo.error).toMatch(/git: cannot list tags of \/nonexistent\/repo\.git: .*does not appear/s)
  })

  it("url: as given", () => {
    expect(out.url).toBe(repo.bare)
    expect(out.daemonUrl).toBe(daemon.url("repo.git"))
  })

  it("latestVersion: the highest semver tag", () => {
    expect(out.latestRef).toBe("refs/tags/v1.10.0")
    expect(out.latestCommit).toBe(repo.feature)
    expect(out.latestTree).toBe("feature\n")
  })

  it("sshKnownHosts is refused as not supported yet", () => {
    expect(out.unsupported.error).toContain("git: sshKnownHosts is not supported yet")
  })

  it("httpAuthToken: HTTP Basic as x-access-token (or httpAuthUsername) with the secret; refs, trees and branches", () => {
    expect(out.authToken).toBe("two\n")
    expect(out.authTokenTag).toBe("one\n")
    expect(out.authBranches).toEqual(["feature", "main"])
    expect(out.authUser).toBe("feature\n")
  })

  it("httpAuthHeader: the secret is the whole Authorization header", () => {
    expect(out.authHeader).toBe(repo.second)
  })

  it("without credentials or with wrong ones: git's error, and no secret in it", () => {
    expect(out.authMissing.error).toContain(`git: cannot resolve HEAD in ${httpServer.url("repo.git")}`)
    expect(out.authMissing.error).toContain("the remote asks for credentials: give git() an httpAuthToken or httpAuthHeader secret")
    expect(out.authWrong.error).toContain(`git: cannot resolve HEAD in ${httpServer.url("repo.git")}`)
    expect(out.authWrong.error).toContain("the remote refused the credentials given")
    // the server saw the wrong credentials, so they were sent; they are in no output
    expect(httpServer.refused).toContain(basicAuth("x-access-token", wrong))
    const all = JSON.stringify(out)
    for (const s of [token, "git-b3arer", wrong, basicAuth("x-access-token", token).slice(6)]) expect(all).not.toContain(s)
    expect(Buffer.from(String(out.authRepoId), "base64").toString("utf8")).not.toContain(token)
  })

  it("credentials are part of what a ref and a checkout are: other ones are used as given, a failure without them does not stick", () => {
    expect(out.authBob.error).toContain("the remote refused the credentials given")
    expect(out.commitNoAuth.error).toContain("the remote asks for credentials")
    expect(out.commitAuth).toEqual(["README", "sub/"])
    expect(httpServer.refused).toContain(basicAuth("bob", token))
  })

  it("credentials in the URL are sent as a header, and shown as *** (not in messages, not in .git/config)", () => {
    expect(out.urlCreds).toContain(`url = ${httpServer.url("repo.git")}`)
    expect(out.urlCreds).not.toContain(token)
    expect(out.urlCredsWrong.error).toContain("http://***@127.0.0.1")
    expect(out.urlCredsWrong.error).not.toContain(wrong)
  })

  it("a token read from a file is trimmed; a secret(uri) ID is resolved again in another session", () => {
    expect(out.fileToken).toBe(repo.second)
    expect(reloaded.reloaded).toBe(repo.second)
  })
})
