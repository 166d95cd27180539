// Host fields through Dagger's own npm client, unchanged, against dirk (through `dirk run`): directory (relative and
// absolute paths, exclude, include, gitignore, noCache) and file, relative to the client's working directory (the
// repository's root, where the test runs dirk). Prints one JSON object; test/integration/CompatHost.test.ts checks it.
import { connect } from "@dagger.io/dagger"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { step } from "./step.mjs"

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-compat-host-"))

await connect(async (client) => {
  const r = {}
  const host = client.host()
  await step(r, "directoryRelative", () => host.directory("test/fixtures/hostdir").glob("**"))
  await step(r, "directoryAbsolute", () => host.directory(path.resolve("test/fixtures/hostdir")).entries())
  await step(r, "directoryExclude", () => host.directory("test/fixtures/hostdir", { exclude: ["sub"] }).glob("**"))
  await step(r, "directoryInclude", () => host.directory("test/fixtures/hostdir", { include: ["sub/**"] }).glob("**"))
  await step(r, "directoryContents", () => host.directory("test/fixtures/hostdir").file("sub/b.txt").contents())
  await step(r, "directoryMissing", () => host.directory(path.join(tmp, "missing")).entries())
  await step(r, "directorySameContent", async () => {
    const copy = path.join(tmp, "copy")
    fs.cpSync("test/fixtures/hostdir", copy, { recursive: true })
    return (await host.directory(copy).digest()) === (await host.directory("test/fixtures/hostdir").digest())
  })
  await step(r, "directoryModes", async () => {
    const d = path.join(tmp, "modes")
    fs.mkdirSync(d)
    fs.writeFileSync(path.join(d, "run.sh"), "#!/bin/sh\n", { mode: 0o750 })
    fs.symlinkSync("run.sh", path.join(d, "link"))
    const dir = host.directory(d)
    return { mode: await dir.stat("run.sh").permissions(), link: await dir.stat("link", { doNotFollowSymlinks: true }).fileType() }
  })
  await step(r, "directoryNoCache", async () => {
    const d = path.join(tmp, "changing")
    fs.mkdirSync(d)
    fs.writeFileSync(path.join(d, "f.txt"), "first")
    const first = await host.directory(d, { noCache: true }).file("f.txt").contents()
    fs.writeFileSync(path.join(d, "f.txt"), "second")
    return [first, await host.directory(d, { noCache: true }).file("f.txt").contents()]
  })
  await step(r, "gitignore", async () => {
    const root = path.join(tmp, "repo")
    fs.mkdirSync(path.join(root, ".git"), { recursive: true })
    fs.mkdirSync(path.join(root, "app", "node_modules", "x"), { recursive: true })
    fs.writeFileSync(path.join(root, ".gitignore"), "node_modules/\n*.log\n")
    fs.writeFileSync(path.join(root, "app", "index.js"), "i")
    fs.writeFileSync(path.join(root, "app", "debug.log"), "l")
    fs.writeFileSync(path.join(root, "app", "node_modules", "x", "y.js"), "y")
    return {
      // the parent's .gitignore (up to the work tree's top, marked by .git) applies to a subdirectory
      sub: await host.directory(path.join(root, "app"), { gitignore: true }).glob("**"),
      without: await host.directory(path.join(root, "app")).glob("**")
    }
  })
  await step(r, "file", async () => {
    const f = host.file("test/fixtures/hostdir/a.txt")
    return { contents: await f.contents(), name: await f.name(), size: await f.size() }
  })
  await step(r, "fileAbsolute", () => host.file(path.resolve("test/fixtures/hostdir/sub/b.txt")).contents())
  await step(r, "fileMode", async () => {
    const p = path.join(tmp, "tool.sh")
    fs.writeFileSync(p, "#!/bin/sh\n", { mode: 0o755 })
    return host.file(p).stat().permissions()
  })
  await step(r, "fileMissing", () => host.file(path.join(tmp, "missing.txt")).contents())
  await step(r, "inContainer", () =>
    client.container().from("dirk.local/busybox:latest")
      .withMountedDirectory("/src", host.directory("test/fixtures/hostdir"))
      .withExec(["cat", "/src/a.txt", "/src/sub/b.txt"]).stdout())
  process.stdout.write(JSON.stringify(r))
})

fs.rmSync(tmp, { recursive: true, force: true })
