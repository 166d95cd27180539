// Container fields (issue 3) through Dagger's own npm client, unchanged, against dirk (through `dirk run`).
// Prints one JSON object with what each step returned; test/integration/CompatContainer.test.ts checks it.
import { CacheSharingMode, connect, ExecError, ExistsType, NetworkProtocol, ReturnType } from "@dagger.io/dagger"
import { randomBytes } from "node:crypto"
import { errorMessage, step as baseStep } from "./step.mjs"

const step = (results, name, f) =>
  baseStep(results, name, f, (e) =>
    e instanceof ExecError
      ? { execError: { exitCode: e.exitCode, stdout: e.stdout.length, message: e.message } }
      : errorMessage(e))

const run = process.env.DIRK_COMPAT_CACHE_PREFIX ?? `compat-${randomBytes(4).toString("hex")}`

await connect(async (client) => {
  const r = { cachePrefix: run }
  const base = client.container().from("dirk.local/busybox:latest")

  await step(r, "envVariables", async () => {
    const vars = await base.withEnvVariable("A", "1").withEnvVariable("B", "2").withEnvVariable("A", "3").envVariables()
    return Promise.all(vars.map(async (v) => [await v.name(), await v.value()]))
  })
  await step(r, "labels", async () => {
    const c = base.withLabel("z.label", "last").withLabel("a.label", "first")
    const labels = await c.labels()
    return {
      all: await Promise.all(labels.map(async (l) => [await l.name(), await l.value()])),
      one: await c.label("a.label"),
      missing: await c.label("nope"),
      without: await Promise.all((await c.withoutLabel("z.label").labels()).map((l) => l.name()))
    }
  })
  await step(r, "exposedPorts", async () => {
    const c = client.container()
      .withExposedPort(8080, { description: "web" })
      .withExposedPort(53, { protocol: NetworkProtocol.Udp, experimentalSkipHealthcheck: true })
    const describe = async (ports) =>
      Promise.all(ports.map(async (p) => ({
        port: await p.port(),
        protocol: await p.protocol(),
        description: await p.description(),
        skip: await p.experimentalSkipHealthcheck()
      })))
    return { both: await describe(await c.exposedPorts()), without: await describe(await c.withoutExposedPort(8080).exposedPorts()) }
  })
  await step(r, "withouts", async () => {
    const c = client.container().withEntrypoint(["sh"]).withDefaultArgs(["-c", "x"]).withUser("1000").withWorkdir("/w")
    return {
      withoutEntrypoint: [await c.withoutEntrypoint().entrypoint(), await c.withoutEntrypoint().defaultArgs()],
      keepDefaultArgs: await c.withoutEntrypoint({ keepDefaultArgs: true }).defaultArgs(),
      withoutDefaultArgs: await c.withoutDefaultArgs().defaultArgs(),
      withoutUser: await c.withoutUser().user(),
      withoutWorkdir: await c.withoutWorkdir().workdir()
    }
  })
  const files = client.directory().withNewFile("a.txt", "A").withNewFile("sub/b.txt", "B")
  await step(r, "withFiles", () =>
    base.withFiles("/dst", [files.file("a.txt"), files.file("sub/b.txt")], { permissions: 0o600 })
      .withExec(["sh", "-c", "cat /dst/a.txt /dst/b.txt; stat -c %a /dst/b.txt"]).stdout())
  await step(r, "removals", async () => {
    const c = base.withExec(["sh", "-c", "mkdir -p /d/sub && touch /d/keep /d/gone /d/sub/x /f1 /f2"])
      .withoutFile("/d/gone").withoutFiles(["/f1", "/f2"]).withoutDirectory("/d/sub")
    return { entries: await c.directory("/d").entries(), f1: await c.exists("/f1") }
  })
  await step(r, "deletedStaysDeleted", () =>
    base.withDirectory(
      "/copy",
      base.withExec(["sh", "-c", "mkdir -p /app/p && echo a > /app/p/a"])
        .withExec(["sh", "-c", "rm -rf /app/p && mkdir /app/p && echo c > /app/p/c"]).directory("/app")
    ).withExec(["sh", "-c", "find /copy | sort"]).stdout())
  const linked = base.withNewFile("/data/f.txt", "hello", { permissions: 0o640 }).withSymlink("/data", "/link")
  await step(r, "symlink", async () => ({
    readlink: await linked.withExec(["readlink", "/link"]).stdout(),
    dirEntries: await linked.directory("/link").entries(),
    file: await linked.file("/link/f.txt").contents()
  }))
  await step(r, "exists", async () => [
    await linked.exists("/data/f.txt"),
    await linked.exists("/data/f.txt", { expectedType: ExistsType.RegularType }),
    await linked.exists("/data/f.txt", { expectedType: ExistsType.DirectoryType }),
    await linked.exists("/link", { expectedType: ExistsType.SymlinkType, doNotFollowSymlinks: true }),
    await linked.exists("/nope")
  ])
  await step(r, "stat", async () => {
    const s = linked.stat("/data/f.txt")
    return {
      name: await s.name(),
      size: await s.size(),
      permissions: await s.permissions(),
      fileType: await s.fileType(),
      link: await linked.stat("/link", { doNotFollowSymlinks: true }).fileType()
    }
  })
  await step(r, "ownerAndMode", () =>
    base.withExec(["sh", "-c", "mkdir -p /o && chown 1234:4321 /o && chmod 0750 /o"])
      .withNewFile("/o/new.txt", "n").withExec(["stat", "-c", "%u:%g %a", "/o"]).stdout())
  await step(r, "rootfs", async () => {
    const root = base.withNewFile("/marker", "m").rootfs()
    return {
      marker: await root.file("marker").contents(),
      withRootfs: await client.container().withRootfs(root).withExec(["cat", "/marker"]).stdout()
    }
  })
  await step(r, "mountedFile", async () => {
    const c = base.withMountedFile("/etc/app.conf", files.file("a.txt"))
    return {
      contents: await c.withExec(["cat", "/etc/app.conf"]).stdout(),
      mounts: await c.mounts(),
      withoutMount: await c.withoutMount("/etc/app.conf").withExec(["sh", "-c", "test -e /etc/app.conf; echo $?"]).stdout()
    }
  })
  await step(r, "mountedTemp", () =>
    base.withMountedTemp("/scratch", { size: 1 << 20 })
      .withExec(["sh", "-c", "grep ' /scratch ' /proc/mounts | cut -d' ' -f1,3; echo x > /scratch/f; cat /scratch/f"]).stdout())
  await step(r, "cache", async () => {
    const cache = client.cacheVolume(`${run}-shared`)
    const seed = client.directory().withNewFile("seed.txt", "seed")
    const mount = (c) => c.withMountedCache("/cache", cache, { source: seed, owner: "1000:1001" })
    const first = await mount(base).withExec(["sh", "-c", "stat -c %u:%g /cache; cat /cache/seed.txt; echo one >> /cache/log"]).stdout()
    const second = await mount(base).withExec(["sh", "-c", "echo two >> /cache/log; cat /cache/log"]).stdout()
    return { first, second }
  })
  await step(r, "cacheLocked", async () => {
    const cache = client.cacheVolume(`${run}-locked`)
    const script = "if mkdir /c/busy 2>/dev/null; then sleep 2; rmdir /c/busy; echo alone; else echo overlap; sleep 2; fi"
    return Promise.all([1, 2].map((i) =>
      base.withMountedCache("/c", cache, { sharing: CacheSharingMode.Locked }).withEnvVariable("I", String(i))
        .withExec(["sh", "-c", script]).stdout()
    ))
  })
  await step(r, "cachePrivate", async () => {
    const cache = client.cacheVolume(`${run}-private`)
    const script = "if mkdir /c/busy 2>/dev/null; then sleep 2; rmdir /c/busy; echo alone; else echo overlap; sleep 2; fi"
    return Promise.all([1, 2].map((i) =>
      base.withMountedCache("/c", cache, { sharing: CacheSharingMode.Private }).withEnvVariable("I", String(i))
        .withExec(["sh", "-c", script]).stdout()
    ))
  })
  await step(r, "combinedOutput", () =>
    base.withExec(["sh", "-c", "echo 1; sleep 0.2; echo 2 >&2; sleep 0.2; echo 3; sleep 0.2; echo 4 >&2"]).combinedOutput())
  await step(r, "noEntrypoint", async () => {
    const c = base.withEntrypoint(["echo", "EP"])
    return [await c.withExec(["echo", "plain"]).stdout(), await c.withExec(["x"], { useEntrypoint: true }).stdout()]
  })
  const exit = (code, expect) => base.withExec(["sh", "-c", `exit ${code}`], { expect }).exitCode()
  await step(r, "exit254Any", () => exit(254, ReturnType.Any))
  await step(r, "exit254Failure", () => exit(254, ReturnType.Failure))
  await step(r, "exit0Failure", () => exit(0, ReturnType.Failure))
  await step(r, "exit130Any", () => exit(130, ReturnType.Any))
  const big = "i=0; while [ $i -lt 3072 ]; do printf '%01023d\\n' $i; i=$((i+1)); done"
  await step(r, "bigStdout", async () => {
    const out = await base.withExec(["sh", "-c", big]).stdout()
    const failed = await base.withExec(["sh", "-c", `${big}; exit 3`], { expect: ReturnType.Failure }).stdout()
    return { length: out.length, line: out.split("\n")[3071], same: failed === out }
  })
  await step(r, "bigStdoutError", () => base.withExec(["sh", "-c", `${big}; exit 3`]).sync().then(() => "no error"))

  process.stdout.write(JSON.stringify(r))
})
