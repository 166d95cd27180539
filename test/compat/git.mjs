// Git sources with Dagger's own npm client, unchanged, against dirk (through `dirk run`). The test serves the
// repository (DIRK_TEST_GIT_PATH: a bare repo's path; DIRK_TEST_GIT_DAEMON: its git:// URL) and checks the JSON
// printed here (test/integration/CompatGit.test.ts).
import { connect } from "@dagger.io/dagger"
import { step } from "./step.mjs"

const bare = process.env.DIRK_TEST_GIT_PATH
const daemon = process.env.DIRK_TEST_GIT_DAEMON

if (process.argv[2] === "reload") {
  // a second session: a GitRepository ID made with secret("env://…") in the first one, resolved again here
  await connect(async (client) => {
    const r = {}
    await step(r, "reloaded", () => client.loadGitRepositoryFromID(process.env.DIRK_TEST_GIT_REPO_ID).head().commit())
    process.stdout.write(JSON.stringify(r))
  })
  process.exit(0)
}

await connect(async (client) => {
  const r = {}
  const repo = client.git(bare)
  await step(r, "headCommit", () => repo.head().commit())
  await step(r, "headRef", () => repo.head().ref())
  await step(r, "headEntries", () => repo.head().tree().entries())
  await step(r, "branch", () => repo.branch("feature").tree({ discardGitDir: true }).file("feature.txt").contents())
  await step(r, "tagCommit", () => repo.tag("v1").commit())
  await step(r, "refCommit", () => repo.ref("refs/heads/feature").commit())
  await step(r, "fileUrl", () => client.git(`file://${bare}`).head().tree({ discardGitDir: true }).entries())
  await step(r, "daemon", () => client.git(daemon).tag("v1").tree().file("README").contents())
  await step(r, "commitTree", async () => {
    const first = await repo.tag("v1").commit()
    return repo.commit(first).tree().file("README").contents()
  })
  await step(r, "inContainer", () =>
    client.container().from("dirk.local/busybox:latest")
      .withDirectory("/src", repo.head().tree({ discardGitDir: true }))
      .withExec(["cat", "/src/sub/file.txt"]).stdout())
  await step(r, "byId", async () => {
    const id = await repo.branch("feature").id()
    return client.loadGitRefFromID(id).commit()
  })
  await step(r, "repositoryById", async () => client.loadGitRepositoryFromID(await repo.id()).branch("feature").commit())
  await step(r, "treeKeepsGitDir", () => repo.branch("feature").tree().entries())
  await step(r, "keepGitDirFalse", () => client.git(bare, { keepGitDir: false }).head().tree().entries())
  await step(r, "missingBranch", () => repo.branch("nope").commit())
  await step(r, "missingRepo", () => client.git("/nonexistent/repo.git").head().commit())
  await step(r, "branches", () => repo.branches())
  await step(r, "branchesMatching", () => repo.branches({ patterns: ["main", "nope"] }))
  await step(r, "tags", () => repo.tags())
  await step(r, "tagsMatching", () => repo.tags({ patterns: ["refs/tags/v1.*", "next"] }))
  await step(r, "tagsTail", () => repo.tags({ patterns: ["v1"] }))
  await step(r, "tagsNone", () => repo.tags({ patterns: ["zzz*"] }))
  await step(r, "url", () => repo.url())
  await step(r, "daemonUrl", () => client.git(daemon).url())
  await step(r, "latestRef", () => repo.latestVersion().ref())
  await step(r, "latestCommit", () => repo.latestVersion().commit())
  await step(r, "latestTree", () => repo.latestVersion().tree().file("feature.txt").contents())
  await step(r, "daemonTags", () => client.git(daemon).tags({ patterns: ["v1*"] }))
  await step(r, "tagsMissingRepo", () => client.git("/nonexistent/repo.git").tags())
  await step(r, "unsupported", () => client.git(bare, { sshKnownHosts: "x" }).head().commit())
  // over smart HTTP with credentials (DIRK_TEST_GIT_HTTP accepts Basic x-access-token:TOKEN, Basic alice:TOKEN and
  // the header BEARER)
  const privateUrl = process.env.DIRK_TEST_GIT_HTTP
  const token = client.setSecret("git-token", process.env.DIRK_TEST_GIT_TOKEN)
  const withToken = client.git(privateUrl, { httpAuthToken: token })
  await step(r, "authToken", () => withToken.head().tree({ discardGitDir: true }).file("README").contents())
  await step(r, "authTokenTag", () => withToken.tag("v1").tree().file("README").contents())
  await step(r, "authBranches", () => withToken.branches())
  await step(r, "authRepoId", () => withToken.id())
  await step(r, "authUser", () =>
    client.git(privateUrl, { httpAuthUsername: "alice", httpAuthToken: token }).branch("feature").tree({ discardGitDir: true }).file("feature.txt").contents())
  await step(r, "authHeader", () =>
    client.git(privateUrl, { httpAuthHeader: client.setSecret("git-header", process.env.DIRK_TEST_GIT_BEARER) }).head().commit())
  await step(r, "authMissing", () => client.git(privateUrl).head().commit())
  // other credentials for the same URL in the same client are used as given (not the earlier ones)
  await step(r, "authBob", () => client.git(privateUrl, { httpAuthUsername: "bob", httpAuthToken: token }).head().commit())
  // a fetch without credentials fails; the same commit with them is then fetched with them
  await step(r, "commitNoAuth", () => client.git(privateUrl).commit(process.env.DIRK_TEST_GIT_SECOND).tree().entries())
  await step(r, "commitAuth", () =>
    client.git(privateUrl, { httpAuthToken: token }).commit(process.env.DIRK_TEST_GIT_SECOND).tree({ discardGitDir: true }).entries())
  // credentials in the URL: used, and kept out of messages and the kept .git/config
  await step(r, "urlCreds", () => client.git(process.env.DIRK_TEST_GIT_URL_CREDS).head().tree().file(".git/config").contents())
  await step(r, "urlCredsWrong", () => client.git(process.env.DIRK_TEST_GIT_URL_WRONG).head().commit())
  // a token from a file that ends with a newline
  await step(r, "fileToken", () =>
    client.git(privateUrl, { httpAuthToken: client.secret(`file://${process.env.DIRK_TEST_GIT_TOKEN_FILE}`) }).head().commit())
  // an ID made with secret("env://…"), for the second session
  await step(r, "envRepoId", () =>
    client.git(privateUrl, { httpAuthToken: client.secret("env://DIRK_TEST_GIT_TOKEN_ENV") }).id())
  await step(r, "authWrong", () =>
    client.git(privateUrl, { httpAuthToken: client.setSecret("git-wrong", process.env.DIRK_TEST_GIT_WRONG) }).head().tree().entries())
  process.stdout.write(JSON.stringify(r))
})
