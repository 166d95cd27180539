// Root (Query) fields through Dagger's own npm client, unchanged, against dirk (through `dirk run`): version,
// defaultPlatform, container, directory, file, setSecret and the Secret fields. Prints one JSON object;
// test/integration/CompatQuery.test.ts checks it.
import { connect } from "@dagger.io/dagger"
import { step } from "./step.mjs"

await connect(async (client) => {
  const r = {}
  await step(r, "version", () => client.version())
  await step(r, "defaultPlatform", () => client.defaultPlatform())
  await step(r, "container", async () => {
    const c = client.container()
    return {
      platform: await c.platform(),
      entrypoint: await c.entrypoint(),
      env: (await c.envVariables()).length,
      rootfs: await c.rootfs().entries()
    }
  })
  await step(r, "containerPlatform", async () => client.container({ platform: await client.defaultPlatform() }).platform())
  await step(r, "containerOtherPlatform", () =>
    client.container({ platform: "linux/s390x" }).from("dirk.local/busybox:latest").withExec(["true"]).sync().then(() => "ran"))
  await step(r, "directory", async () => ({ entries: await client.directory().entries(), name: await client.directory().name() }))
  await step(r, "file", async () => {
    const f = client.file("hello.txt", "hello\n")
    return { name: await f.name(), contents: await f.contents(), size: await f.size(), permissions: await f.stat().permissions() }
  })
  await step(r, "filePermissions", () => client.file("x.sh", "#!/bin/sh\n", { permissions: 0o755 }).stat().permissions())
  await step(r, "fileWithDirectory", () => client.file("a/b.txt", "x").contents())

  const secret = client.setSecret("token", "s3cr3t")
  await step(r, "secretName", () => secret.name())
  await step(r, "secretPlaintext", () => secret.plaintext())
  await step(r, "secretIds", async () => {
    const id = await secret.id()
    return {
      isString: typeof id === "string" && id.length > 0,
      holdsPlaintext: id.includes("s3cr3t") || Buffer.from(id.replace(/^[^.]*\./, ""), "base64url").toString("utf8").includes("s3cr3t"),
      sameValueSameId: (await client.setSecret("token", "s3cr3t").id()) === id,
      otherValueOtherId: (await client.setSecret("token", "other").id()) !== id,
      otherNameOtherId: (await client.setSecret("token2", "s3cr3t").id()) !== id
    }
  })
  await step(r, "secretLoaded", async () => {
    const loaded = client.loadSecretFromID(await secret.id())
    return { name: await loaded.name(), plaintext: await loaded.plaintext() }
  })
  await step(r, "secretTooLong", () => client.setSecret("big", "x".repeat(128001)).plaintext().then((p) => p.length))
  await step(r, "secretMaxLength", () => client.setSecret("max", "x".repeat(128000)).plaintext().then((p) => p.length))
  process.stdout.write(JSON.stringify(r))
})
