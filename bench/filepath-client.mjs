// The dirk side of bench/filepath.ts, run through `dirk run` with Dagger's own client: host directory → a container
// (withDirectory + an exec) → exported back to the host. Prints the phase times (ms) as JSON on stdout.
import { connect } from "@dagger.io/dagger"

const src = process.env.DIRK_BENCH_SRC
const out = process.env.DIRK_BENCH_OUT
const image = process.env.DIRK_BENCH_IMAGE ?? "dirk.local/busybox:latest"

await connect(async (client) => {
  const t0 = performance.now()
  const ctr = client.container().from(image)
  await ctr.sync()
  const t1 = performance.now()
  // host directory into the container's rootfs, then an exec over it (so the copy is really in the rootfs)
  const withData = ctr.withDirectory("/data", client.host().directory(src)).withExec(["true"])
  await withData.sync()
  const t2 = performance.now()
  await withData.directory("/data").export(out)
  const t3 = performance.now()
  process.stdout.write(JSON.stringify({ from: t1 - t0, in: t2 - t1, out: t3 - t2 }))
})
