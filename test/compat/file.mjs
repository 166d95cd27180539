// File fields (and the root `file`) through Dagger's own npm client (run by `dirk run`); prints JSON that
// test/integration/CompatFile.test.ts checks.
import { connect } from "@dagger.io/dagger"
import * as crypto from "node:crypto"
import { step } from "./step.mjs"


const text = "hello world\nhello again\n"

await connect(async (client) => {
  const r = {}
  const base = client.container().from("dirk.local/busybox:latest")
  const f = client.file("hello.txt", text)
  await step(r, "root", async () => ({
    name: await f.name(),
    contents: await f.contents(),
    size: await f.size(),
    permissions: await f.stat().permissions(),
    custom: await client.file("x.sh", "#!/bin/sh\n", { permissions: 0o755 }).stat().permissions()
  }))
  await step(r, "rootWithDir", () => client.file("a/b.txt", "x").contents())
  await step(r, "stat", async () => {
    const s = f.stat()
    return { name: await s.name(), size: await s.size(), permissions: await s.permissions(), fileType: await s.fileType() }
  })
  await step(r, "digest", async () => ({
    expected: "sha256:" + crypto.createHash("sha256").update(text).digest("hex"),
    contentOnly: await f.digest({ excludeMetadata: true }),
    withMetadata: await f.digest(),
    otherModeContentOnly: await client.file("hello.txt", text, { permissions: 0o600 }).digest({ excludeMetadata: true }),
    otherModeWithMetadata: await client.file("hello.txt", text, { permissions: 0o600 }).digest()
  }))
  await step(r, "withName", async () => {
    const g = f.withName("renamed.txt")
    return { name: await g.name(), contents: await g.contents(), inDir: await client.directory().withFile("d/", g).entries({ path: "d" }) }
  })
  await step(r, "withNameDir", () => f.withName("a/b").name())
  await step(r, "withTimestamps", () =>
    base.withFile("/t.txt", f.withTimestamps(1672531199)).withExec(["stat", "-c", "%Y", "/t.txt"]).stdout())
  await step(r, "replaceOne", () => f.withReplaced("world", "there").contents())
  await step(r, "replaceMultiple", () => f.withReplaced("hello", "bye").contents())
  await step(r, "replaceAll", () => f.withReplaced("hello", "bye", { all: true }).contents())
  await step(r, "replaceFirstFrom", () => f.withReplaced("hello", "bye", { firstFrom: 2 }).contents())
  await step(r, "replaceNotFound", () => f.withReplaced("nope", "x").contents())
  await step(r, "replaceAllNotFound", () => f.withReplaced("nope", "x", { all: true }).contents())
  await step(r, "replaceKeepsMode", () => client.file("x.sh", "echo a\n", { permissions: 0o755 }).withReplaced("a", "b").stat().permissions())
  console.log(JSON.stringify(r))
}, { LogOutput: process.stderr })
