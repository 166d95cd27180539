// Container fields through Dagger's own npm client, unchanged, against dirk (through `dirk run`): the image config
// and `from`, withExec and its options, exit codes, the config fields, files, mounts, EnvVariable/Label/Port objects
// and IDs. argv[2]: a local image built by the test (see CompatContainer.test.ts) with env, labels, ports, entrypoint,
// cmd, workdir and user; argv[3]: an image in the local registry (for imageRef). The steps run at the same time.
// Prints one JSON object with what each step returned (a failed step records its error);
// test/integration/CompatContainer.test.ts checks it.
import { connect, ExistsType, NetworkProtocol, ReturnType } from "@dagger.io/dagger"
import { step as record } from "./step.mjs"

const [configured, registryImage] = process.argv.slice(2)

await connect(async (client) => {
  const r = {}
  // the steps run at the same time (each `await step(...)` only starts one); all are awaited before printing
  const pending = []
  const step = (results, name, f) => {
    pending.push(record(results, name, f))
  }
  const base = client.container().from("dirk.local/busybox:latest")
  const sh = (c, script, opts) => c.withExec(["sh", "-c", script], opts).stdout()
  const pairs = (list) => Promise.all(list.map(async (x) => [await x.name(), await x.value()]))
  const ports = (list) =>
    Promise.all(list.map(async (p) => ({
      port: await p.port(),
      protocol: await p.protocol(),
      description: await p.description(),
      skip: await p.experimentalSkipHealthcheck()
    })))
  const config = async (c) => ({
    env: await pairs(await c.envVariables()),
    labels: await pairs(await c.labels()),
    ports: await ports(await c.exposedPorts()),
    entrypoint: await c.entrypoint(),
    defaultArgs: await c.defaultArgs(),
    workdir: await c.workdir(),
    user: await c.user()
  })

  // --- from and the image config
  await step(r, "fromBusybox", () => config(base))
  await step(r, "fromMerge", async () => {
    const c = client.container()
      .withEnvVariable("SHARED", "mine")
      .withEnvVariable("MINE", "kept")
      .withLabel("shared.label", "mine")
      .withLabel("mine.label", "kept")
      .withExposedPort(7000, { description: "mine" })
      .withExposedPort(8080, { description: "web" })
      .withEntrypoint(["my-entrypoint"])
      .withDefaultArgs(["my-arg"])
      .withWorkdir("/mine")
      .withUser("mine")
      .from(configured)
    return { ...await config(c), run: await c.withExec([], { useEntrypoint: true }).stdout() }
  })
  await step(r, "fromReplacesWithEmpty", async () => {
    const c = client.container().withWorkdir("/mine").withUser("nobody").withEntrypoint(["x"]).from("dirk.local/busybox:latest")
    return { workdir: await c.workdir(), user: await c.user(), entrypoint: await c.entrypoint(), defaultArgs: await c.defaultArgs() }
  })
  await step(r, "fromAgainReplacesRootfs", () =>
    base.withNewFile("/marker", "m").from("dirk.local/busybox:latest").exists("/marker"))
  await step(r, "missingImage", () =>
    client.container().from("dirk.local/no-such-image:1").withExec(["true"]).sync().then(() => "no error"))
  await step(r, "platform", () => base.platform())
  await step(r, "scratchPlatform", () => client.container().platform())
  await step(r, "imageRef", () => client.container().from(registryImage).imageRef())
  await step(r, "imageRefAfterExec", () => client.container().from(registryImage).withExec(["true"]).imageRef())

  // --- withExec
  await step(r, "exec", () => base.withExec(["echo", "hello"]).stdout())
  await step(r, "execError", () => sh(base, "echo partial; echo failing >&2; exit 7"))
  await step(r, "stderr", () => base.withExec(["sh", "-c", "echo out; echo err >&2"]).stderr())
  await step(r, "exitCodeZero", () => base.withExec(["true"]).exitCode())
  const exit = (code, expect) => base.withExec(["sh", "-c", `exit ${code}`], { expect }).exitCode()
  await step(r, "exit2Failure", () => exit(2, ReturnType.Failure))
  await step(r, "exit254Failure", () => exit(254, ReturnType.Failure))
  await step(r, "exit254Any", () => exit(254, ReturnType.Any))
  await step(r, "exit0Any", () => exit(0, ReturnType.Any))
  await step(r, "exit0Failure", () => exit(0, ReturnType.Failure))
  await step(r, "exit128Any", () => exit(128, ReturnType.Any))
  await step(r, "exit130Any", () => exit(130, ReturnType.Any))
  await step(r, "exit191Any", () => exit(191, ReturnType.Any))
  await step(r, "exit192Any", () => exit(192, ReturnType.Any))
  await step(r, "failureOutputs", async () => {
    const c = base.withExec(["sh", "-c", "echo kept; echo also >&2; exit 3"], { expect: ReturnType.Failure })
    return { stdout: await c.stdout(), stderr: await c.stderr(), exitCode: await c.exitCode() }
  })
  await step(r, "stdin", () => base.withExec(["cat"], { stdin: "from stdin" }).stdout())
  await step(r, "redirectStdout", async () => {
    const c = base.withWorkdir("/w").withExec(["sh", "-c", "echo to-file; echo to-stderr >&2"], { redirectStdout: "out.txt" })
    return { file: await c.file("/w/out.txt").contents(), stderr: await c.stderr() }
  })
  await step(r, "redirectStderr", async () => {
    const c = base.withExec(["sh", "-c", "echo to-stdout; echo to-file >&2"], { redirectStderr: "/err.txt" })
    return { file: await c.file("/err.txt").contents(), stdout: await c.stdout() }
  })
  await step(r, "redirectStdin", () =>
    base.withNewFile("/w/in.txt", "from a file\n").withWorkdir("/w").withExec(["cat"], { redirectStdin: "in.txt" }).stdout())
  await step(r, "redirectStdinMount", () =>
    base.withMountedDirectory("/m", client.directory().withNewFile("x.txt", "from a mount\n"))
      .withExec(["cat"], { redirectStdin: "/m/x.txt" }).stdout())
  await step(r, "redirectStdinLink", () =>
    base.withNewFile("/data/real.txt", "through a link\n").withSymlink("/data/real.txt", "/link.txt")
      .withExec(["wc", "-c"], { redirectStdin: "/link.txt" }).stdout())
  await step(r, "redirectStdinSecret", () =>
    base.withNewFile("/in.txt", "with a secret\n").withSecretVariable("S", client.setSecret("stdin-secret", "x"))
      .withExec(["cat"], { redirectStdin: "/in.txt" }).stdout())
  await step(r, "redirectStdinDevNull", () => base.withExec(["wc", "-c"], { redirectStdin: "/dev/null" }).stdout())
  await step(r, "redirectStdinMissing", () => base.withExec(["cat"], { redirectStdin: "/nope.txt" }).stdout())
  await step(r, "redirectStdinBoth", () => base.withExec(["cat"], { stdin: "x", redirectStdin: "/etc/passwd" }).stdout())
  await step(r, "noInit", () => sh(base, "echo $$", { noInit: true }))
  await step(r, "useEntrypoint", async () => {
    const c = base.withEntrypoint(["echo", "EP"])
    return { without: await c.withExec(["echo", "plain"]).stdout(), with: await c.withExec(["x"], { useEntrypoint: true }).stdout() }
  })
  await step(r, "emptyArgsRunDefaultArgs", () => base.withDefaultArgs(["echo", "defaults"]).withExec([]).stdout())
  await step(r, "emptyArgsNothingSet", () => base.withoutDefaultArgs().withExec([]).sync().then(() => "no error"))
  await step(r, "stdoutWithoutExec", () => base.stdout())
  await step(r, "combinedOutput", () =>
    base.withExec(["sh", "-c", "echo 1; sleep 0.2; echo 2 >&2; sleep 0.2; echo 3; sleep 0.2; echo 4 >&2"]).combinedOutput())
  const big = "i=0; while [ $i -lt 3072 ]; do printf '%01023d\\n' $i; i=$((i+1)); done"
  await step(r, "bigStdout", async () => {
    const out = await sh(base, big)
    const failed = await base.withExec(["sh", "-c", `${big}; exit 3`], { expect: ReturnType.Failure }).stdout()
    return { length: out.length, line: out.split("\n")[3071], same: failed === out }
  })
  await step(r, "bigStdoutError", () =>
    sh(base, `${big}; exit 3`).then(
      () => "no error",
      (e) => ({ exitCode: e.exitCode, stdoutLength: e.stdout?.length })
    ))
  await step(r, "execEnvDefaults", () => sh(client.container().withRootfs(base.rootfs()), "echo $PATH; pwd; id -u"))

  // --- expand: ${VAR} and $VAR from the container's env
  const withA = base.withEnvVariable("A", "one").withEnvVariable("B", "two")
  await step(r, "expandExec", async () => ({
    on: await withA.withExec(["echo", "${A}-$B"], { expand: true }).stdout(),
    off: await withA.withExec(["echo", "${A}-$B"]).stdout()
  }))
  await step(r, "expandEnvVariable", async () => ({
    on: await withA.withEnvVariable("C", "${A}/$B", { expand: true }).envVariable("C"),
    off: await withA.withEnvVariable("C", "${A}/$B").envVariable("C")
  }))
  await step(r, "expandWorkdir", () => withA.withWorkdir("/w/${A}", { expand: true }).workdir())
  await step(r, "expandNewFile", async () => {
    const c = withA.withNewFile("/f/${A}.txt", "${B}", { expand: true })
    return { contents: await c.file("/f/one.txt").contents(), viaExpand: await c.file("/f/$A.txt", { expand: true }).contents() }
  })
  const files = client.directory().withNewFile("a.txt", "A").withNewFile("sub/b.txt", "B")
  await step(r, "expandPaths", async () => {
    const c = withA
      .withDirectory("/d/${A}", files, { expand: true })
      .withFile("/f/${B}.txt", files.file("a.txt"), { expand: true })
      .withMountedDirectory("/m/${A}", files, { expand: true })
      .withMountedTemp("/t/${B}", { expand: true })
      .withSymlink("/d/one", "/l/${B}", { expand: true })
    return {
      directory: await c.directory("/d/${A}", { expand: true }).entries(),
      file: await c.file("/f/two.txt").contents(),
      mounts: await c.mounts(),
      exists: await c.exists("/d/${A}/sub/b.txt", { expand: true }),
      link: await sh(c, "readlink /l/two"),
      withoutFile: await c.withoutFile("/f/${B}.txt", { expand: true }).exists("/f/two.txt"),
      withoutDirectory: await c.withoutDirectory("/d/${A}", { expand: true }).exists("/d/one"),
      withoutMount: await c.withoutMount("/m/${A}", { expand: true }).mounts()
    }
  })

  // --- config fields
  await step(r, "envVariables", async () =>
    pairs(await base.withEnvVariable("A", "1").withEnvVariable("B", "2").withEnvVariable("A", "3").envVariables()))
  await step(r, "envVariable", async () => ({
    set: await withA.envVariable("A"),
    missing: await withA.envVariable("NOPE")
  }))
  await step(r, "withoutEnvVariable", async () => {
    const c = withA.withoutEnvVariable("A")
    return {
      names: await Promise.all((await c.envVariables()).map((v) => v.name())),
      value: await c.envVariable("A"),
      exec: await sh(c, "echo ${A-unset}")
    }
  })
  await step(r, "envInExec", () => sh(withA, "echo $A $B"))
  await step(r, "labels", async () => {
    const c = base.withLabel("z.label", "last").withLabel("a.label", "first")
    return {
      all: await pairs(await c.labels()),
      one: await c.label("a.label"),
      missing: await c.label("nope"),
      without: await Promise.all((await c.withoutLabel("z.label").labels()).map((l) => l.name()))
    }
  })
  await step(r, "exposedPorts", async () => {
    const c = client.container()
      .withExposedPort(8080, { description: "web" })
      .withExposedPort(53, { protocol: NetworkProtocol.Udp, experimentalSkipHealthcheck: true })
    return { both: await ports(await c.exposedPorts()), without: await ports(await c.withoutExposedPort(8080).exposedPorts()) }
  })
  // list elements are objects: the client reads their fields through node(id); their IDs load back
  const objectIds = async (list, load, read) => {
    const ids = await Promise.all(list.map((x) => x.id()))
    return { ids: ids.length, distinct: new Set(ids).size, loaded: await Promise.all(ids.map((id) => read(load(id)))) }
  }
  await step(r, "envVariableIds", async () =>
    objectIds(await withA.envVariables(), (id) => client.loadEnvVariableFromID(id), async (v) => [await v.name(), await v.value()]))
  await step(r, "labelIds", async () =>
    objectIds(
      await base.withLabel("x", "1").withLabel("y", "2").labels(),
      (id) => client.loadLabelFromID(id),
      async (l) => [await l.name(), await l.value()]
    ))
  await step(r, "portIds", async () =>
    objectIds(
      await client.container()
        .withExposedPort(80, { description: "http" })
        .withExposedPort(53, { protocol: NetworkProtocol.Udp })
        .exposedPorts(),
      (id) => client.loadPortFromID(id),
      async (p) => [await p.port(), await p.protocol(), await p.description()]
    ))
  await step(r, "entrypointClearsDefaultArgs", async () => {
    const c = base.withDefaultArgs(["a", "b"])
    return {
      cleared: await c.withEntrypoint(["ep"]).defaultArgs(),
      kept: await c.withEntrypoint(["ep"], { keepDefaultArgs: true }).defaultArgs(),
      imageCmd: await base.withEntrypoint(["ep"]).defaultArgs(),
      entrypoint: await c.withEntrypoint(["ep", "x"]).entrypoint()
    }
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
  await step(r, "withUser", async () => {
    const c = base.withUser("nobody")
    return {
      user: await c.user(),
      exec: await c.withExec(["id", "-un"]).stdout(),
      numeric: await base.withUser("1234:5678").withExec(["id"]).stdout()
    }
  })
  await step(r, "withWorkdir", async () => {
    const c = base.withWorkdir("/a").withWorkdir("b")
    return { workdir: await c.workdir(), pwd: await c.withExec(["pwd"]).stdout() }
  })

  // --- files
  await step(r, "withNewFile", async () => {
    const c = base.withNewFile("/n/new.txt", "new contents").withNewFile("/n/x.sh", "x", { permissions: 0o750 })
    return { contents: await c.file("/n/new.txt").contents(), modes: await sh(c, "stat -c %a /n/new.txt /n/x.sh") }
  })
  await step(r, "withNewFileRelative", () => base.withWorkdir("/w").withNewFile("rel.txt", "r").file("/w/rel.txt").contents())
  await step(r, "withFile", async () => {
    const c = base.withFile("/copied.txt", files.file("a.txt")).withFile("/mode.txt", files.file("a.txt"), { permissions: 0o600 })
    return { contents: await c.file("/copied.txt").contents(), modes: await sh(c, "stat -c %a /copied.txt /mode.txt") }
  })
  await step(r, "withDirectory", async () => {
    const c = base
      .withDirectory("/src", files)
      .withDirectory("/inc", files, { include: ["sub/**"] })
      .withDirectory("/exc", files, { exclude: ["sub"] })
    return {
      src: await sh(c, "cat /src/sub/b.txt"),
      include: await c.directory("/inc").glob("**"),
      exclude: await c.directory("/exc").glob("**")
    }
  })
  await step(r, "withFiles", () =>
    base.withFiles("/dst", [files.file("a.txt"), files.file("sub/b.txt")], { permissions: 0o600 })
      .withExec(["sh", "-c", "cat /dst/a.txt /dst/b.txt; stat -c %a /dst/b.txt"]).stdout())
  await step(r, "removals", async () => {
    const c = base.withExec(["sh", "-c", "mkdir -p /d/sub && touch /d/keep /d/gone /d/sub/x /f1 /f2"])
      .withoutFile("/d/gone").withoutFiles(["/f1", "/f2"]).withoutDirectory("/d/sub").withoutFile("/missing")
    return { entries: await c.directory("/d").entries(), f1: await c.exists("/f1") }
  })
  await step(r, "deletedParentReplaced", () =>
    sh(
      base.withDirectory(
        "/copy",
        base.withExec(["sh", "-c", "mkdir -p /app/p && echo a > /app/p/a"])
          .withExec(["sh", "-c", "rm -rf /app/p && mkdir /app/p && echo c > /app/p/c"]).directory("/app")
      ),
      "find /copy | sort"
    ))
  await step(r, "deletedParentKept", async () => {
    const app = base.withExec(["sh", "-c", "mkdir -p /app/p && echo a > /app/p/a && echo b > /app/p/b"])
      .withExec(["rm", "/app/p/a"]).directory("/app")
    return {
      copied: await sh(base.withDirectory("/copy", app), "find /copy | sort"),
      glob: await app.glob("**"),
      intoDirectory: await client.directory().withDirectory("x", app).glob("**")
    }
  })
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
  await step(r, "containerFileAndDirectory", async () => {
    const c = base.withExec(["sh", "-c", "mkdir -p /out && echo 1 > /out/one && echo 2 > /out/two"])
    return {
      entries: await c.directory("/out").entries(),
      file: await c.file("/out/two").contents(),
      relative: await c.withWorkdir("/out").file("one").contents()
    }
  })
  await step(r, "fileMissing", () => base.file("/nope.txt").contents())

  // --- mounts
  await step(r, "mountedFile", async () => {
    const c = base.withMountedFile("/etc/app.conf", files.file("a.txt"))
    return {
      contents: await sh(c, "cat /etc/app.conf"),
      mounts: await c.mounts(),
      withoutMount: await sh(c.withoutMount("/etc/app.conf"), "test -e /etc/app.conf; echo $?")
    }
  })
  await step(r, "mountedTemp", () =>
    sh(
      base.withMountedTemp("/scratch", { size: 1 << 20 }),
      "grep ' /scratch ' /proc/mounts | cut -d' ' -f1,3; echo x > /scratch/f; cat /scratch/f"
    ))
  await step(r, "mountedDirectory", async () => {
    const c = base.withMountedDirectory("/m", files)
    const written = c.withExec(["sh", "-c", "echo new > /m/new.txt && rm /m/a.txt"])
    return {
      ls: await sh(c, "ls /m"),
      mounts: await c.mounts(),
      changesKept: await written.directory("/m").entries(),
      sourceUnchanged: await files.entries(),
      notInRootfs: await sh(written.withoutMount("/m"), "ls /m 2>/dev/null | wc -l")
    }
  })
  await step(r, "mountedDirectoryReadOnly", async () => {
    const c = base.withMountedDirectory("/m", files, { readOnly: true })
    return {
      read: await sh(c, "cat /m/a.txt"),
      write: await sh(c, "echo x > /m/x").then(() => "written", (e) => ({ exitCode: e.exitCode, stderr: e.stderr }))
    }
  })

  // --- identity
  await step(r, "byId", async () => client.loadContainerFromID(await base.withExec(["echo", "by id"]).id()).stdout())
  await step(r, "sync", async () => (await base.withExec(["echo", "synced"]).sync()).stdout())
  await step(r, "syncError", () => base.withExec(["sh", "-c", "exit 5"]).sync().then(() => "no error", (e) => e.exitCode))

  await Promise.all(pending)
  process.stdout.write(JSON.stringify(r))
})
