// Pipelines with known secret values, for test/integration/SecretLeak.test.ts, which then scans every byte the engine
// wrote for them. The values come in $DIRK_LEAK_VALUE (one line), $DIRK_LEAK_MULTI (multi-line) and
// $DIRK_LEAK_ENV (read through secret("env://…")); $DIRK_LEAK_HTTP and $DIRK_LEAK_GIT: a file server and a git repository
// over HTTP that want credentials made of $DIRK_LEAK_VALUE; argv[2]: a scratch directory for exports; argv[3]: an image
// reference to publish to. Prints every ID and result it got, as JSON.
import { connect } from "@dagger.io/dagger"
import * as path from "node:path"
import { step } from "./step.mjs"

const [scratch, ref] = process.argv.slice(2)

await connect(async (client) => {
  const r = { ids: [] }
  const id = async (obj) => {
    const i = await obj.id()
    r.ids.push(i)
    return i
  }
  const one = client.setSecret("one", process.env.DIRK_LEAK_VALUE)
  const multi = client.setSecret("multi", process.env.DIRK_LEAK_MULTI)
  const fromEnv = client.secret("env://DIRK_LEAK_ENV")
  const keyed = client.secret("env://DIRK_LEAK_ENV", { cacheKey: "leak-key" })
  for (const s of [one, multi, fromEnv, keyed]) await step(r, `secret${r.ids.length}`, () => id(s))

  const ctr = client.container().from("dirk.local/busybox:latest")
    .withSecretVariable("ONE", one)
    .withSecretVariable("FROM_ENV", fromEnv)
    .withSecretVariable("KEYED", keyed)
    .withMountedSecret("/run/secrets/multi", multi)
    .withMountedSecret("/etc/one.txt", one, { owner: "1000:1000", mode: 0o444 })
    .withMountedCache("/cache", client.cacheVolume("leak-cache"))
    .withEnvVariable("PLAIN", "not a secret")
    .withExec(["sh", "-c", "echo \"$ONE $FROM_ENV $KEYED\"; cat /run/secrets/multi; cat /etc/one.txt >&2; echo made > /made.txt; date > /cache/date"])
  await step(r, "ctrId", () => id(ctr))
  await step(r, "stdout", () => ctr.stdout())
  await step(r, "stderr", () => ctr.stderr())
  await step(r, "combined", () => ctr.combinedOutput())
  await step(r, "redirected", () =>
    ctr.withExec(["sh", "-c", "echo $ONE; cat /run/secrets/multi"], { redirectStdout: "/out.txt" }).file("/out.txt").contents())
  await step(r, "failed", () => ctr.withExec(["sh", "-c", "echo $ONE; cat /run/secrets/multi >&2; exit 5"]).sync())
  await step(r, "envVariables", async () => Promise.all((await ctr.envVariables()).map(async (e) => [await e.name(), await e.value()])))
  // what the image holds: export, tarball, publish, a directory of the rootfs
  const after = ctr.withExec(["sh", "-c", "ls -la /run/secrets /etc/one.txt; env"])
  await step(r, "afterStdout", () => after.stdout())
  await step(r, "export", () => after.export(path.join(scratch, "image.tar")))
  await step(r, "tarball", () => after.asTarball().export(path.join(scratch, "tarball.tar")))
  await step(r, "publish", () => after.publish(ref))
  await step(r, "rootDir", () => after.directory("/").export(path.join(scratch, "rootfs")))
  await step(r, "runDir", () => after.directory("/run").entries())
  await step(r, "stubContents", () => after.file("/etc/one.txt").contents())
  await step(r, "withoutMounts", () =>
    after.withoutMount("/run/secrets/multi").withoutMount("/etc/one.txt").withoutSecretVariable("ONE")
      .withExec(["sh", "-c", "cat /run/secrets/multi /etc/one.txt 2>&1; echo ONE=$ONE"]).stdout())
  await step(r, "afterId", () => id(after))
  // sources fetched with credentials: http's authHeader ("Bearer <one>") and git's httpAuthToken (one)
  const privateFile = client.http(`${process.env.DIRK_LEAK_HTTP}/private.txt`, {
    authHeader: client.setSecret("bearer", `Bearer ${process.env.DIRK_LEAK_VALUE}`)
  })
  await step(r, "httpContents", () => privateFile.contents())
  await step(r, "httpId", () => id(privateFile))
  const tree = client.git(process.env.DIRK_LEAK_GIT, { httpAuthToken: one }).head().tree()
  await step(r, "gitReadme", () => tree.file("README").contents())
  await step(r, "gitExport", () => tree.export(path.join(scratch, "git-tree")))
  await step(r, "gitId", () => id(tree))
  // a Dockerfile build that mounts the secret, and one that prints it and fails
  const buildDir = client.directory()
    .withNewFile("Dockerfile", "FROM dirk.local/busybox:latest\nRUN --mount=type=secret,id=one wc -c < /run/secrets/one > /len\n")
    .withNewFile("fail.Dockerfile", "FROM dirk.local/busybox:latest\nRUN --mount=type=secret,id=one cat /run/secrets/one; exit 4\n")
  await step(r, "buildLen", () => buildDir.dockerBuild({ secrets: [one] }).withExec(["cat", "/len"]).stdout())
  await step(r, "buildFailed", () => buildDir.dockerBuild({ dockerfile: "fail.Dockerfile", secrets: [one] }).sync())
  process.stdout.write(JSON.stringify(r, null, 2) + "\n")
})
