// Owners and permissions (`owner`, `permissions` of Container and Directory fields, `withUser`) through Dagger's own
// npm client (run by `dirk run`); the steps run at the same time. Prints JSON that test/integration/CompatOwner.test.ts
// checks.
import { connect } from "@dagger.io/dagger"
import { step as record } from "./step.mjs"

const prefix = process.env.DIRK_COMPAT_CACHE_PREFIX ?? "compat-owner"

await connect(async (client) => {
  const r = {}
  // the steps run at the same time (each `await step(...)` only starts one); all are awaited before printing
  const pending = []
  const step = (results, name, f) => {
    pending.push(record(results, name, f))
  }
  const busybox = client.container().from("dirk.local/busybox:latest")
  // A user `app` (uid 1234, primary group staff2 = 2345) and a group `other` (3456), added by an exec.
  const base = busybox.withExec([
    "sh",
    "-c",
    "echo app:x:1234:2345::/home/app:/bin/sh >> /etc/passwd && echo staff2:x:2345: >> /etc/group && " +
    "echo other:x:3456: >> /etc/group && mkdir -p /srv && mkdir -m 700 /srv/keep"
  ])
  const sh = (c, script) => c.withExec(["sh", "-c", script]).stdout()
  const st = (c, ...paths) => sh(c, `stat -c '%n %u:%g %a' ${paths.join(" ")}`)
  const file = client.file("f.txt", "hello\n")
  const dir = client.directory().withNewFile("a.txt", "a").withNewFile("sub/b.sh", "b", { permissions: 0o755 })

  await step(r, "newFileName", () => st(base.withNewFile("/data/f.txt", "x", { owner: "app" }), "/data", "/data/f.txt"))
  await step(r, "newFileUserGroup", () => st(base.withNewFile("/f", "x", { owner: "app:other" }), "/f"))
  await step(r, "newFileNumeric", () => st(base.withNewFile("/f", "x", { owner: "1000" }), "/f"))
  await step(r, "newFileNumericBoth", () => st(base.withNewFile("/f", "x", { owner: "1000:1001" }), "/f"))
  await step(r, "newFileMixed", () => st(base.withNewFile("/f", "x", { owner: "app:0" }), "/f"))
  await step(r, "newFileSetuid", () => st(base.withNewFile("/f", "x", { owner: "app", permissions: 0o4755 }), "/f"))
  await step(r, "newFileExistingParent", () =>
    st(base.withNewFile("/srv/keep/f", "x", { owner: "app", permissions: 0o600 }), "/srv/keep", "/srv/keep/f"))
  await step(r, "withFile", () => st(base.withFile("/opt/f.txt", file, { owner: "app", permissions: 0o600 }), "/opt/f.txt"))
  await step(r, "withFiles", () =>
    st(base.withFiles("/srv/keep", [file, client.file("g.txt", "g")], { owner: "1234:3456" }), "/srv/keep", "/srv/keep/f.txt", "/srv/keep/g.txt"))
  await step(r, "withDirectoryNew", () =>
    st(base.withDirectory("/srv/keep/app", dir, { owner: "app" }), "/srv/keep", "/srv/keep/app", "/srv/keep/app/a.txt", "/srv/keep/app/sub", "/srv/keep/app/sub/b.sh"))
  await step(r, "withDirectoryExisting", () =>
    st(base.withDirectory("/srv/keep", dir, { owner: "app:other" }), "/srv/keep", "/srv/keep/a.txt", "/srv/keep/sub/b.sh"))
  await step(r, "withDirectoryPermissions", () =>
    st(base.withDirectory("/p", client.directory().withNewFile("a", "a").withNewFile("b", "b", { permissions: 0o755 }), { permissions: 0o640 }), "/p/a", "/p/b"))
  await step(r, "mountedDirectory", () =>
    st(base.withMountedDirectory("/mnt/d", dir, { owner: "app" }), "/mnt/d", "/mnt/d/a.txt", "/mnt/d/sub/b.sh"))
  await step(r, "mountedDirectoryWritable", () =>
    sh(base.withMountedDirectory("/mnt/d", dir, { owner: "app" }).withUser("app"), "echo ok > /mnt/d/new && cat /mnt/d/new"))
  await step(r, "mountedFile", () => st(base.withMountedFile("/mnt/f.txt", file, { owner: "app:other" }), "/mnt/f.txt"))
  await step(r, "mountedCache", () =>
    st(base.withMountedCache("/cache", client.cacheVolume(`${prefix}-a`), { owner: "app" }), "/cache"))
  await step(r, "cacheVolumeDefault", () =>
    st(base.withMountedCache("/cache", client.cacheVolume(`${prefix}-b`, { owner: "app:other" })), "/cache"))
  // Names resolve in the rootfs at this point of the chain: a /etc/passwd written by withNewFile counts.
  await step(r, "passwdFromNewFile", () =>
    st(
      busybox.withNewFile("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nweb:x:4321:4322::/:/bin/sh\n")
        .withNewFile("/w", "x", { owner: "web" }),
      "/w"
    ))
  await step(r, "nameBeforeUserExists", () => st(busybox.withNewFile("/f", "x", { owner: "app" }), "/f"))
  // Directory fields: numbers only.
  await step(r, "dirWithFile", () =>
    st(base.withDirectory("/d", client.directory().withFile("f.txt", file, { owner: "1000:1001", permissions: 0o600 })), "/d/f.txt"))
  await step(r, "dirWithDirectory", () =>
    st(base.withDirectory("/d", client.directory().withDirectory("x", dir, { owner: "1234" })), "/d", "/d/x", "/d/x/a.txt", "/d/x/sub/b.sh"))
  await step(r, "dirWithDirectoryPermissions", () =>
    client.directory().withDirectory("x", client.directory().withNewFile("a", "a"), { permissions: 0o600 }).file("x/a").stat().permissions())
  await step(r, "dirName", () => client.directory().withFile("f.txt", file, { owner: "app" }).entries())
  await step(r, "dirDirectoryName", () => client.directory().withDirectory("x", dir, { owner: "1000:staff" }).entries())
  // Errors.
  await step(r, "unknownUser", () => st(base.withNewFile("/f", "x", { owner: "nobodyx" }), "/f"))
  await step(r, "unknownGroup", () => st(base.withFile("/f", file, { owner: "app:nogroupx" }), "/f"))
  await step(r, "badOwner", () => st(base.withNewFile("/f", "x", { owner: "a:b:c" }), "/f"))
  await step(r, "unknownUserMount", () => st(base.withMountedDirectory("/m", dir, { owner: "nobodyx" }), "/m"))
  await step(r, "withUserUnknown", () => base.withUser("nobodyx").withExec(["id"]).stdout())
  await step(r, "withUserName", () => base.withUser("app").withExec(["id"]).stdout())
  // Identity: owners are part of a directory's digest and of an exec's inputs.
  await step(r, "digests", async () => ({
    none: await client.directory().withFile("f.txt", file).digest(),
    owned: await client.directory().withFile("f.txt", file, { owner: "1000" }).digest(),
    ownedAgain: await client.directory().withFile("f.txt", file, { owner: "1000:1000" }).digest(),
    other: await client.directory().withFile("f.txt", file, { owner: "1001" }).digest()
  }))
  await step(r, "execIdentity", async () => ({
    a: await st(base.withNewFile("/f", "same", { owner: "1000" }), "/f"),
    b: await st(base.withNewFile("/f", "same", { owner: "1001" }), "/f"),
    c: await st(base.withNewFile("/f", "same"), "/f")
  }))
  await Promise.all(pending)
  console.log(JSON.stringify(r))
}, { LogOutput: process.stderr })
