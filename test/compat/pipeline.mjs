// A pipeline written for Dagger, run unchanged with Dagger's own npm client against dirk (through `dirk run`).
// Prints one JSON object with what each step returned; test/integration/Compat.test.ts checks it.
import { connect, ExecError, ReturnType } from "@dagger.io/dagger"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { errorMessage, step as baseStep } from "./step.mjs"

const step = (results, name, f) =>
  baseStep(results, name, f, (e) =>
    e instanceof ExecError
      ? { execError: { exitCode: e.exitCode, stdout: e.stdout, stderr: e.stderr, cmd: e.cmd, message: e.message } }
      : errorMessage(e))

await connect(async (client) => {
  const r = {}
  const base = client.container().from("dirk.local/busybox:latest")
  await step(r, "version", () => client.version())
  await step(r, "newFile", () => base.withNewFile("/hello.txt", "hello from a file").withExec(["cat", "/hello.txt"]).stdout())
  await step(r, "workdirEnv", () =>
    base.withWorkdir("/work").withEnvVariable("GREETING", "hi").withExec(["sh", "-c", "echo $GREETING $(pwd)"]).stdout())
  const dir = client.directory().withNewFile("a.txt", "A").withNewFile("sub/b.txt", "B")
  await step(r, "entries", () => dir.entries())
  await step(r, "withDirectory", () => base.withDirectory("/src", dir).withExec(["cat", "/src/sub/b.txt"]).stdout())
  await step(r, "mounted", () => base.withMountedDirectory("/m", dir).withExec(["ls", "/m"]).stdout())
  await step(r, "fileContents", () => dir.file("a.txt").contents())
  await step(r, "containerFile", () => base.withNewFile("/x/y.txt", "why").file("/x/y.txt").contents())
  await step(r, "containerDirectory", () =>
    base.withExec(["sh", "-c", "mkdir -p /out && echo 1 > /out/one && echo 2 > /out/two"]).directory("/out").entries())
  await step(r, "execError", () => base.withExec(["sh", "-c", "echo partial; echo failing >&2; exit 7"]).sync().then(() => "no error"))
  await step(r, "expectFailure", () => base.withExec(["sh", "-c", "exit 2"], { expect: ReturnType.Failure }).exitCode())
  await step(r, "stdinRedirect", () => base.withExec(["cat"], { stdin: "from stdin" }).stdout())
  await step(r, "byId", async () => {
    const id = await base.withExec(["echo", "by id"]).id()
    return client.loadContainerFromID(id).stdout()
  })
  await step(r, "sync", async () => {
    const c = await base.withExec(["echo", "synced"]).sync()
    return c.stdout()
  })
  await step(r, "hostDirectory", () => client.host().directory("test/fixtures/hostdir", { exclude: ["*.log"] }).entries())
  await step(r, "hostFile", () => client.host().file("test/fixtures/hostdir/a.txt").contents())
  await step(r, "entrypoint", () =>
    base.withEntrypoint(["echo", "from-entrypoint"]).withExec(["arg"], { useEntrypoint: true }).stdout())
  await step(r, "redirectStdout", () =>
    base.withExec(["echo", "to a file"], { redirectStdout: "/out.txt" }).file("/out.txt").contents())
  await step(r, "fileSizeName", async () => [await dir.file("sub/b.txt").size(), await dir.file("sub/b.txt").name()])
  await step(r, "export", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dirk-compat-"))
    const written = await dir.export(path.join(tmp, "out"))
    const file = await dir.file("a.txt").export(path.join(tmp, "copy", "a.txt"))
    const result = {
      written: written === path.join(tmp, "out"),
      files: [fs.readFileSync(path.join(tmp, "out", "sub", "b.txt"), "utf8"), fs.readFileSync(file, "utf8")]
    }
    fs.rmSync(tmp, { recursive: true, force: true })
    return result
  })
  await step(r, "missingImage", () => client.container().from("dirk.local/no-such-image:1").withExec(["true"]).sync().then(() => "no error"))
  process.stdout.write(JSON.stringify(r, null, 2) + "\n")
})
