// CacheVolume and Container.withMountedCache through Dagger's own npm client, unchanged, against dirk (through
// `dirk run`): IDs, persistence across execs and containers, source and owner, SHARED, LOCKED and PRIVATE sharing.
// $DIRK_COMPAT_CACHE_PREFIX: the prefix of every key used (the test removes those volumes). Prints one JSON object;
// test/integration/CompatCacheVolume.test.ts checks it.
import { CacheSharingMode, connect } from "@dagger.io/dagger"
import { randomBytes } from "node:crypto"
import { step } from "./step.mjs"

const run = process.env.DIRK_COMPAT_CACHE_PREFIX ?? `compat-${randomBytes(4).toString("hex")}`

await connect(async (client) => {
  const r = {}
  const base = client.container().from("dirk.local/busybox:latest")
  const sh = (c, script) => c.withExec(["sh", "-c", script]).stdout()

  await step(r, "id", async () => {
    const id = await client.cacheVolume(`${run}-id`).id()
    const again = await client.cacheVolume(`${run}-id`).id()
    const other = await client.cacheVolume(`${run}-other`).id()
    const loaded = client.loadCacheVolumeFromID(id)
    await sh(base.withMountedCache("/c", client.cacheVolume(`${run}-id`)), "echo via-key > /c/f")
    return {
      isString: typeof id === "string" && id.length > 0,
      sameKeySameId: id === again,
      otherKeyOtherId: id !== other,
      loaded: await sh(base.withMountedCache("/c", loaded), "cat /c/f")
    }
  })
  await step(r, "persists", async () => {
    const cache = client.cacheVolume(`${run}-persist`)
    const seed = client.directory().withNewFile("seed.txt", "seed")
    const mount = (c) => c.withMountedCache("/cache", cache, { source: seed, owner: "1000:1001" })
    const first = await sh(mount(base), "stat -c %u:%g /cache; cat /cache/seed.txt; echo one >> /cache/log")
    const second = await sh(mount(base).withEnvVariable("N", "2"), "echo two >> /cache/log; cat /cache/log")
    // another container (other image, other path) mounting the same key, source and owner sees the same volume
    const otherContainer = await sh(
      client.container().from("dirk.local/node:20").withMountedCache("/elsewhere", cache, { source: seed, owner: "1000:1001" }),
      "cat /elsewhere/log"
    )
    return { first, second, otherContainer }
  })
  await step(r, "otherKeyIsEmpty", () => sh(base.withMountedCache("/cache", client.cacheVolume(`${run}-empty`)), "ls -A /cache | wc -l"))
  await step(r, "notInRootfs", async () => {
    const c = base.withMountedCache("/cache", client.cacheVolume(`${run}-rootfs`)).withExec(["sh", "-c", "echo x > /cache/x"])
    return { rootfs: await sh(c.withoutMount("/cache"), "ls -A /cache 2>/dev/null | wc -l"), mounts: await c.mounts() }
  })
  // two execs at the same time: each waits (up to 20 s) for the other's marker
  const meet = (cache, sharing, i) => {
    const other = `/c/m${3 - i}`
    const script = `touch /c/m${i}; n=0; while [ ! -e ${other} ] && [ $n -lt 200 ]; do sleep 0.1; n=$((n+1)); done; ` +
      `test -e ${other} && echo met || echo alone`
    return base.withMountedCache("/c", cache, { sharing }).withEnvVariable("I", String(i)).withExec(["sh", "-c", script]).stdout()
  }
  await step(r, "shared", () => Promise.all([1, 2].map((i) => meet(client.cacheVolume(`${run}-shared`), CacheSharingMode.Shared, i))))
  const overlap = "if mkdir /c/busy 2>/dev/null; then sleep 2; rmdir /c/busy; echo alone; else echo overlap; sleep 2; fi"
  const concurrently = (cache, sharing) =>
    Promise.all([1, 2].map((i) =>
      base.withMountedCache("/c", cache, { sharing }).withEnvVariable("I", String(i)).withExec(["sh", "-c", overlap]).stdout()))
  await step(r, "sharedOverlaps", () => concurrently(client.cacheVolume(`${run}-shared-overlap`), CacheSharingMode.Shared))
  await step(r, "locked", () => concurrently(client.cacheVolume(`${run}-locked`), CacheSharingMode.Locked))
  await step(r, "private", () => concurrently(client.cacheVolume(`${run}-private`), CacheSharingMode.Private))
  // the sharing given to cacheVolume is the default of withMountedCache
  await step(r, "defaultSharing", () => {
    const cache = client.cacheVolume(`${run}-default`, { sharing: CacheSharingMode.Locked })
    return Promise.all([1, 2].map((i) =>
      base.withMountedCache("/c", cache).withEnvVariable("I", String(i)).withExec(["sh", "-c", overlap]).stdout()))
  })
  process.stdout.write(JSON.stringify(r))
})
