// Directory fields through Dagger's own npm client, unchanged, against dirk (through `dirk run`). Prints one JSON
// object with what each step returned (a failed step records its error); test/integration/CompatDirectory.test.ts
// checks it.
import { connect, ExistsType } from "@dagger.io/dagger"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { step } from "./step.mjs"

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-compat-dir-"))
/** Every path under `root` (directories end with `/`), sorted. */
const listTree = (root) =>
  fs.readdirSync(root, { recursive: true, withFileTypes: true })
    .map((e) => path.relative(root, path.join(e.parentPath ?? e.path, e.name)) + (e.isDirectory() ? "/" : ""))
    .sort()

await connect(async (client) => {
  const r = {}
  const base = client.container().from("dirk.local/busybox:latest")
  const dir = client.directory()
    .withNewFile("a.txt", "A")
    .withNewFile("sub/b.md", "B")
    .withNewFile("sub/deep/c.md", "C")
    .withNewDirectory("empty")
  await step(r, "entries", async () => ({
    root: await dir.entries(),
    sub: await dir.entries({ path: "sub" }),
    empty: await client.directory().entries(),
    missing: await dir.entries({ path: "nope" }).catch((e) => ({ error: String(e.message) }))
  }))
  await step(r, "fileAndDirectory", async () => ({
    file: await dir.file("sub/b.md").contents(),
    directory: await dir.directory("sub").entries(),
    nested: await dir.directory("sub").directory("deep").file("c.md").contents(),
    missingFile: await dir.file("nope.txt").contents().catch((e) => ({ error: String(e.message) }))
  }))
  await step(r, "withNewFileAndDirectory", async () => {
    const d = client.directory().withNewFile("x/y.sh", "echo", { permissions: 0o750 }).withNewDirectory("p/q", { permissions: 0o700 })
    return {
      glob: await d.glob("**"),
      fileMode: await d.stat("x/y.sh").permissions(),
      dirMode: await d.stat("p/q").permissions(),
      defaultMode: await dir.stat("a.txt").permissions()
    }
  })
  await step(r, "withFile", async () => {
    const d = client.directory().withFile("copy.txt", dir.file("a.txt")).withFile("m.txt", dir.file("a.txt"), { permissions: 0o600 })
    return {
      contents: await d.file("copy.txt").contents(),
      mode: await d.stat("m.txt").permissions(),
      into: await client.directory().withNewDirectory("d").withFile("d/", dir.file("sub/b.md")).glob("**")
    }
  })
  await step(r, "withDirectory", async () => ({
    all: await client.directory().withNewFile("keep.txt", "k").withDirectory("x", dir).glob("**"),
    include: await client.directory().withDirectory("x", dir, { include: ["**/*.md"] }).glob("**"),
    exclude: await client.directory().withDirectory(".", dir, { exclude: ["sub/deep", "empty"] }).glob("**")
  }))
  await step(r, "withoutDirectory", async () => ({
    glob: await dir.withoutDirectory("sub").glob("**"),
    nested: await dir.withoutDirectory("sub/deep").entries({ path: "sub" }),
    missing: await dir.withoutDirectory("nope").entries()
  }))
  await step(r, "withoutFile", async () => ({
    glob: await dir.withoutFile("sub/b.md").glob("**"),
    entries: await dir.withoutFile("sub/b.md").entries({ path: "sub" }),
    missing: await dir.withoutFile("nope.txt").entries()
  }))
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
    const one = client.directory().withNewFile("a.txt", "A")
    return {
      digest: await dir.digest(),
      sameContent: await same.digest(),
      one: await one.digest(),
      oneAgain: await client.directory().withNewFile("a.txt", "A").digest(),
      renamed: await client.directory().withNewFile("b.txt", "A").digest(),
      otherByte: await client.directory().withNewFile("a.txt", "B").digest(),
      moved: await client.directory().withNewFile("sub/a.txt", "A").digest(),
      extraEmptyDir: await one.withNewDirectory("e").digest(),
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
  await step(r, "export", async () => {
    const dest = path.join(tmp, "plain-export")
    const written = await dir.export(dest)
    const relative = path.join(tmp, "rel")
    const relativeReturned = await client.directory().withNewFile("r.txt", "r").export(path.relative(process.cwd(), relative))
    return { returned: written === dest, files: listTree(dest), relative: relativeReturned === relative }
  })
  const seedDest = (name) => {
    const dest = path.join(tmp, name)
    fs.mkdirSync(path.join(dest, "old"), { recursive: true })
    fs.writeFileSync(path.join(dest, "extra.txt"), "extra")
    fs.writeFileSync(path.join(dest, "old", "x.txt"), "x")
    fs.writeFileSync(path.join(dest, "a.txt"), "stale")
    return dest
  }
  await step(r, "exportMerge", async () => {
    const dest = seedDest("merge")
    await dir.export(dest)
    return { files: listTree(dest), a: fs.readFileSync(path.join(dest, "a.txt"), "utf8") }
  })
  await step(r, "exportWipe", async () => {
    const dest = seedDest("wipe")
    await dir.export(dest, { wipe: true })
    return { files: listTree(dest), a: fs.readFileSync(path.join(dest, "a.txt"), "utf8") }
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
  await step(r, "byId", async () => client.loadDirectoryFromID(await dir.id()).glob("**"))
  await step(r, "sync", async () => (await dir.sync()).entries())
  console.log(JSON.stringify(r))
}, { LogOutput: process.stderr })

fs.rmSync(tmp, { recursive: true, force: true })
