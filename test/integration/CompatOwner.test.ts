/**
 * Owners and permissions through Dagger's own npm client (`@dagger.io/dagger`, unchanged) via `dirk run`:
 * test/compat/owner.mjs prints what `stat -c '%n %u:%g %a'` said inside execs, and the errors.
 */
import Dockerode from "dockerode"
import { randomBytes } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCompat, type Steps } from "../support/compat.js"

const prefix = `compat-owner-${randomBytes(4).toString("hex")}`
let out: Steps

beforeAll(async () => {
  out = await runCompat("owner.mjs", [], { DIRK_COMPAT_CACHE_PREFIX: prefix })
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

describe("owner on Container fields (names from the container's /etc/passwd and /etc/group), through Dagger's client", () => {
  it("withNewFile owner: a user name means its primary group; a new parent directory gets the owner", () => {
    expect(out.newFileName).toBe(lines("/data 1234:2345 755", "/data/f.txt 1234:2345 644"))
  })

  it("withNewFile owner: user:group names", () => {
    expect(out.newFileUserGroup).toBe(lines("/f 1234:3456 644"))
  })

  it("withNewFile owner: a numeric user alone means gid = uid; uid:gid; a name with a number", () => {
    expect(out.newFileNumeric).toBe(lines("/f 1000:1000 644"))
    expect(out.newFileNumericBoth).toBe(lines("/f 1000:1001 644"))
    expect(out.newFileMixed).toBe(lines("/f 1234:0 644"))
  })

  it("withNewFile permissions exactly, setuid included", () => {
    expect(out.newFileSetuid).toBe(lines("/f 1234:2345 4755"))
  })

  it("an existing parent directory keeps its owner and mode", () => {
    expect(out.newFileExistingParent).toBe(lines("/srv/keep 0:0 700", "/srv/keep/f 1234:2345 600"))
  })

  it("a /etc/passwd written earlier in the chain counts", () => {
    expect(out.passwdFromNewFile).toBe(lines("/w 4321:4322 644"))
  })

  it("withFile owner and permissions", () => {
    expect(out.withFile).toBe(lines("/opt/f.txt 1234:2345 600"))
  })

  it("withFiles owner: every file, the existing directory untouched", () => {
    expect(out.withFiles).toBe(lines("/srv/keep 0:0 700", "/srv/keep/f.txt 1234:3456 644", "/srv/keep/g.txt 1234:3456 644"))
  })

  it("withDirectory owner: every entry of a new destination", () => {
    expect(out.withDirectoryNew).toBe(lines(
      "/srv/keep 0:0 700",
      "/srv/keep/app 1234:2345 755",
      "/srv/keep/app/a.txt 1234:2345 644",
      "/srv/keep/app/sub 1234:2345 755",
      "/srv/keep/app/sub/b.sh 1234:2345 755"
    ))
  })

  it("withDirectory owner into an existing directory: the entries written, not the directory", () => {
    expect(out.withDirectoryExisting).toBe(lines("/srv/keep 0:0 700", "/srv/keep/a.txt 1234:3456 644", "/srv/keep/sub/b.sh 1234:3456 755"))
  })

  it("withDirectory permissions: every copied entry", () => {
    expect(out.withDirectoryPermissions).toBe(lines("/p/a 0:0 640", "/p/b 0:0 640"))
  })

  it("withMountedDirectory owner: the mount's root and contents, writable by the owner", () => {
    expect(out.mountedDirectory).toBe(lines("/mnt/d 1234:2345 755", "/mnt/d/a.txt 1234:2345 644", "/mnt/d/sub/b.sh 1234:2345 755"))
    expect(out.mountedDirectoryWritable).toBe("ok\n")
  })

  it("withMountedFile owner", () => {
    expect(out.mountedFile).toBe(lines("/mnt/f.txt 1234:3456 644"))
  })

  it("withMountedCache owner, and cacheVolume's owner as its default", () => {
    expect(out.mountedCache).toBe(lines("/cache 1234:2345 755"))
    expect(out.cacheVolumeDefault).toBe(lines("/cache 1234:3456 755"))
  })

  it("withUser by name runs as that user and its group", () => {
    expect(out.withUserName).toBe("uid=1234(app) gid=2345(staff2) groups=2345(staff2)\n")
  })
})

describe("owner on Directory fields (numbers only), through Dagger's client", () => {
  it("withFile owner and permissions, kept when copied into a container", () => {
    expect(out.dirWithFile).toBe(lines("/d/f.txt 1000:1001 600"))
  })

  it("withDirectory owner: every entry", () => {
    expect(out.dirWithDirectory).toBe(lines("/d 0:0 755", "/d/x 1234:1234 755", "/d/x/a.txt 1234:1234 644", "/d/x/sub/b.sh 1234:1234 755"))
  })

  it("withDirectory permissions", () => {
    expect(out.dirWithDirectoryPermissions).toBe(0o600)
  })

  it("a name is an error saying to use numbers", () => {
    expect(out.dirName.error).toContain("Directory.withFile: owner \"app\": \"app\" is a name")
    expect(out.dirName.error).toContain("use numbers")
    expect(out.dirDirectoryName.error).toContain("\"staff\" is a name")
  })
})

describe("owner errors and identity, through Dagger's client", () => {
  it("an unknown user or group is an error naming it", () => {
    expect(out.nameBeforeUserExists.error).toContain("owner \"app\": no such user \"app\" in /etc/passwd")
    expect(out.unknownUser.error).toContain("owner \"nobodyx\": no such user \"nobodyx\" in /etc/passwd")
    expect(out.unknownGroup.error).toContain("owner \"app:nogroupx\": no such group \"nogroupx\" in /etc/group")
    expect(out.unknownUserMount.error).toContain("no such user \"nobodyx\"")
  })

  it("a malformed owner is an error", () => {
    expect(out.badOwner.error).toContain("withNewFile: owner \"a:b:c\": expected user[:group]")
  })

  it("withUser of an unknown user: an error naming it", () => {
    expect(out.withUserUnknown.error).toContain("user \"nobodyx\" (withUser): no such user \"nobodyx\" in the container's /etc/passwd")
  })

  it("owners are part of a directory's digest", () => {
    const d = out.digests
    expect(d.owned).toBe(d.ownedAgain)
    expect(new Set([d.none, d.owned, d.other]).size).toBe(3)
  })

  it("execs over differently owned inputs are different execs", () => {
    expect(out.execIdentity).toEqual({ a: lines("/f 1000:1000 644"), b: lines("/f 1001:1001 644"), c: lines("/f 0:0 644") })
  })
})
