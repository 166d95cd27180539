/**
 * Benchmark (issue 4 point 7, third item): one cold exec (not cached: the args differ each repetition) against
 * create + start + wait + remove of the same container through the Docker API (dockerode, network mode none, same
 * image and command), in the same run; target ≤ 1.15×.
 *
 *   npx tsx bench/cold-exec.ts           (or: npm run bench:cold-exec)
 *
 * dirk: `container.from(busybox).withExec(["echo", <unique>]).stdout`, timed by a fetch client inside one session
 * (bench/session-client.mjs via `dirk run`), after a warm-up exec. Docker: the four API calls, timed in this process.
 * Where dirk's time goes: the Docker calls dirk makes for an exec (create, attach, start, wait, commit, remove),
 * timed one by one here, against the query's time. Env: DIRK_BENCH_REPS (default 15).
 */
import Docker from "dockerode"
import type { Duplex } from "node:stream"
import { Engine, ensureReady, fmtMs, image, isMain, loadavg, median, out, printTable, runMain, spread } from "./support.js"

const reps = Number(process.env.DIRK_BENCH_REPS ?? 15)
const docker = new Docker()

const lap = () => {
  let t = performance.now()
  return () => {
    const now = performance.now()
    const d = now - t
    t = now
    return d
  }
}

/** create + start + wait + remove, timed call by call. */
const plain = async (arg: string) => {
  const next = lap()
  const c = await docker.createContainer({ Image: image, Cmd: ["echo", arg], HostConfig: { NetworkMode: "none" }, Labels: { "dirk.bench": "1" } })
  const create = next()
  await c.start()
  const start = next()
  const w = (await c.wait()) as { StatusCode: number }
  const wait = next()
  await c.remove({ force: true, v: true })
  const remove = next()
  if (w.StatusCode !== 0) throw new Error(`docker: echo exited ${w.StatusCode}`)
  return { create, start, wait, remove, total: create + start + wait + remove }
}

/** What dirk's runtime does for an exec (src/Runtime/Docker.ts run): create, attach, start, wait, commit, remove. */
const dirkLike = async (arg: string) => {
  const next = lap()
  const c = await docker.createContainer({
    Image: image,
    Entrypoint: [],
    Cmd: ["echo", arg],
    Labels: { "dirk.bench": "1" },
    Tty: false,
    AttachStdout: true,
    AttachStderr: true,
    HostConfig: { Binds: [], NetworkMode: "none" }
  })
  const create = next()
  const stream = (await c.attach({ stream: true, stdout: true, stderr: true })) as Duplex
  const chunks: Array<Buffer> = []
  const ended = new Promise<void>((resolve) => {
    stream.once("end", resolve)
    stream.once("close", resolve)
  })
  docker.modem.demuxStream(stream, { write: (b: Buffer) => chunks.push(b) } as never, { write: () => true } as never)
  const attach = next()
  await c.start()
  const start = next()
  await c.wait()
  await ended
  const wait = next()
  const committed = (await c.commit()) as { Id: string }
  const commit = next()
  stream.destroy()
  await c.remove({ force: true, v: true })
  const remove = next()
  await docker.getImage(committed.Id).remove({ force: true }).catch(() => undefined)
  if (Buffer.concat(chunks).toString() !== `${arg}\n`) throw new Error(`dirk-like run printed ${Buffer.concat(chunks).toString()}`)
  return { create, attach, start, wait, commit, remove, total: create + attach + start + wait + commit + remove }
}

export const main = async () => {
  await ensureReady()
  const engine = await Engine.fresh()
  try {
    out(`cold-exec: ${reps} repetitions after warm-ups; load average ${loadavg()}`)
    const nonce = Math.random().toString(36).slice(2)
    await plain(`warm-${nonce}`)
    await dirkLike(`warm-${nonce}`)
    const docker1: Array<Awaited<ReturnType<typeof plain>>> = []
    for (let i = 0; i < Math.ceil(reps / 2); i++) docker1.push(await plain(`docker-${nonce}-${i}`))

    const q = (arg: string) => `{ container { from(address: "${image}") { withExec(args: ["echo", "${arg}"]) { stdout } } } }`
    const s = await engine.session([
      { name: "warm", query: q("warm-%nonce%") },
      { name: "cold", query: q("cold-%nonce%-%rep%"), reps }
    ])
    const last = s.steps.cold!.data.container.from.withExec.stdout
    if (last !== `cold-${s.nonce}-${reps - 1}\n`) throw new Error(`dirk printed ${JSON.stringify(last)}`)
    const dirkMs = [...s.steps.cold!.ms]

    for (let i = Math.ceil(reps / 2); i < reps; i++) docker1.push(await plain(`docker-${nonce}-${i}`))
    const like: Array<Awaited<ReturnType<typeof dirkLike>>> = []
    for (let i = 0; i < reps; i++) like.push(await dirkLike(`like-${nonce}-${i}`))

    const dockerMs = docker1.map((r) => r.total)
    printTable("cold exec vs Docker API create+start+wait+remove (network none)", "Docker API", [
      { name: "cold exec (echo <unique>)", anchor: median(dockerMs), dirk: median(dirkMs), target: { kind: "ratio", max: 1.15 } }
    ])
    out("")
    out(`docker create+start+wait+remove: ${spread(dockerMs)}`)
    const m = (k: keyof (typeof docker1)[number]) => fmtMs(median(docker1.map((r) => r[k])))
    out(`  create ${m("create")}, start ${m("start")}, wait ${m("wait")}, remove ${m("remove")}`)
    out(`dirk exec (query in the session): ${spread(dirkMs)}`)
    out(`the Docker calls dirk makes for one exec, timed here: ${spread(like.map((r) => r.total))}`)
    const l = (k: keyof (typeof like)[number]) => fmtMs(median(like.map((r) => r[k])))
    out(`  create ${l("create")}, attach ${l("attach")}, start ${l("start")}, wait (+ end of output) ${l("wait")}, commit ${l("commit")}, remove ${l("remove")}`)
    out(`  so of dirk's ${fmtMs(median(dirkMs))}: ${fmtMs(median(like.map((r) => r.total)))} in those Docker calls (commit ${l("commit")}, attach ${l("attach")}), ${fmtMs(median(dirkMs) - median(like.map((r) => r.total)))} in the engine (GraphQL, ids, cache index write, progress, scheduling)`)
  } finally {
    await engine.close()
  }
}

if (isMain(import.meta.url)) runMain(main)
