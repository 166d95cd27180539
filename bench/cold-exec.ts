/**
 * Benchmark (issue 4 point 7, third item): one cold exec (not cached: the args differ each repetition) against
 * create + start + wait + remove of the same container through the Docker API (dockerode, network mode none, same
 * image and command), in the same run; target ≤ 1.15×.
 *
 *   npx tsx bench/cold-exec.ts           (or: npm run bench:cold-exec)
 *
 * dirk: `container.from(busybox).withExec(["echo", <unique>]).stdout`, timed by a fetch client inside one session
 * (bench/session-client.mjs via `dirk run`, one session per repetition, after a first exec in it). Docker: the four API
 * calls, timed in this process; the repetitions of the three are interleaved.
 * Where dirk's time goes: the Docker calls dirk makes for an exec (create, attach, start, wait, commit, remove),
 * timed one by one here, against the query's time. Env: DIRK_BENCH_REPS (default 11).
 */
import Docker from "dockerode"
import type { Duplex } from "node:stream"
import { DockerTap, printTap } from "./docker-tap.js"
import { Engine, ensureReady, fmtMs, image, isMain, loadavg, median, out, printTable, runMain, spread } from "./support.js"

const reps = Number(process.env.DIRK_BENCH_REPS ?? 11)
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
    // one repetition = the Docker API run, the same calls dirk makes, and a dirk exec (its own session, after a
    // first exec in that session so the session's first-request costs stay out of it), one after the other
    const q = (arg: string) => `{ container { from(address: "${image}") { withExec(args: ["echo", "${arg}"]) { stdout } } } }`
    const docker1: Array<Awaited<ReturnType<typeof plain>>> = []
    const like: Array<Awaited<ReturnType<typeof dirkLike>>> = []
    const dirkMs: Array<number> = []
    for (let i = 0; i < reps; i++) {
      docker1.push(await plain(`docker-${nonce}-${i}`))
      like.push(await dirkLike(`like-${nonce}-${i}`))
      const s = await engine.session([
        { name: "warm", query: q(`warm-%nonce%-${i}`) },
        { name: "cold", query: q(`cold-%nonce%-${i}`) }
      ])
      const got = s.steps.cold!.data.container.from.withExec.stdout
      if (got !== `cold-${s.nonce}-${i}\n`) throw new Error(`dirk printed ${JSON.stringify(got)}`)
      dirkMs.push(s.steps.cold!.ms[0]!)
    }

    // the same execs on an engine whose Docker calls go through a logging proxy: what it waits for, and for how long
    const tap = await DockerTap.start(engine.work)
    const tapped = await Engine.fresh({ DOCKER_HOST: tap.host })
    let tapCalls: ReturnType<DockerTap["between"]> = []
    let tapWall = 0
    const gaps = new Map<string, Array<number>>()
    try {
      const s = await tapped.session([{ name: "warm", query: q("warm-%nonce%") }, { name: "cold", query: q("tap-%nonce%-%rep%"), reps }])
      tapCalls = tap.between(s.steps.cold!.startUs!, s.steps.cold!.endUs!)
      tapWall = s.steps.cold!.ms.reduce((a, b) => a + b, 0)
      // per exec: the time from the request to the first call, between consecutive calls, and after the last one
      for (const [from, to] of s.steps.cold!.spans!) {
        const calls = tap.between(from, to).sort((a, b) => a.start - b.start)
        let prevEnd = from / 1000
        let prevKind = "the request arrives"
        for (const c of calls) {
          const k = `${prevKind} → ${c.kind}`
          gaps.set(k, [...(gaps.get(k) ?? []), Math.max(0, c.start - prevEnd)])
          prevEnd = Math.max(prevEnd, c.end ?? c.start)
          prevKind = c.kind
        }
        const k = `${prevKind} → the response is read`
        gaps.set(k, [...(gaps.get(k) ?? []), to / 1000 - prevEnd])
      }
    } finally {
      await tapped.close()
      await tap.close()
    }

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
    out("")
    printTap(`dirk's Docker API calls per cold exec, seen by a logging proxy (mean of ${reps}; calls may overlap):`, DockerTap.summary(tapCalls), reps)
    const busy = DockerTap.busy(tapCalls)
    out(`  waiting for Docker ${fmtMs(busy / reps)} of the exec's ${fmtMs(tapWall / reps)} (mean, through the proxy): the engine's own time around and between the calls ≈ ${fmtMs((tapWall - busy) / reps)}:`)
    for (const [k, ms] of [...gaps].sort((a, b) => median(b[1]) - median(a[1])).slice(0, 8)) out(`  ${fmtMs(median(ms)).padStart(8)}  ${k}`)
  } finally {
    await engine.close()
  }
}

if (isMain(import.meta.url)) runMain(main)
