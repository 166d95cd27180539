// Directory fields through Dagger's own npm client (run by `dirk run`); prints JSON that
// test/integration/CompatDirectory.test.ts checks.
import { connect, ExistsType } from "@dagger.io/dagger"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { step } from "./step.mjs"


const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-compat-dir-"))

await connect(async (client) => {
  const r = {}
  const base = client.container().from("dirk.local/busybox:latest")
  const dir = client.directory()
    .withNewFile("a.txt", "A")
    .withNewFile("sub/b.md", "B")
    .withNewFile("sub/deep/c.md", "C")
    .withNewDirectory("empty")
  await step(r, "globMd", () => dir.glob("**/*.md"))
  await step(r, "globTop", () => dir.glob("*.txt"))
  await step(r, "globAll", () => dir.glob("**"))
  await step(r, "globAlt", () => dir.glob("{a.txt,sub/*.md}"))
  await step(r, "globInvalid", () => dir.glob("sub/[b.md"))
  await step(r, "withoutFiles", () => dir.withoutFiles(["a.txt", "sub/b.md", "missing"]).glob("**"))
  await step(r, "withFiles", async () => {
    const d = client.directory().withFiles("dst", [dir.file("a.txt"), dir.file("sub/b.md")], { permissions: 0o600 })
    return { entries: await d.entries({ path: "dst" }), permissions: await d.stat("dst/b.md").permissions() }
  })
  await step(r, "exists", async () => [
    await dir.exists("a.txt"),
    await dir.exists("nope"),
    await dir.exists("sub", { expectedType: ExistsType.DirectoryType }),
    await dir.exists("a.txt", { expectedType: ExistsType.DirectoryType }),
    await dir.exists("a.txt", { expectedType: ExistsType.RegularType })
  ])
  await step(r, "stat", async () => {
    const s = dir.stat("sub/b.md")
    return { name: await s.name(), size: await s.size(), permissions: await s.permissions(), fileType: await s.fileType() }
  })
  await step(r, "statDir", () => dir.stat("sub").fileType())
  await step(r, "statMissing", () => dir.stat("nope").size())
  await step(r, "symlink", async () => {
    const d = dir.withSymlink("a.txt", "link")
    return {
      contents: await d.file("link").contents(),
      type: await d.stat("link", { doNotFollowSymlinks: true }).fileType(),
      followed: await d.stat("link").fileType(),
      exists: await d.exists("link", { expectedType: ExistsType.SymlinkType, doNotFollowSymlinks: true })
    }
  })
  await step(r, "digest", async () => {
    const same = client.directory().withNewFile("a.txt", "A").withNewFile("sub/deep/c.md", "C")
      .withNewDirectory("empty").withNewFile("sub/b.md", "B")
    const d1 = client.directory().withNewFile("x.sh", "echo hi", { permissions: 0o644 })
    const d2 = client.directory().withNewFile("x.sh", "echo hi", { permissions: 0o755 })
    const modes = await Promise.all([d1, d2].map((d) =>
      base.withMountedDirectory("/m", d).withExec(["stat", "-c", "%a", "/m/x.sh"]).stdout()))
    return {
      digest: await dir.digest(),
      sameContent: await same.digest(),
      mode644: await d1.digest(),
      mode755: await d2.digest(),
      execModes: modes
    }
  })
  await step(r, "diff", async () => {
    const changed = dir.withNewFile("new.txt", "N").withNewFile("sub/deep/c.md", "C2").withoutFile("a.txt")
    return dir.diff(changed).glob("**")
  })
  await step(r, "filter", async () => ({
    include: await dir.filter({ include: ["sub/**/*.md"] }).glob("**"),
    exclude: await dir.filter({ exclude: ["sub"] }).glob("**")
  }))
  // .gitignore files: the root one and a nested one that re-includes; a negation below an excluded directory
  const ignoring = dir
    .withNewFile(".gitignore", "*.md\n!keep.md\nbuild/\n!build/keep.txt\n")
    .withNewFile("sub/.gitignore", "!b.md\n")
    .withNewFile("keep.md", "K")
    .withNewFile("build/out.js", "O")
    .withNewFile("build/keep.txt", "T")
  await step(r, "filterGitignore", () => ignoring.filter({ gitignore: true }).glob("**"))
  await step(r, "withDirectoryGitignore", () => client.directory().withDirectory("x", ignoring, { gitignore: true }).glob("x/**"))
  await step(r, "containerWithDirectoryGitignore", () =>
    base.withDirectory("/g", ignoring, { gitignore: true }).withExec(["find", "/g", "-type", "f"]).stdout()
      .then((s) => s.trim().split("\n").sort()))
  await step(r, "hostGitignore", async () => {
    const root = path.join(tmp, "repo")
    fs.mkdirSync(path.join(root, ".git"), { recursive: true })
    fs.mkdirSync(path.join(root, "app", "node_modules", "x"), { recursive: true })
    fs.writeFileSync(path.join(root, ".gitignore"), "node_modules/\n*.log\n")
    fs.writeFileSync(path.join(root, "app", "index.js"), "i")
    fs.writeFileSync(path.join(root, "app", "debug.log"), "l")
    fs.writeFileSync(path.join(root, "app", "node_modules", "x", "y.js"), "y")
    return {
      // the parent's .gitignore (up to the work tree's top, marked by .git) applies to a subdirectory
      sub: await client.host().directory(path.join(root, "app"), { gitignore: true }).glob("**"),
      without: await client.host().directory(path.join(root, "app")).glob("**")
    }
  })
  await step(r, "timestamps", () =>
    base.withMountedDirectory("/m", dir.withTimestamps(1672531199))
      .withExec(["sh", "-c", "stat -c %Y /m/a.txt /m/sub /m/sub/deep/c.md"]).stdout())
  await step(r, "name", async () => [
    await client.directory().name(),
    await dir.directory("sub/deep").name(),
    await base.directory("/etc").name()
  ])
  await step(r, "binary", async () => {
    const bytes = crypto.randomBytes(256)
    fs.mkdirSync(path.join(tmp, "in"))
    fs.writeFileSync(path.join(tmp, "in", "blob.bin"), bytes)
    const hostFile = client.host().directory(path.join(tmp, "in")).file("blob.bin")
    const copied = client.directory().withFile("copy/blob.bin", hostFile)
    const viaContainer = base.withFile("/data/blob.bin", copied.file("copy/blob.bin")).directory("/data")
    await copied.export(path.join(tmp, "out-dir"))
    await viaContainer.file("blob.bin").export(path.join(tmp, "out-file.bin"))
    return {
      size: await copied.file("copy/blob.bin").size(),
      containerSize: await viaContainer.file("blob.bin").size(),
      dirExportEqual: fs.readFileSync(path.join(tmp, "out-dir", "copy", "blob.bin")).equals(bytes),
      fileExportEqual: fs.readFileSync(path.join(tmp, "out-file.bin")).equals(bytes)
    }
  })
  await step(r, "exportOntoFile", async () => {
    fs.writeFileSync(path.join(tmp, "plain"), "x")
    return dir.export(path.join(tmp, "plain"))
  })
  await step(r, "exportUnderFile", () => dir.export(path.join(tmp, "plain", "below")))
  await step(r, "exportReadOnly", () => dir.export("/sys/dirk-export"))
  await step(r, "exportEscape", async () => {
    const outside = path.join(tmp, "outside")
    const evil = client.directory()
      .withSymlink(outside, "abs")
      .withNewFile("abs/pwn.txt", "pwned")
      .withSymlink("../../..", "up")
      .withNewFile("up/pwn2.txt", "pwned")
      .withNewFile("../../pwn3.txt", "pwned")
    const dest = path.join(tmp, "escape-out")
    await evil.export(dest)
    return {
      outsideWritten: fs.existsSync(outside),
      aboveWritten: fs.existsSync(path.join(tmp, "pwn2.txt")) || fs.existsSync(path.join(tmp, "pwn3.txt")),
      link: fs.readlinkSync(path.join(dest, "abs")),
      entries: await evil.glob("**")
    }
  })
  console.log(JSON.stringify(r))
}, { LogOutput: process.stderr })

fs.rmSync(tmp, { recursive: true, force: true })
