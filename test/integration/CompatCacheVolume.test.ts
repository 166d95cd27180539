/**
 * CacheVolume and Container.withMountedCache through Dagger's own npm client (`test/compat/cache.mjs` via `dirk run`):
 * IDs, persistence across execs and containers, source and owner, and the three sharing modes seen from two execs that
 * run at the same time. Cache volumes outlive engines: this run's are removed afterwards.
 */
import Dockerode from "dockerode"
import { randomBytes } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCompat, type Steps } from "../support/compat.js"

const prefix = `compat-cache-${randomBytes(4).toString("hex")}`
let out: Steps

beforeAll(async () => {
  out = await runCompat("cache.mjs", [], { DIRK_COMPAT_CACHE_PREFIX: prefix })
})

afterAll(async () => {
  const docker = new Dockerode()
  const { Volumes } = await docker.listVolumes({ filters: { label: ["dirk.volume=1"] } })
  for (const v of Volumes ?? []) {
    if (v.Labels?.["dirk.cache"]?.startsWith(prefix)) await docker.getVolume(v.Name).remove({ force: true }).catch(() => undefined)
  }
})

describe("CacheVolume, through Dagger's client", () => {
  it("id: one per key, and loadCacheVolumeFromID mounts the same volume", () => {
    expect(out.id).toEqual({ isString: true, sameKeySameId: true, otherKeyOtherId: true, loaded: "via-key\n" })
  })

  it("withMountedCache: source and owner seed a new volume; contents persist across execs", () => {
    expect(out.persists.first).toBe("1000:1001\nseed")
    expect(out.persists.second).toBe("one\ntwo\n")
  })

  it("the same key, source and owner in another container, at another path, is the same volume", () => {
    expect(out.persists.otherContainer).toBe("one\ntwo\n")
  })

  it("another key starts empty", () => {
    expect(out.otherKeyIsEmpty).toBe("0\n")
  })

  it("the cache's contents are not in the rootfs; mounts lists the cache", () => {
    expect(out.notInRootfs).toEqual({ rootfs: "0\n", mounts: ["/cache"] })
  })

  it("SHARED: two execs at the same time see each other's writes", () => {
    expect(out.shared).toEqual(["met\n", "met\n"])
    expect([...out.sharedOverlaps].sort()).toEqual(["alone\n", "overlap\n"])
  })

  it("LOCKED: two execs never run at the same time", () => {
    expect(out.locked).toEqual(["alone\n", "alone\n"])
  })

  it("PRIVATE: two execs at the same time get different volumes", () => {
    expect(out.private).toEqual(["alone\n", "alone\n"])
  })

  it("the sharing given to cacheVolume is withMountedCache's default", () => {
    expect(out.defaultSharing).toEqual(["alone\n", "alone\n"])
  })
})
