// File fields through Dagger's own npm client, unchanged, against dirk (through `dirk run`). Prints one JSON object
// with what each step returned (a failed step records its error); test/integration/CompatFile.test.ts checks it.
import { connect } from "@dagger.io/dagger"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { step } from "./step.mjs"

const text = "hello world\nhello again\n"
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-compat-file-"))

await connect(async (client) => {
  const r = {}
  const base = client.container().from("dirk.local/busybox:latest")
  const f = client.file("hello.txt", text)
  await step(r, "contents", () => f.contents())
  await step(r, "nameAndSize", async () => ({ name: await f.name(), size: await f.size() }))
  const lines = client.file("lines.txt", "l1\nl2\nl3\nl4\n")
  await step(r, "contentsLines", async () => ({
    offset1limit2: await lines.contents({ offsetLines: 1, limitLines: 2 }),
    offset2: await lines.contents({ offsetLines: 2 }),
    limit1: await lines.contents({ limitLines: 1 }),
    offset0: await lines.contents({ offsetLines: 0 }),
    pastEnd: await lines.contents({ offsetLines: 10 }),
    limitPastEnd: await lines.contents({ offsetLines: 3, limitLines: 5 }),
    noFinalNewline: await client.file("x.txt", "a\nb").contents({ offsetLines: 1 })
  }))
  await step(r, "stat", async () => {
    const s = f.stat()
    return { name: await s.name(), size: await s.size(), permissions: await s.permissions(), fileType: await s.fileType() }
  })
  await step(r, "digest", async () => ({
    expected: "sha256:" + crypto.createHash("sha256").update(text).digest("hex"),
    contentOnly: await f.digest({ excludeMetadata: true }),
    withMetadata: await f.digest(),
    otherModeContentOnly: await client.file("hello.txt", text, { permissions: 0o600 }).digest({ excludeMetadata: true }),
    otherModeWithMetadata: await client.file("hello.txt", text, { permissions: 0o600 }).digest(),
    otherContents: await client.file("hello.txt", text + "!").digest()
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
  await step(r, "replaceKeepsMode", () =>
    client.file("x.sh", "echo a\n", { permissions: 0o755 }).withReplaced("a", "b").stat().permissions())

  // export to the client's host
  const exec = client.file("run.sh", "#!/bin/sh\n", { permissions: 0o750 })
  await step(r, "export", async () => {
    const dest = path.join(tmp, "new", "parents", "out.sh")
    const returned = await exec.export(dest)
    return { returned: returned === dest, contents: fs.readFileSync(dest, "utf8"), mode: fs.statSync(dest).mode & 0o777 }
  })
  await step(r, "exportRelative", async () => {
    const dest = path.join(tmp, "rel.txt")
    const returned = await f.export(path.relative(process.cwd(), dest))
    return { returned: returned === dest, contents: fs.readFileSync(dest, "utf8") }
  })
  await step(r, "exportOverwrites", async () => {
    const dest = path.join(tmp, "existing.txt")
    fs.writeFileSync(dest, "old contents that are longer")
    await f.export(dest)
    return fs.readFileSync(dest, "utf8")
  })
  await step(r, "exportReplacesSymlink", async () => {
    const target = path.join(tmp, "target.txt")
    fs.writeFileSync(target, "target")
    const link = path.join(tmp, "link.txt")
    fs.symlinkSync(target, link)
    await f.export(link)
    return { isLink: fs.lstatSync(link).isSymbolicLink(), contents: fs.readFileSync(link, "utf8"), target: fs.readFileSync(target, "utf8") }
  })
  await step(r, "exportOntoDirectory", () => {
    fs.mkdirSync(path.join(tmp, "a-dir"))
    return f.export(path.join(tmp, "a-dir"))
  })
  await step(r, "exportIntoDirectory", async () => {
    const returned = await f.export(path.join(tmp, "a-dir"), { allowParentDirPath: true })
    return { returned, contents: fs.readFileSync(path.join(tmp, "a-dir", "hello.txt"), "utf8") }
  })
  await step(r, "exportUnderFile", () => {
    fs.writeFileSync(path.join(tmp, "plain"), "x")
    return f.export(path.join(tmp, "plain", "below.txt"))
  })

  await step(r, "byId", async () => client.loadFileFromID(await f.id()).contents())
  await step(r, "sync", async () => (await f.sync()).contents())
  await step(r, "fromContainer", async () => {
    const g = base.withExec(["sh", "-c", "printf 'x\\ny\\n' > /out.txt"]).file("/out.txt")
    return { contents: await g.contents(), name: await g.name(), size: await g.size() }
  })
  console.log(JSON.stringify(r))
}, { LogOutput: process.stderr })

fs.rmSync(tmp, { recursive: true, force: true })
