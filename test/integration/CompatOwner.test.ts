/**
 * Owners and permissions through Dagger's own npm client (`@dagger.io/dagger`, unchanged) via `dirk run`:
 * test/compat/owner.mjs prints what `stat -c '%n %u:%g %a'` said inside execs, and the errors.
 */
import Dockerode from "dockerode"
import { randomBytes } from "node:crypto"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { dirk, repoRoot } from "../support/cli.js"

const prefix = `compat-owner-${randomBytes(4).toString("hex")}`
let out: Record<string, any>

beforeAll(async () => {
  const r = await dirk(["run", "--", process.execPath, path.join(repoRoot, "test/compat/owner.mjs")], {
    env: { DIRK_COMPAT_CACHE_PREFIX: prefix }
  })
  expect(r.code, r.stderr).toBe(0)
  out = JSON.parse(r.stdout)
})

afterAll(async () => {
  // Cache volumes outlive engines: remove this run's.
  const docker = new Dockerode()
  const { Volumes } = await docker.listVolumes({ filters: { label: ["dirk.volume=1"] } })
  for (const v of Volumes ?? []) {
    if (v.Labels?.["dirk.cache"]?.startsWith(prefix)) await docker.getVolume(v.Name).remove({ force: true }).catch(() => undefined)
  }
})

const lines = (...l: Array<string>) => l.join("\n") + "\n"

describe("owner and permissions, with Dagger's client", () => {
  it("withNewFile: names from the container's /etc/passwd and /etc/group, numbers, exact permissions", () => {
    // user alone: its primary group; a new parent directory gets the owner
    expect(out.newFileName).toBe(lines("/data 1234:2345 755", "/data/f.txt 1234:2345 644"))
    expect(out.newFileUserGroup).toBe(lines("/f 1234:3456 644"))
    expect(out.newFileNumeric).toBe(lines("/f 1000:1000 644"))
    expect(out.newFileNumericBoth).toBe(lines("/f 1000:1001 644"))
    expect(out.newFileMixed).toBe(lines("/f 1234:0 644"))
    expect(out.newFileSetuid).toBe(lines("/f 1234:2345 4755"))
    // an existing directory keeps its owner and mode
    expect(out.newFileExistingParent).toBe(lines("/srv/keep 0:0 700", "/srv/keep/f 1234:2345 600"))
    expect(out.passwdFromNewFile).toBe(lines("/w 4321:4322 644"))
  })

  it("withFile, withFiles, withDirectory: every written entry, existing directories untouched", () => {
    expect(out.withFile).toBe(lines("/opt/f.txt 1234:2345 600"))
    expect(out.withFiles).toBe(lines("/srv/keep 0:0 700", "/srv/keep/f.txt 1234:3456 644", "/srv/keep/g.txt 1234:3456 644"))
    expect(out.withDirectoryNew).toBe(lines(
      "/srv/keep 0:0 700",
      "/srv/keep/app 1234:2345 755",
      "/srv/keep/app/a.txt 1234:2345 644",
      "/srv/keep/app/sub 1234:2345 755",
      "/srv/keep/app/sub/b.sh 1234:2345 755"
    ))
    expect(out.withDirectoryExisting).toBe(lines("/srv/keep 0:0 700", "/srv/keep/a.txt 1234:3456 644", "/srv/keep/sub/b.sh 1234:3456 755"))
    expect(out.withDirectoryPermissions).toBe(lines("/p/a 0:0 640", "/p/b 0:0 640"))
  })

  it("mounts: directory (root included, writable by the owner), file, cache volume and its default", () => {
    expect(out.mountedDirectory).toBe(lines("/mnt/d 1234:2345 755", "/mnt/d/a.txt 1234:2345 644", "/mnt/d/sub/b.sh 1234:2345 755"))
    expect(out.mountedDirectoryWritable).toBe("ok\n")
    expect(out.mountedFile).toBe(lines("/mnt/f.txt 1234:3456 644"))
    expect(out.mountedCache).toBe(lines("/cache 1234:2345 755"))
    expect(out.cacheVolumeDefault).toBe(lines("/cache 1234:3456 755"))
  })

  it("Directory fields take numbers (kept when copied into a container); names are errors saying why", () => {
    expect(out.dirWithFile).toBe(lines("/d/f.txt 1000:1001 600"))
    expect(out.dirWithDirectory).toBe(lines("/d 0:0 755", "/d/x 1234:1234 755", "/d/x/a.txt 1234:1234 644", "/d/x/sub/b.sh 1234:1234 755"))
    expect(out.dirWithDirectoryPermissions).toBe(0o600)
    expect(out.dirName.error).toContain("Directory.withFile: owner \"app\": \"app\" is a name")
    expect(out.dirName.error).toContain("use numbers")
    expect(out.dirDirectoryName.error).toContain("\"staff\" is a name")
  })

  it("unknown users and groups are errors naming them", () => {
    expect(out.nameBeforeUserExists.error).toContain("owner \"app\": no such user \"app\" in /etc/passwd")
    expect(out.unknownUser.error).toContain("owner \"nobodyx\": no such user \"nobodyx\" in /etc/passwd")
    expect(out.unknownGroup.error).toContain("owner \"app:nogroupx\": no such group \"nogroupx\" in /etc/group")
    expect(out.unknownUserMount.error).toContain("no such user \"nobodyx\"")
    expect(out.badOwner.error).toContain("withNewFile: owner \"a:b:c\": expected user[:group]")
    expect(out.withUserUnknown.error).toContain("user \"nobodyx\" (withUser): no such user \"nobodyx\" in the container's /etc/passwd")
    expect(out.withUserName).toBe("uid=1234(app) gid=2345(staff2) groups=2345(staff2)\n")
  })

  it("owners are part of the identity: digests and execs differ by owner", () => {
    const d = out.digests
    expect(d.owned).toBe(d.ownedAgain)
    expect(new Set([d.none, d.owned, d.other]).size).toBe(3)
    expect(out.execIdentity).toEqual({ a: lines("/f 1000:1000 644"), b: lines("/f 1001:1001 644"), c: lines("/f 0:0 644") })
  })
})
